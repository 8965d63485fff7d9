/* SPDX-License-Identifier: MIT
 * Ingest pipelines: uridecodebin (rtspsrc for RTSP) -> VP8 / Opus encoders
 * -> RTP payloaders -> appsink, whose packets enter the room as a local
 * publisher. Errors come back on the control loop through the bus; live
 * sources restart with backoff. */
#define G_LOG_DOMAIN "ingest"
#include "media/ingest.h"
#include "media/local-private.h"

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <string.h>

#define VIDEO_INDEX 0
#define AUDIO_INDEX 1
#define VIDEO_PT 96
#define AUDIO_PT 111
#define MAX_BACKOFF_S 30

/* The encoding branch for each kind, from decoded media to RTP. */
static const char *const video_branch =
    "queue max-size-buffers=30 leaky=downstream ! videoconvert ! videoscale ! videorate max-rate=30 "
    "! video/x-raw,format=I420 ! vp8enc deadline=1 cpu-used=8 end-usage=cbr target-bitrate=1500000 "
    "keyframe-max-dist=90 lag-in-frames=0 error-resilient=default threads=2 "
    "! rtpvp8pay pt=96 mtu=1200 picture-id-mode=15-bit ! appsink name=sink sync=true max-buffers=200 drop=true";
/* VP8 that passes through (transcode: false): only payloaded again. */
static const char *const video_passthrough_branch =
    "queue max-size-buffers=60 leaky=downstream ! rtpvp8pay pt=96 mtu=1200 picture-id-mode=15-bit "
    "! appsink name=sink sync=true max-buffers=200 drop=true";
static const char *const audio_branch =
    "queue max-size-buffers=50 leaky=downstream ! audioconvert ! audioresample "
    "! audio/x-raw,rate=48000,channels=2 ! opusenc bitrate=64000 frame-size=20 "
    "! rtpopuspay pt=111 mtu=1200 ! appsink name=sink sync=true max-buffers=200 drop=true";

/* What the appsinks' callbacks need; outlives the ingest while a pipeline
 * that is being torn down still calls them. */
typedef struct {
  gint refs;
  MgMediaLocal *local;
  gsize packets[2]; /* atomic: video, audio */
  gint video_path;  /* atomic: 0 none yet, 1 transcoded, 2 passthrough */
} MgIngestFeed;

struct MgIngest {
  MgMediaEngine *engine;
  char *room, *party, *url, *peer;
  gboolean live; /* restarts after an error (RTSP, HTTP) */
  gboolean rtsp; /* and after the end of its stream */
  gboolean transcode;
  guint silence_s;
  MgIngestFunc changed;
  gpointer user_data;
  MgIngestState state;
  char *error;
  MgMediaLocal *local;
  MgIngestFeed *feed;
  GstElement *pipeline;
  guint bus_watch;
  guint retry_timer, watch_timer;
  guint backoff_s;
  guint restarts;
  guint64 seen_packets; /* at the watchdog's last look */
  guint silent_s;
};

static MgIngestFeed *
feed_ref(MgIngestFeed *f)
{
  g_atomic_int_inc(&f->refs);
  return f;
}

static void
feed_unref(gpointer p)
{
  MgIngestFeed *f = p;
  if (!g_atomic_int_dec_and_test(&f->refs))
    return;
  mg_media_local_unref(f->local);
  g_free(f);
}

static void
feed_closure_unref(gpointer data, GClosure *closure)
{
  feed_unref(data);
}

static GQuark
ingest_error(void)
{
  return g_quark_from_static_string("mg-ingest-error-quark");
}

gboolean
mg_ingest_check_url(const char *url, GError **error)
{
  static const char *const schemes[] = { "rtsp", "rtsps", "file", "http", "https" };
  g_autoptr(GUri) uri = url ? g_uri_parse(url, G_URI_FLAGS_ENCODED, NULL) : NULL;
  for (const char *p = url; p && *p; p++)
    if ((guchar)*p < 0x20 || *p == 0x7f) {
      g_set_error(error, ingest_error(), 0, "the url has control characters");
      return FALSE;
    }
  if (!uri || !g_strv_contains(schemes, g_uri_get_scheme(uri))) {
    g_set_error(error, ingest_error(), 0, "url must be rtsp://, rtsps://, file:///, http:// or https://");
    return FALSE;
  }
  gboolean file = !strcmp(g_uri_get_scheme(uri), "file");
  if (file ? !g_str_has_prefix(g_uri_get_path(uri), "/") || (g_uri_get_host(uri) && *g_uri_get_host(uri))
           : !g_uri_get_host(uri) || !*g_uri_get_host(uri)) {
    g_set_error(error, ingest_error(), 0, file ? "a file url is file:///absolute/path" : "the url has no host");
    return FALSE;
  }
  return TRUE;
}

/* ---- the pipeline's threads ---- */

static GstFlowReturn
on_sample(GstAppSink *sink, gpointer data, guint index)
{
  MgIngestFeed *f = data;
  GstSample *sample = gst_app_sink_pull_sample(sink);
  if (!sample)
    return GST_FLOW_EOS;
  GstBuffer *buf = gst_sample_get_buffer(sample);
  GstMapInfo map;
  if (buf && gst_buffer_map(buf, &map, GST_MAP_READ)) {
    if (mg_media_local_push(f->local, index, map.data, map.size))
      g_atomic_pointer_add(&f->packets[index], 1);
    gst_buffer_unmap(buf, &map);
  }
  gst_sample_unref(sample);
  /* The room asked for a keyframe (a new subscriber, a PLI): the encoder
   * upstream makes one. */
  if (index == VIDEO_INDEX && mg_media_local_take_keyframe_request(f->local, index)) {
    GstStructure *s = gst_structure_new("GstForceKeyUnit", "running-time", G_TYPE_UINT64, GST_CLOCK_TIME_NONE,
                                        "all-headers", G_TYPE_BOOLEAN, TRUE, "count", G_TYPE_UINT, 0, NULL);
    GstPad *pad = gst_element_get_static_pad(GST_ELEMENT(sink), "sink");
    gst_pad_push_event(pad, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, s));
    gst_object_unref(pad);
  }
  return GST_FLOW_OK;
}

static GstFlowReturn
on_video_sample(GstAppSink *sink, gpointer data)
{
  return on_sample(sink, data, VIDEO_INDEX);
}

static GstFlowReturn
on_audio_sample(GstAppSink *sink, gpointer data)
{
  return on_sample(sink, data, AUDIO_INDEX);
}

/* uridecodebin found a decoded stream: an encoding branch for its kind
 * (the first stream of each kind). */
static void
on_pad_added(GstElement *src, GstPad *pad, gpointer data)
{
  MgIngestFeed *f = data;
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
  const char *name = caps && gst_caps_get_size(caps) ? gst_structure_get_name(gst_caps_get_structure(caps, 0)) : "";
  gboolean passthrough = !strcmp(name, "video/x-vp8"); /* only offered by uridecodebin with transcode off */
  gboolean video = passthrough || g_str_has_prefix(name, "video/x-raw");
  if (!video && !g_str_has_prefix(name, "audio/x-raw"))
    return;
  GstElement *pipeline = GST_ELEMENT(gst_element_get_parent(src));
  const char *branch_name = video ? "video" : "audio";
  GstElement *existing = gst_bin_get_by_name(GST_BIN(pipeline), branch_name);
  if (existing) { /* a second stream of the kind: left out */
    gst_object_unref(existing);
    gst_object_unref(pipeline);
    return;
  }
  g_autoptr(GError) error = NULL;
  const char *description = passthrough ? video_passthrough_branch : video ? video_branch : audio_branch;
  GstElement *branch = gst_parse_bin_from_description(description, TRUE, &error);
  if (!branch) {
    g_warning("ingest: cannot build the %s branch: %s", branch_name, error->message);
    gst_object_unref(pipeline);
    return;
  }
  gst_object_set_name(GST_OBJECT(branch), branch_name);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(branch), "sink");
  GstAppSinkCallbacks cbs = { .new_sample = video ? on_video_sample : on_audio_sample };
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cbs, feed_ref(f), feed_unref);
  gst_object_unref(sink);
  gst_bin_add(GST_BIN(pipeline), branch);
  gst_element_sync_state_with_parent(branch);
  GstPad *sinkpad = gst_element_get_static_pad(branch, "sink");
  if (gst_pad_link(pad, sinkpad) != GST_PAD_LINK_OK)
    g_warning("ingest: cannot link the %s stream", branch_name);
  else if (video)
    g_atomic_int_set(&f->video_path, passthrough ? 2 : 1);
  gst_object_unref(sinkpad);
  gst_object_unref(pipeline);
}

static void
on_source_setup(GstElement *bin, GstElement *source, gpointer data)
{
  /* A camera (rtspsrc): a small jitter buffer, for a live meeting. */
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(source), "latency"))
    g_object_set(source, "latency", 200, NULL);
}

/* ---- the control loop ---- */

static void set_state(MgIngest *in, MgIngestState state, const char *error);
static gboolean start_pipeline(MgIngest *in, GError **error);

static void
stop_pipeline(MgIngest *in)
{
  if (in->bus_watch) {
    g_source_remove(in->bus_watch);
    in->bus_watch = 0;
  }
  if (in->pipeline) {
    gst_element_set_state(in->pipeline, GST_STATE_NULL);
    g_clear_object(&in->pipeline);
  }
}

/* The publisher leaves the room (its tracks end for everyone). */
static void
leave_room(MgIngest *in)
{
  mg_media_engine_remove_local(in->engine, in->local);
  in->local = NULL;
}

static gboolean
on_retry(gpointer data)
{
  MgIngest *in = data;
  in->retry_timer = 0;
  in->restarts++;
  g_autoptr(GError) error = NULL;
  g_info("ingest into %s: restarting (attempt %u)", in->room, in->restarts);
  if (start_pipeline(in, &error)) {
    set_state(in, MG_INGEST_STARTING, NULL);
  } else {
    leave_room(in);
    set_state(in, MG_INGEST_FAILED, error->message);
  }
  return G_SOURCE_REMOVE;
}

/* The source failed (error, end of a live stream, silence). */
static void
source_failed(MgIngest *in, const char *message)
{
  stop_pipeline(in);
  if (!in->live) {
    leave_room(in);
    set_state(in, MG_INGEST_FAILED, message);
    return;
  }
  guint delay = in->backoff_s;
  in->backoff_s = MIN(in->backoff_s * 2, MAX_BACKOFF_S);
  g_warning("ingest into %s: %s; restarting in %u s", in->room, message, delay);
  in->retry_timer = g_timeout_add_seconds(delay, on_retry, in);
  set_state(in, MG_INGEST_RETRYING, message);
}

static gboolean
on_bus(GstBus *bus, GstMessage *msg, gpointer data)
{
  MgIngest *in = data;
  switch (GST_MESSAGE_TYPE(msg)) {
  case GST_MESSAGE_ERROR: {
    g_autoptr(GError) error = NULL;
    g_autofree char *debug = NULL;
    gst_message_parse_error(msg, &error, &debug);
    g_debug("ingest into %s: %s (%s)", in->room, error->message, debug ? debug : "");
    g_autofree char *text = g_strdup_printf("%s (in %s)", error->message, GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)));
    in->bus_watch = 0; /* removed by returning FALSE below */
    source_failed(in, text);
    return G_SOURCE_REMOVE;
  }
  case GST_MESSAGE_EOS:
    in->bus_watch = 0;
    if (in->rtsp) {
      source_failed(in, "the stream ended");
    } else {
      stop_pipeline(in);
      leave_room(in);
      set_state(in, MG_INGEST_ENDED, NULL);
    }
    return G_SOURCE_REMOVE;
  default:
    return G_SOURCE_CONTINUE;
  }
}

static guint64
total_packets(MgIngest *in)
{
  return g_atomic_pointer_get(&in->feed->packets[0]) + g_atomic_pointer_get(&in->feed->packets[1]);
}

/* Once a second: STARTING becomes RUNNING when packets flow; a running
 * source that stays silent is treated as failed. */
static gboolean
on_watch(gpointer data)
{
  MgIngest *in = data;
  guint64 n = total_packets(in);
  gboolean flowing = n != in->seen_packets;
  in->seen_packets = n;
  if (in->local && mg_media_local_is_gone(in->local)) {
    /* Someone else took it out of the room (a host or an admin removed the
     * participant, the room closed): nobody receives it any more. */
    stop_pipeline(in);
    if (in->retry_timer) {
      g_source_remove(in->retry_timer);
      in->retry_timer = 0;
    }
    leave_room(in);
    set_state(in, MG_INGEST_FAILED, "removed from the room");
    return G_SOURCE_CONTINUE;
  }
  if (!in->pipeline)
    return G_SOURCE_CONTINUE;
  if (flowing) {
    in->silent_s = 0;
    if (in->state != MG_INGEST_RUNNING) {
      in->backoff_s = 1;
      set_state(in, MG_INGEST_RUNNING, NULL);
    }
  } else if (++in->silent_s >= in->silence_s && in->state == MG_INGEST_RUNNING) {
    g_autofree char *text = g_strdup_printf("no media for %u s", in->silent_s);
    source_failed(in, text);
  } else if (in->silent_s >= 4 * in->silence_s && in->state == MG_INGEST_STARTING) {
    g_autofree char *text = g_strdup_printf("no media within %u s of starting", in->silent_s);
    source_failed(in, text);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
start_pipeline(MgIngest *in, GError **error)
{
  GstElement *pipeline = gst_pipeline_new(NULL);
  GstElement *src = gst_element_factory_make("uridecodebin", "src");
  if (!src) {
    g_set_error(error, ingest_error(), 0, "GStreamer's uridecodebin is missing");
    gst_object_unref(pipeline);
    return FALSE;
  }
  g_object_set(src, "uri", in->url, NULL);
  if (!in->transcode) { /* decoding stops at VP8, which then passes through */
    g_autoptr(GstCaps) caps = gst_caps_from_string("video/x-raw; audio/x-raw; video/x-vp8");
    g_object_set(src, "caps", caps, NULL);
  }
  g_signal_connect(src, "source-setup", G_CALLBACK(on_source_setup), in);
  /* The feed outlives the pipeline's own references to it. */
  g_signal_connect_data(src, "pad-added", G_CALLBACK(on_pad_added), feed_ref(in->feed), feed_closure_unref, 0);
  gst_bin_add(GST_BIN(pipeline), src);
  in->pipeline = pipeline;
  GstBus *bus = gst_element_get_bus(pipeline);
  in->bus_watch = gst_bus_add_watch(bus, on_bus, in);
  gst_object_unref(bus);
  in->silent_s = 0;
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    /* The bus has the reason; it arrives as an error message. */
    g_debug("ingest into %s: the pipeline did not start", in->room);
  }
  return TRUE;
}

static void
set_state(MgIngest *in, MgIngestState state, const char *error)
{
  if (error) {
    g_free(in->error);
    in->error = g_strdup(error);
  } else if (state == MG_INGEST_RUNNING) {
    g_clear_pointer(&in->error, g_free);
  }
  if (in->state == state)
    return;
  in->state = state;
  g_info("ingest into %s: %s%s%s", in->room, mg_ingest_state_name(state), error ? ": " : "", error ? error : "");
  if (in->changed)
    in->changed(in, in->user_data);
}

MgIngest *
mg_ingest_start(MgMediaEngine *engine, const char *room, const char *party, const char *url, guint silence_s,
                gboolean transcode, MgIngestFunc changed, gpointer user_data, GError **error)
{
  if (!mg_ingest_check_url(url, error))
    return NULL;
  gst_init(NULL, NULL); /* once per process; later calls return at once */
  MgIngest *in = g_new0(MgIngest, 1);
  in->engine = engine;
  in->room = g_strdup(room);
  in->party = g_strdup(party);
  in->url = g_strdup(url);
  in->live = !g_str_has_prefix(url, "file:");
  in->rtsp = g_str_has_prefix(url, "rtsp");
  in->silence_s = silence_s ? silence_s : 5;
  in->transcode = transcode;
  in->backoff_s = 1;
  in->changed = changed;
  in->user_data = user_data;
  in->state = MG_INGEST_STARTING;
  MgMediaLocalTrack tracks[2] = {
    [VIDEO_INDEX] = { "video", "VP8", 90000, VIDEO_PT },
    [AUDIO_INDEX] = { "audio", "OPUS", 48000, AUDIO_PT },
  };
  in->local = mg_media_engine_add_local(engine, room, party, tracks, G_N_ELEMENTS(tracks));
  in->feed = g_new0(MgIngestFeed, 1);
  in->feed->refs = 1;
  in->feed->local = mg_media_local_ref(in->local);
  in->peer = g_strdup(mg_media_local_get_peer(in->local));
  if (!start_pipeline(in, error)) {
    mg_ingest_free(in);
    return NULL;
  }
  in->watch_timer = g_timeout_add_seconds(1, on_watch, in);
  return in;
}

void
mg_ingest_free(MgIngest *in)
{
  if (!in)
    return;
  if (in->retry_timer)
    g_source_remove(in->retry_timer);
  if (in->watch_timer)
    g_source_remove(in->watch_timer);
  stop_pipeline(in);
  leave_room(in);
  feed_unref(in->feed);
  g_free(in->peer);
  g_free(in->room);
  g_free(in->party);
  g_free(in->url);
  g_free(in->error);
  g_free(in);
}

MgIngestState
mg_ingest_get_state(MgIngest *in)
{
  return in->state;
}

const char *
mg_ingest_state_name(MgIngestState state)
{
  static const char *const names[] = { "starting", "running", "retrying", "ended", "failed" };
  return state < G_N_ELEMENTS(names) ? names[state] : "unknown";
}

const char *
mg_ingest_get_error(MgIngest *in)
{
  return in->error;
}

const char *
mg_ingest_get_peer(MgIngest *in)
{
  return in->peer;
}

guint
mg_ingest_get_restarts(MgIngest *in)
{
  return in->restarts;
}

guint64
mg_ingest_get_packets(MgIngest *in, const char *kind)
{
  return g_atomic_pointer_get(&in->feed->packets[!g_strcmp0(kind, "audio") ? AUDIO_INDEX : VIDEO_INDEX]);
}

const char *
mg_ingest_get_video_path(MgIngest *in)
{
  static const char *const names[] = { NULL, "transcoded", "passthrough" };
  return names[g_atomic_int_get(&in->feed->video_path)];
}

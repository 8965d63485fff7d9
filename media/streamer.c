/* SPDX-License-Identifier: MIT
 * Live streaming out: per-track decode pipelines behind a router tap feed
 * inter{video,audio}sink slots; one output pipeline composes the slots and
 * encodes them to RTMP or HLS, restarted with backoff when RTMP fails. */
#define G_LOG_DOMAIN "streamer"
#include "media/streamer.h"

#include <errno.h>
#include <gst/gst.h>
#include <string.h>
#include <unistd.h>

#include "media/tap.h"

#define WIDTH 1280
#define HEIGHT 720
#define N_VIDEO 4
#define N_AUDIO 4
#define SLOT_W 640
#define SLOT_H 360
#define MAX_BACKOFF_MS 30000

struct MgStreamer {
  MgMediaEngine *engine;
  char *room;
  MgStreamerKind kind;
  char *target;
  char *prefix; /* inter channel names: "<prefix>-v<i>" and "<prefix>-a<i>" */
  MgTap *tap;
  MgStreamerState state;
  char *error;
  guint restarts;
  guint retry_source;
  guint bus_watch;
  guint64 dropped;
  gboolean detached;
  /* The slots are taken and given back on the tap's thread and read when the
   * layout is applied; this small lock is the streamer's own, not a registry. */
  GMutex lock;
  gboolean video_used[N_VIDEO];
  gboolean audio_used[N_AUDIO];
  GstElement *output; /* under lock: the running output pipeline */
};

guint
mg_streamer_backoff_ms(guint n)
{
  guint ms = 1000;
  for (guint i = 1; i < n && ms < MAX_BACKOFF_MS; i++)
    ms *= 2;
  return MIN(ms, MAX_BACKOFF_MS);
}

void
mg_streamer_tile(guint i, guint n, guint w, guint h, guint *x, guint *y, guint *tw, guint *th)
{
  guint cols = 1;
  while (cols * cols < n)
    cols++;
  guint rows = n ? (n + cols - 1) / cols : 1;
  *tw = w / cols;
  *th = h / rows;
  *x = (i % cols) * *tw;
  *y = (i / cols) * *th;
}

char *
mg_streamer_describe_output(MgStreamerKind kind, const char *prefix)
{
  GString *d = g_string_new(NULL);
  /* A keyframe every 2 s at 30 fps; zerolatency keeps the encoder from
   * buffering seconds of frames. */
  g_string_append_printf(d,
                         "compositor name=vmix background=black ! video/x-raw,width=%d,height=%d,framerate=30/1 ! "
                         "videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency speed-preset=veryfast "
                         "bitrate=2000 key-int-max=60 ! video/x-h264,profile=main ! h264parse config-interval=-1 ! "
                         "queue name=vq ! ",
                         WIDTH, HEIGHT);
  if (kind == MG_STREAMER_RTMP)
    g_string_append(d, "flvmux name=mux streamable=true ! rtmp2sink name=sink ");
  else
    g_string_append(d, "hlssink2 name=sink target-duration=2 playlist-length=6 max-files=10 ");
  g_string_append(d, "audiomixer name=amix ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! "
                     "voaacenc bitrate=128000 ! aacparse ! queue name=aq ! ");
  g_string_append(d, kind == MG_STREAMER_RTMP ? "mux. " : "sink.audio ");
  for (guint i = 0; i < N_VIDEO; i++)
    g_string_append_printf(d,
                           "intervideosrc channel=%s-v%u timeout=500000000 ! "
                           "video/x-raw,format=I420,width=%d,height=%d,framerate=30/1 ! vmix.sink_%u ",
                           prefix, i, SLOT_W, SLOT_H, i);
  for (guint i = 0; i < N_AUDIO; i++)
    g_string_append_printf(d, "interaudiosrc channel=%s-a%u ! audio/x-raw,rate=48000,channels=2 ! amix.sink_%u ",
                           prefix, i, i);
  return g_string_free(d, FALSE);
}

/* ---- layout ---- */

/* Under lock: place the used video slots in a grid, hide the others. */
static void
apply_layout_locked(MgStreamer *s)
{
  if (!s->output)
    return;
  g_autoptr(GstElement) vmix = gst_bin_get_by_name(GST_BIN(s->output), "vmix");
  guint n = 0, k = 0;
  for (guint i = 0; i < N_VIDEO; i++)
    n += s->video_used[i];
  for (guint i = 0; i < N_VIDEO; i++) {
    char name[16];
    g_snprintf(name, sizeof name, "sink_%u", i);
    g_autoptr(GstPad) pad = gst_element_get_static_pad(vmix, name);
    if (!pad)
      continue;
    if (!s->video_used[i]) {
      g_object_set(pad, "alpha", 0.0, "xpos", 0, "ypos", 0, "width", 1, "height", 1, NULL);
      continue;
    }
    guint x, y, w, h;
    mg_streamer_tile(k++, n, WIDTH, HEIGHT, &x, &y, &w, &h);
    g_object_set(pad, "alpha", 1.0, "xpos", (gint)x, "ypos", (gint)y, "width", (gint)w, "height", (gint)h, NULL);
  }
}

static gint
take_slot(MgStreamer *s, gboolean video)
{
  gint slot = -1;
  g_mutex_lock(&s->lock);
  gboolean *used = video ? s->video_used : s->audio_used;
  guint n = video ? N_VIDEO : N_AUDIO;
  for (guint i = 0; i < n && slot < 0; i++)
    if (!used[i]) {
      used[i] = TRUE;
      slot = (gint)i;
    }
  if (video && slot >= 0)
    apply_layout_locked(s);
  g_mutex_unlock(&s->lock);
  return slot;
}

typedef struct {
  MgStreamer *s;
  gboolean video;
  guint slot;
  gint given_back;
} MgSlotRef;

static void
give_back(MgSlotRef *ref)
{
  if (!g_atomic_int_compare_and_exchange(&ref->given_back, 0, 1))
    return;
  MgStreamer *s = ref->s;
  g_mutex_lock(&s->lock);
  (ref->video ? s->video_used : s->audio_used)[ref->slot] = FALSE;
  if (ref->video)
    apply_layout_locked(s);
  g_mutex_unlock(&s->lock);
}

/* The track ended (EOS through its pipeline): its tile goes away. */
static GstPadProbeReturn
on_track_event(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  if (GST_EVENT_TYPE(GST_PAD_PROBE_INFO_EVENT(info)) == GST_EVENT_EOS)
    give_back(data);
  return GST_PAD_PROBE_OK;
}

static void
slot_ref_free(gpointer data)
{
  give_back(data);
  g_free(data);
}

/* ---- the per-track pipelines (on the tap's thread) ---- */

static const struct {
  const char *encoding, *decode;
} decoders[] = {
  { "VP8", "rtpvp8depay wait-for-keyframe=true ! vp8dec" },
  { "VP9", "rtpvp9depay ! vp9dec" },
  { "H264", "rtph264depay wait-for-keyframe=true ! h264parse ! avdec_h264" },
  { "OPUS", "rtpopusdepay ! opusdec plc=true" },
};

static GstElement *
make_track_pipeline(const MgTapTrack *track, gpointer data, GError **error)
{
  MgStreamer *s = data;
  const char *decode = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS(decoders) && !decode; i++)
    if (!g_ascii_strcasecmp(decoders[i].encoding, track->encoding))
      decode = decoders[i].decode;
  gboolean video = !strcmp(track->kind, "video");
  if (!decode)
    return NULL;
  gint slot = take_slot(s, video);
  if (slot < 0) {
    g_info("stream of %s: no free %s slot for track %s; not shown", s->room, track->kind, track->track);
    return NULL;
  }
  g_autofree char *desc =
      video ? g_strdup_printf("appsrc name=src ! rtpjitterbuffer latency=200 ! %s ! videoconvert ! videoscale "
                              "add-borders=true ! video/x-raw,format=I420,width=%d,height=%d,pixel-aspect-ratio=1/1 "
                              "! intervideosink name=out sync=false channel=%s-v%d",
                              decode, SLOT_W, SLOT_H, s->prefix, slot)
            : g_strdup_printf("appsrc name=src ! rtpjitterbuffer latency=200 ! %s ! audioconvert ! audioresample ! "
                              "audio/x-raw,rate=48000,channels=2 ! interaudiosink name=out sync=false channel=%s-a%d",
                              decode, s->prefix, slot);
  MgSlotRef *ref = g_new0(MgSlotRef, 1);
  ref->s = s;
  ref->video = video;
  ref->slot = (guint)slot;
  GstElement *p = gst_parse_launch(desc, error);
  if (!p) {
    slot_ref_free(ref);
    return NULL;
  }
  /* The slot is given back at EOS, or when the pipeline goes. */
  g_object_set_data_full(G_OBJECT(p), "mg-slot", ref, slot_ref_free);
  g_autoptr(GstElement) out = gst_bin_get_by_name(GST_BIN(p), "out");
  g_autoptr(GstPad) pad = gst_element_get_static_pad(out, "sink");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, on_track_event, ref, NULL);
  return p;
}

/* ---- the output pipeline (control loop) ---- */

static void start_output(MgStreamer *s);

static void
stop_output(MgStreamer *s)
{
  if (s->bus_watch) {
    g_source_remove(s->bus_watch);
    s->bus_watch = 0;
  }
  g_mutex_lock(&s->lock);
  GstElement *out = g_steal_pointer(&s->output);
  g_mutex_unlock(&s->lock);
  if (out) {
    gst_element_set_state(out, GST_STATE_NULL);
    gst_object_unref(out);
  }
}

static gboolean
on_retry(gpointer data)
{
  MgStreamer *s = data;
  s->retry_source = 0;
  if (s->state == MG_STREAMER_RETRYING)
    start_output(s);
  return G_SOURCE_REMOVE;
}

static void
output_failed(MgStreamer *s, const char *message)
{
  g_free(s->error);
  s->error = g_strdup(message);
  stop_output(s);
  if (s->kind == MG_STREAMER_RTMP && s->state != MG_STREAMER_STOPPED) {
    /* The far side can come back: try again after a growing pause. */
    s->state = MG_STREAMER_RETRYING;
    s->restarts++;
    guint ms = mg_streamer_backoff_ms(s->restarts);
    g_warning("stream of %s: %s; retrying in %u ms", s->room, message, ms);
    s->retry_source = g_timeout_add(ms, on_retry, s);
    return;
  }
  g_warning("stream of %s failed: %s", s->room, message);
  mg_streamer_stop(s);
  s->state = MG_STREAMER_FAILED;
}

static gboolean
on_bus(GstBus *bus, GstMessage *m, gpointer data)
{
  MgStreamer *s = data;
  if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
    g_autoptr(GError) err = NULL;
    g_autofree char *debug = NULL;
    gst_message_parse_error(m, &err, &debug);
    g_debug("stream of %s: %s", s->room, debug ? debug : "");
    g_autofree char *msg = g_strdup_printf("%s (in %s)", err->message, GST_MESSAGE_SRC_NAME(m));
    s->bus_watch = 0; /* removed by returning FALSE below */
    output_failed(s, msg);
    return G_SOURCE_REMOVE;
  }
  if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_EOS) {
    s->bus_watch = 0;
    output_failed(s, "the output ended");
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
build_output(MgStreamer *s, GError **error)
{
  g_autofree char *desc = mg_streamer_describe_output(s->kind, s->prefix);
  GError *parse_error = NULL;
  GstElement *p = gst_parse_launch(desc, &parse_error);
  if (parse_error) {
    g_clear_object(&p);
    g_propagate_error(error, parse_error);
    return FALSE;
  }
  gst_object_ref_sink(p);
  g_autoptr(GstElement) sink = gst_bin_get_by_name(GST_BIN(p), "sink");
  if (s->kind == MG_STREAMER_RTMP) {
    g_object_set(sink, "location", s->target, NULL);
  } else {
    g_autofree char *playlist = g_build_filename(s->target, "playlist.m3u8", NULL);
    g_autofree char *segments = g_build_filename(s->target, "segment%05d.ts", NULL);
    g_object_set(sink, "playlist-location", playlist, "location", segments, NULL);
  }
  g_autoptr(GstBus) bus = gst_element_get_bus(p);
  s->bus_watch = gst_bus_add_watch(bus, on_bus, s);
  g_mutex_lock(&s->lock);
  s->output = p;
  apply_layout_locked(s);
  g_mutex_unlock(&s->lock);
  return TRUE;
}

static void
start_output(MgStreamer *s)
{
  g_autoptr(GError) error = NULL;
  if (!build_output(s, &error)) {
    output_failed(s, error->message);
    return;
  }
  if (gst_element_set_state(s->output, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    output_failed(s, "the output pipeline would not start");
    return;
  }
  s->state = MG_STREAMER_LIVE;
  g_info("stream of %s is live (%s)", s->room, s->kind == MG_STREAMER_RTMP ? "rtmp" : "hls");
}

/* ---- life ---- */

static void
on_tap_error(MgTap *tap, const char *track, const char *message, gpointer data)
{
  MgStreamer *s = data;
  /* A track that fails leaves its tile black; the stream goes on. */
  g_warning("stream of %s: track %s: %s", s->room, track ? track : "?", message);
}

static void
on_tap_done(MgTap *tap, gpointer data)
{
  MgStreamer *s = data;
  s->dropped = mg_tap_get_dropped(tap);
  if (!s->detached) { /* the room went away */
    s->detached = TRUE;
    mg_media_engine_remove_tap(s->engine, s->room, s->tap);
  }
  g_clear_pointer(&s->tap, mg_tap_free);
}

MgStreamer *
mg_streamer_start(MgMediaEngine *engine, const char *room, MgStreamerKind kind, const char *target, GError **error)
{
  static gint counter;
  gst_init(NULL, NULL);
  if (kind == MG_STREAMER_HLS && g_mkdir_with_parents(target, 0750) < 0) {
    int e = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot make the directory %s: %s", target,
                g_strerror(e));
    return NULL;
  }
  MgStreamer *s = g_new0(MgStreamer, 1);
  g_mutex_init(&s->lock);
  s->engine = engine;
  s->room = g_strdup(room);
  s->kind = kind;
  s->target = g_strdup(target);
  s->prefix = g_strdup_printf("mg-stream-%d-%u", (int)getpid(), (guint)g_atomic_int_add(&counter, 1));
  if (!build_output(s, error)) {
    mg_streamer_free(s);
    return NULL;
  }
  if (gst_element_set_state(s->output, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE, "the output pipeline would not start");
    mg_streamer_free(s);
    return NULL;
  }
  s->state = MG_STREAMER_LIVE;
  MgTapConfig cfg = { make_track_pipeline, on_tap_error, on_tap_done, s, 0, 0 };
  s->tap = mg_tap_new(&cfg);
  mg_media_engine_add_tap(engine, room, s->tap);
  g_info("streaming %s (%s)", room, kind == MG_STREAMER_RTMP ? "rtmp" : "hls");
  return s;
}

void
mg_streamer_stop(MgStreamer *s)
{
  if (s->state == MG_STREAMER_STOPPED || s->state == MG_STREAMER_FAILED)
    return;
  s->state = MG_STREAMER_STOPPED;
  if (s->retry_source) {
    g_source_remove(s->retry_source);
    s->retry_source = 0;
  }
  if (s->bus_watch) {
    g_source_remove(s->bus_watch);
    s->bus_watch = 0;
  }
  if (s->output) {
    /* hlssink2 writes the playlist's end tag on EOS; give it a moment. */
    gst_element_send_event(s->output, gst_event_new_eos());
    g_autoptr(GstBus) bus = gst_element_get_bus(s->output);
    GstMessage *m = gst_bus_timed_pop_filtered(bus, s->kind == MG_STREAMER_HLS ? GST_SECOND : 0,
                                               GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    g_clear_pointer(&m, gst_message_unref);
  }
  stop_output(s);
  if (s->tap && !s->detached) {
    s->detached = TRUE;
    mg_media_engine_remove_tap(s->engine, s->room, s->tap);
  }
}

void
mg_streamer_free(MgStreamer *s)
{
  if (!s)
    return;
  if (s->state == MG_STREAMER_LIVE || s->state == MG_STREAMER_RETRYING)
    mg_streamer_stop(s);
  if (s->retry_source)
    g_source_remove(s->retry_source);
  stop_output(s);
  if (s->tap && !s->detached)
    mg_media_engine_remove_tap(s->engine, s->room, s->tap);
  /* Joins the tap's thread: its pipelines (and their slot references) go first. */
  g_clear_pointer(&s->tap, mg_tap_free);
  g_mutex_clear(&s->lock);
  g_free(s->room);
  g_free(s->target);
  g_free(s->prefix);
  g_free(s->error);
  g_free(s);
}

MgStreamerState
mg_streamer_get_state(MgStreamer *s)
{
  return s->state;
}

const char *
mg_streamer_state_name(MgStreamerState state)
{
  static const char *names[] = { "live", "retrying", "stopped", "failed" };
  return names[state];
}

const char *
mg_streamer_get_error(MgStreamer *s)
{
  return s->error;
}

guint
mg_streamer_get_restarts(MgStreamer *s)
{
  return s->restarts;
}

guint64
mg_streamer_get_dropped(MgStreamer *s)
{
  return s->tap ? mg_tap_get_dropped(s->tap) : s->dropped;
}

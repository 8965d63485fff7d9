/* SPDX-License-Identifier: MIT
 * Router taps: the worker side hands packet copies to a bounded queue; the
 * tap's thread feeds them to one GStreamer pipeline per track, watches the
 * pipelines' buses and reports to the control loop. */
#define G_LOG_DOMAIN "tap"
#include "media/tap.h"

#include <gst/app/gstappsrc.h>
#include <string.h>

#define DEFAULT_MAX_QUEUED 2000
#define POP_WAIT_US (100 * 1000)
#define BUS_POLL_US (50 * 1000)
#define EOS_WAIT (5 * GST_SECOND)

typedef enum { ITEM_PACKET, ITEM_ADD, ITEM_REMOVE, ITEM_STOP } MgTapItemType;

typedef struct {
  MgTapItemType type;
  guint stream;
  GstBuffer *buf;
  gint64 at_us;
  char *track, *party, *kind, *encoding;
  guint clock_rate;
  guint8 pt;
} MgTapItem;

typedef struct {
  guint id;
  char *track;
  GstElement *pipeline;
  GstElement *src;
  gboolean ended; /* EOS sent, failed or never started */
} MgTapStream;

struct MgTap {
  gint ref;
  MgTapConfig cfg;
  GMainContext *control;
  MgTapQueue *queue;
  GThread *thread;
  gint stopping;
  gboolean freed; /* control loop: no more callbacks */
  /* worker side: track key -> stream id */
  GHashTable *keys;
  guint next_stream;
  guint64 packets; /* __atomic */
  gint64 end_us;   /* __atomic: packets that arrive later are not taken; 0 = no end yet */
  /* tap thread side */
  GHashTable *streams; /* id -> MgTapStream* */
  gint64 last_poll_us;
};

static void
item_free(gpointer p)
{
  MgTapItem *it = p;
  if (it->buf)
    gst_buffer_unref(it->buf);
  g_free(it->track);
  g_free(it->party);
  g_free(it->kind);
  g_free(it->encoding);
  g_free(it);
}

static void
stream_free(gpointer p)
{
  MgTapStream *s = p;
  if (s->pipeline) {
    gst_element_set_state(s->pipeline, GST_STATE_NULL);
    gst_object_unref(s->pipeline);
  }
  g_clear_pointer(&s->src, gst_object_unref);
  g_free(s->track);
  g_free(s);
}

/* ---- reports to the control loop ---- */

typedef struct {
  MgTap *tap;
  char *track, *message;
  gboolean done;
} MgTapReport;

static void
report_free(gpointer p)
{
  MgTapReport *r = p;
  mg_tap_unref(r->tap);
  g_free(r->track);
  g_free(r->message);
  g_free(r);
}

static gboolean
deliver_report(gpointer p)
{
  MgTapReport *r = p;
  if (r->tap->freed)
    return G_SOURCE_REMOVE;
  if (r->done) {
    if (r->tap->cfg.done)
      r->tap->cfg.done(r->tap, r->tap->cfg.user_data);
  } else if (r->tap->cfg.error) {
    r->tap->cfg.error(r->tap, r->track, r->message, r->tap->cfg.user_data);
  }
  return G_SOURCE_REMOVE;
}

static void
report(MgTap *tap, const char *track, const char *message, gboolean done)
{
  MgTapReport *r = g_new0(MgTapReport, 1);
  r->tap = mg_tap_ref(tap);
  r->track = g_strdup(track);
  r->message = g_strdup(message);
  r->done = done;
  g_main_context_invoke_full(tap->control, G_PRIORITY_DEFAULT, deliver_report, r, report_free);
}

/* A pipeline's error: stop it, tell the control loop. */
static void
stream_failed(MgTap *tap, MgTapStream *s, const GError *err, const char *where)
{
  g_autofree char *msg = where ? g_strdup_printf("%s (in %s)", err->message, where) : g_strdup(err->message);
  g_warning("tap: track %s: %s", s->track, msg);
  s->ended = TRUE;
  if (s->pipeline)
    gst_element_set_state(s->pipeline, GST_STATE_NULL);
  report(tap, s->track, msg, FALSE);
}

static void
handle_message(MgTap *tap, MgTapStream *s, GstMessage *m)
{
  if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
    g_autoptr(GError) err = NULL;
    g_autofree char *debug = NULL;
    gst_message_parse_error(m, &err, &debug);
    g_debug("tap: track %s: %s", s->track, debug ? debug : "");
    stream_failed(tap, s, err, GST_MESSAGE_SRC_NAME(m));
  }
}

static void
poll_buses(MgTap *tap, gint64 now_us)
{
  if (now_us - tap->last_poll_us < BUS_POLL_US)
    return;
  tap->last_poll_us = now_us;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, tap->streams);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    MgTapStream *s = value;
    if (!s->pipeline || s->ended)
      continue;
    g_autoptr(GstBus) bus = gst_element_get_bus(s->pipeline);
    GstMessage *m;
    while (!s->ended && (m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR))) {
      handle_message(tap, s, m);
      gst_message_unref(m);
    }
  }
}

/* ---- streams, on the tap's thread ---- */

static void
stream_start(MgTap *tap, MgTapItem *it)
{
  MgTapStream *s = g_new0(MgTapStream, 1);
  s->id = it->stream;
  s->track = g_strdup(it->track);
  g_hash_table_insert(tap->streams, GUINT_TO_POINTER(s->id), s);
  MgTapTrack info = { it->track, it->party, it->kind, it->encoding, it->clock_rate, it->pt, it->at_us };
  g_autoptr(GError) error = NULL;
  GstElement *p = tap->cfg.pipeline(&info, tap->cfg.user_data, &error);
  if (!p) {
    s->ended = TRUE;
    if (error)
      stream_failed(tap, s, error, NULL);
    return;
  }
  s->pipeline = gst_object_ref_sink(p);
  GstElement *src = GST_IS_PIPELINE(p) ? gst_bin_get_by_name(GST_BIN(p), "src") : NULL;
  if (!GST_IS_APP_SRC(src)) {
    GError e = { GST_CORE_ERROR, GST_CORE_ERROR_FAILED, (char *)"the pipeline has no appsrc named src" };
    g_clear_pointer(&src, gst_object_unref);
    stream_failed(tap, s, &e, NULL);
    return;
  }
  s->src = src;
  g_autoptr(GstCaps) caps = gst_caps_new_simple("application/x-rtp", "media", G_TYPE_STRING, it->kind, "encoding-name",
                                                G_TYPE_STRING, it->encoding, "clock-rate", G_TYPE_INT,
                                                (gint)it->clock_rate, "payload", G_TYPE_INT, (gint)it->pt, NULL);
  g_object_set(src, "caps", caps, "is-live", TRUE, "format", GST_FORMAT_TIME, "do-timestamp", FALSE, NULL);
  /* Running time counts from the tap's start (or when the track joined), on the clock
   * the worker stamps packets with (GStreamer's system clock and
   * g_get_monotonic_time() are both CLOCK_MONOTONIC): packets queued while
   * the pipeline was being built keep their true spacing. */
  g_autoptr(GstClock) clock = gst_system_clock_obtain();
  gst_pipeline_use_clock(GST_PIPELINE(p), clock);
  gst_element_set_start_time(p, GST_CLOCK_TIME_NONE);
  gint64 base_us = tap->cfg.start_us ? tap->cfg.start_us : it->at_us;
  gst_element_set_base_time(p, (GstClockTime)base_us * GST_USECOND);
  if (gst_element_set_state(p, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_autoptr(GstBus) bus = gst_element_get_bus(p);
    GstMessage *m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    if (m) {
      handle_message(tap, s, m);
      gst_message_unref(m);
    } else {
      GError e = { GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE, (char *)"the pipeline would not start" };
      stream_failed(tap, s, &e, NULL);
    }
    return;
  }
  gst_element_get_state(p, NULL, NULL, GST_SECOND);
  g_info("tap: track %s (%s %s) started", it->track, it->kind, it->encoding);
}

/* EOS into the stream and wait for it to come out, so muxers finish their files. */
static void
stream_finish(MgTap *tap, MgTapStream *s)
{
  if (s->ended || !s->pipeline)
    return;
  s->ended = TRUE;
  gst_app_src_end_of_stream(GST_APP_SRC(s->src));
  g_autoptr(GstBus) bus = gst_element_get_bus(s->pipeline);
  GstMessage *m = gst_bus_timed_pop_filtered(bus, EOS_WAIT, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  if (!m) {
    GError e = { GST_CORE_ERROR, GST_CORE_ERROR_FAILED, (char *)"the pipeline did not finish in time" };
    stream_failed(tap, s, &e, NULL);
  } else {
    handle_message(tap, s, m);
    gst_message_unref(m);
  }
  gst_element_set_state(s->pipeline, GST_STATE_NULL);
  g_info("tap: track %s finished", s->track);
}

static void
stream_push(MgTap *tap, MgTapItem *it)
{
  MgTapStream *s = g_hash_table_lookup(tap->streams, GUINT_TO_POINTER(it->stream));
  if (!s || s->ended)
    return;
  /* The arrival time on the worker, as running time. */
  GstClockTime base = gst_element_get_base_time(s->pipeline);
  GstClockTime at = (GstClockTime)it->at_us * GST_USECOND;
  GST_BUFFER_PTS(it->buf) = at > base ? at - base : 0;
  GST_BUFFER_DTS(it->buf) = GST_CLOCK_TIME_NONE;
  gst_app_src_push_buffer(GST_APP_SRC(s->src), g_steal_pointer(&it->buf));
}

static gpointer
tap_main(gpointer p)
{
  MgTap *tap = p;
  gboolean stop = FALSE;
  while (!stop) {
    MgTapItem *it = mg_tap_queue_pop(tap->queue, POP_WAIT_US, NULL);
    if (it) {
      switch (it->type) {
      case ITEM_PACKET:
        stream_push(tap, it);
        break;
      case ITEM_ADD:
        stream_start(tap, it);
        break;
      case ITEM_REMOVE: {
        MgTapStream *s = g_hash_table_lookup(tap->streams, GUINT_TO_POINTER(it->stream));
        if (s)
          stream_finish(tap, s);
        break;
      }
      case ITEM_STOP:
        stop = TRUE;
        break;
      }
      item_free(it);
    }
    poll_buses(tap, g_get_monotonic_time());
  }
  GHashTableIter iter;
  gpointer value;
  g_hash_table_iter_init(&iter, tap->streams);
  while (g_hash_table_iter_next(&iter, NULL, &value))
    stream_finish(tap, value);
  g_hash_table_remove_all(tap->streams);
  report(tap, NULL, NULL, TRUE);
  return NULL;
}

/* ---- life ---- */

MgTap *
mg_tap_new(const MgTapConfig *config)
{
  gst_init(NULL, NULL); /* once per process; later calls return at once */
  MgTap *tap = g_new0(MgTap, 1);
  tap->ref = 1;
  tap->cfg = *config;
  tap->control = g_main_context_ref_thread_default();
  tap->queue = mg_tap_queue_new(config->max_queued ? config->max_queued : DEFAULT_MAX_QUEUED, item_free);
  tap->keys = g_hash_table_new(g_direct_hash, g_direct_equal);
  tap->streams = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, stream_free);
  tap->thread = g_thread_new("mg-tap", tap_main, mg_tap_ref(tap));
  return tap;
}

MgTap *
mg_tap_ref(MgTap *tap)
{
  g_atomic_int_inc(&tap->ref);
  return tap;
}

void
mg_tap_unref(MgTap *tap)
{
  if (!tap || !g_atomic_int_dec_and_test(&tap->ref))
    return;
  mg_tap_queue_free(tap->queue);
  g_hash_table_unref(tap->keys);
  g_hash_table_unref(tap->streams);
  g_main_context_unref(tap->control);
  g_free(tap);
}

void
mg_tap_stop(MgTap *tap)
{
  if (!g_atomic_int_compare_and_exchange(&tap->stopping, 0, 1))
    return;
  MgTapItem *it = g_new0(MgTapItem, 1);
  it->type = ITEM_STOP;
  mg_tap_queue_push_control(tap->queue, it);
}

void
mg_tap_set_end(MgTap *tap, gint64 now_us)
{
  gint64 none = 0;
  __atomic_compare_exchange_n(&tap->end_us, &none, now_us, FALSE, __ATOMIC_RELAXED, __ATOMIC_RELAXED);
}

void
mg_tap_free(MgTap *tap)
{
  if (!tap)
    return;
  tap->freed = TRUE;
  mg_tap_stop(tap);
  if (tap->thread) {
    g_thread_join(tap->thread);
    tap->thread = NULL;
    mg_tap_unref(tap); /* the thread's reference */
  }
  mg_tap_unref(tap);
}

guint64
mg_tap_get_dropped(MgTap *tap)
{
  return mg_tap_queue_get_dropped(tap->queue);
}

guint64
mg_tap_get_packets(MgTap *tap)
{
  return __atomic_load_n(&tap->packets, __ATOMIC_RELAXED);
}

/* ---- worker side ---- */

gboolean
mg_tap_track_added(MgTap *tap, gconstpointer key, const MgTapTrack *track, gint64 now_us)
{
  if (g_atomic_int_get(&tap->stopping) || g_hash_table_contains(tap->keys, key))
    return FALSE;
  MgTapItem *it = g_new0(MgTapItem, 1);
  it->type = ITEM_ADD;
  it->stream = ++tap->next_stream;
  it->track = g_strdup(track->track);
  it->party = g_strdup(track->party);
  it->kind = g_strdup(track->kind);
  it->encoding = g_strdup(track->encoding);
  it->clock_rate = track->clock_rate;
  it->pt = track->pt;
  it->at_us = now_us;
  g_hash_table_insert(tap->keys, (gpointer)key, GUINT_TO_POINTER(it->stream));
  mg_tap_queue_push_control(tap->queue, it);
  return TRUE;
}

void
mg_tap_track_removed(MgTap *tap, gconstpointer key)
{
  guint stream = GPOINTER_TO_UINT(g_hash_table_lookup(tap->keys, key));
  if (!stream)
    return;
  g_hash_table_remove(tap->keys, key);
  MgTapItem *it = g_new0(MgTapItem, 1);
  it->type = ITEM_REMOVE;
  it->stream = stream;
  mg_tap_queue_push_control(tap->queue, it);
}

void
mg_tap_push(MgTap *tap, gconstpointer key, const guint8 *buf, gsize len, gint64 now_us)
{
  guint stream = GPOINTER_TO_UINT(g_hash_table_lookup(tap->keys, key));
  gint64 end = __atomic_load_n(&tap->end_us, __ATOMIC_RELAXED);
  if (!stream || (end && now_us > end))
    return;
  MgTapItem *it = g_new0(MgTapItem, 1);
  it->type = ITEM_PACKET;
  it->stream = stream;
  it->at_us = now_us;
  it->buf = gst_buffer_new_memdup(buf, len);
  if (mg_tap_queue_push(tap->queue, it))
    __atomic_add_fetch(&tap->packets, 1, __ATOMIC_RELAXED);
}

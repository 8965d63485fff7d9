/* SPDX-License-Identifier: MIT
 * Router taps: a tap follows a room's tracks and gets a copy of their
 * decrypted RTP off the forwarding path, through a bounded queue, into one
 * GStreamer pipeline (appsrc) per track that runs on the tap's own thread. */
#pragma once

#include <glib.h>
#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct MgTap MgTap;
typedef struct MgTapQueue MgTapQueue;

typedef struct {
  const char *track;    /* the router's track id */
  const char *party;    /* its publisher's participant, or NULL */
  const char *kind;     /* "audio" | "video" */
  const char *encoding; /* RTP encoding name: "OPUS", "VP8", "VP9", "H264" */
  guint clock_rate;
  guint8 pt;
  gint64 start_us; /* monotonic: when the track joined the tap */
} MgTapTrack;

/* On the tap's thread: a pipeline for a new track, with an appsrc named
 * "src" and the caps left to the tap; NULL (and error set) skips the track.
 * (transfer full: floating refs are sunk by the tap) */
typedef GstElement *(*MgTapPipelineFunc)(const MgTapTrack *track, gpointer user_data, GError **error);
/* On the control loop: a track's pipeline failed (its bus said error, or it
 * would not start); the tap has stopped that pipeline. */
typedef void (*MgTapErrorFunc)(MgTap *tap, const char *track, const char *message, gpointer user_data);
/* On the control loop: after mg_tap_stop() (or when the room closed), every
 * pipeline has finished (EOS or failed) and the tap's thread has ended. */
typedef void (*MgTapDoneFunc)(MgTap *tap, gpointer user_data);

typedef struct {
  MgTapPipelineFunc pipeline;
  MgTapErrorFunc error;
  MgTapDoneFunc done;
  gpointer user_data; /* must outlive the done callback */
  guint max_queued;   /* packets waiting for the pipelines; 0 = 2000 */
  gint64 start_us;    /* monotonic time that is running time 0 of every pipeline; 0 = when each track joins */
} MgTapConfig;

/* Called on the control loop; the tap reports there. Attach it to a room
 * with mg_media_engine_add_tap(). (transfer full) */
MgTap *mg_tap_new(const MgTapConfig *config);
/* Asks the tap to finish: its pipelines get EOS so their files are complete,
 * then done runs. Safe from any thread, more than once. */
void mg_tap_stop(MgTap *tap);
/* Packets that arrive after now_us (monotonic) are left out: the tap's end
 * is when it was asked for, not when the room's worker gets to detaching it.
 * The first call counts. Safe from any thread. */
void mg_tap_set_end(MgTap *tap, gint64 now_us);
/* Joins the tap's thread (after stopping it) and frees it; no callback runs afterwards. */
void mg_tap_free(MgTap *tap);
/* Packets dropped because the pipelines fell behind; and packets taken. */
guint64 mg_tap_get_dropped(MgTap *tap);
guint64 mg_tap_get_packets(MgTap *tap);

/* Room side, on the room's worker (media/room.c, media/router.c). */
MgTap *mg_tap_ref(MgTap *tap);
void mg_tap_unref(MgTap *tap);
/* A track has media (or the tap was attached while it had): returns TRUE
 * when the tap takes it (the room then asks its publisher for a keyframe).
 * now_us (monotonic) is where the track's recorded time starts. */
gboolean mg_tap_track_added(MgTap *tap, gconstpointer key, const MgTapTrack *track, gint64 now_us);
void mg_tap_track_removed(MgTap *tap, gconstpointer key);
/* One RTP packet of the track named by key; copies it, never blocks. */
void mg_tap_push(MgTap *tap, gconstpointer key, const guint8 *buf, gsize len, gint64 now_us);

/* The bounded queue between the worker and the tap's thread (pure; unit
 * tested). Packets beyond max are dropped and counted; control items are
 * never dropped. */
MgTapQueue *mg_tap_queue_new(guint max, GDestroyNotify free_item);
void mg_tap_queue_free(MgTapQueue *q);
/* Returns FALSE (and frees item) when the queue is full. */
gboolean mg_tap_queue_push(MgTapQueue *q, gpointer item);
void mg_tap_queue_push_control(MgTapQueue *q, gpointer item);
/* The oldest item, or NULL after timeout_us (0: do not wait). is_control
 * tells which kind it was. (transfer full) */
gpointer mg_tap_queue_pop(MgTapQueue *q, gint64 timeout_us, gboolean *is_control);
guint mg_tap_queue_get_length(MgTapQueue *q);
guint64 mg_tap_queue_get_dropped(MgTapQueue *q);

G_END_DECLS

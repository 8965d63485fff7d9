/* SPDX-License-Identifier: MIT
 * Live streaming out of a room: a router tap decodes each track into a slot
 * of a live composite (compositor grid + audiomixer), encoded as H.264 + AAC
 * with a keyframe every 2 s and sent to an RTMP server or written as HLS.
 * Runs on the control loop. */
#pragma once

#include <glib.h>

#include "media/engine.h"

G_BEGIN_DECLS

typedef struct MgStreamer MgStreamer;

typedef enum {
  MG_STREAMER_RTMP,
  MG_STREAMER_HLS,
} MgStreamerKind;

typedef enum {
  MG_STREAMER_LIVE,     /* the output pipeline runs */
  MG_STREAMER_RETRYING, /* RTMP: the output failed; it is restarted after a backoff */
  MG_STREAMER_STOPPED,  /* stopped on request */
  MG_STREAMER_FAILED,   /* stopped by an error (HLS), or could not start */
} MgStreamerState;

/* Starts streaming room: to url (RTMP, "rtmp://host/app/key"), or as HLS
 * into dir (playlist.m3u8 and segment*.ts). NULL with error when the output
 * pipeline cannot be made. (transfer full) */
MgStreamer *mg_streamer_start(MgMediaEngine *engine, const char *room, MgStreamerKind kind, const char *target,
                              GError **error);
/* Stops the stream (the tap is detached, the output ends). */
void mg_streamer_stop(MgStreamer *s);
void mg_streamer_free(MgStreamer *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgStreamer, mg_streamer_free)

MgStreamerState mg_streamer_get_state(MgStreamer *s);
const char *mg_streamer_state_name(MgStreamerState state);
/* The last output error, or NULL. */
const char *mg_streamer_get_error(MgStreamer *s);
/* Times the output was restarted after an error. */
guint mg_streamer_get_restarts(MgStreamer *s);
guint64 mg_streamer_get_dropped(MgStreamer *s);

/* Backoff before the n-th restart (n from 1), in milliseconds: 1 s doubling
 * up to 30 s. */
guint mg_streamer_backoff_ms(guint n);
/* The tile of slot i among n videos in a w x h frame. */
void mg_streamer_tile(guint i, guint n, guint w, guint h, guint *x, guint *y, guint *tw, guint *th);
/* The output pipeline's description ("rtmp": target is the URL; "hls":
 * target is the directory); channel prefixes name the inter elements.
 * (transfer full) */
char *mg_streamer_describe_output(MgStreamerKind kind, const char *prefix);

G_END_DECLS

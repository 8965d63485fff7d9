/* SPDX-License-Identifier: MIT
 * Ingest: an RTSP camera or a media file/URL joins a room as a participant.
 * A GStreamer pipeline decodes the source, encodes VP8 and Opus, and its
 * RTP enters the room as a local publisher (mg_media_engine_add_local).
 * Runs on the control loop; the pipeline on GStreamer's threads. */
#pragma once

#include <glib.h>

#include "media/engine.h"

G_BEGIN_DECLS

typedef struct MgIngest MgIngest;

typedef enum {
  MG_INGEST_STARTING, /* the pipeline is opening the source */
  MG_INGEST_RUNNING,  /* media flows into the room */
  MG_INGEST_RETRYING, /* the source failed; a restart is scheduled (RTSP, HTTP) */
  MG_INGEST_ENDED,    /* a file reached its end */
  MG_INGEST_FAILED,   /* the source cannot be played; no restart */
} MgIngestState;

/* On the control loop, when the state changed. */
typedef void (*MgIngestFunc)(MgIngest *ingest, gpointer user_data);

/* FALSE with error unless url is rtsp://, rtsps://, file:///, http:// or
 * https:// with a host (or a path for file) and no control characters. */
gboolean mg_ingest_check_url(const char *url, GError **error);

/* Starts ingesting url into room as the participant party (the tag of its
 * tracks). Backoff: a live source that fails or goes silent for
 * silence_s (0 = 5) is restarted after 1, 2, 4 ... 30 s. transcode FALSE:
 * VP8 video passes through as it comes (no decoding, no encoding); other
 * codecs are transcoded all the same. (transfer full) */
MgIngest *mg_ingest_start(MgMediaEngine *engine, const char *room, const char *party, const char *url, guint silence_s,
                          gboolean transcode, MgIngestFunc changed, gpointer user_data, GError **error);
/* Stops the pipeline and takes the publisher out of the room. */
void mg_ingest_free(MgIngest *ingest);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgIngest, mg_ingest_free)

MgIngestState mg_ingest_get_state(MgIngest *ingest);
const char *mg_ingest_state_name(MgIngestState state);
/* The latest error (kept while retrying), or NULL. */
const char *mg_ingest_get_error(MgIngest *ingest);
/* The publisher's peer id in the room (its track ids start with it). */
const char *mg_ingest_get_peer(MgIngest *ingest);
guint mg_ingest_get_restarts(MgIngest *ingest);
/* How the source's video reaches the room: "passthrough" (as it came),
 * "transcoded" (decoded and encoded as VP8), or NULL before it has any. */
const char *mg_ingest_get_video_path(MgIngest *ingest);
/* RTP packets sent into the room, per kind ("audio", "video"). */
guint64 mg_ingest_get_packets(MgIngest *ingest, const char *kind);

G_END_DECLS

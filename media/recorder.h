/* SPDX-License-Identifier: MIT
 * Per-track recording of a room without transcoding: a router tap feeds each
 * track through its RTP depayloader into WebM (VP8, VP9, Opus) or Matroska
 * (H.264) files in one directory. Runs on the control loop. */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "media/engine.h"

G_BEGIN_DECLS

typedef struct MgRecorder MgRecorder;

typedef enum {
  MG_RECORDER_RECORDING,
  MG_RECORDER_STOPPING, /* EOS on its way through the pipelines, then the composite */
  MG_RECORDER_STOPPED,  /* files complete */
  MG_RECORDER_FAILED,   /* stopped by an error; the files written so far remain */
} MgRecorderState;

/* On the control loop: the recorder reached STOPPED or FAILED (or, for the
 * changed function of mg_recorder_set_observer(), its manifest changed). */
typedef void (*MgRecorderFunc)(MgRecorder *rec, gpointer user_data);
/* On the control loop: the display name of participant party, or NULL.
 * (transfer full) */
typedef char *(*MgRecorderNameFunc)(const char *party, gpointer user_data);

/* Creates dir (and its parents) and starts recording room's tracks, those
 * with media now and those that come later; now_us (monotonic) is time 0 of
 * every file, so the files of one recording line up. composite ("webm",
 * "mp4" or NULL): after the tracks, compose them into composite.<format>
 * (media/composite.h) before finishing. NULL with error when dir cannot be
 * made. (transfer full) */
MgRecorder *mg_recorder_start(MgMediaEngine *engine, const char *room, const char *dir, const char *composite,
                              gint64 now_us, MgRecorderFunc finished, gpointer user_data, GError **error);
/* Stops recording: what arrives after now_us (monotonic) is left out; the
 * files are finalized, then finished runs. An error other than NULL makes
 * the end a failure with that error. */
void mg_recorder_stop(MgRecorder *rec, const char *error, gint64 now_us);
/* Stops what still runs (a composite is cancelled), finishing the track files. */
void mg_recorder_free(MgRecorder *rec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgRecorder, mg_recorder_free)

/* Names for tracks and speakers come from names; changed runs when a track
 * or a speaker change is added to the manifest. */
void mg_recorder_set_observer(MgRecorder *rec, MgRecorderNameFunc names, MgRecorderFunc changed, gpointer user_data);
/* The room's active speaker is now the publisher of audio track track
 * (participant party, or NULL): the composite's layout follows it from
 * now_us (monotonic) on. Ignored once the recording stops. */
void mg_recorder_speaker(MgRecorder *rec, const char *track, const char *party, gint64 now_us);
/* {"tracks": [{file, kind, track, participant, name, start_ms}],
 *  "speakers": [{at_ms, track, participant, name}]}: times since the start.
 * (transfer full) */
json_t *mg_recorder_get_manifest(MgRecorder *rec);
/* The publisher a track id belongs to: the id without its "-<mid>". (transfer full) */
char *mg_recorder_track_source(const char *track);

/* The monotonic time (µs) the recording started at. */
gint64 mg_recorder_get_start(MgRecorder *rec);
MgRecorderState mg_recorder_get_state(MgRecorder *rec);
const char *mg_recorder_state_name(MgRecorderState state);
const char *mg_recorder_get_room(MgRecorder *rec);
const char *mg_recorder_get_dir(MgRecorder *rec);
/* The first error, or NULL. */
const char *mg_recorder_get_error(MgRecorder *rec);
/* Packets the pipelines could not keep up with. */
guint64 mg_recorder_get_dropped(MgRecorder *rec);

/* The pipeline description for one track, "appsrc name=src ! ... ! filesink
 * name=sink", and the file's extension; FALSE for an encoding we cannot
 * record without transcoding. */
gboolean mg_recorder_describe(const char *encoding, const char **description, const char **extension);
/* A file name for a track: kind-track.ext, with only [A-Za-z0-9_-] from the
 * track id. (transfer full) */
char *mg_recorder_file_name(const char *kind, const char *track, const char *extension);

G_END_DECLS

/* SPDX-License-Identifier: MIT
 * Composite recording: the per-track files of a recording composed into one
 * file, the videos as labelled tiles (a grid, or the active speaker large
 * above a strip of the others) and the audio mixed, encoded as WebM (VP8 +
 * Opus) or MP4 (H.264 + AAC). Runs offline, after the recording, on a thread
 * of its own. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MG_COMPOSITE_WIDTH 1280
#define MG_COMPOSITE_HEIGHT 720
/* Videos beyond this many get no tile (their audio is still mixed). */
#define MG_COMPOSITE_MAX_TILES 16

typedef struct {
  gint x, y, width, height;
} MgCompositeRect;

/* One track file of the recording. */
typedef struct {
  const char *file;   /* its name in the directory: video-* or audio-* */
  const char *label;  /* shown on a video's tile, or NULL */
  const char *source; /* its publisher (one key per publisher), or NULL */
  gint64 start_ms;    /* when it joined the recording (its first frame goes there); -1: at the file's own first time */
} MgCompositeTrack;

/* From at_ms (since the recording's start) on, source speaks. */
typedef struct {
  gint64 at_ms;
  const char *source;
} MgCompositeSpeaker;

typedef struct {
  const MgCompositeTrack *tracks;
  guint n_tracks;
  const MgCompositeSpeaker *speakers; /* by time */
  guint n_speakers;
} MgCompositePlan;

/* "webm" or "mp4"; FALSE for anything else. */
gboolean mg_composite_format_valid(const char *format);
/* The grid for n videos: columns and rows. */
void mg_composite_grid(guint n, guint *cols, guint *rows);
/* The tiles of n videos (1..MG_COMPOSITE_MAX_TILES) in a width x height
 * frame, into rects[0..n-1]: a grid when speaker is -1, else tile speaker
 * large on top and the others in a strip below it. */
void mg_composite_layout(guint n, gint speaker, guint width, guint height, MgCompositeRect *rects);
/* The tile index of the speaker's video: the first video in plan whose
 * source is source, among the first MG_COMPOSITE_MAX_TILES; -1 when none. */
gint mg_composite_speaker_tile(const MgCompositePlan *plan, const char *source);
/* Composes the plan's files (in dir) into dir/out (its extension is the
 * format's). Blocks until done; cancel, when set (atomically) to non-zero,
 * stops it with an error. */
gboolean mg_composite_run(const char *dir, const MgCompositePlan *plan, const char *format, const char *out,
                          const gint *cancel, GError **error);

G_END_DECLS

/* SPDX-License-Identifier: MIT
 * Composite recording: the per-track files of a recording composed into one
 * file, the videos in a grid and the audio mixed, encoded as WebM (VP8 +
 * Opus) or MP4 (H.264 + AAC). Runs offline, after the recording, on a thread
 * of its own. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* "webm" or "mp4"; FALSE for anything else. */
gboolean mg_composite_format_valid(const char *format);
/* The grid for n videos in a width x height frame: columns and rows. */
void mg_composite_grid(guint n, guint *cols, guint *rows);
/* Composes files (NULL-terminated names in dir, named video-* and audio-*)
 * into dir/out (its extension is the format's). Blocks until done; cancel,
 * when set (atomically) to non-zero, stops it with an error. */
gboolean mg_composite_run(const char *dir, char **files, const char *format, const char *out, const gint *cancel,
                          GError **error);

G_END_DECLS

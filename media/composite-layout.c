/* SPDX-License-Identifier: MIT
 * Where each video's tile goes in the composite: pure functions, unit tested. */
#include "media/composite.h"

#include <string.h>

void
mg_composite_grid(guint n, guint *cols, guint *rows)
{
  guint c = 1;
  while (c * c < n)
    c++;
  *cols = c;
  *rows = n ? (n + c - 1) / c : 1;
}

static void
grid(guint n, guint width, guint height, MgCompositeRect *rects)
{
  guint cols, rows;
  mg_composite_grid(n, &cols, &rows);
  guint w = width / cols, h = height / rows;
  for (guint i = 0; i < n; i++) {
    guint row = i / cols;
    /* The last row, when not full, is centred. */
    guint in_row = row == rows - 1 ? n - row * cols : cols;
    guint left = (width - in_row * w) / 2;
    rects[i] = (MgCompositeRect){ (gint)(left + (i % cols) * w), (gint)(row * h), (gint)w, (gint)h };
  }
}

void
mg_composite_layout(guint n, gint speaker, guint width, guint height, MgCompositeRect *rects)
{
  if (n == 0)
    return;
  n = MIN(n, MG_COMPOSITE_MAX_TILES);
  if (speaker < 0 || (guint)speaker >= n || n == 1) {
    grid(n, width, height, rects);
    return;
  }
  /* The speaker gets the top three quarters; the others share the bottom
   * quarter, each at most 16:9 of the strip's height, centred. */
  guint strip_h = height / 4, big_h = height - strip_h, others = n - 1;
  guint w = MIN(width / others, strip_h * 16 / 9);
  guint left = (width - others * w) / 2;
  rects[speaker] = (MgCompositeRect){ 0, 0, (gint)width, (gint)big_h };
  for (guint i = 0, k = 0; i < n; i++) {
    if ((gint)i == speaker)
      continue;
    rects[i] = (MgCompositeRect){ (gint)(left + k * w), (gint)big_h, (gint)w, (gint)strip_h };
    k++;
  }
}

gint
mg_composite_speaker_tile(const MgCompositePlan *plan, const char *source)
{
  gint tile = 0;
  for (guint i = 0; source && i < plan->n_tracks && tile < MG_COMPOSITE_MAX_TILES; i++) {
    if (!g_str_has_prefix(plan->tracks[i].file, "video-"))
      continue;
    if (!g_strcmp0(plan->tracks[i].source, source))
      return tile;
    tile++;
  }
  return -1;
}

/* SPDX-License-Identifier: MIT
 * malloc_trim on a timer (docs/hardening.md, signaling load: RSS). */
#define G_LOG_DOMAIN "daemon"
#include "gateway/memtrim.h"

#include <malloc.h>

gboolean
mg_memtrim_run(void)
{
  return malloc_trim(0) != 0;
}

static gboolean
on_timer(gpointer data)
{
  (void)data;
  gint64 t0 = g_get_monotonic_time();
  gboolean released = mg_memtrim_run();
  g_debug("malloc_trim: %s in %" G_GINT64_FORMAT " us", released ? "released memory" : "nothing to release",
          g_get_monotonic_time() - t0);
  return G_SOURCE_CONTINUE;
}

guint
mg_memtrim_start(guint interval_s)
{
  return g_timeout_add_seconds(interval_s, on_timer, NULL);
}

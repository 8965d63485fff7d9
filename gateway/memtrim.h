/* SPDX-License-Identifier: MIT
 * Hands the heap memory the process has freed back to the kernel now and
 * then: glibc keeps it after a burst of connections otherwise. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Gives free heap pages back to the kernel now. Returns TRUE when some were. */
gboolean mg_memtrim_run(void);
/* Calls mg_memtrim_run every interval_s seconds on the thread-default main
 * context. Returns the source id (remove it with g_source_remove). */
guint mg_memtrim_start(guint interval_s);

G_END_DECLS

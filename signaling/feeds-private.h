/* SPDX-License-Identifier: MIT
 * Shared between feeds.c (sync and apply) and feeds-running.c (the
 * occurrence that runs now, removed by a calendar change). */
#pragma once

#include "signaling/meeting.h"
#include "signaling/store.h"

G_BEGIN_DECLS

/* m is a series as a calendar now has it, not yet written. Each EXDATE it
 * adds that removes the occurrence running at now_s (its room is open: from
 * its start minus the lead time to its end) is cancelled in the store like
 * the meetings API's occurrence cancel, so that its room closes with reason
 * "cancelled". Runs before m's upsert, while the occurrence still exists.
 * Returns how many occurrences it cancelled. */
guint mg_feeds_cancel_running_exdates(MgStore *store, const MgMeeting *m, gint64 now_s);

G_END_DECLS

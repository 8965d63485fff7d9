/* SPDX-License-Identifier: MIT
 * The scheduler: from the meetings store, the events of each occurrence
 * (room opens, reminders, room closes), each fired once even across
 * restarts. Time is always passed in; the daemon's GSource reads the clock. */
#pragma once

#include <glib.h>

#include "signaling/meetings.h"

G_BEGIN_DECLS

typedef enum {
  MG_SCHEDULE_OPEN,     /* start - lead: the room opens */
  MG_SCHEDULE_REMINDER, /* start - offset */
  MG_SCHEDULE_CLOSE,    /* end + grace: the room closes */
} MgScheduleKind;

const char *mg_schedule_kind_name(MgScheduleKind kind);

typedef struct {
  MgScheduleKind kind;
  gint64 at;                    /* when it is due (UTC seconds) */
  gint64 offset_s;              /* reminders: seconds before the start (0 = at the start) */
  const MgMeetingsEntry *entry; /* borrowed for the call */
  gint64 start, end;            /* the occurrence */
  gint64 recurrence_id;
} MgScheduleEvent;

/* Called inside the store transaction that records the event as fired: a
 * handler that writes to the store (an outbox) commits with it, exactly once. */
typedef void (*MgSchedulerHandler)(const MgScheduleEvent *event, gpointer user_data);

#define MG_SCHEDULER_MAX_REMINDERS 8
/* Events due longer ago than this when meetgate comes back are dropped. */
#define MG_SCHEDULER_LATE_LIMIT_S (24 * 3600)
/* Occurrences longer than this may miss their close event. */
#define MG_SCHEDULER_MAX_DURATION_S (7 * 24 * 3600)

typedef struct {
  gint64 lead_s;
  gint64 grace_s;
  gint64 reminders_s[MG_SCHEDULER_MAX_REMINDERS]; /* seconds before the start */
  guint n_reminders;
} MgSchedulerSettings;

typedef struct MgScheduler MgScheduler;

/* store is borrowed. (transfer full) */
MgScheduler *mg_scheduler_new(MgStore *store, const MgSchedulerSettings *settings, MgSchedulerHandler handler,
                              gpointer user_data);
void mg_scheduler_free(MgScheduler *sched);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgScheduler, mg_scheduler_free)

/* Fires, in time order, every event due at or before now_s that was not
 * fired yet (recomputed from the store each time). Returns how many fired. */
guint mg_scheduler_run_until(MgScheduler *sched, gint64 now_s);
/* When the next event after now_s is due, or 0 if none within a day. */
gint64 mg_scheduler_next_at(MgScheduler *sched, gint64 now_s);

/* Parses "10,0" (minutes before the start; "none" or "": no reminders) into settings. */
gboolean mg_scheduler_parse_reminders(const char *text, MgSchedulerSettings *settings, GError **error);

G_END_DECLS

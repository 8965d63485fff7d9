/* SPDX-License-Identifier: MIT
 * Scheduler: events computed from the meetings store, fired once each; the
 * scheduler_fired table remembers what fired (see docs/meetings.md). */
#define G_LOG_DOMAIN "scheduler"
#include "signaling/scheduler.h"

#include <sqlite3.h>
#include <string.h>

#define LOOKAHEAD_S (24 * 3600)

struct MgScheduler {
  MgStore *store;
  MgSchedulerSettings settings;
  MgSchedulerHandler handler;
  gpointer user_data;
};

static const char *const kind_names[] = { "open", "reminder", "close" };

const char *
mg_schedule_kind_name(MgScheduleKind kind)
{
  return kind < G_N_ELEMENTS(kind_names) ? kind_names[kind] : "?";
}

MgScheduler *
mg_scheduler_new(MgStore *store, const MgSchedulerSettings *settings, MgSchedulerHandler handler, gpointer user_data)
{
  MgScheduler *sched = g_new0(MgScheduler, 1);
  sched->store = store;
  sched->settings = *settings;
  sched->handler = handler;
  sched->user_data = user_data;
  return sched;
}

void
mg_scheduler_free(MgScheduler *sched)
{
  g_free(sched);
}

gboolean
mg_scheduler_parse_reminders(const char *text, MgSchedulerSettings *s, GError **error)
{
  s->n_reminders = 0;
  if (text && !g_ascii_strcasecmp(text, "none"))
    return TRUE;
  g_auto(GStrv) parts = g_strsplit(text ? text : "", ",", -1);
  for (char **p = parts; *p; p++) {
    g_strstrip(*p);
    if (!**p)
      continue;
    guint64 minutes;
    if (!g_ascii_string_to_unsigned(*p, 10, 0, 24 * 60, &minutes, NULL) ||
        s->n_reminders == MG_SCHEDULER_MAX_REMINDERS) {
      g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                  "reminders: '%s': expected up to %d comma-separated minutes before the start (0 .. 1440)", text,
                  MG_SCHEDULER_MAX_REMINDERS);
      return FALSE;
    }
    s->reminders_s[s->n_reminders++] = minutes * 60;
  }
  return TRUE;
}

/* ---- events ---- */

static void
add_event(GArray *out, const MgMeetingsOccurrence *o, MgScheduleKind kind, gint64 at, gint64 offset, gint64 from,
          gint64 to)
{
  if (at < from || at > to)
    return;
  MgScheduleEvent ev = { kind, at, offset, o->entry, o->start, o->end, o->recurrence_id };
  g_array_append_val(out, ev);
}

static gint
cmp_event(gconstpointer a, gconstpointer b)
{
  const MgScheduleEvent *x = a, *y = b;
  if (x->at != y->at)
    return x->at < y->at ? -1 : 1;
  if (x->kind != y->kind)
    return x->kind < y->kind ? -1 : 1;
  if (x->offset_s != y->offset_s)
    return x->offset_s > y->offset_s ? -1 : 1;
  if (x->start != y->start)
    return x->start < y->start ? -1 : 1;
  return strcmp(x->entry->id, y->entry->id);
}

/* Events due in [from, to], in order; *occurrences keeps their entries alive. */
static GArray *
events_between(MgScheduler *sched, gint64 from, gint64 to, GArray **occurrences)
{
  const MgSchedulerSettings *s = &sched->settings;
  gint64 before = s->lead_s;
  for (guint i = 0; i < s->n_reminders; i++)
    before = MAX(before, s->reminders_s[i]);
  g_autoptr(GError) error = NULL;
  *occurrences =
      mg_meetings_list(sched->store, NULL, from - MG_SCHEDULER_MAX_DURATION_S - s->grace_s, to + before + 1, &error);
  GArray *out = g_array_new(FALSE, FALSE, sizeof(MgScheduleEvent));
  if (!*occurrences) {
    g_warning("cannot list meetings: %s", error->message);
    return out;
  }
  for (guint i = 0; i < (*occurrences)->len; i++) {
    const MgMeetingsOccurrence *o = &g_array_index(*occurrences, MgMeetingsOccurrence, i);
    add_event(out, o, MG_SCHEDULE_OPEN, o->start - s->lead_s, s->lead_s, from, to);
    for (guint r = 0; r < s->n_reminders; r++)
      add_event(out, o, MG_SCHEDULE_REMINDER, o->start - s->reminders_s[r], s->reminders_s[r], from, to);
    add_event(out, o, MG_SCHEDULE_CLOSE, o->end + s->grace_s, 0, from, to);
  }
  g_array_sort(out, cmp_event);
  return out;
}

/* Records ev as fired and runs the handler in one transaction; FALSE if it
 * had fired already. */
static gboolean
fire(MgScheduler *sched, const MgScheduleEvent *ev, gint64 now_s)
{
  sqlite3 *db = mg_store_get_db(sched->store);
  g_autoptr(GError) error = NULL;
  if (!mg_store_begin(sched->store, TRUE, &error)) {
    g_warning("cannot fire %s of meeting %s: %s", mg_schedule_kind_name(ev->kind), ev->entry->id, error->message);
    return FALSE;
  }
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db,
                              "INSERT OR IGNORE INTO scheduler_fired (meeting_id, occurrence_start, kind, at, "
                              "fired_at) VALUES (?, ?, ?, ?, ?)",
                              -1, &st, NULL);
  g_autofree char *kind = g_strdup_printf("%s%" G_GINT64_FORMAT, mg_schedule_kind_name(ev->kind), ev->offset_s);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, ev->entry->id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, ev->start);
    sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, ev->at);
    sqlite3_bind_int64(st, 5, now_s);
    rc = sqlite3_step(st);
  }
  sqlite3_finalize(st);
  gboolean fresh = rc == SQLITE_DONE && sqlite3_changes(db) == 1;
  if (fresh)
    sched->handler(ev, sched->user_data);
  if (!mg_store_end(sched->store, fresh, &error))
    g_warning("cannot record %s of meeting %s: %s", kind, ev->entry->id, error->message);
  return fresh;
}

static gboolean
still_useful(const MgScheduleEvent *ev, gint64 now_s)
{
  if (now_s - ev->at > MG_SCHEDULER_LATE_LIMIT_S)
    return FALSE;
  /* Late after a restart: an opening or reminder of an occurrence that is over helps nobody. */
  return ev->kind == MG_SCHEDULE_CLOSE || now_s < ev->end;
}

guint
mg_scheduler_run_until(MgScheduler *sched, gint64 now_s)
{
  GArray *occurrences = NULL;
  g_autoptr(GArray) events = events_between(sched, now_s - MG_SCHEDULER_LATE_LIMIT_S, now_s, &occurrences);
  guint fired = 0;
  for (guint i = 0; i < events->len; i++) {
    const MgScheduleEvent *ev = &g_array_index(events, MgScheduleEvent, i);
    if (still_useful(ev, now_s) && fire(sched, ev, now_s))
      fired++;
  }
  if (occurrences)
    g_array_unref(occurrences);
  /* What fired before the late limit can never be due again. */
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(mg_store_get_db(sched->store), "DELETE FROM scheduler_fired WHERE at < ?", -1, &st, NULL) ==
      SQLITE_OK) {
    sqlite3_bind_int64(st, 1, now_s - 2 * MG_SCHEDULER_LATE_LIMIT_S);
    sqlite3_step(st);
  }
  sqlite3_finalize(st);
  return fired;
}

gint64
mg_scheduler_next_at(MgScheduler *sched, gint64 now_s)
{
  GArray *occurrences = NULL;
  g_autoptr(GArray) events = events_between(sched, now_s + 1, now_s + LOOKAHEAD_S, &occurrences);
  gint64 next = events->len ? g_array_index(events, MgScheduleEvent, 0).at : 0;
  if (occurrences)
    g_array_unref(occurrences);
  return next;
}

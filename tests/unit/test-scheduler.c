/* SPDX-License-Identifier: MIT
 * A simulated day with an injected clock: a weekly meeting and two single
 * ones; every opening, reminder and closing fires once at its instant, a
 * restart repeats nothing and a crash with downtime misses nothing. */
#include "tests/unit/tmp-store.h"
#include <string.h>

#include "signaling/scheduler.h"

#define MINUTE 60
#define HOUR 3600
#define DAY (24 * HOUR)
#define WEEK0 1767261600 /* 2026-01-01 10:00 UTC: the series' first occurrence */
#define DAY0 1767830400  /* 2026-01-08 00:00 UTC: the simulated day */

typedef struct {
  gint64 at, clock, offset;
  MgScheduleKind kind;
  char *title;
} Fired;

typedef struct {
  char *dir, *path;
  MgStore *store;
  MgScheduler *sched;
  gint64 clock;
  GArray *fired; /* Fired */
} Day;

static void
fired_clear(gpointer p)
{
  g_free(((Fired *)p)->title);
}

static void
on_event(const MgScheduleEvent *ev, gpointer data)
{
  Day *d = data;
  Fired f = { ev->at, d->clock, ev->offset_s, ev->kind, g_strdup(ev->entry->meeting->title) };
  g_array_append_val(d->fired, f);
}

static void
start(Day *d)
{
  MgSchedulerSettings s = { .lead_s = 10 * MINUTE, .grace_s = 15 * MINUTE };
  g_assert_true(mg_scheduler_parse_reminders("10, 0", &s, NULL));
  d->store = mg_store_open(d->path, NULL);
  g_assert_nonnull(d->store);
  d->sched = mg_scheduler_new(d->store, &s, on_event, d);
}

static void
stop(Day *d)
{
  g_clear_pointer(&d->sched, mg_scheduler_free);
  g_clear_pointer(&d->store, mg_store_close);
}

static void
add(Day *d, const char *id, const char *title, gint64 start_at, gint64 minutes, const char *rrule, gboolean rdates)
{
  g_autoptr(MgMeeting) m = mg_meeting_new();
  m->source = g_strdup("oa");
  m->external_id = g_strdup(id);
  m->title = g_strdup(title);
  m->start = start_at;
  m->end = start_at + minutes * MINUTE;
  m->rrule = g_strdup(rrule);
  for (int w = 1; rdates && w < 4; w++) {
    gint64 t = start_at + w * 7 * DAY;
    g_array_append_val(m->rdates, t);
  }
  MgMeetingsResult r;
  g_autoptr(GError) error = NULL;
  g_assert_true(mg_meetings_upsert(d->store, m, DAY0 - 2 * DAY, &r, &error));
  g_assert_no_error(error);
  mg_meetings_result_clear(&r);
}

/* Advances the clock event by event until the next event is after limit. */
static void
run_to(Day *d, gint64 limit)
{
  for (;;) {
    gint64 next = mg_scheduler_next_at(d->sched, d->clock);
    if (!next || next > limit)
      return;
    g_assert_cmpint(next, >, d->clock);
    d->clock = next;
    g_assert_cmpuint(mg_scheduler_run_until(d->sched, d->clock), >, 0);
  }
}

static void
simulate(gboolean use_rrule)
{
  Day d = { 0 };
  d.dir = g_dir_make_tmp("mg-sched-XXXXXX", NULL);
  d.path = g_build_filename(d.dir, "day.db", NULL);
  d.fired = g_array_new(FALSE, FALSE, sizeof(Fired));
  g_array_set_clear_func(d.fired, fired_clear);
  start(&d);
  if (use_rrule)
    add(&d, "weekly", "Weekly", WEEK0, 30, "FREQ=WEEKLY", FALSE);
  else
    add(&d, "weekly", "Weekly", WEEK0, 30, NULL, TRUE);
  add(&d, "a", "A", DAY0 + 11 * HOUR, 30, NULL, FALSE);
  add(&d, "b", "B", DAY0 + 14 * HOUR, 60, NULL, FALSE);

  d.clock = DAY0;
  g_assert_cmpuint(mg_scheduler_run_until(d.sched, d.clock), ==, 0); /* last week's events are past the limit */
  run_to(&d, DAY0 + 12 * HOUR);
  /* A restart at noon: recomputed from the store, nothing repeats. */
  stop(&d);
  d.clock = DAY0 + 12 * HOUR;
  start(&d);
  g_assert_cmpuint(mg_scheduler_run_until(d.sched, d.clock), ==, 0);
  run_to(&d, DAY0 + 13 * HOUR);
  /* A crash at 13:00, back at 14:05: what came due meanwhile fires once, late. */
  stop(&d);
  d.clock = DAY0 + 14 * HOUR + 5 * MINUTE;
  start(&d);
  g_assert_cmpuint(mg_scheduler_run_until(d.sched, d.clock), ==, 3);
  g_assert_cmpuint(mg_scheduler_run_until(d.sched, d.clock), ==, 0);
  run_to(&d, DAY0 + DAY);

  static const struct {
    gint64 at;
    MgScheduleKind kind;
    gint64 offset;
    const char *title;
    gint64 clock; /* 0: on time */
  } want[] = {
    { 9 * HOUR + 50 * MINUTE, MG_SCHEDULE_OPEN, 10 * MINUTE, "Weekly", 0 },
    { 9 * HOUR + 50 * MINUTE, MG_SCHEDULE_REMINDER, 10 * MINUTE, "Weekly", 0 },
    { 10 * HOUR, MG_SCHEDULE_REMINDER, 0, "Weekly", 0 },
    { 10 * HOUR + 45 * MINUTE, MG_SCHEDULE_CLOSE, 0, "Weekly", 0 },
    { 10 * HOUR + 50 * MINUTE, MG_SCHEDULE_OPEN, 10 * MINUTE, "A", 0 },
    { 10 * HOUR + 50 * MINUTE, MG_SCHEDULE_REMINDER, 10 * MINUTE, "A", 0 },
    { 11 * HOUR, MG_SCHEDULE_REMINDER, 0, "A", 0 },
    { 11 * HOUR + 45 * MINUTE, MG_SCHEDULE_CLOSE, 0, "A", 0 },
    { 13 * HOUR + 50 * MINUTE, MG_SCHEDULE_OPEN, 10 * MINUTE, "B", 14 * HOUR + 5 * MINUTE },
    { 13 * HOUR + 50 * MINUTE, MG_SCHEDULE_REMINDER, 10 * MINUTE, "B", 14 * HOUR + 5 * MINUTE },
    { 14 * HOUR, MG_SCHEDULE_REMINDER, 0, "B", 14 * HOUR + 5 * MINUTE },
    { 15 * HOUR + 15 * MINUTE, MG_SCHEDULE_CLOSE, 0, "B", 0 },
  };
  g_assert_cmpuint(d.fired->len, ==, G_N_ELEMENTS(want));
  for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
    const Fired *f = &g_array_index(d.fired, Fired, i);
    g_assert_cmpint(f->at, ==, DAY0 + want[i].at);
    g_assert_cmpint(f->kind, ==, want[i].kind);
    g_assert_cmpint(f->offset, ==, want[i].offset);
    g_assert_cmpstr(f->title, ==, want[i].title);
    g_assert_cmpint(f->clock, ==, DAY0 + (want[i].clock ? want[i].clock : want[i].at));
  }
  /* Tomorrow is another day: only the weekly meeting is ahead, next week. */
  g_assert_cmpint(mg_scheduler_next_at(d.sched, d.clock), ==, 0);

  stop(&d);
  tmp_store_remove(NULL, d.dir, d.path);
  g_array_unref(d.fired);
}

static void
test_day_rdates(void)
{
  simulate(FALSE);
}

static void
test_day_rrule(void)
{
  g_autoptr(MgMeeting) m = mg_meeting_new();
  m->start = WEEK0;
  m->end = WEEK0 + HOUR;
  m->rrule = g_strdup("FREQ=WEEKLY");
  g_autoptr(GArray) probe = mg_meeting_expand(m, WEEK0, WEEK0 + DAY, 1, NULL);
  if (!probe) {
    g_test_skip("mg_meeting_expand of this build does not do RRULE");
    return;
  }
  simulate(TRUE);
}

static void
test_reminders_parse(void)
{
  MgSchedulerSettings s = { 0 };
  g_assert_true(mg_scheduler_parse_reminders("", &s, NULL));
  g_assert_cmpuint(s.n_reminders, ==, 0);
  g_assert_true(mg_scheduler_parse_reminders("15,5,0", &s, NULL));
  g_assert_cmpuint(s.n_reminders, ==, 3);
  g_assert_cmpint(s.reminders_s[1], ==, 5 * MINUTE);
  g_assert_false(mg_scheduler_parse_reminders("10,soon", &s, NULL));
  g_assert_false(mg_scheduler_parse_reminders("-5", &s, NULL));
  g_assert_false(mg_scheduler_parse_reminders("1,2,3,4,5,6,7,8,9", &s, NULL));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/scheduler/day-rdates", test_day_rdates);
  g_test_add_func("/scheduler/day-rrule", test_day_rrule);
  g_test_add_func("/scheduler/reminders", test_reminders_parse);
  return g_test_run();
}

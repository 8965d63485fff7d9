/* SPDX-License-Identifier: MIT
 * Recurrence expansion against hand-checked tables (UTC instants worked out
 * from the local times and the zones' offsets on those dates). */
#include <string.h>

#include "signaling/meeting.h"

static gint64
utc(const char *iso)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(iso, NULL);
  g_assert_nonnull(dt);
  return g_date_time_to_unix(dt);
}

static MgMeeting *
series(const char *tz, const char *start_utc, gint64 duration, const char *rrule)
{
  MgMeeting *m = mg_meeting_new();
  m->source = g_strdup("test");
  m->external_id = g_strdup("uid-1");
  m->timezone = g_strdup(tz);
  m->start = utc(start_utc);
  m->end = m->start + duration;
  m->rrule = g_strdup(rrule);
  return m;
}

/* Expands m over [from, to) and compares the starts with `expected` (NULL-terminated). */
static void
check(const MgMeeting *m, const char *from, const char *to, guint max, const char *const *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) occ = mg_meeting_expand(m, utc(from), utc(to), max, &error);
  g_assert_no_error(error);
  guint n = g_strv_length((char **)expected);
  for (guint i = 0; i < MIN(n, occ->len); i++) {
    MgOccurrence *o = &g_array_index(occ, MgOccurrence, i);
    g_assert_cmpint(o->start, ==, utc(expected[i]));
    g_assert_cmpint(o->end - o->start, ==, m->end - m->start);
    g_assert_cmpint(o->recurrence_id, ==, o->start);
  }
  g_assert_cmpuint(occ->len, ==, n);
}

static void
test_single(void)
{
  g_autoptr(MgMeeting) m = series(NULL, "2024-05-01T08:00:00Z", 1800, NULL);
  g_autoptr(GArray) in = mg_meeting_expand(m, utc("2024-05-01T00:00:00Z"), utc("2024-05-02T00:00:00Z"), 10, NULL);
  g_assert_cmpuint(in->len, ==, 1);
  g_assert_cmpint(g_array_index(in, MgOccurrence, 0).recurrence_id, ==, 0);
  g_assert_cmpint(g_array_index(in, MgOccurrence, 0).end, ==, m->end);
  /* [from, to): a meeting starting exactly at `to` is outside. */
  g_autoptr(GArray) out = mg_meeting_expand(m, utc("2024-04-30T00:00:00Z"), m->start, 10, NULL);
  g_assert_cmpuint(out->len, ==, 0);
}

/* Weekly Monday 09:00 New York from 4 March 2024; DST starts on 10 March:
 * 14:00Z before, 13:00Z after. The 18 March occurrence is excluded. */
static void
test_weekly_exdate_new_york(void)
{
  g_autoptr(MgMeeting) m = series("America/New_York", "2024-03-04T14:00:00Z", 3600, "FREQ=WEEKLY;COUNT=5");
  gint64 ex = utc("2024-03-18T13:00:00Z");
  g_array_append_val(m->exdates, ex);
  const char *want[] = { "2024-03-04T14:00:00Z", "2024-03-11T13:00:00Z", "2024-03-25T13:00:00Z", "2024-04-01T13:00:00Z",
                         NULL };
  check(m, "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z", 100, want);
}

/* And back: DST ends on 3 November 2024 (13:00Z -> 14:00Z). */
static void
test_dst_end_new_york(void)
{
  g_autoptr(MgMeeting) m = series("America/New_York", "2024-10-28T13:00:00Z", 3600, "FREQ=WEEKLY");
  const char *want[] = { "2024-10-28T13:00:00Z", "2024-11-04T14:00:00Z", "2024-11-11T14:00:00Z", NULL };
  check(m, "2024-10-01T00:00:00Z", "2024-11-12T00:00:00Z", 100, want);
}

/* Thursday 10:00 Berlin: CET (09:00Z) until 31 March 2024, CEST (08:00Z) until
 * 27 October 2024. */
static void
test_dst_berlin(void)
{
  g_autoptr(MgMeeting) m = series("Europe/Berlin", "2024-03-21T09:00:00Z", 2700, "FREQ=WEEKLY;BYDAY=TH");
  const char *spring[] = { "2024-03-21T09:00:00Z", "2024-03-28T09:00:00Z", "2024-04-04T08:00:00Z", NULL };
  check(m, "2024-03-01T00:00:00Z", "2024-04-05T00:00:00Z", 100, spring);
  /* A window seven months on: the iterator starts there (no COUNT). */
  const char *autumn[] = { "2024-10-24T08:00:00Z", "2024-10-31T09:00:00Z", NULL };
  check(m, "2024-10-22T00:00:00Z", "2024-11-01T00:00:00Z", 100, autumn);
}

/* Last Friday of the month, 10:00 Shanghai (UTC+8, no DST). */
static void
test_monthly_last_friday(void)
{
  g_autoptr(MgMeeting) m = series("Asia/Shanghai", "2024-01-26T02:00:00Z", 3600, "FREQ=MONTHLY;BYDAY=-1FR");
  const char *want[] = { "2024-01-26T02:00:00Z",
                         "2024-02-23T02:00:00Z",
                         "2024-03-29T02:00:00Z",
                         "2024-04-26T02:00:00Z",
                         "2024-05-31T02:00:00Z",
                         "2024-06-28T02:00:00Z",
                         NULL };
  check(m, "2024-01-01T00:00:00Z", "2024-07-01T00:00:00Z", 100, want);
  const char *later[] = { "2024-05-31T02:00:00Z", "2024-06-28T02:00:00Z", NULL };
  check(m, "2024-05-01T00:00:00Z", "2024-07-01T00:00:00Z", 100, later);
  const char *first_two[] = { "2024-01-26T02:00:00Z", "2024-02-23T02:00:00Z", NULL };
  check(m, "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z", 2, first_two);
}

static void
test_rdate_until(void)
{
  g_autoptr(MgMeeting) m =
      series("Europe/Berlin", "2024-06-03T07:00:00Z", 1800, "FREQ=DAILY;UNTIL=20240605T070000Z;BYDAY=MO,TU,WE,TH,FR");
  gint64 extra = utc("2024-06-08T08:00:00Z"), dup = utc("2024-06-04T07:00:00Z");
  g_array_append_val(m->rdates, extra);
  g_array_append_val(m->rdates, dup); /* same as a rule occurrence: counted once */
  const char *want[] = { "2024-06-03T07:00:00Z", "2024-06-04T07:00:00Z", "2024-06-05T07:00:00Z", "2024-06-08T08:00:00Z",
                         NULL };
  check(m, "2024-06-01T00:00:00Z", "2024-07-01T00:00:00Z", 100, want);
  /* RDATEs alone make a series too. */
  g_clear_pointer(&m->rrule, g_free);
  const char *rdates_only[] = { "2024-06-03T07:00:00Z", "2024-06-04T07:00:00Z", "2024-06-08T08:00:00Z", NULL };
  check(m, "2024-06-01T00:00:00Z", "2024-07-01T00:00:00Z", 100, rdates_only);
}

/* The second occurrence moves two hours later, the third is cancelled, and
 * the fifth (outside the window) is moved into it. */
static void
test_overrides(void)
{
  g_autoptr(MgMeeting) m = series("UTC", "2024-09-02T10:00:00Z", 3600, "FREQ=WEEKLY;COUNT=6");
  g_autoptr(GPtrArray) ovs = g_ptr_array_new_with_free_func((GDestroyNotify)mg_meeting_free);
  MgMeeting *moved = series(NULL, "2024-09-09T12:00:00Z", 3600, NULL);
  moved->recurrence_id = utc("2024-09-09T10:00:00Z");
  MgMeeting *cancelled = series(NULL, "2024-09-16T10:00:00Z", 3600, NULL);
  cancelled->recurrence_id = cancelled->start;
  cancelled->cancelled = TRUE;
  MgMeeting *pulled_in = series(NULL, "2024-09-20T10:00:00Z", 3600, NULL);
  pulled_in->recurrence_id = utc("2024-09-30T10:00:00Z");
  MgMeeting *other = series(NULL, "2024-09-03T10:00:00Z", 3600, NULL);
  g_free(other->external_id);
  other->external_id = g_strdup("uid-2");
  other->recurrence_id = utc("2024-09-02T10:00:00Z");
  g_ptr_array_add(ovs, moved);
  g_ptr_array_add(ovs, cancelled);
  g_ptr_array_add(ovs, pulled_in);
  g_ptr_array_add(ovs, other);

  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) occ =
      mg_meeting_expand_series(m, ovs, utc("2024-09-01T00:00:00Z"), utc("2024-09-27T00:00:00Z"), 100, &error);
  g_assert_no_error(error);
  struct {
    const char *start, *rid;
    const MgMeeting *ov;
  } want[] = {
    { "2024-09-02T10:00:00Z", "2024-09-02T10:00:00Z", NULL },
    { "2024-09-09T12:00:00Z", "2024-09-09T10:00:00Z", moved },
    { "2024-09-20T10:00:00Z", "2024-09-30T10:00:00Z", pulled_in },
    { "2024-09-23T10:00:00Z", "2024-09-23T10:00:00Z", NULL },
  };
  g_assert_cmpuint(occ->len, ==, G_N_ELEMENTS(want));
  for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
    MgOccurrence *o = &g_array_index(occ, MgOccurrence, i);
    g_assert_cmpint(o->start, ==, utc(want[i].start));
    g_assert_cmpint(o->recurrence_id, ==, utc(want[i].rid));
    g_assert_true(o->override == want[i].ov);
  }
}

static void
test_errors(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MgMeeting) bad_rule = series("Europe/Berlin", "2024-01-01T09:00:00Z", 60, "FREQ=SOMETIMES");
  g_assert_null(mg_meeting_expand(bad_rule, 0, G_MAXINT32, 10, &error));
  g_assert_error(error, MG_MEETING_ERROR, MG_MEETING_ERROR_RRULE);
  g_clear_error(&error);
  g_autoptr(MgMeeting) bad_zone = series("Mars/Olympus_Mons", "2024-01-01T09:00:00Z", 60, "FREQ=DAILY");
  g_assert_null(mg_meeting_expand(bad_zone, 0, G_MAXINT32, 10, &error));
  g_assert_error(error, MG_MEETING_ERROR, MG_MEETING_ERROR_TIMEZONE);
  g_assert_nonnull(strstr(error->message, "Mars/Olympus_Mons"));
  /* A rule that can never match: libical says so for YEARLY... */
  g_clear_error(&error);
  g_autoptr(MgMeeting) never = series("UTC", "2024-01-01T09:00:00Z", 60, "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30");
  g_assert_null(mg_meeting_expand(never, 0, utc("2030-01-01T00:00:00Z"), 10, &error));
  g_assert_error(error, MG_MEETING_ERROR, MG_MEETING_ERROR_RRULE);
  g_clear_error(&error);
  /* ...not for DAILY (with COUNT): libical alone would search to the year 2582
   * (a quarter of a second per expansion); the window bounds the search. */
  g_autoptr(MgMeeting) daily = series("UTC", "2024-01-01T09:00:00Z", 60, "FREQ=DAILY;COUNT=3;BYMONTH=2;BYMONTHDAY=30");
  gint64 t0 = g_get_monotonic_time();
  for (int i = 0; i < 20; i++) {
    g_autoptr(GArray) few = mg_meeting_expand(daily, 0, utc("2025-01-01T00:00:00Z"), 10, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(few->len, ==, 1);
  }
  g_assert_cmpint(g_get_monotonic_time() - t0, <, G_USEC_PER_SEC);
  g_autoptr(MgMeeting) minutely = series("UTC", "2024-01-01T09:00:00Z", 60, "FREQ=MINUTELY");
  g_assert_null(mg_meeting_expand(minutely, 0, G_MAXINT32, 10, &error));
  g_assert_error(error, MG_MEETING_ERROR, MG_MEETING_ERROR_RRULE);
  g_clear_error(&error);
  g_autoptr(MgMeeting) weekly_monthday = series("UTC", "2024-01-01T09:00:00Z", 60, "FREQ=WEEKLY;BYMONTHDAY=30");
  g_assert_null(mg_meeting_expand(weekly_monthday, 0, G_MAXINT32, 10, &error));
  g_assert_error(error, MG_MEETING_ERROR, MG_MEETING_ERROR_RRULE);
  /* A path out of the zoneinfo directory is no time zone. */
  g_clear_error(&error);
  g_autoptr(MgMeeting) escape = series("../../../etc/passwd", "2024-01-01T09:00:00Z", 60, "FREQ=DAILY");
  g_assert_null(mg_meeting_expand(escape, 0, G_MAXINT32, 10, &error));
  g_assert_error(error, MG_MEETING_ERROR, MG_MEETING_ERROR_TIMEZONE);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/meeting/single", test_single);
  g_test_add_func("/meeting/weekly-exdate-new-york", test_weekly_exdate_new_york);
  g_test_add_func("/meeting/dst-end-new-york", test_dst_end_new_york);
  g_test_add_func("/meeting/dst-berlin", test_dst_berlin);
  g_test_add_func("/meeting/monthly-last-friday", test_monthly_last_friday);
  g_test_add_func("/meeting/rdate-until", test_rdate_until);
  g_test_add_func("/meeting/overrides", test_overrides);
  g_test_add_func("/meeting/errors", test_errors);
  return g_test_run();
}

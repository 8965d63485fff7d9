/* SPDX-License-Identifier: MIT
 * iCalendar import of a generated calendar (default 10,000 events: weekly and
 * monthly series in IANA and Windows zones, overrides, single and all-day
 * events, three attendees each), then a month's expansion of every series.
 * Prints figures only (goal: import <= 2 s). Usage: bench-ical [events] */
#include <stdio.h>
#include <stdlib.h>

#include "signaling/ical.h"

static const char *const zones[] = { "America/New_York", "Europe/Berlin", "China Standard Time",
                                     "Pacific Standard Time", "Asia/Tokyo" };

static void
add_event(GString *s, guint i)
{
  const char *tz = zones[i % G_N_ELEMENTS(zones)];
  guint day = 1 + i % 28, hour = 8 + i % 9;
  g_string_append_printf(s, "BEGIN:VEVENT\r\nUID:bench-%u@example.com\r\nDTSTAMP:20240101T000000Z\r\n", i / 10 * 10);
  switch (i % 10) {
  case 9: /* all-day */
    g_string_append_printf(s, "DTSTART;VALUE=DATE:202405%02u\r\n", day);
    break;
  case 8: /* an override of the series this block of ten starts with */
    g_string_append_printf(s, "RECURRENCE-ID;TZID=%s:20240401T%02u0000\r\n", zones[(i - 8) % G_N_ELEMENTS(zones)],
                           8 + (i - 8) % 9);
    g_string_append_printf(s, "DTSTART;TZID=%s:20240402T%02u0000\r\nDURATION:PT30M\r\nSEQUENCE:2\r\n", tz, hour);
    break;
  default:
    g_string_append_printf(s, "DTSTART;TZID=%s:202404%02uT%02u0000\r\nDTEND;TZID=%s:202404%02uT%02u3000\r\n", tz,
                           i % 10 == 0 ? 1 : day, hour, tz, i % 10 == 0 ? 1 : day, hour);
    if (i % 10 == 0)
      g_string_append(s, "RRULE:FREQ=WEEKLY;BYDAY=MO\r\nEXDATE:20240415T120000Z\r\n");
    else if (i % 10 < 4)
      g_string_append_printf(s, "RRULE:FREQ=%s\r\n", i % 2 ? "MONTHLY;BYDAY=-1FR" : "WEEKLY;COUNT=20");
  }
  g_string_append_printf(s, "SUMMARY:Meeting %u\r\nDESCRIPTION:Agenda for meeting %u\\nSecond line\r\n", i, i);
  g_string_append(s, "ORGANIZER;CN=Li Wei:mailto:li.wei@example.cn\r\n");
  for (guint a = 0; a < 3; a++)
    g_string_append_printf(s, "ATTENDEE;CN=Person %u;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:p%u@example.com\r\n",
                           a, (i + a) % 500);
  g_string_append(s, "X-MEETGATE-CHAT:chat-7\r\nEND:VEVENT\r\n");
}

int
main(int argc, char **argv)
{
  guint events = argc > 1 ? (guint)atoi(argv[1]) : 10000;
  GString *s = g_string_new("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//meetgate//bench//EN\r\n");
  for (guint i = 0; i < events; i++)
    add_event(s, i);
  g_string_append(s, "END:VCALENDAR\r\n");

  g_auto(MgIcalResult) r = { 0 };
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time();
  if (!mg_ical_import(s->str, "bench", &r, &error))
    g_error("import refused: %s", error->message);
  gint64 t1 = g_get_monotonic_time();
  guint series = 0, occurrences = 0;
  for (guint i = 0; i < r.meetings->len; i++) {
    MgMeeting *m = g_ptr_array_index(r.meetings, i);
    if (!m->rrule)
      continue;
    GArray *occ = mg_meeting_expand(m, 1714521600 /* 2024-05-01 */, 1717200000 /* 2024-06-01 */, 1000, NULL);
    series++;
    occurrences += occ ? occ->len : 0;
    g_array_unref(occ);
  }
  gint64 t2 = g_get_monotonic_time();
  printf("ical import: %u events, %.1f MB: %.3f s (%.1f us/event; goal <= 2 s)\n", r.events, s->len / 1e6,
         (t1 - t0) / 1e6, (double)(t1 - t0) / MAX(r.events, 1));
  printf("  imported %u (overrides %u), all-day skipped %u, errors %u\n", r.imported, r.overrides, r.skipped_all_day,
         r.errors->len);
  printf("expand May 2024: %u series, %u occurrences: %.3f s (%.1f us/series)\n", series, occurrences, (t2 - t1) / 1e6,
         (double)(t2 - t1) / MAX(series, 1));
  g_string_free(s, TRUE);
  return 0;
}

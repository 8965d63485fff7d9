/* SPDX-License-Identifier: MIT
 * iCalendar import: recurrence, overrides, time zones (IANA, Windows, the
 * file's VTIMEZONE), people, cancellations, and the report of what was
 * skipped or refused, with its line numbers. */
#include <libical/ical.h>
#include <string.h>

#include "signaling/ical.h"
#include "signaling/ical-private.h"

static gint64
utc(const char *iso)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(iso, NULL);
  g_assert_nonnull(dt);
  return g_date_time_to_unix(dt);
}

static void
import_ok(const char *text, MgIcalResult *r)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = mg_ical_import(text, "ics:test", r, &error);
  g_assert_no_error(error);
  g_assert_true(ok);
  g_assert_cmpuint(r->imported, ==, r->meetings->len);
}

static MgMeeting *
nth(MgIcalResult *r, guint i)
{
  g_assert_cmpuint(i, <, r->meetings->len);
  return g_ptr_array_index(r->meetings, i);
}

/* Weekly 09:00 New York across the DST start, one EXDATE, one occurrence
 * moved by an override and one cancelled by another. */
static const char weekly[] = "BEGIN:VCALENDAR\r\n"
                             "VERSION:2.0\r\n"
                             "PRODID:-//test//EN\r\n"
                             "BEGIN:VEVENT\r\n"
                             "UID:weekly-1@example.com\r\n"
                             "DTSTAMP:20240201T000000Z\r\n"
                             "DTSTART;TZID=America/New_York:20240304T090000\r\n"
                             "DTEND;TZID=America/New_York:20240304T100000\r\n"
                             "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6\r\n"
                             "EXDATE;TZID=America/New_York:20240318T090000\r\n"
                             "SUMMARY:Weekly sync\r\n"
                             "END:VEVENT\r\n"
                             "BEGIN:VEVENT\r\n"
                             "UID:weekly-1@example.com\r\n"
                             "RECURRENCE-ID;TZID=America/New_York:20240325T090000\r\n"
                             "DTSTART;TZID=America/New_York:20240325T140000\r\n"
                             "DTEND;TZID=America/New_York:20240325T150000\r\n"
                             "SEQUENCE:1\r\n"
                             "SUMMARY:Weekly sync (afternoon)\r\n"
                             "END:VEVENT\r\n"
                             "BEGIN:VEVENT\r\n"
                             "UID:weekly-1@example.com\r\n"
                             "RECURRENCE-ID:20240401T130000Z\r\n"
                             "DTSTART;TZID=America/New_York:20240401T090000\r\n"
                             "DTEND;TZID=America/New_York:20240401T100000\r\n"
                             "STATUS:CANCELLED\r\n"
                             "END:VEVENT\r\n"
                             "END:VCALENDAR\r\n";

static void
test_weekly_overrides(void)
{
  g_auto(MgIcalResult) r = { 0 };
  import_ok(weekly, &r);
  g_assert_cmpuint(r.events, ==, 3);
  g_assert_cmpuint(r.imported, ==, 3);
  g_assert_cmpuint(r.overrides, ==, 2);
  g_assert_cmpuint(r.cancelled, ==, 1);
  g_assert_cmpuint(r.errors->len, ==, 0);
  MgMeeting *s = nth(&r, 0);
  g_assert_cmpstr(s->source, ==, "ics:test");
  g_assert_cmpstr(s->external_id, ==, "weekly-1@example.com");
  g_assert_cmpstr(s->timezone, ==, "America/New_York");
  g_assert_cmpint(s->start, ==, utc("2024-03-04T14:00:00Z"));
  g_assert_cmpint(s->end, ==, utc("2024-03-04T15:00:00Z"));
  g_assert_nonnull(strstr(s->rrule, "FREQ=WEEKLY"));
  g_assert_cmpuint(s->exdates->len, ==, 1);
  g_assert_cmpint(g_array_index(s->exdates, gint64, 0), ==, utc("2024-03-18T13:00:00Z"));
  g_assert_cmpint(nth(&r, 1)->recurrence_id, ==, utc("2024-03-25T13:00:00Z"));
  g_assert_cmpint(nth(&r, 1)->sequence, ==, 1);

  g_autoptr(GPtrArray) ovs = g_ptr_array_new();
  g_ptr_array_add(ovs, nth(&r, 1));
  g_ptr_array_add(ovs, nth(&r, 2));
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) occ =
      mg_meeting_expand_series(s, ovs, utc("2024-03-01T00:00:00Z"), utc("2024-05-01T00:00:00Z"), 50, &error);
  g_assert_no_error(error);
  /* 4 Mar 14:00Z (EST), 11 Mar 13:00Z (EDT), [18 Mar excluded], 25 Mar moved to
   * 14:00 local = 18:00Z, [1 Apr cancelled], 8 Apr 13:00Z. */
  const char *want[] = { "2024-03-04T14:00:00Z", "2024-03-11T13:00:00Z", "2024-03-25T18:00:00Z",
                         "2024-04-08T13:00:00Z" };
  g_assert_cmpuint(occ->len, ==, G_N_ELEMENTS(want));
  for (guint i = 0; i < G_N_ELEMENTS(want); i++)
    g_assert_cmpint(g_array_index(occ, MgOccurrence, i).start, ==, utc(want[i]));
  g_assert_true(g_array_index(occ, MgOccurrence, 2).override == nth(&r, 1));
}

/* Outlook writes Windows names as TZID, with its own VTIMEZONE. */
static const char outlook[] = "BEGIN:VCALENDAR\r\n"
                              "METHOD:REQUEST\r\n"
                              "PRODID:Microsoft Exchange Server 2010\r\n"
                              "VERSION:2.0\r\n"
                              "BEGIN:VTIMEZONE\r\n"
                              "TZID:China Standard Time\r\n"
                              "BEGIN:STANDARD\r\n"
                              "DTSTART:16010101T000000\r\n"
                              "TZOFFSETFROM:+0800\r\n"
                              "TZOFFSETTO:+0800\r\n"
                              "END:STANDARD\r\n"
                              "BEGIN:DAYLIGHT\r\n"
                              "DTSTART:16010101T000000\r\n"
                              "TZOFFSETFROM:+0800\r\n"
                              "TZOFFSETTO:+0800\r\n"
                              "END:DAYLIGHT\r\n"
                              "END:VTIMEZONE\r\n"
                              "BEGIN:VTIMEZONE\r\n"
                              "TZID:Pacific Standard Time\r\n"
                              "BEGIN:STANDARD\r\n"
                              "DTSTART:16010101T020000\r\n"
                              "TZOFFSETFROM:-0700\r\n"
                              "TZOFFSETTO:-0800\r\n"
                              "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=1SU;BYMONTH=11\r\n"
                              "END:STANDARD\r\n"
                              "BEGIN:DAYLIGHT\r\n"
                              "DTSTART:16010101T020000\r\n"
                              "TZOFFSETFROM:-0800\r\n"
                              "TZOFFSETTO:-0700\r\n"
                              "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=2SU;BYMONTH=3\r\n"
                              "END:DAYLIGHT\r\n"
                              "END:VTIMEZONE\r\n"
                              "BEGIN:VEVENT\r\n"
                              "ORGANIZER;CN=Li Wei:mailto:li.wei@example.cn\r\n"
                              "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Ada Lovelace\r\n"
                              " :mailto:ada@example.com\r\n"
                              "ATTENDEE;ROLE=OPT-PARTICIPANT;PARTSTAT=ACCEPTED;CN=\"Hopper, Grace\":mailto:grace@\r\n"
                              " example.com\r\n"
                              "ATTENDEE;CN=Room 5:mailto:room5@example.cn\r\n"
                              "DESCRIPTION;LANGUAGE=zh-CN:Agenda:\\n1. status\\, risks\\n2. plan\r\n"
                              "UID:040000008200E00074C5B7101A82E008000000001@example.cn\r\n"
                              "SUMMARY;LANGUAGE=zh-CN:\xe5\x91\xa8\xe4\xbc\x9a\r\n"
                              "DTSTART;TZID=China Standard Time:20240311T100000\r\n"
                              "DTEND;TZID=China Standard Time:20240311T110000\r\n"
                              "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20240401T020000Z\r\n"
                              "SEQUENCE:3\r\n"
                              "CATEGORIES:Blue Category,chat:team-platform\r\n"
                              "END:VEVENT\r\n"
                              "BEGIN:VEVENT\r\n"
                              "UID:pst-1@example.com\r\n"
                              "DTSTART;TZID=Pacific Standard Time:20240305T090000\r\n"
                              "DURATION:PT45M\r\n"
                              "RRULE:FREQ=WEEKLY;COUNT=3\r\n"
                              "X-MEETGATE-CHAT:oa-group-42\r\n"
                              "X-MEETGATE-POLICY:lobby\r\n"
                              "CATEGORIES:chat:not-this-one\r\n"
                              "END:VEVENT\r\n"
                              "BEGIN:VEVENT\r\n"
                              "UID:tokyo-1@example.com\r\n"
                              "DTSTART;TZID=Tokyo Standard Time:20240610T093000\r\n"
                              "DTEND;TZID=Tokyo Standard Time:20240610T100000\r\n"
                              "END:VEVENT\r\n"
                              "END:VCALENDAR\r\n";

static void
test_outlook_windows_zones(void)
{
  g_auto(MgIcalResult) r = { 0 };
  import_ok(outlook, &r);
  g_assert_cmpstr(r.method, ==, "REQUEST");
  g_assert_cmpuint(r.imported, ==, 3);

  MgMeeting *cn = nth(&r, 0);
  g_assert_cmpstr(cn->timezone, ==, "Asia/Shanghai");
  g_assert_cmpint(cn->start, ==, utc("2024-03-11T02:00:00Z"));
  g_assert_cmpint(cn->end, ==, utc("2024-03-11T03:00:00Z"));
  g_assert_cmpint(cn->sequence, ==, 3);
  g_assert_cmpstr(cn->title, ==, "\xe5\x91\xa8\xe4\xbc\x9a");
  g_assert_cmpstr(cn->description, ==, "Agenda:\n1. status, risks\n2. plan");
  g_assert_cmpstr(cn->chat, ==, "team-platform");
  g_assert_cmpstr(cn->organizer.id, ==, "li.wei@example.cn");
  g_assert_cmpstr(cn->organizer.email, ==, "li.wei@example.cn");
  g_assert_cmpstr(cn->organizer.name, ==, "Li Wei");
  g_assert_cmpuint(cn->attendees->len, ==, 3);
  MgPerson *ada = &g_array_index(cn->attendees, MgPerson, 0);
  MgPerson *grace = &g_array_index(cn->attendees, MgPerson, 1);
  MgPerson *room = &g_array_index(cn->attendees, MgPerson, 2);
  g_assert_cmpstr(ada->id, ==, "ada@example.com");
  g_assert_cmpstr(ada->name, ==, "Ada Lovelace");
  g_assert_cmpstr(ada->role, ==, "required");
  g_assert_cmpstr(ada->partstat, ==, "NEEDS-ACTION");
  g_assert_cmpstr(grace->email, ==, "grace@example.com");
  g_assert_cmpstr(grace->name, ==, "Hopper, Grace");
  g_assert_cmpstr(grace->role, ==, "optional");
  g_assert_cmpstr(grace->partstat, ==, "ACCEPTED");
  g_assert_cmpstr(room->role, ==, "required"); /* RFC 5545's default */
  g_assert_null(room->partstat);
  g_autoptr(GArray) cn_occ = mg_meeting_expand(cn, 0, G_MAXINT32, 10, NULL);
  g_assert_cmpuint(cn_occ->len, ==, 4); /* 11, 18, 25 March, 1 April (UNTIL inclusive) */

  /* 9:00 Los Angeles: PST (17:00Z) on 5 March, PDT (16:00Z) after 10 March. */
  MgMeeting *la = nth(&r, 1);
  g_assert_cmpstr(la->timezone, ==, "America/Los_Angeles");
  g_assert_cmpint(la->start, ==, utc("2024-03-05T17:00:00Z"));
  g_assert_cmpint(la->end - la->start, ==, 45 * 60);
  g_assert_cmpstr(la->chat, ==, "oa-group-42"); /* X-MEETGATE-CHAT wins over CATEGORIES */
  g_assert_cmpstr(la->policy, ==, "lobby");
  g_autoptr(GArray) la_occ = mg_meeting_expand(la, 0, G_MAXINT32, 10, NULL);
  g_assert_cmpuint(la_occ->len, ==, 3);
  g_assert_cmpint(g_array_index(la_occ, MgOccurrence, 1).start, ==, utc("2024-03-12T16:00:00Z"));
  g_assert_cmpint(g_array_index(la_occ, MgOccurrence, 2).start, ==, utc("2024-03-19T16:00:00Z"));

  /* A Windows name without a VTIMEZONE in the file: the table alone. */
  MgMeeting *tokyo = nth(&r, 2);
  g_assert_cmpstr(tokyo->timezone, ==, "Asia/Tokyo");
  g_assert_cmpint(tokyo->start, ==, utc("2024-06-10T00:30:00Z"));
}

/* A VTIMEZONE under a name no table knows: its own rules convert to UTC. */
static void
test_own_vtimezone(void)
{
  const char *text = "BEGIN:VCALENDAR\n"
                     "VERSION:2.0\n"
                     "BEGIN:VTIMEZONE\n"
                     "TZID:(UTC+03:00) Somewhere\n"
                     "BEGIN:STANDARD\n"
                     "DTSTART:19700101T000000\n"
                     "TZOFFSETFROM:+0300\n"
                     "TZOFFSETTO:+0300\n"
                     "END:STANDARD\n"
                     "END:VTIMEZONE\n"
                     "BEGIN:VEVENT\n"
                     "UID:own-tz\n"
                     "DTSTART;TZID=\"(UTC+03:00) Somewhere\":20240701T120000\n"
                     "DTEND;TZID=\"(UTC+03:00) Somewhere\":20240701T130000\n"
                     "END:VEVENT\n"
                     "BEGIN:VEVENT\n"
                     "UID:prefixed\n"
                     "DTSTART;TZID=/freeassociation.sourceforge.net/Europe/Berlin:20240701T120000\n"
                     "END:VEVENT\n"
                     "END:VCALENDAR\n";
  g_auto(MgIcalResult) r = { 0 };
  import_ok(text, &r);
  g_assert_cmpuint(r.imported, ==, 2);
  g_assert_cmpint(nth(&r, 0)->start, ==, utc("2024-07-01T09:00:00Z"));
  g_assert_null(nth(&r, 0)->timezone);
  g_assert_cmpstr(nth(&r, 1)->timezone, ==, "Europe/Berlin");
  g_assert_cmpint(nth(&r, 1)->start, ==, utc("2024-07-01T10:00:00Z"));
  g_assert_cmpint(nth(&r, 1)->end, ==, nth(&r, 1)->start); /* no DTEND, no DURATION */
}

static void
test_all_day_skipped(void)
{
  const char *text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"
                     "BEGIN:VEVENT\r\nUID:holiday\r\nDTSTART;VALUE=DATE:20241225\r\nDTEND;VALUE=DATE:20241226\r\n"
                     "SUMMARY:Christmas\r\nEND:VEVENT\r\n"
                     "BEGIN:VEVENT\r\nUID:offsite\r\nDTSTART;VALUE=DATE:20241001\r\nRRULE:FREQ=YEARLY\r\nEND:VEVENT\r\n"
                     "BEGIN:VEVENT\r\nUID:real\r\nDTSTART:20241002T080000Z\r\nDTEND:20241002T083000Z\r\nEND:VEVENT\r\n"
                     "END:VCALENDAR\r\n";
  g_auto(MgIcalResult) r = { 0 };
  import_ok(text, &r);
  g_assert_cmpuint(r.events, ==, 3);
  g_assert_cmpuint(r.skipped_all_day, ==, 2);
  g_assert_cmpuint(r.imported, ==, 1);
  g_assert_cmpuint(r.errors->len, ==, 0);
  g_assert_cmpstr(nth(&r, 0)->external_id, ==, "real");
}

static void
test_cancellations(void)
{
  const char *status = "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:c1\nSEQUENCE:4\nSTATUS:CANCELLED\n"
                       "DTSTART:20240901T080000Z\nEND:VEVENT\nEND:VCALENDAR\n";
  g_auto(MgIcalResult) a = { 0 };
  import_ok(status, &a);
  g_assert_cmpuint(a.cancelled, ==, 1);
  g_assert_true(nth(&a, 0)->cancelled);
  g_assert_cmpint(nth(&a, 0)->sequence, ==, 4);

  /* METHOD:CANCEL names the UIDs it cancels; DTSTART may be left out. */
  const char *cancel = "BEGIN:VCALENDAR\nVERSION:2.0\nMETHOD:CANCEL\n"
                       "BEGIN:VEVENT\nUID:weekly-1@example.com\nSEQUENCE:2\nDTSTAMP:20240301T000000Z\nEND:VEVENT\n"
                       "BEGIN:VEVENT\nUID:other@example.com\nRECURRENCE-ID:20240311T130000Z\n"
                       "DTSTART:20240311T130000Z\nSEQUENCE:1\nEND:VEVENT\n"
                       "END:VCALENDAR\n";
  g_auto(MgIcalResult) b = { 0 };
  import_ok(cancel, &b);
  g_assert_cmpstr(b.method, ==, "CANCEL");
  g_assert_cmpuint(b.imported, ==, 2);
  g_assert_cmpuint(b.cancelled, ==, 2);
  g_assert_cmpuint(b.errors->len, ==, 0);
  g_assert_cmpstr(nth(&b, 0)->external_id, ==, "weekly-1@example.com");
  g_assert_true(nth(&b, 0)->cancelled);
  g_assert_cmpint(nth(&b, 0)->sequence, ==, 2);
  g_assert_cmpint(nth(&b, 1)->recurrence_id, ==, utc("2024-03-11T13:00:00Z"));
  g_assert_true(nth(&b, 1)->cancelled);
}

/* Each broken event is skipped and reported at its line; the good ones stay. */
static const char broken[] = "BEGIN:VCALENDAR\n"                               /* 1 */
                             "VERSION:2.0\n"                                   /* 2 */
                             "BEGIN:VEVENT\n"                                  /* 3 */
                             "UID:good-1\n"                                    /* 4 */
                             "DTSTART:20240901T080000Z\n"                      /* 5 */
                             "END:VEVENT\n"                                    /* 6 */
                             "BEGIN:VEVENT\n"                                  /* 7 */
                             "UID:bad-date\n"                                  /* 8 */
                             "SUMMARY:x\n"                                     /* 9 */
                             "DTSTART:2024-09-01 08:00\n"                      /* 10 */
                             "END:VEVENT\n"                                    /* 11 */
                             "BEGIN:VEVENT\n"                                  /* 12 */
                             "UID:bad-rule\n"                                  /* 13 */
                             "DTSTART:20240901T080000Z\n"                      /* 14 */
                             "RRULE:FREQ=SOMETIMES\n"                          /* 15 */
                             "END:VEVENT\n"                                    /* 16 */
                             "BEGIN:VEVENT\n"                                  /* 17 */
                             "UID:bad-zone\n"                                  /* 18 */
                             "DTSTART;TZID=Atlantis/Capital:20240901T080000\n" /* 19 */
                             "END:VEVENT\n"                                    /* 20 */
                             "BEGIN:VEVENT\n"                                  /* 21 */
                             "UID:garbage-line\n"                              /* 22 */
                             "DTSTART:20240901T080000Z\n"                      /* 23 */
                             "this is not a property\n"                        /* 24 */
                             "END:VEVENT\n"                                    /* 25 */
                             "BEGIN:VEVENT\n"                                  /* 26 */
                             "UID:no-start\n"                                  /* 27 */
                             "END:VEVENT\n"                                    /* 28 */
                             "BEGIN:VEVENT\n"                                  /* 29 */
                             "UID:backwards\n"                                 /* 30 */
                             "DTSTART:20240901T080000Z\n"                      /* 31 */
                             "DTEND:20240901T070000Z\n"                        /* 32 */
                             "END:VEVENT\n"                                    /* 33 */
                             "BEGIN:VEVENT\n"                                  /* 34 */
                             "UID:good-2\n"                                    /* 35 */
                             "X-UNKNOWN-THING;FOO=bar:ignored\n"               /* 36 */
                             "DTSTART:20240902T080000Z\n"                      /* 37 */
                             "END:VEVENT\n"                                    /* 38 */
                             "BEGIN:VEVENT\n"                                  /* 39 */
                             "UID:far-future\n"                                /* 40 */
                             "DTSTART:99991231T080000Z\n"                      /* 41 */
                             "END:VEVENT\n"                                    /* 42 */
                             "END:VCALENDAR\n";

static void
test_broken_events(void)
{
  g_auto(MgIcalResult) r = { 0 };
  import_ok(broken, &r);
  g_assert_cmpuint(r.events, ==, 9);
  g_assert_cmpuint(r.imported, ==, 2);
  g_assert_cmpstr(nth(&r, 0)->external_id, ==, "good-1");
  g_assert_cmpstr(nth(&r, 1)->external_id, ==, "good-2");
  struct {
    guint line;
    const char *uid, *says;
  } want[] = {
    { 10, "bad-date", "DTSTART" },     { 15, "bad-rule", "RRULE" },   { 19, "bad-zone", "Atlantis/Capital" },
    { 24, "garbage-line", "content" }, { 26, "no-start", "DTSTART" }, { 32, "backwards", "ends before" },
    { 41, "far-future", "year 9999" },
  };
  g_assert_cmpuint(r.errors->len, ==, G_N_ELEMENTS(want));
  for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
    MgIcalEventError *e = &g_array_index(r.errors, MgIcalEventError, i);
    g_test_message("line %u %s: %s", e->line, e->uid, e->reason);
    g_assert_cmpuint(e->line, ==, want[i].line);
    g_assert_cmpstr(e->uid, ==, want[i].uid);
    g_assert_nonnull(strstr(e->reason, want[i].says));
  }
}

static void
expect_refusal(const char *text, int code, const char *prefix)
{
  g_autoptr(GError) error = NULL;
  g_auto(MgIcalResult) r = { 0 };
  g_assert_false(mg_ical_import(text, "ics:test", &r, &error));
  g_assert_error(error, MG_ICAL_ERROR, code);
  g_test_message("%s", error->message);
  g_assert_true(g_str_has_prefix(error->message, prefix));
}

static void
test_refused(void)
{
  expect_refusal("", MG_ICAL_ERROR_NOT_ICALENDAR, "line 1: ");
  expect_refusal("<html><body>Not found</body></html>\n", MG_ICAL_ERROR_NOT_ICALENDAR, "line 1: ");
  expect_refusal("\n\nSUMMARY:hello\nBEGIN:VCALENDAR\nEND:VCALENDAR\n", MG_ICAL_ERROR_NOT_ICALENDAR, "line 3: ");
  expect_refusal("{\"meetings\": []}", MG_ICAL_ERROR_NOT_ICALENDAR, "line 1: ");
  /* Structure broken: the whole calendar is refused, at the line at fault. */
  expect_refusal("BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:a\nDTSTART:20240901T080000Z\nEND:VCALENDAR\n",
                 MG_ICAL_ERROR_MALFORMED, "line 6: END:VCALENDAR where BEGIN:VEVENT of line 3");
  expect_refusal("BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:a\n", MG_ICAL_ERROR_MALFORMED, "line 3: ");
  expect_refusal("BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\nEND:VEVENT\n", MG_ICAL_ERROR_MALFORMED, "line 4: ");
  expect_refusal("BEGIN:VCALENDAR\nVERSION:2.0\ngarbage here\nEND:VCALENDAR\n", MG_ICAL_ERROR_MALFORMED, "line 3: ");
}

/* Folded lines, a UTF-8 BOM, bare LF, blank lines, floating times in the
 * calendar's X-WR-TIMEZONE. */
static void
test_lexical(void)
{
  const char *text = "\xEF\xBB\xBF"
                     "BEGIN:VCALENDAR\n"
                     "VERSION:2.0\n"
                     "X-WR-TIMEZONE:Europe/Berlin\n"
                     "\n"
                     "BEGIN:VEVENT\n"
                     "UID:fold\n"
                     "SUMMARY:A very long title that a client folded\n"
                     "  over two lines\n"
                     "DTSTART:20240115T100000\n"
                     "DTEND:20240115T110000\n"
                     "END:VEVENT\n"
                     "END:VCALENDAR\n";
  g_auto(MgIcalResult) r = { 0 };
  import_ok(text, &r);
  g_assert_cmpstr(nth(&r, 0)->title, ==, "A very long title that a client folded over two lines");
  g_assert_cmpstr(nth(&r, 0)->timezone, ==, "Europe/Berlin");
  g_assert_cmpint(nth(&r, 0)->start, ==, utc("2024-01-15T09:00:00Z"));
}

static void
test_zone_names(void)
{
  for (guint i = 0; i < mg_ical_n_windows_zones; i++) {
    const MgWindowsZone *z = &mg_ical_windows_zones[i];
    if (i > 0)
      g_assert_cmpint(g_ascii_strcasecmp(mg_ical_windows_zones[i - 1].windows, z->windows), <, 0);
    if (!icaltimezone_get_builtin_timezone(z->iana))
      g_error("%s -> %s: libical does not know that zone", z->windows, z->iana);
    g_assert_cmpstr(mg_ical_timezone_to_iana(z->windows), ==, z->iana);
  }
  g_assert_cmpuint(mg_ical_n_windows_zones, >=, 130);
  struct {
    const char *tzid, *iana;
  } cases[] = {
    { "China Standard Time", "Asia/Shanghai" },
    { "pacific standard time", "America/Los_Angeles" },
    { "W. Europe Standard Time", "Europe/Berlin" },
    { "Eastern Standard Time", "America/New_York" },
    { "GMT Standard Time", "Europe/London" },
    { "Tokyo Standard Time", "Asia/Tokyo" },
    { "India Standard Time", "Asia/Kolkata" },
    { "Europe/Paris", "Europe/Paris" },
    { "/mozilla.org/20050126_1/America/New_York", "America/New_York" },
    { "/freeassociation.sourceforge.net/Tzfile/Asia/Singapore", "Asia/Singapore" },
    { "Atlantis/Capital", NULL },
    { "../../etc/passwd", NULL },
    { "", NULL },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++)
    g_assert_cmpstr(mg_ical_timezone_to_iana(cases[i].tzid), ==, cases[i].iana);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/ical/weekly-overrides", test_weekly_overrides);
  g_test_add_func("/ical/outlook-windows-zones", test_outlook_windows_zones);
  g_test_add_func("/ical/own-vtimezone", test_own_vtimezone);
  g_test_add_func("/ical/all-day-skipped", test_all_day_skipped);
  g_test_add_func("/ical/cancellations", test_cancellations);
  g_test_add_func("/ical/broken-events", test_broken_events);
  g_test_add_func("/ical/refused", test_refused);
  g_test_add_func("/ical/lexical", test_lexical);
  g_test_add_func("/ical/zone-names", test_zone_names);
  return g_test_run();
}

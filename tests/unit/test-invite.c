/* SPDX-License-Identifier: MIT
 * Calendar invites: the fields clients look at, and the files parse back in
 * libical (our own import) and in python3-icalendar. */
#include <libical/ical.h>
#include <glib/gstdio.h>
#include <string.h>

#include "signaling/ical.h"
#include "signaling/invite.h"

#define LINK "https://meet.example.com/j/abc123?t=xyz"
#define NOW 1709000000

static gint64
utc(const char *iso)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(iso, NULL);
  g_assert_nonnull(dt);
  return g_date_time_to_unix(dt);
}

static void
add_person(MgMeeting *m, const char *name, const char *email, const char *role)
{
  MgPerson p = { .id = g_strdup(email), .name = g_strdup(name), .email = g_strdup(email), .role = g_strdup(role) };
  g_array_append_val(m->attendees, p);
}

static MgMeeting *
weekly_series(void)
{
  MgMeeting *m = mg_meeting_new();
  m->source = g_strdup("api");
  m->external_id = g_strdup("oa-4711@meet.example.com");
  m->title = g_strdup("Platform weekly; planning, review");
  m->description = g_strdup("Agenda:\n1. status");
  m->timezone = g_strdup("America/New_York");
  m->start = utc("2024-03-04T14:00:00Z"); /* 09:00 EST */
  m->end = m->start + 3600;
  m->rrule = g_strdup("FREQ=WEEKLY;BYDAY=MO;COUNT=6");
  gint64 ex = utc("2024-03-18T13:00:00Z");
  g_array_append_val(m->exdates, ex);
  m->organizer.name = g_strdup("Li Wei");
  m->organizer.email = g_strdup("li.wei@example.cn");
  add_person(m, "Ada Lovelace", "ada@example.com", "required");
  add_person(m, "Hopper, Grace", "grace@example.com", "optional");
  m->sequence = 2;
  return m;
}

/* The text with folded lines joined, to look for whole properties. */
static char *
unfold(const char *ics)
{
  GString *s = g_string_new(NULL);
  for (const char *p = ics; *p; p++) {
    if (p[0] == '\r' && p[1] == '\n' && p[2] == ' ')
      p += 2;
    else
      g_string_append_c(s, *p);
  }
  return g_string_free(s, FALSE);
}

static void
assert_has(const char *text, const char *needle)
{
  if (!strstr(text, needle))
    g_error("missing '%s' in:\n%s", needle, text);
}

static void
assert_libical_clean(const char *ics)
{
  icalcomponent *c = icalparser_parse_string(ics);
  g_assert_nonnull(c);
  g_assert_cmpint(icalcomponent_isa(c), ==, ICAL_VCALENDAR_COMPONENT);
  g_assert_cmpint(icalcomponent_count_errors(c), ==, 0);
  icalcomponent *ev = icalcomponent_get_first_component(c, ICAL_VEVENT_COMPONENT);
  g_assert_nonnull(ev);
  g_assert_nonnull(icalcomponent_get_first_property(ev, ICAL_CONFERENCE_PROPERTY));
  icalcomponent_free(c);
}

static void
test_request_series(void)
{
  g_autoptr(MgMeeting) m = weekly_series();
  g_autofree char *ics = mg_invite_ics(m, LINK, NULL, FALSE, NOW);
  g_autofree char *flat = unfold(ics);
  g_test_message("%s", flat);
  assert_has(flat, "METHOD:REQUEST\r\n");
  assert_has(flat, "UID:oa-4711@meet.example.com\r\n");
  assert_has(flat, "DTSTAMP:20240227T021320Z\r\n");
  assert_has(flat, "SEQUENCE:2\r\n");
  assert_has(flat, "BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\n");
  assert_has(flat, "DTSTART;TZID=America/New_York:20240304T090000\r\n");
  assert_has(flat, "DTEND;TZID=America/New_York:20240304T100000\r\n");
  assert_has(flat, "RRULE:FREQ=WEEKLY;COUNT=6;BYDAY=MO\r\n");
  assert_has(flat, "EXDATE;TZID=America/New_York:20240318T090000\r\n");
  assert_has(flat, "URL:" LINK "\r\n");
  assert_has(flat, "LOCATION:" LINK "\r\n");
  assert_has(flat, "CONFERENCE;VALUE=URI;FEATURE=AUDIO,VIDEO;LABEL=Join the meeting:" LINK "\r\n");
  assert_has(flat, "ORGANIZER;CN=Li Wei:mailto:li.wei@example.cn\r\n");
  assert_has(flat, "ROLE=OPT-PARTICIPANT");
  assert_libical_clean(ics);

  /* Our own import reads back the same meeting. */
  g_auto(MgIcalResult) r = { 0 };
  g_autoptr(GError) error = NULL;
  g_assert_true(mg_ical_import(ics, "ics:invite", &r, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(r.imported, ==, 1);
  MgMeeting *back = g_ptr_array_index(r.meetings, 0);
  g_assert_cmpstr(back->external_id, ==, m->external_id);
  g_assert_cmpstr(back->title, ==, m->title);
  g_assert_cmpstr(back->timezone, ==, "America/New_York");
  g_assert_cmpint(back->start, ==, m->start);
  g_assert_cmpint(back->end, ==, m->end);
  g_assert_cmpint(back->sequence, ==, 2);
  g_assert_cmpuint(back->attendees->len, ==, 2);
  g_assert_cmpstr(g_array_index(back->attendees, MgPerson, 1).name, ==, "Hopper, Grace");
  g_assert_cmpstr(g_array_index(back->attendees, MgPerson, 1).role, ==, "optional");
  g_assert_nonnull(strstr(back->description, LINK));
  g_autoptr(GArray) a = mg_meeting_expand(m, 0, G_MAXINT32, 20, NULL);
  g_autoptr(GArray) b = mg_meeting_expand(back, 0, G_MAXINT32, 20, NULL);
  g_assert_cmpuint(a->len, ==, 5);
  g_assert_cmpuint(b->len, ==, a->len);
  g_assert_cmpmem(a->data, a->len * sizeof(MgOccurrence), b->data, b->len * sizeof(MgOccurrence));
}

static void
test_cancel(void)
{
  g_autoptr(MgMeeting) m = weekly_series();
  g_autofree char *ics = mg_invite_ics(m, LINK, "boss@example.com", TRUE, NOW);
  g_autofree char *flat = unfold(ics);
  assert_has(flat, "METHOD:CANCEL\r\n");
  assert_has(flat, "SEQUENCE:3\r\n");
  assert_has(flat, "STATUS:CANCELLED\r\n");
  assert_has(flat, "ORGANIZER;CN=Li Wei:mailto:boss@example.com\r\n");
  assert_libical_clean(ics);
  g_auto(MgIcalResult) r = { 0 };
  g_assert_true(mg_ical_import(ics, "ics:invite", &r, NULL));
  g_assert_cmpuint(r.cancelled, ==, 1);
  g_assert_cmpint(((MgMeeting *)g_ptr_array_index(r.meetings, 0))->sequence, ==, 3);
}

static void
test_single_utc_and_override(void)
{
  g_autoptr(MgMeeting) m = mg_meeting_new();
  m->external_id = g_strdup("one-off");
  m->start = utc("2024-06-01T08:00:00Z");
  m->end = utc("2024-06-01T08:30:00Z");
  g_autofree char *ics = mg_invite_ics(m, LINK, "o@example.com", FALSE, NOW);
  g_autofree char *flat = unfold(ics);
  assert_has(flat, "DTSTART:20240601T080000Z\r\n");
  assert_has(flat, "DTEND:20240601T083000Z\r\n");
  g_assert_null(strstr(flat, "VTIMEZONE"));
  g_assert_null(strstr(flat, "RRULE"));
  assert_libical_clean(ics);

  g_autoptr(MgMeeting) s = weekly_series();
  s->recurrence_id = utc("2024-03-25T13:00:00Z");
  s->start = utc("2024-03-25T18:00:00Z");
  s->end = s->start + 1800;
  g_autofree char *ov = mg_invite_ics(s, LINK, NULL, FALSE, NOW);
  g_autofree char *ov_flat = unfold(ov);
  assert_has(ov_flat, "RECURRENCE-ID;TZID=America/New_York:20240325T090000\r\n");
  assert_has(ov_flat, "DTSTART;TZID=America/New_York:20240325T140000\r\n");
  g_assert_null(strstr(ov_flat, "RRULE:FREQ=WEEKLY"));
  g_auto(MgIcalResult) r = { 0 };
  g_assert_true(mg_ical_import(ov, "ics:invite", &r, NULL));
  g_assert_cmpint(((MgMeeting *)g_ptr_array_index(r.meetings, 0))->recurrence_id, ==, s->recurrence_id);

  g_free(m->external_id);
  m->external_id = NULL;
  g_assert_null(mg_invite_ics(m, LINK, NULL, FALSE, NOW));
}

/* python3-icalendar (what many OA and mail tools use) reads what we write. */
static const char py_check[] =
    "import sys, icalendar\n"
    "for path in sys.argv[1:]:\n"
    "    cal = icalendar.Calendar.from_ical(open(path, 'rb').read())\n"
    "    ev = [c for c in cal.walk('VEVENT')][0]\n"
    "    assert str(ev['CONFERENCE']).startswith('https://'), ev['CONFERENCE']\n"
    "    assert list(ev['CONFERENCE'].params['FEATURE']) == ['AUDIO', 'VIDEO'], ev['CONFERENCE'].params\n"
    "    assert str(ev['LOCATION']) == str(ev['URL'])\n"
    "    start = ev.decoded('DTSTART')\n"
    "    assert start.tzinfo is not None\n"
    "    print(path, cal['METHOD'], ev['UID'], start.isoformat(), ev.get('RRULE', {}).to_ical().decode()\n"
    "          if 'RRULE' in ev else '')\n";

static void
test_python_icalendar(void)
{
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  const char *probe[] = { "/usr/bin/python3", "-c", "import icalendar", NULL };
  if (!g_spawn_sync(NULL, (char **)probe, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, NULL) ||
      !g_spawn_check_wait_status(status, NULL)) {
    g_test_skip("python3-icalendar is not installed");
    return;
  }
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("mg-invite-XXXXXX", &error);
  g_assert_no_error(error);
  g_autoptr(MgMeeting) m = weekly_series();
  g_autofree char *req = mg_invite_ics(m, LINK, NULL, FALSE, NOW);
  g_autofree char *cancel = mg_invite_ics(m, LINK, NULL, TRUE, NOW);
  g_autofree char *p1 = g_build_filename(dir, "request.ics", NULL);
  g_autofree char *p2 = g_build_filename(dir, "cancel.ics", NULL);
  g_assert_true(g_file_set_contents(p1, req, -1, NULL));
  g_assert_true(g_file_set_contents(p2, cancel, -1, NULL));
  const char *argv[] = { "/usr/bin/python3", "-c", py_check, p1, p2, NULL };
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
  g_test_message("python3-icalendar: %s%s", out, err);
  g_assert_true(g_spawn_check_wait_status(status, NULL));
  g_assert_nonnull(strstr(out, "REQUEST oa-4711@meet.example.com 2024-03-04T09:00:00-05:00 FREQ=WEEKLY"));
  g_assert_nonnull(strstr(out, "CANCEL oa-4711@meet.example.com"));
  g_unlink(p1);
  g_unlink(p2);
  g_rmdir(dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/invite/request-series", test_request_series);
  g_test_add_func("/invite/cancel", test_cancel);
  g_test_add_func("/invite/single-utc-and-override", test_single_utc_and_override);
  g_test_add_func("/invite/python-icalendar", test_python_icalendar);
  return g_test_run();
}

/* SPDX-License-Identifier: MIT
 * Meeting events into the outbox, on a real store with the real meetings,
 * scheduler, attendance and outbox code: exactly the expected rows. */
#include <jansson.h>
#include <sqlite3.h>
#include <string.h>

#include "tests/unit/tmp-store.h"
#include "signaling/attendance.h"
#include "signaling/chatevents.h"
#include "signaling/outbox.h"

#define T0 1767261600 /* 2026-01-01 10:00 UTC */
#define MINUTE 60
#define HOUR 3600

typedef struct {
  char *dir;
  char *path;
  MgStore *store;
  MgChatevents *ce;
  MgScheduler *sched;
  guint kicks;
  gint64 late_s; /* the handler runs this long after each event's time */
} Fixture;

/* The HTTP layer's group link, as the daemon gives it: bound to the room. */
static char *
link_for(MgStore *store, const char *room_id, gint64 now_s, gpointer data)
{
  return g_strdup_printf("https://meet.example/j/%s", room_id);
}

/* The recordings API's latest recording of the room, as the daemon gives it. */
static char *
recording_for(MgStore *store, const char *room_id, gint64 now_s, gpointer data)
{
  return g_strdup_printf("https://meet.example/api/v1/recordings/rec-%s", room_id);
}

static void
on_queued(gpointer data)
{
  ((Fixture *)data)->kicks++;
}

static void
on_schedule(const MgScheduleEvent *ev, gpointer data)
{
  Fixture *f = data;
  g_autoptr(GError) error = NULL;
  g_assert_cmpint(mg_chatevents_on_schedule(f->ce, ev, ev->at + f->late_s, &error), >=, 0);
  g_assert_no_error(error);
}

static void
start(Fixture *f, gboolean console_default)
{
  MgChateventsSettings s = {
    .console_default = console_default, .lead_s = 10 * MINUTE, .link = link_for, .recording = recording_for,
    .queued = on_queued, .queued_data = f
  };
  f->ce = mg_chatevents_new(f->store, &s);
  MgSchedulerSettings ss = { .lead_s = 10 * MINUTE, .grace_s = 15 * MINUTE };
  g_assert_true(mg_scheduler_parse_reminders("10", &ss, NULL));
  f->sched = mg_scheduler_new(f->store, &ss, on_schedule, f);
}

static void
setup(Fixture *f, gconstpointer data)
{
  f->store = tmp_store_open("mg-chatevents-XXXXXX", &f->dir, &f->path);
  g_assert_true(mg_meetings_set_margins(f->store, 10 * MINUTE, 15 * MINUTE, NULL));
  start(f, data != NULL);
}

static void
teardown(Fixture *f, gconstpointer data)
{
  mg_scheduler_free(f->sched);
  mg_chatevents_free(f->ce);
  tmp_store_remove(f->store, f->dir, f->path);
}

static void
put_chat(Fixture *f, const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MgChat) c = mg_chat_from_json_text(json, strlen(json), NULL, &error);
  g_assert_no_error(error);
  g_assert_true(mg_chats_put(f->store, c, T0 - 86400, NULL, &error));
  g_assert_no_error(error);
}

static MgMeeting *
meeting(const char *external_id)
{
  MgMeeting *m = mg_meeting_new();
  m->source = g_strdup("oa-main");
  m->external_id = g_strdup(external_id);
  m->title = g_strdup("Sync");
  m->start = T0;
  m->end = T0 + HOUR;
  m->policy = g_strdup("open");
  m->organizer.id = g_strdup("boss");
  m->organizer.name = g_strdup("Boss");
  m->organizer.department = g_strdup("R&D");
  MgPerson p = { .id = g_strdup("u42"), .name = g_strdup("Ada") };
  g_array_append_val(m->attendees, p);
  return m;
}

static char *
upsert(Fixture *f, const MgMeeting *m, gint64 now_s)
{
  g_autoptr(GError) error = NULL;
  MgMeetingsResult r;
  g_assert_true(mg_meetings_upsert(f->store, m, now_s, &r, &error));
  g_assert_no_error(error);
  char *id = g_strdup(r.id);
  mg_meetings_result_clear(&r);
  return id;
}

/* Every outbox row as "chat kind occurrence state", one per line, in id order. */
static char *
rows(Fixture *f)
{
  sqlite3_stmt *st = NULL;
  g_assert_cmpint(sqlite3_prepare_v2(mg_store_get_db(f->store),
                                     "SELECT chat_key, kind, occurrence, state FROM outbox ORDER BY id", -1, &st, NULL),
                  ==, SQLITE_OK);
  GString *s = g_string_new(NULL);
  while (sqlite3_step(st) == SQLITE_ROW)
    g_string_append_printf(s, "%s %s %lld %s\n", sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
                           (long long)sqlite3_column_int64(st, 2), sqlite3_column_text(st, 3));
  sqlite3_finalize(st);
  return g_string_free(s, FALSE);
}

/* The frozen event of the n-th row (1-based). */
static MgOutboxEvent *
event_of(Fixture *f, gint64 n)
{
  g_autoptr(MgOutboxMessage) msg = mg_outbox_get(f->store, n);
  g_assert_nonnull(msg);
  g_autoptr(GError) error = NULL;
  MgOutboxEvent *e = mg_outbox_event_parse(msg->event_json, &error);
  g_assert_no_error(error);
  return e;
}

static void
test_lifecycle(Fixture *f, gconstpointer data)
{
  put_chat(f, "{\"key\":\"rd\",\"name\":\"R&D\",\"connector\":\"console\",\"timezone\":\"Asia/Shanghai\","
              "\"lang\":\"zh\",\"rules\":{\"departments\":[\"R&D\"]}}");
  put_chat(f, "{\"key\":\"ada\",\"name\":\"Ada's\",\"connector\":\"console\",\"rules\":{\"people\":[\"u42\"]}}");
  put_chat(f, "{\"key\":\"sales\",\"name\":\"Sales\",\"connector\":\"console\",\"rules\":{\"departments\":[\"S\"]}}");
  put_chat(f, "{\"key\":\"all\",\"name\":\"All\",\"connector\":\"console\",\"default\":true}");
  g_autoptr(MgMeeting) m = meeting("e1");

  /* Created: scheduled to the two matching chats, not sales, not the default. */
  g_autofree char *id = upsert(f, m, T0 - 2 * HOUR);
  g_autofree char *created = rows(f);
  g_assert_cmpstr(created, ==, "ada scheduled 0 pending\nrd scheduled 0 pending\n");
  g_assert_cmpuint(f->kicks, ==, 1);
  g_autoptr(MgOutboxEvent) e1 = event_of(f, 2);
  g_autoptr(MgMeetingsEntry) entry = mg_meetings_get(f->store, id);
  g_autofree char *link = g_strdup_printf("https://meet.example/j/%s", entry->room_id);
  g_assert_cmpstr(e1->ev.join_url, ==, link);
  g_assert_cmpstr(e1->ev.meeting_id, ==, id);
  g_assert_cmpstr(e1->ev.title, ==, "Sync");
  g_assert_cmpstr(e1->ev.timezone, ==, "Asia/Shanghai");
  g_assert_cmpstr(e1->ev.lang, ==, "zh");
  g_assert_cmpstr(e1->ev.organizer, ==, "Boss");
  g_assert_cmpint(e1->ev.start, ==, T0);

  /* The same upsert again: nothing new. */
  g_autofree char *id2 = upsert(f, m, T0 - 2 * HOUR + 5);
  g_autofree char *same = rows(f);
  g_assert_cmpstr(same, ==, created);

  /* An invisible change (description, an attendee's name): nothing. */
  m->description = g_strdup("agenda");
  m->sequence = 1;
  g_free(upsert(f, m, T0 - 2 * HOUR + 10));
  g_autofree char *invisible = rows(f);
  g_assert_cmpstr(invisible, ==, created);

  /* A new time and title: changed, saying what changed, in each chat's language and zone. */
  m->start += 30 * MINUTE;
  m->end += 30 * MINUTE;
  g_free(m->title);
  m->title = g_strdup("Weekly sync");
  m->sequence = 2;
  g_free(upsert(f, m, T0 - 2 * HOUR + 20));
  g_autofree char *changed = rows(f);
  g_assert_cmpstr(changed, ==,
                  "ada scheduled 0 pending\nrd scheduled 0 pending\nada changed 0 pending\nrd changed 0 pending\n");
  g_autoptr(MgOutboxEvent) c_en = event_of(f, 3);
  g_autoptr(MgOutboxEvent) c_zh = event_of(f, 4);
  g_assert_cmpstr(c_en->ev.changes, ==, "new time (was 2026-01-01 10:00); new title (was \"Sync\")");
  g_assert_cmpstr(c_zh->ev.changes, ==, "时间已变更（原为 2026-01-01 18:00）；标题已变更（原为“Sync”）");
  g_assert_cmpint(c_en->ev.start, ==, T0 + 30 * MINUTE);

  /* A second change of the same kind is posted too (its own revision). */
  m->start += 30 * MINUTE;
  m->end += 30 * MINUTE;
  m->sequence = 3;
  g_free(upsert(f, m, T0 - 2 * HOUR + 30));
  g_autofree char *changed2 = rows(f);
  g_assert_true(g_str_has_suffix(changed2, "rd changed 0 pending\nada changed 0 pending\nrd changed 0 pending\n"));

  /* The scheduler: the room opens (start - 10 min) and the reminder (10 min) at the same time. */
  gint64 start = T0 + HOUR;
  mg_scheduler_run_until(f->sched, start - 10 * MINUTE);
  g_autofree char *sched = rows(f);
  g_assert_true(g_str_has_suffix(sched, "ada open_now 0 pending\nrd open_now 0 pending\n"
                                        "ada reminder 0 pending\nrd reminder 0 pending\n") ||
                g_str_has_suffix(sched, "ada reminder 0 pending\nrd reminder 0 pending\n"
                                        "ada open_now 0 pending\nrd open_now 0 pending\n"));
  g_autoptr(GPtrArray) pending = mg_outbox_list(f->store, MG_OUTBOX_PENDING, 100, NULL);
  gboolean saw_reminder = FALSE;
  for (guint i = 0; i < pending->len; i++) {
    MgOutboxMessage *msg = pending->pdata[i];
    if (msg->kind != MG_CHAT_EVENT_REMINDER)
      continue;
    g_autoptr(MgOutboxEvent) r = mg_outbox_event_parse(msg->event_json, NULL);
    g_assert_cmpint(r->ev.minutes_until, ==, 10);
    g_assert_cmpint(r->ev.start, ==, start);
    g_assert_cmpstr(r->ev.join_url, ==, link);
    g_assert_null(r->ev.recording_url);
    saw_reminder = TRUE;
  }
  g_assert_true(saw_reminder);

  /* People come and go; the close event (end + 15 min) sums it up. */
  mg_attendance_joined(f->store, entry->room_id, "p1", "u42", "Ada", "attendee", start - 5 * MINUTE);
  mg_attendance_joined(f->store, entry->room_id, "p2", "boss", "Boss", "host", start);
  mg_attendance_left(f->store, entry->room_id, "p1", start + 40 * MINUTE);
  mg_attendance_left(f->store, entry->room_id, "p2", start + 50 * MINUTE);
  guint before_close = mg_outbox_count(f->store, MG_OUTBOX_PENDING);
  mg_scheduler_run_until(f->sched, start + HOUR + 15 * MINUTE);
  g_assert_cmpint(mg_outbox_count(f->store, MG_OUTBOX_PENDING), ==, before_close + 2);
  g_autoptr(MgOutboxEvent) summary = event_of(f, before_close + 2);
  g_assert_cmpint(summary->ev.kind, ==, MG_CHAT_EVENT_SUMMARY);
  g_assert_cmpint(summary->ev.duration_s, ==, 55 * MINUTE);
  g_assert_cmpstr(summary->ev.attendees[0], ==, "Ada");
  g_assert_cmpstr(summary->ev.attendees[1], ==, "Boss");
  g_assert_null(summary->ev.attendees[2]);
  g_assert_null(summary->ev.join_url);
  g_autofree char *recording = g_strdup_printf("https://meet.example/api/v1/recordings/rec-%s", entry->room_id);
  g_assert_cmpstr(summary->ev.recording_url, ==, recording);
}

static void
test_cancel_withdraws(Fixture *f, gconstpointer data)
{
  put_chat(f, "{\"key\":\"rd\",\"name\":\"R&D\",\"connector\":\"console\",\"rules\":{\"departments\":[\"R&D\"]}}");
  g_autoptr(MgMeeting) m = meeting("e2");
  g_free(upsert(f, m, T0 - 2 * HOUR));
  /* The reminder is queued (the room opens at the same time). */
  mg_scheduler_run_until(f->sched, T0 - 10 * MINUTE);
  g_autofree char *queued = rows(f);
  g_assert_cmpstr(queued, ==, "rd scheduled 0 pending\nrd open_now 0 pending\nrd reminder 0 pending\n");
  g_assert_true(mg_meetings_cancel(f->store, "oa-main", "e2", 0, T0 - 9 * MINUTE, NULL));
  g_autofree char *cancelled = rows(f);
  g_assert_cmpstr(cancelled, ==,
                  "rd scheduled 0 pending\nrd open_now 0 withdrawn\nrd reminder 0 withdrawn\nrd cancelled 0 pending\n");
  /* Cancelling again changes nothing. */
  g_assert_true(mg_meetings_cancel(f->store, "oa-main", "e2", 0, T0 - 8 * MINUTE, NULL));
  g_autofree char *again = rows(f);
  g_assert_cmpstr(again, ==, cancelled);
}

static void
test_occurrence_cancel(Fixture *f, gconstpointer data)
{
  put_chat(f, "{\"key\":\"rd\",\"name\":\"R&D\",\"connector\":\"console\",\"rules\":{\"departments\":[\"R&D\"]}}");
  g_autoptr(MgMeeting) m = meeting("weekly");
  m->rrule = g_strdup("FREQ=WEEKLY;COUNT=4");
  g_free(upsert(f, m, T0 - 2 * HOUR));
  /* The second occurrence's reminder, then that occurrence is cancelled. */
  gint64 second = T0 + 7 * 86400;
  mg_scheduler_run_until(f->sched, T0 - 10 * MINUTE);
  mg_scheduler_run_until(f->sched, T0 + 2 * HOUR);
  mg_scheduler_run_until(f->sched, second - 10 * MINUTE);
  g_assert_true(mg_meetings_cancel(f->store, "oa-main", "weekly", second, second - 9 * MINUTE, NULL));
  g_autofree char *r = rows(f);
  g_autofree char *expect = g_strdup_printf("rd scheduled 0 pending\n"
                                            "rd open_now %d pending\nrd reminder %d pending\nrd summary %d pending\n"
                                            "rd open_now %" G_GINT64_FORMAT " withdrawn\n"
                                            "rd reminder %" G_GINT64_FORMAT " withdrawn\n"
                                            "rd cancelled %" G_GINT64_FORMAT " pending\n",
                                            T0, T0, T0, second, second, second);
  g_assert_cmpstr(r, ==, expect);
}

static void
test_moved_occurrence(Fixture *f, gconstpointer data)
{
  put_chat(f, "{\"key\":\"rd\",\"name\":\"R&D\",\"connector\":\"console\",\"rules\":{\"departments\":[\"R&D\"]}}");
  g_autoptr(MgMeeting) m = meeting("weekly");
  m->rrule = g_strdup("FREQ=WEEKLY;COUNT=4");
  g_free(upsert(f, m, T0 - 2 * HOUR));
  /* An override moves the third occurrence by an hour: changed for it. */
  gint64 third = T0 + 14 * 86400;
  g_autoptr(MgMeeting) o = meeting("weekly");
  o->recurrence_id = third;
  o->start = third + HOUR;
  o->end = third + 2 * HOUR;
  g_free(upsert(f, o, T0 - HOUR));
  g_autofree char *r = rows(f);
  g_autofree char *expect = g_strdup_printf("rd scheduled 0 pending\nrd changed %" G_GINT64_FORMAT " pending\n", third);
  g_assert_cmpstr(r, ==, expect);
  g_autoptr(MgOutboxEvent) e = event_of(f, 2);
  g_assert_cmpstr(e->ev.changes, ==, "new time (was 2026-01-15 10:00)");
  g_autoptr(MgMeetingsEntry) series = mg_meetings_find(f->store, "oa-main", "weekly", 0);
  g_assert_cmpstr(e->ev.meeting_id, ==, series->id);
}

static void
test_invite_only(Fixture *f, gconstpointer data)
{
  put_chat(f, "{\"key\":\"rd\",\"name\":\"R&D\",\"connector\":\"console\",\"rules\":{\"departments\":[\"R&D\"]}}");
  g_autoptr(MgMeeting) m = meeting("secret");
  g_free(m->policy);
  m->policy = g_strdup("invite-only");
  g_free(upsert(f, m, T0 - 2 * HOUR));
  mg_scheduler_run_until(f->sched, T0 - 10 * MINUTE);
  g_autoptr(GPtrArray) pending = mg_outbox_list(f->store, MG_OUTBOX_PENDING, 100, NULL);
  g_assert_cmpuint(pending->len, ==, 3);
  for (guint i = 0; i < pending->len; i++) {
    MgOutboxMessage *msg = pending->pdata[i];
    g_autoptr(MgOutboxEvent) e = mg_outbox_event_parse(msg->event_json, NULL);
    g_assert_null(e->ev.join_url);
    g_assert_null(strstr(msg->event_json, "meet.example"));
  }
}

/* A reminder that fires late (meetgate was down at its time) says how long
 * is really left, not its offset. */
static void
test_late_reminder(Fixture *f, gconstpointer data)
{
  put_chat(f, "{\"key\":\"rd\",\"name\":\"R&D\",\"connector\":\"console\",\"rules\":{\"departments\":[\"R&D\"]}}");
  g_autoptr(MgMeeting) m = meeting("late");
  g_free(upsert(f, m, T0 - 2 * HOUR));
  f->late_s = 2 * MINUTE + 10;
  mg_scheduler_run_until(f->sched, T0 - 10 * MINUTE);
  g_autoptr(GPtrArray) pending = mg_outbox_list(f->store, MG_OUTBOX_PENDING, 100, NULL);
  guint reminders = 0;
  for (guint i = 0; i < pending->len; i++) {
    MgOutboxMessage *msg = pending->pdata[i];
    if (msg->kind != MG_CHAT_EVENT_REMINDER)
      continue;
    g_autoptr(MgOutboxEvent) e = mg_outbox_event_parse(msg->event_json, NULL);
    g_assert_cmpint(e->ev.minutes_until, ==, 8);
    reminders++;
  }
  g_assert_cmpuint(reminders, ==, 1);
}

static void
test_new_chat_by_change(Fixture *f, gconstpointer data)
{
  put_chat(f, "{\"key\":\"rd\",\"name\":\"R&D\",\"connector\":\"console\",\"rules\":{\"departments\":[\"R&D\"]}}");
  put_chat(f, "{\"key\":\"eve\",\"name\":\"Eve's\",\"connector\":\"console\",\"rules\":{\"people\":[\"eve\"]}}");
  g_autoptr(MgMeeting) m = meeting("e3");
  g_free(upsert(f, m, T0 - 2 * HOUR));
  /* Eve is invited: her chat hears of it as scheduled; rd hears nothing (invisible). */
  MgPerson p = { .id = g_strdup("eve"), .name = g_strdup("Eve") };
  g_array_append_val(m->attendees, p);
  m->sequence = 1;
  g_free(upsert(f, m, T0 - HOUR));
  g_autofree char *r = rows(f);
  g_assert_cmpstr(r, ==, "rd scheduled 0 pending\neve scheduled 0 pending\n");
}

static void
test_console_default(Fixture *f, gconstpointer data)
{
  g_autoptr(MgMeeting) m = meeting("e4");
  g_free(upsert(f, m, T0 - 2 * HOUR));
  g_autofree char *r = rows(f);
  g_assert_cmpstr(r, ==, "console scheduled 0 pending\n");
  g_autoptr(GPtrArray) matches = mg_chatevents_match(f->store, m, TRUE, NULL);
  g_assert_cmpuint(matches->len, ==, 1);
  MgChatMatch *mt = matches->pdata[0];
  g_assert_cmpstr(mt->reasons->pdata[0], ==, "no chat configured: the built-in console chat");
  /* Once a chat exists, the built-in one is out. */
  put_chat(f, "{\"key\":\"other\",\"name\":\"O\",\"connector\":\"console\",\"rules\":{\"sources\":[\"x\"]}}");
  g_autoptr(GPtrArray) none = mg_chatevents_match(f->store, m, TRUE, NULL);
  g_assert_cmpuint(none->len, ==, 0);
}

static void
test_no_console_default(Fixture *f, gconstpointer data)
{
  g_autoptr(MgMeeting) m = meeting("e5");
  g_free(upsert(f, m, T0 - 2 * HOUR));
  g_autofree char *r = rows(f);
  g_assert_cmpstr(r, ==, "");
  g_assert_cmpuint(f->kicks, ==, 0);
}

static void
test_describe(void)
{
  g_autoptr(MgMeeting) a = meeting("x");
  g_autoptr(MgMeeting) b = meeting("x");
  g_assert_null(mg_chatevents_describe_changes(a, b, NULL, "en"));
  g_free(b->policy);
  b->policy = g_strdup("lobby");
  b->rrule = g_strdup("FREQ=DAILY");
  g_autofree char *en = mg_chatevents_describe_changes(a, b, NULL, "en");
  g_assert_cmpstr(en, ==, "the repetition changed; access is now lobby");
  a->cancelled = TRUE;
  g_autofree char *zh = mg_chatevents_describe_changes(a, b, "Asia/Shanghai", "zh");
  g_assert_cmpstr(zh, ==, "会议已恢复；重复规则已变更；入会方式改为 lobby");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/chatevents/describe", test_describe);
  g_test_add("/chatevents/lifecycle", Fixture, NULL, setup, test_lifecycle, teardown);
  g_test_add("/chatevents/cancel-withdraws", Fixture, NULL, setup, test_cancel_withdraws, teardown);
  g_test_add("/chatevents/occurrence-cancel", Fixture, NULL, setup, test_occurrence_cancel, teardown);
  g_test_add("/chatevents/moved-occurrence", Fixture, NULL, setup, test_moved_occurrence, teardown);
  g_test_add("/chatevents/invite-only", Fixture, NULL, setup, test_invite_only, teardown);
  g_test_add("/chatevents/late-reminder", Fixture, NULL, setup, test_late_reminder, teardown);
  g_test_add("/chatevents/new-chat-by-change", Fixture, NULL, setup, test_new_chat_by_change, teardown);
  g_test_add("/chatevents/console-default", Fixture, "on", setup, test_console_default, teardown);
  g_test_add("/chatevents/no-console-default", Fixture, NULL, setup, test_no_console_default, teardown);
  return g_test_run();
}

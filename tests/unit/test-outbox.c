/* SPDX-License-Identifier: MIT
 * The chat outbox: idempotent enqueue, the state machine, due order (and each
 * chat's head), defer, withdraw, recover, dead letters, the event's JSON. */
#include <sqlite3.h>
#include <string.h>

#include "tests/unit/tmp-store.h"
#include "signaling/outbox.h"

#define NOW G_GINT64_CONSTANT(1767261600000) /* 2026-01-01 10:00 UTC, ms */

typedef struct {
  char *dir;
  char *path;
  MgStore *store;
} Fixture;

static void
setup(Fixture *f, gconstpointer data)
{
  f->store = tmp_store_open("mg-outbox-XXXXXX", &f->dir, &f->path);
}

static void
teardown(Fixture *f, gconstpointer data)
{
  tmp_store_remove(f->store, f->dir, f->path);
}

static MgChatEvent
event(MgChatEventKind kind)
{
  return (
      MgChatEvent){ .kind = kind, .meeting_id = "m-1", .title = "Weekly sync", .start = 1767261600, .end = 1767265200 };
}

/* Enqueues kind of meeting m-1 for chat; returns its id. */
static gint64
enqueue(Fixture *f, const char *chat, MgChatEventKind kind, gint64 occurrence, gint64 now_ms)
{
  MgChatEvent ev = event(kind);
  g_autofree char *key = mg_chatmsg_idempotency_key("m-1", occurrence, kind, NULL, chat);
  gboolean queued = FALSE;
  g_autoptr(GError) error = NULL;
  g_assert_true(mg_outbox_enqueue(f->store, key, chat, "m-1", occurrence, &ev, now_ms, &queued, &error));
  g_assert_no_error(error);
  g_assert_true(queued);
  return sqlite3_last_insert_rowid(mg_store_get_db(f->store));
}

static MgOutboxState
state_of(Fixture *f, gint64 id)
{
  g_autoptr(MgOutboxMessage) m = mg_outbox_get(f->store, id);
  g_assert_nonnull(m);
  return m->state;
}

static void
test_idempotent(Fixture *f, gconstpointer data)
{
  MgChatEvent ev = event(MG_CHAT_EVENT_SCHEDULED);
  g_autofree char *key = mg_chatmsg_idempotency_key("m-1", 0, ev.kind, NULL, "team");
  gboolean queued = FALSE;
  g_assert_true(mg_outbox_enqueue(f->store, key, "team", "m-1", 0, &ev, NOW, &queued, NULL));
  g_assert_true(queued);
  ev.title = "Another title";
  g_assert_true(mg_outbox_enqueue(f->store, key, "team", "m-1", 0, &ev, NOW + 5, &queued, NULL));
  g_assert_false(queued);
  g_assert_cmpint(mg_outbox_count(f->store, MG_OUTBOX_PENDING), ==, 1);
  /* Still once after it was sent. */
  g_autoptr(GPtrArray) due = mg_outbox_due(f->store, NULL, NOW, 10, NULL);
  g_assert_cmpuint(due->len, ==, 1);
  MgOutboxMessage *m = due->pdata[0];
  g_assert_cmpstr(m->idem_key, ==, key);
  g_assert_true(mg_outbox_mark_sending(f->store, m->id, NOW, NULL));
  g_assert_true(mg_outbox_mark_sent(f->store, m->id, NOW + 1, NULL));
  g_assert_true(mg_outbox_enqueue(f->store, key, "team", "m-1", 0, &ev, NOW + 10, &queued, NULL));
  g_assert_false(queued);
  g_assert_cmpint(mg_outbox_count(f->store, MG_OUTBOX_SENT), ==, 1);
  g_assert_cmpint(mg_outbox_count(f->store, MG_OUTBOX_PENDING), ==, 0);
  /* The frozen event is the first one. */
  g_autoptr(MgOutboxEvent) frozen = mg_outbox_event_parse(m->event_json, NULL);
  g_assert_cmpstr(frozen->ev.title, ==, "Weekly sync");

  /* Inside a caller's transaction, a rollback takes the message with it. */
  g_autofree char *key2 = mg_chatmsg_idempotency_key("m-1", 0, MG_CHAT_EVENT_CANCELLED, NULL, "team");
  g_assert_true(mg_store_begin(f->store, FALSE, NULL));
  g_assert_true(mg_outbox_enqueue(f->store, key2, "team", "m-1", 0, &ev, NOW, &queued, NULL));
  g_assert_true(queued);
  g_assert_true(mg_store_end(f->store, FALSE, NULL));
  g_assert_cmpint(mg_outbox_count(f->store, MG_OUTBOX_PENDING), ==, 0);
}

static void
test_invalid(Fixture *f, gconstpointer data)
{
  MgChatEvent ev = event(MG_CHAT_EVENT_SCHEDULED);
  gboolean queued = TRUE;
  g_autoptr(GError) error = NULL;
  g_assert_false(mg_outbox_enqueue(f->store, NULL, "team", "m-1", 0, &ev, NOW, &queued, &error));
  g_assert_error(error, MG_OUTBOX_ERROR, MG_OUTBOX_ERROR_INVALID);
  g_assert_false(queued);
  g_clear_error(&error);
  ev.kind = (MgChatEventKind)99;
  g_assert_false(mg_outbox_enqueue(f->store, "k", "team", "m-1", 0, &ev, NOW, &queued, &error));
  g_assert_error(error, MG_OUTBOX_ERROR, MG_OUTBOX_ERROR_INVALID);
  g_clear_error(&error);
  ev.kind = MG_CHAT_EVENT_SCHEDULED;
  ev.title = "bad \xff utf-8";
  g_assert_false(mg_outbox_enqueue(f->store, "k", "team", "m-1", 0, &ev, NOW, &queued, &error));
  g_assert_error(error, MG_OUTBOX_ERROR, MG_OUTBOX_ERROR_INVALID);
  g_assert_cmpint(mg_outbox_count(f->store, MG_OUTBOX_PENDING), ==, 0);
}

static void
test_states(Fixture *f, gconstpointer data)
{
  gint64 id = enqueue(f, "team", MG_CHAT_EVENT_SCHEDULED, 0, NOW);
  g_autoptr(GError) error = NULL;
  /* Only a sending message can be sent or retried. */
  g_assert_false(mg_outbox_mark_sent(f->store, id, NOW, &error));
  g_assert_error(error, MG_OUTBOX_ERROR, MG_OUTBOX_ERROR_NOT_FOUND);
  g_clear_error(&error);
  g_assert_false(mg_outbox_mark_retry(f->store, id, NOW, "x", &error));
  g_assert_error(error, MG_OUTBOX_ERROR, MG_OUTBOX_ERROR_NOT_FOUND);
  g_clear_error(&error);
  g_assert_true(mg_outbox_mark_sending(f->store, id, NOW, &error));
  g_assert_no_error(error);
  g_assert_cmpint(state_of(f, id), ==, MG_OUTBOX_SENDING);
  g_assert_false(mg_outbox_mark_sending(f->store, id, NOW, &error));
  g_assert_error(error, MG_OUTBOX_ERROR, MG_OUTBOX_ERROR_NOT_FOUND);
  g_clear_error(&error);
  /* A sending message is not due. */
  g_autoptr(GPtrArray) none = mg_outbox_due(f->store, NULL, NOW + 1000000, 10, NULL);
  g_assert_cmpuint(none->len, ==, 0);
  g_assert_cmpint(mg_outbox_next_at(f->store), ==, 0);

  g_assert_true(mg_outbox_mark_retry(f->store, id, NOW + 2000, "HTTP 500", NULL));
  g_autoptr(MgOutboxMessage) m = mg_outbox_get(f->store, id);
  g_assert_cmpint(m->state, ==, MG_OUTBOX_PENDING);
  g_assert_cmpint(m->attempts, ==, 1);
  g_assert_cmpint(m->next_at_ms, ==, NOW + 2000);
  g_assert_cmpstr(m->last_error, ==, "HTTP 500");
  g_assert_cmpint(mg_outbox_next_at(f->store), ==, NOW + 2000);

  g_assert_true(mg_outbox_mark_sending(f->store, id, NOW + 2000, NULL));
  g_assert_true(mg_outbox_mark_sent(f->store, id, NOW + 2100, NULL));
  g_autoptr(MgOutboxMessage) sent = mg_outbox_get(f->store, id);
  g_assert_cmpint(sent->state, ==, MG_OUTBOX_SENT);
  g_assert_cmpint(sent->sent_at_ms, ==, NOW + 2100);
  g_assert_cmpint(sent->attempts, ==, 1);
  /* Sent is final. */
  g_assert_false(mg_outbox_mark_dead(f->store, id, "late", NULL));
  g_assert_false(mg_outbox_requeue(f->store, id, NOW, NULL));
  g_assert_false(mg_outbox_defer(f->store, id, NOW, NULL));
  g_assert_null(mg_outbox_get(f->store, 999));
  g_assert_cmpstr(mg_outbox_state_name(MG_OUTBOX_WITHDRAWN), ==, "withdrawn");
  g_assert_null(mg_outbox_state_name((MgOutboxState)42));
}

static void
test_due_order(Fixture *f, gconstpointer data)
{
  gint64 a = enqueue(f, "team", MG_CHAT_EVENT_SCHEDULED, 0, NOW + 30);
  gint64 b = enqueue(f, "ops", MG_CHAT_EVENT_SCHEDULED, 0, NOW + 10);
  gint64 c = enqueue(f, "team", MG_CHAT_EVENT_REMINDER, 0, NOW + 20);
  gint64 d = enqueue(f, "ops", MG_CHAT_EVENT_REMINDER, 0, NOW + 5000);
  g_assert_cmpint(mg_outbox_next_at(f->store), ==, NOW + 10);
  g_autoptr(GPtrArray) due = mg_outbox_due(f->store, NULL, NOW + 100, 10, NULL);
  g_assert_cmpuint(due->len, ==, 3);
  g_assert_cmpint(((MgOutboxMessage *)due->pdata[0])->id, ==, b);
  g_assert_cmpint(((MgOutboxMessage *)due->pdata[1])->id, ==, c);
  g_assert_cmpint(((MgOutboxMessage *)due->pdata[2])->id, ==, a);
  g_autoptr(GPtrArray) limited = mg_outbox_due(f->store, NULL, NOW + 100, 1, NULL);
  g_assert_cmpuint(limited->len, ==, 1);
  g_autoptr(GPtrArray) team = mg_outbox_due(f->store, "team", NOW + 100, 10, NULL);
  g_assert_cmpuint(team->len, ==, 2);
  g_assert_cmpint(((MgOutboxMessage *)team->pdata[0])->id, ==, c);

  /* Heads: team's head is a (the oldest), due at +30; c waits behind it. */
  g_autoptr(GPtrArray) heads = mg_outbox_due_heads(f->store, NOW + 25, 10, NULL);
  g_assert_cmpuint(heads->len, ==, 1);
  g_assert_cmpint(((MgOutboxMessage *)heads->pdata[0])->id, ==, b);
  g_assert_true(mg_outbox_mark_sending(f->store, b, NOW, NULL));
  /* ops's head is sending: d is held back; team's head a is due at +30. */
  g_assert_cmpint(mg_outbox_next_head_at(f->store), ==, NOW + 30);
  g_autoptr(GPtrArray) heads2 = mg_outbox_due_heads(f->store, NOW + 10000, 10, NULL);
  g_assert_cmpuint(heads2->len, ==, 1);
  g_assert_cmpint(((MgOutboxMessage *)heads2->pdata[0])->id, ==, a);
  g_assert_true(mg_outbox_mark_sent(f->store, b, NOW, NULL));
  g_assert_cmpint(mg_outbox_next_head_at(f->store), ==, NOW + 30);
  g_autoptr(GPtrArray) heads3 = mg_outbox_due_heads(f->store, NOW + 10000, 10, NULL);
  g_assert_cmpuint(heads3->len, ==, 2);
  g_assert_cmpint(((MgOutboxMessage *)heads3->pdata[0])->id, ==, a);
  g_assert_cmpint(((MgOutboxMessage *)heads3->pdata[1])->id, ==, d);
}

static void
test_defer(Fixture *f, gconstpointer data)
{
  gint64 id = enqueue(f, "team", MG_CHAT_EVENT_SCHEDULED, 0, NOW);
  g_assert_true(mg_outbox_defer(f->store, id, NOW + 3000, NULL));
  g_autoptr(MgOutboxMessage) m = mg_outbox_get(f->store, id);
  g_assert_cmpint(m->next_at_ms, ==, NOW + 3000);
  g_assert_cmpint(m->attempts, ==, 0);
  g_assert_cmpint(m->state, ==, MG_OUTBOX_PENDING);
  g_autoptr(GPtrArray) due = mg_outbox_due(f->store, NULL, NOW + 2999, 10, NULL);
  g_assert_cmpuint(due->len, ==, 0);
  g_assert_cmpint(mg_outbox_next_at(f->store), ==, NOW + 3000);
  g_assert_true(mg_outbox_mark_sending(f->store, id, NOW, NULL));
  g_assert_false(mg_outbox_defer(f->store, id, NOW + 5000, NULL));
}

static void
test_withdraw(Fixture *f, gconstpointer data)
{
  gint64 sched = enqueue(f, "team", MG_CHAT_EVENT_SCHEDULED, 0, NOW);
  gint64 r1 = enqueue(f, "team", MG_CHAT_EVENT_REMINDER, 100, NOW);
  gint64 r2 = enqueue(f, "team", MG_CHAT_EVENT_REMINDER, 200, NOW);
  gint64 open1 = enqueue(f, "team", MG_CHAT_EVENT_OPEN_NOW, 100, NOW);
  gint64 r_ops = enqueue(f, "ops", MG_CHAT_EVENT_REMINDER, 200, NOW);
  gint64 sending = enqueue(f, "ops", MG_CHAT_EVENT_REMINDER, 100, NOW);
  g_assert_true(mg_outbox_mark_sending(f->store, sending, NOW, NULL));
  static const MgChatEventKind kinds[] = { MG_CHAT_EVENT_REMINDER, MG_CHAT_EVENT_OPEN_NOW };
  /* One occurrence. */
  g_assert_cmpuint(mg_outbox_withdraw(f->store, "m-1", 100, kinds, 2), ==, 2);
  g_assert_cmpint(state_of(f, r1), ==, MG_OUTBOX_WITHDRAWN);
  g_assert_cmpint(state_of(f, open1), ==, MG_OUTBOX_WITHDRAWN);
  g_assert_cmpint(state_of(f, sending), ==, MG_OUTBOX_SENDING);
  g_assert_cmpint(state_of(f, r2), ==, MG_OUTBOX_PENDING);
  /* Every occurrence, reminders only. */
  g_assert_cmpuint(mg_outbox_withdraw(f->store, "m-1", 0, kinds, 1), ==, 2);
  g_assert_cmpint(state_of(f, r2), ==, MG_OUTBOX_WITHDRAWN);
  g_assert_cmpint(state_of(f, r_ops), ==, MG_OUTBOX_WITHDRAWN);
  g_assert_cmpint(state_of(f, sched), ==, MG_OUTBOX_PENDING);
  g_assert_cmpuint(mg_outbox_withdraw(f->store, "m-2", 0, kinds, 2), ==, 0);
  g_assert_cmpuint(mg_outbox_withdraw(f->store, "m-1", 0, kinds, 0), ==, 0);
  /* Withdrawn is final and not due. */
  g_assert_false(mg_outbox_mark_sending(f->store, r1, NOW, NULL));
  g_autoptr(GPtrArray) due = mg_outbox_due(f->store, NULL, NOW, 10, NULL);
  g_assert_cmpuint(due->len, ==, 1);
}

static void
test_recover(Fixture *f, gconstpointer data)
{
  gint64 a = enqueue(f, "team", MG_CHAT_EVENT_SCHEDULED, 0, NOW);
  gint64 b = enqueue(f, "ops", MG_CHAT_EVENT_SCHEDULED, 0, NOW);
  enqueue(f, "x", MG_CHAT_EVENT_SCHEDULED, 0, NOW + 99999);
  g_assert_true(mg_outbox_mark_sending(f->store, a, NOW, NULL));
  g_assert_true(mg_outbox_mark_sending(f->store, b, NOW, NULL));
  g_assert_true(mg_outbox_mark_sent(f->store, b, NOW, NULL));
  /* The process dies here: reopen the file as a new process would. */
  mg_store_close(f->store);
  f->store = mg_store_open(f->path, NULL);
  g_assert_cmpint(state_of(f, a), ==, MG_OUTBOX_SENDING);
  g_assert_cmpuint(mg_outbox_recover(f->store, NOW + 500), ==, 1);
  g_autoptr(MgOutboxMessage) m = mg_outbox_get(f->store, a);
  g_assert_cmpint(m->state, ==, MG_OUTBOX_PENDING);
  g_assert_cmpint(m->next_at_ms, ==, NOW + 500);
  g_assert_cmpint(m->attempts, ==, 0);
  g_assert_cmpint(state_of(f, b), ==, MG_OUTBOX_SENT);
  g_assert_cmpuint(mg_outbox_recover(f->store, NOW + 600), ==, 0);
}

static void
test_dead(Fixture *f, gconstpointer data)
{
  gint64 a = enqueue(f, "team", MG_CHAT_EVENT_SCHEDULED, 0, NOW);
  gint64 b = enqueue(f, "ops", MG_CHAT_EVENT_SCHEDULED, 0, NOW);
  g_assert_true(mg_outbox_mark_sending(f->store, a, NOW, NULL));
  g_assert_true(mg_outbox_mark_retry(f->store, a, NOW, "HTTP 500", NULL));
  g_assert_true(mg_outbox_mark_sending(f->store, a, NOW, NULL));
  g_assert_true(mg_outbox_mark_dead(f->store, a, "HTTP 404: no such robot", NULL));
  g_assert_true(mg_outbox_mark_dead(f->store, b, "chat \"ops\" does not exist", NULL));
  g_autoptr(MgOutboxMessage) ma = mg_outbox_get(f->store, a);
  g_assert_cmpint(ma->state, ==, MG_OUTBOX_DEAD);
  g_assert_cmpint(ma->attempts, ==, 2);
  g_assert_cmpstr(ma->last_error, ==, "HTTP 404: no such robot");
  g_autoptr(MgOutboxMessage) mb = mg_outbox_get(f->store, b);
  g_assert_cmpint(mb->attempts, ==, 0);
  g_assert_cmpint(mg_outbox_count(f->store, MG_OUTBOX_DEAD), ==, 2);
  g_autoptr(GPtrArray) dead = mg_outbox_list(f->store, MG_OUTBOX_DEAD, 10, NULL);
  g_assert_cmpuint(dead->len, ==, 2);
  g_assert_cmpint(((MgOutboxMessage *)dead->pdata[0])->id, ==, b); /* newest first */
  g_autoptr(GPtrArray) one = mg_outbox_list(f->store, MG_OUTBOX_DEAD, 1, NULL);
  g_assert_cmpuint(one->len, ==, 1);
  g_assert_null(mg_outbox_next_at(f->store) ? (gpointer)1 : NULL);
  /* An admin's retry. */
  g_assert_true(mg_outbox_requeue(f->store, a, NOW + 7, NULL));
  g_autoptr(MgOutboxMessage) again = mg_outbox_get(f->store, a);
  g_assert_cmpint(again->state, ==, MG_OUTBOX_PENDING);
  g_assert_cmpint(again->attempts, ==, 0);
  g_assert_cmpint(again->next_at_ms, ==, NOW + 7);
  g_autoptr(GError) error = NULL;
  g_assert_null(mg_outbox_list(f->store, (MgOutboxState)9, 10, &error));
  g_assert_error(error, MG_OUTBOX_ERROR, MG_OUTBOX_ERROR_INVALID);
}

static void
assert_same_event(const MgChatEvent *a, const MgChatEvent *b)
{
  g_assert_cmpint(a->kind, ==, b->kind);
  g_assert_cmpstr(a->meeting_id, ==, b->meeting_id);
  g_assert_cmpstr(a->title, ==, b->title);
  g_assert_cmpint(a->start, ==, b->start);
  g_assert_cmpint(a->end, ==, b->end);
  g_assert_cmpstr(a->timezone, ==, b->timezone);
  g_assert_cmpstr(a->organizer, ==, b->organizer);
  g_assert_cmpstr(a->join_url, ==, b->join_url);
  g_assert_cmpstr(a->changes, ==, b->changes);
  g_assert_cmpint(a->minutes_until, ==, b->minutes_until);
  g_assert_cmpint(a->duration_s, ==, b->duration_s);
  g_assert_cmpstr(a->recording_url, ==, b->recording_url);
  g_assert_cmpstr(a->lang, ==, b->lang);
  g_assert_true((a->attendees == NULL) == (b->attendees == NULL));
  for (guint i = 0; a->attendees && (a->attendees[i] || b->attendees[i]); i++)
    g_assert_cmpstr(a->attendees[i], ==, b->attendees[i]);
}

static void
round_trip(const MgChatEvent *ev)
{
  g_autofree char *json = mg_outbox_event_to_json(ev);
  g_assert_nonnull(json);
  g_autoptr(GError) error = NULL;
  g_autoptr(MgOutboxEvent) e = mg_outbox_event_parse(json, &error);
  g_assert_no_error(error);
  assert_same_event(ev, &e->ev);
}

static void
test_event_json(void)
{
  static const char *const people[] = { "Ada", "格蕾丝 \"G\"", "", NULL };
  static const char *const nobody[] = { NULL };
  MgChatEvent full = { .kind = MG_CHAT_EVENT_SUMMARY,
                       .meeting_id = "m-9",
                       .title = "预算 review \\ \"q\"",
                       .start = -5,
                       .end = G_GINT64_CONSTANT(4102444800),
                       .timezone = "Asia/Shanghai",
                       .organizer = "Ada",
                       .join_url = "https://x.example/j/1?t=a&b=c",
                       .changes = "moved",
                       .minutes_until = -15,
                       .duration_s = G_GINT64_CONSTANT(5000000000),
                       .attendees = people,
                       .recording_url = "https://x.example/r/1",
                       .lang = "zh" };
  round_trip(&full);
  MgChatEvent empty = { .kind = MG_CHAT_EVENT_CANCELLED };
  round_trip(&empty);
  MgChatEvent no_one = { .kind = MG_CHAT_EVENT_SUMMARY, .title = "t", .attendees = nobody };
  round_trip(&no_one);

  static const char *const bad[] = {
    "",
    "[]",
    "{",
    "{}",
    "{\"kind\":\"party\"}",
    "{\"kind\":\"scheduled\",\"title\":5}",
    "{\"kind\":\"scheduled\",\"start\":\"x\"}",
    "{\"kind\":\"scheduled\",\"attendees\":{}}",
    "{\"kind\":\"scheduled\",\"attendees\":[1]}",
    "{\"kind\":\"scheduled\",\"minutes_until\":99999999999}",
    "{\"kind\":\"scheduled\",\"kind\":\"reminder\"}",
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    g_assert_null(mg_outbox_event_parse(bad[i], &error));
    g_assert_error(error, MG_OUTBOX_ERROR, MG_OUTBOX_ERROR_INVALID);
  }
  g_autoptr(GError) error = NULL;
  g_assert_null(mg_outbox_event_parse(NULL, &error));
  g_assert_error(error, MG_OUTBOX_ERROR, MG_OUTBOX_ERROR_INVALID);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/outbox/idempotent", Fixture, NULL, setup, test_idempotent, teardown);
  g_test_add("/outbox/invalid", Fixture, NULL, setup, test_invalid, teardown);
  g_test_add("/outbox/states", Fixture, NULL, setup, test_states, teardown);
  g_test_add("/outbox/due-order", Fixture, NULL, setup, test_due_order, teardown);
  g_test_add("/outbox/defer", Fixture, NULL, setup, test_defer, teardown);
  g_test_add("/outbox/withdraw", Fixture, NULL, setup, test_withdraw, teardown);
  g_test_add("/outbox/recover", Fixture, NULL, setup, test_recover, teardown);
  g_test_add("/outbox/dead", Fixture, NULL, setup, test_dead, teardown);
  g_test_add_func("/outbox/event-json", test_event_json);
  return g_test_run();
}

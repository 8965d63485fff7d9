/* SPDX-License-Identifier: MIT
 * The deliverer with a real store (temp file), a real loopback HTTP receiver
 * and an injected clock and random source: delivery once, retries with
 * backoff, Retry-After, dead letters, rate limits, DingTalk's errcode, order
 * per chat, a missing chat, console, a plugged-in transport. */
#include <jansson.h>

#include "tests/unit/tmp-store.h"
#include "loopback-httpd.h"
#include "signaling/chatsend.h"
#include "signaling/outbox.h"

#define NOW G_GINT64_CONSTANT(1767261600000)

typedef struct {
  char *dir;
  char *path;
  MgStore *store;
  Loopback *lb;
  gint64 clock;
  double random;
  MgChatsend *send;
  int n;
} Fixture;

static gint64
fake_clock(gpointer data)
{
  return ((Fixture *)data)->clock;
}

static double
fake_random(gpointer data)
{
  return ((Fixture *)data)->random;
}

static void
put_chat(Fixture *f, const char *key, MgChatConnectorKind kind, const char *path, const char *rate)
{
  g_autofree char *url = path ? loopback_url(f->lb, path) : NULL;
  MgChat c = { .key = (char *)key,
               .name = (char *)key,
               .connector = kind,
               .webhook_url = url,
               .rate = (char *)rate,
               .lang = (char *)"en" };
  if (kind == MG_CHAT_CONNECTOR_DINGTALK)
    c.secret = (char *)"SECtest";
  g_autoptr(GError) error = NULL;
  g_assert_true(mg_chats_put(f->store, &c, NOW / 1000, NULL, &error));
  g_assert_no_error(error);
}

static void
setup_with(Fixture *f, guint max_attempts)
{
  f->store = tmp_store_open("mg-chatsend-XXXXXX", &f->dir, &f->path);
  f->lb = loopback_new(200, "ok");
  f->clock = NOW;
  f->random = 0.5;
  MgChatsendConfig cfg = { .max_attempts = max_attempts,
                           .request_timeout_ms = 5000,
                           .clock = fake_clock,
                           .clock_data = f,
                           .random = fake_random,
                           .random_data = f };
  f->send = mg_chatsend_new(f->store, NULL, &cfg);
}

static void
setup(Fixture *f, gconstpointer data)
{
  setup_with(f, GPOINTER_TO_UINT(data));
}

static void
teardown(Fixture *f, gconstpointer data)
{
  mg_chatsend_free(f->send);
  loopback_free(f->lb);
  tmp_store_remove(f->store, f->dir, f->path);
}

/* Queues a scheduled message for chat; returns its id. */
static gint64
enqueue(Fixture *f, const char *chat, const char *title)
{
  char meeting[32];
  g_snprintf(meeting, sizeof meeting, "m-%d", ++f->n);
  MgChatEvent ev = { .kind = MG_CHAT_EVENT_SCHEDULED,
                     .meeting_id = meeting,
                     .title = title,
                     .start = NOW / 1000 + 3600,
                     .end = NOW / 1000 + 7200,
                     .join_url = "https://meet.example/j/abc",
                     .lang = "en" };
  g_autofree char *key = mg_chatmsg_idempotency_key(meeting, 0, ev.kind, NULL, chat);
  gboolean queued = FALSE;
  g_assert_true(mg_outbox_enqueue(f->store, key, chat, meeting, 0, &ev, f->clock, &queued, NULL));
  g_assert_true(queued);
  g_autoptr(GPtrArray) all = mg_outbox_list(f->store, MG_OUTBOX_PENDING, 1, NULL);
  return ((MgOutboxMessage *)all->pdata[0])->id;
}

static MgOutboxMessage *
get(Fixture *f, gint64 id)
{
  MgOutboxMessage *m = mg_outbox_get(f->store, id);
  g_assert_nonnull(m);
  return m;
}

/* Runs the deliverer at the fake time and the loop until nothing is in flight. */
static void
run(Fixture *f)
{
  mg_chatsend_run(f->send);
  /* Settled answers kick an idle run, which may start more requests. */
  for (;;) {
    while (mg_chatsend_in_flight(f->send) > 0)
      g_main_context_iteration(NULL, TRUE);
    if (!g_main_context_iteration(NULL, FALSE) && !mg_chatsend_in_flight(f->send))
      break;
  }
}

static void
test_delivered_once(Fixture *f, gconstpointer data)
{
  put_chat(f, "team", MG_CHAT_CONNECTOR_GENERIC, "/generic", NULL);
  gint64 id = enqueue(f, "team", "Weekly sync");
  run(f);
  g_autoptr(MgOutboxMessage) m = get(f, id);
  g_assert_cmpint(m->state, ==, MG_OUTBOX_SENT);
  g_assert_cmpint(m->sent_at_ms, ==, NOW);
  g_assert_cmpint(m->attempts, ==, 0);
  g_assert_cmpuint(loopback_count(f->lb), ==, 1);
  LoopArrival *a = loopback_arrival(f->lb, 0);
  g_assert_cmpstr(a->path, ==, "/generic");
  g_autofree char *header = g_strdup_printf("\r\nX-Meetgate-Idempotency-Key: %s\r\n", m->idem_key);
  g_assert_nonnull(strstr(a->headers, header));
  json_t *body = json_loads(a->body, 0, NULL);
  g_assert_nonnull(body);
  g_assert_cmpstr(json_string_value(json_object_get(body, "title")), ==, "Weekly sync");
  g_assert_cmpstr(json_string_value(json_object_get(body, "join_url")), ==, "https://meet.example/j/abc");
  json_decref(body);
  /* Nothing more to do, however often it runs. */
  f->clock += 3600 * 1000;
  run(f);
  g_assert_cmpuint(loopback_count(f->lb), ==, 1);
}

static void
test_retry_then_ok(Fixture *f, gconstpointer data)
{
  put_chat(f, "team", MG_CHAT_CONNECTOR_GENERIC, "/g", NULL);
  loopback_push(f->lb, 500, NULL, "try later", 0);
  loopback_push(f->lb, 503, NULL, "", 0);
  gint64 id = enqueue(f, "team", "Retry");
  f->random = 0.5;
  run(f);
  g_autoptr(MgOutboxMessage) m1 = get(f, id);
  g_assert_cmpint(m1->state, ==, MG_OUTBOX_PENDING);
  g_assert_cmpint(m1->attempts, ==, 1);
  g_assert_cmpstr(m1->last_error, ==, "HTTP 500: try later");
  /* First retry: full jitter below 1 s, here 0.5 * 1000. */
  g_assert_cmpint(m1->next_at_ms, ==, NOW + 500);
  /* Not before it is due. */
  f->clock = NOW + 499;
  run(f);
  g_assert_cmpuint(loopback_count(f->lb), ==, 1);
  f->clock = NOW + 500;
  run(f);
  g_autoptr(MgOutboxMessage) m2 = get(f, id);
  g_assert_cmpint(m2->attempts, ==, 2);
  g_assert_cmpint(m2->next_at_ms, ==, NOW + 500 + 1000); /* 0.5 * 2 s */
  f->clock = m2->next_at_ms;
  run(f);
  g_autoptr(MgOutboxMessage) m3 = get(f, id);
  g_assert_cmpint(m3->state, ==, MG_OUTBOX_SENT);
  g_assert_cmpuint(loopback_count(f->lb), ==, 3);
  /* Every attempt carried the same key. */
  for (guint i = 1; i < 3; i++)
    g_assert_cmpstr(strstr(loopback_arrival(f->lb, i)->headers, "X-Meetgate-Idempotency-Key"), ==,
                    strstr(loopback_arrival(f->lb, 0)->headers, "X-Meetgate-Idempotency-Key"));
}

static void
test_retry_after(Fixture *f, gconstpointer data)
{
  put_chat(f, "team", MG_CHAT_CONNECTOR_SLACK, "/slack", "unlimited");
  loopback_push(f->lb, 429, "Retry-After: 30\r\n", "rate_limited", 0);
  gint64 id = enqueue(f, "team", "Busy");
  f->random = 0.99;
  run(f);
  g_autoptr(MgOutboxMessage) m = get(f, id);
  g_assert_cmpint(m->state, ==, MG_OUTBOX_PENDING);
  g_assert_cmpint(m->next_at_ms, ==, NOW + 30000); /* the floor, above the jitter's 990 ms */
  g_assert_cmpstr(m->last_error, ==, "HTTP 429: rate_limited");
  f->clock = NOW + 29999;
  run(f);
  g_assert_cmpuint(loopback_count(f->lb), ==, 1);
  f->clock = NOW + 30000;
  run(f);
  g_autoptr(MgOutboxMessage) sent = get(f, id);
  g_assert_cmpint(sent->state, ==, MG_OUTBOX_SENT);
}

static void
test_dead_after_max(Fixture *f, gconstpointer data)
{
  /* max_attempts 3 (the fixture's data). */
  put_chat(f, "team", MG_CHAT_CONNECTOR_GENERIC, "/g", NULL);
  for (int i = 0; i < 5; i++)
    loopback_push(f->lb, 502, NULL, "bad gateway", 0);
  gint64 id = enqueue(f, "team", "Doomed");
  f->random = 0.0;
  for (int i = 0; i < 5; i++) {
    run(f);
    f->clock += 1;
  }
  g_autoptr(MgOutboxMessage) m = get(f, id);
  g_assert_cmpint(m->state, ==, MG_OUTBOX_DEAD);
  g_assert_cmpint(m->attempts, ==, 3);
  g_assert_cmpstr(m->last_error, ==, "gave up after 3 attempts: HTTP 502: bad gateway");
  g_assert_cmpuint(loopback_count(f->lb), ==, 3);
  g_autoptr(GPtrArray) dead = mg_outbox_list(f->store, MG_OUTBOX_DEAD, 10, NULL);
  g_assert_cmpuint(dead->len, ==, 1);
}

static void
test_permanent(Fixture *f, gconstpointer data)
{
  put_chat(f, "team", MG_CHAT_CONNECTOR_GENERIC, "/g", NULL);
  loopback_push(f->lb, 404, NULL, "no such hook", 0);
  gint64 id = enqueue(f, "team", "Gone");
  gint64 next = enqueue(f, "team", "After");
  run(f);
  g_autoptr(MgOutboxMessage) m = get(f, id);
  g_assert_cmpint(m->state, ==, MG_OUTBOX_DEAD);
  g_assert_cmpint(m->attempts, ==, 1);
  g_assert_cmpstr(m->last_error, ==, "HTTP 404: no such hook");
  /* A dead head no longer holds its chat back. */
  g_autoptr(MgOutboxMessage) n = get(f, next);
  g_assert_cmpint(n->state, ==, MG_OUTBOX_SENT);
}

static MgOutboxState
state_of(Fixture *f, gint64 id)
{
  g_autoptr(MgOutboxMessage) m = get(f, id);
  return m->state;
}

static void
test_rate_limit(Fixture *f, gconstpointer data)
{
  put_chat(f, "team", MG_CHAT_CONNECTOR_GENERIC, "/g", "2/min");
  put_chat(f, "ops", MG_CHAT_CONNECTOR_GENERIC, "/ops", NULL);
  gint64 ids[4];
  for (int i = 0; i < 4; i++)
    ids[i] = enqueue(f, "team", "Rated");
  gint64 other = enqueue(f, "ops", "Other chat");
  run(f);
  /* Two went (the burst); the third waits for a token (30 s), no attempt counted. */
  g_assert_cmpint(state_of(f, ids[0]), ==, MG_OUTBOX_SENT);
  g_assert_cmpint(state_of(f, ids[1]), ==, MG_OUTBOX_SENT);
  g_autoptr(MgOutboxMessage) third = get(f, ids[2]);
  g_assert_cmpint(third->state, ==, MG_OUTBOX_PENDING);
  g_assert_cmpint(third->attempts, ==, 0);
  g_assert_cmpint(third->next_at_ms, ==, NOW + 30000);
  g_assert_null(third->last_error);
  g_assert_cmpint(state_of(f, ids[3]), ==, MG_OUTBOX_PENDING);
  /* Another chat is not held back. */
  g_assert_cmpint(state_of(f, other), ==, MG_OUTBOX_SENT);
  g_assert_cmpuint(loopback_count(f->lb), ==, 3);
  f->clock = NOW + 30000;
  run(f);
  g_assert_cmpint(state_of(f, ids[2]), ==, MG_OUTBOX_SENT);
  g_assert_cmpint(state_of(f, ids[3]), ==, MG_OUTBOX_PENDING);
  f->clock = NOW + 60000;
  run(f);
  g_assert_cmpint(state_of(f, ids[3]), ==, MG_OUTBOX_SENT);
  g_assert_cmpuint(loopback_count(f->lb), ==, 5);
}

static void
test_dingtalk(Fixture *f, gconstpointer data)
{
  put_chat(f, "ding", MG_CHAT_CONNECTOR_DINGTALK, "/robot/send?access_token=T", "unlimited");
  loopback_push(f->lb, 200, "Content-Type: application/json\r\n",
                "{\"errcode\":130101,\"errmsg\":\"send too fast, exceed 20 times per minute\"}", 0);
  loopback_push(f->lb, 200, NULL, "{\"errcode\":0,\"errmsg\":\"ok\"}", 0);
  loopback_push(f->lb, 200, NULL, "{\"errcode\":310000,\"errmsg\":\"sign not match\"}", 0);
  gint64 id = enqueue(f, "ding", "Ding");
  f->random = 0.5;
  run(f);
  g_autoptr(MgOutboxMessage) m = get(f, id);
  g_assert_cmpint(m->state, ==, MG_OUTBOX_PENDING);
  g_assert_cmpint(m->attempts, ==, 1);
  g_assert_nonnull(strstr(m->last_error, "130101"));
  g_assert_cmpint(m->next_at_ms, ==, NOW + 500);
  f->clock = NOW + 500;
  run(f);
  g_assert_cmpint(state_of(f, id), ==, MG_OUTBOX_SENT);
  /* Signed: timestamp and sign in the query, the timestamp is the clock's at the attempt. */
  LoopArrival *a = loopback_arrival(f->lb, 1);
  g_autofree char *ts = g_strdup_printf("&timestamp=%" G_GINT64_FORMAT "&sign=", NOW + 500);
  g_assert_nonnull(strstr(a->path, ts));
  /* A 200 with another errcode is a permanent failure. */
  gint64 bad = enqueue(f, "ding", "Bad sign");
  run(f);
  g_autoptr(MgOutboxMessage) b = get(f, bad);
  g_assert_cmpint(b->state, ==, MG_OUTBOX_DEAD);
  g_assert_cmpstr(b->last_error, ==, "errcode 310000: sign not match");
}

static void
test_order_per_chat(Fixture *f, gconstpointer data)
{
  put_chat(f, "team", MG_CHAT_CONNECTOR_GENERIC, "/g", "unlimited");
  loopback_push(f->lb, 500, NULL, "", 0);
  gint64 first = enqueue(f, "team", "First");
  gint64 second = enqueue(f, "team", "Second");
  f->random = 0.5;
  run(f);
  /* The first failed; the second waits behind it rather than overtaking. */
  g_assert_cmpint(state_of(f, first), ==, MG_OUTBOX_PENDING);
  g_assert_cmpint(state_of(f, second), ==, MG_OUTBOX_PENDING);
  g_assert_cmpuint(loopback_count(f->lb), ==, 1);
  f->clock = NOW + 500;
  run(f);
  g_assert_cmpint(state_of(f, first), ==, MG_OUTBOX_SENT);
  g_assert_cmpint(state_of(f, second), ==, MG_OUTBOX_SENT);
  g_assert_nonnull(strstr(loopback_arrival(f->lb, 1)->body, "First"));
  g_assert_nonnull(strstr(loopback_arrival(f->lb, 2)->body, "Second"));
}

static void
test_missing_chat(Fixture *f, gconstpointer data)
{
  gint64 id = enqueue(f, "nobody", "Lost");
  gint64 console = enqueue(f, "console", "On the terminal");
  run(f);
  g_autoptr(MgOutboxMessage) m = get(f, id);
  g_assert_cmpint(m->state, ==, MG_OUTBOX_DEAD);
  g_assert_cmpint(m->attempts, ==, 0);
  g_assert_nonnull(strstr(m->last_error, "chat \"nobody\" does not exist"));
  /* The built-in console chat needs no row, and prints to the log. */
  g_assert_cmpint(state_of(f, console), ==, MG_OUTBOX_SENT);
  g_assert_cmpuint(loopback_count(f->lb), ==, 0);
}

/* ---- raw messages to targets that are not chats ---- */

typedef struct {
  Fixture *f;
  MgChatsendTarget hook;
  char *url;
  int lookups;
} Targets;

static const MgChatsendTarget *
lookup_target(const char *target, gpointer data)
{
  Targets *t = data;
  t->lookups++;
  return !g_strcmp0(target, "hook:mon") ? &t->hook : NULL;
}

static gint64
enqueue_raw(Fixture *f, const char *target, const char *kind, const char *body)
{
  g_autofree char *key = g_strdup_printf("%s:%d", target, ++f->n);
  gboolean queued = FALSE;
  g_autoptr(GError) error = NULL;
  g_assert_true(mg_outbox_enqueue_raw(f->store, key, target, "", 0, kind, body, f->clock, &queued, &error));
  g_assert_no_error(error);
  g_assert_true(queued);
  g_autoptr(GPtrArray) all = mg_outbox_list(f->store, MG_OUTBOX_PENDING, 1, NULL);
  return ((MgOutboxMessage *)all->pdata[0])->id;
}

static guint64
failures(Fixture *f, const char *connector)
{
  guint64 *n = g_hash_table_lookup(mg_chatsend_get_failures(f->send), connector);
  return n ? *n : 0;
}

static void
test_raw_target(Fixture *f, gconstpointer data)
{
  Targets t = { .f = f };
  t.url = loopback_url(f->lb, "/hook");
  t.hook = (MgChatsendTarget){ .url = t.url, .secret = "hook-secret-0123456789", .connector = "webhook" };
  mg_chatsend_set_targets(f->send, lookup_target, &t);
  const char *body = "{\"id\":\"e1\",\"type\":\"room_started\"}";
  loopback_push(f->lb, 500, NULL, "down", 0);
  gint64 id = enqueue_raw(f, "hook:mon", "room_started", body);
  gint64 gone = enqueue_raw(f, "hook:gone", "room_finished", "{}");
  run(f);
  /* The raw message failed once (a retry, like the generic connector); the unknown target is dead. */
  g_autoptr(MgOutboxMessage) m1 = get(f, id);
  g_assert_cmpint(m1->state, ==, MG_OUTBOX_PENDING);
  g_assert_true(m1->raw);
  g_assert_cmpstr(m1->kind_name, ==, "room_started");
  g_assert_cmpint(m1->attempts, ==, 1);
  g_assert_cmpstr(m1->last_error, ==, "HTTP 500: down");
  g_autoptr(MgOutboxMessage) d = get(f, gone);
  g_assert_cmpint(d->state, ==, MG_OUTBOX_DEAD);
  g_assert_nonnull(strstr(d->last_error, "no such webhook"));
  g_assert_cmpuint(failures(f, "webhook"), ==, 2);
  f->clock = m1->next_at_ms;
  run(f);
  g_autoptr(MgOutboxMessage) m2 = get(f, id);
  g_assert_cmpint(m2->state, ==, MG_OUTBOX_SENT);
  g_assert_cmpuint(loopback_count(f->lb), ==, 2);
  for (guint i = 0; i < 2; i++) {
    LoopArrival *a = loopback_arrival(f->lb, i);
    g_assert_cmpstr(a->path, ==, "/hook");
    g_assert_cmpstr(a->body, ==, body);
    g_assert_nonnull(strstr(a->headers, "\r\nX-Meetgate-Event: room_started\r\n"));
    g_assert_nonnull(strstr(a->headers, "\r\nX-Meetgate-Signature: sha256="));
    g_autofree char *key = g_strdup_printf("\r\nX-Meetgate-Idempotency-Key: %s\r\n", m2->idem_key);
    g_assert_nonnull(strstr(a->headers, key));
  }
  /* Sent once: later runs send nothing more. */
  f->clock += 3600 * 1000;
  run(f);
  g_assert_cmpuint(loopback_count(f->lb), ==, 2);
  g_free(t.url);
}

static void
test_raw_without_lookup(Fixture *f, gconstpointer data)
{
  gint64 id = enqueue_raw(f, "callback:crm", "attendance", "{\"type\":\"attendance\"}");
  run(f);
  g_assert_cmpint(state_of(f, id), ==, MG_OUTBOX_DEAD);
  g_assert_cmpuint(failures(f, "callback"), ==, 1);
  g_assert_cmpuint(loopback_count(f->lb), ==, 0);
  /* A raw kind may not pose as a chat event, and the body must be a JSON object. */
  g_autoptr(GError) error = NULL;
  g_assert_false(mg_outbox_enqueue_raw(f->store, "k1", "hook:x", "", 0, "scheduled", "{}", f->clock, NULL, &error));
  g_assert_error(error, MG_OUTBOX_ERROR, MG_OUTBOX_ERROR_INVALID);
  g_clear_error(&error);
  g_assert_false(mg_outbox_enqueue_raw(f->store, "k2", "hook:x", "", 0, "room_started", "[1]", f->clock, NULL, &error));
  g_assert_error(error, MG_OUTBOX_ERROR, MG_OUTBOX_ERROR_INVALID);
  g_clear_error(&error);
  /* The same key twice is queued once. */
  gboolean queued = TRUE;
  g_assert_true(mg_outbox_enqueue_raw(f->store, "callback:crm:m:0", "callback:crm", "m", 0, "attendance", "{}",
                                      f->clock, &queued, NULL));
  g_assert_true(queued);
  g_assert_true(mg_outbox_enqueue_raw(f->store, "callback:crm:m:0", "callback:crm", "m", 0, "attendance", "{}",
                                      f->clock, &queued, NULL));
  g_assert_false(queued);
}

static void
test_transport_error(Fixture *f, gconstpointer data)
{
  g_autofree char *url = g_strdup_printf("http://127.0.0.1:%u/", loopback_closed_port());
  MgChat c = { .key = (char *)"gone",
               .name = (char *)"gone",
               .connector = MG_CHAT_CONNECTOR_MATTERMOST,
               .webhook_url = url,
               .rate = (char *)"unlimited" };
  g_assert_true(mg_chats_put(f->store, &c, NOW / 1000, NULL, NULL));
  gint64 id = enqueue(f, "gone", "Nobody listens");
  run(f);
  g_autoptr(MgOutboxMessage) m = get(f, id);
  g_assert_cmpint(m->state, ==, MG_OUTBOX_PENDING);
  g_assert_cmpint(m->attempts, ==, 1);
  g_assert_true(g_str_has_prefix(m->last_error, "no answer: "));
}

typedef struct {
  MgChatsend *send;
  guint64 token;
  char *body;
  char *key;
  int calls;
} Hook;

static void
hook_send(MgChatsend *s, guint64 token, const MgChat *chat, const MgChatRequest *req, const char *idem_key,
          gpointer data)
{
  Hook *h = data;
  h->send = s;
  h->token = token;
  h->calls++;
  g_free(h->body);
  g_free(h->key);
  h->body = g_strdup(req->body);
  h->key = g_strdup(idem_key);
  g_assert_cmpint(chat->connector, ==, MG_CHAT_CONNECTOR_XMPP);
}

static void
test_transport_hook(Fixture *f, gconstpointer data)
{
  MgChat c = { .key = (char *)"muc",
               .name = (char *)"muc",
               .connector = MG_CHAT_CONNECTOR_XMPP,
               .xmpp_jid = (char *)"bot@localhost",
               .secret = (char *)"pw",
               .xmpp_room = (char *)"room@conference.localhost",
               .xmpp_nick = (char *)"meetgate",
               .rate = (char *)"unlimited" };
  g_autoptr(GError) error = NULL;
  g_assert_true(mg_chats_put(f->store, &c, NOW / 1000, NULL, &error));
  g_assert_no_error(error);
  /* Without a transport an XMPP message waits (retry), it does not die. */
  gint64 id = enqueue(f, "muc", "Over XMPP");
  f->random = 0.5;
  run(f);
  g_autoptr(MgOutboxMessage) m = get(f, id);
  g_assert_cmpint(m->state, ==, MG_OUTBOX_PENDING);
  g_assert_cmpstr(m->last_error, ==, "no XMPP connection");
  Hook h = { 0 };
  mg_chatsend_set_transport(f->send, MG_CHAT_CONNECTOR_XMPP, hook_send, &h);
  f->clock = NOW + 500;
  mg_chatsend_run(f->send);
  g_assert_cmpint(h.calls, ==, 1);
  g_assert_nonnull(strstr(h.body, "Over XMPP"));
  g_assert_cmpstr(h.key, ==, m->idem_key);
  g_assert_cmpint(state_of(f, id), ==, MG_OUTBOX_SENDING);
  g_assert_cmpuint(mg_chatsend_in_flight(f->send), ==, 1);
  /* Later, the connector reports. An unknown token is ignored. */
  mg_chatsend_done(f->send, h.token + 100, MG_CHATRESP_OK, -1, NULL);
  g_assert_cmpint(state_of(f, id), ==, MG_OUTBOX_SENDING);
  mg_chatsend_done(f->send, h.token, MG_CHATRESP_OK, -1, NULL);
  g_assert_cmpint(state_of(f, id), ==, MG_OUTBOX_SENT);
  g_assert_cmpuint(mg_chatsend_in_flight(f->send), ==, 0);
  g_free(h.body);
  g_free(h.key);
}

static void
test_in_flight_cap(Fixture *f, gconstpointer data)
{
  /* Slow answers: at most max_in_flight (4 here) at once, one per chat. */
  mg_chatsend_free(f->send);
  MgChatsendConfig cfg = { .max_in_flight = 4, .clock = fake_clock, .clock_data = f };
  f->send = mg_chatsend_new(f->store, NULL, &cfg);
  for (int i = 0; i < 6; i++) {
    char key[16];
    g_snprintf(key, sizeof key, "c%d", i);
    put_chat(f, key, MG_CHAT_CONNECTOR_GENERIC, "/g", "unlimited");
    enqueue(f, key, "Parallel");
    enqueue(f, key, "Parallel 2");
  }
  for (int i = 0; i < 12; i++)
    loopback_push(f->lb, 200, NULL, "", 100);
  mg_chatsend_run(f->send);
  g_assert_cmpuint(mg_chatsend_in_flight(f->send), ==, 4);
  g_assert_cmpint(mg_outbox_count(f->store, MG_OUTBOX_SENDING), ==, 4);
  while (mg_outbox_count(f->store, MG_OUTBOX_SENT) < 12) {
    g_main_context_iteration(NULL, TRUE);
    g_assert_cmpuint(mg_chatsend_in_flight(f->send), <=, 4);
  }
  g_assert_cmpuint(loopback_count(f->lb), ==, 12);
}

static void
test_shutdown_and_recover(Fixture *f, gconstpointer data)
{
  put_chat(f, "team", MG_CHAT_CONNECTOR_GENERIC, "/g", NULL);
  loopback_push(f->lb, 200, NULL, "", 400);
  gint64 id = enqueue(f, "team", "Interrupted");
  mg_chatsend_run(f->send);
  g_assert_cmpint(state_of(f, id), ==, MG_OUTBOX_SENDING);
  /* The receiver has the request and takes its time answering. */
  while (loopback_count(f->lb) < 1)
    g_main_context_iteration(NULL, TRUE);
  /* Shut down during the request: it stays 'sending'; the next start recovers it. */
  mg_chatsend_free(f->send);
  g_assert_cmpint(state_of(f, id), ==, MG_OUTBOX_SENDING);
  g_assert_cmpuint(mg_outbox_recover(f->store, f->clock), ==, 1);
  MgChatsendConfig cfg = { .clock = fake_clock, .clock_data = f };
  f->send = mg_chatsend_new(f->store, NULL, &cfg);
  run(f);
  g_autoptr(MgOutboxMessage) m = get(f, id);
  g_assert_cmpint(m->state, ==, MG_OUTBOX_SENT);
  /* The receiver saw it twice, with the same key: the documented at-least-once edge. */
  g_assert_cmpuint(loopback_count(f->lb), ==, 2);
  const char *k0 = strstr(loopback_arrival(f->lb, 0)->headers, "X-Meetgate-Idempotency-Key");
  const char *k1 = strstr(loopback_arrival(f->lb, 1)->headers, "X-Meetgate-Idempotency-Key");
  g_assert_nonnull(k0);
  g_assert_cmpstr(k0, ==, k1);
}

/* A clean stop lets the request in flight finish (drain): it is sent once,
 * and nothing new goes out while draining. */
static void
test_drain(Fixture *f, gconstpointer data)
{
  put_chat(f, "team", MG_CHAT_CONNECTOR_GENERIC, "/g", NULL);
  put_chat(f, "other", MG_CHAT_CONNECTOR_GENERIC, "/o", NULL);
  loopback_push(f->lb, 200, NULL, "", 300);
  gint64 id = enqueue(f, "team", "Finishing");
  mg_chatsend_run(f->send);
  g_assert_cmpint(state_of(f, id), ==, MG_OUTBOX_SENDING);
  gint64 later = enqueue(f, "other", "Not started");
  g_assert_cmpuint(mg_chatsend_drain(f->send, 10000), ==, 0);
  g_assert_cmpint(state_of(f, id), ==, MG_OUTBOX_SENT);
  g_assert_cmpint(state_of(f, later), ==, MG_OUTBOX_PENDING);
  mg_chatsend_run(f->send); /* stopping: still nothing new */
  g_assert_cmpint(state_of(f, later), ==, MG_OUTBOX_PENDING);
  g_assert_cmpuint(loopback_count(f->lb), ==, 1);
}

static void
test_backoff(void)
{
  MgChatsendConfig cfg = { .backoff_base_ms = 1000, .backoff_cap_ms = 600000 };
  g_assert_cmpint(mg_chatsend_backoff_ms(&cfg, 1, 0.999, -1), ==, 999);
  g_assert_cmpint(mg_chatsend_backoff_ms(&cfg, 2, 0.5, -1), ==, 1000);
  g_assert_cmpint(mg_chatsend_backoff_ms(&cfg, 4, 0.5, -1), ==, 4000);
  g_assert_cmpint(mg_chatsend_backoff_ms(&cfg, 10, 1.0, -1), ==, 512000);
  g_assert_cmpint(mg_chatsend_backoff_ms(&cfg, 11, 1.0, -1), ==, 600000);
  g_assert_cmpint(mg_chatsend_backoff_ms(&cfg, 1000, 1.0, -1), ==, 600000);
  g_assert_cmpint(mg_chatsend_backoff_ms(&cfg, 3, 0.0, -1), ==, 0);
  g_assert_cmpint(mg_chatsend_backoff_ms(&cfg, 1, 0.5, 20), ==, 20000);
  g_assert_cmpint(mg_chatsend_backoff_ms(&cfg, 12, 0.9, 20), ==, 540000);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define ADD(name, fn, attempts) g_test_add("/chatsend/" name, Fixture, GUINT_TO_POINTER(attempts), setup, fn, teardown)
  ADD("delivered-once", test_delivered_once, 8);
  ADD("retry-then-ok", test_retry_then_ok, 8);
  ADD("retry-after", test_retry_after, 8);
  ADD("dead-after-max", test_dead_after_max, 3);
  ADD("permanent", test_permanent, 8);
  ADD("rate-limit", test_rate_limit, 8);
  ADD("dingtalk", test_dingtalk, 8);
  ADD("order-per-chat", test_order_per_chat, 8);
  ADD("missing-chat", test_missing_chat, 8);
  ADD("transport-error", test_transport_error, 8);
  ADD("transport-hook", test_transport_hook, 8);
  ADD("in-flight-cap", test_in_flight_cap, 8);
  ADD("shutdown-recover", test_shutdown_and_recover, 8);
  ADD("drain", test_drain, 8);
  g_test_add_func("/chatsend/backoff", test_backoff);
  ADD("raw-target", test_raw_target, 8);
  ADD("raw-without-lookup", test_raw_without_lookup, 8);
  return g_test_run();
}

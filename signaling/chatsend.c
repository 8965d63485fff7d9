/* SPDX-License-Identifier: MIT
 * The chat deliverer. State lives in the outbox (the store); here only what
 * is in flight, each chat's token buckets and the wake-up timer. */
#define G_LOG_DOMAIN "chatsend"
#include "signaling/chatsend.h"

#include <string.h>

#include "signaling/httpc.h"
#include "signaling/outbox.h"
#include "signaling/ratelimit.h"

/* The timer never sleeps longer, so a wall-clock jump is noticed. */
#define MAX_SLEEP_MS 60000
#define N_KINDS (MG_CHAT_CONNECTOR_XMPP + 1)

typedef struct {
  MgChatsendTransport fn;
  gpointer data;
} Transport;

typedef struct {
  char *spec;
  MgRatelimit *rl;
} Limit;

/* One message in flight. */
typedef struct {
  MgChatsend *s;
  guint64 token;
  gint64 id;
  int attempts; /* before this one */
  MgChatConnectorKind kind;
  const char *connector; /* for the failure counts (static or the target's, interned) */
  char *chat_key;
  guint64 http_id; /* 0: not an HTTP request */
} Flight;

struct MgChatsend {
  MgStore *store;
  GMainContext *ctx;
  MgChatsendConfig cfg;
  MgHttpc *httpc;
  GSource *timer;
  GSource *idle;
  GHashTable *flights; /* token -> Flight */
  GHashTable *limits;  /* chat key -> Limit */
  Transport transports[N_KINDS];
  guint64 next_token;
  MgChatsendTargets targets;
  gpointer targets_data;
  GHashTable *failures; /* connector name -> guint64 * */
  gboolean stopping;     /* mg_chatsend_drain(): nothing new goes out */
};

static void arm(MgChatsend *s);

static gint64
real_clock(gpointer data)
{
  (void)data;
  return g_get_real_time() / 1000;
}

static double
real_random(gpointer data)
{
  (void)data;
  return g_random_double();
}

static gint64
now_ms(MgChatsend *s)
{
  return s->cfg.clock(s->cfg.clock_data);
}

static void
flight_free(Flight *f)
{
  g_free(f->chat_key);
  g_free(f);
}

static void
limit_free(Limit *l)
{
  g_free(l->spec);
  mg_ratelimit_free(l->rl);
  g_free(l);
}

gint64
mg_chatsend_backoff_ms(const MgChatsendConfig *config, guint attempt, double r, gint64 retry_after_s)
{
  gint64 ceiling = config->backoff_base_ms;
  for (guint i = 1; i < attempt && ceiling < config->backoff_cap_ms; i++)
    ceiling *= 2;
  ceiling = MIN(ceiling, (gint64)config->backoff_cap_ms);
  gint64 wait = (gint64)(CLAMP(r, 0.0, 1.0) * (double)ceiling);
  if (retry_after_s >= 0)
    wait = MAX(wait, retry_after_s * 1000);
  return wait;
}

MgChatsend *
mg_chatsend_new(MgStore *store, GMainContext *ctx, const MgChatsendConfig *config)
{
  MgChatsend *s = g_new0(MgChatsend, 1);
  s->store = store;
  s->ctx = g_main_context_ref(ctx ? ctx : g_main_context_default());
  if (config)
    s->cfg = *config;
  if (!s->cfg.max_attempts)
    s->cfg.max_attempts = 8;
  if (!s->cfg.max_in_flight)
    s->cfg.max_in_flight = 32;
  if (!s->cfg.request_timeout_ms)
    s->cfg.request_timeout_ms = 10000;
  if (!s->cfg.backoff_base_ms)
    s->cfg.backoff_base_ms = 1000;
  if (!s->cfg.backoff_cap_ms)
    s->cfg.backoff_cap_ms = 600000;
  if (!s->cfg.clock)
    s->cfg.clock = real_clock;
  if (!s->cfg.random)
    s->cfg.random = real_random;
  s->httpc = mg_httpc_new(s->ctx);
  s->flights = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, (GDestroyNotify)flight_free);
  s->limits = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)limit_free);
  s->failures = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  return s;
}

static void
drop_source(GSource **src)
{
  if (*src) {
    g_source_destroy(*src);
    g_source_unref(*src);
    *src = NULL;
  }
}

void
mg_chatsend_free(MgChatsend *s)
{
  if (!s)
    return;
  drop_source(&s->timer);
  drop_source(&s->idle);
  mg_httpc_free(s->httpc); /* no callbacks: those messages stay 'sending' */
  g_hash_table_destroy(s->flights);
  g_hash_table_destroy(s->limits);
  g_hash_table_destroy(s->failures);
  g_main_context_unref(s->ctx);
  g_free(s);
}

void
mg_chatsend_set_transport(MgChatsend *s, MgChatConnectorKind kind, MgChatsendTransport fn, gpointer data)
{
  g_return_if_fail((guint)kind < N_KINDS);
  s->transports[kind] = (Transport){ fn, data };
}

void
mg_chatsend_set_targets(MgChatsend *s, MgChatsendTargets fn, gpointer data)
{
  s->targets = fn;
  s->targets_data = data;
}

GHashTable *
mg_chatsend_get_failures(MgChatsend *s)
{
  return s->failures;
}

static void
count_failure(MgChatsend *s, const char *connector)
{
  guint64 *n = g_hash_table_lookup(s->failures, connector ? connector : "unknown");
  if (!n) {
    n = g_new0(guint64, 1);
    g_hash_table_insert(s->failures, g_strdup(connector ? connector : "unknown"), n);
  }
  (*n)++;
}

guint
mg_chatsend_in_flight(MgChatsend *s)
{
  return g_hash_table_size(s->flights);
}

/* ---- answers ---- */

static void
settle(MgChatsend *s, Flight *f, MgChatrespVerdict verdict, gint64 retry_after_s, const char *error_text)
{
  gint64 now = now_ms(s);
  g_autoptr(GError) error = NULL;
  guint attempt = (guint)f->attempts + 1;
  gboolean ok;
  if (verdict != MG_CHATRESP_OK)
    count_failure(s, f->connector);
  if (verdict == MG_CHATRESP_OK) {
    ok = mg_outbox_mark_sent(s->store, f->id, now, &error);
    g_info("message %" G_GINT64_FORMAT " delivered to chat %s (attempt %u)", f->id, f->chat_key, attempt);
  } else if (verdict == MG_CHATRESP_RETRY && attempt < s->cfg.max_attempts) {
    gint64 wait = mg_chatsend_backoff_ms(&s->cfg, attempt, s->cfg.random(s->cfg.random_data), retry_after_s);
    ok = mg_outbox_mark_retry(s->store, f->id, now + wait, error_text, &error);
    g_message("message %" G_GINT64_FORMAT " to chat %s: attempt %u failed (%s), next in %" G_GINT64_FORMAT " ms", f->id,
              f->chat_key, attempt, error_text, wait);
  } else {
    g_autofree char *why = verdict == MG_CHATRESP_RETRY
                               ? g_strdup_printf("gave up after %u attempts: %s", attempt, error_text)
                               : g_strdup(error_text);
    ok = mg_outbox_mark_dead(s->store, f->id, why, &error);
    g_message("message %" G_GINT64_FORMAT " to chat %s is dead: %s", f->id, f->chat_key, why);
  }
  if (!ok)
    g_warning("message %" G_GINT64_FORMAT ": %s", f->id, error->message);
  g_hash_table_remove(s->flights, &f->token);
  mg_chatsend_kick(s);
}

void
mg_chatsend_done(MgChatsend *s, guint64 token, MgChatrespVerdict verdict, gint64 retry_after_s, const char *error_text)
{
  Flight *f = g_hash_table_lookup(s->flights, &token);
  if (f)
    settle(s, f, verdict, retry_after_s, error_text ? error_text : "");
}

static void
on_http(guint64 http_id, const MgHttpcResponse *r, gpointer data)
{
  (void)http_id;
  Flight *f = data;
  MgChatrespAnswer a = { .status = r->status, .error = r->error, .body = r->body, .retry_after_s = r->retry_after_s };
  gint64 after = -1;
  g_autofree char *message = NULL;
  MgChatrespVerdict v = mg_chatresp_classify(f->kind, &a, &after, &message);
  settle(f->s, f, v, after, message ? message : "");
}

/* ---- sending ---- */

/* The chat of a message: stored, or the built-in console chat. (transfer full) or NULL. */
static MgChat *
find_chat(MgStore *store, const char *key)
{
  MgChat *chat = mg_chats_get(store, key);
  if (!chat && !g_strcmp0(key, MG_CHATS_CONSOLE_KEY))
    chat = mg_chats_builtin_console();
  return chat;
}

/* 0 when target key (a chat's or a raw target's) may send now under rate
 * (NULL: connector's default), else the ms until it may. */
static gint64
take_token(MgChatsend *s, const char *key, const char *rate, MgChatConnectorKind connector, gint64 now)
{
  const char *spec = rate ? rate : mg_ratelimit_default(connector);
  Limit *l = g_hash_table_lookup(s->limits, key);
  if (!l || g_strcmp0(l->spec, spec)) {
    g_autoptr(GError) error = NULL;
    MgRatelimit *rl = mg_ratelimit_new(spec, now, &error);
    if (!rl) {
      /* chats validates rates; a bad one here falls back to the connector's default. */
      g_warning("chat %s: %s; using the default", key, error->message);
      rl = mg_ratelimit_new(mg_ratelimit_default(connector), now, NULL);
    }
    l = g_new0(Limit, 1);
    l->spec = g_strdup(spec);
    l->rl = rl;
    g_hash_table_replace(s->limits, g_strdup(key), l);
  }
  return mg_ratelimit_take(l->rl, now);
}

static void
give_up(MgChatsend *s, const MgOutboxMessage *m, const char *why)
{
  g_autoptr(GError) error = NULL;
  g_message("message %" G_GINT64_FORMAT " to chat %s is dead: %s", m->id, m->chat_key, why);
  if (!mg_outbox_mark_dead(s->store, m->id, why, &error))
    g_warning("message %" G_GINT64_FORMAT ": %s", m->id, error->message);
}

static void
post(MgChatsend *s, Flight *f, MgChatRequest *req, const char *idem_key)
{
  g_autofree char *header = g_strdup_printf("X-Meetgate-Idempotency-Key: %s", idem_key);
  g_ptr_array_add(req->headers, g_steal_pointer(&header));
  f->http_id = mg_httpc_post(s->httpc, req->url, req->headers, req->body, s->cfg.request_timeout_ms, on_http, f);
}

/* Starts the transport of f; the answer comes through settle(). */
static void
dispatch(MgChatsend *s, Flight *f, const MgChat *chat, MgChatRequest *req, const char *idem_key)
{
  Transport *t = &s->transports[chat->connector];
  if (t->fn) {
    t->fn(s, f->token, chat, req, idem_key, t->data);
  } else if (chat->connector == MG_CHAT_CONNECTOR_CONSOLE) {
    g_message("chat %s: %s", chat->key, req->body);
    settle(s, f, MG_CHATRESP_OK, -1, NULL);
  } else if (chat->connector == MG_CHAT_CONNECTOR_XMPP) {
    settle(s, f, MG_CHATRESP_RETRY, -1, "no XMPP connection");
  } else {
    post(s, f, req, idem_key);
  }
}

/* A raw message (event webhook, attendance callback): to its target over
 * HTTP, answered like the generic connector. */
static void
send_raw(MgChatsend *s, const MgOutboxMessage *m, gint64 now)
{
  const MgChatsendTarget *t = s->targets ? s->targets(m->chat_key, s->targets_data) : NULL;
  g_autoptr(GError) error = NULL;
  if (!t || !t->url) {
    g_autofree char *why = g_strdup_printf("no such webhook: \"%s\" is not configured", m->chat_key);
    count_failure(s, g_str_has_prefix(m->chat_key, "callback:") ? "callback" : "webhook");
    give_up(s, m, why);
    return;
  }
  gint64 wait = take_token(s, m->chat_key, t->rate, MG_CHAT_CONNECTOR_GENERIC, now);
  if (wait > 0) {
    if (!mg_outbox_defer(s->store, m->id, now + wait, &error))
      g_warning("message %" G_GINT64_FORMAT ": %s", m->id, error->message);
    return;
  }
  g_autoptr(MgChatRequest) req = mg_chatmsg_build_raw(t->url, t->secret, m->event_json, m->kind_name, now, &error);
  if (!req) {
    give_up(s, m, error->message);
    return;
  }
  if (!mg_outbox_mark_sending(s->store, m->id, now, &error)) {
    g_warning("message %" G_GINT64_FORMAT ": %s", m->id, error->message);
    return;
  }
  /* The connector name lives as long as s (interned in the failure table's keys). */
  if (!g_hash_table_contains(s->failures, t->connector ? t->connector : "webhook"))
    g_hash_table_insert(s->failures, g_strdup(t->connector ? t->connector : "webhook"), g_new0(guint64, 1));
  const char *connector = NULL;
  g_hash_table_lookup_extended(s->failures, t->connector ? t->connector : "webhook", (gpointer *)&connector, NULL);
  Flight *f = g_new0(Flight, 1);
  *f = (Flight){ .s = s,
                 .token = ++s->next_token,
                 .id = m->id,
                 .attempts = m->attempts,
                 .kind = MG_CHAT_CONNECTOR_GENERIC,
                 .connector = connector,
                 .chat_key = g_strdup(m->chat_key) };
  g_hash_table_insert(s->flights, &f->token, f);
  post(s, f, req, m->idem_key);
}

/* Sends message m if its chat's rate allows; TRUE when it went out (or died). */
static void
send_one(MgChatsend *s, const MgOutboxMessage *m, gint64 now)
{
  if (m->raw) {
    send_raw(s, m, now);
    return;
  }
  g_autoptr(MgChat) chat = find_chat(s->store, m->chat_key);
  g_autoptr(GError) error = NULL;
  if (!chat) {
    g_autofree char *why =
        g_strdup_printf("chat \"%s\" does not exist (removed after the message was queued)", m->chat_key);
    give_up(s, m, why);
    return;
  }
  if ((guint)chat->connector >= N_KINDS) {
    give_up(s, m, "the chat's connector is unknown");
    return;
  }
  gint64 wait = take_token(s, chat->key, chat->rate, chat->connector, now);
  if (wait > 0) {
    if (!mg_outbox_defer(s->store, m->id, now + wait, &error))
      g_warning("message %" G_GINT64_FORMAT ": %s", m->id, error->message);
    return;
  }
  g_autoptr(MgOutboxEvent) ev = mg_outbox_event_parse(m->event_json, &error);
  MgChatConnector c = { .kind = chat->connector, .webhook_url = chat->webhook_url, .secret = chat->secret };
  g_autoptr(MgChatRequest) req = ev ? mg_chatmsg_build(&c, &ev->ev, now, &error) : NULL;
  if (!req) {
    give_up(s, m, error->message);
    return;
  }
  if (!mg_outbox_mark_sending(s->store, m->id, now, &error)) {
    g_warning("message %" G_GINT64_FORMAT ": %s", m->id, error->message);
    return;
  }
  Flight *f = g_new0(Flight, 1);
  *f = (Flight){ .s = s,
                 .token = ++s->next_token,
                 .id = m->id,
                 .attempts = m->attempts,
                 .kind = chat->connector,
                 .connector = mg_chatmsg_connector_kind_name(chat->connector),
                 .chat_key = g_strdup(m->chat_key) };
  g_hash_table_insert(s->flights, &f->token, f);
  dispatch(s, f, chat, req, m->idem_key);
}

void
mg_chatsend_run(MgChatsend *s)
{
  if (s->stopping)
    return;
  gint64 now = now_ms(s);
  /* Deferred or settled heads make room for the next; stop when a pass sends nothing new. */
  for (guint pass = 0; pass < 64; pass++) {
    guint room = s->cfg.max_in_flight - MIN(s->cfg.max_in_flight, mg_chatsend_in_flight(s));
    if (!room)
      break;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) due = mg_outbox_due_heads(s->store, now, room, &error);
    if (!due) {
      g_warning("%s", error->message);
      break;
    }
    if (!due->len)
      break;
    for (guint i = 0; i < due->len && mg_chatsend_in_flight(s) < s->cfg.max_in_flight; i++)
      send_one(s, due->pdata[i], now);
  }
  arm(s);
}

static gboolean
on_wake(gpointer data)
{
  MgChatsend *s = data;
  drop_source(&s->timer);
  drop_source(&s->idle);
  mg_chatsend_run(s);
  return G_SOURCE_REMOVE;
}

/* Sleeps until the next head is due (at most MAX_SLEEP_MS); while the
 * in-flight window is full, an answer wakes the deliverer instead. */
static void
arm(MgChatsend *s)
{
  drop_source(&s->timer);
  if (mg_chatsend_in_flight(s) >= s->cfg.max_in_flight)
    return;
  gint64 next = mg_outbox_next_head_at(s->store);
  gint64 wait = next ? CLAMP(next - now_ms(s), 0, MAX_SLEEP_MS) : MAX_SLEEP_MS;
  s->timer = g_timeout_source_new((guint)wait);
  g_source_set_callback(s->timer, on_wake, s, NULL);
  g_source_attach(s->timer, s->ctx);
}

void
mg_chatsend_kick(MgChatsend *s)
{
  if (s->idle)
    return;
  s->idle = g_idle_source_new();
  g_source_set_callback(s->idle, on_wake, s, NULL);
  g_source_attach(s->idle, s->ctx);
}

guint
mg_chatsend_drain(MgChatsend *s, guint timeout_ms)
{
  s->stopping = TRUE;
  gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
  while (mg_chatsend_in_flight(s) && g_get_monotonic_time() < deadline)
    if (!g_main_context_iteration(s->ctx, FALSE))
      g_usleep(2000);
  return mg_chatsend_in_flight(s);
}

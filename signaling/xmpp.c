/* SPDX-License-Identifier: MIT
 * XMPP client thread: owns the libstrophe context and connection, connects
 * with backoff, pings, and hands results back to the caller's GMainContext. */
#define G_LOG_DOMAIN "xmpp"
#include "signaling/xmpp-private.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#define POLL_MS 20
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000
#define SHUTDOWN_MS 1000

struct MgXmpp {
  XmppWorker *w;
  GThread *thread;
};

static XmppPost stop_marker;

const char *
mg_xmpp_result_name(MgXmppResult result)
{
  static const char *const names[] = { [MG_XMPP_OK] = "ok", [MG_XMPP_RETRY] = "retry", [MG_XMPP_FAIL] = "fail" };
  return (guint)result < G_N_ELEMENTS(names) ? names[result] : "?";
}

void
mg_xmpp_post_free(XmppPost *p)
{
  if (!p || p == &stop_marker)
    return;
  g_free(p->room);
  g_free(p->nick);
  g_free(p->text);
  g_free(p->id);
  g_free(p);
}

typedef struct {
  XmppAlive *alive;
  MgXmppDone done;
  gpointer user_data;
  MgXmppResult result;
  char *text;
} Result;

static void
result_free(gpointer data)
{
  Result *r = data;
  g_atomic_rc_box_release(r->alive);
  g_free(r->text);
  g_free(r);
}

static gboolean
result_deliver(gpointer data)
{
  Result *r = data;
  if (!g_atomic_int_get(&r->alive->dead) && r->done)
    r->done(r->result, r->text, r->user_data);
  return G_SOURCE_REMOVE;
}

/* Queues p's callback on the caller's context and frees p. */
void
mg_xmpp_finish(XmppWorker *w, XmppPost *p, MgXmppResult result, const char *text)
{
  if (result == MG_XMPP_OK)
    g_debug("%s: post %" G_GUINT64_FORMAT " to %s acknowledged", w->jid, p->n, p->room);
  else
    g_message("%s: post %" G_GUINT64_FORMAT " to %s: %s: %s", w->jid, p->n, p->room, mg_xmpp_result_name(result), text);
  Result *r = g_new0(Result, 1);
  r->alive = g_atomic_rc_box_acquire(w->alive);
  r->done = p->done;
  r->user_data = p->user_data;
  r->result = result;
  r->text = result == MG_XMPP_OK ? NULL : g_strdup(text);
  GSource *s = g_idle_source_new();
  g_source_set_priority(s, G_PRIORITY_DEFAULT);
  g_source_set_callback(s, result_deliver, r, result_free);
  g_source_attach(s, w->caller);
  g_source_unref(s);
  mg_xmpp_post_free(p);
}

/* libstrophe's log: warnings and errors go to GLib; debug lines are never
 * logged (they carry raw stanzas, the password's encoding too), only read for
 * what 0.12 does not pass to the connection handler: a SASL refusal and the
 * errno of a failed TCP connect. */
static void
on_log(void *userdata, xmpp_log_level_t level, const char *area, const char *msg)
{
  XmppWorker *w = userdata;
  int err = 0;
  if (level >= XMPP_LEVEL_WARN)
    g_message("%s: libstrophe %s: %s", w->jid, area, msg);
  else if (g_str_has_prefix(msg, "SASL") && strstr(msg, "auth failed"))
    w->sasl_failed = TRUE;
  else if (sscanf(msg, "connection failed, error %d", &err) == 1)
    w->connect_errno = err;
}

static const char *const stream_errors[] = {
  [XMPP_SE_BAD_FORMAT] = "bad-format",
  [XMPP_SE_BAD_NS_PREFIX] = "bad-namespace-prefix",
  [XMPP_SE_CONFLICT] = "conflict",
  [XMPP_SE_CONN_TIMEOUT] = "connection-timeout",
  [XMPP_SE_HOST_GONE] = "host-gone",
  [XMPP_SE_HOST_UNKNOWN] = "host-unknown",
  [XMPP_SE_IMPROPER_ADDR] = "improper-addressing",
  [XMPP_SE_INTERNAL_SERVER_ERROR] = "internal-server-error",
  [XMPP_SE_INVALID_FROM] = "invalid-from",
  [XMPP_SE_INVALID_ID] = "invalid-id",
  [XMPP_SE_INVALID_NS] = "invalid-namespace",
  [XMPP_SE_INVALID_XML] = "invalid-xml",
  [XMPP_SE_NOT_AUTHORIZED] = "not-authorized",
  [XMPP_SE_POLICY_VIOLATION] = "policy-violation",
  [XMPP_SE_REMOTE_CONN_FAILED] = "remote-connection-failed",
  [XMPP_SE_RESOURCE_CONSTRAINT] = "resource-constraint",
  [XMPP_SE_RESTRICTED_XML] = "restricted-xml",
  [XMPP_SE_SEE_OTHER_HOST] = "see-other-host",
  [XMPP_SE_SYSTEM_SHUTDOWN] = "system-shutdown",
  [XMPP_SE_UNDEFINED_CONDITION] = "undefined-condition",
  [XMPP_SE_UNSUPPORTED_ENCODING] = "unsupported-encoding",
  [XMPP_SE_UNSUPPORTED_STANZA_TYPE] = "unsupported-stanza-type",
  [XMPP_SE_UNSUPPORTED_VERSION] = "unsupported-version",
  [XMPP_SE_XML_NOT_WELL_FORMED] = "xml-not-well-formed",
};

static char *
disconnect_reason(XmppWorker *w, int error, const xmpp_stream_error_t *se)
{
  if (se) {
    const char *name = (guint)se->type < G_N_ELEMENTS(stream_errors) ? stream_errors[se->type] : NULL;
    g_autofree char *text = se->text ? g_utf8_make_valid(se->text, 200) : NULL;
    return g_strdup_printf("stream error %s%s%s", name ? name : "undefined-condition", text ? ": " : "",
                           text ? text : "");
  }
  if (error || w->connect_errno)
    return g_strdup_printf("connection failed: %s", g_strerror(error ? error : w->connect_errno));
  if (!w->online && w->sasl_failed)
    return g_strdup_printf("not-authorized: the server refused the login of %s (wrong password?)", w->jid);
  if (!w->online && w->require_tls)
    return g_strdup("disconnected before login (does the server offer STARTTLS? TLS is required)");
  return g_strdup(w->online ? "connection closed" : "the server closed the stream before login");
}

static void
on_conn(xmpp_conn_t *conn, xmpp_conn_event_t event, int error, xmpp_stream_error_t *se, void *userdata)
{
  XmppWorker *w = userdata;
  if (event == XMPP_CONN_CONNECT) {
    w->online = TRUE;
    w->attempt = 0;
    w->auth_failed = FALSE;
    w->ping_at_ms = w->now_ms + w->ping_interval_ms;
    g_clear_pointer(&w->ping_id, g_free);
    g_message("%s: connected as %s (%s)", w->jid, xmpp_conn_get_bound_jid(conn),
              xmpp_conn_is_secured(conn) ? "TLS" : "no TLS");
    xmpp_stanza_t *presence = xmpp_presence_new(w->ctx);
    xmpp_send(conn, presence);
    xmpp_stanza_release(presence);
    if (!w->stopping)
      mg_xmpp_rooms_online(w);
    return;
  }
  if (w->conn_ended)
    return;
  if (!w->closing) {
    g_free(w->last_error);
    w->last_error = disconnect_reason(w, error, se);
  }
  w->auth_failed = !w->online && w->sasl_failed;
  w->online = FALSE;
  w->conn_ended = TRUE;
}

static void
start_connect(XmppWorker *w)
{
  w->conn = xmpp_conn_new(w->ctx);
  long flags = XMPP_CONN_FLAG_DISABLE_SM | (w->require_tls ? XMPP_CONN_FLAG_MANDATORY_TLS : 0);
  xmpp_conn_set_flags(w->conn, flags);
  xmpp_conn_set_jid(w->conn, w->jid);
  xmpp_conn_set_pass(w->conn, w->password);
  xmpp_conn_set_sockopt_callback(w->conn, xmpp_sockopt_cb_keepalive);
  mg_xmpp_add_handlers(w);
  w->online = w->conn_ended = w->sasl_failed = w->closing = FALSE;
  w->connect_errno = 0;
  g_debug("%s: connecting to %s:%u", w->jid, w->host ? w->host : "(JID domain)", w->port ? w->port : 5222);
  if (xmpp_connect_client(w->conn, w->host, w->port, on_conn, w) != XMPP_EOK) {
    g_free(w->last_error);
    w->last_error = g_strdup("connection failed: cannot start connecting (host or JID invalid?)");
    w->conn_ended = TRUE;
  }
}

static gint64
backoff_ms(guint attempt)
{
  gint64 ms = BACKOFF_MIN_MS;
  for (guint i = 0; i < attempt && ms < BACKOFF_MAX_MS; i++)
    ms *= 2;
  ms = MIN(ms, BACKOFF_MAX_MS);
  return ms + g_random_int_range(0, (gint32)(ms / 4) + 1);
}

/* After the connection ended: sent posts are retried, rooms reset, reconnect scheduled. */
static void
end_connection(XmppWorker *w)
{
  xmpp_conn_release(w->conn);
  w->conn = NULL;
  w->conn_ended = FALSE;
  g_clear_pointer(&w->ping_id, g_free);
  gint64 delay = w->auth_failed ? BACKOFF_MAX_MS : backoff_ms(w->attempt++);
  w->connect_at_ms = w->now_ms + delay;
  g_message("%s: %s; reconnecting in %" G_GINT64_FORMAT " ms", w->jid, w->last_error, delay);
  mg_xmpp_rooms_offline(w, w->last_error);
  if (w->auth_failed)
    mg_xmpp_rooms_fail_all(w, MG_XMPP_FAIL, w->last_error);
}

static void
ping_tick(XmppWorker *w)
{
  if (!w->online)
    return;
  if (w->ping_id && w->now_ms >= w->ping_deadline_ms) {
    /* Offline at once: posts queue instead of going into a dead socket while
     * libstrophe waits for the server to close the stream. */
    g_message("%s: no answer to the keepalive ping; reconnecting", w->jid);
    g_clear_pointer(&w->ping_id, g_free);
    g_free(w->last_error);
    w->last_error = g_strdup("no answer to the keepalive ping");
    w->online = FALSE;
    w->closing = TRUE;
    mg_xmpp_rooms_offline(w, w->last_error);
    xmpp_disconnect(w->conn);
    return;
  }
  if (w->ping_id || w->now_ms < w->ping_at_ms)
    return;
  w->ping_id = g_strdup_printf("mgping-%016" G_GINT64_MODIFIER "x-%" G_GUINT64_FORMAT, w->id_base, ++w->next_id);
  char *domain = xmpp_jid_domain(w->ctx, w->jid);
  xmpp_stanza_t *iq = xmpp_iq_new(w->ctx, "get", w->ping_id);
  xmpp_stanza_set_to(iq, domain);
  xmpp_free(w->ctx, domain);
  xmpp_stanza_t *ping = xmpp_stanza_new(w->ctx);
  xmpp_stanza_set_name(ping, "ping");
  xmpp_stanza_set_ns(ping, "urn:xmpp:ping");
  xmpp_stanza_add_child(iq, ping);
  xmpp_stanza_release(ping);
  xmpp_send(w->conn, iq);
  xmpp_stanza_release(iq);
  w->ping_deadline_ms = w->now_ms + w->ping_interval_ms * 2 / 3;
  g_debug("%s: ping %s sent", w->jid, w->ping_id);
  w->ping_at_ms = w->now_ms + w->ping_interval_ms;
}

gboolean
mg_xmpp_ping_answered(XmppWorker *w, const char *id)
{
  if (!w->ping_id || g_strcmp0(id, w->ping_id))
    return FALSE;
  g_clear_pointer(&w->ping_id, g_free);
  return TRUE;
}

/* Takes the queued requests; FALSE when asked to stop. */
static gboolean
drain_requests(XmppWorker *w)
{
  XmppPost *p;
  while ((p = g_async_queue_try_pop(w->requests))) {
    if (p == &stop_marker)
      return FALSE;
    mg_xmpp_accept_post(w, p);
  }
  return TRUE;
}

/* Ends the connection within SHUTDOWN_MS. A login in progress is let finish
 * first: libstrophe 0.12 leaks its SCRAM state when a connection is dropped
 * in the middle of SASL. */
static void
shutdown_connection(XmppWorker *w)
{
  w->stopping = TRUE;
  if (!w->conn)
    return;
  gint64 until = g_get_monotonic_time() / 1000 + SHUTDOWN_MS;
  while (!w->online && !w->conn_ended && g_get_monotonic_time() / 1000 < until)
    xmpp_run_once(w->ctx, POLL_MS);
  if (!w->conn_ended) {
    xmpp_disconnect(w->conn);
    while (!w->conn_ended && g_get_monotonic_time() / 1000 < until)
      xmpp_run_once(w->ctx, POLL_MS);
  }
  xmpp_conn_release(w->conn);
  w->conn = NULL;
}

static gpointer
worker_main(gpointer data)
{
  XmppWorker *w = data;
  /* libstrophe writes to a socket the server may have closed: EPIPE, not a
   * process-killing SIGPIPE (the daemon ignores it anyway; a test client may not). */
  sigset_t pipe_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);
  for (;;) {
    w->now_ms = g_get_monotonic_time() / 1000;
    if (!drain_requests(w))
      break;
    if (!w->conn && w->now_ms >= w->connect_at_ms)
      start_connect(w);
    ping_tick(w);
    mg_xmpp_rooms_tick(w);
    if (w->conn && !w->conn_ended) {
      xmpp_run_once(w->ctx, POLL_MS);
    } else {
      XmppPost *p = g_async_queue_timeout_pop(w->requests, POLL_MS * 1000);
      if (p)
        g_async_queue_push_front(w->requests, p);
    }
    w->now_ms = g_get_monotonic_time() / 1000;
    if (w->conn && w->conn_ended)
      end_connection(w);
  }
  shutdown_connection(w);
  return NULL;
}

static gpointer
init_once(gpointer unused)
{
  xmpp_initialize();
  return NULL;
}

MgXmpp *
mg_xmpp_new(GMainContext *ctx, const MgXmppAccount *acct)
{
  static GOnce once = G_ONCE_INIT;
  g_return_val_if_fail(acct && acct->jid, NULL);
  g_once(&once, init_once, NULL);
  XmppWorker *w = g_new0(XmppWorker, 1);
  w->caller = ctx ? g_main_context_ref(ctx) : g_main_context_ref(g_main_context_default());
  w->alive = g_atomic_rc_box_new0(XmppAlive);
  w->requests = g_async_queue_new();
  w->jid = g_strdup(acct->jid);
  w->password = g_strdup(acct->password ? acct->password : "");
  w->host = acct->host && *acct->host ? g_strdup(acct->host) : NULL;
  w->port = acct->port;
  w->require_tls = acct->require_tls;
  w->ack_timeout_ms = acct->ack_timeout_ms ? acct->ack_timeout_ms : 15000;
  w->queue_timeout_ms = acct->queue_timeout_ms ? acct->queue_timeout_ms : 30000;
  w->ping_interval_ms = acct->ping_interval_ms ? acct->ping_interval_ms : 30000;
  w->log = (xmpp_log_t){ .handler = on_log, .userdata = w };
  w->ctx = xmpp_ctx_new(NULL, &w->log);
  w->id_base = ((guint64)g_random_int() << 32) | g_random_int();
  w->rooms = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)mg_xmpp_room_free);
  w->sent = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, NULL);

  MgXmpp *x = g_new0(MgXmpp, 1);
  x->w = w;
  x->thread = g_thread_new("mg-xmpp", worker_main, w);
  return x;
}

void
mg_xmpp_post(MgXmpp *x, const char *room_jid, const char *nick, const char *text, MgXmppDone done, gpointer user_data)
{
  g_return_if_fail(x);
  XmppPost *p = g_new0(XmppPost, 1);
  p->room = g_strdup(room_jid ? room_jid : "");
  p->nick = g_strdup(nick && *nick ? nick : "meetgate");
  p->text = g_strdup(text ? text : "");
  p->done = done;
  p->user_data = user_data;
  g_async_queue_push(x->w->requests, p);
}

/* Stops the thread; report: every undelivered post gets RETRY through the
 * caller's context, else all is dropped and queued results are muted. */
static void
destroy(MgXmpp *x, gboolean report)
{
  XmppWorker *w = x->w;
  if (!report)
    g_atomic_int_set(&w->alive->dead, 1);
  g_async_queue_push(w->requests, &stop_marker);
  g_thread_join(x->thread);

  const char *why = "the XMPP client was closed before the message was delivered";
  XmppPost *p;
  while ((p = g_async_queue_try_pop(w->requests))) {
    if (report && p != &stop_marker)
      mg_xmpp_finish(w, p, MG_XMPP_RETRY, why);
    else
      mg_xmpp_post_free(p);
  }
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, w->sent);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    g_hash_table_iter_steal(&it);
    if (report)
      mg_xmpp_finish(w, value, MG_XMPP_RETRY, why);
    else
      mg_xmpp_post_free(value);
  }
  if (report)
    mg_xmpp_rooms_fail_all(w, MG_XMPP_RETRY, why);
  g_hash_table_destroy(w->sent);
  g_hash_table_destroy(w->rooms);
  xmpp_ctx_free(w->ctx);
  g_async_queue_unref(w->requests);
  g_atomic_rc_box_release(w->alive);
  g_main_context_unref(w->caller);
  g_free(w->jid);
  g_free(w->password);
  g_free(w->host);
  g_free(w->last_error);
  g_free(w->ping_id);
  g_free(w);
  g_free(x);
}

void
mg_xmpp_free(MgXmpp *x)
{
  if (x)
    destroy(x, FALSE);
}

void
mg_xmpp_close(MgXmpp *x)
{
  if (x)
    destroy(x, TRUE);
}

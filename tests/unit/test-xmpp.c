/* SPDX-License-Identifier: MIT
 * signaling/xmpp.c without a server: results come back on the caller's
 * context, nothing comes back after mg_xmpp_free(), error stanzas are read
 * right. Posting into a real room is tests/integration/test_xmpp.py. */
#include <gio/gio.h>
#include <string.h>

#include "signaling/xmpp-private.h"

typedef struct {
  int calls;
  MgXmppResult result;
  char *text;
  GThread *thread;
} Seen;

static void
on_done(MgXmppResult result, const char *text, gpointer user_data)
{
  Seen *s = user_data;
  s->calls++;
  s->result = result;
  g_free(s->text);
  s->text = g_strdup(text);
  s->thread = g_thread_self();
}

/* A loopback port nobody listens on (bound, then closed). */
static guint16
closed_port(void)
{
  g_autoptr(GSocket) s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
  g_assert_true(g_socket_bind(s, any, FALSE, NULL));
  g_autoptr(GSocketAddress) bound = g_socket_get_local_address(s, NULL);
  guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_socket_close(s, NULL);
  return port;
}

static MgXmpp *
client(GMainContext *ctx, guint queue_ms)
{
  MgXmppAccount acct = {
    .jid = "bot@localhost", .password = "pw", .host = "127.0.0.1", .port = closed_port(), .queue_timeout_ms = queue_ms
  };
  return mg_xmpp_new(ctx, &acct);
}

static void
wait_calls(GMainContext *ctx, Seen *s, int n)
{
  while (s->calls < n)
    g_main_context_iteration(ctx, TRUE);
}

static void
test_no_server_retry(void)
{
  GMainContext *ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  MgXmpp *x = client(ctx, 300);
  Seen s = { 0 };
  mg_xmpp_post(x, "room@conference.localhost", "meetgate", "hello", on_done, &s);
  wait_calls(ctx, &s, 1);
  g_assert_cmpint(s.result, ==, MG_XMPP_RETRY);
  g_assert_true(s.thread == g_thread_self());
  g_assert_true(g_str_has_prefix(s.text, "not connected (connection failed: "));
  g_assert_null(strstr(s.text, "pw"));
  mg_xmpp_free(x);
  g_free(s.text);
  g_main_context_pop_thread_default(ctx);
  g_main_context_unref(ctx);
}

static void
test_bad_input_fails(void)
{
  GMainContext *ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  MgXmpp *x = client(ctx, 60000);
  static const char *const rooms[] = { "no-at-sign", "@service", "room@", "room@service/nick", "room@service" };
  static const char *const texts[] = { "t", "t", "t", "t", "" };
  Seen s[G_N_ELEMENTS(rooms)] = { 0 };
  for (guint i = 0; i < G_N_ELEMENTS(rooms); i++)
    mg_xmpp_post(x, rooms[i], "meetgate", texts[i], on_done, &s[i]);
  for (guint i = 0; i < G_N_ELEMENTS(rooms); i++) {
    wait_calls(ctx, &s[i], 1);
    g_assert_cmpint(s[i].result, ==, MG_XMPP_FAIL);
    g_assert_true(g_str_has_prefix(s[i].text, "bad-request"));
    g_free(s[i].text);
  }
  mg_xmpp_free(x);
  g_main_context_pop_thread_default(ctx);
  g_main_context_unref(ctx);
}

/* A result already queued on the context when mg_xmpp_free() runs is dropped;
 * a post still waiting in the client never calls back. */
static void
test_free_drops_results(void)
{
  GMainContext *ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  MgXmpp *x = client(ctx, 60000);
  Seen queued = { 0 }, waiting = { 0 };
  mg_xmpp_post(x, "room@conference.localhost", "meetgate", "waits", on_done, &waiting);
  mg_xmpp_post(x, "bad", "meetgate", "fails at once", on_done, &queued);
  while (!g_main_context_pending(ctx))
    g_usleep(1000);
  mg_xmpp_free(x);
  while (g_main_context_iteration(ctx, FALSE))
    ;
  g_assert_cmpint(queued.calls, ==, 0);
  g_assert_cmpint(waiting.calls, ==, 0);
  g_main_context_pop_thread_default(ctx);
  g_main_context_unref(ctx);
}

/* mg_xmpp_close(): the waiting post gets retry, the finished one its result. */
static void
test_close_reports(void)
{
  GMainContext *ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  MgXmpp *x = client(ctx, 60000);
  Seen queued = { 0 }, waiting = { 0 };
  mg_xmpp_post(x, "room@conference.localhost", "meetgate", "waits", on_done, &waiting);
  mg_xmpp_post(x, "bad", "meetgate", "fails at once", on_done, &queued);
  while (!g_main_context_pending(ctx))
    g_usleep(1000);
  mg_xmpp_close(x);
  while (g_main_context_iteration(ctx, FALSE))
    ;
  g_assert_cmpint(queued.calls, ==, 1);
  g_assert_cmpint(queued.result, ==, MG_XMPP_FAIL);
  g_assert_cmpint(waiting.calls, ==, 1);
  g_assert_cmpint(waiting.result, ==, MG_XMPP_RETRY);
  g_assert_cmpstr(waiting.text, ==, "the XMPP client was closed before the message was delivered");
  g_free(queued.text);
  g_free(waiting.text);
  g_main_context_pop_thread_default(ctx);
  g_main_context_unref(ctx);
}

static xmpp_stanza_t *
child(xmpp_ctx_t *ctx, xmpp_stanza_t *parent, const char *name, const char *ns)
{
  xmpp_stanza_t *c = xmpp_stanza_new(ctx);
  xmpp_stanza_set_name(c, name);
  if (ns)
    xmpp_stanza_set_ns(c, ns);
  xmpp_stanza_add_child(parent, c);
  xmpp_stanza_release(c);
  return c;
}

static void
test_stanza_error(void)
{
  xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, NULL);
  const char *stanzas_ns = "urn:ietf:params:xml:ns:xmpp-stanzas";

  xmpp_stanza_t *p = xmpp_presence_new(ctx);
  xmpp_stanza_set_type(p, "error");
  xmpp_stanza_t *err = child(ctx, p, "error", NULL);
  xmpp_stanza_set_type(err, "cancel");
  child(ctx, err, "not-allowed", stanzas_ns);
  xmpp_stanza_t *text = child(ctx, err, "text", stanzas_ns);
  xmpp_stanza_t *t = xmpp_stanza_new(ctx);
  xmpp_stanza_set_text(t, "Room creation is restricted");
  xmpp_stanza_add_child(text, t);
  xmpp_stanza_release(t);
  child(ctx, err, "app-specific", "urn:example:app"); /* not a condition */
  g_autofree char *cond = NULL;
  g_autofree char *desc = mg_xmpp_stanza_error(p, &cond);
  g_assert_cmpstr(cond, ==, "not-allowed");
  g_assert_cmpstr(desc, ==, "not-allowed: Room creation is restricted");
  xmpp_stanza_release(p);

  /* No <error/> at all, or no condition in it. */
  xmpp_stanza_t *m = xmpp_message_new(ctx, "error", "room@service", "id1");
  g_autofree char *cond2 = NULL;
  g_autofree char *desc2 = mg_xmpp_stanza_error(m, &cond2);
  g_assert_cmpstr(cond2, ==, "undefined-condition");
  g_assert_cmpstr(desc2, ==, "undefined-condition");
  child(ctx, m, "error", NULL);
  g_autofree char *desc3 = mg_xmpp_stanza_error(m, NULL);
  g_assert_cmpstr(desc3, ==, "undefined-condition");
  xmpp_stanza_release(m);
  xmpp_ctx_free(ctx);

  g_assert_true(mg_xmpp_error_is_permanent("forbidden"));
  g_assert_true(mg_xmpp_error_is_permanent("item-not-found"));
  g_assert_true(mg_xmpp_error_is_permanent("not-authorized"));
  g_assert_false(mg_xmpp_error_is_permanent("service-unavailable"));
  g_assert_false(mg_xmpp_error_is_permanent("not-acceptable"));
  g_assert_false(mg_xmpp_error_is_permanent(NULL));
  g_assert_cmpstr(mg_xmpp_result_name(MG_XMPP_RETRY), ==, "retry");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/xmpp/no-server-retry", test_no_server_retry);
  g_test_add_func("/xmpp/bad-input-fails", test_bad_input_fails);
  g_test_add_func("/xmpp/free-drops-results", test_free_drops_results);
  g_test_add_func("/xmpp/close-reports", test_close_reports);
  g_test_add_func("/xmpp/stanza-error", test_stanza_error);
  return g_test_run();
}

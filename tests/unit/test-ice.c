/* SPDX-License-Identifier: MIT
 * mg_ice: a lite (server) agent and a full (client) agent on 127.0.0.1 connect
 * and exchange datagrams both ways, also after an ICE restart. The server's
 * sends take the direct sendto() path on the selected UDP pair, the client's
 * go through nice_agent_send (consent freshness on). */
#include "media/ice.h"

#include <string.h>

typedef struct {
  MgIceState state;
  GPtrArray *got; /* received datagrams as strings */
} Side;

static void
on_recv(guint8 *data, gsize len, gpointer user_data)
{
  Side *s = user_data;
  g_ptr_array_add(s->got, g_strndup((const char *)data, len));
}

static void
on_state(MgIceState state, gpointer user_data)
{
  ((Side *)user_data)->state = state;
}

static const MgIceCallbacks callbacks = { on_recv, on_state };

static void
introduce(MgIce *from, MgIce *to)
{
  g_assert_true(mg_ice_set_remote_credentials(to, mg_ice_get_ufrag(from), mg_ice_get_pwd(from)));
  g_autoptr(GPtrArray) cands = mg_ice_get_local_candidates(from);
  g_assert_cmpuint(cands->len, >, 0);
  for (guint i = 0; i < cands->len; i++)
    g_assert_true(mg_ice_add_remote_candidate(to, g_ptr_array_index(cands, i)));
  mg_ice_end_of_candidates(to);
}

/* Iterates ctx until cond() or 10 s (a hang guard, not a timing check). */
static gboolean
spin_until(GMainContext *ctx, gboolean (*cond)(gpointer), gpointer data)
{
  gint64 end = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
  while (!cond(data) && g_get_monotonic_time() < end)
    if (!g_main_context_iteration(ctx, FALSE))
      g_usleep(1000);
  return cond(data);
}

typedef struct {
  Side *a, *b;
  guint want;
} Pair;

static gboolean
both_connected(gpointer data)
{
  Pair *p = data;
  return p->a->state == MG_ICE_CONNECTED && p->b->state == MG_ICE_CONNECTED;
}

static gboolean
got_enough(gpointer data)
{
  Pair *p = data;
  return p->a->got->len >= p->want && p->b->got->len >= p->want;
}

static void
exchange(GMainContext *ctx, MgIce *server, MgIce *client, Side *ss, Side *cs, const char *tag)
{
  g_ptr_array_set_size(ss->got, 0);
  g_ptr_array_set_size(cs->got, 0);
  for (int i = 0; i < 5; i++) {
    g_autofree char *down = g_strdup_printf("%s down %d", tag, i);
    g_autofree char *up = g_strdup_printf("%s up %d", tag, i);
    g_assert_cmpint(mg_ice_send(server, (const guint8 *)down, strlen(down)), ==, 0);
    g_assert_cmpint(mg_ice_send(client, (const guint8 *)up, strlen(up)), ==, 0);
  }
  Pair p = { ss, cs, 5 };
  g_assert_true(spin_until(ctx, got_enough, &p));
  g_assert_cmpuint(cs->got->len, ==, 5);
  g_assert_cmpuint(ss->got->len, ==, 5);
  for (int i = 0; i < 5; i++) {
    g_autofree char *down = g_strdup_printf("%s down %d", tag, i);
    g_autofree char *up = g_strdup_printf("%s up %d", tag, i);
    g_assert_cmpstr(g_ptr_array_index(cs->got, i), ==, down);
    g_assert_cmpstr(g_ptr_array_index(ss->got, i), ==, up);
  }
}

static void
test_connect_and_send(void)
{
  g_autoptr(GMainContext) ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  char *addrs[] = { "127.0.0.1", NULL };
  MgIceSettings srv = { .addresses = addrs }, cli = { .addresses = addrs, .controlling = TRUE };
  Side ss = { .got = g_ptr_array_new_with_free_func(g_free) }, cs = { .got = g_ptr_array_new_with_free_func(g_free) };
  g_autoptr(GError) error = NULL;
  g_autoptr(MgIce) server = mg_ice_new(ctx, &srv, &callbacks, &ss, &error);
  g_assert_no_error(error);
  g_autoptr(MgIce) client = mg_ice_new(ctx, &cli, &callbacks, &cs, &error);
  g_assert_no_error(error);

  /* Nothing selected yet: the send fails instead of going anywhere. */
  g_assert_cmpint(mg_ice_send(server, (const guint8 *)"x", 1), <, 0);

  introduce(server, client);
  introduce(client, server);
  Pair p = { &ss, &cs, 0 };
  g_assert_true(spin_until(ctx, both_connected, &p));
  g_autofree char *pair = mg_ice_describe_pair(server);
  g_assert_nonnull(pair);
  g_assert_true(g_str_has_prefix(pair, "udp 127.0.0.1:"));
  exchange(ctx, server, client, &ss, &cs, "first");

  /* ICE restart on both sides: the server must not keep sending on stale state. */
  g_assert_true(mg_ice_restart(server));
  g_assert_true(mg_ice_restart(client));
  introduce(server, client);
  introduce(client, server);
  g_assert_true(spin_until(ctx, both_connected, &p));
  exchange(ctx, server, client, &ss, &cs, "restarted");

  g_ptr_array_unref(ss.got);
  g_ptr_array_unref(cs.got);
  g_clear_pointer(&server, mg_ice_free);
  g_clear_pointer(&client, mg_ice_free);
  g_main_context_pop_thread_default(ctx);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/ice/connect-and-send", test_connect_and_send);
  return g_test_run();
}

/* SPDX-License-Identifier: MIT */
#include "signaling/session.h"

typedef struct {
  GPtrArray *sent; /* json_t* */
} Sink;

static void
sink_send(json_t *msg, gpointer p)
{
  Sink *s = p;
  g_ptr_array_add(s->sent, json_incref(msg));
}

static void
sink_close(guint16 code, const char *reason, gpointer p)
{
}

static const MgSessionTransport transport = { sink_send, sink_close };

static const char *
last_field(Sink *s, const char *field)
{
  g_assert_cmpuint(s->sent->len, >, 0);
  return json_string_value(json_object_get(g_ptr_array_index(s->sent, s->sent->len - 1), field));
}

static void
test_table(void)
{
  Sink sink = { g_ptr_array_new_with_free_func((GDestroyNotify)json_decref) };
  MgSessionStats stats = { 0 };
  MgSession *s = mg_session_new(&transport, &sink, &stats, NULL);
  static const struct {
    const char *in;
    const char *type;
    const char *code;
  } cases[] = {
    { "{\"type\":\"ping\",\"id\":\"7\"}", "pong", NULL },
    { "not json", "error", "bad_message" },
    { "[1,2]", "error", "bad_message" },
    { "{\"type\":42}", "error", "bad_message" },
    { "{\"id\":1}", "error", "bad_message" },
    { "{\"type\":\"nosuch\"}", "error", "unknown_type" },
    { "{\"type\":\"ping\",\"type\":\"ping\"}", "error", "bad_message" },
    { "", "error", "bad_message" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    mg_session_handle(s, cases[i].in, strlen(cases[i].in), 0);
    g_assert_cmpstr(last_field(&sink, "type"), ==, cases[i].type);
    g_assert_cmpstr(last_field(&sink, "code"), ==, cases[i].code);
  }
  g_assert_cmpstr(json_string_value(json_object_get(g_ptr_array_index(sink.sent, 0), "id")), ==, "7");
  g_assert_cmpuint(stats.messages, ==, G_N_ELEMENTS(cases));
  g_assert_cmpuint(stats.errors, ==, G_N_ELEMENTS(cases) - 1);
  mg_session_free(s);
  g_ptr_array_unref(sink.sent);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/session/table", test_table);
  return g_test_run();
}

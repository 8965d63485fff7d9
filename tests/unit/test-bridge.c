/* SPDX-License-Identifier: MIT
 * The bridge's state machine with injected time (connect, backoff 1 s
 * doubling to 30 s, refusals, timeouts, stop) and its API body parser. */
#include "gateway/bridge-api.h"
#include "gateway/bridge-fsm.h"

static void
test_connect_and_backoff(void)
{
  MgBridgeFsm f;
  mg_bridge_fsm_init(&f, 1000, 0);
  g_assert_cmpint(f.state, ==, MG_BRIDGE_CONNECTING);
  g_assert_cmpint(mg_bridge_fsm_tick(&f, 1500), ==, MG_BRIDGE_FSM_NOTHING);
  mg_bridge_fsm_connected(&f);
  g_assert_cmpint(f.state, ==, MG_BRIDGE_CONNECTED);
  g_assert_cmpstr(mg_bridge_state_name(f.state), ==, "connected");

  /* Failures back off 1, 2, 4, 8, 16, 30, 30 s; nothing starts early. */
  gint64 now = 10000;
  const gint64 want[] = { 1000, 2000, 4000, 8000, 16000, 30000, 30000 };
  for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
    g_assert_cmpint(mg_bridge_fsm_fail(&f, now, FALSE, "far side gone"), ==, want[i]);
    g_assert_cmpint(f.state, ==, MG_BRIDGE_RETRYING);
    g_assert_cmpstr(f.error, ==, "far side gone");
    g_assert_cmpint(mg_bridge_fsm_tick(&f, now + want[i] - 1), ==, MG_BRIDGE_FSM_NOTHING);
    g_assert_cmpint(mg_bridge_fsm_tick(&f, now + want[i]), ==, MG_BRIDGE_FSM_START);
    g_assert_cmpint(f.state, ==, MG_BRIDGE_RETRYING); /* until the attempt is up */
    g_assert_cmpuint(f.restarts, ==, i + 1);
    g_assert_cmpint(mg_bridge_fsm_tick(&f, now + want[i] + 1), ==, MG_BRIDGE_FSM_NOTHING);
    now += want[i] + 10;
  }
  /* Connected again: the error is gone and the delay starts over at 1 s. */
  mg_bridge_fsm_connected(&f);
  g_assert_cmpint(f.state, ==, MG_BRIDGE_CONNECTED);
  g_assert_null(f.error);
  g_assert_cmpint(mg_bridge_fsm_fail(&f, now, FALSE, "again"), ==, 1000);
  mg_bridge_fsm_clear(&f);
}

static void
test_timeout_refusal_stop(void)
{
  MgBridgeFsm f;
  mg_bridge_fsm_init(&f, 0, 5000);
  g_assert_cmpint(mg_bridge_fsm_tick(&f, 4999), ==, MG_BRIDGE_FSM_NOTHING);
  g_assert_cmpint(mg_bridge_fsm_tick(&f, 5000), ==, MG_BRIDGE_FSM_TIMEOUT);
  g_assert_cmpint(mg_bridge_fsm_fail(&f, 5000, FALSE, "not connected"), ==, 1000);
  g_assert_cmpint(mg_bridge_fsm_tick(&f, 6000), ==, MG_BRIDGE_FSM_START);
  /* A refusal ends it: no retry, whatever the time. */
  g_assert_cmpint(mg_bridge_fsm_fail(&f, 6100, TRUE, "WHIP answered 401: bad token"), ==, -1);
  g_assert_cmpint(f.state, ==, MG_BRIDGE_FAILED);
  g_assert_cmpint(mg_bridge_fsm_tick(&f, 100000), ==, MG_BRIDGE_FSM_NOTHING);
  g_assert_cmpint(mg_bridge_fsm_fail(&f, 100000, FALSE, "late"), ==, -1);
  g_assert_cmpstr(f.error, ==, "WHIP answered 401: bad token");
  mg_bridge_fsm_connected(&f); /* a late report changes nothing */
  g_assert_cmpint(f.state, ==, MG_BRIDGE_FAILED);
  mg_bridge_fsm_stop(&f, "deleted");
  g_assert_cmpint(f.state, ==, MG_BRIDGE_STOPPED);
  g_assert_cmpstr(mg_bridge_state_name(f.state), ==, "stopped");
  mg_bridge_fsm_clear(&f);

  g_assert_cmpint(mg_bridge_http_class(201), ==, MG_BRIDGE_HTTP_OK);
  g_assert_cmpint(mg_bridge_http_class(401), ==, MG_BRIDGE_HTTP_FATAL);
  g_assert_cmpint(mg_bridge_http_class(403), ==, MG_BRIDGE_HTTP_FATAL);
  g_assert_cmpint(mg_bridge_http_class(404), ==, MG_BRIDGE_HTTP_FATAL);
  g_assert_cmpint(mg_bridge_http_class(400), ==, MG_BRIDGE_HTTP_RETRY);
  g_assert_cmpint(mg_bridge_http_class(503), ==, MG_BRIDGE_HTTP_RETRY);
  g_assert_cmpint(mg_bridge_http_class(0), ==, MG_BRIDGE_HTTP_RETRY);
}

static gboolean
parse(const char *body, MgBridgeSpec *spec, const char **code)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = mg_bridge_api_parse(body, strlen(body), spec, code, &error);
  g_assert_true(ok == (error == NULL));
  return ok;
}

static void
test_parse(void)
{
  MgBridgeSpec s;
  const char *code;
  g_assert_true(parse("{\"whip\":\"http://b:8080/whip/r\",\"whep\":\"https://b/whep/r\",\"token\":\"t\"}", &s, &code));
  g_assert_cmpstr(s.whip, ==, "http://b:8080/whip/r");
  g_assert_cmpstr(s.whep, ==, "https://b/whep/r");
  g_assert_cmpstr(s.name, ==, "Bridge");
  g_assert_cmpuint(s.video, ==, 4);
  g_assert_cmpuint(s.audio, ==, 4);
  mg_bridge_spec_clear(&s);
  g_assert_true(parse("{\"whep\":\"http://b/whep/r\",\"token\":\"t\",\"name\":\"Beijing office\",\"video\":1,"
                      "\"audio\":2}",
                      &s, &code));
  g_assert_null(s.whip);
  g_assert_cmpstr(s.name, ==, "Beijing office");
  g_assert_cmpuint(s.video, ==, 1);
  g_assert_cmpuint(s.audio, ==, 2);
  mg_bridge_spec_clear(&s);

  const char *bad_url[] = { "{\"token\":\"t\"}", "{\"whip\":\"ftp://b/x\",\"token\":\"t\"}",
                            "{\"whip\":\"http:///x\",\"token\":\"t\"}", "{\"whip\":\"http://b/ x\",\"token\":\"t\"}",
                            "{\"whip\":5,\"token\":\"t\"}" };
  for (guint i = 0; i < G_N_ELEMENTS(bad_url); i++) {
    g_assert_false(parse(bad_url[i], &s, &code));
    g_assert_cmpstr(code, ==, "bad_url");
  }
  const char *bad[] = { "",
                        "[1]",
                        "{",
                        "{\"whip\":\"http://b/x\"}",
                        "{\"whip\":\"http://b/x\",\"token\":\"\"}",
                        "{\"whip\":\"http://b/x\",\"token\":\"t\",\"name\":\"\"}",
                        "{\"whip\":\"http://b/x\",\"token\":\"t\",\"video\":0}",
                        "{\"whip\":\"http://b/x\",\"token\":\"t\",\"audio\":5}",
                        "{\"whip\":\"http://b/x\",\"token\":\"t\",\"token\":\"u\"}" };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_assert_false(parse(bad[i], &s, &code));
    g_assert_cmpstr(code, ==, "bad_request");
    g_assert_null(s.whip);
  }
}

/* A quiet far side is probed after MG_BRIDGE_QUIET_MS without a packet;
 * packets or a live answer start the quiet time over; one probe at a time. */
static void
test_liveness(void)
{
  MgBridgeLiveness l;
  mg_bridge_liveness_init(&l, 7, 1000);
  g_assert_false(mg_bridge_liveness_tick(&l, 7, 1000 + MG_BRIDGE_QUIET_MS - 1));
  /* A packet arrives: the quiet time starts over. */
  g_assert_false(mg_bridge_liveness_tick(&l, 8, 3000));
  g_assert_false(mg_bridge_liveness_tick(&l, 8, 3000 + MG_BRIDGE_QUIET_MS - 1));
  g_assert_true(mg_bridge_liveness_tick(&l, 8, 3000 + MG_BRIDGE_QUIET_MS));
  /* One probe at a time, however long its answer takes. */
  g_assert_false(mg_bridge_liveness_tick(&l, 8, 3000 + 3 * MG_BRIDGE_QUIET_MS));
  mg_bridge_liveness_alive(&l, 20000);
  g_assert_false(mg_bridge_liveness_tick(&l, 8, 20000 + MG_BRIDGE_QUIET_MS - 1));
  g_assert_true(mg_bridge_liveness_tick(&l, 8, 20000 + MG_BRIDGE_QUIET_MS));
  /* What the answer means. */
  g_assert_true(mg_bridge_probe_is_dead(0));
  g_assert_true(mg_bridge_probe_is_dead(404));
  g_assert_true(mg_bridge_probe_is_dead(410));
  g_assert_false(mg_bridge_probe_is_dead(204));
  g_assert_false(mg_bridge_probe_is_dead(200));
  g_assert_false(mg_bridge_probe_is_dead(405));
  g_assert_false(mg_bridge_probe_is_dead(503));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/bridge/connect-and-backoff", test_connect_and_backoff);
  g_test_add_func("/bridge/timeout-refusal-stop", test_timeout_refusal_stop);
  g_test_add_func("/bridge/parse", test_parse);
  g_test_add_func("/bridge/liveness", test_liveness);
  return g_test_run();
}

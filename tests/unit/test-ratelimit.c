/* SPDX-License-Identifier: MIT
 * Token buckets: parsing, bursts, refill, several buckets at once. */
#include <string.h>

#include "signaling/ratelimit.h"

#define T0 G_GINT64_CONSTANT(1767261600000)

static void
test_parse(void)
{
  static const char *const good[] = { "20/min", "5/s,100/min", "1/s", " 4/s , 1000/hour ",
                                      "1/sec",  "unlimited",   "",    "1000000/h" };
  for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(MgRatelimit) rl = mg_ratelimit_new(good[i], T0, &error);
    g_assert_no_error(error);
    g_assert_nonnull(rl);
  }
  g_autoptr(MgRatelimit) none = mg_ratelimit_new(NULL, T0, NULL);
  g_assert_nonnull(none);
  static const char *const bad[] = { "20",   "20/", "/min", "0/s",       "-1/s",      "5/day",
                                     "5/s,", "x/s", "5 /s", "1000001/s", "5/s;1/min", "99999999999999999999/s" };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    g_assert_null(mg_ratelimit_new(bad[i], T0, &error));
    g_assert_error(error, MG_RATELIMIT_ERROR, MG_RATELIMIT_ERROR_INVALID);
    g_assert_nonnull(strstr(error->message, "N/s"));
  }
}

static void
test_unlimited(void)
{
  g_autoptr(MgRatelimit) rl = mg_ratelimit_new("unlimited", T0, NULL);
  for (int i = 0; i < 10000; i++)
    g_assert_cmpint(mg_ratelimit_take(rl, T0), ==, 0);
}

static void
test_per_minute(void)
{
  g_autoptr(MgRatelimit) rl = mg_ratelimit_new("20/min", T0, NULL);
  for (int i = 0; i < 20; i++)
    g_assert_cmpint(mg_ratelimit_take(rl, T0), ==, 0);
  /* One token per 3 s comes back. */
  g_assert_cmpint(mg_ratelimit_take(rl, T0), ==, 3000);
  g_assert_cmpint(mg_ratelimit_take(rl, T0 + 1000), ==, 2000);
  g_assert_cmpint(mg_ratelimit_take(rl, T0 + 3000), ==, 0);
  g_assert_cmpint(mg_ratelimit_take(rl, T0 + 3000), ==, 3000);
  /* A clock going back takes nothing and gives nothing. */
  g_assert_cmpint(mg_ratelimit_take(rl, T0), ==, 3000);
  /* After a long pause the bucket is full again, not more. */
  gint64 later = T0 + 24 * 3600 * 1000;
  for (int i = 0; i < 20; i++)
    g_assert_cmpint(mg_ratelimit_take(rl, later), ==, 0);
  g_assert_cmpint(mg_ratelimit_take(rl, later), >, 0);
}

static void
test_two_buckets(void)
{
  /* Feishu: 5 per second and 100 per minute. */
  g_autoptr(MgRatelimit) rl = mg_ratelimit_new("5/s,100/min", T0, NULL);
  gint64 now = T0;
  int sent = 0;
  while (now < T0 + 60000) {
    gint64 wait = mg_ratelimit_take(rl, now);
    if (wait == 0)
      sent++;
    else
      now += wait;
  }
  /* 100 at the start of the minute, at most 5 in any second: 100 full, then
   * the minute bucket refills at 100/60 s: about 100 more by the end. */
  g_assert_cmpint(sent, >=, 100);
  g_assert_cmpint(sent, <=, 200);
  g_autoptr(MgRatelimit) rl2 = mg_ratelimit_new("5/s,100/min", T0, NULL);
  for (int i = 0; i < 5; i++)
    g_assert_cmpint(mg_ratelimit_take(rl2, T0), ==, 0);
  g_assert_cmpint(mg_ratelimit_take(rl2, T0), ==, 200);
  /* A failed take takes from no bucket: after 200 ms, exactly one goes. */
  g_assert_cmpint(mg_ratelimit_take(rl2, T0 + 200), ==, 0);
  g_assert_cmpint(mg_ratelimit_take(rl2, T0 + 200), ==, 200);
}

static void
test_defaults(void)
{
  g_assert_cmpstr(mg_ratelimit_default(MG_CHAT_CONNECTOR_DINGTALK), ==, "20/min");
  g_assert_cmpstr(mg_ratelimit_default(MG_CHAT_CONNECTOR_WECOM), ==, "20/min");
  g_assert_cmpstr(mg_ratelimit_default(MG_CHAT_CONNECTOR_FEISHU), ==, "5/s,100/min");
  g_assert_cmpstr(mg_ratelimit_default(MG_CHAT_CONNECTOR_SLACK), ==, "1/s");
  g_assert_cmpstr(mg_ratelimit_default(MG_CHAT_CONNECTOR_TEAMS), ==, "4/s");
  g_assert_null(mg_ratelimit_default(MG_CHAT_CONNECTOR_CONSOLE));
  for (int k = MG_CHAT_CONNECTOR_CONSOLE; k <= MG_CHAT_CONNECTOR_GENERIC + 1; k++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(MgRatelimit) rl = mg_ratelimit_new(mg_ratelimit_default((MgChatConnectorKind)k), T0, &error);
    g_assert_no_error(error);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/ratelimit/parse", test_parse);
  g_test_add_func("/ratelimit/unlimited", test_unlimited);
  g_test_add_func("/ratelimit/per-minute", test_per_minute);
  g_test_add_func("/ratelimit/two-buckets", test_two_buckets);
  g_test_add_func("/ratelimit/defaults", test_defaults);
  return g_test_run();
}

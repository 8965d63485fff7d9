/* SPDX-License-Identifier: MIT */
#include "signaling/replay.h"
#include "tests/unit/tmp-store.h"

static MgReplayResult
remember(MgStore *store, const char *scope, const char *sig, gint64 expires, gint64 now, guint max)
{
  g_autoptr(GError) error = NULL;
  MgReplayResult r = mg_replay_remember(store, scope, sig, expires, now, max, &error);
  g_assert_no_error(error);
  return r;
}

/* Once, not twice; per scope; forgotten at expiry, not before. */
static void
test_once(void)
{
  char *dir, *path;
  MgStore *store = tmp_store_open("mg-replay-XXXXXX", &dir, &path);
  g_assert_cmpint(remember(store, "crm", "sha256=aa", 1600, 1000, 10), ==, MG_REPLAY_NEW);
  g_assert_cmpint(remember(store, "crm", "sha256=aa", 1600, 1001, 10), ==, MG_REPLAY_SEEN);
  g_assert_cmpint(remember(store, "hr", "sha256=aa", 1600, 1001, 10), ==, MG_REPLAY_NEW);
  g_assert_cmpint(remember(store, "crm", "sha256=ab", 1700, 1001, 10), ==, MG_REPLAY_NEW);
  g_assert_cmpint(mg_replay_count(store), ==, 3);
  g_assert_cmpint(remember(store, "crm", "sha256=aa", 2200, 1599, 10), ==, MG_REPLAY_SEEN);
  /* At 1600 the first two expire and are pruned: aa is new again. */
  g_assert_cmpint(remember(store, "crm", "sha256=aa", 2200, 1600, 10), ==, MG_REPLAY_NEW);
  g_assert_cmpint(mg_replay_count(store), ==, 2);
  tmp_store_remove(store, dir, path);
}

/* At most max_kept; room again once some expire. */
static void
test_bounded(void)
{
  char *dir, *path;
  MgStore *store = tmp_store_open("mg-replay-XXXXXX", &dir, &path);
  for (guint i = 0; i < 3; i++) {
    g_autofree char *sig = g_strdup_printf("sig-%u", i);
    g_assert_cmpint(remember(store, "crm", sig, 100 + i, 10, 3), ==, MG_REPLAY_NEW);
  }
  g_assert_cmpint(remember(store, "crm", "sig-3", 200, 10, 3), ==, MG_REPLAY_FULL);
  g_assert_cmpint(remember(store, "crm", "sig-0", 200, 10, 3), ==, MG_REPLAY_SEEN);
  g_assert_cmpint(remember(store, "crm", "sig-3", 200, 100, 3), ==, MG_REPLAY_NEW);
  g_assert_cmpint(mg_replay_count(store), ==, 3);
  tmp_store_remove(store, dir, path);
}

/* What was remembered survives closing and opening the store again. */
static void
test_reopen(void)
{
  char *dir, *path;
  g_autoptr(GError) error = NULL;
  MgStore *store = tmp_store_open("mg-replay-XXXXXX", &dir, &path);
  g_assert_cmpint(remember(store, "crm", "sha256=cafe", 1600, 1000, 10), ==, MG_REPLAY_NEW);
  mg_store_close(store);
  store = mg_store_open(path, &error);
  g_assert_no_error(error);
  g_assert_cmpint(remember(store, "crm", "sha256=cafe", 1600, 1200, 10), ==, MG_REPLAY_SEEN);
  tmp_store_remove(store, dir, path);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/replay/once", test_once);
  g_test_add_func("/replay/bounded", test_bounded);
  g_test_add_func("/replay/reopen", test_reopen);
  return g_test_run();
}

/* SPDX-License-Identifier: MIT */
#include <glib/gstdio.h>

#include "signaling/replay.h"

typedef struct {
  char *dir;
  char *path;
} Fixture;

static void
setup(Fixture *f, gconstpointer data)
{
  (void)data;
  f->dir = g_dir_make_tmp("mg-replay-XXXXXX", NULL);
  f->path = g_build_filename(f->dir, "test.db", NULL);
}

static void
teardown(Fixture *f, gconstpointer data)
{
  (void)data;
  const char *suffixes[] = { "", "-wal", "-shm" };
  for (guint i = 0; i < G_N_ELEMENTS(suffixes); i++) {
    g_autofree char *p = g_strconcat(f->path, suffixes[i], NULL);
    g_remove(p);
  }
  g_rmdir(f->dir);
  g_free(f->path);
  g_free(f->dir);
}

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
test_once(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MgStore) store = mg_store_open(f->path, &error);
  g_assert_no_error(error);
  g_assert_cmpint(remember(store, "crm", "sha256=aa", 1600, 1000, 10), ==, MG_REPLAY_NEW);
  g_assert_cmpint(remember(store, "crm", "sha256=aa", 1600, 1001, 10), ==, MG_REPLAY_SEEN);
  g_assert_cmpint(remember(store, "hr", "sha256=aa", 1600, 1001, 10), ==, MG_REPLAY_NEW);
  g_assert_cmpint(remember(store, "crm", "sha256=ab", 1700, 1001, 10), ==, MG_REPLAY_NEW);
  g_assert_cmpint(mg_replay_count(store), ==, 3);
  g_assert_cmpint(remember(store, "crm", "sha256=aa", 2200, 1599, 10), ==, MG_REPLAY_SEEN);
  /* At 1600 the first two expire and are pruned: aa is new again. */
  g_assert_cmpint(remember(store, "crm", "sha256=aa", 2200, 1600, 10), ==, MG_REPLAY_NEW);
  g_assert_cmpint(mg_replay_count(store), ==, 2);
}

/* At most max_kept; room again once some expire. */
static void
test_bounded(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MgStore) store = mg_store_open(f->path, &error);
  g_assert_no_error(error);
  for (guint i = 0; i < 3; i++) {
    g_autofree char *sig = g_strdup_printf("sig-%u", i);
    g_assert_cmpint(remember(store, "crm", sig, 100 + i, 10, 3), ==, MG_REPLAY_NEW);
  }
  g_assert_cmpint(remember(store, "crm", "sig-3", 200, 10, 3), ==, MG_REPLAY_FULL);
  g_assert_cmpint(remember(store, "crm", "sig-0", 200, 10, 3), ==, MG_REPLAY_SEEN);
  g_assert_cmpint(remember(store, "crm", "sig-3", 200, 100, 3), ==, MG_REPLAY_NEW);
  g_assert_cmpint(mg_replay_count(store), ==, 3);
}

/* What was remembered survives closing and opening the store again. */
static void
test_reopen(Fixture *f, gconstpointer data)
{
  (void)data;
  g_autoptr(GError) error = NULL;
  MgStore *store = mg_store_open(f->path, &error);
  g_assert_no_error(error);
  g_assert_cmpint(remember(store, "crm", "sha256=cafe", 1600, 1000, 10), ==, MG_REPLAY_NEW);
  mg_store_close(store);
  store = mg_store_open(f->path, &error);
  g_assert_no_error(error);
  g_assert_cmpint(remember(store, "crm", "sha256=cafe", 1600, 1200, 10), ==, MG_REPLAY_SEEN);
  mg_store_close(store);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/replay/once", Fixture, NULL, setup, test_once, teardown);
  g_test_add("/replay/bounded", Fixture, NULL, setup, test_bounded, teardown);
  g_test_add("/replay/reopen", Fixture, NULL, setup, test_reopen, teardown);
  return g_test_run();
}

/* SPDX-License-Identifier: MIT */
#include "media/worker.h"

typedef struct {
  GMainLoop *loop;
  int done;
  GThread *control;
  GHashTable *threads;
} Ctx;

static gpointer
work(MgWorker *w, gpointer data)
{
  g_assert_true(mg_worker_self() == w);
  return GUINT_TO_POINTER(mg_worker_get_index(w) + 100);
}

static void
done(gpointer result, gpointer data)
{
  Ctx *c = data;
  g_assert_true(g_thread_self() == c->control);
  g_assert_cmpuint(GPOINTER_TO_UINT(result), >=, 100);
  if (++c->done == 64)
    g_main_loop_quit(c->loop);
}

static void
test_post_and_reply(void)
{
  Ctx c = { .loop = g_main_loop_new(NULL, FALSE), .control = g_thread_self() };
  g_autoptr(MgWorkerPool) pool = mg_worker_pool_new(3);
  g_assert_cmpuint(mg_worker_pool_get_size(pool), ==, 3);
  g_assert_null(mg_worker_self());
  for (int i = 0; i < 64; i++)
    mg_worker_post(mg_worker_pool_get(pool, i % 3), work, NULL, done, &c);
  g_main_loop_run(c.loop);
  g_assert_cmpint(c.done, ==, 64);
  g_main_loop_unref(c.loop);
}

static gpointer
count(MgWorker *w, gpointer data)
{
  g_atomic_int_inc((gint *)data);
  return NULL;
}

static void
test_shutdown_runs_pending(void)
{
  gint n = 0;
  MgWorkerPool *pool = mg_worker_pool_new(0);
  g_assert_cmpuint(mg_worker_pool_get_size(pool), ==, g_get_num_processors());
  for (int i = 0; i < 1000; i++)
    mg_worker_post(mg_worker_pool_get(pool, i % mg_worker_pool_get_size(pool)), count, &n, NULL, NULL);
  mg_worker_pool_free(pool);
  g_assert_cmpint(n, ==, 1000);
}

static void
test_pick(void)
{
  g_autoptr(MgWorkerPool) pool = mg_worker_pool_new(2);
  MgWorker *a = mg_worker_pool_pick(pool);
  mg_worker_pin(a);
  MgWorker *b = mg_worker_pool_pick(pool);
  g_assert_true(a != b);
  mg_worker_pin(b);
  mg_worker_pin(b);
  g_assert_true(mg_worker_pool_pick(pool) == a);
  mg_worker_unpin(b);
  mg_worker_unpin(b);
  mg_worker_unpin(a);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/worker/post-and-reply", test_post_and_reply);
  g_test_add_func("/worker/shutdown", test_shutdown_runs_pending);
  g_test_add_func("/worker/pick", test_pick);
  return g_test_run();
}

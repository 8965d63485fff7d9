/* SPDX-License-Identifier: MIT
 * The media worker pool: one thread and one GMainContext per worker. */
#define G_LOG_DOMAIN "worker"
#include "media/worker.h"

struct MgWorker {
  MgWorkerPool *pool;
  guint index;
  GThread *thread;
  GMainContext *ctx;
  GMainLoop *loop;
  gint pinned;
};

struct MgWorkerPool {
  guint n;
  MgWorker *workers;
  GMainContext *control;
};

typedef struct {
  MgWorker *worker;
  MgWorkerFunc func;
  gpointer data;
  MgWorkerDone done;
  gpointer user_data;
  GMainContext *reply_ctx;
  gpointer result;
} MgWorkerJob;

static GPrivate current_worker;

static gpointer
worker_main(gpointer p)
{
  MgWorker *w = p;
  g_private_set(&current_worker, w);
  g_main_context_push_thread_default(w->ctx);
  g_main_loop_run(w->loop);
  g_main_context_pop_thread_default(w->ctx);
  return NULL;
}

MgWorkerPool *
mg_worker_pool_new(guint n)
{
  MgWorkerPool *pool = g_new0(MgWorkerPool, 1);
  pool->n = n ? n : MAX(1, g_get_num_processors());
  pool->workers = g_new0(MgWorker, pool->n);
  pool->control = g_main_context_ref_thread_default();
  for (guint i = 0; i < pool->n; i++) {
    MgWorker *w = &pool->workers[i];
    g_autofree char *name = g_strdup_printf("mg-media-%u", i);
    w->pool = pool;
    w->index = i;
    w->ctx = g_main_context_new();
    w->loop = g_main_loop_new(w->ctx, FALSE);
    w->thread = g_thread_new(name, worker_main, w);
  }
  g_info("%u media workers started", pool->n);
  return pool;
}

static gboolean
quit_loop(gpointer p)
{
  g_main_loop_quit(p);
  return G_SOURCE_REMOVE;
}

void
mg_worker_pool_free(MgWorkerPool *pool)
{
  if (!pool)
    return;
  /* The quit is queued behind work already posted, so that work still runs. */
  for (guint i = 0; i < pool->n; i++)
    g_main_context_invoke(pool->workers[i].ctx, quit_loop, pool->workers[i].loop);
  for (guint i = 0; i < pool->n; i++) {
    MgWorker *w = &pool->workers[i];
    g_thread_join(w->thread);
    g_main_loop_unref(w->loop);
    g_main_context_unref(w->ctx);
  }
  g_main_context_unref(pool->control);
  g_free(pool->workers);
  g_free(pool);
}

guint
mg_worker_pool_get_size(MgWorkerPool *pool)
{
  return pool->n;
}

MgWorker *
mg_worker_pool_get(MgWorkerPool *pool, guint index)
{
  g_return_val_if_fail(index < pool->n, NULL);
  return &pool->workers[index];
}

MgWorker *
mg_worker_pool_pick(MgWorkerPool *pool)
{
  MgWorker *best = &pool->workers[0];
  for (guint i = 1; i < pool->n; i++)
    if (g_atomic_int_get(&pool->workers[i].pinned) < g_atomic_int_get(&best->pinned))
      best = &pool->workers[i];
  return best;
}

static gboolean
job_reply(gpointer p)
{
  MgWorkerJob *job = p;
  job->done(job->result, job->user_data);
  g_main_context_unref(job->reply_ctx);
  g_free(job);
  return G_SOURCE_REMOVE;
}

static gboolean
job_run(gpointer p)
{
  MgWorkerJob *job = p;
  job->result = job->func(job->worker, job->data);
  if (!job->done) {
    g_free(job);
    return G_SOURCE_REMOVE;
  }
  GSource *src = g_idle_source_new();
  g_source_set_priority(src, G_PRIORITY_DEFAULT);
  g_source_set_callback(src, job_reply, job, NULL);
  g_source_attach(src, job->reply_ctx);
  g_source_unref(src);
  return G_SOURCE_REMOVE;
}

void
mg_worker_post(MgWorker *worker, MgWorkerFunc func, gpointer data, MgWorkerDone done, gpointer user_data)
{
  MgWorkerJob *job = g_new0(MgWorkerJob, 1);
  job->worker = worker;
  job->func = func;
  job->data = data;
  job->done = done;
  job->user_data = user_data;
  if (done)
    job->reply_ctx = g_main_context_ref_thread_default();
  GSource *src = g_idle_source_new();
  g_source_set_priority(src, G_PRIORITY_DEFAULT);
  g_source_set_callback(src, job_run, job, NULL);
  g_source_attach(src, worker->ctx);
  g_source_unref(src);
}

GMainContext *
mg_worker_get_context(MgWorker *worker)
{
  return worker->ctx;
}

guint
mg_worker_get_index(MgWorker *worker)
{
  return worker->index;
}

void
mg_worker_pin(MgWorker *worker)
{
  g_atomic_int_inc(&worker->pinned);
}

void
mg_worker_unpin(MgWorker *worker)
{
  g_atomic_int_add(&worker->pinned, -1);
}

MgWorker *
mg_worker_self(void)
{
  return g_private_get(&current_worker);
}

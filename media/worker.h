/* SPDX-License-Identifier: MIT
 * Media workers: a fixed pool of threads, each running its own GMainContext.
 * Peers are pinned to one worker; other threads reach a worker's state only
 * by posting a function to run on that worker's loop. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct MgWorkerPool MgWorkerPool;
typedef struct MgWorker MgWorker;

/* Runs on a worker thread; the returned value is handed to the done callback. */
typedef gpointer (*MgWorkerFunc)(MgWorker *worker, gpointer data);
/* Runs on the context that posted the work, with the result. */
typedef void (*MgWorkerDone)(gpointer result, gpointer user_data);

/* Starts n workers (0 = one per core). Done callbacks run on the
 * thread-default context of the caller. (transfer full) */
MgWorkerPool *mg_worker_pool_new(guint n);
/* Stops every worker after the work already posted has run, and joins them. */
void mg_worker_pool_free(MgWorkerPool *pool);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgWorkerPool, mg_worker_pool_free)

guint mg_worker_pool_get_size(MgWorkerPool *pool);
MgWorker *mg_worker_pool_get(MgWorkerPool *pool, guint index);
/* The worker with the fewest pinned items, for placing a new peer. */
MgWorker *mg_worker_pool_pick(MgWorkerPool *pool);

/* Posts func(worker, data) to the worker's loop. When done is set, it runs on
 * the poster's context with func's result. Safe from any thread. */
void mg_worker_post(MgWorker *worker, MgWorkerFunc func, gpointer data, MgWorkerDone done, gpointer user_data);
GMainContext *mg_worker_get_context(MgWorker *worker);
guint mg_worker_get_index(MgWorker *worker);
/* Pin bookkeeping for mg_worker_pool_pick(). */
void mg_worker_pin(MgWorker *worker);
void mg_worker_unpin(MgWorker *worker);
/* The worker whose loop runs the calling thread, or NULL. */
MgWorker *mg_worker_self(void);

G_END_DECLS

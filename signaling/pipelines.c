/* SPDX-License-Identifier: MIT
 * The live_pipelines table: running streams and ingests, settings sealed. */
#define G_LOG_DOMAIN "store"
#include "signaling/pipelines.h"

#include <sqlite3.h>
#include <string.h>

static gboolean
fail(sqlite3 *db, GError **error)
{
  g_set_error(error, MG_STORE_ERROR, mg_store_error_code(db), "%s", sqlite3_errmsg(db));
  return FALSE;
}

void
mg_pipeline_row_free(MgPipelineRow *row)
{
  if (!row)
    return;
  g_free(row->id);
  g_free(row->kind);
  g_free(row->room);
  if (row->spec)
    memset(row->spec, 0, strlen(row->spec));
  g_free(row->spec);
  g_free(row);
}

gboolean
mg_pipelines_put(MgStore *store, const char *id, const char *kind, const char *room, const char *spec, gint64 started_s,
                 GError **error)
{
  sqlite3 *db = mg_store_get_db(store);
  sqlite3_stmt *st = NULL;
  g_autofree char *sealed = mg_store_seal(store, spec);
  gboolean ok = sqlite3_prepare_v2(db,
                                   "INSERT OR REPLACE INTO live_pipelines (id, kind, room, spec, started_at) "
                                   "VALUES (?, ?, ?, ?, ?)",
                                   -1, &st, NULL) == SQLITE_OK;
  if (ok) {
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, room, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, sealed, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, started_s);
    ok = sqlite3_step(st) == SQLITE_DONE;
  }
  if (!ok)
    fail(db, error);
  sqlite3_finalize(st);
  return ok;
}

gboolean
mg_pipelines_delete(MgStore *store, const char *id, GError **error)
{
  sqlite3 *db = mg_store_get_db(store);
  sqlite3_stmt *st = NULL;
  gboolean ok = sqlite3_prepare_v2(db, "DELETE FROM live_pipelines WHERE id = ?", -1, &st, NULL) == SQLITE_OK;
  if (ok) {
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    ok = sqlite3_step(st) == SQLITE_DONE;
  }
  if (!ok)
    fail(db, error);
  sqlite3_finalize(st);
  return ok;
}

GPtrArray *
mg_pipelines_list(MgStore *store, const char *kind, GError **error)
{
  sqlite3 *db = mg_store_get_db(store);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db,
                         "SELECT id, kind, room, spec, started_at FROM live_pipelines WHERE kind = ? "
                         "ORDER BY started_at, id",
                         -1, &st, NULL) != SQLITE_OK) {
    fail(db, error);
    return NULL;
  }
  sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
  GPtrArray *all = g_ptr_array_new_with_free_func((GDestroyNotify)mg_pipeline_row_free);
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *id = (const char *)sqlite3_column_text(st, 0);
    g_autoptr(GError) seal_error = NULL;
    char *spec = mg_store_unseal(store, (const char *)sqlite3_column_text(st, 3), &seal_error);
    if (!spec) {
      g_warning("%s %s: its settings cannot be unsealed (%s); not restarted", kind, id, seal_error->message);
      continue;
    }
    MgPipelineRow *row = g_new0(MgPipelineRow, 1);
    row->id = g_strdup(id);
    row->kind = g_strdup((const char *)sqlite3_column_text(st, 1));
    row->room = g_strdup((const char *)sqlite3_column_text(st, 2));
    row->spec = spec;
    row->started_s = sqlite3_column_int64(st, 4);
    g_ptr_array_add(all, row);
  }
  sqlite3_finalize(st);
  return all;
}

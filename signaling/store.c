/* SPDX-License-Identifier: MIT
 * SQLite store: open, migrate in one transaction, WAL, checkpoint on close. */
#define G_LOG_DOMAIN "store"
#include "signaling/store-private.h"

#include <sqlite3.h>

G_DEFINE_QUARK(mg - store - error - quark, mg_store_error)

static int
get_user_version(sqlite3 *db)
{
  sqlite3_stmt *st = NULL;
  int v = -1;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return v;
}

static gboolean
exec_or_error(MgStore *store, const char *sql, int version, int from, GError **error)
{
  char *err = NULL;
  if (sqlite3_exec(store->db, sql, NULL, NULL, &err) == SQLITE_OK)
    return TRUE;
  g_set_error(error, MG_STORE_ERROR, MG_STORE_ERROR_MIGRATION,
              "%s: migration to schema version %d failed: %s; the database was left at version %d", store->path,
              version, err ? err : sqlite3_errmsg(store->db), from);
  sqlite3_free(err);
  return FALSE;
}

/* Applies migrations[from..] in one transaction; on failure nothing is changed. */
static gboolean
migrate(MgStore *store, const char *const *migrations, int from, GError **error)
{
  int to = from;
  while (migrations[to])
    to++;
  if (to == from)
    return TRUE;

  if (!exec_or_error(store, "BEGIN IMMEDIATE", from + 1, from, error))
    return FALSE;
  for (int i = from; i < to; i++) {
    if (!exec_or_error(store, migrations[i], i + 1, from, error)) {
      sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
      return FALSE;
    }
  }
  g_autofree char *set = g_strdup_printf("PRAGMA user_version = %d", to);
  if (!exec_or_error(store, set, to, from, error) || !exec_or_error(store, "COMMIT", to, from, error)) {
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    return FALSE;
  }
  g_info("%s: schema migrated from version %d to %d", store->path, from, to);
  return TRUE;
}

MgStore *
mg_store_open_with(const char *path, const char *const *migrations, GError **error)
{
  g_autoptr(MgStore) store = g_new0(MgStore, 1);
  int known = 0;
  while (migrations[known])
    known++;

  store->path = g_strdup(path);
  if (sqlite3_open_v2(path, &store->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) !=
      SQLITE_OK) {
    g_set_error(error, MG_STORE_ERROR, MG_STORE_ERROR_OPEN, "%s: cannot open database: %s", path,
                store->db ? sqlite3_errmsg(store->db) : "out of memory");
    return NULL;
  }
  sqlite3_busy_timeout(store->db, 2000);
  sqlite3_extended_result_codes(store->db, 1);

  int version = get_user_version(store->db);
  if (version < 0) {
    g_set_error(error, MG_STORE_ERROR, MG_STORE_ERROR_OPEN, "%s: not a meetgate database: %s", path,
                sqlite3_errmsg(store->db));
    return NULL;
  }
  if (version > known) {
    g_set_error(error, MG_STORE_ERROR, MG_STORE_ERROR_TOO_NEW,
                "%s: schema version %d is newer than this meetgate knows (%d); use a newer meetgate", path, version,
                known);
    return NULL;
  }
  if (!migrate(store, migrations, version, error))
    return NULL;
  sqlite3_exec(store->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
  sqlite3_exec(store->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
  sqlite3_exec(store->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
  return g_steal_pointer(&store);
}

MgStore *
mg_store_open(const char *path, GError **error)
{
  return mg_store_open_with(path, mg_store_migrations, error);
}

void
mg_store_close(MgStore *store)
{
  if (!store)
    return;
  g_datalist_clear(&store->data);
  if (store->db) {
    mg_store_flush(store);
    sqlite3_close_v2(store->db);
  }
  g_free(store->path);
  explicit_bzero(store->seal_key, sizeof store->seal_key);
  g_free(store);
}

void
mg_store_set_data(MgStore *store, const char *key, gpointer data, GDestroyNotify destroy)
{
  g_datalist_set_data_full(&store->data, key, data, data ? destroy : NULL);
}

gpointer
mg_store_get_data(MgStore *store, const char *key)
{
  return g_datalist_get_data(&store->data, key);
}

int
mg_store_get_version(MgStore *store)
{
  return get_user_version(store->db);
}

gboolean
mg_store_ping(MgStore *store)
{
  return sqlite3_exec(store->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) == SQLITE_OK;
}

void
mg_store_flush(MgStore *store)
{
  sqlite3_wal_checkpoint_v2(store->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

sqlite3 *
mg_store_get_db(MgStore *store)
{
  return store->db;
}

MgStoreError
mg_store_error_code(sqlite3 *db)
{
  return (sqlite3_extended_errcode(db) & 0xff) == SQLITE_FULL ? MG_STORE_ERROR_FULL : MG_STORE_ERROR_QUERY;
}

static gboolean
exec_query(MgStore *store, const char *sql, GError **error)
{
  if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) == SQLITE_OK)
    return TRUE;
  g_set_error(error, MG_STORE_ERROR, mg_store_error_code(store->db), "%s: %s: %s", store->path, sql,
              sqlite3_errmsg(store->db));
  return FALSE;
}

gboolean
mg_store_begin(MgStore *store, gboolean durable, GError **error)
{
  /* synchronous cannot change inside a transaction: set it around it. */
  if (durable && !exec_query(store, "PRAGMA synchronous = FULL", error))
    return FALSE;
  store->durable = durable;
  if (exec_query(store, "BEGIN IMMEDIATE", error))
    return TRUE;
  mg_store_end(store, FALSE, NULL);
  return FALSE;
}

gboolean
mg_store_end(MgStore *store, gboolean commit, GError **error)
{
  gboolean ok = TRUE;
  if (commit)
    ok = exec_query(store, "COMMIT", error);
  if (!commit || !ok)
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
  if (store->durable)
    sqlite3_exec(store->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL);
  store->durable = FALSE;
  return ok;
}

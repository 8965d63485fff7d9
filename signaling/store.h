/* SPDX-License-Identifier: MIT
 * The store: one SQLite database in WAL mode with versioned migrations.
 * Modules own their tables; their schema lives in the migration list. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct MgStore MgStore;
typedef struct sqlite3 sqlite3;

#define MG_STORE_ERROR (mg_store_error_quark())
GQuark mg_store_error_quark(void);

typedef enum {
  MG_STORE_ERROR_OPEN,
  MG_STORE_ERROR_MIGRATION,
  MG_STORE_ERROR_TOO_NEW,
  MG_STORE_ERROR_QUERY,
  MG_STORE_ERROR_FULL, /* the disk (or the database's size limit) is full: nothing was written */
} MgStoreError;

/* The MgStoreError for the last failure on db: MG_STORE_ERROR_FULL when
 * SQLite answered SQLITE_FULL, MG_STORE_ERROR_QUERY otherwise. */
MgStoreError mg_store_error_code(sqlite3 *db);

/* Opens (or creates) the database at path and brings its schema to the
 * current version. A migration that fails rolls back every migration of this
 * start and leaves the file as it was. (transfer full) */
MgStore *mg_store_open(const char *path, GError **error);
/* Same, with an explicit migration list (NULL-terminated SQL scripts; the
 * schema version is the number applied). For tests. */
MgStore *mg_store_open_with(const char *path, const char *const *migrations, GError **error);
void mg_store_close(MgStore *store);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgStore, mg_store_close)

int mg_store_get_version(MgStore *store);
/* A cheap liveness query for /healthz. */
gboolean mg_store_ping(MgStore *store);
/* Checkpoints the WAL into the main file (shutdown). */
void mg_store_flush(MgStore *store);
/* Opens a write transaction (BEGIN IMMEDIATE). durable: the commit is synced
 * to disk (synchronous=FULL) before mg_store_end returns, for writes that are
 * acknowledged to someone who will not send them again; otherwise the
 * store's default (WAL, synchronous=NORMAL: safe from a process crash, the
 * last commits may roll back on power loss). */
gboolean mg_store_begin(MgStore *store, gboolean durable, GError **error);
/* Commits (commit TRUE) or rolls back the transaction mg_store_begin opened. */
gboolean mg_store_end(MgStore *store, gboolean commit, GError **error);
/* Data a module keeps with this store (e.g. the meetings observer), by key;
 * destroy (may be NULL) runs when it is replaced or the store closes. */
void mg_store_set_data(MgStore *store, const char *key, gpointer data, GDestroyNotify destroy);
gpointer mg_store_get_data(MgStore *store, const char *key);
/* The connection, for the modules that own tables. Used on the control loop only. */
sqlite3 *mg_store_get_db(MgStore *store);

/* Credentials at rest (calendar passwords, chat secrets): sealed with
 * AES-256-GCM under a key derived from secret (the server secret), so the
 * database file alone does not give them away. Without a key (tests), values
 * are stored as given. */
void mg_store_set_seal_key(MgStore *store, const char *secret);
/* "sealed:v1:<base64 nonce|ciphertext|tag>" for plain; plain itself when no
 * key is set; NULL for NULL. (transfer full) */
char *mg_store_seal(MgStore *store, const char *plain);
/* The plain text of a value mg_store_seal wrote (a value without the prefix
 * is returned as is: written before sealing existed, or without a key).
 * NULL with an error when it cannot be opened (another server secret).
 * (transfer full) */
char *mg_store_unseal(MgStore *store, const char *text, GError **error);

G_END_DECLS

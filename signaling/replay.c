/* SPDX-License-Identifier: MIT
 * The seen_signatures table (migration 10): digest of scope and signature,
 * with the unix time it may be forgotten. */
#include "signaling/replay.h"

#include <sqlite3.h>
#include <string.h>

#define DIGEST_LEN 32

static void
digest(const char *scope, const char *sig, guint8 out[DIGEST_LEN])
{
  g_autoptr(GChecksum) c = g_checksum_new(G_CHECKSUM_SHA256);
  gsize n = DIGEST_LEN;
  g_checksum_update(c, (const guchar *)scope, strlen(scope));
  g_checksum_update(c, (const guchar *)"\n", 1);
  g_checksum_update(c, (const guchar *)sig, strlen(sig));
  g_checksum_get_digest(c, out, &n);
}

static gboolean
fail(sqlite3 *db, const char *what, GError **error)
{
  g_set_error(error, MG_STORE_ERROR, mg_store_error_code(db), "signatures seen: %s: %s", what, sqlite3_errmsg(db));
  return FALSE;
}

/* One statement with up to two integer or blob parameters; *out gets the
 * first column of the first row (when out is not NULL and there is a row). */
static gboolean
run(sqlite3 *db, const char *sql, const guint8 *blob, gint64 a, gint64 b, gint64 *out, GError **error)
{
  sqlite3_stmt *st = NULL;
  gboolean ok = FALSE;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    goto out;
  int i = 1;
  if (blob)
    sqlite3_bind_blob(st, i++, blob, DIGEST_LEN, SQLITE_STATIC);
  if (i <= sqlite3_bind_parameter_count(st))
    sqlite3_bind_int64(st, i++, a);
  if (i <= sqlite3_bind_parameter_count(st))
    sqlite3_bind_int64(st, i++, b);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW && out)
    *out = sqlite3_column_int64(st, 0);
  ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
out:
  if (!ok)
    fail(db, sql, error);
  sqlite3_finalize(st);
  return ok;
}

MgReplayResult
mg_replay_remember(MgStore *store, const char *scope, const char *sig, gint64 expires_s, gint64 now_s, guint max_kept,
                   GError **error)
{
  sqlite3 *db = mg_store_get_db(store);
  guint8 d[DIGEST_LEN];
  gint64 found = 0, kept = 0;
  MgReplayResult res = MG_REPLAY_ERROR;
  digest(scope, sig, d);
  if (!mg_store_begin(store, FALSE, error))
    return MG_REPLAY_ERROR;
  if (!run(db, "DELETE FROM seen_signatures WHERE expires_at <= ?", NULL, now_s, 0, NULL, error) ||
      !run(db, "SELECT count(*) FROM seen_signatures WHERE digest = ?", d, 0, 0, &found, error))
    goto out;
  if (found) {
    res = MG_REPLAY_SEEN;
    goto out;
  }
  if (!run(db, "SELECT count(*) FROM seen_signatures", NULL, 0, 0, &kept, error))
    goto out;
  if (kept >= max_kept) {
    res = MG_REPLAY_FULL;
    goto out;
  }
  if (run(db, "INSERT INTO seen_signatures (digest, expires_at) VALUES (?, ?)", d, expires_s, 0, NULL, error))
    res = MG_REPLAY_NEW;
out:
  /* Commit the pruning even when refusing; roll back only a failure. */
  if (!mg_store_end(store, res != MG_REPLAY_ERROR, res != MG_REPLAY_ERROR ? error : NULL))
    res = MG_REPLAY_ERROR;
  return res;
}

gint64
mg_replay_count(MgStore *store)
{
  gint64 n = -1;
  if (!run(mg_store_get_db(store), "SELECT count(*) FROM seen_signatures", NULL, 0, 0, &n, NULL))
    return -1;
  return n;
}

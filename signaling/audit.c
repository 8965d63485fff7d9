/* SPDX-License-Identifier: MIT
 * The admin audit log: append and query (migration 7). */
#define G_LOG_DOMAIN "audit"
#include "signaling/audit.h"

#include <sqlite3.h>

#define MAX_LIMIT 1000

static void
bind_text(sqlite3_stmt *st, int i, const char *text)
{
  if (text)
    sqlite3_bind_text(st, i, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null(st, i);
}

gint64
mg_audit_record(MgStore *store, const MgAuditEntry *e, GError **error)
{
  sqlite3 *db = mg_store_get_db(store);
  sqlite3_stmt *st = NULL;
  gint64 id = 0;
  if (sqlite3_prepare_v2(db,
                         "INSERT INTO admin_audit (at_ms, key_name, action, target, detail, result, message, peer) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         -1, &st, NULL) != SQLITE_OK)
    goto out;
  sqlite3_bind_int64(st, 1, e->at_ms);
  bind_text(st, 2, e->key_name);
  bind_text(st, 3, e->action);
  bind_text(st, 4, e->target);
  bind_text(st, 5, e->detail);
  bind_text(st, 6, e->result);
  bind_text(st, 7, e->message);
  bind_text(st, 8, e->peer);
  if (sqlite3_step(st) == SQLITE_DONE)
    id = sqlite3_last_insert_rowid(db);
out:
  if (!id)
    g_set_error(error, MG_STORE_ERROR, MG_STORE_ERROR_QUERY, "audit log: %s", sqlite3_errmsg(db));
  sqlite3_finalize(st);
  return id;
}

static json_t *
row_json(sqlite3_stmt *st)
{
  gint64 at_ms = sqlite3_column_int64(st, 1);
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(at_ms / 1000);
  g_autofree char *base = g_date_time_format(t, "%Y-%m-%dT%H:%M:%S");
  g_autofree char *at = g_strdup_printf("%s.%03dZ", base, (int)(at_ms % 1000));
  json_t *j =
      json_pack("{s:I, s:s, s:I}", "id", (json_int_t)sqlite3_column_int64(st, 0), "at", at, "at_ms", (json_int_t)at_ms);
  static const char *const names[] = { "key", "action", "target", "detail", "result", "message", "peer" };
  for (int i = 0; i < (int)G_N_ELEMENTS(names); i++) {
    const char *v = (const char *)sqlite3_column_text(st, i + 2);
    json_object_set_new(j, names[i], v ? json_string(v) : json_null());
  }
  return j;
}

json_t *
mg_audit_list(MgStore *store, gint64 since_ms, const char *action, guint limit, GError **error)
{
  sqlite3 *db = mg_store_get_db(store);
  sqlite3_stmt *st = NULL;
  json_t *list = NULL;
  if (sqlite3_prepare_v2(db,
                         "SELECT id, at_ms, key_name, action, target, detail, result, message, peer FROM admin_audit "
                         "WHERE at_ms >= ? AND (?2 IS NULL OR action = ?2) ORDER BY at_ms DESC, id DESC LIMIT ?3",
                         -1, &st, NULL) != SQLITE_OK)
    goto out;
  sqlite3_bind_int64(st, 1, since_ms);
  bind_text(st, 2, action);
  sqlite3_bind_int(st, 3, CLAMP(limit, 1, MAX_LIMIT));
  list = json_array();
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    json_array_append_new(list, row_json(st));
  if (rc != SQLITE_DONE)
    g_clear_pointer(&list, json_decref);
out:
  if (!list)
    g_set_error(error, MG_STORE_ERROR, MG_STORE_ERROR_QUERY, "audit log: %s", sqlite3_errmsg(db));
  sqlite3_finalize(st);
  return list;
}

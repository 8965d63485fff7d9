/* SPDX-License-Identifier: MIT
 * Attendance rows in the store. */
#define G_LOG_DOMAIN "attendance"
#include "signaling/attendance.h"

#include <sqlite3.h>

static void
run(MgStore *store, const char *sql, const char *const *text, guint n_text, const gint64 *ints, guint n_ints)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(mg_store_get_db(store), sql, -1, &st, NULL) != SQLITE_OK) {
    g_warning("attendance: %s", sqlite3_errmsg(mg_store_get_db(store)));
    return;
  }
  for (guint i = 0; i < n_text; i++)
    sqlite3_bind_text(st, i + 1, text[i] ? text[i] : "", -1, SQLITE_STATIC);
  for (guint i = 0; i < n_ints; i++)
    sqlite3_bind_int64(st, n_text + i + 1, ints[i]);
  if (sqlite3_step(st) != SQLITE_DONE)
    g_warning("attendance: %s", sqlite3_errmsg(mg_store_get_db(store)));
  sqlite3_finalize(st);
}

void
mg_attendance_joined(MgStore *store, const char *room_id, const char *participant, const char *user, const char *name,
                     const char *role, gint64 now_s)
{
  const char *text[] = { room_id, participant, user, name, role };
  run(store,
      "INSERT OR IGNORE INTO attendance (room_id, participant, user_id, name, role, joined_at) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      text, G_N_ELEMENTS(text), &now_s, 1);
}

void
mg_attendance_left(MgStore *store, const char *room_id, const char *participant, gint64 now_s)
{
  const char *text[] = { room_id, participant };
  run(store, "UPDATE attendance SET left_at = ?3 WHERE room_id = ?1 AND participant = ?2 AND left_at IS NULL", text,
      G_N_ELEMENTS(text), &now_s, 1);
}

static json_t *
iso(gint64 s)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(s);
  g_autofree char *text = t ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ") : NULL;
  return text ? json_string(text) : json_null();
}

json_t *
mg_attendance_list(MgStore *store, const char *room_id, gint64 from_s, gint64 to_s, gint64 now_s)
{
  json_t *out = json_array();
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(mg_store_get_db(store),
                         "SELECT participant, user_id, name, role, joined_at, left_at FROM attendance "
                         "WHERE room_id = ? AND joined_at >= ? AND joined_at < ? ORDER BY joined_at, participant",
                         -1, &st, NULL) != SQLITE_OK)
    return out;
  sqlite3_bind_text(st, 1, room_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, from_s);
  sqlite3_bind_int64(st, 3, to_s);
  while (sqlite3_step(st) == SQLITE_ROW) {
    gint64 joined = sqlite3_column_int64(st, 4);
    gboolean present = sqlite3_column_type(st, 5) == SQLITE_NULL;
    gint64 left = present ? now_s : sqlite3_column_int64(st, 5);
    const char *user = (const char *)sqlite3_column_text(st, 1);
    json_array_append_new(
        out, json_pack("{s:s, s:s?, s:s, s:s, s:o, s:o, s:I}", "participant", (const char *)sqlite3_column_text(st, 0),
                       "user", user && *user ? user : NULL, "name", (const char *)sqlite3_column_text(st, 2), "role",
                       (const char *)sqlite3_column_text(st, 3), "joined_at", iso(joined), "left_at",
                       present ? json_null() : iso(left), "seconds", (json_int_t)MAX(0, left - joined)));
  }
  sqlite3_finalize(st);
  return out;
}

json_t *
mg_attendance_totals(json_t *stays)
{
  json_t *totals = json_object(), *s;
  size_t i;
  json_array_foreach(stays, i, s)
  {
    const char *who = json_string_value(json_object_get(s, "user"));
    if (!who)
      who = json_string_value(json_object_get(s, "name"));
    if (!who)
      continue;
    json_int_t so_far = json_integer_value(json_object_get(totals, who));
    json_object_set_new(totals, who, json_integer(so_far + json_integer_value(json_object_get(s, "seconds"))));
  }
  return totals;
}

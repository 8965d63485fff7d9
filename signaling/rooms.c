/* SPDX-License-Identifier: MIT
 * Room definitions: the rooms table. */
#define G_LOG_DOMAIN "rooms"
#include "signaling/rooms.h"

#include <jansson.h>
#include <sqlite3.h>
#include <string.h>

/* No 0/O, 1/I/L, 5/S, 2/Z, 8/B: codes are read aloud and typed. */
static const char code_alphabet[] = "ACDEFGHJKMNPQRTUVWXY34679";

void
mg_room_def_free(MgRoomDef *def)
{
  if (!def)
    return;
  g_free(def->id);
  g_free(def->code);
  g_free(def->title);
  g_strfreev(def->attendees);
  g_free(def);
}

static const char *const policy_names[] = { "open", "lobby", "invite-only" };

const char *
mg_policy_name(MgPolicy policy)
{
  return policy < G_N_ELEMENTS(policy_names) ? policy_names[policy] : "open";
}

gboolean
mg_policy_parse(const char *name, MgPolicy *policy)
{
  for (guint i = 0; name && i < G_N_ELEMENTS(policy_names); i++) {
    if (!strcmp(name, policy_names[i])) {
      *policy = i;
      return TRUE;
    }
  }
  return FALSE;
}

static char *
new_code(void)
{
  char code[10];
  for (int i = 0; i < 9; i++)
    code[i] = i == 4 ? '-' : code_alphabet[g_random_int_range(0, sizeof code_alphabet - 1)];
  code[9] = '\0';
  return g_strdup(code);
}

/* "abcdefgh", "ABCD EFGH" -> "ABCD-EFGH"; NULL when it cannot be a code. */
static char *
normalize_code(const char *text)
{
  GString *s = g_string_new(NULL);
  for (const char *p = text; *p; p++) {
    if (g_ascii_isalnum(*p))
      g_string_append_c(s, g_ascii_toupper(*p));
    else if (*p != '-' && *p != ' ')
      break;
  }
  if (s->len != 8) {
    g_string_free(s, TRUE);
    return NULL;
  }
  g_string_insert_c(s, 4, '-');
  return g_string_free(s, FALSE);
}

static char *
attendees_json(char **attendees)
{
  json_t *a = json_array();
  for (char **p = attendees; p && *p; p++)
    json_array_append_new(a, json_string(*p));
  char *text = json_dumps(a, JSON_COMPACT);
  json_decref(a);
  return text;
}

static char **
attendees_parse(const char *text)
{
  json_t *a = text ? json_loads(text, 0, NULL) : NULL;
  GPtrArray *out = g_ptr_array_new();
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v)
  {
    if (json_is_string(v))
      g_ptr_array_add(out, g_strdup(json_string_value(v)));
  }
  json_decref(a);
  g_ptr_array_add(out, NULL);
  return (char **)g_ptr_array_free(out, FALSE);
}

MgRoomDef *
mg_rooms_create(MgStore *store, const MgRoomDef *def, gint64 now_s, GError **error)
{
  sqlite3 *db = mg_store_get_db(store);
  g_autoptr(MgRoomDef) room = g_new0(MgRoomDef, 1);
  room->id = g_uuid_string_random();
  room->title = g_strdup(def->title && *def->title ? def->title : "Meeting");
  room->policy = def->policy;
  room->capacity = def->capacity ? def->capacity : MG_ROOM_DEFAULT_CAPACITY;
  room->opens_at = def->opens_at;
  room->closes_at = def->closes_at;
  room->attendees = g_strdupv(def->attendees ? def->attendees : (char *[]){ NULL });
  room->created_at = now_s;
  g_autofree char *attendees = attendees_json(room->attendees);

  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db,
                              "INSERT INTO rooms (id, code, title, policy, capacity, opens_at, closes_at, attendees, "
                              "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                              -1, &st, NULL);
  for (int attempt = 0; rc == SQLITE_OK && attempt < 5; attempt++) {
    g_free(room->code);
    room->code = new_code();
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, room->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, room->code, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, room->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, mg_policy_name(room->policy), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, room->capacity);
    sqlite3_bind_int64(st, 6, room->opens_at);
    sqlite3_bind_int64(st, 7, room->closes_at);
    sqlite3_bind_text(st, 8, attendees, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, now_s);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
      break;
    if (rc == SQLITE_CONSTRAINT_UNIQUE) /* a code already taken: draw again */
      rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    g_set_error(error, MG_STORE_ERROR, mg_store_error_code(db), "cannot store the room: %s", sqlite3_errmsg(db));
    return NULL;
  }
  return g_steal_pointer(&room);
}

gboolean
mg_rooms_update(MgStore *store, const MgRoomDef *def, GError **error)
{
  sqlite3 *db = mg_store_get_db(store);
  g_autofree char *attendees = attendees_json(def->attendees);
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(
      db,
      "UPDATE rooms SET title = ?, policy = ?, capacity = ?, opens_at = ?, closes_at = ?, attendees = ? WHERE id = ?",
      -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, def->title && *def->title ? def->title : "Meeting", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, mg_policy_name(def->policy), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, def->capacity ? def->capacity : MG_ROOM_DEFAULT_CAPACITY);
    sqlite3_bind_int64(st, 4, def->opens_at);
    sqlite3_bind_int64(st, 5, def->closes_at);
    sqlite3_bind_text(st, 6, attendees, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, def->id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE || !sqlite3_changes(db)) {
    g_set_error(error, MG_STORE_ERROR, mg_store_error_code(db), "cannot update room %s: %s", def->id,
                rc == SQLITE_DONE ? "no such room" : sqlite3_errmsg(db));
    return FALSE;
  }
  return TRUE;
}

MgRoomDef *
mg_rooms_find(MgStore *store, const char *key)
{
  if (!key || !*key)
    return NULL;
  sqlite3 *db = mg_store_get_db(store);
  g_autofree char *code = normalize_code(key);
  sqlite3_stmt *st = NULL;
  MgRoomDef *room = NULL;
  if (sqlite3_prepare_v2(db,
                         "SELECT id, code, title, policy, capacity, opens_at, closes_at, attendees, created_at "
                         "FROM rooms WHERE id = ? OR code = ?",
                         -1, &st, NULL) != SQLITE_OK)
    return NULL;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, code ? code : "", -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW) {
    room = g_new0(MgRoomDef, 1);
    room->id = g_strdup((const char *)sqlite3_column_text(st, 0));
    room->code = g_strdup((const char *)sqlite3_column_text(st, 1));
    room->title = g_strdup((const char *)sqlite3_column_text(st, 2));
    mg_policy_parse((const char *)sqlite3_column_text(st, 3), &room->policy);
    room->capacity = sqlite3_column_int(st, 4);
    room->opens_at = sqlite3_column_int64(st, 5);
    room->closes_at = sqlite3_column_int64(st, 6);
    room->attendees = attendees_parse((const char *)sqlite3_column_text(st, 7));
    room->created_at = sqlite3_column_int64(st, 8);
  }
  sqlite3_finalize(st);
  return room;
}

gboolean
mg_room_def_is_attendee(const MgRoomDef *def, const char *user)
{
  return user && *user && def->attendees && g_strv_contains((const char *const *)def->attendees, user);
}

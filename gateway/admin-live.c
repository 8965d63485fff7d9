/* SPDX-License-Identifier: MIT
 * The dashboard's live feed: WebSocket /api/v1/admin/live. The first message
 * authenticates ({"type":"auth","key":...}); then the server pushes the rooms
 * table every second, and the room the dashboard watches ({"type":"watch"}). */
#define G_LOG_DOMAIN "admin"
#include "gateway/admin-private.h"

#include <string.h>

#define PUSH_INTERVAL_MS 1000
#define AUTH_DEADLINE_US (10 * G_USEC_PER_SEC)
#define CLOSE_UNAUTHORIZED 4401

typedef struct {
  MgAdmin *admin;
  MgWsConn *conn;
  const MgAdminKey *key; /* NULL until authenticated */
  char *watch;           /* room id or NULL */
  gint64 opened_us;
} MgAdminLive;

static void
push(MgAdminLive *l, json_t *rooms, gint64 now_us)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(now_us / G_USEC_PER_SEC);
  g_autofree char *at = g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
  mg_ws_conn_send_json(l->conn, json_pack("{s:s, s:s, s:I, s:O}", "type", "rooms", "at", at, "at_ms",
                                          (json_int_t)(now_us / 1000), "rooms", rooms));
  if (!l->watch)
    return;
  json_t *room = mg_admin_room_json(l->admin, l->watch);
  mg_ws_conn_send_json(l->conn, json_pack("{s:s, s:s, s:I, s:o}", "type", "room", "id", l->watch, "at_ms",
                                          (json_int_t)(now_us / 1000), "room", room ? room : json_null()));
}

static gboolean
on_tick(gpointer data)
{
  MgAdmin *admin = data;
  gint64 now_us = g_get_real_time(), mono = g_get_monotonic_time();
  json_t *rooms = NULL;
  for (guint i = admin->live->len; i-- > 0;) {
    MgAdminLive *l = g_ptr_array_index(admin->live, i);
    if (!l->key) {
      if (mono - l->opened_us > AUTH_DEADLINE_US)
        mg_ws_conn_close(l->conn, CLOSE_UNAUTHORIZED, "unauthorized");
      continue;
    }
    if (!rooms)
      rooms = mg_admin_rooms_json(admin);
    push(l, rooms, now_us);
  }
  json_decref(rooms);
  return G_SOURCE_CONTINUE;
}

static gpointer
live_opened(MgWsConn *conn, gpointer data)
{
  MgAdminLive *l = g_new0(MgAdminLive, 1);
  l->admin = data;
  l->conn = conn;
  l->opened_us = g_get_monotonic_time();
  g_ptr_array_add(l->admin->live, l);
  return l;
}

static void
live_message(MgWsConn *conn, const char *text, gsize len, gpointer data)
{
  MgAdminLive *l = data;
  json_t *msg = json_loadb(text, len, 0, NULL);
  const char *type = json_string_value(json_object_get(msg, "type"));
  if (!l->key) {
    /* Anything but a good key closes the connection, with no details. */
    l->key = type && !strcmp(type, "auth") ? mg_admin_find_key(l->admin, json_string_value(json_object_get(msg, "key")))
                                           : NULL;
    if (!l->key) {
      mg_ws_conn_close(conn, CLOSE_UNAUTHORIZED, "unauthorized");
    } else {
      mg_ws_conn_send_json(conn, json_pack("{s:s, s:s, s:s}", "type", "hello", "name", l->key->name, "role",
                                           l->key->role == MG_ADMIN_OPERATOR ? "operator" : "viewer"));
      json_t *rooms = mg_admin_rooms_json(l->admin);
      push(l, rooms, g_get_real_time());
      json_decref(rooms);
    }
  } else if (type && !strcmp(type, "watch")) {
    const char *room = json_string_value(json_object_get(msg, "room"));
    g_free(l->watch);
    l->watch = room && *room ? g_strndup(room, 128) : NULL;
    json_t *rooms = mg_admin_rooms_json(l->admin);
    push(l, rooms, g_get_real_time());
    json_decref(rooms);
  } else {
    mg_ws_conn_send_json(conn, json_pack("{s:s, s:s}", "type", "error", "message", "unknown message"));
  }
  json_decref(msg);
}

static void
live_closed(MgWsConn *conn, gpointer data)
{
  MgAdminLive *l = data;
  g_ptr_array_remove(l->admin->live, l);
  g_free(l->watch);
  g_free(l);
}

static const MgWsHandler live_ws = { live_opened, live_message, live_closed };

void
mg_admin_live_start(MgAdmin *admin, MgHttpServer *server)
{
  mg_http_server_add_websocket(server, "/api/v1/admin/live", &live_ws, admin);
  admin->tick = g_timeout_add(PUSH_INTERVAL_MS, on_tick, admin);
}

void
mg_admin_live_stop(MgAdmin *admin)
{
  if (admin->tick)
    g_source_remove(admin->tick);
  admin->tick = 0;
}

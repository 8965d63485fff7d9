/* SPDX-License-Identifier: MIT
 * Ad hoc rooms and the short join link. */
#define G_LOG_DOMAIN "rooms"
#include "gateway/rooms-api.h"

#include <string.h>

#include "signaling/token.h"

#define AD_HOC_HOURS 24
#define EARLY_S 60 /* a link works this long before the window, for clock skew */

struct MgRoomsApi {
  MgAdmin *admin;
  MgStore *store;
  const char *public_url;
  const char *secret;
};

char *
mg_rooms_api_link(MgRoomsApi *api, const MgRoomDef *room, const char *role, const char *user, const char *name,
                  gint64 now_s)
{
  MgToken t = {
    .iss = "meetgate",
    .sub = (char *)(user ? user : ""),
    .name = (char *)name,
    .room = room->id,
    .role = (char *)role,
    .nbf = (room->opens_at ? room->opens_at : now_s) - EARLY_S,
    .exp = room->closes_at ? room->closes_at : now_s + AD_HOC_HOURS * 3600,
  };
  g_autofree char *jwt = mg_token_sign(&t, api->secret);
  return g_strdup_printf("%s/j/%s?t=%s", api->public_url, room->code, jwt);
}

static gboolean
read_room(MgHttpRequest *req, MgRoomDef *def, gint64 now_s, json_t **attendees)
{
  g_autoptr(GBytes) body = mg_http_request_get_body(req);
  json_error_t jerr;
  json_t *j = g_bytes_get_size(body)
                  ? json_loadb(g_bytes_get_data(body, NULL), g_bytes_get_size(body), JSON_REJECT_DUPLICATES, &jerr)
                  : json_object();
  if (!json_is_object(j)) {
    mg_http_request_respond_error(req, 400, "bad_json", "the body must be a JSON object");
    json_decref(j);
    return FALSE;
  }
  const char *policy = json_string_value(json_object_get(j, "policy"));
  json_t *cap = json_object_get(j, "capacity"), *minutes = json_object_get(j, "duration_minutes");
  def->title = g_strdup(json_string_value(json_object_get(j, "title")));
  gboolean ok = TRUE;
  if (policy && !mg_policy_parse(policy, &def->policy))
    ok = FALSE, mg_http_request_respond_error(req, 400, "bad_request", "policy must be open, lobby or invite-only");
  else if (cap && (!json_is_integer(cap) || json_integer_value(cap) < 1 || json_integer_value(cap) > 1000))
    ok = FALSE, mg_http_request_respond_error(req, 400, "bad_request", "capacity must be 1 to 1000");
  else if (minutes &&
           (!json_is_integer(minutes) || json_integer_value(minutes) < 1 || json_integer_value(minutes) > 7 * 24 * 60))
    ok = FALSE, mg_http_request_respond_error(req, 400, "bad_request", "duration_minutes must be 1 to 10080");
  if (ok) {
    def->capacity = cap ? json_integer_value(cap) : 0;
    if (minutes) {
      def->opens_at = now_s;
      def->closes_at = now_s + json_integer_value(minutes) * 60;
    }
    json_t *list = json_object_get(j, "attendees"), *a;
    size_t i;
    GPtrArray *ids = g_ptr_array_new();
    json_array_foreach(list, i, a)
    {
      const char *id = json_string_value(json_is_object(a) ? json_object_get(a, "id") : a);
      if (id && *id)
        g_ptr_array_add(ids, g_strdup(id));
    }
    g_ptr_array_add(ids, NULL);
    def->attendees = (char **)g_ptr_array_free(ids, FALSE);
    *attendees = json_incref(list);
  }
  json_decref(j);
  return ok;
}

static void
on_create(MgHttpRequest *req, gpointer data)
{
  MgRoomsApi *api = data;
  const char *who = NULL;
  if (!mg_admin_authenticate(api->admin, req, MG_ADMIN_OPERATOR, &who))
    return;
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  MgRoomDef def = { 0 };
  json_t *attendees = NULL;
  if (!read_room(req, &def, now, &attendees)) {
    g_free(def.title);
    g_strfreev(def.attendees);
    return;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(MgRoomDef) room = mg_rooms_create(api->store, &def, now, &error);
  g_free(def.title);
  g_strfreev(def.attendees);
  if (!room) {
    json_decref(attendees);
    mg_http_request_respond_error(req, 500, "store", "%s", error->message);
    return;
  }
  g_autofree char *host = mg_rooms_api_link(api, room, "host", "host", "Host", now);
  g_autofree char *guest = mg_rooms_api_link(api, room, "guest", NULL, NULL, now);
  json_t *personal = json_object(), *a;
  size_t i;
  json_array_foreach(attendees, i, a)
  {
    const char *id = json_string_value(json_is_object(a) ? json_object_get(a, "id") : a);
    const char *name = json_is_object(a) ? json_string_value(json_object_get(a, "name")) : NULL;
    if (id && *id) {
      g_autofree char *link = mg_rooms_api_link(api, room, "attendee", id, name, now);
      json_object_set_new(personal, id, json_string(link));
    }
  }
  json_decref(attendees);
  g_info("room %s (%s) created by %s", room->id, room->code, who);
  mg_http_request_respond_json(req, 201,
                               json_pack("{s:{s:s, s:s, s:s, s:s, s:i}, s:{s:s, s:s, s:o}}", "room", "id", room->id,
                                         "code", room->code, "title", room->title, "policy",
                                         mg_policy_name(room->policy), "capacity", room->capacity, "links", "host",
                                         host, "guest", guest, "attendees", personal));
}

static void
on_join_page(MgHttpRequest *req, gpointer data)
{
  MgRoomsApi *api = data;
  g_autoptr(MgRoomDef) room = mg_rooms_find(api->store, mg_http_request_get_tail(req));
  g_autoptr(GBytes) page = g_resources_lookup_data("/meetgate/web/meeting.html", G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (!room) {
    mg_http_request_respond_error(req, 404, "unknown_room", "no meeting has the code %s",
                                  mg_http_request_get_tail(req));
    return;
  }
  if (!page) {
    mg_http_request_respond_error(req, 500, "no_page", "this build has no meeting page");
    return;
  }
  mg_http_request_add_header(req, "cache-control", "no-store");
  mg_http_request_add_header(req, "referrer-policy", "no-referrer"); /* the token is in the URL */
  mg_http_request_respond(req, 200, "text/html; charset=utf-8", page);
}

static const MgHttpRoute routes[] = {
  { "POST", "/api/v1/rooms", MG_HTTP_EXACT, on_create },
  { "GET", "/j/", MG_HTTP_PREFIX, on_join_page },
};

MgRoomsApi *
mg_rooms_api_new(MgHttpServer *server, MgAdmin *admin, MgStore *store, const char *public_url, const char *secret)
{
  MgRoomsApi *api = g_new0(MgRoomsApi, 1);
  api->admin = admin;
  api->store = store;
  api->public_url = public_url;
  api->secret = secret;
  mg_http_server_add_routes(server, routes, G_N_ELEMENTS(routes), api);
  return api;
}

void
mg_rooms_api_free(MgRoomsApi *api)
{
  g_free(api);
}

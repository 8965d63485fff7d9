/* SPDX-License-Identifier: MIT
 * Bridges over the admin API: each bridge pushes its room's tracks to a WHIP
 * URL and pulls a WHEP URL's tracks into the room as a participant (role
 * "bridge"). This file has the admin routes, the answers and the restore
 * after a restart; a bridge's attempts, probes and saving are in
 * bridge-run.c, the media in webrtcbin (media/bridge-rtc.c), the retries in
 * bridge-fsm.c. */
#define G_LOG_DOMAIN "bridge"
#include "gateway/bridge-private.h"

#include <string.h>

#include "gateway/log.h"
#include "gateway/recordings-api.h"
#include "signaling/pipelines.h"
#include "signaling/rooms.h"
#include "signaling/token.h"

#define MAX_NAME 64
#define MAX_URL 2048
#define MAX_TOKEN 4096
#define MAX_PER_ROOM 4
#define MAX_PER_KIND 4
#define TICK_MS 250
#define TOKEN_EARLY_S 60
#define TOKEN_AD_HOC_S (24 * 3600)

void
mg_bridge_spec_clear(MgBridgeSpec *spec)
{
  g_clear_pointer(&spec->whip, g_free);
  g_clear_pointer(&spec->whep, g_free);
  g_clear_pointer(&spec->token, g_free);
  g_clear_pointer(&spec->name, g_free);
}

/* ---- the body ---- */

static gboolean
is_text(json_t *s, gsize max)
{
  return json_is_string(s) && json_string_length(s) > 0 && json_string_length(s) <= max &&
         strlen(json_string_value(s)) == json_string_length(s) && g_utf8_validate(json_string_value(s), -1, NULL);
}

static gboolean
check_url(const char *url)
{
  for (const char *p = url; *p; p++)
    if ((guchar)*p < 0x21 || *p == 0x7f)
      return FALSE;
  g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_ENCODED, NULL);
  return uri && (!strcmp(g_uri_get_scheme(uri), "http") || !strcmp(g_uri_get_scheme(uri), "https")) &&
         g_uri_get_host(uri) && *g_uri_get_host(uri);
}

static gboolean
read_count(json_t *v, guint *out)
{
  if (!v) {
    *out = MAX_PER_KIND;
    return TRUE;
  }
  if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > MAX_PER_KIND)
    return FALSE;
  *out = json_integer_value(v);
  return TRUE;
}

gboolean
mg_bridge_api_parse(const char *data, gsize len, MgBridgeSpec *spec, const char **code, GError **error)
{
  json_t *body = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
  json_t *whip = json_object_get(body, "whip"), *whep = json_object_get(body, "whep");
  json_t *token = json_object_get(body, "token"), *name = json_object_get(body, "name");
  gboolean ok = FALSE;
  *code = "bad_request";
  memset(spec, 0, sizeof *spec);
  if (!json_is_object(body)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the body must be a JSON object with whip, whep and token");
  } else if ((!whip && !whep) || (whip && (!is_text(whip, MAX_URL) || !check_url(json_string_value(whip)))) ||
             (whep && (!is_text(whep, MAX_URL) || !check_url(json_string_value(whep))))) {
    *code = "bad_url";
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "whip and whep (at least one) must be http:// or https:// URLs with a host, at most %d bytes", MAX_URL);
  } else if (!is_text(token, MAX_TOKEN)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "token must be 1 to %d bytes of text", MAX_TOKEN);
  } else if (name && !is_text(name, MAX_NAME)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "name must be 1 to %d bytes of text", MAX_NAME);
  } else if (!read_count(json_object_get(body, "video"), &spec->video) ||
             !read_count(json_object_get(body, "audio"), &spec->audio)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "video and audio must be 1 to %d", MAX_PER_KIND);
  } else {
    spec->whip = g_strdup(json_string_value(whip));
    spec->whep = g_strdup(json_string_value(whep));
    spec->token = g_strdup(json_string_value(token));
    spec->name = g_strdup(name ? json_string_value(name) : "Bridge");
    ok = TRUE;
  }
  json_decref(body);
  return ok;
}

/* ---- answers ---- */

static char *
display_url(const char *url)
{
  if (!url)
    return NULL;
  g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_HAS_PASSWORD, NULL);
  return uri ? g_uri_to_string_partial(uri, G_URI_HIDE_PASSWORD | G_URI_HIDE_QUERY | G_URI_HIDE_FRAGMENT)
             : g_strdup("");
}

static json_t *
bridge_json(MgBridge *b)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(b->started_s);
  g_autofree char *started = g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *whip = display_url(b->spec.whip), *whep = display_url(b->spec.whep);
  guint64 packets[2], tracks[2];
  for (guint i = 0; i < 2; i++) {
    MgBridgeRtc *rtc = b->legs[i].rtc;
    packets[i] = b->packets[i] + (rtc ? mg_bridge_rtc_get_packets(rtc) : 0);
    tracks[i] = rtc ? mg_bridge_rtc_get_tracks(rtc) : 0;
  }
  json_t *j =
      json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s, s:s, s:i, s:s?, s:{s:I, s:I}, s:{s:I, s:I}}", "id", b->id, "room",
                b->room, "name", b->spec.name, "whip", whip, "whep", whep, "state", mg_bridge_state_name(b->fsm.state),
                "started", started, "restarts", (int)b->fsm.restarts, "participant", b->spec.whep ? b->party : NULL,
                "packets", "sent", (json_int_t)packets[0], "received", (json_int_t)packets[1], "tracks", "sent",
                (json_int_t)tracks[0], "received", (json_int_t)tracks[1]);
  json_object_set_new(j, "error", b->fsm.error ? json_string(b->fsm.error) : json_null());
  return j;
}

static guint
count_in_room(MgBridgeApi *api, const char *room)
{
  guint n = 0;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, api->bridges);
  while (g_hash_table_iter_next(&it, NULL, &value))
    n += !strcmp(((MgBridge *)value)->room, room);
  return n;
}

static void
start_bridge(MgBridgeApi *api, MgHttpRequest *req, const char *room, const char *who)
{
  const char *code;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = mg_http_request_get_body(req);
  MgBridgeSpec spec;
  if (!mg_bridge_api_parse(g_bytes_get_data(raw, NULL), g_bytes_get_size(raw), &spec, &code, &error)) {
    mg_admin_record(api->admin, req, who, "bridge_start", room, NULL, code, error->message);
    mg_http_request_respond_error(req, 400, code, "%s", error->message);
    return;
  }
  mg_log_add_secret(spec.token); /* never in a log line */
  if (count_in_room(api, room) >= MAX_PER_ROOM) {
    mg_bridge_spec_clear(&spec);
    mg_admin_record(api->admin, req, who, "bridge_start", room, NULL, "too_many_bridges", NULL);
    mg_http_request_respond_error(req, 409, "too_many_bridges", "room %s has %d bridges already", room, MAX_PER_ROOM);
    return;
  }
  MgBridge *b = mg_bridge_launch(api, room, &spec, NULL, g_get_real_time() / G_USEC_PER_SEC, 0);
  g_autofree char *whip = display_url(b->spec.whip), *whep = display_url(b->spec.whep);
  g_autofree char *detail = g_strdup_printf("%s whip=%s whep=%s", b->id, whip ? whip : "-", whep ? whep : "-");
  mg_admin_record(api->admin, req, who, "bridge_start", room, detail, "ok", NULL);
  g_info("bridge %s of room %s (%s) started by %s", b->id, room, detail, who);
  mg_http_request_respond_json(req, 201, bridge_json(b));
}

static void
stop_bridge(MgBridgeApi *api, MgHttpRequest *req, const char *room, const char *id, const char *who)
{
  MgBridge *b = id ? g_hash_table_lookup(api->bridges, id) : NULL;
  if (!b || strcmp(b->room, room)) {
    mg_admin_record(api->admin, req, who, "bridge_stop", room, id, "unknown_bridge", NULL);
    mg_http_request_respond_error(req, 404, "unknown_bridge", "room %s has no bridge %s", room, id ? id : "");
    return;
  }
  mg_bridge_stop(b, NULL);
  json_t *j = bridge_json(b);
  mg_admin_record(api->admin, req, who, "bridge_stop", room, b->id, "ok", NULL);
  g_info("bridge %s of room %s stopped by %s", b->id, room, who);
  mg_bridge_forget(api, b->id);
  g_hash_table_remove(api->bridges, id);
  mg_http_request_respond_json(req, 200, j);
}

/* A room of the store, or one that has media (WHIP rooms need no store entry). */
static gboolean
room_known(MgBridgeApi *api, const char *room, gboolean store_only)
{
  if (!mg_recordings_valid_id(room))
    return FALSE;
  g_autoptr(MgRoomDef) def = mg_rooms_find(api->store, room);
  if (def && !strcmp(def->id, room))
    return TRUE;
  json_t *media = store_only ? NULL : mg_media_engine_get_room_stats(api->engine, room);
  json_decref(media);
  return media != NULL;
}

/* POST /api/v1/admin/rooms/<room>/bridges, DELETE .../bridges/<id> */
static void
on_room_bridges(MgHttpRequest *req, gpointer data)
{
  MgBridgeApi *api = data;
  const char *who = NULL;
  g_auto(GStrv) parts = g_strsplit(mg_http_request_get_tail(req), "/", 4);
  gboolean post = !strcmp(mg_http_request_get_method(req), "POST");
  guint n = g_strv_length(parts);
  if (n < 2 || strcmp(parts[1], "bridges") || (post ? n != 2 : n != 3 || !*parts[2])) {
    mg_http_request_respond_error(req, 404, "not_found", "no such resource: %s", mg_http_request_get_path(req));
    return;
  }
  if (!mg_admin_authenticate(api->admin, req, MG_ADMIN_OPERATOR, &who))
    return;
  const char *room = parts[0];
  if (!post) {
    stop_bridge(api, req, room, parts[2], who);
  } else if (!room_known(api, room, FALSE)) {
    mg_admin_record(api->admin, req, who, "bridge_start", room, NULL, "unknown_room", NULL);
    mg_http_request_respond_error(req, 404, "unknown_room", "no room has the id %s", room);
  } else {
    start_bridge(api, req, room, who);
  }
}

/* POST /api/v1/admin/rooms/<room>/bridge-token: a join token with role
 * "bridge" for another node's bridge into this room, for the room's window. */
static void
on_bridge_token(MgHttpRequest *req, gpointer data)
{
  MgBridgeApi *api = data;
  const char *who = NULL;
  g_auto(GStrv) parts = g_strsplit(mg_http_request_get_tail(req), "/", 3);
  if (g_strv_length(parts) != 2 || strcmp(mg_http_request_get_method(req), "POST")) {
    mg_http_request_respond_error(req, 404, "not_found", "no such resource: %s", mg_http_request_get_path(req));
    return;
  }
  if (!mg_admin_authenticate(api->admin, req, MG_ADMIN_OPERATOR, &who))
    return;
  const char *room = parts[0];
  g_autoptr(MgRoomDef) def = mg_recordings_valid_id(room) ? mg_rooms_find(api->store, room) : NULL;
  if (!def || strcmp(def->id, room)) {
    mg_admin_record(api->admin, req, who, "bridge_token", room, NULL, "unknown_room", NULL);
    mg_http_request_respond_error(req, 404, "unknown_room", "no room of the store has the id %s", room);
    return;
  }
  g_autoptr(GBytes) raw = mg_http_request_get_body(req);
  json_t *body =
      g_bytes_get_size(raw) ? json_loadb(g_bytes_get_data(raw, NULL), g_bytes_get_size(raw), 0, NULL) : json_object();
  json_t *name = json_object_get(body, "name");
  if (!json_is_object(body) || (name && !is_text(name, MAX_NAME))) {
    json_decref(body);
    mg_admin_record(api->admin, req, who, "bridge_token", room, NULL, "bad_request", NULL);
    mg_http_request_respond_error(req, 400, "bad_request", "the body must be a JSON object; name 1 to %d bytes",
                                  MAX_NAME);
    return;
  }
  gint64 now_s = g_get_real_time() / G_USEC_PER_SEC;
  MgToken t = {
    .iss = "meetgate",
    .sub = "",
    .name = (char *)(name ? json_string_value(name) : "Bridge"),
    .room = def->id,
    .role = "bridge",
    .nbf = (def->opens_at ? def->opens_at : now_s) - TOKEN_EARLY_S,
    .exp = def->closes_at ? def->closes_at : now_s + TOKEN_AD_HOC_S,
  };
  g_autofree char *jwt = mg_token_sign(&t, api->secret);
  g_autoptr(GDateTime) exp = g_date_time_new_from_unix_utc(t.exp);
  g_autofree char *expires = g_date_time_format(exp, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *whip = g_strdup_printf("%s/whip/%s", api->public_url, def->id);
  g_autofree char *whep = g_strdup_printf("%s/whep/%s", api->public_url, def->id);
  json_t *answer = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "token", jwt, "room", def->id, "role", "bridge",
                             "expires", expires, "whip", whip, "whep", whep);
  json_decref(body);
  mg_admin_record(api->admin, req, who, "bridge_token", room, NULL, "ok", NULL);
  mg_http_request_respond_json(req, 201, answer);
}

static json_t *
any_bridge_json(gpointer b)
{
  return bridge_json(b);
}

static const MgAdminListShape list_shape = { G_STRUCT_OFFSET(MgBridge, id), G_STRUCT_OFFSET(MgBridge, room),
                                             G_STRUCT_OFFSET(MgBridge, started_s), any_bridge_json };

/* The bridges of room_id (NULL: all), oldest first. (transfer full) */
static json_t *
list_json(MgBridgeApi *api, const char *room_id)
{
  return mg_admin_list_json(api->bridges, room_id, &list_shape);
}

static json_t *
room_bridges(const char *room_id, gpointer data)
{
  return list_json(data, room_id);
}

/* GET /api/v1/admin/bridges[?room=] */
static void
on_list(MgHttpRequest *req, gpointer data)
{
  MgBridgeApi *api = data;
  if (!mg_admin_authenticate(api->admin, req, MG_ADMIN_VIEWER, NULL))
    return;
  mg_http_request_respond_json(req, 200,
                               json_pack("{s:o}", "bridges", list_json(api, mg_http_request_get_query(req, "room"))));
}

static const MgHttpRoute routes[] = {
  { "GET", "/api/v1/admin/bridges", MG_HTTP_EXACT, on_list },
};

/* ---- after a restart of meetgate ---- */

/* Starts a saved bridge again, with its id; restarts counts on (this start
 * is one). A row that is not a bridge's is forgotten. */
static void
relaunch(MgBridgeApi *api, MgPipelineRow *row)
{
  MgBridgeSpec spec;
  const char *code;
  g_autoptr(GError) error = NULL;
  json_t *j = json_loads(row->spec, 0, NULL);
  json_t *restarts = json_object_get(j, "restarts");
  guint n = json_is_integer(restarts) && json_integer_value(restarts) >= 0 ? json_integer_value(restarts) : 0;
  json_decref(j);
  if (!mg_bridge_api_parse(row->spec, strlen(row->spec), &spec, &code, &error)) {
    g_warning("bridge %s of room %s cannot restart: its saved settings are not a bridge's (%s); forgotten", row->id,
              row->room, error->message);
    mg_bridge_forget(api, row->id);
    return;
  }
  mg_log_add_secret(spec.token);
  MgBridge *b = mg_bridge_launch(api, row->room, &spec, row->id, row->started_s, n + 1);
  g_info("bridge %s of room %s restarted (attempt %u)", b->id, b->room, b->fsm.restarts + 1);
}

/* The bridges that ran when meetgate stopped: those of the store's rooms
 * start now, those of WHIP rooms when the room has media again. */
static void
restore(MgBridgeApi *api)
{
  g_autoptr(GError) error = NULL;
  api->saved = api->store ? mg_pipelines_list(api->store, "bridge", &error) : NULL;
  if (error)
    g_warning("the bridges that ran before cannot be read: %s", error->message);
  for (guint i = 0; api->saved && i < api->saved->len;) {
    MgPipelineRow *row = g_ptr_array_index(api->saved, i);
    if (room_known(api, row->room, TRUE)) {
      relaunch(api, row);
      g_ptr_array_remove_index(api->saved, i);
    } else {
      i++;
    }
  }
  if (api->saved && api->saved->len)
    g_info("%u bridges will restart when their rooms have media again", api->saved->len);
}

void
mg_bridge_api_on_room_live(MgBridgeApi *api, const char *room)
{
  for (guint i = 0; api->saved && i < api->saved->len;) {
    MgPipelineRow *row = g_ptr_array_index(api->saved, i);
    if (strcmp(row->room, room)) {
      i++;
      continue;
    }
    /* Out of the list first: starting it adds tracks to the room, which calls us again. */
    g_autoptr(MgPipelineRow) mine = g_ptr_array_steal_index(api->saved, i);
    relaunch(api, mine);
  }
}

MgBridgeApi *
mg_bridge_api_new(MgHttpServer *server, MgAdmin *admin, MgMediaEngine *engine, MgConference *conference, MgStore *store,
                  const char *secret, const char *public_url)
{
  MgBridgeApi *api = g_new0(MgBridgeApi, 1);
  api->admin = admin;
  api->engine = engine;
  api->conference = conference;
  api->store = store;
  api->secret = secret;
  api->public_url = public_url;
  api->http = mg_httpc_new(NULL);
  api->bridges = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, mg_bridge_free);
  api->tick = g_timeout_add(TICK_MS, mg_bridge_tick, api);
  mg_admin_add_room_action(admin, "bridges", on_room_bridges, api);
  mg_admin_add_room_action(admin, "bridge-token", on_bridge_token, api);
  mg_admin_add_room_detail(admin, "bridges", room_bridges, api);
  mg_http_server_add_routes(server, routes, G_N_ELEMENTS(routes), api);
  restore(api);
  return api;
}

void
mg_bridge_api_free(MgBridgeApi *api)
{
  if (!api)
    return;
  g_source_remove(api->tick);
  api->conference = NULL;           /* it is going too, and lets its participants go itself */
  g_hash_table_unref(api->bridges); /* they stay in the store: they come back at the next start */
  mg_bridge_rtc_flush();            /* legs torn down while they gathered stop now */
  g_clear_pointer(&api->saved, g_ptr_array_unref);
  mg_httpc_free(api->http); /* the DELETEs just queued are cancelled: the far sides time the sessions out */
  g_free(api);
}

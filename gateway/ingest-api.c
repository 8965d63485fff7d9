/* SPDX-License-Identifier: MIT
 * Ingests over the admin API: start (operator), stop, list in the room
 * detail. Each ingest joins its room as a participant named by the caller. */
#define G_LOG_DOMAIN "ingest"
#include "gateway/ingest-api.h"

#include <string.h>

#include "gateway/log.h"
#include "gateway/recordings-api.h"
#include "media/ingest.h"
#include "signaling/pipelines.h"
#include "signaling/rooms.h"

#define MAX_NAME 64
#define MAX_URL 2048
#define MAX_PER_ROOM 8

typedef struct {
  MgIngestApi *api;
  char *id, *party, *room, *name, *display_url;
  gboolean transcode;
  gint64 started_s;
  MgIngest *ingest;
} MgIngestEntry;

struct MgIngestApi {
  MgAdmin *admin;
  MgMediaEngine *engine;
  MgConference *conference;
  MgStore *store;
  GHashTable *ingests; /* id -> MgIngestEntry* */
};

static void
entry_free(gpointer p)
{
  MgIngestEntry *e = p;
  if (e->api->conference)
    mg_conference_remove_ingest(e->api->conference, e->room, e->party);
  mg_ingest_free(e->ingest);
  g_free(e->id);
  g_free(e->party);
  g_free(e->room);
  g_free(e->name);
  g_free(e->display_url);
  g_free(e);
}

char *
mg_ingest_api_display_url(const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_HAS_PASSWORD, NULL);
  return uri ? g_uri_to_string_partial(uri, G_URI_HIDE_PASSWORD) : g_strdup("");
}

static json_t *
entry_json(MgIngestEntry *e)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(e->started_s);
  g_autofree char *started = g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
  const char *error = mg_ingest_get_error(e->ingest);
  json_t *j =
      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:{s:I, s:I}}", "id", e->id, "room", e->room, "name", e->name,
                "url", e->display_url, "state", mg_ingest_state_name(mg_ingest_get_state(e->ingest)), "started",
                started, "peer", mg_ingest_get_peer(e->ingest), "restarts", (int)mg_ingest_get_restarts(e->ingest),
                "packets", "video", (json_int_t)mg_ingest_get_packets(e->ingest, "video"), "audio",
                (json_int_t)mg_ingest_get_packets(e->ingest, "audio"));
  json_object_set_new(j, "error", error ? json_string(error) : json_null());
  json_object_set_new(j, "transcode", json_boolean(e->transcode));
  const char *video = mg_ingest_get_video_path(e->ingest);
  json_object_set_new(j, "video", video ? json_string(video) : json_null());
  return j;
}

static void
forget(MgIngestApi *api, const char *id)
{
  g_autoptr(GError) error = NULL;
  if (api->store && !mg_pipelines_delete(api->store, id, &error))
    g_warning("ingest %s: cannot remove it from the store: %s", id, error->message);
}

static void
on_changed(MgIngest *ingest, gpointer data)
{
  MgIngestEntry *e = data;
  MgIngestState state = mg_ingest_get_state(ingest);
  /* A source that is gone for good is no longer a participant, and does not come back after a restart. */
  if (state == MG_INGEST_ENDED || state == MG_INGEST_FAILED) {
    if (e->api->conference)
      mg_conference_remove_ingest(e->api->conference, e->room, e->party);
    forget(e->api, e->id);
  }
}

static void
entry_discard(MgIngestEntry *e)
{
  g_free(e->id);
  g_free(e->party);
  g_free(e->room);
  g_free(e->name);
  g_free(e->display_url);
  g_free(e);
}

/* Starts an ingest (id and started_s given when it comes back after a
 * restart) and makes it a participant; NULL with error when it cannot start. */
static MgIngestEntry *
launch(MgIngestApi *api, const char *room, const char *url, const char *name, gboolean transcode, const char *id,
       gint64 started_s, GError **error)
{
  /* A camera's password never reaches the log. */
  g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_HAS_PASSWORD, NULL);
  if (uri && g_uri_get_password(uri) && *g_uri_get_password(uri))
    mg_log_add_secret(g_uri_get_password(uri));
  MgIngestEntry *e = g_new0(MgIngestEntry, 1);
  e->api = api;
  e->id = id ? g_strdup(id) : g_strdup_printf("%08x%08x", g_random_int(), g_random_int());
  e->room = g_strdup(room);
  e->name = g_strdup(name);
  e->display_url = mg_ingest_api_display_url(url);
  e->started_s = started_s;
  e->transcode = transcode;
  e->party = g_strdup_printf("ingest-%s", e->id);
  e->ingest = mg_ingest_start(api->engine, room, e->party, url, 0, transcode, on_changed, e, error);
  if (!e->ingest) {
    entry_discard(e);
    return NULL;
  }
  g_hash_table_insert(api->ingests, e->id, e);
  if (api->conference)
    mg_conference_add_ingest(api->conference, room, e->party, e->name, mg_ingest_get_peer(e->ingest));
  return e;
}

/* Kept in the store (the URL sealed) until stopped or ended, to come back after a restart. */
static void
save(MgIngestApi *api, MgIngestEntry *e, const char *url)
{
  g_autoptr(GError) error = NULL;
  json_t *j = json_pack("{s:s, s:s, s:b}", "url", url, "name", e->name, "transcode", e->transcode);
  g_autofree char *spec = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  if (api->store && !mg_pipelines_put(api->store, e->id, "ingest", e->room, spec, e->started_s, &error))
    g_warning("ingest %s into room %s will not come back after a restart: %s", e->id, e->room, error->message);
}

/* The ingests that ran when meetgate stopped start again. */
static void
restore(MgIngestApi *api)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = api->store ? mg_pipelines_list(api->store, "ingest", &error) : NULL;
  if (error)
    g_warning("the ingests that ran before cannot be read: %s", error->message);
  for (guint i = 0; rows && i < rows->len; i++) {
    MgPipelineRow *row = g_ptr_array_index(rows, i);
    json_t *spec = json_loads(row->spec, 0, NULL);
    const char *url = json_string_value(json_object_get(spec, "url"));
    const char *name = json_string_value(json_object_get(spec, "name"));
    gboolean transcode = !json_is_false(json_object_get(spec, "transcode"));
    g_autoptr(GError) start_error = NULL;
    MgIngestEntry *e = NULL;
    if (url && name)
      e = launch(api, row->room, url, name, transcode, row->id, row->started_s, &start_error);
    else
      g_set_error(&start_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "its saved settings are not an ingest's");
    if (e)
      g_info("ingest %s of %s into room %s restarted", e->id, e->display_url, e->room);
    else {
      g_warning("ingest %s into room %s cannot restart: %s; forgotten", row->id, row->room, start_error->message);
      forget(api, row->id);
    }
    json_decref(spec);
  }
}

static guint
count_in_room(MgIngestApi *api, const char *room)
{
  guint n = 0;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, api->ingests);
  while (g_hash_table_iter_next(&it, NULL, &value))
    n += !strcmp(((MgIngestEntry *)value)->room, room);
  return n;
}

gboolean
mg_ingest_api_parse(const char *data, gsize len, char **url, char **name, gboolean *transcode, const char **code,
                    GError **error)
{
  json_t *body = json_loadb(data, len, 0, NULL);
  json_t *u = json_object_get(body, "url"), *n = json_object_get(body, "name");
  json_t *t = json_object_get(body, "transcode");
  gboolean ok = FALSE;
  *code = "bad_request";
  if (!json_is_object(body)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the body must be a JSON object with a url");
  } else if (!json_is_string(u) || json_string_length(u) > MAX_URL ||
             strlen(json_string_value(u)) != json_string_length(u)) {
    *code = "bad_url";
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "url must be a string of at most %d bytes", MAX_URL);
  } else if (!mg_ingest_check_url(json_string_value(u), error)) {
    *code = "bad_url";
  } else if (n && (!json_is_string(n) || !json_string_length(n) || json_string_length(n) > MAX_NAME ||
                   strlen(json_string_value(n)) != json_string_length(n) ||
                   !g_utf8_validate(json_string_value(n), -1, NULL))) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "name must be 1 to %d bytes of text", MAX_NAME);
  } else if (t && !json_is_boolean(t)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "transcode must be true or false");
  } else {
    *url = g_strdup(json_string_value(u));
    *name = g_strdup(n ? json_string_value(n) : "Camera");
    *transcode = !t || json_is_true(t);
    ok = TRUE;
  }
  json_decref(body);
  return ok;
}

static void
start_ingest(MgIngestApi *api, MgHttpRequest *req, const char *room, const char *who)
{
  g_autofree char *url = NULL, *name = NULL;
  gboolean transcode = TRUE;
  const char *code;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) raw = mg_http_request_get_body(req);
  if (!mg_ingest_api_parse(g_bytes_get_data(raw, NULL), g_bytes_get_size(raw), &url, &name, &transcode, &code,
                           &error)) {
    mg_admin_record(api->admin, req, who, "ingest_start", room, NULL, code, error->message);
    mg_http_request_respond_error(req, 400, code, "%s", error->message);
    return;
  }
  if (count_in_room(api, room) >= MAX_PER_ROOM) {
    mg_admin_record(api->admin, req, who, "ingest_start", room, NULL, "too_many_ingests", NULL);
    mg_http_request_respond_error(req, 409, "too_many_ingests", "room %s has %d ingests already", room, MAX_PER_ROOM);
    return;
  }
  MgIngestEntry *e = launch(api, room, url, name, transcode, NULL, g_get_real_time() / G_USEC_PER_SEC, &error);
  if (!e) {
    g_warning("ingest into room %s cannot start: %s", room, error->message);
    mg_admin_record(api->admin, req, who, "ingest_start", room, NULL, "ingest_failed", error->message);
    mg_http_request_respond_error(req, 500, "ingest_failed", "%s", error->message);
    return;
  }
  save(api, e, url);
  g_autofree char *detail = g_strdup_printf("%s %s", e->id, e->display_url);
  mg_admin_record(api->admin, req, who, "ingest_start", room, detail, "ok", NULL);
  g_info("ingest %s of %s into room %s started by %s", e->id, e->display_url, room, who);
  mg_http_request_respond_json(req, 201, entry_json(e));
}

static void
stop_ingest(MgIngestApi *api, MgHttpRequest *req, const char *room, const char *id, const char *who)
{
  MgIngestEntry *e = id ? g_hash_table_lookup(api->ingests, id) : NULL;
  if (!e || strcmp(e->room, room)) {
    mg_admin_record(api->admin, req, who, "ingest_stop", room, id, "unknown_ingest", NULL);
    mg_http_request_respond_error(req, 404, "unknown_ingest", "room %s has no ingest %s", room, id ? id : "");
    return;
  }
  json_t *j = entry_json(e);
  json_object_set_new(j, "state", json_string("stopped"));
  mg_admin_record(api->admin, req, who, "ingest_stop", room, e->id, "ok", NULL);
  g_info("ingest %s into room %s stopped by %s", e->id, room, who);
  forget(api, e->id);
  g_hash_table_remove(api->ingests, id);
  mg_http_request_respond_json(req, 200, j);
}

/* POST /api/v1/admin/rooms/<room>/ingest, DELETE .../ingest/<id> */
static void
on_room_ingest(MgHttpRequest *req, gpointer data)
{
  MgIngestApi *api = data;
  const char *who = NULL;
  g_auto(GStrv) parts = g_strsplit(mg_http_request_get_tail(req), "/", 4);
  gboolean post = !strcmp(mg_http_request_get_method(req), "POST");
  guint n = g_strv_length(parts);
  if (n < 2 || strcmp(parts[1], "ingest") || (post ? n != 2 : n != 3 || !*parts[2])) {
    mg_http_request_respond_error(req, 404, "not_found", "no such resource: %s", mg_http_request_get_path(req));
    return;
  }
  if (!mg_admin_authenticate(api->admin, req, MG_ADMIN_OPERATOR, &who))
    return;
  const char *room = parts[0];
  if (!post) {
    stop_ingest(api, req, room, parts[2], who);
    return;
  }
  /* A room of the store, or one that has media (WHIP rooms need no store entry). */
  gboolean valid = mg_recordings_valid_id(room);
  g_autoptr(MgRoomDef) def = valid ? mg_rooms_find(api->store, room) : NULL;
  json_t *media = valid ? mg_media_engine_get_room_stats(api->engine, room) : NULL;
  gboolean known = (def && !strcmp(def->id, room)) || media;
  json_decref(media);
  if (!known) {
    mg_admin_record(api->admin, req, who, "ingest_start", room, NULL, "unknown_room", NULL);
    mg_http_request_respond_error(req, 404, "unknown_room", "no room has the id %s", room);
    return;
  }
  start_ingest(api, req, room, who);
}

static json_t *
any_entry_json(gpointer e)
{
  return entry_json(e);
}

static const MgAdminListShape list_shape = { G_STRUCT_OFFSET(MgIngestEntry, id), G_STRUCT_OFFSET(MgIngestEntry, room),
                                             G_STRUCT_OFFSET(MgIngestEntry, started_s), any_entry_json };

/* The ingests of room_id (NULL: all), oldest first. (transfer full) */
static json_t *
list_json(MgIngestApi *api, const char *room_id)
{
  return mg_admin_list_json(api->ingests, room_id, &list_shape);
}

/* The room detail's "ingests". */
static json_t *
room_ingests(const char *room_id, gpointer data)
{
  return list_json(data, room_id);
}

/* GET /api/v1/admin/ingests[?room=] */
static void
on_list(MgHttpRequest *req, gpointer data)
{
  MgIngestApi *api = data;
  if (!mg_admin_authenticate(api->admin, req, MG_ADMIN_VIEWER, NULL))
    return;
  mg_http_request_respond_json(req, 200,
                               json_pack("{s:o}", "ingests", list_json(api, mg_http_request_get_query(req, "room"))));
}

static const MgHttpRoute routes[] = {
  { "GET", "/api/v1/admin/ingests", MG_HTTP_EXACT, on_list },
};

MgIngestApi *
mg_ingest_api_new(MgHttpServer *server, MgAdmin *admin, MgMediaEngine *engine, MgConference *conference, MgStore *store)
{
  MgIngestApi *api = g_new0(MgIngestApi, 1);
  api->admin = admin;
  api->engine = engine;
  api->conference = conference;
  api->store = store;
  api->ingests = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, entry_free);
  mg_admin_add_room_action(admin, "ingest", on_room_ingest, api);
  mg_admin_add_room_detail(admin, "ingests", room_ingests, api);
  mg_http_server_add_routes(server, routes, G_N_ELEMENTS(routes), api);
  restore(api);
  return api;
}

void
mg_ingest_api_free(MgIngestApi *api)
{
  if (!api)
    return;
  api->conference = NULL; /* it is going too, and lets its participants go itself */
  g_hash_table_unref(api->ingests);
  g_free(api);
}

/* SPDX-License-Identifier: MIT
 * The streams API: live streams out of rooms (media/streamer.h), started and
 * stopped by operators, listed for viewers; HLS served under /live/<room>/
 * to viewer keys and to join tokens for that room. A stream that fails (or
 * whose output ends) no longer makes its room live. */
#define G_LOG_DOMAIN "streams"
#include "gateway/streams-api.h"

#include <glib/gstdio.h>
#include <string.h>

#include "gateway/log.h"
#include "gateway/recordings-api.h"
#include "media/streamer.h"
#include "signaling/pipelines.h"
#include "signaling/rooms.h"
#include "signaling/token.h"

/* A restarted RTMP output counts for its room again once it has run this
 * many watch ticks (seconds) without failing: an output that fails right
 * after each restart does not make the LIVE badge blink. */
#define SETTLE_TICKS 5
#define MAX_PUBLIC_ERROR 160

typedef struct {
  char *id, *room, *kind;
  char *shown_url; /* RTMP: without the stream key */
  gint64 started_s;
  MgStreamer *streamer;
  gboolean up;         /* counts for the room's live state */
  guint seen_restarts; /* the streamer's restarts at the last watch tick */
  guint settled;       /* watch ticks live without a failure, while not up */
} MgStream;

struct MgStreamsApi {
  MgAdmin *admin;
  MgMediaEngine *engine;
  MgStore *store;
  char *live_dir;
  char *rtmp_url; /* or NULL */
  char *secret;
  MgConference *conference; /* or NULL */
  char *public_url;
  GHashTable *streams; /* id -> MgStream* */
  GPtrArray *saved;    /* MgPipelineRow*: streams that ran when meetgate stopped, until their room is live */
  guint watch;         /* the 1 s check of the streams' states */
};

static void
stream_free(gpointer p)
{
  MgStream *st = p;
  mg_streamer_free(st->streamer);
  g_free(st->id);
  g_free(st->room);
  g_free(st->kind);
  g_free(st->shown_url);
  g_free(st);
}

static json_t *
iso_time(gint64 s)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(s);
  g_autofree char *text = t ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ") : NULL;
  return text ? json_string(text) : json_null();
}

static json_t *
stream_json(MgStream *st)
{
  const char *error = mg_streamer_get_error(st->streamer);
  json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:i, s:I}", "id", st->id, "room", st->room, "kind", st->kind,
                        "state", mg_streamer_state_name(mg_streamer_get_state(st->streamer)), "started",
                        iso_time(st->started_s), "restarts", (int)mg_streamer_get_restarts(st->streamer),
                        "dropped_packets", (json_int_t)mg_streamer_get_dropped(st->streamer));
  json_object_set_new(j, "error", error ? json_string(error) : json_null());
  if (st->shown_url)
    json_object_set_new(j, "url", json_string(st->shown_url));
  else {
    g_autofree char *playlist = g_strdup_printf("/live/%s/playlist.m3u8", st->room);
    json_object_set_new(j, "playlist", json_string(playlist));
  }
  return j;
}

static gboolean
room_known(MgStreamsApi *api, const char *room)
{
  if (!mg_recordings_valid_id(room))
    return FALSE;
  g_autoptr(MgRoomDef) def = mg_rooms_find(api->store, room);
  json_t *media = mg_media_engine_get_room_stats(api->engine, room);
  gboolean known = (def && !strcmp(def->id, room)) || media;
  json_decref(media);
  return known;
}

static MgStream *
find_hls(MgStreamsApi *api, const char *room)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, api->streams);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    MgStream *st = value;
    if (!strcmp(st->kind, "hls") && !strcmp(st->room, room))
      return st;
  }
  return NULL;
}

static MgStream *
find_kind(MgStreamsApi *api, const char *room, const char *kind)
{
  if (!strcmp(kind, "hls"))
    return find_hls(api, room);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, api->streams);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    MgStream *st = value;
    if (!strcmp(st->kind, kind) && !strcmp(st->room, room))
      return st;
  }
  return NULL;
}

/* A stream of room and kind that counts for the room's live state, or NULL. */
static MgStream *
find_up(MgStreamsApi *api, const char *room, const char *kind)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, api->streams);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    MgStream *st = value;
    if (st->up && !strcmp(st->kind, kind) && !strcmp(st->room, room))
      return st;
  }
  return NULL;
}

/* The room's streams changed: the people in it learn whether it is live
 * (HLS first, for its viewer link). failed: the stream whose failure made
 * the change, or NULL; its error goes with the change. */
static void
room_changed_by(MgStreamsApi *api, const char *room, MgStream *failed)
{
  if (!api->conference)
    return;
  if (find_up(api, room, "hls")) {
    g_autofree char *url = g_strdup_printf("%s/live/%s/playlist.m3u8", api->public_url, room);
    mg_conference_set_live(api->conference, room, TRUE, "hls", url);
  } else if (find_up(api, room, "rtmp"))
    mg_conference_set_live(api->conference, room, TRUE, "rtmp", NULL);
  else if (failed) {
    g_autofree char *error = mg_streams_public_error(mg_streamer_get_error(failed->streamer), MAX_PUBLIC_ERROR);
    mg_conference_set_live_failed(api->conference, room, *error ? error : "the output stopped");
  } else
    mg_conference_set_live(api->conference, room, FALSE, NULL, NULL);
}

static void
room_changed(MgStreamsApi *api, const char *room)
{
  room_changed_by(api, room, NULL);
}

/* Every second: a stream that failed, is retrying or restarted since the
 * last tick stops counting for its room (the room is told why); one that
 * has run SETTLE_TICKS ticks since counts again. Restarts and backoff stay
 * the streamer's (media/streamer.c). */
static gboolean
on_watch(gpointer data)
{
  MgStreamsApi *api = data;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, api->streams);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    MgStream *st = value;
    guint restarts = mg_streamer_get_restarts(st->streamer);
    gboolean steady = mg_streamer_get_state(st->streamer) == MG_STREAMER_LIVE && restarts == st->seen_restarts;
    st->seen_restarts = restarts;
    if (st->up && !steady) {
      st->up = FALSE;
      st->settled = 0;
      g_autofree char *error = mg_streams_public_error(mg_streamer_get_error(st->streamer), MAX_PUBLIC_ERROR);
      g_warning("stream %s of room %s is %s (%s): it no longer makes the room live", st->id, st->room,
                mg_streamer_state_name(mg_streamer_get_state(st->streamer)), error);
      room_changed_by(api, st->room, st);
    } else if (!st->up && steady && ++st->settled >= SETTLE_TICKS) {
      st->up = TRUE;
      g_info("stream %s of room %s is live again after %u restarts", st->id, st->room, restarts);
      room_changed(api, st->room);
    } else if (!steady)
      st->settled = 0;
  }
  return G_SOURCE_CONTINUE;
}

/* Old segments and playlist of an earlier stream of the room. */
static void
clear_dir(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    if (mg_streams_valid_file(name)) {
      g_autofree char *path = g_build_filename(dir, name, NULL);
      g_unlink(path);
    }
  }
}

/* Starts a stream of room (id and started_s given when it comes back after a
 * restart); NULL with error when its output cannot be made. */
static MgStream *
launch(MgStreamsApi *api, const char *room, const char *kind, const char *url, const char *id, gint64 started_s,
       GError **error)
{
  gboolean hls = !strcmp(kind, "hls");
  if (url)
    mg_log_add_secret(url);
  g_autofree char *dir = hls ? g_build_filename(api->live_dir, room, NULL) : NULL;
  if (dir)
    clear_dir(dir);
  MgStreamer *streamer =
      mg_streamer_start(api->engine, room, hls ? MG_STREAMER_HLS : MG_STREAMER_RTMP, hls ? dir : url, error);
  if (!streamer)
    return NULL;
  MgStream *st = g_new0(MgStream, 1);
  st->id = id ? g_strdup(id) : g_strdup_printf("%08x%08x", g_random_int(), g_random_int());
  st->room = g_strdup(room);
  st->kind = g_strdup(kind);
  st->shown_url = url ? mg_streams_mask_url(url) : NULL;
  st->started_s = started_s;
  st->streamer = streamer;
  st->up = TRUE;
  g_hash_table_insert(api->streams, st->id, st);
  room_changed(api, room);
  return st;
}

/* Kept in the store (the URL sealed) until stopped, to come back after a restart. */
static void
save(MgStreamsApi *api, MgStream *st, const char *url)
{
  g_autoptr(GError) error = NULL;
  json_t *j = json_pack("{s:s, s:s?}", "kind", st->kind, "url", url);
  g_autofree char *spec = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  if (api->store && !mg_pipelines_put(api->store, st->id, "stream", st->room, spec, st->started_s, &error))
    g_warning("stream %s of room %s will not come back after a restart: %s", st->id, st->room, error->message);
}

static void
forget(MgStreamsApi *api, const char *id)
{
  g_autoptr(GError) error = NULL;
  if (api->store && !mg_pipelines_delete(api->store, id, &error))
    g_warning("stream %s: cannot remove it from the store: %s", id, error->message);
}

void
mg_streams_api_on_room_live(MgStreamsApi *api, const char *room)
{
  for (guint i = 0; api->saved && i < api->saved->len;) {
    MgPipelineRow *row = g_ptr_array_index(api->saved, i);
    if (strcmp(row->room, room)) {
      i++;
      continue;
    }
    json_t *spec = json_loads(row->spec, 0, NULL);
    const char *kind = json_string_value(json_object_get(spec, "kind"));
    const char *url = json_string_value(json_object_get(spec, "url"));
    g_autoptr(GError) error = NULL;
    MgStream *st = NULL;
    if (kind && (!strcmp(kind, "hls") || (!strcmp(kind, "rtmp") && url)))
      st = launch(api, room, kind, url, row->id, row->started_s, &error);
    else
      g_set_error(&error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "its saved settings are not a stream's");
    if (st)
      g_info("stream %s of room %s (%s) restarted: the room is live again", st->id, room, kind);
    else {
      g_warning("stream %s of room %s cannot restart: %s; forgotten", row->id, room, error->message);
      forget(api, row->id);
    }
    json_decref(spec);
    g_ptr_array_remove_index(api->saved, i);
  }
}

static void
start_stream(MgStreamsApi *api, MgHttpRequest *req, const char *room, const char *who)
{
  g_autoptr(GBytes) raw = mg_http_request_get_body(req);
  g_autofree char *kind = NULL, *url = NULL;
  g_autoptr(GError) error = NULL;
  if (!mg_streams_parse_request(g_bytes_get_data(raw, NULL), g_bytes_get_size(raw), &kind, &url, &error)) {
    mg_admin_record(api->admin, req, who, "stream_start", room, NULL, "bad_request", error->message);
    mg_http_request_respond_error(req, 400, "bad_request", "%s", error->message);
    return;
  }
  gboolean hls = !strcmp(kind, "hls");
  if (!hls && !url && api->rtmp_url)
    url = g_strdup(api->rtmp_url);
  if (!hls && !url) {
    mg_admin_record(api->admin, req, who, "stream_start", room, kind, "bad_request", "no url");
    mg_http_request_respond_error(req, 400, "bad_request", "no url given and no [streaming] rtmp_url configured");
    return;
  }
  if (hls && find_hls(api, room)) {
    mg_admin_record(api->admin, req, who, "stream_start", room, kind, "already_streaming", NULL);
    mg_http_request_respond_error(req, 409, "already_streaming", "room %s has an HLS stream already", room);
    return;
  }
  MgStream *st = launch(api, room, kind, url, NULL, g_get_real_time() / G_USEC_PER_SEC, &error);
  if (!st) {
    g_warning("stream of room %s cannot start: %s", room, error->message);
    mg_admin_record(api->admin, req, who, "stream_start", room, kind, "stream_failed", error->message);
    mg_http_request_respond_error(req, 500, "stream_failed", "%s", error->message);
    return;
  }
  save(api, st, url);
  g_info("stream %s of room %s (%s) started by %s", st->id, room, kind, who);
  g_autofree char *detail = g_strdup_printf("%s %s", kind, st->id);
  mg_admin_record(api->admin, req, who, "stream_start", room, detail, "ok", NULL);
  mg_http_request_respond_json(req, 201, stream_json(st));
}

static void
stop_stream(MgStreamsApi *api, MgHttpRequest *req, const char *room, const char *id, const char *who)
{
  MgStream *st = g_hash_table_lookup(api->streams, id);
  if (!st || strcmp(st->room, room)) {
    mg_admin_record(api->admin, req, who, "stream_stop", room, id, "not_found", NULL);
    mg_http_request_respond_error(req, 404, "not_found", "room %s has no stream %s", room, id);
    return;
  }
  mg_streamer_stop(st->streamer);
  g_info("stream %s of room %s stopped by %s", st->id, room, who);
  mg_admin_record(api->admin, req, who, "stream_stop", room, st->id, "ok", NULL);
  mg_http_request_respond_json(req, 200, stream_json(st));
  forget(api, st->id);
  g_autofree char *room_id = g_strdup(st->room);
  g_hash_table_remove(api->streams, id);
  room_changed(api, room_id);
}

/* A host's `live` message (signaling/conference-host.c): the same start and
 * stop as the admin API's, audited under "host:<participant id>". */
static gboolean
on_host_live(const char *room, gboolean active, const char *kind, const char *who, gpointer data, GError **error)
{
  MgStreamsApi *api = data;
  if (!active) {
    MgStream *st;
    if (!find_kind(api, room, kind)) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "room %s has no %s stream", room, kind);
      mg_admin_record(api->admin, NULL, who, "stream_stop", room, kind, "not_found", NULL);
      return FALSE;
    }
    while ((st = find_kind(api, room, kind))) {
      g_autofree char *id = g_strdup(st->id);
      mg_streamer_stop(st->streamer);
      g_info("stream %s of room %s stopped by %s", id, room, who);
      mg_admin_record(api->admin, NULL, who, "stream_stop", room, id, "ok", NULL);
      forget(api, id);
      g_hash_table_remove(api->streams, id);
    }
    room_changed(api, room);
    return TRUE;
  }
  gboolean hls = !strcmp(kind, "hls");
  if (!hls && !api->rtmp_url) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                "RTMP is not available: no [streaming] rtmp_url is configured");
    mg_admin_record(api->admin, NULL, who, "stream_start", room, kind, "live_unavailable", NULL);
    return FALSE;
  }
  MgStream *old = find_kind(api, room, kind);
  if (old && mg_streamer_get_state(old->streamer) == MG_STREAMER_FAILED) { /* failed for good: a fresh one */
    g_info("stream %s of room %s failed before; %s starts a new one", old->id, room, who);
    forget(api, old->id);
    g_hash_table_remove(api->streams, old->id);
  } else if (old) { /* already streaming (or retrying): nothing to do */
    room_changed(api, room);
    return TRUE;
  }
  MgStream *st = launch(api, room, kind, hls ? NULL : api->rtmp_url, NULL, g_get_real_time() / G_USEC_PER_SEC, error);
  if (!st) {
    g_warning("stream of room %s cannot start: %s", room, (*error)->message);
    mg_admin_record(api->admin, NULL, who, "stream_start", room, kind, "stream_failed", (*error)->message);
    return FALSE;
  }
  save(api, st, hls ? NULL : api->rtmp_url);
  g_info("stream %s of room %s (%s) started by %s", st->id, room, kind, who);
  g_autofree char *detail = g_strdup_printf("%s %s", kind, st->id);
  mg_admin_record(api->admin, NULL, who, "stream_start", room, detail, "ok", NULL);
  return TRUE;
}

void
mg_streams_api_set_conference(MgStreamsApi *api, MgConference *conference, const char *public_url)
{
  api->conference = conference;
  g_free(api->public_url);
  api->public_url = g_strdup(public_url);
  mg_conference_set_live_func(conference, on_host_live, api);
}

/* POST /api/v1/admin/rooms/<id>/stream and DELETE .../stream/<stream id>
 * (through the admin API's room action routes). */
static void
on_room_stream(MgHttpRequest *req, gpointer data)
{
  MgStreamsApi *api = data;
  const char *who = NULL;
  gboolean post = !strcmp(mg_http_request_get_method(req), "POST");
  g_auto(GStrv) parts = g_strsplit(mg_http_request_get_tail(req), "/", 4);
  guint n = g_strv_length(parts);
  if (n < 2 || strcmp(parts[1], "stream") || (post ? n != 2 : n != 3)) {
    mg_http_request_respond_error(req, 404, "not_found", "no such resource: %s", mg_http_request_get_path(req));
    return;
  }
  if (!mg_admin_authenticate(api->admin, req, MG_ADMIN_OPERATOR, &who))
    return;
  if (!room_known(api, parts[0])) {
    mg_http_request_respond_error(req, 404, "unknown_room", "no room has the id %s", parts[0]);
    return;
  }
  if (post)
    start_stream(api, req, parts[0], who);
  else
    stop_stream(api, req, parts[0], parts[2], who);
}

static json_t *
any_stream_json(gpointer st)
{
  return stream_json(st);
}

static const MgAdminListShape list_shape = { G_STRUCT_OFFSET(MgStream, id), G_STRUCT_OFFSET(MgStream, room),
                                             G_STRUCT_OFFSET(MgStream, started_s), any_stream_json };

/* GET /api/v1/admin/streams[?room=<id>] */
static void
on_list(MgHttpRequest *req, gpointer data)
{
  MgStreamsApi *api = data;
  if (!mg_admin_authenticate(api->admin, req, MG_ADMIN_VIEWER, NULL))
    return;
  json_t *list = mg_admin_list_json(api->streams, mg_http_request_get_query(req, "room"), &list_shape);
  mg_http_request_respond_json(req, 200, json_pack("{s:o}", "streams", list));
}

/* ---- HLS files ---- */

/* The playlist with ?token= added to each segment, so that a player that
 * was given the token in the playlist's URL fetches the segments too. */
static GBytes *
playlist_with_token(const char *text, gsize len, const char *token)
{
  g_autofree char *escaped = g_uri_escape_string(token, NULL, FALSE);
  g_autofree char *copy = g_strndup(text, len);
  g_auto(GStrv) lines = g_strsplit(copy, "\n", -1);
  GString *out = g_string_new(NULL);
  for (guint i = 0; lines[i]; i++) {
    if (!lines[i][0] && !lines[i + 1])
      break;
    g_string_append(out, lines[i]);
    if (lines[i][0] && lines[i][0] != '#')
      g_string_append_printf(out, "?token=%s", escaped);
    g_string_append_c(out, '\n');
  }
  return g_string_free_to_bytes(out);
}

static gboolean
live_authorized(MgStreamsApi *api, MgHttpRequest *req, const char *room)
{
  const char *token = mg_http_request_get_query(req, "token");
  if (!token)
    return mg_admin_authenticate(api->admin, req, MG_ADMIN_VIEWER, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(MgToken) t = mg_token_verify(token, api->secret, room, g_get_real_time() / G_USEC_PER_SEC, NULL, &error);
  if (!t) {
    mg_http_request_respond_error(req, 401, mg_token_error_code(error), "%s", error->message);
    return FALSE;
  }
  return TRUE;
}

/* GET /live/<room>/<file> */
static void
on_live(MgHttpRequest *req, gpointer data)
{
  MgStreamsApi *api = data;
  g_auto(GStrv) parts = g_strsplit(mg_http_request_get_tail(req), "/", 3);
  if (g_strv_length(parts) != 2 || !mg_recordings_valid_id(parts[0]) || !mg_streams_valid_file(parts[1])) {
    mg_http_request_respond_error(req, 404, "not_found", "no such file: %s", mg_http_request_get_path(req));
    return;
  }
  if (!live_authorized(api, req, parts[0]))
    return;
  g_autofree char *path = g_build_filename(api->live_dir, parts[0], parts[1], NULL);
  g_autofree char *text = NULL;
  gsize len = 0;
  if (!g_file_test(path, G_FILE_TEST_IS_REGULAR) || !g_file_get_contents(path, &text, &len, NULL)) {
    mg_http_request_respond_error(req, 404, "not_found", "room %s has no live file %s", parts[0], parts[1]);
    return;
  }
  gboolean playlist = g_str_has_suffix(parts[1], ".m3u8");
  const char *token = mg_http_request_get_query(req, "token");
  g_autoptr(GBytes) body =
      playlist && token ? playlist_with_token(text, len, token) : g_bytes_new_take(g_steal_pointer(&text), len);
  mg_http_request_add_header(req, "cache-control", playlist ? "no-cache" : "max-age=60");
  mg_http_request_respond(req, 200, playlist ? "application/vnd.apple.mpegurl" : "video/mp2t", body);
}

static const MgHttpRoute routes[] = {
  { "GET", "/api/v1/admin/streams", MG_HTTP_EXACT, on_list },
  { "GET", "/live/", MG_HTTP_PREFIX, on_live },
};

MgStreamsApi *
mg_streams_api_new(MgHttpServer *server, MgAdmin *admin, MgMediaEngine *engine, MgStore *store, const char *live_dir,
                   const char *rtmp_url, const char *secret)
{
  MgStreamsApi *api = g_new0(MgStreamsApi, 1);
  api->admin = admin;
  api->engine = engine;
  api->store = store;
  api->live_dir = g_strdup(live_dir);
  api->rtmp_url = rtmp_url && *rtmp_url ? g_strdup(rtmp_url) : NULL;
  api->secret = g_strdup(secret);
  api->streams = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, stream_free);
  if (api->rtmp_url)
    mg_log_add_secret(api->rtmp_url);
  g_autoptr(GError) error = NULL;
  api->saved = store ? mg_pipelines_list(store, "stream", &error) : NULL;
  if (error)
    g_warning("the streams that ran before cannot be read: %s", error->message);
  else if (api->saved && api->saved->len)
    g_info("%u streams will restart when their rooms are live again", api->saved->len);
  mg_admin_add_room_action(admin, "stream", on_room_stream, api);
  api->watch = g_timeout_add_seconds(1, on_watch, api);
  mg_http_server_add_routes(server, routes, G_N_ELEMENTS(routes), api);
  return api;
}

void
mg_streams_api_free(MgStreamsApi *api)
{
  if (!api)
    return;
  if (api->watch)
    g_source_remove(api->watch);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, api->streams);
  while (g_hash_table_iter_next(&it, NULL, &value)) { /* a stream that failed for good does not come back */
    MgStream *st = value;
    if (mg_streamer_get_state(st->streamer) == MG_STREAMER_FAILED)
      forget(api, st->id);
  }
  if (api->conference)
    mg_conference_set_live_func(api->conference, NULL, NULL);
  api->conference = NULL; /* the streams stop with the daemon: no one is told */
  g_hash_table_unref(api->streams);
  g_clear_pointer(&api->saved, g_ptr_array_unref);
  g_free(api->live_dir);
  g_free(api->rtmp_url);
  g_free(api->secret);
  g_free(api->public_url);
  g_free(api);
}

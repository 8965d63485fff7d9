/* SPDX-License-Identifier: MIT
 * The recordings API: per-track recordings of rooms (media/recorder.h),
 * their manifests on disk, listing and authenticated download. */
#define G_LOG_DOMAIN "recordings"
#include "gateway/recordings-api.h"

#include <glib/gstdio.h>
#include <string.h>

#include "media/recorder.h"
#include "signaling/meetings.h"
#include "signaling/rooms.h"

#define MANIFEST "recording.json"

typedef struct {
  MgRecordingsApi *api;
  char *id, *room, *dir;
  gint64 started_s, stopped_s;
  char *state; /* when not recording: from the recorder's end or the manifest */
  char *error;
  MgRecorder *rec; /* while it runs (and until freed) */
  json_t *media;   /* without rec: tracks and speakers read from the manifest, or NULL */
} MgRecording;

struct MgRecordingsApi {
  MgAdmin *admin;
  MgMediaEngine *engine;
  MgConference *conference;
  MgStore *store;
  char *dir;
  char *composite;        /* format, or NULL */
  GHashTable *recordings; /* id -> MgRecording* */
  GHashTable *active;     /* room id -> MgRecording* being recorded */
  GHashTable *speakers;   /* room id -> MgSpeaker*: the latest active speaker, for a recording that starts later */
  MgRecordingsNotify notify;
  gpointer notify_data;
};

typedef struct {
  char *track, *party;
} MgSpeaker;

static void
speaker_free(gpointer p)
{
  MgSpeaker *s = p;
  g_free(s->track);
  g_free(s->party);
  g_free(s);
}

static void
recording_free(gpointer p)
{
  MgRecording *r = p;
  mg_recorder_free(r->rec);
  json_decref(r->media);
  g_free(r->id);
  g_free(r->room);
  g_free(r->dir);
  g_free(r->state);
  g_free(r->error);
  g_free(r);
}

static json_t *
iso_time(gint64 s)
{
  if (!s)
    return json_null();
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(s);
  g_autofree char *text = t ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ") : NULL;
  return text ? json_string(text) : json_null();
}

static const char *
recording_state(MgRecording *r)
{
  return r->rec ? mg_recorder_state_name(mg_recorder_get_state(r->rec)) : r->state;
}

static const char *
recording_error(MgRecording *r)
{
  return r->rec ? mg_recorder_get_error(r->rec) : r->error;
}

static json_t *
list_files(MgRecording *r)
{
  json_t *files = json_array();
  g_autoptr(GDir) d = g_dir_open(r->dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    g_autofree char *path = g_build_filename(r->dir, name, NULL);
    GStatBuf st;
    if (strcmp(name, MANIFEST) && g_stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
      g_autofree char *url = g_strdup_printf("/api/v1/recordings/%s/files/%s", r->id, name);
      json_array_append_new(files,
                            json_pack("{s:s, s:I, s:s}", "name", name, "size", (json_int_t)st.st_size, "url", url));
    }
  }
  return files;
}

static json_t *
recording_json(MgRecording *r, gboolean with_files)
{
  const char *error = recording_error(r);
  json_t *j = json_pack("{s:s, s:s, s:s, s:o, s:o, s:s?}", "id", r->id, "room", r->room, "state", recording_state(r),
                        "started", iso_time(r->started_s), "stopped", iso_time(r->stopped_s), "error", error);
  if (!error)
    json_object_set_new(j, "error", json_null());
  if (r->rec)
    json_object_set_new(j, "dropped_packets", json_integer((json_int_t)mg_recorder_get_dropped(r->rec)));
  json_t *media = r->rec ? mg_recorder_get_manifest(r->rec) : json_incref(r->media);
  if (media)
    json_object_update(j, media);
  json_decref(media);
  if (with_files)
    json_object_set_new(j, "files", list_files(r));
  return j;
}

static void
write_manifest(MgRecording *r)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename(r->dir, MANIFEST, NULL);
  json_t *j = recording_json(r, FALSE);
  g_autofree char *text = json_dumps(j, JSON_INDENT(2));
  json_decref(j);
  if (!text || !g_file_set_contents(path, text, -1, &error))
    g_warning("recording %s: cannot write %s: %s", r->id, path, error ? error->message : "out of memory");
}

/* ---- recordings found on disk ---- */

/* The tracks and speakers of a manifest, kept as they are (arrays only). */
static json_t *
media_of(const char *text, gsize len)
{
  json_t *j = json_loadb(text, len, 0, NULL), *media = json_object();
  static const char *const keys[] = { "tracks", "speakers" };
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
    json_t *v = json_object_get(j, keys[i]);
    if (json_is_array(v))
      json_object_set(media, keys[i], v);
  }
  json_decref(j);
  return media;
}

static void
load_manifest(MgRecordingsApi *api, const char *dir, gint64 now_s)
{
  g_autofree char *path = g_build_filename(dir, MANIFEST, NULL);
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  MgRecordingManifest m;
  if (!g_file_get_contents(path, &text, &len, NULL))
    return; /* not a recording's directory */
  if (!mg_recordings_manifest_parse(text, len, &m, &error)) {
    g_warning("%s: not a recording manifest (%s); ignored", path, error->message);
    return;
  }
  if (g_hash_table_contains(api->recordings, m.id)) {
    g_warning("%s: recording %s is listed already; ignored", path, m.id);
    mg_recordings_manifest_clear(&m);
    return;
  }
  MgRecording *r = g_new0(MgRecording, 1);
  r->api = api;
  r->id = g_steal_pointer(&m.id);
  r->room = g_steal_pointer(&m.room);
  r->dir = g_strdup(dir);
  r->started_s = m.started_s;
  r->stopped_s = m.stopped_s;
  r->error = g_steal_pointer(&m.error);
  r->media = media_of(text, len);
  if (!strcmp(m.state, "stopped") || !strcmp(m.state, "failed")) {
    r->state = g_steal_pointer(&m.state);
  } else { /* meetgate ended without finishing it */
    r->state = g_strdup("failed");
    if (!r->error)
      r->error = g_strdup("meetgate stopped during the recording; the files may be incomplete");
    if (!r->stopped_s)
      r->stopped_s = now_s;
    write_manifest(r);
  }
  mg_recordings_manifest_clear(&m);
  g_hash_table_insert(api->recordings, r->id, r);
}

static void
load_recordings(MgRecordingsApi *api, gint64 now_s)
{
  g_autoptr(GDir) rooms = g_dir_open(api->dir, 0, NULL);
  const char *room;
  while (rooms && (room = g_dir_read_name(rooms))) {
    g_autofree char *room_dir = g_build_filename(api->dir, room, NULL);
    g_autoptr(GDir) runs = g_dir_open(room_dir, 0, NULL);
    const char *run;
    while (runs && (run = g_dir_read_name(runs))) {
      g_autofree char *dir = g_build_filename(room_dir, run, NULL);
      load_manifest(api, dir, now_s);
    }
  }
  if (g_hash_table_size(api->recordings))
    g_info("%u recordings in %s", g_hash_table_size(api->recordings), api->dir);
}

/* ---- start and stop ---- */

static gint
by_start(gconstpointer a, gconstpointer b)
{
  const MgRecording *x = *(MgRecording *const *)a, *y = *(MgRecording *const *)b;
  return x->started_s < y->started_s ? -1 : x->started_s > y->started_s ? 1 : strcmp(x->id, y->id);
}

static void
on_finished(MgRecorder *rec, gpointer data)
{
  MgRecording *r = data;
  MgRecordingsApi *api = r->api;
  r->stopped_s = g_get_real_time() / G_USEC_PER_SEC;
  if (g_hash_table_lookup(api->active, r->room) == r) {
    g_hash_table_remove(api->active, r->room);
    mg_conference_set_recording(api->conference, r->room, FALSE);
  }
  write_manifest(r);
  g_info("recording %s of room %s %s%s%s", r->id, r->room, recording_state(r), recording_error(r) ? ": " : "",
         recording_error(r) ? recording_error(r) : "");
  if (api->notify) {
    json_t *j = recording_json(r, TRUE);
    api->notify(r->room, TRUE, j, api->notify_data);
    json_decref(j);
  }
}

static char *
new_dir(MgRecordingsApi *api, const char *room, gint64 now_s)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(now_s);
  g_autofree char *stamp = g_date_time_format(t, "%Y%m%dT%H%M%SZ");
  char *dir = g_build_filename(api->dir, room, stamp, NULL);
  for (guint n = 2; g_file_test(dir, G_FILE_TEST_EXISTS); n++) {
    g_free(dir);
    g_autofree char *name = g_strdup_printf("%s-%u", stamp, n);
    dir = g_build_filename(api->dir, room, name, NULL);
  }
  return dir;
}

static char *
participant_name(const char *party, gpointer data)
{
  MgRecording *r = data;
  return r->api->conference ? mg_conference_participant_name(r->api->conference, r->room, party) : NULL;
}

/* A track or a speaker change: the manifest says it while recording. */
static void
on_changed(MgRecorder *rec, gpointer data)
{
  write_manifest(data);
}

/* Starts recording room; NULL with error (G_IO_ERROR_EXISTS: one runs already) when it cannot. */
static MgRecording *
start(MgRecordingsApi *api, const char *room, const char *who, GError **error)
{
  if (g_hash_table_contains(api->active, room)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS, "room %s is being recorded", room);
    return NULL;
  }
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  MgRecording *r = g_new0(MgRecording, 1);
  r->api = api;
  r->id = g_strdup_printf("%08x%08x", g_random_int(), g_random_int());
  r->room = g_strdup(room);
  r->dir = new_dir(api, room, now);
  r->started_s = now;
  r->rec = mg_recorder_start(api->engine, room, r->dir, api->composite, g_get_monotonic_time(), on_finished, r, error);
  if (!r->rec) {
    g_warning("recording of room %s cannot start: %s", room, (*error)->message);
    recording_free(r);
    return NULL;
  }
  mg_recorder_set_observer(r->rec, participant_name, on_changed, r);
  MgSpeaker *speaking = g_hash_table_lookup(api->speakers, room);
  if (speaking) /* whoever speaks as it starts is the speaker at time 0 */
    mg_recorder_speaker(r->rec, speaking->track, speaking->party, mg_recorder_get_start(r->rec));
  g_hash_table_insert(api->recordings, r->id, r);
  g_hash_table_insert(api->active, r->room, r);
  write_manifest(r);
  mg_conference_set_recording(api->conference, room, TRUE);
  g_info("recording %s of room %s started by %s", r->id, room, who);
  if (api->notify) {
    json_t *j = recording_json(r, FALSE);
    api->notify(room, FALSE, j, api->notify_data);
    json_decref(j);
  }
  return r;
}

/* Stops room's recording; NULL when none runs. */
static MgRecording *
stop(MgRecordingsApi *api, const char *room, const char *who)
{
  MgRecording *r = g_hash_table_lookup(api->active, room);
  if (!r)
    return NULL;
  mg_recorder_stop(r->rec, NULL, g_get_monotonic_time());
  /* The room's media is no longer recorded: the files are being finished. */
  g_hash_table_remove(api->active, room);
  mg_conference_set_recording(api->conference, room, FALSE);
  g_info("recording %s of room %s stopped by %s", r->id, room, who);
  return r;
}

static void
start_recording(MgRecordingsApi *api, MgHttpRequest *req, const char *room, const char *who)
{
  g_autoptr(GError) error = NULL;
  MgRecording *r = start(api, room, who, &error);
  if (r) {
    mg_admin_record(api->admin, req, who, "recording_start", room, r->id, "ok", NULL);
    mg_http_request_respond_json(req, 201, recording_json(r, FALSE));
  } else if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_EXISTS)) {
    mg_admin_record(api->admin, req, who, "recording_start", room, NULL, "already_recording", NULL);
    mg_http_request_respond_error(req, 409, "already_recording", "%s", error->message);
  } else {
    mg_admin_record(api->admin, req, who, "recording_start", room, NULL, "recording_failed", error->message);
    mg_http_request_respond_error(req, 500, "recording_failed", "%s", error->message);
  }
}

static void
stop_recording(MgRecordingsApi *api, MgHttpRequest *req, const char *room, const char *who)
{
  MgRecording *r = stop(api, room, who);
  if (r) {
    mg_admin_record(api->admin, req, who, "recording_stop", room, r->id, "ok", NULL);
    mg_http_request_respond_json(req, 202, recording_json(r, FALSE));
  } else {
    mg_admin_record(api->admin, req, who, "recording_stop", room, NULL, "not_recording", NULL);
    mg_http_request_respond_error(req, 404, "not_recording", "room %s is not being recorded", room);
  }
}

/* ---- the host's `record` message and meetings with record: true ---- */

static gboolean
on_host_record(const char *room, gboolean active, const char *who, gpointer data, GError **error)
{
  MgRecordingsApi *api = data;
  if (active)
    return start(api, room, who, error) != NULL;
  if (!stop(api, room, who))
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "room %s is not being recorded", room);
  return !error || !*error;
}

void
mg_recordings_api_on_conference_event(MgRecordingsApi *api, const MgConferenceEvent *ev)
{
  if (ev->type == MG_CONFERENCE_ROOM_FINISHED)
    g_hash_table_remove(api->speakers, ev->room);
  if (ev->type != MG_CONFERENCE_ROOM_STARTED && ev->type != MG_CONFERENCE_ROOM_FINISHED)
    return;
  g_autoptr(MgMeetingsEntry) e = mg_meetings_find_by_room(api->store, ev->room);
  if (!e || !e->meeting->record)
    return;
  g_autofree char *who = g_strdup_printf("meeting %s (record: true)", e->id);
  if (ev->type == MG_CONFERENCE_ROOM_FINISHED) {
    stop(api, ev->room, who);
    return;
  }
  g_autoptr(GError) error = NULL;
  if (!start(api, ev->room, who, &error) && !g_error_matches(error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    g_warning("meeting %s: the automatic recording of room %s did not start: %s", e->id, ev->room, error->message);
}

void
mg_recordings_api_on_speaker(MgRecordingsApi *api, const char *room, const char *track, const char *party,
                             gint64 now_us)
{
  if (!room || !track)
    return;
  MgSpeaker *s = g_new0(MgSpeaker, 1);
  s->track = g_strdup(track);
  s->party = g_strdup(party);
  g_hash_table_replace(api->speakers, g_strdup(room), s);
  MgRecording *r = g_hash_table_lookup(api->active, room);
  if (r && r->rec)
    mg_recorder_speaker(r->rec, track, party, now_us);
}

char *
mg_recordings_latest_for_room(MgRecordingsApi *api, const char *room, const char *base_url)
{
  MgRecording *latest = NULL;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, api->recordings);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    MgRecording *r = value;
    if (!strcmp(r->room, room) && (!latest || by_start(&latest, &r) < 0))
      latest = r;
  }
  return latest ? g_strdup_printf("%s/api/v1/recordings/%s", base_url ? base_url : "", latest->id) : NULL;
}

/* POST and DELETE /api/v1/admin/rooms/<id>/recording */
static void
on_room_recording(MgHttpRequest *req, gpointer data)
{
  MgRecordingsApi *api = data;
  const char *who = NULL;
  const char *tail = mg_http_request_get_tail(req);
  const char *slash = strchr(tail, '/');
  if (!slash || strcmp(slash, "/recording")) {
    mg_http_request_respond_error(req, 404, "not_found", "no such resource: %s", mg_http_request_get_path(req));
    return;
  }
  if (!mg_admin_authenticate(api->admin, req, MG_ADMIN_OPERATOR, &who))
    return;
  g_autofree char *room = g_strndup(tail, slash - tail);
  /* A room of the store, or one that has media (WHIP rooms need no store entry). */
  g_autoptr(MgRoomDef) def = mg_recordings_valid_id(room) ? mg_rooms_find(api->store, room) : NULL;
  json_t *media = mg_recordings_valid_id(room) ? mg_media_engine_get_room_stats(api->engine, room) : NULL;
  gboolean known = (def && !strcmp(def->id, room)) || media;
  json_decref(media);
  if (!known) {
    mg_http_request_respond_error(req, 404, "unknown_room", "no room has the id %s", room);
    return;
  }
  if (!strcmp(mg_http_request_get_method(req), "POST"))
    start_recording(api, req, room, who);
  else
    stop_recording(api, req, room, who);
}

/* ---- list and download ---- */

static json_t *
listed_json(gpointer entry)
{
  return recording_json(entry, TRUE);
}

static const MgAdminListShape list_shape = { G_STRUCT_OFFSET(MgRecording, id), G_STRUCT_OFFSET(MgRecording, room),
                                             G_STRUCT_OFFSET(MgRecording, started_s), listed_json };

/* GET /api/v1/recordings[?room=]: oldest first, with their files. */
static void
on_list(MgHttpRequest *req, gpointer data)
{
  MgRecordingsApi *api = data;
  if (!mg_admin_authenticate(api->admin, req, MG_ADMIN_VIEWER, NULL))
    return;
  json_t *list = mg_admin_list_json(api->recordings, mg_http_request_get_query(req, "room"), &list_shape);
  mg_http_request_respond_json(req, 200, json_pack("{s:o}", "recordings", list));
}

static void
send_file(MgHttpRequest *req, MgRecording *r, const char *name)
{
  if (!*name || name[0] == '.' || strchr(name, '/') || !strcmp(name, MANIFEST)) {
    mg_http_request_respond_error(req, 404, "not_found", "recording %s has no file %s", r->id, name);
    return;
  }
  g_autofree char *path = g_build_filename(r->dir, name, NULL);
  g_autoptr(GError) error = NULL;
  GMappedFile *file = g_file_test(path, G_FILE_TEST_IS_REGULAR) ? g_mapped_file_new(path, FALSE, &error) : NULL;
  if (!file) {
    mg_http_request_respond_error(req, 404, "not_found", "recording %s has no file %s", r->id, name);
    return;
  }
  g_autoptr(GBytes) body = g_mapped_file_get_bytes(file);
  g_mapped_file_unref(file);
  const char *type = g_str_has_suffix(name, ".webm")  ? "video/webm"
                     : g_str_has_suffix(name, ".mkv") ? "video/x-matroska"
                                                      : "application/octet-stream";
  g_autofree char *disposition = g_strdup_printf("attachment; filename=\"%s\"", name);
  mg_http_request_add_header(req, "content-disposition", disposition);
  mg_http_request_respond(req, 200, type, body);
}

/* GET /api/v1/recordings/<id> and /api/v1/recordings/<id>/files/<name> */
static void
on_recording(MgHttpRequest *req, gpointer data)
{
  MgRecordingsApi *api = data;
  if (!mg_admin_authenticate(api->admin, req, MG_ADMIN_VIEWER, NULL))
    return;
  g_auto(GStrv) parts = g_strsplit(mg_http_request_get_tail(req), "/", 3);
  MgRecording *r = parts[0] ? g_hash_table_lookup(api->recordings, parts[0]) : NULL;
  if (!r) {
    mg_http_request_respond_error(req, 404, "not_found", "no recording %s", parts[0] ? parts[0] : "");
    return;
  }
  if (!parts[1])
    mg_http_request_respond_json(req, 200, recording_json(r, TRUE));
  else if (!strcmp(parts[1], "files") && parts[2])
    send_file(req, r, parts[2]);
  else
    mg_http_request_respond_error(req, 404, "not_found", "no such resource: %s", mg_http_request_get_path(req));
}

/* POST and DELETE come through the admin API's room action routes (mg_admin_add_room_action). */
static const MgHttpRoute routes[] = {
  { "GET", "/api/v1/recordings", MG_HTTP_EXACT, on_list },
  { "GET", "/api/v1/recordings/", MG_HTTP_PREFIX, on_recording },
};

MgRecordingsApi *
mg_recordings_api_new(MgHttpServer *server, MgAdmin *admin, MgMediaEngine *engine, MgConference *conference,
                      MgStore *store, const char *dir, const char *composite, gint64 now_s)
{
  MgRecordingsApi *api = g_new0(MgRecordingsApi, 1);
  api->admin = admin;
  api->engine = engine;
  api->conference = conference;
  api->store = store;
  api->dir = g_strdup(dir);
  api->composite = g_strcmp0(composite, "none") ? g_strdup(composite) : NULL;
  api->recordings = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, recording_free);
  api->active = g_hash_table_new(g_str_hash, g_str_equal);
  api->speakers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, speaker_free);
  load_recordings(api, now_s);
  mg_admin_add_room_action(admin, "recording", on_room_recording, api);
  mg_conference_set_record_func(conference, on_host_record, api);
  mg_http_server_add_routes(server, routes, G_N_ELEMENTS(routes), api);
  return api;
}

void
mg_recordings_api_free(MgRecordingsApi *api)
{
  if (!api)
    return;
  /* Freeing a running recorder finishes its track files (EOS) first; a
   * composite still being made is abandoned. */
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, api->recordings);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    MgRecording *r = value;
    MgRecorderState state = r->rec ? mg_recorder_get_state(r->rec) : MG_RECORDER_STOPPED;
    if (state != MG_RECORDER_RECORDING && state != MG_RECORDER_STOPPING)
      continue;
    r->error = g_strdup(mg_recorder_get_error(r->rec));
    if (!r->error && api->composite)
      r->error = g_strdup("meetgate shut down during the recording: the track files are complete, the composite "
                          "was not made");
    g_clear_pointer(&r->rec, mg_recorder_free);
    r->state = g_strdup("stopped");
    r->stopped_s = g_get_real_time() / G_USEC_PER_SEC;
    write_manifest(r);
  }
  mg_conference_set_record_func(api->conference, NULL, NULL);
  g_hash_table_unref(api->active);
  g_hash_table_unref(api->speakers);
  g_hash_table_unref(api->recordings);
  g_free(api->dir);
  g_free(api->composite);
  g_free(api);
}

void
mg_recordings_api_set_notify(MgRecordingsApi *api, MgRecordingsNotify notify, gpointer user_data)
{
  api->notify = notify;
  api->notify_data = user_data;
}

/* SPDX-License-Identifier: MIT
 * Admin API views: the rooms table, one room in detail (participants with
 * their media stats), the lobby, and the scheduler's upcoming openings. */
#define G_LOG_DOMAIN "admin"
#include "gateway/admin-private.h"

#include <string.h>

#include "signaling/meetings.h"

#define DEFAULT_SCHEDULE_HOURS 24
#define MAX_SCHEDULE_HOURS (24 * 14)

static char *
iso_time(gint64 s)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(s);
  return t ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ") : NULL;
}

/* Bits per second the room's publishers send now (their layers' sum). */
static json_int_t
room_bitrate(json_t *stats, guint *tracks)
{
  json_int_t sum = 0;
  json_t *peer, *track, *layer;
  size_t i, j, k;
  json_array_foreach(json_object_get(stats, "peers"), i, peer)
  {
    json_array_foreach(json_object_get(peer, "tracks"), j, track)
    {
      (*tracks)++;
      json_array_foreach(json_object_get(track, "layers"), k, layer) sum +=
          json_integer_value(json_object_get(layer, "bitrate"));
    }
  }
  return sum;
}

static json_t *
meeting_json(MgAdmin *admin, const char *room_id)
{
  g_autoptr(MgMeetingsEntry) e = admin->store ? mg_meetings_find_by_room(admin->store, room_id) : NULL;
  if (!e)
    return json_null();
  return json_pack("{s:s, s:s, s:s, s:s}", "id", e->id, "source", e->meeting->source, "external_id",
                   e->meeting->external_id, "title", e->meeting->title);
}

/* Adds what the media engine knows about the room to row, and whether it is recorded. */
static void
add_media(MgAdmin *admin, const char *id, json_t *row, json_t *stats)
{
  guint tracks = 0;
  json_int_t bitrate = stats ? room_bitrate(stats, &tracks) : 0;
  json_object_set_new(row, "bitrate", json_integer(bitrate));
  json_object_set_new(row, "tracks", json_integer(tracks));
  json_object_set_new(row, "media_peers", json_integer(stats ? json_array_size(json_object_get(stats, "peers")) : 0));
  json_object_set_new(row, "worker", json_incref(stats ? json_object_get(stats, "worker") : json_null()));
  json_object_set_new(row, "recording", json_boolean(admin->conf && mg_conference_is_recording(admin->conf, id)));
}

json_t *
mg_admin_rooms_json(MgAdmin *admin)
{
  json_t *rows = admin->conf ? mg_conference_list_rooms(admin->conf) : json_array();
  json_t *row;
  size_t i;
  json_array_foreach(rows, i, row)
  {
    const char *id = json_string_value(json_object_get(row, "id"));
    json_t *stats = mg_media_engine_get_room_stats(admin->engine, id);
    json_object_set_new(row, "state", json_string(json_is_true(json_object_get(row, "locked")) ? "locked" : "live"));
    json_object_set_new(row, "meeting", meeting_json(admin, id));
    add_media(admin, id, row, stats);
    json_decref(stats);
  }
  /* Rooms with media but nobody of our signaling (WHIP/WHEP only). */
  json_t *all = mg_media_engine_get_stats(admin->engine), *stats;
  json_array_foreach(all, i, stats)
  {
    const char *id = json_string_value(json_object_get(stats, "room"));
    gboolean known = FALSE;
    json_t *r;
    size_t j;
    json_array_foreach(rows, j, r) known |= !g_strcmp0(id, json_string_value(json_object_get(r, "id")));
    if (known)
      continue;
    row = json_pack("{s:s, s:s, s:n, s:b, s:i, s:i}", "id", id, "state", "media_only", "title", "locked", FALSE,
                    "participants", 0, "lobby", 0);
    json_object_set_new(row, "meeting", json_null());
    add_media(admin, id, row, stats);
    json_array_append_new(rows, row);
  }
  json_decref(all);
  return rows;
}

/* The media snapshot's peer with id, or JSON null. */
static json_t *
find_peer(json_t *peers, const char *id)
{
  json_t *peer;
  size_t i;
  json_array_foreach(peers, i, peer)
  {
    if (id && !g_strcmp0(id, json_string_value(json_object_get(peer, "id"))))
      return json_incref(peer);
  }
  return json_null();
}

json_t *
mg_admin_room_json(MgAdmin *admin, const char *room_id)
{
  json_t *desc = admin->conf ? mg_conference_describe(admin->conf, room_id) : NULL;
  json_t *stats = mg_media_engine_get_room_stats(admin->engine, room_id);
  if (!desc && !stats)
    return NULL;
  if (!desc)
    desc = json_pack("{s:{s:s, s:n, s:b}, s:[], s:[]}", "room", "id", room_id, "title", "locked", FALSE, "participants",
                     "lobby");
  json_t *peers = stats ? json_incref(json_object_get(stats, "peers")) : json_array();
  json_t *room = json_object_get(desc, "room"), *p;
  size_t i;
  json_object_set_new(room, "meeting", meeting_json(admin, room_id));
  add_media(admin, room_id, room, stats);
  json_array_foreach(json_object_get(desc, "participants"), i, p)
  {
    json_t *media = json_object();
    json_object_set_new(media, "publish", find_peer(peers, json_string_value(json_object_get(p, "publish_peer"))));
    json_object_set_new(media, "subscribe", find_peer(peers, json_string_value(json_object_get(p, "subscribe_peer"))));
    json_object_set_new(p, "media", media);
  }
  /* Every media peer as the engine reports it, participants' and others (WHIP/WHEP). */
  json_object_set_new(desc, "peers", peers);
  json_object_set_new(desc, "active_speaker",
                      json_incref(stats ? json_object_get(stats, "active_speaker") : json_null()));
  for (guint k = 0; k < admin->details->len; k++) {
    const MgAdminDetail *d = &g_array_index(admin->details, MgAdminDetail, k);
    json_t *part = d->func(room_id, d->data);
    if (part)
      json_object_set_new(desc, d->name, part);
  }
  json_decref(stats);
  return desc;
}

static void
on_rooms(MgHttpRequest *req, gpointer data)
{
  MgAdmin *admin = data;
  if (!mg_admin_check(admin, req, MG_ADMIN_VIEWER))
    return;
  mg_http_request_respond_json(req, 200, json_pack("{s:o}", "rooms", mg_admin_rooms_json(admin)));
}

/* GET /api/v1/admin/rooms/<id> and /rooms/<id>/lobby */
static void
on_room(MgHttpRequest *req, gpointer data)
{
  MgAdmin *admin = data;
  if (!mg_admin_check(admin, req, MG_ADMIN_VIEWER))
    return;
  g_auto(GStrv) parts = g_strsplit(mg_http_request_get_tail(req), "/", 3);
  gboolean lobby = parts[0] && parts[1] && !strcmp(parts[1], "lobby") && !parts[2];
  if (!parts[0] || !*parts[0] || (parts[1] && !lobby)) {
    mg_http_request_respond_error(req, 404, "not_found", "no such resource: %s", mg_http_request_get_path(req));
    return;
  }
  json_t *room = mg_admin_room_json(admin, parts[0]);
  if (!room) {
    mg_http_request_respond_error(req, 404, "not_found", "room %s is not live", parts[0]);
    return;
  }
  if (lobby) {
    json_t *list = json_incref(json_object_get(room, "lobby"));
    json_decref(room);
    room = json_pack("{s:s, s:o}", "room", parts[0], "lobby", list);
  }
  mg_http_request_respond_json(req, 200, room);
}

/* The rooms the scheduler opens in the next hours (?hours=, default 24). */
static void
on_schedule(MgHttpRequest *req, gpointer data)
{
  MgAdmin *admin = data;
  if (!mg_admin_check(admin, req, MG_ADMIN_VIEWER))
    return;
  const char *h = mg_http_request_get_query(req, "hours");
  gint64 hours = h ? g_ascii_strtoll(h, NULL, 10) : DEFAULT_SCHEDULE_HOURS;
  if (hours < 1 || hours > MAX_SCHEDULE_HOURS) {
    mg_http_request_respond_error(req, 400, "bad_request", "hours must be 1 to %d", MAX_SCHEDULE_HOURS);
    return;
  }
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) list = admin->store ? mg_meetings_list(admin->store, NULL, now + admin->lead_s,
                                                           now + admin->lead_s + hours * 3600, &error)
                                        : NULL;
  if (!list) {
    mg_http_request_respond_error(req, 500, "store_failed", "the schedule cannot be read");
    return;
  }
  json_t *out = json_array();
  for (guint i = 0; i < list->len; i++) {
    const MgMeetingsOccurrence *o = &g_array_index(list, MgMeetingsOccurrence, i);
    g_autofree char *opens = iso_time(o->start - admin->lead_s), *start = iso_time(o->start), *end = iso_time(o->end);
    json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "opens_at", opens, "start", start,
                                         "end", end, "meeting", o->entry->id, "room", o->entry->room_id, "title",
                                         o->entry->meeting->title, "source", o->entry->meeting->source, "recurrence_id",
                                         (json_int_t)o->recurrence_id));
  }
  mg_http_request_respond_json(req, 200, json_pack("{s:o, s:I}", "openings", out, "hours", (json_int_t)hours));
}

const MgHttpRoute mg_admin_view_routes[] = {
  { "GET", "/api/v1/admin/rooms", MG_HTTP_EXACT, on_rooms },
  { "GET", "/api/v1/admin/rooms/", MG_HTTP_PREFIX, on_room },
  { "GET", "/api/v1/admin/schedule", MG_HTTP_EXACT, on_schedule },
};
const gsize mg_admin_n_view_routes = G_N_ELEMENTS(mg_admin_view_routes);

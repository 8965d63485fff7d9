/* SPDX-License-Identifier: MIT
 * Live rooms and participants: join (with every refusal), lobby, resume,
 * leave, and the media events that become protocol events. */
#define G_LOG_DOMAIN "conference"
#include "signaling/conference-private.h"

#include <string.h>

#include "signaling/attendance.h"
#include "signaling/token.h"

#define RESUME_WINDOW_US (30 * G_USEC_PER_SEC)

static void on_join(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s);
static void on_leave(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s);

static const struct {
  const char *type;
  MgConferenceHandler handler;
} handlers[] = {
  { "join", on_join },
  { "leave", on_leave },
  { "publish", mg_conf_on_publish },
  { "subscribe_answer", mg_conf_on_subscribe_answer },
  { "candidate", mg_conf_on_candidate },
  { "mute", mg_conf_on_mute },
  { "layer", mg_conf_on_layer },
  { "host_mute", mg_conf_on_host_mute },
  { "remove", mg_conf_on_remove },
  { "admit", mg_conf_on_admit },
  { "deny", mg_conf_on_deny },
  { "lock", mg_conf_on_lock },
  { "end", mg_conf_on_end },
  { "record", mg_conf_on_record },
  { "live", mg_conf_on_live },
};

MgConferenceHandler
mg_conference_find_handler(const char *type)
{
  for (gsize i = 0; i < G_N_ELEMENTS(handlers); i++)
    if (!strcmp(handlers[i].type, type))
      return handlers[i].handler;
  return NULL;
}

/* ---- helpers ---- */

void
mg_conf_send(MgParticipant *p, json_t *msg)
{
  if (p->session)
    mg_session_send(p->session, msg);
  else
    json_decref(msg);
}

void
mg_conf_broadcast(MgLiveRoom *room, json_t *msg, MgParticipant *except)
{
  for (guint i = 0; i < room->participants->len; i++) {
    MgParticipant *p = g_ptr_array_index(room->participants, i);
    if (p != except && !p->in_lobby)
      mg_conf_send(p, json_incref(msg));
  }
  json_decref(msg);
}

json_t *
mg_conf_track_json(MgPubTrack *t)
{
  return json_pack("{s:s, s:s, s:s, s:b}", "id", t->id, "kind", t->kind, "source", t->source, "muted", t->muted);
}

json_t *
mg_conf_participant_json(MgParticipant *p)
{
  json_t *tracks = json_array();
  for (guint i = 0; i < p->tracks->len; i++) {
    MgPubTrack *t = g_ptr_array_index(p->tracks, i);
    if (t->live)
      json_array_append_new(tracks, mg_conf_track_json(t));
  }
  return json_pack("{s:s, s:s, s:s, s:o}", "id", p->id, "name", p->name, "role", p->role, "tracks", tracks);
}

MgParticipant *
mg_conf_find(MgLiveRoom *room, const char *id)
{
  for (guint i = 0; id && i < room->participants->len; i++) {
    MgParticipant *p = g_ptr_array_index(room->participants, i);
    if (!strcmp(p->id, id))
      return p;
  }
  return NULL;
}

gboolean
mg_conf_require_joined(MgSession *s, json_t *msg, MgParticipant **p)
{
  *p = mg_session_get_participant(s);
  if (*p && !(*p)->in_lobby)
    return TRUE;
  mg_session_error(s, msg, "not_joined", "join the room first");
  return FALSE;
}

static char *
iso_time(gint64 s)
{
  if (!s)
    return NULL;
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(s);
  return g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ");
}

json_t *
mg_conf_room_json(MgLiveRoom *room)
{
  MgRoomDef *d = room->def;
  g_autofree char *opens = iso_time(d->opens_at), *closes = iso_time(d->closes_at);
  return json_pack("{s:s, s:s, s:s, s:s, s:b, s:s?, s:s?}", "id", d->id, "code", d->code, "title", d->title, "policy",
                   mg_policy_name(d->policy), "locked", room->locked, "opens_at", opens, "closes_at", closes);
}

/* ---- rooms and participants ---- */

MgLiveRoom *
mg_conf_live_room(MgConference *conf, MgRoomDef *def)
{
  MgLiveRoom *room = g_hash_table_lookup(conf->rooms, def->id);
  if (room) {
    mg_room_def_free(def);
    return room;
  }
  room = g_new0(MgLiveRoom, 1);
  room->conf = conf;
  room->def = def;
  room->participants = g_ptr_array_new();
  room->removed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_insert(conf->rooms, def->id, room);
  return room;
}

static void
live_room_free(MgLiveRoom *room)
{
  g_ptr_array_unref(room->participants);
  g_hash_table_unref(room->removed);
  g_free(room->active_speaker);
  mg_room_def_free(room->def);
  g_free(room);
}

void
mg_conf_track_free(MgPubTrack *t)
{
  g_free(t->id);
  g_free(t->mid);
  g_free(t->kind);
  g_free(t->source);
  g_free(t);
}

static void
participant_free(MgParticipant *p)
{
  for (guint i = 0; i < p->tracks->len; i++)
    mg_conf_track_free(g_ptr_array_index(p->tracks, i));
  g_ptr_array_unref(p->tracks);
  g_hash_table_unref(p->pending_sources);
  g_ptr_array_unref(p->early_candidates);
  json_decref(p->sub_tracks);
  g_free(p->id);
  g_free(p->name);
  g_free(p->role);
  g_free(p->user);
  g_free(p->resume);
  g_free(p->pub_peer);
  g_free(p->sub_peer);
  g_free(p->ip);
  g_free(p->agent);
  g_free(p);
}

static guint
joined_count(MgLiveRoom *room)
{
  guint n = 0;
  for (guint i = 0; i < room->participants->len; i++)
    n += !((MgParticipant *)g_ptr_array_index(room->participants, i))->in_lobby;
  return n;
}

void
mg_conf_leave(MgConference *conf, MgParticipant *p, const char *reason, gboolean tell_others)
{
  MgLiveRoom *room = p->room;
  g_info("room %s: %s (%s) left: %s", room->def->id, p->id, p->name, reason);
  if (p->resume_timer)
    g_source_remove(p->resume_timer);
  g_hash_table_remove(conf->resumes, p->resume);
  if (!p->in_lobby) {
    mg_attendance_left(conf->cfg.store, room->def->id, p->id, g_get_real_time() / G_USEC_PER_SEC);
    for (guint i = 0; i < p->tracks->len; i++) {
      MgPubTrack *t = g_ptr_array_index(p->tracks, i);
      if (t->live)
        mg_conf_emit(conf, MG_CONFERENCE_TRACK_UNPUBLISHED, p, t, reason);
    }
    mg_conf_emit(conf, MG_CONFERENCE_PARTICIPANT_LEFT, p, NULL, reason);
  }
  mg_conf_close_media(conf, p);
  g_ptr_array_remove(room->participants, p);
  if (p->session)
    mg_session_set_participant(p->session, NULL);
  if (tell_others && !p->in_lobby)
    mg_conf_broadcast(
        room, json_pack("{s:s, s:s, s:s}", "type", "participant_left", "participant", p->id, "reason", reason), NULL);
  gboolean finished = !room->participants->len && room->started;
  if (finished && conf->events) {
    MgConferenceEvent ev = { MG_CONFERENCE_ROOM_FINISHED, room->def->id };
    ev.reason = reason;
    conf->events(&ev, conf->events_data);
  }
  participant_free(p);
  if (!room->participants->len) {
    g_hash_table_remove(conf->rooms, room->def->id);
    live_room_free(room);
  }
}

static void
send_joined(MgParticipant *p, json_t *msg, gboolean resumed)
{
  MgLiveRoom *room = p->room;
  json_t *others = json_array();
  for (guint i = 0; i < room->participants->len; i++) {
    MgParticipant *o = g_ptr_array_index(room->participants, i);
    if (o != p && !o->in_lobby)
      json_array_append_new(others, mg_conf_participant_json(o));
  }
  json_t *joined = json_pack("{s:s, s:{s:s, s:s, s:s}, s:o, s:o, s:s, s:b}", "type", "joined", "me", "id", p->id,
                             "name", p->name, "role", p->role, "room", mg_conf_room_json(room), "participants", others,
                             "resume", p->resume, "resumed", resumed);
  if (room->active_speaker)
    json_object_set_new(joined, "active_speaker", json_string(room->active_speaker));
  json_object_set_new(joined, "recording", json_boolean(g_hash_table_contains(room->conf->recording, room->def->id)));
  json_object_set_new(joined, "live", mg_conf_live_json(room->conf, room->def->id));
  if (msg && p->session)
    mg_session_reply(p->session, msg, joined);
  else
    mg_conf_send(p, joined);
}

static const char *const event_names[] = {
  [MG_CONFERENCE_ROOM_STARTED] = "room_started",
  [MG_CONFERENCE_ROOM_FINISHED] = "room_finished",
  [MG_CONFERENCE_PARTICIPANT_JOINED] = "participant_joined",
  [MG_CONFERENCE_PARTICIPANT_LEFT] = "participant_left",
  [MG_CONFERENCE_TRACK_PUBLISHED] = "track_published",
  [MG_CONFERENCE_TRACK_UNPUBLISHED] = "track_unpublished",
};

const char *
mg_conference_event_name(MgConferenceEventType type)
{
  return type < G_N_ELEMENTS(event_names) ? event_names[type] : "unknown";
}

void
mg_conference_set_event_func(MgConference *conf, MgConferenceEventFunc func, gpointer user_data)
{
  conf->events = func;
  conf->events_data = user_data;
}

void
mg_conf_emit(MgConference *conf, MgConferenceEventType type, MgParticipant *p, MgPubTrack *t, const char *reason)
{
  if (!conf->events)
    return;
  MgConferenceEvent ev = { type, p->room->def->id, p->id, p->name, p->role, p->user };
  if (type == MG_CONFERENCE_ROOM_STARTED || type == MG_CONFERENCE_ROOM_FINISHED)
    ev.participant = ev.name = ev.role = ev.user = NULL;
  if (t) {
    ev.track = t->id;
    ev.kind = t->kind;
    ev.source = t->source;
  }
  ev.reason = reason;
  conf->events(&ev, conf->events_data);
}

void
mg_conf_record_joined(MgConference *conf, MgParticipant *p)
{
  if (!p->room->started) {
    p->room->started = TRUE;
    mg_conf_emit(conf, MG_CONFERENCE_ROOM_STARTED, p, NULL, NULL);
  }
  mg_conf_emit(conf, MG_CONFERENCE_PARTICIPANT_JOINED, p, NULL, NULL);
  mg_attendance_joined(conf->cfg.store, p->room->def->id, p->id, p->user, p->name, p->role,
                       g_get_real_time() / G_USEC_PER_SEC);
}

void
mg_conf_admit(MgConference *conf, MgParticipant *p)
{
  p->in_lobby = FALSE;
  mg_conf_record_joined(conf, p);
  send_joined(p, NULL, FALSE);
  mg_conf_broadcast(
      p->room, json_pack("{s:s, s:o}", "type", "participant_joined", "participant", mg_conf_participant_json(p)), p);
  mg_conf_offer_subscription(conf, p);
}

static MgParticipant *
participant_new(MgConference *conf, MgLiveRoom *room, const MgToken *t, const char *name)
{
  MgParticipant *p = g_new0(MgParticipant, 1);
  p->id = g_strdup_printf("p%" G_GUINT64_FORMAT, ++conf->next_id);
  p->name = g_strndup(name && *name ? name : t->name && *t->name ? t->name : "Guest", 64);
  p->role = g_strdup(t->role);
  p->user = g_strdup(t->sub ? t->sub : "");
  p->room = room;
  p->tracks = g_ptr_array_new();
  p->pending_sources = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  p->early_candidates = g_ptr_array_new_with_free_func(g_free);
  GString *resume = g_string_new(NULL);
  for (int i = 0; i < 4; i++)
    g_string_append_printf(resume, "%08x", g_random_int());
  p->resume = g_string_free(resume, FALSE);
  g_hash_table_insert(conf->resumes, p->resume, p);
  g_ptr_array_add(room->participants, p);
  return p;
}

/* ---- join ---- */

static void
refuse_token(MgConference *conf, MgSession *s, json_t *msg, const char *jwt, const GError *error, gint64 nbf,
             gint64 now_s)
{
  if (g_error_matches(error, MG_TOKEN_ERROR, MG_TOKEN_ERROR_EXPIRED)) {
    /* A link that expired with its meeting's window: the meeting is over. */
    g_autofree char *room = mg_token_signed_room(jwt, conf->cfg.secret);
    g_autoptr(MgRoomDef) def = room ? mg_rooms_find(conf->cfg.store, room) : NULL;
    if (def && def->closes_at && now_s >= def->closes_at) {
      mg_session_error(s, msg, "ended", "the meeting is over");
      return;
    }
  }
  if (g_error_matches(error, MG_TOKEN_ERROR, MG_TOKEN_ERROR_NOT_YET)) {
    g_autofree char *when = iso_time(nbf);
    json_t *e = json_pack("{s:s, s:s, s:s, s:s}", "type", "error", "code", "not_started", "message",
                          "the meeting has not opened yet", "opens_at", when);
    mg_session_reply(s, msg, e);
    return;
  }
  mg_session_error(s, msg, mg_token_error_code(error), "%s", error->message);
}

static gboolean
resume(MgConference *conf, MgSession *s, json_t *msg, const char *token)
{
  MgParticipant *p = g_hash_table_lookup(conf->resumes, token);
  if (!p) {
    mg_session_error(s, msg, "resume_expired", "that session is over; join again");
    return FALSE;
  }
  if (p->session) /* the old connection is still open: it loses */
    mg_session_set_participant(p->session, NULL);
  if (p->resume_timer) {
    g_source_remove(p->resume_timer);
    p->resume_timer = 0;
  }
  p->session = s;
  mg_session_set_participant(s, p);
  mg_conf_note_client(p, s);
  /* The client comes with new connections: the old ones go. */
  mg_conf_close_media(conf, p);
  g_info("room %s: %s resumed", p->room->def->id, p->id);
  if (p->in_lobby) {
    mg_session_reply(s, msg, json_pack("{s:s}", "type", "lobby"));
    return TRUE;
  }
  send_joined(p, msg, TRUE);
  mg_conf_offer_subscription(conf, p);
  return TRUE;
}

static void
on_join(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s)
{
  if (mg_session_get_participant(s)) {
    mg_session_error(s, msg, "bad_request", "this session has joined already");
    return;
  }
  const char *resume_token = json_string_value(json_object_get(msg, "resume"));
  if (resume_token) {
    resume(conf, s, msg, resume_token);
    return;
  }
  const char *jwt = json_string_value(json_object_get(msg, "token"));
  const char *name = json_string_value(json_object_get(msg, "name"));
  if (!jwt) {
    mg_session_error(s, msg, "bad_request", "join needs a string \"token\"");
    return;
  }
  g_autoptr(GError) error = NULL;
  gint64 nbf = 0;
  g_autoptr(MgToken) t = mg_token_verify(jwt, conf->cfg.secret, NULL, now_s, &nbf, &error);
  if (!t) {
    refuse_token(conf, s, msg, jwt, error, nbf, now_s);
    return;
  }
  MgRoomDef *def = mg_rooms_find(conf->cfg.store, t->room);
  if (!def) {
    mg_session_error(s, msg, "unknown_room", "this meeting does not exist (any more)");
    return;
  }
  /* The page names the room of its link (/j/<code>): a token for another room does not open it. */
  const char *asked = json_string_value(json_object_get(msg, "room"));
  if (asked) {
    g_autoptr(MgRoomDef) want = mg_rooms_find(conf->cfg.store, asked);
    if (!want || strcmp(want->id, def->id)) {
      mg_session_error(s, msg, "wrong_room", "this link is for another meeting");
      mg_room_def_free(def);
      return;
    }
  }
  if (!g_strcmp0(t->role, "bridge")) { /* another node's cascade: WHIP/WHEP only (docs/bridge.md) */
    mg_session_error(s, msg, "not_allowed", "a bridge token is for WHIP and WHEP, not the meeting page");
    mg_room_def_free(def);
    return;
  }
  if (def->opens_at && now_s < def->opens_at) {
    g_autofree char *when = iso_time(def->opens_at);
    mg_session_reply(s, msg,
                     json_pack("{s:s, s:s, s:s, s:s}", "type", "error", "code", "not_started", "message",
                               "the meeting has not opened yet", "opens_at", when));
    mg_room_def_free(def);
    return;
  }
  if (def->closes_at && now_s >= def->closes_at) {
    mg_session_error(s, msg, "ended", "the meeting is over");
    mg_room_def_free(def);
    return;
  }
  MgLiveRoom *room = mg_conf_live_room(conf, def);
  gboolean host = !strcmp(t->role, "host");
  gboolean invited = mg_room_def_is_attendee(room->def, t->sub);
  const char *refusal = NULL, *why = NULL;
  if (t->sub && *t->sub && g_hash_table_contains(room->removed, t->sub))
    refusal = "removed", why = "a host removed you from this meeting";
  else if (room->locked && !host)
    refusal = "locked", why = "a host locked the room";
  else if (joined_count(room) >= room->def->capacity)
    refusal = "room_full", why = "the room is full";
  else if (room->def->policy == MG_POLICY_INVITE_ONLY && !host && !invited)
    refusal = "not_invited", why = "this meeting needs your personal link";
  if (refusal) {
    mg_session_error(s, msg, refusal, "%s", why);
    if (!room->participants->len) {
      g_hash_table_remove(conf->rooms, room->def->id);
      live_room_free(room);
    }
    return;
  }
  MgParticipant *p = participant_new(conf, room, t, name);
  p->session = s;
  mg_session_set_participant(s, p);
  p->joined_us = p->join_wait_us = mg_session_get_received_us(s);
  mg_conf_note_client(p, s);
  g_info("room %s: %s (%s, %s) joins", room->def->id, p->id, p->name, p->role);
  if (room->def->policy == MG_POLICY_LOBBY && !host && !invited) {
    p->in_lobby = TRUE;
    mg_session_reply(s, msg, json_pack("{s:s}", "type", "lobby"));
    for (guint i = 0; i < room->participants->len; i++) {
      MgParticipant *o = g_ptr_array_index(room->participants, i);
      if (!o->in_lobby && !strcmp(o->role, "host"))
        mg_conf_send(
            o, json_pack("{s:s, s:{s:s, s:s}}", "type", "lobby_waiting", "participant", "id", p->id, "name", p->name));
    }
    return;
  }
  mg_conf_record_joined(conf, p);
  send_joined(p, msg, FALSE);
  mg_conf_broadcast(
      room, json_pack("{s:s, s:o}", "type", "participant_joined", "participant", mg_conf_participant_json(p)), p);
  mg_conf_offer_subscription(conf, p);
}

static void
on_leave(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s)
{
  MgParticipant *p = mg_session_get_participant(s);
  if (!p) {
    mg_session_error(s, msg, "not_joined", "join the room first");
    return;
  }
  mg_conf_leave(conf, p, "left", TRUE);
  mg_session_reply(s, msg, json_pack("{s:s}", "type", "left"));
}

/* ---- sessions that go away ---- */

static gboolean
resume_expired(gpointer data)
{
  MgParticipant *p = data;
  p->resume_timer = 0;
  mg_conf_leave(p->room->conf, p, "connection lost", TRUE);
  return G_SOURCE_REMOVE;
}

void
mg_conference_detach(MgConference *conf, MgParticipant *p)
{
  p->session = NULL;
  if (p->in_lobby) {
    mg_conf_leave(conf, p, "left the lobby", FALSE);
    return;
  }
  gint64 window = conf->cfg.resume_window_us ? conf->cfg.resume_window_us : RESUME_WINDOW_US;
  p->resume_timer = g_timeout_add(window / 1000, resume_expired, p);
}

/* ---- media events ---- */

static MgParticipant *
by_peer(MgConference *conf, const char *peer)
{
  return peer ? g_hash_table_lookup(conf->peers, peer) : NULL;
}

static void
renegotiate_others(MgConference *conf, MgParticipant *p)
{
  for (guint i = 0; i < p->room->participants->len; i++) {
    MgParticipant *o = g_ptr_array_index(p->room->participants, i);
    if (o != p && !o->in_lobby)
      mg_conf_offer_subscription(conf, o);
  }
}

static void
track_added(MgConference *conf, MgParticipant *p, const MgMediaEvent *ev)
{
  MgPubTrack *t = mg_conf_track_by_id(p, ev->track);
  if (!t) {
    const char *mid = ev->track + strlen(ev->peer) + 1; /* "<peer>-<mid>" */
    const char *source = g_hash_table_lookup(p->pending_sources, mid);
    t = g_new0(MgPubTrack, 1);
    t->id = g_strdup(ev->track);
    t->mid = g_strdup(mid);
    t->kind = g_strdup(ev->kind);
    t->source = g_strdup(source ? source : !strcmp(ev->kind, "audio") ? "microphone" : "camera");
    g_ptr_array_add(p->tracks, t);
  }
  if (!t->live)
    mg_conf_emit(conf, MG_CONFERENCE_TRACK_PUBLISHED, p, t, NULL);
  t->live = TRUE;
  mg_conf_broadcast(
      p->room,
      json_pack("{s:s, s:s, s:o}", "type", "track_added", "participant", p->id, "track", mg_conf_track_json(t)), p);
  renegotiate_others(conf, p);
}

static void
track_removed(MgConference *conf, MgParticipant *p, const MgMediaEvent *ev)
{
  MgPubTrack *t = mg_conf_track_by_id(p, ev->track);
  if (!t)
    return;
  g_ptr_array_remove(p->tracks, t);
  if (t->live)
    mg_conf_emit(conf, MG_CONFERENCE_TRACK_UNPUBLISHED, p, t, NULL);
  mg_conf_broadcast(
      p->room, json_pack("{s:s, s:s, s:{s:s}}", "type", "track_removed", "participant", p->id, "track", "id", t->id),
      p);
  mg_conf_track_free(t);
  renegotiate_others(conf, p);
}

void
mg_conference_on_media_event(MgConference *conf, const MgMediaEvent *ev)
{
  MgParticipant *p = by_peer(conf, ev->peer);
  if (!p)
    return;
  switch (ev->type) {
  case MG_MEDIA_EVENT_TRACK_ADDED:
    track_added(conf, p, ev);
    break;
  case MG_MEDIA_EVENT_TRACK_REMOVED:
    track_removed(conf, p, ev);
    break;
  case MG_MEDIA_EVENT_ACTIVE_SPEAKER:
    g_free(p->room->active_speaker);
    p->room->active_speaker = g_strdup(p->id);
    mg_conf_broadcast(p->room, json_pack("{s:s, s:s}", "type", "active_speaker", "participant", p->id), NULL);
    break;
  case MG_MEDIA_EVENT_CLOSED:
  case MG_MEDIA_EVENT_FAILED:
    g_hash_table_remove(conf->peers, ev->peer);
    if (p->whip && !g_strcmp0(p->pub_peer, ev->peer)) {
      g_clear_pointer(&p->pub_peer, g_free);
      mg_conf_leave(conf, p, ev->type == MG_MEDIA_EVENT_FAILED ? "connection lost" : "left", TRUE);
      break;
    }
    if (!g_strcmp0(p->pub_peer, ev->peer))
      g_clear_pointer(&p->pub_peer, g_free);
    if (!g_strcmp0(p->sub_peer, ev->peer)) {
      g_clear_pointer(&p->sub_peer, g_free);
      p->offer_pending = p->offer_again = FALSE;
    }
    break;
  default:
    break;
  }
}

/* ---- life ---- */

MgConference *
mg_conference_new(const MgConferenceConfig *config)
{
  MgConference *conf = g_new0(MgConference, 1);
  conf->cfg = *config;
  conf->rooms = g_hash_table_new(g_str_hash, g_str_equal);
  conf->resumes = g_hash_table_new(g_str_hash, g_str_equal);
  conf->peers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  conf->recording = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  conf->live = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)json_decref);
  return conf;
}

void
mg_conference_free(MgConference *conf)
{
  if (!conf)
    return;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, conf->rooms);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    MgLiveRoom *room = value;
    g_hash_table_iter_steal(&it);
    for (guint i = 0; i < room->participants->len; i++) {
      MgParticipant *p = g_ptr_array_index(room->participants, i);
      if (!p->in_lobby) /* the server stops: their stay ends now */
        mg_attendance_left(conf->cfg.store, room->def->id, p->id, g_get_real_time() / G_USEC_PER_SEC);
      if (p->resume_timer)
        g_source_remove(p->resume_timer);
      if (p->session)
        mg_session_set_participant(p->session, NULL);
      participant_free(p);
    }
    live_room_free(room);
  }
  g_hash_table_unref(conf->rooms);
  g_hash_table_unref(conf->resumes);
  g_hash_table_unref(conf->peers);
  g_hash_table_unref(conf->recording);
  g_hash_table_unref(conf->live);
  g_free(conf);
}

guint
mg_conference_overtime(MgConference *conf, const char *room_id)
{
  MgLiveRoom *room = g_hash_table_lookup(conf->rooms, room_id);
  guint n = room ? joined_count(room) : 0;
  if (n)
    mg_conf_broadcast(room,
                      json_pack("{s:s, s:s}", "type", "room_overtime", "message",
                                "the scheduled time is over; the room stays open while people remain"),
                      NULL);
  return n;
}

gboolean
mg_conference_is_recording(MgConference *conf, const char *room_id)
{
  return room_id && g_hash_table_contains(conf->recording, room_id);
}

void
mg_conference_set_record_func(MgConference *conf, MgConferenceRecordFunc func, gpointer user_data)
{
  conf->record = func;
  conf->record_data = user_data;
}

void
mg_conference_set_recording(MgConference *conf, const char *room_id, gboolean active)
{
  if (active == g_hash_table_contains(conf->recording, room_id))
    return;
  if (active)
    g_hash_table_add(conf->recording, g_strdup(room_id));
  else
    g_hash_table_remove(conf->recording, room_id);
  MgLiveRoom *room = g_hash_table_lookup(conf->rooms, room_id);
  if (room)
    mg_conf_broadcast(room, json_pack("{s:s, s:b}", "type", "recording", "active", active), NULL);
}

guint
mg_conference_close(MgConference *conf, const char *room_id, const char *reason)
{
  MgLiveRoom *room = g_hash_table_lookup(conf->rooms, room_id);
  if (!room)
    return 0;
  guint n = room->participants->len;
  mg_conf_close_room(conf, room, reason);
  return n;
}

GPtrArray *
mg_conference_live_room_ids(MgConference *conf)
{
  GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init(&it, conf->rooms);
  while (g_hash_table_iter_next(&it, &key, NULL))
    g_ptr_array_add(ids, g_strdup(key));
  return ids;
}

guint
mg_conference_get_participant_count(MgConference *conf)
{
  return g_hash_table_size(conf->resumes);
}

json_t *
mg_conference_describe(MgConference *conf, const char *room_id)
{
  MgLiveRoom *room = g_hash_table_lookup(conf->rooms, room_id);
  if (!room)
    return NULL;
  json_t *people = json_array(), *lobby = json_array();
  for (guint i = 0; i < room->participants->len; i++) {
    MgParticipant *p = g_ptr_array_index(room->participants, i);
    json_t *j = mg_conf_admin_participant_json(p);
    json_array_append_new(p->in_lobby ? lobby : people, j);
  }
  return json_pack("{s:o, s:o, s:o}", "room", mg_conf_room_json(room), "participants", people, "lobby", lobby);
}

void
mg_conf_note_client(MgParticipant *p, MgSession *s)
{
  const char *ip = mg_session_get_client_ip(s), *agent = mg_session_get_user_agent(s);
  if (ip) {
    g_free(p->ip);
    p->ip = g_strdup(ip);
  }
  if (agent) {
    g_free(p->agent);
    p->agent = g_strdup(agent);
  }
}

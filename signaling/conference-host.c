/* SPDX-License-Identifier: MIT
 * What hosts may do: mute others, remove them, decide on the lobby, lock the
 * room, end the meeting for all, start and stop the recording and the live
 * stream. */
#define G_LOG_DOMAIN "conference"
#include "signaling/conference-private.h"

#include <gio/gio.h>
#include <string.h>

/* The host who sent msg and the participant it names, or FALSE after answering. */
static gboolean
host_and_target(MgSession *s, json_t *msg, MgParticipant **host, MgParticipant **target)
{
  if (!mg_conf_require_joined(s, msg, host))
    return FALSE;
  if (strcmp((*host)->role, "host")) {
    mg_session_error(s, msg, "not_host", "only a host may do that");
    return FALSE;
  }
  if (!target)
    return TRUE;
  *target = mg_conf_find((*host)->room, json_string_value(json_object_get(msg, "participant")));
  if (!*target) {
    mg_session_error(s, msg, "bad_request", "no such participant");
    return FALSE;
  }
  return TRUE;
}

void
mg_conf_on_host_mute(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s)
{
  MgParticipant *host, *p;
  if (!host_and_target(s, msg, &host, &p))
    return;
  const char *source = json_string_value(json_object_get(msg, "source"));
  if (!source)
    source = "microphone";
  for (guint i = 0; i < p->tracks->len; i++) {
    MgPubTrack *t = g_ptr_array_index(p->tracks, i);
    if (!strcmp(t->source, source))
      t->muted = TRUE;
  }
  mg_conf_broadcast(p->room,
                    json_pack("{s:s, s:s, s:s, s:b, s:s}", "type", "muted", "participant", p->id, "source", source,
                              "muted", TRUE, "by", host->id),
                    NULL);
}

void
mg_conf_on_remove(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s)
{
  MgParticipant *host, *p;
  if (!host_and_target(s, msg, &host, &p))
    return;
  if (p->user && *p->user)
    g_hash_table_add(p->room->removed, g_strdup(p->user));
  MgSession *gone = p->session;
  mg_conf_send(p, json_pack("{s:s, s:s}", "type", "removed", "reason", "by_host"));
  mg_conf_leave(conf, p, "removed", TRUE);
  if (gone)
    mg_session_close(gone, 4001, "removed by a host");
}

/* A host's decision about someone who waits in the lobby. */
static MgParticipant *
lobby_target(MgSession *s, json_t *msg)
{
  MgParticipant *host, *p;
  if (!host_and_target(s, msg, &host, &p))
    return NULL;
  if (!p->in_lobby) {
    mg_session_error(s, msg, "bad_request", "%s is not waiting in the lobby", p->id);
    return NULL;
  }
  return p;
}

void
mg_conf_on_admit(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s)
{
  MgParticipant *p = lobby_target(s, msg);
  if (!p)
    return;
  mg_conf_send(p, json_pack("{s:s}", "type", "admitted"));
  mg_conf_admit(conf, p);
}

void
mg_conf_on_deny(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s)
{
  MgParticipant *p = lobby_target(s, msg);
  if (!p)
    return;
  if (p->session)
    mg_session_error(p->session, NULL, "not_admitted", "a host did not let you in");
  mg_conf_leave(conf, p, "not admitted", FALSE);
}

void
mg_conf_on_lock(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s)
{
  MgParticipant *host;
  if (!host_and_target(s, msg, &host, NULL))
    return;
  json_t *locked = json_object_get(msg, "locked");
  if (!json_is_boolean(locked)) {
    mg_session_error(s, msg, "bad_request", "lock needs a boolean \"locked\"");
    return;
  }
  host->room->locked = json_is_true(locked);
  mg_conf_broadcast(host->room, json_pack("{s:s, s:b}", "type", "room_locked", "locked", host->room->locked), NULL);
}

/* Tells everyone the room closes and disconnects them. */
void
mg_conf_close_room(MgConference *conf, MgLiveRoom *room, const char *reason)
{
  mg_conf_close_room_with(conf, room, reason, NULL);
}

void
mg_conf_close_room_with(MgConference *conf, MgLiveRoom *room, const char *reason, const char *message)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *at = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
  g_info("room %s closes: %s", room->def->id, reason);
  while (room->participants->len) {
    MgParticipant *p = g_ptr_array_index(room->participants, room->participants->len - 1);
    MgSession *s = p->session;
    mg_conf_send(
        p, json_pack("{s:s, s:s, s:s, s:s?}", "type", "room_closing", "reason", reason, "at", at, "message", message));
    gboolean last = room->participants->len == 1;
    mg_conf_leave(conf, p, reason, FALSE);
    if (s)
      mg_session_close(s, 4000, "the meeting ended");
    if (last) /* the room itself was freed with its last participant */
      break;
  }
}

void
mg_conf_on_end(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s)
{
  MgParticipant *host;
  if (!host_and_target(s, msg, &host, NULL))
    return;
  mg_conf_close_room(conf, host->room, "ended_by_host");
}

void
mg_conf_on_record(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s)
{
  MgParticipant *host;
  if (!host_and_target(s, msg, &host, NULL))
    return;
  json_t *active = json_object_get(msg, "active");
  if (!json_is_boolean(active)) {
    mg_session_error(s, msg, "bad_request", "record needs a boolean \"active\"");
    return;
  }
  const char *room_id = host->room->def->id;
  gboolean want = json_is_true(active);
  if (want == mg_conference_is_recording(conf, room_id)) { /* already so: the host hears the state again */
    mg_conf_send(host, json_pack("{s:s, s:b}", "type", "recording", "active", want));
    return;
  }
  g_autoptr(GError) error = NULL;
  g_autofree char *who = g_strdup_printf("host %s (%s)", host->id, host->name ? host->name : "");
  if (!conf->record) {
    mg_session_error(s, msg, "record_failed", "recording is not available");
    return;
  }
  if (!conf->record(room_id, want, who, conf->record_data, &error))
    mg_session_error(s, msg, "record_failed", "%s", error ? error->message : "the recording did not change");
}

/* ---- the live stream ---- */

json_t *
mg_conf_live_json(MgConference *conf, const char *room_id)
{
  json_t *state = room_id ? g_hash_table_lookup(conf->live, room_id) : NULL;
  return state ? json_deep_copy(state) : json_pack("{s:b}", "active", FALSE);
}

void
mg_conference_set_live_func(MgConference *conf, MgConferenceLiveFunc func, gpointer user_data)
{
  conf->live_func = func;
  conf->live_data = user_data;
}

/* Sets the room's live state; reason and error (or NULL) go with a change
 * to everyone in the room. */
static void
set_live(MgConference *conf, const char *room_id, json_t *state, const char *reason, const char *error)
{
  gboolean active = json_is_true(json_object_get(state, "active"));
  json_t *old = g_hash_table_lookup(conf->live, room_id);
  if (old ? json_equal(old, state) : !active) {
    json_decref(state);
    return;
  }
  MgLiveRoom *room = g_hash_table_lookup(conf->rooms, room_id);
  if (room) {
    json_t *msg = json_deep_copy(state);
    json_object_set_new(msg, "type", json_string("live"));
    if (reason)
      json_object_set_new(msg, "reason", json_string(reason));
    if (error)
      json_object_set_new(msg, "error", json_string(error));
    mg_conf_broadcast(room, msg, NULL);
  }
  if (active)
    g_hash_table_replace(conf->live, g_strdup(room_id), state);
  else {
    g_hash_table_remove(conf->live, room_id);
    json_decref(state);
  }
}

void
mg_conference_set_live(MgConference *conf, const char *room_id, gboolean active, const char *kind, const char *url)
{
  json_t *state = active ? json_pack("{s:b, s:s, s:s?}", "active", TRUE, "kind", kind, "url", url)
                         : json_pack("{s:b}", "active", FALSE);
  set_live(conf, room_id, state, NULL, NULL);
}

void
mg_conference_set_live_failed(MgConference *conf, const char *room_id, const char *error)
{
  set_live(conf, room_id, json_pack("{s:b}", "active", FALSE), "failed", error ? error : "unknown error");
}

void
mg_conf_on_live(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s)
{
  MgParticipant *host;
  if (!host_and_target(s, msg, &host, NULL))
    return;
  json_t *active = json_object_get(msg, "active");
  json_t *kind_j = json_object_get(msg, "kind");
  const char *kind = kind_j ? json_string_value(kind_j) : "hls";
  if (!json_is_boolean(active) || !kind || (strcmp(kind, "hls") && strcmp(kind, "rtmp"))) {
    mg_session_error(s, msg, "bad_request", "live needs a boolean \"active\" and a \"kind\" of \"hls\" or \"rtmp\"");
    return;
  }
  const char *room_id = host->room->def->id;
  gboolean want = json_is_true(active);
  json_t *state = g_hash_table_lookup(conf->live, room_id);
  const char *now_kind = state ? json_string_value(json_object_get(state, "kind")) : NULL;
  if (want ? !g_strcmp0(now_kind, kind) : !state) { /* already so: the host hears the state again */
    json_t *again = mg_conf_live_json(conf, room_id);
    json_object_set_new(again, "type", json_string("live"));
    mg_conf_send(host, again);
    return;
  }
  if (!conf->live_func) {
    mg_session_error(s, msg, "live_unavailable", "live streaming is not available");
    return;
  }
  g_autoptr(GError) error = NULL;
  g_autofree char *who = g_strdup_printf("host:%s", host->id);
  if (!conf->live_func(room_id, want, kind, who, conf->live_data, &error)) {
    gboolean unavailable = error && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
    mg_session_error(s, msg, unavailable ? "live_unavailable" : "live_failed", "%s",
                     error ? error->message : "the live stream did not change");
  }
}

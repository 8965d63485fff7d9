/* SPDX-License-Identifier: MIT
 * What the admin API sees of live rooms and what an admin may do there:
 * the same host actions, by room and participant id, from outside the room. */
#define G_LOG_DOMAIN "conference"
#include "signaling/conference-private.h"

#include <string.h>

G_DEFINE_QUARK(mg - conference - error - quark, mg_conference_error)

static MgLiveRoom *
find_room(MgConference *conf, const char *room_id, GError **error)
{
  MgLiveRoom *room = room_id ? g_hash_table_lookup(conf->rooms, room_id) : NULL;
  if (!room)
    g_set_error(error, MG_CONFERENCE_ERROR, MG_CONFERENCE_ERROR_NOT_FOUND, "no live room %s", room_id ? room_id : "");
  return room;
}

static MgParticipant *
find_participant(MgConference *conf, const char *room_id, const char *pid, GError **error)
{
  MgLiveRoom *room = find_room(conf, room_id, error);
  if (!room)
    return NULL;
  MgParticipant *p = mg_conf_find(room, pid);
  if (!p)
    g_set_error(error, MG_CONFERENCE_ERROR, MG_CONFERENCE_ERROR_NOT_FOUND, "no participant %s in room %s",
                pid ? pid : "", room_id);
  return p;
}

json_t *
mg_conference_list_rooms(MgConference *conf)
{
  json_t *list = json_array();
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, conf->rooms);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    MgLiveRoom *room = value;
    guint joined = 0, lobby = 0;
    for (guint i = 0; i < room->participants->len; i++) {
      MgParticipant *p = g_ptr_array_index(room->participants, i);
      if (p->in_lobby)
        lobby++;
      else
        joined++;
    }
    json_t *j = mg_conf_room_json(room);
    json_object_set_new(j, "participants", json_integer(joined));
    json_object_set_new(j, "lobby", json_integer(lobby));
    json_array_append_new(list, j);
  }
  return list;
}

json_t *
mg_conf_admin_participant_json(MgParticipant *p)
{
  json_t *j = mg_conf_participant_json(p);
  g_autoptr(GDateTime) at = p->joined_us ? g_date_time_new_from_unix_utc(p->joined_us / G_USEC_PER_SEC) : NULL;
  g_autofree char *joined = at ? g_date_time_format(at, "%Y-%m-%dT%H:%M:%SZ") : NULL;
  json_object_set_new(j, "connected", json_boolean(p->session != NULL));
  json_object_set_new(j, "joined_at", joined ? json_string(joined) : json_null());
  json_object_set_new(j, "ip", p->ip ? json_string(p->ip) : json_null());
  json_object_set_new(j, "client", p->agent ? json_string(p->agent) : json_null());
  json_object_set_new(j, "publish_peer", p->pub_peer ? json_string(p->pub_peer) : json_null());
  json_object_set_new(j, "subscribe_peer", p->sub_peer ? json_string(p->sub_peer) : json_null());
  json_t *muted = json_array();
  for (guint i = 0; i < p->tracks->len; i++) {
    MgPubTrack *t = g_ptr_array_index(p->tracks, i);
    if (t->muted)
      json_array_append_new(muted, json_string(t->source));
  }
  json_object_set_new(j, "muted", muted);
  return j;
}

gboolean
mg_conference_admin_remove(MgConference *conf, const char *room_id, const char *pid, GError **error)
{
  MgParticipant *p = find_participant(conf, room_id, pid, error);
  if (!p)
    return FALSE;
  if (p->user && *p->user)
    g_hash_table_add(p->room->removed, g_strdup(p->user));
  MgSession *gone = p->session;
  mg_conf_send(p, json_pack("{s:s, s:s}", "type", "removed", "reason", "by_admin"));
  mg_conf_leave(conf, p, "removed by an admin", TRUE);
  if (gone)
    mg_session_close(gone, 4001, "removed by an admin");
  return TRUE;
}

gboolean
mg_conference_admin_mute(MgConference *conf, const char *room_id, const char *pid, const char *what, GError **error)
{
  MgParticipant *p = find_participant(conf, room_id, pid, error);
  if (!p)
    return FALSE;
  /* what is a source ("microphone") or one of the participant's track ids. */
  const char *source = what && *what ? what : "microphone";
  MgPubTrack *byid = mg_conf_track_by_id(p, source);
  if (byid)
    source = byid->source;
  gboolean found = FALSE;
  for (guint i = 0; i < p->tracks->len; i++) {
    MgPubTrack *t = g_ptr_array_index(p->tracks, i);
    if (!strcmp(t->source, source)) {
      t->muted = TRUE;
      found = TRUE;
    }
  }
  if (!found) {
    g_set_error(error, MG_CONFERENCE_ERROR, MG_CONFERENCE_ERROR_NOT_FOUND, "%s publishes no %s", p->id, source);
    return FALSE;
  }
  mg_conf_broadcast(p->room,
                    json_pack("{s:s, s:s, s:s, s:b, s:s}", "type", "muted", "participant", p->id, "source", source,
                              "muted", TRUE, "by", "admin"),
                    NULL);
  return TRUE;
}

gboolean
mg_conference_admin_close(MgConference *conf, const char *room_id, const char *message, GError **error)
{
  MgLiveRoom *room = find_room(conf, room_id, error);
  if (!room)
    return FALSE;
  mg_conf_close_room_with(conf, room, "closed_by_admin", message);
  return TRUE;
}

gboolean
mg_conference_admin_admit(MgConference *conf, const char *room_id, const char *pid, GError **error)
{
  MgParticipant *p = find_participant(conf, room_id, pid, error);
  if (!p)
    return FALSE;
  if (!p->in_lobby) {
    g_set_error(error, MG_CONFERENCE_ERROR, MG_CONFERENCE_ERROR_BAD_REQUEST, "%s is not waiting in the lobby", p->id);
    return FALSE;
  }
  mg_conf_send(p, json_pack("{s:s}", "type", "admitted"));
  mg_conf_admit(conf, p);
  return TRUE;
}

gboolean
mg_conference_admin_lock(MgConference *conf, const char *room_id, gboolean locked, GError **error)
{
  MgLiveRoom *room = find_room(conf, room_id, error);
  if (!room)
    return FALSE;
  room->locked = locked;
  mg_conf_broadcast(room, json_pack("{s:s, s:b}", "type", "room_locked", "locked", room->locked), NULL);
  return TRUE;
}

gint64
mg_conference_take_join_wait(MgConference *conf, const char *party, const char *peer)
{
  MgParticipant *p = NULL;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, conf->rooms);
  while (!p && g_hash_table_iter_next(&it, NULL, &value))
    p = mg_conf_find(value, party);
  if (!p || !p->join_wait_us || g_strcmp0(p->pub_peer, peer))
    return 0;
  gint64 at = p->join_wait_us;
  p->join_wait_us = 0;
  return at;
}

char *
mg_conference_participant_name(MgConference *conf, const char *room_id, const char *party)
{
  MgParticipant *p = party ? find_participant(conf, room_id, party, NULL) : NULL;
  return p ? g_strdup(p->name) : NULL;
}

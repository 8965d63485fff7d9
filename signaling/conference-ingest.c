/* SPDX-License-Identifier: MIT
 * Ingests and WHIP publishers as participants: a camera or media file that
 * an operator brings into a room, or an encoder or bridge publishing over
 * WHIP, is listed like a person (no session), and its tracks reach everyone
 * through the usual subscribe offers. */
#define G_LOG_DOMAIN "conference"
#include "signaling/conference-private.h"

#include <string.h>

static MgParticipant *
add_media_participant(MgConference *conf, const char *room_id, const char *party, const char *name, const char *role,
                      const char *user, const char *peer)
{
  MgRoomDef *def = mg_rooms_find(conf->cfg.store, room_id);
  if (!def || strcmp(def->id, room_id)) {
    mg_room_def_free(def);
    return NULL;
  }
  MgLiveRoom *room = mg_conf_live_room(conf, def);
  MgParticipant *p = g_new0(MgParticipant, 1);
  p->id = g_strdup(party);
  p->name = g_strndup(name, 64);
  p->role = g_strdup(role);
  p->user = g_strdup(user ? user : "");
  p->room = room;
  p->tracks = g_ptr_array_new();
  p->pending_sources = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  p->early_candidates = g_ptr_array_new_with_free_func(g_free);
  p->resume = g_strdup_printf("ingest-%08x%08x", g_random_int(), g_random_int()); /* never offered */
  p->pub_peer = g_strdup(peer);
  p->joined_us = g_get_real_time();
  g_ptr_array_add(room->participants, p);
  g_hash_table_insert(conf->peers, g_strdup(peer), p);
  mg_conf_record_joined(conf, p);
  mg_conf_broadcast(
      room, json_pack("{s:s, s:o}", "type", "participant_joined", "participant", mg_conf_participant_json(p)), p);
  g_info("room %s: %s %s (%s) joined", room_id, role, party, p->name);
  return p;
}

gboolean
mg_conference_add_ingest(MgConference *conf, const char *room_id, const char *party, const char *name, const char *peer)
{
  return add_media_participant(conf, room_id, party, name, "ingest", NULL, peer) != NULL;
}

gboolean
mg_conference_add_bridge(MgConference *conf, const char *room_id, const char *party, const char *name, const char *peer)
{
  return add_media_participant(conf, room_id, party, name, "bridge", NULL, peer) != NULL;
}

gboolean
mg_conference_add_whip(MgConference *conf, const char *room_id, const char *party, const char *name, const char *role,
                       const char *user, const char *peer)
{
  MgParticipant *p = add_media_participant(conf, room_id, party, name, role, user, peer);
  if (p)
    p->whip = TRUE;
  return p != NULL;
}

void
mg_conference_remove_ingest(MgConference *conf, const char *room_id, const char *party)
{
  MgLiveRoom *room = g_hash_table_lookup(conf->rooms, room_id);
  MgParticipant *p = room ? mg_conf_find(room, party) : NULL;
  if (!p || p->whip || (g_strcmp0(p->role, "ingest") && g_strcmp0(p->role, "bridge")))
    return;
  /* The ingest takes its publisher out of the media room itself. */
  if (p->pub_peer)
    g_hash_table_remove(conf->peers, p->pub_peer);
  g_clear_pointer(&p->pub_peer, g_free);
  mg_conf_leave(conf, p, "ingest stopped", TRUE);
}

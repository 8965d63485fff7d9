/* SPDX-License-Identifier: MIT
 * Rooms: peers join from an offer, publishers' m-lines become tracks,
 * subscribers' m-lines follow tracks. Packet forwarding is in router.c. */
#define G_LOG_DOMAIN "room"
#include "media/room-private.h"

#include <string.h>

static void room_peer_free(MgRoomPeer *rp);

void
mg_room_emit(MgRoom *room, MgMediaEventType type, const char *peer, const MgTrack *track, const char *reason)
{
  const char *kind = track ? (track->kind == MG_SDP_KIND_AUDIO ? "audio" : "video") : NULL;
  MgRoomPeer *rp = peer ? g_hash_table_lookup(room->peers, peer) : NULL;
  const char *party = track ? track->owner->party : rp ? rp->party : NULL;
  MgMediaEvent ev = { type, room->id, peer, track ? track->id : NULL, kind, reason, party };
  if (room->cfg.events)
    room->cfg.events(room, &ev, room->cfg.user_data);
}

static guint32
random_ssrc(void)
{
  guint32 s;
  do
    s = g_random_int();
  while (s == 0);
  return s;
}

/* ---- tracks ---- */

static MgTrack *
track_new(MgRoomPeer *rp, const MgSdpMedia *offered, const MgSdpMedia *answered)
{
  const MgSdpCodec *codec = mg_sdp_media_get_codec(answered);
  if (!codec)
    return NULL;
  MgTrack *t = g_new0(MgTrack, 1);
  t->owner = rp;
  t->mid = g_strdup(offered->mid ? offered->mid : "");
  t->id = g_strdup_printf("%s-%s", mg_peer_get_id(rp->peer), t->mid);
  t->kind = offered->kind;
  t->codec = codec->id;
  t->pt = codec->pt;
  t->rtx_pt = codec->rtx_pt;
  t->clock_rate = codec->clock_rate;
  t->ext_mid = answered->ext_ids[MG_SDP_EXT_MID];
  t->ext_rid = answered->ext_ids[MG_SDP_EXT_RID];
  t->ext_rrid = answered->ext_ids[MG_SDP_EXT_REPAIRED_RID];
  t->ext_level = answered->ext_ids[MG_SDP_EXT_AUDIO_LEVEL];
  t->ext_abs = answered->ext_ids[MG_SDP_EXT_ABS_SEND_TIME];
  t->downs = g_ptr_array_new();

  /* Simulcast layers by rid; otherwise one layer, SSRC from a=ssrc if given. */
  guint n = 0;
  for (guint i = 0; offered->rids && i < offered->rids->len && n < MG_MAX_LAYERS; i++) {
    const MgSdpRid *rid = &g_array_index(offered->rids, MgSdpRid, i);
    if (rid->direction == MG_SDP_DIRECTION_SENDONLY)
      g_strlcpy(t->layers[n++].rid, rid->id, sizeof t->layers[0].rid);
  }
  if (n == 0) {
    n = 1;
    if (offered->ssrcs && offered->ssrcs->len) {
      t->layers[0].ssrc = g_array_index(offered->ssrcs, MgSdpSsrc, 0).ssrc;
      t->layers[0].rtx_ssrc = mg_sdp_media_get_rtx_ssrc(offered, t->layers[0].ssrc);
    }
  }
  t->n_layers = n;
  /* The first NACK waits 5 ms, longer while the path reorders (up to 150 ms:
   * docs/hardening.md, jitter). */
  MgNackTrackerConfig nc = {
    .window = 512, .max_tries = 5, .delay_us = 5000, .retry_us = 50000, .max_age_us = 1000000, .max_delay_us = 150000
  };
  for (guint i = 0; i < n; i++) {
    t->layers[i].nack = mg_nack_buffer_new(MG_NACK_BUFFER);
    t->layers[i].loss = mg_nack_tracker_new(&nc);
  }
  return t;
}

static void
track_free(MgTrack *t)
{
  for (guint i = 0; i < t->n_layers; i++) {
    mg_nack_buffer_free(t->layers[i].nack);
    mg_nack_tracker_free(t->layers[i].loss);
  }
  g_ptr_array_unref(t->downs);
  g_free(t->mid);
  g_free(t->id);
  g_free(t);
}

static gboolean
codec_compatible(const MgDownTrack *down, const MgTrack *t)
{
  const MgSdpMedia *m = g_ptr_array_index(mg_peer_get_local(down->sub->peer)->media, down->mline);
  return t->kind == down->kind && mg_sdp_media_find_codec(m, down->pt) &&
         mg_sdp_media_find_codec(m, down->pt)->id == t->codec;
}

void
mg_room_bind(MgRoom *room, MgDownTrack *down, MgTrack *source, gint64 now_us)
{
  if (down->source == source)
    return;
  if (down->source)
    g_ptr_array_remove(down->source->downs, down);
  if (!source && down->track_id)
    down->ended = TRUE; /* its one track is gone */
  down->source = source;
  down->mapped = FALSE;
  if (!source)
    return;
  g_ptr_array_add(source->downs, down);
  mg_rewrite_force_switch(down->rw);
  down->layer = source->n_layers - 1; /* best first; automatic choice adjusts */
  down->target_layer = -1;
  down->need_keyframe = source->kind == MG_SDP_KIND_VIDEO;
  if (down->need_keyframe)
    mg_router_request_keyframe(source, now_us, TRUE);
  g_debug("room %s: %s m-line %u follows %s", room->id, mg_peer_get_id(down->sub->peer), down->mline, source->id);
}

/* TRUE when another m-line of rp follows t already. */
static gboolean
followed_by(const MgRoomPeer *rp, const MgTrack *t)
{
  for (guint i = 0; i < t->downs->len; i++)
    if (((MgDownTrack *)g_ptr_array_index(t->downs, i))->sub == rp)
      return TRUE;
  return FALSE;
}

/* Gives every subscriber m-line without a source one of this kind that no
 * other m-line of the same subscriber follows (a WHEP client with several
 * m-lines of a kind, such as a bridge, gets distinct tracks). */
static void
bind_free_downs(MgRoom *room, gint64 now_us)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, room->peers);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    MgRoomPeer *rp = value;
    for (guint i = 0; rp->downs && i < rp->downs->len; i++) {
      MgDownTrack *down = g_ptr_array_index(rp->downs, i);
      if (down->track_id) /* server-offered m-lines carry one track */
        continue;
      for (guint j = 0; !down->source && j < room->tracks->len; j++) {
        MgTrack *t = g_ptr_array_index(room->tracks, j);
        /* Bridges do not echo: no bridge's track goes back out over a bridge. */
        if (mg_media_party_is_bridge(rp->party) && mg_media_party_is_bridge(t->owner->party))
          continue;
        if (t->owner->peer != rp->peer && t->announced && codec_compatible(down, t) && !followed_by(rp, t))
          mg_room_bind(room, down, t, now_us);
      }
    }
  }
}

void
mg_room_track_started(MgRoom *room, MgTrack *track)
{
  if (track->announced)
    return;
  track->announced = TRUE;
  mg_room_emit(room, MG_MEDIA_EVENT_TRACK_ADDED, mg_room_peer_id(track->owner), track, NULL);
  bind_free_downs(room, g_get_monotonic_time());
  mg_room_taps_track_started(room, track);
}

/* Takes t out of the room: its subscribers lose it, the room forgets it. */
static void
remove_track(MgRoom *room, MgRoomPeer *rp, MgTrack *t)
{
  while (t->downs->len)
    mg_room_bind(room, g_ptr_array_index(t->downs, 0), NULL, 0);
  mg_room_taps_track_removed(room, t);
  g_ptr_array_remove(room->tracks, t);
  g_ptr_array_remove(rp->tracks, t);
  if (room->speaker == t)
    room->speaker = NULL;
  if (room->speaker_candidate == t)
    room->speaker_candidate = NULL;
  if (t->announced)
    mg_room_emit(room, MG_MEDIA_EVENT_TRACK_REMOVED, mg_room_peer_id(rp), t, NULL);
  track_free(t);
}

static void
unpublish(MgRoom *room, MgRoomPeer *rp)
{
  while (rp->tracks && rp->tracks->len)
    remove_track(room, rp, g_ptr_array_index(rp->tracks, 0));
  bind_free_downs(room, g_get_monotonic_time());
}

/* ---- peers ---- */

static MgRoomPeer *
room_peer_new(MgRoom *room, MgMediaDirection dir, const char *party)
{
  MgRoomPeer *rp = g_new0(MgRoomPeer, 1);
  rp->room = room;
  rp->dir = dir;
  rp->party = g_strdup(party);
  rp->rtcp_ssrc = random_ssrc();
  return rp;
}

static void
on_peer_state(MgPeer *peer, MgPeerState state, const char *reason, gpointer user_data)
{
  MgRoomPeer *rp = user_data;
  if (state == MG_PEER_CONNECTED) {
    mg_room_emit(rp->room, MG_MEDIA_EVENT_CONNECTED, mg_peer_get_id(peer), NULL, NULL);
    /* Subscribers bound before DTLS finished need their keyframe now. */
    for (guint i = 0; rp->downs && i < rp->downs->len; i++) {
      MgDownTrack *down = g_ptr_array_index(rp->downs, i);
      if (down->source && down->need_keyframe)
        mg_router_request_keyframe(down->source, g_get_monotonic_time(), TRUE);
    }
  } else if (state == MG_PEER_FAILED || state == MG_PEER_CLOSED) {
    /* Not inside the peer's own callback: the tick removes closing peers. */
    rp->closing = TRUE;
    if (state == MG_PEER_FAILED)
      mg_room_emit(rp->room, MG_MEDIA_EVENT_FAILED, mg_peer_get_id(peer), NULL, reason);
  }
}

static const MgPeerCallbacks peer_callbacks = { mg_router_on_rtp, mg_router_on_rtcp, on_peer_state };

static MgSdpAnswerPlan *
plan_for(MgRoom *room, MgMediaDirection dir, const MgSdpSession *offer)
{
  guint n = offer->media->len;
  MgSdpMlinePlan *plans = g_new0(MgSdpMlinePlan, n);
  MgSdpAnswerPlan *plan = g_new0(MgSdpAnswerPlan, 1);
  plan->mlines = plans;
  plan->n_mlines = n;
  for (guint i = 0; i < n; i++) {
    const MgSdpMedia *m = g_ptr_array_index(offer->media, i);
    MgSdpMlinePlan *p = &plans[i];
    if (m->rejected || (m->kind != MG_SDP_KIND_AUDIO && m->kind != MG_SDP_KIND_VIDEO)) {
      p->role = MG_SDP_ROLE_REJECT;
      continue;
    }
    if (dir == MG_MEDIA_PUBLISH) {
      p->role = MG_SDP_ROLE_RECV;
      continue;
    }
    p->role = MG_SDP_ROLE_SEND;
    p->ssrc = random_ssrc();
    p->rtx_ssrc = m->kind == MG_SDP_KIND_VIDEO ? random_ssrc() : 0;
    p->cname = "meetgate";
    p->msid = g_strdup_printf("%s %s-%u", room->id, m->kind == MG_SDP_KIND_AUDIO ? "audio" : "video", i);
    /* Offer the codec the room's first track of this kind uses, if any. */
    for (guint j = 0; j < room->tracks->len; j++) {
      MgTrack *t = g_ptr_array_index(room->tracks, j);
      if (t->kind == m->kind) {
        p->codec = t->codec;
        break;
      }
    }
  }
  return plan;
}

static void
plan_free(MgSdpAnswerPlan *plan)
{
  for (guint i = 0; i < plan->n_mlines; i++)
    g_free((char *)plan->mlines[i].msid);
  g_free((MgSdpMlinePlan *)plan->mlines);
  g_free(plan);
}

static void
setup_publisher(MgRoomPeer *rp)
{
  const MgSdpSession *offer = mg_peer_get_offer(rp->peer), *answer = mg_peer_get_answer(rp->peer);
  rp->tracks = g_ptr_array_new();
  for (guint i = 0; i < answer->media->len; i++) {
    const MgSdpMedia *a = g_ptr_array_index(answer->media, i);
    if (a->rejected)
      continue;
    MgTrack *t = track_new(rp, g_ptr_array_index(offer->media, i), a);
    if (!t)
      continue;
    g_ptr_array_add(rp->tracks, t);
    g_ptr_array_add(rp->room->tracks, t);
  }
}

static void
setup_subscriber(MgRoomPeer *rp, const MgSdpAnswerPlan *plan)
{
  const MgSdpSession *answer = mg_peer_get_answer(rp->peer);
  rp->downs = g_ptr_array_new();
  for (guint i = 0; i < answer->media->len; i++) {
    const MgSdpMedia *a = g_ptr_array_index(answer->media, i);
    const MgSdpCodec *codec = a->rejected ? NULL : mg_sdp_media_get_codec(a);
    if (!codec)
      continue;
    MgDownTrack *down = g_new0(MgDownTrack, 1);
    down->sub = rp;
    down->mline = i;
    down->kind = a->kind;
    down->pt = codec->pt;
    down->rtx_pt = codec->rtx_pt;
    down->ssrc = plan->mlines[i].ssrc;
    down->rtx_ssrc = down->rtx_pt >= 0 ? plan->mlines[i].rtx_ssrc : 0;
    down->ext_abs = a->ext_ids[MG_SDP_EXT_ABS_SEND_TIME];
    down->ext_level = a->ext_ids[MG_SDP_EXT_AUDIO_LEVEL];
    down->target_layer = down->want_layer = -1;
    down->rw = mg_rewrite_new(down->ssrc, codec->clock_rate,
                              codec->id == MG_SDP_CODEC_VP8 ? MG_REWRITE_CODEC_VP8 : MG_REWRITE_CODEC_OTHER);
    g_ptr_array_add(rp->downs, down);
  }
}

char *
mg_room_connect(MgRoom *room, const char *peer_id, const char *party, MgMediaDirection dir, const char *offer_text,
                GError **error)
{
  g_autoptr(GError) local = NULL;
  MgSdpSession *offer = mg_sdp_parse(offer_text, &local);
  if (!offer) {
    g_set_error(error, MG_MEDIA_ERROR, MG_MEDIA_ERROR_SDP, "%s", local->message);
    return NULL;
  }
  MgRoomPeer *rp = room_peer_new(room, dir, party);
  rp->peer = mg_peer_new(peer_id, room->cfg.ctx, &room->cfg.ice, room->cfg.cert, room->cfg.dtls_timeout_ms,
                         &peer_callbacks, rp, &local);
  if (rp->peer && party)
    mg_peer_set_silence_check(rp->peer, FALSE);
  if (!rp->peer) {
    g_set_error(error, MG_MEDIA_ERROR, MG_MEDIA_ERROR_INTERNAL, "%s", local->message);
    mg_sdp_session_free(offer);
    room_peer_free(rp);
    return NULL;
  }
  MgSdpAnswerPlan *plan = plan_for(room, dir, offer);
  char *answer = mg_peer_answer(rp->peer, offer, plan, &local);
  if (!answer) {
    g_set_error(error, MG_MEDIA_ERROR, MG_MEDIA_ERROR_SDP, "%s", local->message);
    plan_free(plan);
    room_peer_free(rp);
    return NULL;
  }
  if (dir == MG_MEDIA_PUBLISH)
    setup_publisher(rp);
  else
    setup_subscriber(rp, plan);
  plan_free(plan);
  g_hash_table_insert(room->peers, g_strdup(peer_id), rp);
  if (dir == MG_MEDIA_SUBSCRIBE)
    bind_free_downs(room, g_get_monotonic_time());
  g_info("room %s: %s %s joined", room->id, dir == MG_MEDIA_PUBLISH ? "publisher" : "subscriber", peer_id);
  return answer;
}

char *
mg_room_restart_ice(MgRoom *room, const char *peer_id, const char *ufrag, const char *pwd, GError **error)
{
  MgRoomPeer *rp = g_hash_table_lookup(room->peers, peer_id);
  if (!rp || !rp->peer) {
    g_set_error(error, MG_MEDIA_ERROR, MG_MEDIA_ERROR_NO_PEER, "no such peer");
    return NULL;
  }
  g_autoptr(GError) local = NULL;
  char *frag = mg_peer_restart_ice(rp->peer, ufrag, pwd, &local);
  if (!frag)
    g_set_error(error, MG_MEDIA_ERROR, MG_MEDIA_ERROR_SDP, "%s", local->message);
  return frag;
}

MgPeer *
mg_room_get_peer(MgRoom *room, const char *peer_id)
{
  MgRoomPeer *rp = g_hash_table_lookup(room->peers, peer_id);
  return rp ? rp->peer : NULL;
}

/* ---- publisher renegotiation ---- */

static MgTrack *
track_by_mid(MgRoomPeer *rp, const char *mid)
{
  for (guint i = 0; i < rp->tracks->len; i++) {
    MgTrack *t = g_ptr_array_index(rp->tracks, i);
    if (!g_strcmp0(t->mid, mid))
      return t;
  }
  return NULL;
}

char *
mg_room_renegotiate(MgRoom *room, const char *peer_id, const char *offer_text, GError **error)
{
  g_autoptr(GError) local = NULL;
  MgRoomPeer *rp = g_hash_table_lookup(room->peers, peer_id);
  if (!rp || rp->dir != MG_MEDIA_PUBLISH || !rp->peer) {
    g_set_error(error, MG_MEDIA_ERROR, MG_MEDIA_ERROR_NO_PEER, "no publish connection %s", peer_id);
    return NULL;
  }
  MgSdpSession *offer = mg_sdp_parse(offer_text, &local);
  if (!offer) {
    g_set_error(error, MG_MEDIA_ERROR, MG_MEDIA_ERROR_SDP, "%s", local->message);
    return NULL;
  }
  MgSdpAnswerPlan *plan = plan_for(room, MG_MEDIA_PUBLISH, offer);
  char *answer = mg_peer_answer(rp->peer, offer, plan, &local);
  plan_free(plan);
  if (!answer) {
    g_set_error(error, MG_MEDIA_ERROR, MG_MEDIA_ERROR_SDP, "%s", local->message);
    return NULL;
  }
  const MgSdpSession *o = mg_peer_get_offer(rp->peer), *a = mg_peer_get_answer(rp->peer);
  for (guint i = 0; i < a->media->len; i++) {
    const MgSdpMedia *am = g_ptr_array_index(a->media, i), *om = g_ptr_array_index(o->media, i);
    gboolean live = !am->rejected && am->direction != MG_SDP_DIRECTION_INACTIVE;
    MgTrack *t = track_by_mid(rp, om->mid);
    if (live && !t && (t = track_new(rp, om, am))) {
      g_ptr_array_add(rp->tracks, t);
      g_ptr_array_add(room->tracks, t);
    } else if (!live && t) {
      remove_track(room, rp, t);
    }
  }
  return answer;
}

/* ---- server-offered subscribers ---- */

static gboolean
has_down_for(MgRoomPeer *rp, const char *track_id)
{
  for (guint i = 0; i < rp->downs->len; i++)
    if (!g_strcmp0(((MgDownTrack *)g_ptr_array_index(rp->downs, i))->track_id, track_id))
      return TRUE;
  return FALSE;
}

/* A down-track for t: an ended m-line of the same kind is reused (browsers
 * recycle transceivers, and the offer keeps its size and a live BUNDLE),
 * otherwise a new m-line is added. */
static MgDownTrack *
down_for_track(MgRoomPeer *rp, const MgTrack *t)
{
  MgDownTrack *down = NULL;
  for (guint i = 0; i < rp->downs->len && !down; i++) {
    MgDownTrack *d = g_ptr_array_index(rp->downs, i);
    if (d->ended && d->kind == t->kind)
      down = d;
  }
  if (down) {
    mg_rewrite_free(down->rw);
    g_free(down->track_id);
    guint mline = down->mline;
    memset(down, 0, sizeof *down);
    down->mline = mline;
  } else {
    down = g_new0(MgDownTrack, 1);
    down->mline = rp->downs->len;
    g_ptr_array_add(rp->downs, down);
  }
  down->sub = rp;
  down->track_id = g_strdup(t->id);
  down->kind = t->kind;
  down->codec = t->codec;
  down->ssrc = random_ssrc();
  down->rtx_ssrc = t->kind == MG_SDP_KIND_VIDEO ? random_ssrc() : 0;
  down->rtx_pt = -1;
  down->target_layer = down->want_layer = -1;
  down->rw = mg_rewrite_new(down->ssrc, t->clock_rate,
                            t->codec == MG_SDP_CODEC_VP8 ? MG_REWRITE_CODEC_VP8 : MG_REWRITE_CODEC_OTHER);
  return down;
}

static MgTrack *
find_track(MgRoom *room, const char *id)
{
  for (guint i = 0; id && i < room->tracks->len; i++) {
    MgTrack *t = g_ptr_array_index(room->tracks, i);
    if (!strcmp(t->id, id))
      return t;
  }
  return NULL;
}

void
mg_room_request_keyframe(MgRoom *room, const char *track_id, gint64 now_us)
{
  MgTrack *t = find_track(room, track_id);
  if (t && t->kind == MG_SDP_KIND_VIDEO)
    mg_router_request_keyframe(t, now_us, FALSE);
}

char *
mg_room_subscribe_offer(MgRoom *room, const char *peer_id, const char *party, json_t **tracks, GError **error)
{
  g_autoptr(GError) local = NULL;
  MgRoomPeer *rp = g_hash_table_lookup(room->peers, peer_id);
  if (!rp) {
    rp = room_peer_new(room, MG_MEDIA_SUBSCRIBE, party);
    rp->offerer = TRUE;
    rp->downs = g_ptr_array_new();
    rp->peer = mg_peer_new(peer_id, room->cfg.ctx, &room->cfg.ice, room->cfg.cert, room->cfg.dtls_timeout_ms,
                           &peer_callbacks, rp, &local);
    if (rp->peer && party)
      mg_peer_set_silence_check(rp->peer, FALSE);
    if (!rp->peer) {
      g_set_error(error, MG_MEDIA_ERROR, MG_MEDIA_ERROR_INTERNAL, "%s", local->message);
      room_peer_free(rp);
      return NULL;
    }
    g_hash_table_insert(room->peers, g_strdup(peer_id), rp);
  } else if (!rp->offerer) {
    g_set_error(error, MG_MEDIA_ERROR, MG_MEDIA_ERROR_NO_PEER, "%s is not a subscribe connection", peer_id);
    return NULL;
  }
  for (guint i = 0; i < room->tracks->len; i++) {
    MgTrack *t = g_ptr_array_index(room->tracks, i);
    if (t->announced && (!party || g_strcmp0(t->owner->party, party)) && !has_down_for(rp, t->id))
      down_for_track(rp, t);
  }

  g_autofree MgSdpTrack *list = g_new0(MgSdpTrack, MAX(1, rp->downs->len));
  g_autoptr(GPtrArray) msids = g_ptr_array_new_with_free_func(g_free);
  json_t *map = json_array();
  for (guint i = 0; i < rp->downs->len; i++) {
    MgDownTrack *down = g_ptr_array_index(rp->downs, i);
    MgTrack *t = find_track(room, down->track_id);
    down->ended |= !t;
    char *msid = g_strdup_printf("%s %s", t && t->owner->party ? t->owner->party : "meetgate", down->track_id);
    g_ptr_array_add(msids, msid);
    list[i] = (MgSdpTrack){ down->kind, down->codec, down->ssrc, down->rtx_ssrc, "meetgate", msid, down->ended };
    char mid[16];
    g_snprintf(mid, sizeof mid, "%u", i);
    if (!down->ended)
      json_array_append_new(map,
                            json_pack("{s:s, s:s, s:s?, s:s}", "mid", mid, "track", down->track_id, "party",
                                      t->owner->party, "kind", down->kind == MG_SDP_KIND_AUDIO ? "audio" : "video"));
  }
  char *offer = mg_peer_offer(rp->peer, list, rp->downs->len, &local);
  if (!offer) {
    json_decref(map);
    g_set_error(error, MG_MEDIA_ERROR, MG_MEDIA_ERROR_SDP, "%s", local->message);
    return NULL;
  }
  *tracks = map;
  return offer;
}

gboolean
mg_room_subscribe_answer(MgRoom *room, const char *peer_id, const char *answer, GError **error)
{
  g_autoptr(GError) local = NULL;
  MgRoomPeer *rp = g_hash_table_lookup(room->peers, peer_id);
  if (!rp || !rp->offerer) {
    g_set_error(error, MG_MEDIA_ERROR, MG_MEDIA_ERROR_NO_PEER, "no subscribe connection %s", peer_id);
    return FALSE;
  }
  if (!mg_peer_apply_answer(rp->peer, answer, &local)) {
    g_set_error(error, MG_MEDIA_ERROR, MG_MEDIA_ERROR_SDP, "%s", local->message);
    return FALSE;
  }
  const MgSdpSession *offer = mg_peer_get_offer(rp->peer);
  gint64 now = g_get_monotonic_time();
  for (guint i = 0; i < rp->downs->len; i++) {
    MgDownTrack *down = g_ptr_array_index(rp->downs, i);
    const MgSdpCodec *codec = i < offer->media->len ? mg_sdp_media_get_codec(offer->media->pdata[i]) : NULL;
    if (down->ended || !codec)
      continue;
    const MgSdpMedia *om = offer->media->pdata[i];
    down->pt = codec->pt;
    down->rtx_pt = codec->rtx_pt;
    down->ext_abs = om->ext_ids[MG_SDP_EXT_ABS_SEND_TIME];
    down->ext_level = om->ext_ids[MG_SDP_EXT_AUDIO_LEVEL];
    if (down->rtx_pt < 0)
      down->rtx_ssrc = 0;
    if (!down->source)
      mg_room_bind(room, down, find_track(room, down->track_id), now);
  }
  return TRUE;
}

gboolean
mg_room_set_layer(MgRoom *room, const char *peer_id, guint mline, gint layer)
{
  MgRoomPeer *rp = g_hash_table_lookup(room->peers, peer_id);
  for (guint i = 0; rp && rp->downs && i < rp->downs->len; i++) {
    MgDownTrack *down = g_ptr_array_index(rp->downs, i);
    if (down->mline == mline) {
      down->want_layer = layer < 0 ? -1 : MIN(layer, MG_MAX_LAYERS - 1);
      return TRUE;
    }
  }
  return FALSE;
}

gboolean
mg_room_add_candidate(MgRoom *room, const char *peer_id, const char *candidate)
{
  MgRoomPeer *rp = g_hash_table_lookup(room->peers, peer_id);
  return rp && rp->peer && mg_peer_add_candidate(rp->peer, candidate);
}

static void
room_peer_free(MgRoomPeer *rp)
{
  for (guint i = 0; rp->tracks && i < rp->tracks->len; i++)
    track_free(g_ptr_array_index(rp->tracks, i));
  for (guint i = 0; rp->downs && i < rp->downs->len; i++) {
    MgDownTrack *down = g_ptr_array_index(rp->downs, i);
    mg_rewrite_free(down->rw);
    g_free(down->track_id);
    g_free(down);
  }
  if (rp->local)
    mg_room_local_detach(rp);
  g_free(rp->local_id);
  g_free(rp->party);
  g_clear_pointer(&rp->tracks, g_ptr_array_unref);
  g_clear_pointer(&rp->downs, g_ptr_array_unref);
  g_clear_pointer(&rp->peer, mg_peer_free);
  g_free(rp);
}

/* Detaches rp from the room's forwarding, then frees it. */
static void
remove_peer(MgRoom *room, MgRoomPeer *rp, const char *reason, gboolean notify)
{
  g_autofree char *id = g_strdup(mg_room_peer_id(rp));
  g_hash_table_remove(room->peers, id); /* first, so no rebinding picks rp again */
  for (guint i = 0; rp->downs && i < rp->downs->len; i++)
    mg_room_bind(room, g_ptr_array_index(rp->downs, i), NULL, 0);
  unpublish(room, rp);
  if (rp->peer)
    mg_peer_close(rp->peer, reason);
  room_peer_free(rp);
  g_info("room %s: %s left (%s)", room->id, id, reason);
  if (notify)
    mg_room_emit(room, MG_MEDIA_EVENT_CLOSED, id, NULL, reason);
}

void
mg_room_remove_peer(MgRoom *room, const char *peer_id, const char *reason)
{
  MgRoomPeer *rp = g_hash_table_lookup(room->peers, peer_id);
  if (rp)
    remove_peer(room, rp, reason, TRUE);
  else /* never answered, or already gone: the engine still waits for the word */
    mg_room_emit(room, MG_MEDIA_EVENT_CLOSED, peer_id, NULL, reason);
}

/* ---- the room's clock ---- */

static gboolean
on_tick(gpointer data)
{
  MgRoom *room = data;
  gint64 now = g_get_monotonic_time();
  GPtrArray *gone = g_ptr_array_new();
  GHashTableIter it;
  gpointer value;

  g_hash_table_iter_init(&it, room->peers);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    MgRoomPeer *rp = value;
    if (!rp->peer) /* a local publisher: no connection to keep */
      continue;
    mg_peer_tick(rp->peer, now);
    if (rp->closing) {
      g_ptr_array_add(gone, rp);
      continue;
    }
    if (now - rp->last_rtcp_us >= MG_RTCP_INTERVAL_US) {
      rp->last_rtcp_us = now;
      mg_router_send_reports(room, rp, now);
    }
  }
  for (guint i = 0; i < gone->len; i++)
    remove_peer(room, g_ptr_array_index(gone, i), "connection lost", TRUE);
  g_ptr_array_unref(gone);
  mg_router_update_layers(room, now);
  mg_room_update_speaker(room, now);
  if (room->cfg.stats && now - room->last_stats_us >= G_USEC_PER_SEC) {
    room->last_stats_us = now;
    room->cfg.stats(room, mg_room_get_stats(room, now), room->cfg.user_data);
  }
  return G_SOURCE_CONTINUE;
}

MgRoom *
mg_room_new(const char *id, const MgRoomConfig *config)
{
  MgRoom *room = g_new0(MgRoom, 1);
  room->id = g_strdup(id);
  room->cfg = *config;
  room->peers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  room->tracks = g_ptr_array_new();
  room->taps = g_ptr_array_new();
  room->tick = g_timeout_source_new(100);
  g_source_set_callback(room->tick, on_tick, room, NULL);
  g_source_attach(room->tick, config->ctx);
  return room;
}

void
mg_room_free(MgRoom *room)
{
  if (!room)
    return;
  g_source_destroy(room->tick);
  g_source_unref(room->tick);
  mg_room_taps_close(room);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, room->peers);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    MgRoomPeer *rp = value;
    if (rp->peer)
      mg_peer_close(rp->peer, "room closed");
    g_hash_table_iter_remove(&it);
    room_peer_free(rp);
  }
  g_hash_table_unref(room->peers);
  g_ptr_array_unref(room->tracks);
  g_ptr_array_unref(room->taps);
  g_free(room->id);
  g_free(room);
}

const char *
mg_room_get_id(MgRoom *room)
{
  return room->id;
}

guint
mg_room_get_peer_count(MgRoom *room)
{
  return g_hash_table_size(room->peers);
}

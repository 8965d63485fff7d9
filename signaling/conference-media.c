/* SPDX-License-Identifier: MIT
 * A participant's media: the publish connection (client offers), the
 * subscribe connection (we offer, renegotiated as tracks come and go, one
 * offer outstanding at a time), trickle, mute and layer choice. */
#define G_LOG_DOMAIN "conference"
#include "signaling/conference-private.h"

#include <string.h>

/* Who an asynchronous media answer is for; the participant may have left meanwhile. */
typedef struct {
  MgConference *conf;
  char *room;
  char *participant;
  json_t *msg;
  gboolean had_peer;
} MgMediaCall;

static MgMediaCall *
call_new(MgConference *conf, MgParticipant *p, json_t *msg)
{
  MgMediaCall *c = g_new0(MgMediaCall, 1);
  c->conf = conf;
  c->room = g_strdup(p->room->def->id);
  c->participant = g_strdup(p->id);
  c->msg = msg ? json_incref(msg) : NULL;
  return c;
}

static MgParticipant *
call_participant(MgMediaCall *c)
{
  MgLiveRoom *room = g_hash_table_lookup(c->conf->rooms, c->room);
  return room ? mg_conf_find(room, c->participant) : NULL;
}

static void
call_free(MgMediaCall *c)
{
  g_free(c->room);
  g_free(c->participant);
  json_decref(c->msg);
  g_free(c);
}

MgPubTrack *
mg_conf_track_by_id(MgParticipant *p, const char *track_id)
{
  for (guint i = 0; track_id && i < p->tracks->len; i++) {
    MgPubTrack *t = g_ptr_array_index(p->tracks, i);
    if (!strcmp(t->id, track_id))
      return t;
  }
  return NULL;
}

/* ---- publish ---- */

static void
on_published(const char *peer, const char *answer, const GError *error, gpointer data)
{
  MgMediaCall *c = data;
  MgParticipant *p = call_participant(c);
  if (!p) {
    if (answer && !c->had_peer)
      mg_media_engine_close_peer(c->conf->cfg.engine, peer);
  } else if (!answer) {
    if (p->session)
      mg_session_error(p->session, c->msg, "bad_offer", "%s", error ? error->message : "the offer was refused");
  } else {
    if (!p->pub_peer) {
      p->pub_peer = g_strdup(peer);
      g_hash_table_insert(c->conf->peers, g_strdup(peer), p);
      /* Candidates the browser trickled while we were answering. */
      for (guint i = 0; i < p->early_candidates->len; i++)
        mg_media_engine_add_candidate(c->conf->cfg.engine, peer, g_ptr_array_index(p->early_candidates, i));
      g_ptr_array_set_size(p->early_candidates, 0);
    }
    if (p->session)
      mg_session_reply(p->session, c->msg, json_pack("{s:s, s:s}", "type", "publish_answer", "sdp", answer));
  }
  call_free(c);
}

void
mg_conf_on_publish(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s)
{
  MgParticipant *p;
  if (!mg_conf_require_joined(s, msg, &p))
    return;
  const char *sdp = json_string_value(json_object_get(msg, "sdp"));
  if (!sdp) {
    mg_session_error(s, msg, "bad_request", "publish needs a string \"sdp\" (an offer)");
    return;
  }
  if (!strcmp(p->role, "recorder")) {
    mg_session_error(s, msg, "not_allowed", "a recorder does not publish");
    return;
  }
  json_t *tracks = json_object_get(msg, "tracks"), *t;
  size_t i;
  json_array_foreach(tracks, i, t)
  {
    const char *mid = json_string_value(json_object_get(t, "mid"));
    const char *source = json_string_value(json_object_get(t, "source"));
    if (mid && source && (!strcmp(source, "microphone") || !strcmp(source, "camera") || !strcmp(source, "screen")))
      g_hash_table_replace(p->pending_sources, g_strdup(mid), g_strdup(source));
  }
  MgMediaCall *c = call_new(conf, p, msg);
  c->had_peer = p->pub_peer != NULL;
  if (p->pub_peer)
    mg_media_engine_republish(conf->cfg.engine, p->pub_peer, sdp, on_published, c);
  else
    mg_media_engine_publish(conf->cfg.engine, p->room->def->id, p->id, sdp, on_published, c);
}

/* ---- subscribe ---- */

static json_t *
describe_tracks(MgLiveRoom *room, json_t *media_tracks)
{
  json_t *out = json_array(), *t;
  size_t i;
  json_array_foreach(media_tracks, i, t)
  {
    const char *party = json_string_value(json_object_get(t, "party"));
    const char *track = json_string_value(json_object_get(t, "track"));
    MgParticipant *owner = mg_conf_find(room, party);
    MgPubTrack *pt = owner ? mg_conf_track_by_id(owner, track) : NULL;
    json_array_append_new(out, json_pack("{s:O, s:s, s:s?, s:O, s:s?}", "mid", json_object_get(t, "mid"), "track",
                                         track, "participant", party, "kind", json_object_get(t, "kind"), "source",
                                         pt ? pt->source : NULL));
  }
  return out;
}

static void
on_sub_offer(const char *peer, const char *offer, json_t *tracks, const GError *error, gpointer data)
{
  MgMediaCall *c = data;
  MgParticipant *p = call_participant(c);
  if (!p) {
    if (offer && !c->had_peer)
      mg_media_engine_close_peer(c->conf->cfg.engine, peer);
    call_free(c);
    return;
  }
  p->offer_requested = FALSE;
  if (!offer) {
    g_warning("room %s: no subscribe offer for %s: %s", c->room, p->id, error ? error->message : "?");
  } else {
    if (!p->sub_peer) {
      p->sub_peer = g_strdup(peer);
      g_hash_table_insert(c->conf->peers, g_strdup(peer), p);
    }
    json_decref(p->sub_tracks);
    p->sub_tracks = json_incref(tracks);
    p->offer_pending = TRUE;
    p->offer_again = FALSE;
    g_debug("room %s: subscribe offer to %s with %zu tracks", c->room, p->id, json_array_size(tracks));
    mg_conf_send(p, json_pack("{s:s, s:s, s:o}", "type", "subscribe_offer", "sdp", offer, "tracks",
                              describe_tracks(p->room, tracks)));
  }
  call_free(c);
}

/* Whether someone else in the room has media to offer. */
static gboolean
room_has_tracks_for(MgParticipant *p)
{
  for (guint i = 0; i < p->room->participants->len; i++) {
    MgParticipant *o = g_ptr_array_index(p->room->participants, i);
    if (o != p && !o->in_lobby && o->tracks->len)
      return TRUE;
  }
  return FALSE;
}

void
mg_conf_offer_subscription(MgConference *conf, MgParticipant *p)
{
  if (p->in_lobby || !p->session)
    return;
  if (p->offer_pending || p->offer_requested) {
    p->offer_again = TRUE;
    return;
  }
  if (!p->sub_peer && !room_has_tracks_for(p))
    return;
  p->offer_requested = TRUE;
  MgMediaCall *c = call_new(conf, p, NULL);
  c->had_peer = p->sub_peer != NULL;
  mg_media_engine_subscribe_offer(conf->cfg.engine, p->room->def->id, p->sub_peer, p->id, on_sub_offer, c);
}

static void
on_sub_answered(const char *peer, const char *unused, const GError *error, gpointer data)
{
  MgMediaCall *c = data;
  MgParticipant *p = call_participant(c);
  if (p) {
    p->offer_pending = FALSE;
    if (error && p->session)
      mg_session_error(p->session, c->msg, "bad_answer", "%s", error->message);
    if (p->offer_again) {
      p->offer_again = FALSE;
      mg_conf_offer_subscription(c->conf, p);
    }
  }
  call_free(c);
}

void
mg_conf_on_subscribe_answer(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s)
{
  MgParticipant *p;
  if (!mg_conf_require_joined(s, msg, &p))
    return;
  const char *sdp = json_string_value(json_object_get(msg, "sdp"));
  g_debug("room %s: subscribe answer from %s (pending %d)", p->room->def->id, p->id, p->offer_pending);
  if (!sdp || !p->sub_peer || !p->offer_pending) {
    mg_session_error(s, msg, "bad_request", !sdp ? "subscribe_answer needs a string \"sdp\"" : "no offer to answer");
    return;
  }
  mg_media_engine_subscribe_answer(conf->cfg.engine, p->sub_peer, sdp, on_sub_answered, call_new(conf, p, msg));
}

/* ---- trickle, mute, layers ---- */

void
mg_conf_on_candidate(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s)
{
  MgParticipant *p;
  if (!mg_conf_require_joined(s, msg, &p))
    return;
  const char *pc = json_string_value(json_object_get(msg, "pc"));
  json_t *cand = json_object_get(msg, "candidate");
  const char *peer = !g_strcmp0(pc, "publish") ? p->pub_peer : !g_strcmp0(pc, "subscribe") ? p->sub_peer : NULL;
  if (!pc || (!json_is_string(cand) && !json_is_null(cand))) {
    mg_session_error(s, msg, "bad_request", "candidate needs \"pc\" (publish|subscribe) and a \"candidate\"");
    return;
  }
  const char *text = json_string_value(cand);
  if (text && g_str_has_prefix(text, "a="))
    text += 2;
  if (text && !*text) /* an empty candidate ends the candidates (Firefox sends it) */
    text = NULL;
  if (!peer && !g_strcmp0(pc, "publish") && p->early_candidates->len < 64) {
    /* The publish answer is on its way: keep them for the connection. */
    g_ptr_array_add(p->early_candidates, g_strdup(text));
    return;
  }
  if (!peer || !mg_media_engine_add_candidate(conf->cfg.engine, peer, text))
    mg_session_error(s, msg, "bad_request", "cannot use that candidate now");
}

void
mg_conf_on_mute(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s)
{
  MgParticipant *p;
  if (!mg_conf_require_joined(s, msg, &p))
    return;
  const char *source = json_string_value(json_object_get(msg, "source"));
  json_t *muted = json_object_get(msg, "muted");
  if (!source || !json_is_boolean(muted)) {
    mg_session_error(s, msg, "bad_request", "mute needs \"source\" and a boolean \"muted\"");
    return;
  }
  for (guint i = 0; i < p->tracks->len; i++) {
    MgPubTrack *t = g_ptr_array_index(p->tracks, i);
    if (!strcmp(t->source, source))
      t->muted = json_is_true(muted);
  }
  mg_conf_broadcast(
      p->room,
      json_pack("{s:s, s:s, s:s, s:O}", "type", "muted", "participant", p->id, "source", source, "muted", muted), NULL);
}

void
mg_conf_on_layer(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s)
{
  MgParticipant *p;
  if (!mg_conf_require_joined(s, msg, &p))
    return;
  const char *track = json_string_value(json_object_get(msg, "track"));
  json_t *layer = json_object_get(msg, "layer");
  gint want = json_is_integer(layer) ? (gint)json_integer_value(layer) : -1;
  if (!track || (!json_is_integer(layer) && g_strcmp0(json_string_value(layer), "auto")) || want > 2) {
    mg_session_error(s, msg, "bad_request", "layer needs \"track\" and \"layer\" 0..2 or \"auto\"");
    return;
  }
  json_t *t;
  size_t i;
  json_array_foreach(p->sub_tracks, i, t)
  {
    if (!g_strcmp0(json_string_value(json_object_get(t, "track")), track)) {
      guint mline = g_ascii_strtoull(json_string_value(json_object_get(t, "mid")), NULL, 10);
      mg_media_engine_set_layer(conf->cfg.engine, p->sub_peer, mline, want);
      return;
    }
  }
  mg_session_error(s, msg, "bad_request", "you do not receive track %s", track);
}

/* ---- teardown ---- */

void
mg_conf_close_media(MgConference *conf, MgParticipant *p)
{
  gboolean had_tracks = p->tracks->len > 0;
  for (guint i = 0; i < p->tracks->len; i++) {
    MgPubTrack *t = g_ptr_array_index(p->tracks, i);
    if (t->live && !p->in_lobby)
      mg_conf_broadcast(
          p->room,
          json_pack("{s:s, s:s, s:{s:s}}", "type", "track_removed", "participant", p->id, "track", "id", t->id), p);
    mg_conf_track_free(t);
  }
  g_ptr_array_set_size(p->tracks, 0);
  char *peers[] = { p->pub_peer, p->sub_peer };
  for (guint i = 0; i < G_N_ELEMENTS(peers); i++) {
    if (!peers[i])
      continue;
    g_hash_table_remove(conf->peers, peers[i]);
    mg_media_engine_close_peer(conf->cfg.engine, peers[i]);
  }
  g_clear_pointer(&p->pub_peer, g_free);
  g_clear_pointer(&p->sub_peer, g_free);
  g_clear_pointer(&p->sub_tracks, json_decref);
  p->offer_pending = p->offer_again = p->offer_requested = FALSE;
  if (had_tracks)
    for (guint i = 0; i < p->room->participants->len; i++) {
      MgParticipant *o = g_ptr_array_index(p->room->participants, i);
      if (o != p && !o->in_lobby)
        mg_conf_offer_subscription(conf, o);
    }
}

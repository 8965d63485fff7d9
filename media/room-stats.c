/* SPDX-License-Identifier: MIT
 * What a room reports: the stats snapshot (JSON, built on the worker once a
 * second and handed to the control loop) and the active speaker. */
#define G_LOG_DOMAIN "room"
#include "media/room-private.h"

#include "media/sdp.h"

#define SPEAKER_HOLD_US (1000 * 1000) /* a new speaker must lead this long */
#define SILENCE_LEVEL 127

static const char *
kind_name(MgSdpKind kind)
{
  return kind == MG_SDP_KIND_AUDIO ? "audio" : kind == MG_SDP_KIND_VIDEO ? "video" : "other";
}

static const char *
codec_name(MgSdpCodecId id)
{
  static const char *const names[] = { "other", "opus", "VP8", "VP9", "H264", "rtx" };
  return id < G_N_ELEMENTS(names) ? names[id] : "other";
}

static const char *
state_name(MgPeerState s)
{
  static const char *const names[] = { "new", "connecting", "connected", "failed", "closed" };
  return s < G_N_ELEMENTS(names) ? names[s] : "unknown";
}

static json_t *
layer_json(const MgLayer *l)
{
  json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "rid", l->rid, "ssrc", (json_int_t)l->ssrc,
                        "packets", (json_int_t)l->packets, "bytes", (json_int_t)l->bytes, "bitrate",
                        (json_int_t)l->bitrate, "missing", (json_int_t)mg_nack_tracker_get_missing(l->loss), "lost",
                        (json_int_t)mg_nack_tracker_get_given_up(l->loss), "keyframes", (json_int_t)l->keyframes);
  json_object_set_new(o, "reordered", json_integer((json_int_t)mg_nack_tracker_get_reordered(l->loss)));
  return o;
}

static json_t *
track_json(const MgTrack *t, gint64 now)
{
  json_t *layers = json_array();
  gint64 last = 0;
  for (guint i = 0; i < t->n_layers; i++) {
    json_array_append_new(layers, layer_json(&t->layers[i]));
    last = MAX(last, t->layers[i].last_us);
  }
  json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:i, s:b}", "id", t->id, "mid", t->mid, "kind", kind_name(t->kind),
                        "codec", codec_name(t->codec), "layers", layers, "subscribers", (int)t->downs->len, "stalled",
                        last && now - last > G_USEC_PER_SEC);
  if (t->kind == MG_SDP_KIND_AUDIO && t->ext_level)
    json_object_set_new(j, "audio_level", json_integer(-(json_int_t)t->level));
  return j;
}

static json_t *
down_json(const MgDownTrack *d)
{
  json_t *j = json_pack("{s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:I, s:i}", "mline", (int)d->mline, "kind",
                        kind_name(d->kind), "ssrc", (json_int_t)d->ssrc, "packets", (json_int_t)d->packets, "bytes",
                        (json_int_t)d->bytes, "bitrate", (json_int_t)d->bitrate, "nacks", (json_int_t)d->nacks, "plis",
                        (json_int_t)d->plis, "retransmits", (json_int_t)d->retransmits, "loss",
                        d->rr_fraction_lost / 256.0, "jitter", (json_int_t)d->rr_jitter, "layer", (int)d->layer);
  json_object_set_new(j, "source", d->source ? json_string(d->source->id) : json_null());
  json_object_set_new(j, "rtt_ms", d->rtt_us >= 0 && d->sr_sent_us[0] ? json_real(d->rtt_us / 1000.0) : json_null());
  json_object_set_new(j, "remb", json_integer(d->remb));
  return j;
}

/* A local publisher (an ingest): no connection, only its tracks. */
static json_t *
local_json(const MgRoomPeer *rp, gint64 now)
{
  json_t *list = json_array();
  for (guint i = 0; rp->tracks && i < rp->tracks->len; i++)
    json_array_append_new(list, track_json(g_ptr_array_index(rp->tracks, i), now));
  return json_pack("{s:s, s:s, s:s, s:o}", "id", rp->local_id, "direction", "publish", "state", "local", "tracks",
                   list);
}

static json_t *
peer_json(const MgRoomPeer *rp, gint64 now)
{
  if (!rp->peer)
    return local_json(rp, now);
  const MgPeerStats *st = mg_peer_get_stats(rp->peer);
  const char *srtp = mg_peer_get_srtp_profile(rp->peer);
  json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "id", mg_peer_get_id(rp->peer),
                        "direction", rp->dir == MG_MEDIA_PUBLISH ? "publish" : "subscribe", "state",
                        state_name(mg_peer_get_state(rp->peer)), "packets_in", (json_int_t)st->packets_in, "bytes_in",
                        (json_int_t)st->bytes_in, "packets_out", (json_int_t)st->packets_out, "bytes_out",
                        (json_int_t)st->bytes_out, "srtp_errors", (json_int_t)st->srtp_errors, "dtls_errors",
                        (json_int_t)st->dtls_errors, "unknown_packets", (json_int_t)st->unknown_packets);
  json_object_set_new(j, "srtp_profile", srtp ? json_string(srtp) : json_null());
  json_t *list = json_array();
  for (guint i = 0; rp->tracks && i < rp->tracks->len; i++)
    json_array_append_new(list, track_json(g_ptr_array_index(rp->tracks, i), now));
  for (guint i = 0; rp->downs && i < rp->downs->len; i++)
    json_array_append_new(list, down_json(g_ptr_array_index(rp->downs, i)));
  json_object_set_new(j, rp->dir == MG_MEDIA_PUBLISH ? "tracks" : "streams", list);
  return j;
}

json_t *
mg_room_get_stats(MgRoom *room, gint64 now)
{
  json_t *peers = json_array();
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, room->peers);
  while (g_hash_table_iter_next(&it, NULL, &value))
    json_array_append_new(peers, peer_json(value, now));
  json_t *j = json_pack("{s:s, s:o, s:i}", "room", room->id, "peers", peers, "tracks", (int)room->tracks->len);
  json_object_set_new(j, "active_speaker", room->speaker ? json_string(room->speaker->id) : json_null());
  return j;
}

/* The loudest audio track that speaks, held for a second before it takes
 * over, so that a cough does not flip the layout. */
void
mg_room_update_speaker(MgRoom *room, gint64 now)
{
  MgTrack *loudest = NULL;
  for (guint i = 0; i < room->tracks->len; i++) {
    MgTrack *t = g_ptr_array_index(room->tracks, i);
    if (t->kind != MG_SDP_KIND_AUDIO || !t->ext_level)
      continue;
    gboolean fresh = t->layers[0].last_us && now - t->layers[0].last_us < 500 * 1000;
    /* Smooth towards the current loudness; silence when the track went quiet. */
    gdouble current = fresh && t->voice ? SILENCE_LEVEL - t->level : 0;
    t->loudness = 0.7 * t->loudness + 0.3 * current;
    if (t->loudness > 10 && (!loudest || t->loudness > loudest->loudness))
      loudest = t;
  }
  if (!loudest || loudest == room->speaker) {
    room->speaker_candidate = NULL;
    return;
  }
  if (loudest != room->speaker_candidate) {
    room->speaker_candidate = loudest;
    room->candidate_since_us = now;
    if (room->speaker) /* someone already speaks: the newcomer must hold */
      return;
  } else if (now - room->candidate_since_us < SPEAKER_HOLD_US) {
    return;
  }
  room->speaker = loudest;
  room->speaker_candidate = NULL;
  mg_room_emit(room, MG_MEDIA_EVENT_ACTIVE_SPEAKER, mg_room_peer_id(loudest->owner), loudest, NULL);
}

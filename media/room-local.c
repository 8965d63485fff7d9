/* SPDX-License-Identifier: MIT
 * Local publishers in a room: an ingest pipeline's RTP arrives on a queue
 * (media/local.c); a wake-up source on the room's worker drains it into the
 * router, and the router's keyframe requests go back to the publisher. */
#define G_LOG_DOMAIN "room"
#include "media/local-private.h"
#include "media/room-private.h"

#include <string.h>

#define LOCAL_DRAIN_MAX 256 /* packets per dispatch, so other sources get a turn */

static MgSdpCodecId
codec_id(const char *encoding)
{
  if (!g_strcmp0(encoding, "VP8"))
    return MG_SDP_CODEC_VP8;
  if (!g_strcmp0(encoding, "VP9"))
    return MG_SDP_CODEC_VP9;
  if (!g_strcmp0(encoding, "H264"))
    return MG_SDP_CODEC_H264;
  if (!g_strcmp0(encoding, "OPUS"))
    return MG_SDP_CODEC_OPUS;
  return MG_SDP_CODEC_OTHER;
}

static MgTrack *
local_track_new(MgRoomPeer *rp, guint index, const MgMediaLocalTrack *lt)
{
  MgTrack *t = g_new0(MgTrack, 1);
  t->owner = rp;
  t->mid = g_strdup_printf("%u", index);
  t->id = g_strdup_printf("%s-%u", rp->local_id, index);
  t->kind = !g_strcmp0(lt->kind, "audio") ? MG_SDP_KIND_AUDIO : MG_SDP_KIND_VIDEO;
  t->codec = codec_id(lt->encoding);
  t->pt = lt->pt;
  t->rtx_pt = -1;
  t->clock_rate = lt->clock_rate;
  t->local_index = index;
  t->downs = g_ptr_array_new();
  t->n_layers = 1;
  MgNackTrackerConfig nc = {
    .window = 512, .max_tries = 5, .delay_us = 5000, .retry_us = 50000, .max_age_us = 1000000
  };
  t->layers[0].nack = mg_nack_buffer_new(MG_NACK_BUFFER);
  t->layers[0].loss = mg_nack_tracker_new(&nc);
  return t;
}

static gboolean
local_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
  MgRoomPeer *rp = data;
  MgLocalPacket *pkt;
  guint n = 0;
  g_source_set_ready_time(source, -1);
  while (n++ < LOCAL_DRAIN_MAX && (pkt = mg_media_local_pop(rp->local))) {
    MgTrack *t = pkt->index < rp->tracks->len ? g_ptr_array_index(rp->tracks, pkt->index) : NULL;
    if (t)
      mg_router_on_local_rtp(rp, t, pkt->data, pkt->len);
    g_free(pkt);
  }
  if (n > LOCAL_DRAIN_MAX) /* more left: come back at once */
    g_source_set_ready_time(source, 0);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs local_source_funcs = { .dispatch = local_dispatch };

void
mg_room_add_local(MgRoom *room, MgMediaLocal *local, const char *party)
{
  MgRoomPeer *rp = g_new0(MgRoomPeer, 1);
  rp->room = room;
  rp->dir = MG_MEDIA_PUBLISH;
  rp->party = g_strdup(party);
  rp->local_id = g_strdup(mg_media_local_get_peer(local));
  rp->local = mg_media_local_ref(local);
  rp->tracks = g_ptr_array_new();
  for (guint i = 0; i < mg_media_local_get_n_tracks(local); i++) {
    MgTrack *t = local_track_new(rp, i, mg_media_local_get_track(local, i));
    g_ptr_array_add(rp->tracks, t);
    g_ptr_array_add(room->tracks, t);
  }
  rp->local_wake = g_source_new(&local_source_funcs, sizeof(GSource));
  g_source_set_callback(rp->local_wake, NULL, rp, NULL);
  g_source_set_name(rp->local_wake, "meetgate local publisher");
  g_source_attach(rp->local_wake, room->cfg.ctx);
  g_source_set_ready_time(rp->local_wake, 0); /* packets may be queued already */
  mg_media_local_set_wake(local, rp->local_wake);
  g_hash_table_insert(room->peers, g_strdup(rp->local_id), rp);
  g_info("room %s: local publisher %s joined with %u tracks", room->id, rp->local_id, rp->tracks->len);
}

void
mg_room_local_detach(MgRoomPeer *rp)
{
  mg_media_local_set_wake(rp->local, NULL);
  g_source_destroy(rp->local_wake);
  g_clear_pointer(&rp->local_wake, g_source_unref);
  g_clear_pointer(&rp->local, mg_media_local_unref);
}

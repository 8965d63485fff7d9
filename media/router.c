/* SPDX-License-Identifier: MIT
 * The forwarding path: a publisher's RTP goes to every subscriber m-line that
 * follows its track (rewritten to the subscriber's own SSRC, seq and
 * timestamp); subscribers' feedback (NACK, PLI, FIR, REMB, RR) is answered
 * from the retransmission buffers or carried to the publisher. */
#define G_LOG_DOMAIN "router"
#include "media/local-private.h"
#include "media/room-private.h"

#include <string.h>

/* ---- header extensions ---- */

/* The publisher's extension ids mean nothing to the subscriber: keep
 * abs-send-time and the audio level under the subscriber's ids, and zero the
 * rest (zero bytes are padding in both extension forms). */
static void
map_extensions(guint8 *out, const MgRtpHeader *hdr, const MgTrack *t, const MgDownTrack *down)
{
  guint8 *p = out + hdr->ext_offset, *end = p + hdr->ext_len;
  if (hdr->ext_profile != MG_RTP_EXT_ONE_BYTE || (!down->ext_abs && !down->ext_level)) {
    memset(p, 0, hdr->ext_len);
    return;
  }
  while (p < end) {
    if (!*p) {
      p++;
      continue;
    }
    guint id = *p >> 4, len = (*p & 0x0f) + 1;
    if (id == 15 || p + 1 + len > end) {
      memset(p, 0, end - p);
      return;
    }
    guint8 to = id == t->ext_abs ? down->ext_abs : id == t->ext_level ? down->ext_level : 0;
    if (to)
      *p = to << 4 | (*p & 0x0f);
    else
      memset(p, 0, 1 + len);
    p += 1 + len;
  }
}

/* ---- publisher side ---- */

static MgLayer *
find_layer(MgRoomPeer *rp, guint32 ssrc, MgTrack **track, gboolean *rtx)
{
  for (guint i = 0; i < rp->tracks->len; i++) {
    MgTrack *t = g_ptr_array_index(rp->tracks, i);
    for (guint l = 0; l < t->n_layers; l++) {
      if (t->layers[l].ssrc == ssrc || (t->layers[l].rtx_ssrc && t->layers[l].rtx_ssrc == ssrc)) {
        *track = t;
        *rtx = t->layers[l].rtx_ssrc == ssrc;
        return &t->layers[l];
      }
    }
  }
  return NULL;
}

/* A packet from an SSRC we have not seen: the mid and rid header extensions
 * (or the only track of its payload type) say where it belongs. */
static MgLayer *
learn_ssrc(MgRoomPeer *rp, const guint8 *buf, const MgRtpHeader *hdr, MgTrack **track, gboolean *rtx)
{
  char mid[32] = "", rid[32] = "";
  for (guint i = 0; i < rp->tracks->len; i++) {
    MgTrack *t = g_ptr_array_index(rp->tracks, i);
    gboolean is_rtx = t->rtx_pt >= 0 && hdr->pt == t->rtx_pt;
    if (hdr->pt != t->pt && !is_rtx)
      continue;
    if (t->ext_mid && mg_rtp_ext_get_string(buf, hdr, t->ext_mid, mid, sizeof mid) >= 0 && strcmp(mid, t->mid))
      continue;
    guint l = 0;
    if (t->n_layers > 1) {
      guint8 id = is_rtx ? t->ext_rrid : t->ext_rid;
      if (!id || mg_rtp_ext_get_string(buf, hdr, id, rid, sizeof rid) < 0)
        continue;
      for (l = 0; l < t->n_layers && strcmp(t->layers[l].rid, rid); l++)
        ;
      if (l == t->n_layers)
        continue;
    }
    MgLayer *layer = &t->layers[l];
    if (is_rtx && !layer->rtx_ssrc)
      layer->rtx_ssrc = hdr->ssrc;
    else if (!is_rtx && !layer->ssrc)
      layer->ssrc = hdr->ssrc;
    else if ((is_rtx ? layer->rtx_ssrc : layer->ssrc) != hdr->ssrc)
      continue;
    *track = t;
    *rtx = is_rtx;
    return layer;
  }
  return NULL;
}

static gboolean
is_keyframe(const MgTrack *t, const guint8 *payload, gsize len)
{
  switch (t->codec) {
  case MG_SDP_CODEC_VP8: {
    MgVp8Descriptor d;
    return mg_rewrite_vp8_parse(payload, len, &d) == 0 && d.keyframe;
  }
  case MG_SDP_CODEC_H264:
    return mg_rewrite_h264_is_keyframe(payload, len);
  case MG_SDP_CODEC_VP9:
    return mg_rewrite_vp9_is_keyframe(payload, len);
  default:
    return TRUE;
  }
}

void
mg_router_request_keyframe(MgTrack *track, gint64 now_us, gboolean force)
{
  if (track->kind != MG_SDP_KIND_VIDEO)
    return;
  if (!force && now_us - track->last_pli_us < MG_PLI_INTERVAL_US)
    return;
  track->last_pli_us = now_us;
  MgRoomPeer *pub = track->owner;
  if (pub->local) { /* an ingest pipeline: it forces a key unit on its encoder */
    mg_media_local_request_keyframe(pub->local, track->local_index);
    return;
  }
  for (guint l = 0; l < track->n_layers; l++) {
    guint8 pkt[64 + MG_PEER_HEADROOM];
    if (!track->layers[l].ssrc)
      continue;
    int n = mg_rtcp_build_pli(pkt, 64, pub->rtcp_ssrc, track->layers[l].ssrc);
    if (n > 0)
      mg_peer_send_rtcp(pub->peer, pkt, n);
  }
}

static void
send_nacks(MgRoomPeer *pub, MgLayer *layer, gint64 now_us)
{
  guint16 seqs[MG_MAX_NACKS];
  guint n = mg_nack_tracker_collect(layer->loss, now_us, seqs, G_N_ELEMENTS(seqs));
  if (!n)
    return;
  guint8 pkt[512 + MG_PEER_HEADROOM];
  int len = mg_rtcp_build_nack(pkt, 512, pub->rtcp_ssrc, layer->ssrc, seqs, n);
  if (len > 0)
    mg_peer_send_rtcp(pub->peer, pkt, len);
}

/* RFC 4588: the original sequence number leads the RTX payload. */
static gboolean
unwrap_rtx(guint8 *buf, gsize *len, MgRtpHeader *hdr, const MgTrack *t, const MgLayer *layer)
{
  if (hdr->payload_len < 2)
    return FALSE;
  guint8 *p = buf + hdr->payload_offset;
  guint16 osn = p[0] << 8 | p[1];
  memmove(p, p + 2, *len - hdr->payload_offset - 2);
  *len -= 2;
  mg_rtp_set_seq(buf, osn);
  mg_rtp_set_pt(buf, t->pt);
  mg_rtp_set_ssrc(buf, layer->ssrc);
  return mg_rtp_parse(buf, *len, hdr) == 0;
}

static void
forward(MgRoom *room, MgTrack *t, guint l, const guint8 *buf, gsize len, const MgRtpHeader *hdr, gboolean key,
        gint64 now)
{
  for (guint i = 0; i < t->downs->len; i++) {
    MgDownTrack *down = g_ptr_array_index(t->downs, i);
    if (down->target_layer == (gint)l && key) {
      down->layer = l;
      down->target_layer = -1;
      mg_rewrite_force_switch(down->rw);
    }
    if (down->layer != l || mg_peer_get_state(down->sub->peer) != MG_PEER_CONNECTED)
      continue;
    if (down->need_keyframe) {
      if (!key) {
        mg_router_request_keyframe(t, now, FALSE);
        continue;
      }
      down->need_keyframe = FALSE;
    }
    guint8 *out = room->buf;
    memcpy(out, buf, len);
    if (hdr->ext_len)
      map_extensions(out, hdr, t, down);
    int rc = mg_rewrite_packet(down->rw, out, hdr, now);
    if (rc < 0)
      continue;
    mg_rtp_set_pt(out, down->pt);
    guint16 out_seq = out[2] << 8 | out[3];
    if (rc == 1 || !down->mapped) {
      down->mapped = TRUE;
      down->epoch_seq = out_seq;
    }
    down->seq_delta = out_seq - hdr->seq;
    down->ts_delta = ((guint32)out[4] << 24 | (guint32)out[5] << 16 | (guint32)out[6] << 8 | out[7]) - hdr->ts;
    if (mg_peer_send_rtp(down->sub->peer, out, len) == 0) {
      down->packets++;
      down->bytes += len;
      down->window_bytes += len;
    }
  }
}

static void route(MgRoom *room, MgTrack *t, guint l, guint8 *buf, gsize len, const MgRtpHeader *hdr, gint64 now,
                  MgRoomPeer *nack_to);

void
mg_router_on_rtp(MgPeer *peer, guint8 *buf, gsize len, gpointer user_data)
{
  MgRoomPeer *rp = user_data;
  MgRoom *room = rp->room;
  MgRtpHeader hdr;
  MgTrack *t = NULL;
  gboolean rtx = FALSE;

  if (rp->dir != MG_MEDIA_PUBLISH || mg_rtp_parse(buf, len, &hdr) < 0)
    return;
  MgLayer *layer = find_layer(rp, hdr.ssrc, &t, &rtx);
  if (!layer)
    layer = learn_ssrc(rp, buf, &hdr, &t, &rtx);
  if (!layer)
    return;
  if (rtx && !unwrap_rtx(buf, &len, &hdr, t, layer))
    return;
  if (hdr.payload_len == 0)
    return; /* padding-only probe */

  gint64 now = g_get_monotonic_time();
  guint l = layer - t->layers;
  route(room, t, l, buf, len, &hdr, now, rp);
}

void
mg_router_on_local_rtp(MgRoomPeer *rp, MgTrack *t, guint8 *buf, gsize len)
{
  MgRtpHeader hdr;
  if (mg_rtp_parse(buf, len, &hdr) < 0 || hdr.payload_len == 0)
    return;
  MgLayer *layer = &t->layers[0];
  if (layer->ssrc != hdr.ssrc) /* the first packet, or the pipeline restarted */
    layer->ssrc = hdr.ssrc;
  route(rp->room, t, 0, buf, len, &hdr, g_get_monotonic_time(), NULL);
}

/* Counts, keeps for retransmission, forwards and taps one packet of track t;
 * asks nack_to (a remote publisher) for what is missing. */
static void
route(MgRoom *room, MgTrack *t, guint l, guint8 *buf, gsize len, const MgRtpHeader *hdr, gint64 now,
      MgRoomPeer *nack_to)
{
  MgLayer *layer = &t->layers[l];
  layer->packets++;
  layer->bytes += len;
  layer->window_bytes += len;
  layer->last_us = now;
  mg_nack_buffer_store(layer->nack, hdr->seq, buf, len, now);
  mg_nack_tracker_on_packet(layer->loss, hdr->seq, now);
  if (nack_to)
    send_nacks(nack_to, layer, now);
  if (t->ext_level)
    mg_rtp_ext_get_audio_level(buf, hdr, t->ext_level, &t->level, &t->voice);
  if (!t->announced)
    mg_room_track_started(room, t);

  gboolean key = t->kind != MG_SDP_KIND_VIDEO || is_keyframe(t, buf + hdr->payload_offset, hdr->payload_len);
  if (key && t->kind == MG_SDP_KIND_VIDEO)
    layer->keyframes++;
  forward(room, t, l, buf, len, hdr, key, now);
  if (room->taps->len)
    mg_room_taps_packet(room, t, l, buf, len, now);
}

/* ---- subscriber feedback ---- */

static MgDownTrack *
find_down(MgRoomPeer *rp, guint32 ssrc)
{
  for (guint i = 0; rp->downs && i < rp->downs->len; i++) {
    MgDownTrack *d = g_ptr_array_index(rp->downs, i);
    if (d->ssrc == ssrc)
      return d;
  }
  return NULL;
}

static void
retransmit(MgRoom *room, MgDownTrack *down, guint16 out_seq)
{
  if (!down->source || !down->mapped || (guint16)(out_seq - down->epoch_seq) >= 0x8000)
    return;
  MgLayer *layer = &down->source->layers[down->layer];
  const guint8 *data;
  size_t len;
  gint64 stored;
  if (mg_nack_buffer_lookup(layer->nack, (guint16)(out_seq - down->seq_delta), &data, &len, &stored) < 0)
    return;
  MgRtpHeader hdr;
  if (mg_rtp_parse(data, len, &hdr) < 0)
    return;
  guint8 *out = room->buf;
  gsize n = len;
  if (down->rtx_ssrc && down->rtx_pt >= 0) {
    /* RTX: our own SSRC and sequence, the original seq in front of the payload. */
    memcpy(out, data, hdr.payload_offset);
    out[hdr.payload_offset] = out_seq >> 8;
    out[hdr.payload_offset + 1] = out_seq & 0xff;
    memcpy(out + hdr.payload_offset + 2, data + hdr.payload_offset, len - hdr.payload_offset);
    n = len + 2;
    mg_rtp_set_ssrc(out, down->rtx_ssrc);
    mg_rtp_set_seq(out, down->rtx_seq++);
    mg_rtp_set_pt(out, down->rtx_pt);
  } else {
    memcpy(out, data, len);
    mg_rtp_set_ssrc(out, down->ssrc);
    mg_rtp_set_seq(out, out_seq);
    mg_rtp_set_pt(out, down->pt);
  }
  mg_rtp_set_ts(out, hdr.ts + down->ts_delta);
  if (hdr.ext_len)
    memset(out + hdr.ext_offset, 0, hdr.ext_len);
  if (down->source->codec == MG_SDP_CODEC_VP8) {
    gsize at = hdr.payload_offset + (n - len); /* past the OSN for RTX */
    mg_rewrite_vp8_retransmit(down->rw, out + at, hdr.payload_len);
  }
  if (mg_peer_send_rtp(down->sub->peer, out, n) == 0)
    down->retransmits++;
}

static void
on_feedback(MgRoom *room, MgRoomPeer *rp, const MgRtcpPacket *pkt, gint64 now)
{
  MgRtcpFb fb;
  if (mg_rtcp_fb_parse(pkt, &fb) < 0)
    return;
  MgDownTrack *down = NULL;
  switch (pkt->type) {
  case MG_RTCP_TYPE_NACK: {
    guint16 seqs[256];
    int n = mg_rtcp_nack_expand(pkt, seqs, G_N_ELEMENTS(seqs));
    if (!(down = find_down(rp, fb.media_ssrc)))
      return;
    down->nacks++;
    for (int i = 0; i < n; i++)
      retransmit(room, down, seqs[i]);
    break;
  }
  case MG_RTCP_TYPE_PLI:
    if ((down = find_down(rp, fb.media_ssrc)) && down->source) {
      down->plis++;
      mg_router_request_keyframe(down->source, now, FALSE);
    }
    break;
  case MG_RTCP_TYPE_FIR:
    for (int i = 0; i < mg_rtcp_fir_count(pkt); i++) {
      guint32 ssrc;
      guint8 seq;
      if (mg_rtcp_fir_get(pkt, i, &ssrc, &seq) == 0 && (down = find_down(rp, ssrc)) && down->source) {
        down->plis++;
        mg_router_request_keyframe(down->source, now, FALSE);
      }
    }
    break;
  case MG_RTCP_TYPE_REMB: {
    MgRtcpRemb remb;
    if (mg_rtcp_remb_parse(pkt, &remb) < 0)
      return;
    for (guint i = 0; i < remb.n_ssrc; i++)
      if ((down = find_down(rp, mg_rtcp_remb_get_ssrc(&remb, i))))
        down->remb = MIN(remb.bitrate, G_MAXUINT32);
    /* A REMB that names no SSRC of ours applies to the whole connection. */
    if (!remb.n_ssrc)
      for (guint i = 0; rp->downs && i < rp->downs->len; i++)
        ((MgDownTrack *)g_ptr_array_index(rp->downs, i))->remb = MIN(remb.bitrate, G_MAXUINT32);
    break;
  }
  default:
    break;
  }
}

static void
on_report_blocks(MgRoomPeer *rp, const MgRtcpPacket *pkt, gint64 now)
{
  MgRtcpReportBlock rb;
  for (guint i = 0; mg_rtcp_get_report_block(pkt, i, &rb) == 0; i++) {
    MgDownTrack *down = find_down(rp, rb.ssrc);
    if (!down)
      continue;
    down->rr_fraction_lost = rb.fraction_lost;
    down->rr_cumulative_lost = rb.cumulative_lost;
    down->rr_jitter = rb.jitter;
    /* RTT (RFC 3550 6.4.1) from when we sent the SR it names; DLSR is in 1/65536 s. */
    for (guint k = 0; rb.lsr && k < G_N_ELEMENTS(down->sr_lsr); k++)
      if (down->sr_lsr[k] == rb.lsr)
        down->rtt_us = MAX(0, now - down->sr_sent_us[k] - (gint64)rb.dlsr * G_USEC_PER_SEC / 65536);
  }
}

static void
on_sender_report(MgRoomPeer *rp, const MgRtcpPacket *pkt, gint64 now)
{
  MgRtcpSr sr;
  MgTrack *t;
  gboolean rtx;
  if (!rp->tracks || mg_rtcp_sr_parse(pkt, &sr) < 0)
    return;
  MgLayer *layer = find_layer(rp, sr.ssrc, &t, &rtx);
  if (layer && !rtx) {
    layer->sr_ntp = sr.ntp;
    layer->sr_rtp_ts = sr.rtp_ts;
    layer->sr_at_us = now;
  }
}

void
mg_router_on_rtcp(MgPeer *peer, guint8 *buf, gsize len, gpointer user_data)
{
  MgRoomPeer *rp = user_data;
  MgRtcpIter it;
  MgRtcpPacket pkt;
  gint64 now = g_get_monotonic_time();

  mg_rtcp_iter_init(&it, buf, len);
  while (mg_rtcp_iter_next(&it, &pkt) > 0) {
    switch (pkt.type) {
    case MG_RTCP_TYPE_SR:
      on_sender_report(rp, &pkt, now);
      on_report_blocks(rp, &pkt, now);
      break;
    case MG_RTCP_TYPE_RR:
      on_report_blocks(rp, &pkt, now);
      break;
    case MG_RTCP_TYPE_NACK:
    case MG_RTCP_TYPE_PLI:
    case MG_RTCP_TYPE_FIR:
    case MG_RTCP_TYPE_REMB:
      on_feedback(rp->room, rp, &pkt, now);
      break;
    default:
      break;
    }
  }
}

/* ---- periodic reports ---- */

/* The bitrate we let a publisher use: what its slowest subscriber can take,
 * within bounds. */
static guint32
publisher_budget(MgRoomPeer *rp)
{
  guint32 budget = 0;
  for (guint i = 0; i < rp->tracks->len; i++) {
    MgTrack *t = g_ptr_array_index(rp->tracks, i);
    for (guint d = 0; d < t->downs->len; d++) {
      MgDownTrack *down = g_ptr_array_index(t->downs, d);
      if (down->remb && (!budget || down->remb < budget))
        budget = down->remb;
    }
  }
  if (!budget)
    budget = 2500000;
  /* With simulcast the slow subscriber takes a lower layer: don't starve the top one. */
  return CLAMP(budget, 300000, 2500000);
}

void
mg_router_send_reports(MgRoom *room, MgRoomPeer *rp, gint64 now)
{
  guint8 pkt[512 + MG_PEER_HEADROOM];
  if (rp->dir == MG_MEDIA_PUBLISH) {
    MgRtcpReportBlock blocks[8] = { 0 };
    guint32 ssrcs[8];
    guint n = 0, n_ssrcs = 0;
    for (guint i = 0; i < rp->tracks->len; i++) {
      MgTrack *t = g_ptr_array_index(rp->tracks, i);
      for (guint l = 0; l < t->n_layers && n < G_N_ELEMENTS(blocks); l++) {
        if (!t->layers[l].ssrc)
          continue;
        blocks[n++] = (MgRtcpReportBlock){ .ssrc = t->layers[l].ssrc };
        if (t->kind == MG_SDP_KIND_VIDEO)
          ssrcs[n_ssrcs++] = t->layers[l].ssrc;
      }
    }
    int len = mg_rtcp_build_rr(pkt, 512, rp->rtcp_ssrc, blocks, n);
    if (len > 0 && n_ssrcs) {
      int r = mg_rtcp_build_remb(pkt + len, 512 - len, rp->rtcp_ssrc, publisher_budget(rp), ssrcs, n_ssrcs);
      if (r > 0)
        len += r;
    }
    if (len > 0)
      mg_peer_send_rtcp(rp->peer, pkt, len);
    return;
  }
  /* Subscribers: a sender report per forwarded stream, on the source's clock. */
  for (guint i = 0; rp->downs && i < rp->downs->len; i++) {
    MgDownTrack *down = g_ptr_array_index(rp->downs, i);
    if (!down->source || !down->mapped)
      continue;
    MgLayer *layer = &down->source->layers[down->layer];
    if (!layer->sr_at_us)
      continue;
    gint64 since = now - layer->sr_at_us;
    MgRtcpSr sr = {
      .ssrc = down->ssrc,
      .ntp = layer->sr_ntp + (guint64)((since << 32) / G_USEC_PER_SEC),
      .rtp_ts = layer->sr_rtp_ts + down->ts_delta + (guint32)(since * down->source->clock_rate / G_USEC_PER_SEC),
      .packet_count = (guint32)down->packets,
      .octet_count = (guint32)down->bytes,
    };
    int len = mg_rtcp_build_sr(pkt, 512, &sr, NULL, 0);
    if (len > 0 && mg_peer_send_rtcp(rp->peer, pkt, len) == 0) {
      down->sr_lsr[down->sr_next] = (guint32)(sr.ntp >> 16);
      down->sr_sent_us[down->sr_next] = now;
      down->sr_next = (down->sr_next + 1) % G_N_ELEMENTS(down->sr_lsr);
    }
  }
}

/* Once a second: measure each layer's bitrate; pick each automatic subscriber's
 * layer from its bandwidth estimate. */
void
mg_router_update_layers(MgRoom *room, gint64 now)
{
  for (guint i = 0; i < room->tracks->len; i++) {
    MgTrack *t = g_ptr_array_index(room->tracks, i);
    for (guint l = 0; l < t->n_layers; l++) {
      MgLayer *layer = &t->layers[l];
      if (now - layer->window_start_us < G_USEC_PER_SEC)
        continue;
      if (layer->window_start_us)
        layer->bitrate = layer->window_bytes * 8 * G_USEC_PER_SEC / (now - layer->window_start_us);
      layer->window_start_us = now;
      layer->window_bytes = 0;
    }
    for (guint d = 0; d < t->downs->len; d++) {
      MgDownTrack *down = g_ptr_array_index(t->downs, d);
      if (now - down->window_start_us < G_USEC_PER_SEC)
        continue;
      if (down->window_start_us)
        down->bitrate = down->window_bytes * 8 * G_USEC_PER_SEC / (now - down->window_start_us);
      down->window_start_us = now;
      down->window_bytes = 0;
    }
    if (t->n_layers < 2)
      continue;
    /* The layers that flow now, by measured bitrate, lowest first: a sender
     * may list its rids in any order and drops layers when it is short of
     * bandwidth. */
    guint order[MG_MAX_LAYERS], n = 0;
    for (guint l = 0; l < t->n_layers; l++) {
      if (!t->layers[l].ssrc || now - t->layers[l].last_us > G_USEC_PER_SEC / 2)
        continue;
      guint at = n++;
      while (at > 0 && t->layers[order[at - 1]].bitrate > t->layers[l].bitrate) {
        order[at] = order[at - 1];
        at--;
      }
      order[at] = l;
    }
    if (!n)
      continue;
    for (guint d = 0; d < t->downs->len; d++) {
      MgDownTrack *down = g_ptr_array_index(t->downs, d);
      guint rank = n - 1; /* the best, unless the estimate says less */
      if (down->want_layer >= 0)
        rank = MIN((guint)down->want_layer, n - 1);
      else
        while (down->remb && rank > 0 && t->layers[order[rank]].bitrate > down->remb)
          rank--;
      gint want = order[rank];
      if (want != (gint)down->layer && want != down->target_layer) {
        down->target_layer = want;
        mg_router_request_keyframe(t, now, TRUE);
      }
    }
  }
}

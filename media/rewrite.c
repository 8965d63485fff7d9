/* SPDX-License-Identifier: MIT
 * Per-subscriber rewriting of seq, timestamp, SSRC and VP8 picture numbering,
 * so that source switches look like one continuous stream; plus keyframe
 * detection for VP8, VP9 and H.264. */
#include "media/rewrite.h"

#include <errno.h>

struct MgRewriter {
  guint32 out_ssrc;
  guint32 clock_rate;
  MgRewriteCodec codec;

  gboolean started;
  gboolean force_switch;
  guint32 src_ssrc;
  guint16 seq_offset;
  guint32 ts_offset;
  guint16 seg_first_seq; /* outbound seq of the segment's first packet */

  /* The newest packet forwarded: highest outbound seq. */
  guint16 last_seq;
  guint32 last_ts;
  gint64 last_us;

  /* VP8 numbering (width of the newest packet's source). */
  gboolean have_picture_id;
  gboolean have_tl0picidx;
  guint16 picture_id_offset;
  guint8 tl0picidx_offset;
  guint16 last_picture_id;
  guint8 last_tl0picidx;
};

MgRewriter *
mg_rewrite_new(guint32 out_ssrc, guint32 clock_rate, MgRewriteCodec codec)
{
  g_return_val_if_fail(clock_rate > 0, NULL);
  MgRewriter *rw = g_new0(MgRewriter, 1);
  rw->out_ssrc = out_ssrc;
  rw->clock_rate = clock_rate;
  rw->codec = codec;
  return rw;
}

void
mg_rewrite_free(MgRewriter *rw)
{
  g_free(rw);
}

void
mg_rewrite_force_switch(MgRewriter *rw)
{
  rw->force_switch = TRUE;
}

guint32
mg_rewrite_get_ssrc(MgRewriter *rw)
{
  return rw->out_ssrc;
}

/* Anchors a new segment so that hdr's packet follows the last one forwarded. */
static void
start_segment(MgRewriter *rw, const MgRtpHeader *hdr, const MgVp8Descriptor *vp8, gint64 now_us)
{
  guint16 next_seq = rw->started ? (guint16)(rw->last_seq + 1) : hdr->seq;
  guint32 next_ts = hdr->ts;
  if (rw->started) {
    gint64 gap_us = MAX(now_us - rw->last_us, 0);
    guint64 ticks = (guint64)gap_us * rw->clock_rate / G_USEC_PER_SEC;
    next_ts = rw->last_ts + (guint32)MAX(ticks, 1);
  }
  rw->seq_offset = (guint16)(next_seq - hdr->seq);
  rw->ts_offset = next_ts - hdr->ts;
  rw->seg_first_seq = next_seq;
  rw->src_ssrc = hdr->ssrc;
  rw->force_switch = FALSE;
  if (vp8 && vp8->has_picture_id)
    rw->picture_id_offset = rw->have_picture_id ? (guint16)(rw->last_picture_id + 1 - vp8->picture_id) : 0;
  if (vp8 && vp8->has_tl0picidx)
    rw->tl0picidx_offset = rw->have_tl0picidx ? (guint8)(rw->last_tl0picidx + 1 - vp8->tl0picidx) : 0;
}

static void
rewrite_vp8(MgRewriter *rw, guint8 *payload, const MgVp8Descriptor *d, gboolean newest)
{
  if (d->has_picture_id) {
    guint16 mask = d->picture_id_bits == 15 ? 0x7fff : 0x7f;
    guint16 pic = (d->picture_id + rw->picture_id_offset) & mask;
    mg_rewrite_vp8_set_picture_id(payload, d, pic);
    if (newest || !rw->have_picture_id) {
      rw->last_picture_id = pic;
      rw->have_picture_id = TRUE;
    }
  }
  if (d->has_tl0picidx) {
    guint8 tl0 = d->tl0picidx + rw->tl0picidx_offset;
    mg_rewrite_vp8_set_tl0picidx(payload, d, tl0);
    if (newest || !rw->have_tl0picidx) {
      rw->last_tl0picidx = tl0;
      rw->have_tl0picidx = TRUE;
    }
  }
}

int
mg_rewrite_packet(MgRewriter *rw, guint8 *buf, const MgRtpHeader *hdr, gint64 now_us)
{
  MgVp8Descriptor vp8;
  const MgVp8Descriptor *d = NULL;
  int switched = 0;
  if (rw->codec == MG_REWRITE_CODEC_VP8) {
    if (mg_rewrite_vp8_parse(buf + hdr->payload_offset, hdr->payload_len, &vp8) < 0)
      return -EINVAL;
    d = &vp8;
  }
  if (!rw->started || rw->force_switch || hdr->ssrc != rw->src_ssrc) {
    start_segment(rw, hdr, d, now_us);
    switched = 1;
  }
  guint16 seq = hdr->seq + rw->seq_offset;
  if ((gint16)(seq - rw->seg_first_seq) < 0)
    return -ESTALE; /* older than the switch: its number belongs to the previous source */
  guint32 ts = hdr->ts + rw->ts_offset;
  gboolean newest = !rw->started || (gint16)(seq - rw->last_seq) > 0;
  if (newest) {
    rw->last_seq = seq;
    rw->last_ts = ts;
    rw->last_us = now_us;
  }
  rw->started = TRUE;
  mg_rtp_set_seq(buf, seq);
  mg_rtp_set_ts(buf, ts);
  mg_rtp_set_ssrc(buf, rw->out_ssrc);
  if (d)
    rewrite_vp8(rw, buf + hdr->payload_offset, d, newest);
  return switched;
}

int
mg_rewrite_vp8_parse(const guint8 *payload, size_t len, MgVp8Descriptor *desc)
{
  const guint8 *p = payload;
  size_t i = 1;
  if (len < 1)
    return -EINVAL;
  *desc = (MgVp8Descriptor){ 0 };
  desc->non_ref = (p[0] >> 5) & 1;
  desc->start = (p[0] >> 4) & 1;
  desc->partition = p[0] & 0x07;
  if (p[0] & 0x80) {
    if (len < 2)
      return -EINVAL;
    guint8 x = p[i++];
    if (x & 0x80) { /* I */
      if (i >= len)
        return -EINVAL;
      desc->has_picture_id = TRUE;
      desc->picture_id_offset = i;
      if (p[i] & 0x80) { /* M: 15 bits */
        if (i + 1 >= len)
          return -EINVAL;
        desc->picture_id_bits = 15;
        desc->picture_id = (guint16)((p[i] & 0x7f) << 8 | p[i + 1]);
        i += 2;
      } else {
        desc->picture_id_bits = 7;
        desc->picture_id = p[i++];
      }
    }
    if (x & 0x40) { /* L */
      if (i >= len)
        return -EINVAL;
      desc->has_tl0picidx = TRUE;
      desc->tl0picidx_offset = i;
      desc->tl0picidx = p[i++];
    }
    if (x & 0x30) { /* T or K share one byte */
      if (i >= len)
        return -EINVAL;
      desc->has_tid = (x & 0x20) != 0;
      desc->has_keyidx = (x & 0x10) != 0;
      desc->tid = desc->has_tid ? p[i] >> 6 : 0;
      desc->layer_sync = desc->has_tid && ((p[i] >> 5) & 1);
      desc->keyidx = desc->has_keyidx ? p[i] & 0x1f : 0;
      i++;
    }
  }
  if (i >= len)
    return -EINVAL;
  desc->size = i;
  desc->keyframe = desc->start && desc->partition == 0 && !(p[i] & 0x01);
  return 0;
}

void
mg_rewrite_vp8_set_picture_id(guint8 *payload, const MgVp8Descriptor *desc, guint16 picture_id)
{
  guint8 *p = payload + desc->picture_id_offset;
  if (!desc->has_picture_id)
    return;
  if (desc->picture_id_bits == 15) {
    p[0] = 0x80 | ((picture_id >> 8) & 0x7f);
    p[1] = picture_id & 0xff;
  } else {
    p[0] = picture_id & 0x7f;
  }
}

void
mg_rewrite_vp8_set_tl0picidx(guint8 *payload, const MgVp8Descriptor *desc, guint8 tl0picidx)
{
  if (desc->has_tl0picidx)
    payload[desc->tl0picidx_offset] = tl0picidx;
}

static inline gboolean
h264_key_nal(guint8 type)
{
  return type == 5 || type == 7;
}

gboolean
mg_rewrite_h264_is_keyframe(const guint8 *payload, size_t len)
{
  if (len < 1)
    return FALSE;
  guint8 type = payload[0] & 0x1f;
  if (type >= 1 && type <= 23)
    return h264_key_nal(type);
  if (type == 24) { /* STAP-A: [size16][NAL]... */
    for (size_t i = 1; i + 2 < len;) {
      size_t n = (size_t)payload[i] << 8 | payload[i + 1];
      i += 2;
      if (n == 0 || i + n > len)
        return FALSE;
      if (h264_key_nal(payload[i] & 0x1f))
        return TRUE;
      i += n;
    }
    return FALSE;
  }
  if (type == 28) /* FU-A: the start fragment carries the NAL type */
    return len >= 2 && (payload[1] & 0x80) && h264_key_nal(payload[1] & 0x1f);
  return FALSE;
}

gboolean
mg_rewrite_vp9_is_keyframe(const guint8 *payload, size_t len)
{
  if (len < 1)
    return FALSE;
  guint8 b = payload[0];
  gboolean has_pic = b & 0x80, inter = b & 0x40, has_layer = b & 0x20, begin = b & 0x08;
  size_t i = 1;
  if (has_pic) {
    if (i >= len)
      return FALSE;
    i += (payload[i] & 0x80) ? 2 : 1;
    if (i > len)
      return FALSE;
  }
  guint sid = 0;
  if (has_layer) {
    if (i >= len)
      return FALSE;
    sid = (payload[i] >> 1) & 0x07;
  }
  return !inter && begin && sid == 0;
}

int
mg_rewrite_vp8_retransmit(MgRewriter *rw, guint8 *payload, size_t len)
{
  MgVp8Descriptor d;
  int rc = mg_rewrite_vp8_parse(payload, len, &d);
  if (rc < 0)
    return rc;
  if (d.has_picture_id)
    mg_rewrite_vp8_set_picture_id(payload, &d,
                                  (d.picture_id + rw->picture_id_offset) & (d.picture_id_bits == 15 ? 0x7fff : 0x7f));
  if (d.has_tl0picidx)
    mg_rewrite_vp8_set_tl0picidx(payload, &d, d.tl0picidx + rw->tl0picidx_offset);
  return 0;
}

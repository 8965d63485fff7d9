/* SPDX-License-Identifier: MIT
 * RTCP compound parsing, accessors, builders and feedback SSRC rewriting.
 * Everything works on the caller's buffer; nothing allocates. */
#include "media/rtcp.h"

#include <errno.h>
#include <string.h>

#define REMB_ID 0x52454d42u /* "REMB" */

static inline guint16
rd16(const guint8 *p)
{
  return (guint16)(p[0] << 8 | p[1]);
}

static inline guint32
rd32(const guint8 *p)
{
  return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

static inline void
wr16(guint8 *p, guint16 v)
{
  p[0] = v >> 8;
  p[1] = v & 0xff;
}

static inline void
wr32(guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = (v >> 16) & 0xff;
  p[2] = (v >> 8) & 0xff;
  p[3] = v & 0xff;
}

static MgRtcpType
classify(const guint8 *p, size_t len)
{
  guint8 fmt = p[0] & 0x1f;
  switch (p[1]) {
  case MG_RTCP_SR:
    return MG_RTCP_TYPE_SR;
  case MG_RTCP_RR:
    return MG_RTCP_TYPE_RR;
  case MG_RTCP_SDES:
    return MG_RTCP_TYPE_SDES;
  case MG_RTCP_BYE:
    return MG_RTCP_TYPE_BYE;
  case MG_RTCP_APP:
    return MG_RTCP_TYPE_APP;
  case MG_RTCP_RTPFB:
    return fmt == 1 ? MG_RTCP_TYPE_NACK : fmt == 15 ? MG_RTCP_TYPE_TWCC : MG_RTCP_TYPE_RTPFB;
  case MG_RTCP_PSFB:
    if (fmt == 1)
      return MG_RTCP_TYPE_PLI;
    if (fmt == 4)
      return MG_RTCP_TYPE_FIR;
    if (fmt == 15 && len >= 16 && rd32(p + 12) == REMB_ID)
      return MG_RTCP_TYPE_REMB;
    return MG_RTCP_TYPE_PSFB;
  default:
    return MG_RTCP_TYPE_UNKNOWN;
  }
}

void
mg_rtcp_iter_init(MgRtcpIter *it, const guint8 *buf, size_t len)
{
  it->buf = buf;
  it->len = len;
  it->offset = 0;
}

int
mg_rtcp_iter_next(MgRtcpIter *it, MgRtcpPacket *pkt)
{
  size_t left = it->len - it->offset;
  if (left == 0)
    return 0;
  const guint8 *p = it->buf + it->offset;
  if (left < 4 || (p[0] >> 6) != 2)
    goto bad;
  size_t plen = 4 * ((size_t)rd16(p + 2) + 1);
  if (plen > left)
    goto bad;
  pkt->data = p;
  pkt->offset = it->offset;
  pkt->len = plen;
  pkt->count = p[0] & 0x1f;
  pkt->pt = p[1];
  pkt->padding = (p[0] >> 5) & 1;
  if (pkt->padding) {
    guint8 pad = p[plen - 1];
    if (pad == 0 || pad > plen - 4)
      goto bad;
    pkt->len -= pad;
  }
  pkt->type = classify(p, pkt->len);
  it->offset += plen;
  return 1;
bad:
  it->offset = it->len; /* stop: lengths after a bad one mean nothing */
  return -EINVAL;
}

int
mg_rtcp_validate(const guint8 *buf, size_t len)
{
  MgRtcpIter it;
  MgRtcpPacket pkt;
  int r;
  if (len < 4)
    return -EINVAL;
  mg_rtcp_iter_init(&it, buf, len);
  while ((r = mg_rtcp_iter_next(&it, &pkt)) > 0) {
    if (pkt.padding && it.offset != len)
      return -EINVAL;
  }
  return r;
}

int
mg_rtcp_sr_parse(const MgRtcpPacket *pkt, MgRtcpSr *sr)
{
  if (pkt->pt != MG_RTCP_SR || pkt->len < 28 + 24u * pkt->count)
    return -EINVAL;
  const guint8 *p = pkt->data;
  sr->ssrc = rd32(p + 4);
  sr->ntp = (guint64)rd32(p + 8) << 32 | rd32(p + 12);
  sr->rtp_ts = rd32(p + 16);
  sr->packet_count = rd32(p + 20);
  sr->octet_count = rd32(p + 24);
  return 0;
}

int
mg_rtcp_rr_parse(const MgRtcpPacket *pkt, guint32 *ssrc)
{
  if (pkt->pt != MG_RTCP_RR || pkt->len < 8 + 24u * pkt->count)
    return -EINVAL;
  *ssrc = rd32(pkt->data + 4);
  return 0;
}

/* Offset of the first report block, or 0 when pkt carries none. */
static size_t
report_blocks_offset(const MgRtcpPacket *pkt)
{
  size_t off = pkt->pt == MG_RTCP_SR ? 28 : pkt->pt == MG_RTCP_RR ? 8 : 0;
  if (off == 0 || pkt->len < off + 24u * pkt->count)
    return 0;
  return off;
}

int
mg_rtcp_get_report_block(const MgRtcpPacket *pkt, guint index, MgRtcpReportBlock *rb)
{
  size_t off = report_blocks_offset(pkt);
  if (off == 0 || index >= pkt->count)
    return -EINVAL;
  const guint8 *p = pkt->data + off + 24 * index;
  rb->ssrc = rd32(p);
  rb->fraction_lost = p[4];
  guint32 lost = (guint32)p[5] << 16 | (guint32)p[6] << 8 | p[7];
  rb->cumulative_lost = (lost & 0x800000) ? (gint32)lost - 0x1000000 : (gint32)lost;
  rb->highest_seq = rd32(p + 8);
  rb->jitter = rd32(p + 12);
  rb->lsr = rd32(p + 16);
  rb->dlsr = rd32(p + 20);
  return 0;
}

int
mg_rtcp_bye_get_ssrc(const MgRtcpPacket *pkt, guint index, guint32 *ssrc)
{
  if (pkt->pt != MG_RTCP_BYE || index >= pkt->count || pkt->len < 8 + 4u * index)
    return -EINVAL;
  *ssrc = rd32(pkt->data + 4 + 4 * index);
  return 0;
}

int
mg_rtcp_fb_parse(const MgRtcpPacket *pkt, MgRtcpFb *fb)
{
  if ((pkt->pt != MG_RTCP_RTPFB && pkt->pt != MG_RTCP_PSFB) || pkt->len < 12)
    return -EINVAL;
  fb->sender_ssrc = rd32(pkt->data + 4);
  fb->media_ssrc = rd32(pkt->data + 8);
  fb->fci = pkt->data + 12;
  fb->fci_len = pkt->len - 12;
  return 0;
}

int
mg_rtcp_nack_expand(const MgRtcpPacket *pkt, guint16 *seqs, guint max)
{
  MgRtcpFb fb;
  if (pkt->type != MG_RTCP_TYPE_NACK || mg_rtcp_fb_parse(pkt, &fb) < 0 || fb.fci_len % 4)
    return -EINVAL;
  guint n = 0;
  for (size_t i = 0; i + 4 <= fb.fci_len; i += 4) {
    guint16 pid = rd16(fb.fci + i), blp = rd16(fb.fci + i + 2);
    if (n < max)
      seqs[n++] = pid;
    for (guint b = 0; b < 16; b++) {
      if ((blp & (1u << b)) && n < max)
        seqs[n++] = (guint16)(pid + b + 1);
    }
  }
  return (int)n;
}

int
mg_rtcp_fir_count(const MgRtcpPacket *pkt)
{
  MgRtcpFb fb;
  if (pkt->type != MG_RTCP_TYPE_FIR || mg_rtcp_fb_parse(pkt, &fb) < 0)
    return -EINVAL;
  return (int)(fb.fci_len / 8);
}

int
mg_rtcp_fir_get(const MgRtcpPacket *pkt, guint index, guint32 *ssrc, guint8 *seq_nr)
{
  int n = mg_rtcp_fir_count(pkt);
  if (n < 0 || index >= (guint)n)
    return -EINVAL;
  const guint8 *p = pkt->data + 12 + 8 * index;
  *ssrc = rd32(p);
  *seq_nr = p[4];
  return 0;
}

int
mg_rtcp_remb_parse(const MgRtcpPacket *pkt, MgRtcpRemb *remb)
{
  MgRtcpFb fb;
  if (pkt->type != MG_RTCP_TYPE_REMB || mg_rtcp_fb_parse(pkt, &fb) < 0 || fb.fci_len < 8)
    return -EINVAL;
  const guint8 *p = fb.fci;
  guint n = p[4];
  if (fb.fci_len < 8 + 4u * n)
    return -EINVAL;
  guint exp = p[5] >> 2;
  guint64 mantissa = (guint64)(p[5] & 0x03) << 16 | (guint64)p[6] << 8 | p[7];
  /* 18-bit mantissa << 63 overflows: saturate instead of wrapping. */
  remb->bitrate = exp > 46 ? G_MAXUINT64 : mantissa << exp;
  remb->n_ssrc = n;
  remb->ssrcs = p + 8;
  return 0;
}

/* Writes the common header of a packet of total length len (a multiple of 4). */
static void
put_header(guint8 *buf, guint8 count, guint8 pt, size_t len)
{
  buf[0] = 0x80 | (count & 0x1f);
  buf[1] = pt;
  wr16(buf + 2, (guint16)(len / 4 - 1));
}

static void
put_report_block(guint8 *p, const MgRtcpReportBlock *rb)
{
  guint32 lost = (guint32)CLAMP(rb->cumulative_lost, -0x800000, 0x7fffff) & 0xffffff;
  wr32(p, rb->ssrc);
  p[4] = rb->fraction_lost;
  p[5] = lost >> 16;
  p[6] = (lost >> 8) & 0xff;
  p[7] = lost & 0xff;
  wr32(p + 8, rb->highest_seq);
  wr32(p + 12, rb->jitter);
  wr32(p + 16, rb->lsr);
  wr32(p + 20, rb->dlsr);
}

int
mg_rtcp_build_rr(guint8 *buf, size_t size, guint32 ssrc, const MgRtcpReportBlock *blocks, guint n)
{
  size_t len = 8 + 24 * (size_t)n;
  if (n > 31 || len > size)
    return -ENOSPC;
  put_header(buf, n, MG_RTCP_RR, len);
  wr32(buf + 4, ssrc);
  for (guint i = 0; i < n; i++)
    put_report_block(buf + 8 + 24 * i, &blocks[i]);
  return (int)len;
}

int
mg_rtcp_build_sr(guint8 *buf, size_t size, const MgRtcpSr *sr, const MgRtcpReportBlock *blocks, guint n)
{
  size_t len = 28 + 24 * (size_t)n;
  if (n > 31 || len > size)
    return -ENOSPC;
  put_header(buf, n, MG_RTCP_SR, len);
  wr32(buf + 4, sr->ssrc);
  wr32(buf + 8, sr->ntp >> 32);
  wr32(buf + 12, sr->ntp & 0xffffffff);
  wr32(buf + 16, sr->rtp_ts);
  wr32(buf + 20, sr->packet_count);
  wr32(buf + 24, sr->octet_count);
  for (guint i = 0; i < n; i++)
    put_report_block(buf + 28 + 24 * i, &blocks[i]);
  return (int)len;
}

static int
build_fb(guint8 *buf, size_t size, guint8 fmt, guint8 pt, guint32 sender, guint32 media, size_t fci_len)
{
  size_t len = 12 + fci_len;
  if (len > size || len > 4 * 65536)
    return -ENOSPC;
  put_header(buf, fmt, pt, len);
  wr32(buf + 4, sender);
  wr32(buf + 8, media);
  return (int)len;
}

int
mg_rtcp_build_pli(guint8 *buf, size_t size, guint32 sender_ssrc, guint32 media_ssrc)
{
  return build_fb(buf, size, 1, MG_RTCP_PSFB, sender_ssrc, media_ssrc, 0);
}

int
mg_rtcp_build_fir(guint8 *buf, size_t size, guint32 sender_ssrc, guint32 media_ssrc, guint8 seq_nr)
{
  /* RFC 5104: the header's media source SSRC is 0; the target is in the FCI. */
  int len = build_fb(buf, size, 4, MG_RTCP_PSFB, sender_ssrc, 0, 8);
  if (len < 0)
    return len;
  wr32(buf + 12, media_ssrc);
  buf[16] = seq_nr;
  buf[17] = buf[18] = buf[19] = 0;
  return len;
}

/* Packs seqs greedily into PID/BLP items at fci (NULL: only count them). */
static guint
pack_nack(guint8 *fci, const guint16 *seqs, guint n)
{
  guint items = 0;
  guint16 pid = 0, blp = 0;
  for (guint i = 0; i < n; i++) {
    guint16 d = (guint16)(seqs[i] - pid);
    if (items > 0 && d == 0)
      continue;
    if (items > 0 && d <= 16) {
      blp |= 1u << (d - 1);
      if (fci)
        wr16(fci + 4 * (items - 1) + 2, blp);
      continue;
    }
    pid = seqs[i];
    blp = 0;
    if (fci) {
      wr16(fci + 4 * items, pid);
      wr16(fci + 4 * items + 2, 0);
    }
    items++;
  }
  return items;
}

int
mg_rtcp_build_nack(guint8 *buf, size_t size, guint32 sender_ssrc, guint32 media_ssrc, const guint16 *seqs, guint n)
{
  if (n == 0)
    return -EINVAL;
  int len = build_fb(buf, size, 1, MG_RTCP_RTPFB, sender_ssrc, media_ssrc, 4 * (size_t)pack_nack(NULL, seqs, n));
  if (len < 0)
    return len;
  pack_nack(buf + 12, seqs, n);
  return len;
}

int
mg_rtcp_build_remb(guint8 *buf, size_t size, guint32 sender_ssrc, guint64 bitrate, const guint32 *ssrcs, guint n)
{
  if (n > 255)
    return -EINVAL;
  int len = build_fb(buf, size, 15, MG_RTCP_PSFB, sender_ssrc, 0, 8 + 4 * (size_t)n);
  if (len < 0)
    return len;
  guint exp = 0;
  while (bitrate >= (1u << 18)) {
    bitrate >>= 1;
    exp++;
  }
  wr32(buf + 12, REMB_ID);
  buf[16] = n;
  buf[17] = (guint8)(exp << 2 | (bitrate >> 16));
  wr16(buf + 18, bitrate & 0xffff);
  for (guint i = 0; i < n; i++)
    wr32(buf + 20 + 4 * i, ssrcs[i]);
  return len;
}

static int
map_at(guint8 *p, MgRtcpSsrcMap map, gpointer user_data)
{
  guint32 mapped;
  if (!map(rd32(p), &mapped, user_data))
    return 0;
  wr32(p, mapped);
  return 1;
}

/* Rewrites the media SSRCs of one packet; p is the writable packet. */
static int
rewrite_packet(guint8 *p, const MgRtcpPacket *pkt, MgRtcpSsrcMap map, gpointer user_data)
{
  int n = 0;
  size_t off;
  MgRtcpRemb remb;
  switch (pkt->type) {
  case MG_RTCP_TYPE_SR:
  case MG_RTCP_TYPE_RR:
    off = report_blocks_offset(pkt);
    if (off == 0)
      return -EINVAL;
    for (guint i = 0; i < pkt->count; i++)
      n += map_at(p + off + 24 * i, map, user_data);
    return n;
  case MG_RTCP_TYPE_FIR:
    for (size_t i = 12; i + 8 <= pkt->len; i += 8)
      n += map_at(p + i, map, user_data);
    return n;
  case MG_RTCP_TYPE_REMB:
    if (mg_rtcp_remb_parse(pkt, &remb) < 0)
      return -EINVAL;
    for (guint i = 0; i < remb.n_ssrc; i++)
      n += map_at(p + 20 + 4 * i, map, user_data);
    return n;
  case MG_RTCP_TYPE_NACK:
  case MG_RTCP_TYPE_TWCC:
  case MG_RTCP_TYPE_PLI:
  case MG_RTCP_TYPE_RTPFB:
  case MG_RTCP_TYPE_PSFB:
    if (pkt->len < 12)
      return -EINVAL;
    return map_at(p + 8, map, user_data);
  default:
    return 0;
  }
}

int
mg_rtcp_rewrite_media_ssrcs(guint8 *buf, size_t len, MgRtcpSsrcMap map, gpointer user_data)
{
  MgRtcpIter it;
  MgRtcpPacket pkt;
  int r, total = 0;
  mg_rtcp_iter_init(&it, buf, len);
  while ((r = mg_rtcp_iter_next(&it, &pkt)) > 0) {
    int n = rewrite_packet(buf + pkt.offset, &pkt, map, user_data);
    if (n < 0)
      return n;
    total += n;
  }
  return r < 0 ? r : total;
}

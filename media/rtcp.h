/* SPDX-License-Identifier: MIT
 * RTCP (RFC 3550, 4585, 5104, REMB draft): iterate a compound packet in place,
 * typed accessors, builders into a caller buffer, and feedback SSRC rewriting. */
#pragma once

#include <glib.h>
#include <stddef.h>

G_BEGIN_DECLS

#define MG_RTCP_SR 200
#define MG_RTCP_RR 201
#define MG_RTCP_SDES 202
#define MG_RTCP_BYE 203
#define MG_RTCP_APP 204
#define MG_RTCP_RTPFB 205
#define MG_RTCP_PSFB 206

typedef enum {
  MG_RTCP_TYPE_UNKNOWN = 0,
  MG_RTCP_TYPE_SR,
  MG_RTCP_TYPE_RR,
  MG_RTCP_TYPE_SDES,
  MG_RTCP_TYPE_BYE,
  MG_RTCP_TYPE_APP,
  MG_RTCP_TYPE_NACK,  /* RTPFB FMT 1 */
  MG_RTCP_TYPE_TWCC,  /* RTPFB FMT 15 */
  MG_RTCP_TYPE_PLI,   /* PSFB FMT 1 */
  MG_RTCP_TYPE_FIR,   /* PSFB FMT 4 */
  MG_RTCP_TYPE_REMB,  /* PSFB FMT 15 with "REMB" */
  MG_RTCP_TYPE_RTPFB, /* other transport feedback */
  MG_RTCP_TYPE_PSFB,  /* other payload-specific feedback */
} MgRtcpType;

/* One packet of a compound; data points into the caller's buffer. */
typedef struct {
  const guint8 *data; /* the common header */
  size_t offset;      /* of data in the compound, for in-place rewriting */
  size_t len;         /* whole packet, header included, padding excluded */
  guint8 count;       /* RC / SC / FMT */
  guint8 pt;
  gboolean padding;
  MgRtcpType type;
} MgRtcpPacket;

typedef struct {
  const guint8 *buf;
  size_t len;
  size_t offset;
} MgRtcpIter;

typedef struct {
  guint32 ssrc;
  guint8 fraction_lost;
  gint32 cumulative_lost; /* 24-bit signed */
  guint32 highest_seq;    /* extended */
  guint32 jitter;
  guint32 lsr;
  guint32 dlsr;
} MgRtcpReportBlock;

typedef struct {
  guint32 ssrc;
  guint64 ntp; /* 32.32 fixed point */
  guint32 rtp_ts;
  guint32 packet_count;
  guint32 octet_count;
} MgRtcpSr;

/* RFC 4585 common feedback header. */
typedef struct {
  guint32 sender_ssrc;
  guint32 media_ssrc;
  const guint8 *fci;
  size_t fci_len;
} MgRtcpFb;

typedef struct {
  guint64 bitrate; /* bits per second: mantissa << exp */
  guint n_ssrc;
  const guint8 *ssrcs; /* n_ssrc big-endian words; see mg_rtcp_remb_get_ssrc() */
} MgRtcpRemb;

/* Rewrites a media-source SSRC; return FALSE to leave it unchanged. */
typedef gboolean (*MgRtcpSsrcMap)(guint32 ssrc, guint32 *mapped, gpointer user_data);

/* Checks a whole compound: version 2 everywhere, length fields that add up
 * exactly to len, padding only in the last packet. Returns 0 or -EINVAL. */
int mg_rtcp_validate(const guint8 *buf, size_t len);

void mg_rtcp_iter_init(MgRtcpIter *it, const guint8 *buf, size_t len);
/* Fills pkt with the next packet. Returns 1 for a packet, 0 at the end, and
 * -EINVAL for a malformed one (the iteration then stops). */
int mg_rtcp_iter_next(MgRtcpIter *it, MgRtcpPacket *pkt);

/* Typed accessors; each returns 0 or -EINVAL (wrong type or truncated). */
int mg_rtcp_sr_parse(const MgRtcpPacket *pkt, MgRtcpSr *sr);
/* Sender SSRC of an RR. */
int mg_rtcp_rr_parse(const MgRtcpPacket *pkt, guint32 *ssrc);
/* Report block index (< pkt->count) of an SR or an RR. */
int mg_rtcp_get_report_block(const MgRtcpPacket *pkt, guint index, MgRtcpReportBlock *rb);
/* SSRC index (< pkt->count) of a BYE. */
int mg_rtcp_bye_get_ssrc(const MgRtcpPacket *pkt, guint index, guint32 *ssrc);
/* Common header of any RTPFB / PSFB packet (NACK, TWCC, PLI, FIR, REMB...). */
int mg_rtcp_fb_parse(const MgRtcpPacket *pkt, MgRtcpFb *fb);
/* Expands the PID/BLP items of a generic NACK into sequence numbers, in
 * packet order. Writes at most max (more are dropped); returns the count. */
int mg_rtcp_nack_expand(const MgRtcpPacket *pkt, guint16 *seqs, guint max);
/* Number of FIR entries, and entry index (SSRC and command sequence number). */
int mg_rtcp_fir_count(const MgRtcpPacket *pkt);
int mg_rtcp_fir_get(const MgRtcpPacket *pkt, guint index, guint32 *ssrc, guint8 *seq_nr);
int mg_rtcp_remb_parse(const MgRtcpPacket *pkt, MgRtcpRemb *remb);

static inline guint32
mg_rtcp_remb_get_ssrc(const MgRtcpRemb *remb, guint index)
{
  const guint8 *p = remb->ssrcs + 4 * index;
  return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

/* Builders write one packet into buf and return its length, or -ENOSPC. */
int mg_rtcp_build_rr(guint8 *buf, size_t size, guint32 ssrc, const MgRtcpReportBlock *blocks, guint n);
int mg_rtcp_build_sr(guint8 *buf, size_t size, const MgRtcpSr *sr, const MgRtcpReportBlock *blocks, guint n);
int mg_rtcp_build_pli(guint8 *buf, size_t size, guint32 sender_ssrc, guint32 media_ssrc);
int mg_rtcp_build_fir(guint8 *buf, size_t size, guint32 sender_ssrc, guint32 media_ssrc, guint8 seq_nr);
/* Packs seqs into PID/BLP items; ascending seqs pack tightest. -EINVAL if n == 0. */
int mg_rtcp_build_nack(guint8 *buf, size_t size, guint32 sender_ssrc, guint32 media_ssrc, const guint16 *seqs, guint n);
/* bitrate is rounded down to an 18-bit mantissa. */
int mg_rtcp_build_remb(guint8 *buf, size_t size, guint32 sender_ssrc, guint64 bitrate, const guint32 *ssrcs, guint n);

/* Rewrites every media-source SSRC of a compound in place: feedback media
 * SSRC, FIR entries, REMB SSRC lists and report-block SSRCs. Returns the
 * number of SSRCs changed, or -EINVAL for a malformed compound (the packets
 * before the bad one may already be rewritten). */
int mg_rtcp_rewrite_media_ssrcs(guint8 *buf, size_t len, MgRtcpSsrcMap map, gpointer user_data);

G_END_DECLS

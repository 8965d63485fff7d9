/* SPDX-License-Identifier: MIT
 * RTP (RFC 3550) header parsing in place, RFC 8285 header extensions,
 * in-place field rewriting and the RFC 7983 / RFC 5761 first-byte demux. */
#pragma once

#include <glib.h>
#include <stddef.h>

G_BEGIN_DECLS

#define MG_RTP_HEADER_MIN 12
#define MG_RTP_EXT_ONE_BYTE 0xBEDE
/* Two-byte profile: 0x100 followed by 4 application bits. */
#define MG_RTP_EXT_TWO_BYTE 0x1000

/* The fixed header and the layout of one RTP packet. Offsets are from the
 * start of the packet; nothing is copied out of the payload. */
typedef struct {
  guint8 version;
  gboolean padding;
  gboolean extension;
  gboolean marker;
  guint8 pt;
  guint8 csrc_count;
  guint16 seq;
  guint32 ts;
  guint32 ssrc;
  guint16 ext_profile; /* 0 when there is no extension */
  guint32 ext_offset;  /* first byte of the extension data, after its 4-byte header */
  guint32 ext_len;     /* bytes of extension data */
  guint32 payload_offset;
  guint32 payload_len;
  guint8 padding_len;
} MgRtpHeader;

typedef enum {
  MG_RTP_DEMUX_UNKNOWN = 0,
  MG_RTP_DEMUX_STUN,
  MG_RTP_DEMUX_DTLS,
  MG_RTP_DEMUX_RTP, /* RTP or RTCP; tell them apart with mg_rtp_is_rtcp() */
} MgRtpDemuxClass;

/* Parses the header of the RTP packet in buf. Returns 0, or -EINVAL for a bad
 * version, a truncated packet or inconsistent CSRC/extension/padding lengths. */
int mg_rtp_parse(const guint8 *buf, size_t len, MgRtpHeader *hdr);

/* RFC 5761: TRUE when the packet on a muxed port is RTCP (PT byte 192..223). */
static inline gboolean
mg_rtp_is_rtcp(const guint8 *buf, size_t len)
{
  return len >= 2 && buf[1] >= 192 && buf[1] <= 223;
}

/* RFC 7983: classifies a datagram by its first byte. */
static inline MgRtpDemuxClass
mg_rtp_demux_class(guint8 first_byte)
{
  if (first_byte <= 3)
    return MG_RTP_DEMUX_STUN;
  if (first_byte >= 20 && first_byte <= 63)
    return MG_RTP_DEMUX_DTLS;
  if (first_byte >= 128 && first_byte <= 191)
    return MG_RTP_DEMUX_RTP;
  return MG_RTP_DEMUX_UNKNOWN;
}

/* In-place rewriting of the fixed header; buf must hold a parsed packet. */
static inline void
mg_rtp_set_seq(guint8 *buf, guint16 seq)
{
  buf[2] = seq >> 8;
  buf[3] = seq & 0xff;
}

static inline void
mg_rtp_set_ts(guint8 *buf, guint32 ts)
{
  buf[4] = ts >> 24;
  buf[5] = (ts >> 16) & 0xff;
  buf[6] = (ts >> 8) & 0xff;
  buf[7] = ts & 0xff;
}

static inline void
mg_rtp_set_ssrc(guint8 *buf, guint32 ssrc)
{
  buf[8] = ssrc >> 24;
  buf[9] = (ssrc >> 16) & 0xff;
  buf[10] = (ssrc >> 8) & 0xff;
  buf[11] = ssrc & 0xff;
}

/* Sets the payload type and keeps the marker bit. */
static inline void
mg_rtp_set_pt(guint8 *buf, guint8 pt)
{
  buf[1] = (buf[1] & 0x80) | (pt & 0x7f);
}

static inline void
mg_rtp_set_marker(guint8 *buf, gboolean marker)
{
  buf[1] = (buf[1] & 0x7f) | (marker ? 0x80 : 0);
}

/* Finds extension element id (1..14 one-byte, 1..255 two-byte) and returns its
 * data as an offset into the packet and a length, so the caller can read or
 * rewrite it in place. Returns 0, -ENOENT when absent, -EINVAL when the
 * extension block is malformed. */
int mg_rtp_ext_find(const guint8 *buf, const MgRtpHeader *hdr, guint id, size_t *offset, size_t *len);

/* Copies a string element (mid, rid, repaired-rid) into out, NUL-terminated.
 * Returns its length, -ENOENT, -EINVAL, or -ENOSPC when out is too small. */
int mg_rtp_ext_get_string(const guint8 *buf, const MgRtpHeader *hdr, guint id, char *out, size_t out_size);
/* abs-send-time: 24-bit 6.18 fixed-point seconds. */
int mg_rtp_ext_get_abs_send_time(const guint8 *buf, const MgRtpHeader *hdr, guint id, guint32 *value);
int mg_rtp_ext_set_abs_send_time(guint8 *buf, const MgRtpHeader *hdr, guint id, guint32 value);
/* transport-wide-cc: 16-bit transport sequence number. */
int mg_rtp_ext_get_twcc_seq(const guint8 *buf, const MgRtpHeader *hdr, guint id, guint16 *seq);
int mg_rtp_ext_set_twcc_seq(guint8 *buf, const MgRtpHeader *hdr, guint id, guint16 seq);
/* ssrc-audio-level (RFC 6464): level in -dBov (0..127) and the voice flag. */
int mg_rtp_ext_get_audio_level(const guint8 *buf, const MgRtpHeader *hdr, guint id, guint8 *level, gboolean *voice);

/* Blanks element id with padding bytes; the packet length does not change.
 * Returns 0, -ENOENT or -EINVAL. */
int mg_rtp_ext_clear(guint8 *buf, const MgRtpHeader *hdr, guint id);
/* Removes the whole extension block: moves the payload down, clears the X bit
 * and updates hdr. Returns the new packet length, or -EINVAL. */
int mg_rtp_strip_extensions(guint8 *buf, size_t len, MgRtpHeader *hdr);

G_END_DECLS

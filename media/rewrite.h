/* SPDX-License-Identifier: MIT
 * The per-subscriber stream rewriter (one continuous SSRC / seq / timestamp /
 * VP8 PictureID line while the source switches between publishers or simulcast
 * layers) and the codec payload inspection it needs (VP8 descriptor, H.264 /
 * VP8 / VP9 keyframe detection). */
#pragma once

#include <glib.h>
#include <stddef.h>

#include "media/rtp.h"

G_BEGIN_DECLS

typedef struct MgRewriter MgRewriter;

typedef enum {
  MG_REWRITE_CODEC_OTHER = 0, /* header only: SSRC, seq, timestamp */
  MG_REWRITE_CODEC_VP8,       /* also PictureID and TL0PICIDX */
} MgRewriteCodec;

/* RFC 7741 VP8 payload descriptor. Offsets are from the payload start. */
typedef struct {
  gboolean start;   /* S: first packet of a partition */
  gboolean non_ref; /* N */
  guint8 partition; /* PID */
  gboolean has_picture_id;
  guint8 picture_id_bits; /* 7 or 15 */
  guint16 picture_id;
  guint8 picture_id_offset;
  gboolean has_tl0picidx;
  guint8 tl0picidx;
  guint8 tl0picidx_offset;
  gboolean has_tid;
  guint8 tid;
  gboolean layer_sync; /* Y */
  gboolean has_keyidx;
  guint8 keyidx;
  guint8 size;       /* descriptor bytes: the VP8 payload starts here */
  gboolean keyframe; /* S, PID 0 and the VP8 payload header's P bit clear */
} MgVp8Descriptor;

/* A rewriter that sends as out_ssrc with a media clock of clock_rate Hz.
 * (transfer full) */
MgRewriter *mg_rewrite_new(guint32 out_ssrc, guint32 clock_rate, MgRewriteCodec codec);
void mg_rewrite_free(MgRewriter *rw);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgRewriter, mg_rewrite_free)

/* Rewrites the parsed packet in buf in place for the subscriber. The caller
 * forwards only the selected source: an SSRC change (or a pending
 * mg_rewrite_force_switch()) starts a new segment that continues the outbound
 * seq by one and the timestamp by the wall-clock gap. Returns 0, 1 when the
 * packet started a new segment, -ESTALE for a late packet from before the
 * switch (drop it), -EINVAL for a bad VP8 descriptor (buf untouched). */
int mg_rewrite_packet(MgRewriter *rw, guint8 *buf, const MgRtpHeader *hdr, gint64 now_us);
/* Makes the next packet start a new segment even if its SSRC is unchanged
 * (the publisher restarted, or a new publisher reuses the SSRC). */
void mg_rewrite_force_switch(MgRewriter *rw);
/* Renumbers a retransmitted VP8 payload (PictureID, TL0PICIDX) with the
 * current segment's offsets, without touching the rewriter's state. */
int mg_rewrite_vp8_retransmit(MgRewriter *rw, guint8 *payload, size_t len);
guint32 mg_rewrite_get_ssrc(MgRewriter *rw);

/* Parses the VP8 payload descriptor of an RTP payload. Returns 0, or -EINVAL
 * when truncated (no VP8 payload byte after the descriptor). */
int mg_rewrite_vp8_parse(const guint8 *payload, size_t len, MgVp8Descriptor *desc);
/* Rewrite in place, in the width the descriptor already uses; no-ops when absent. */
void mg_rewrite_vp8_set_picture_id(guint8 *payload, const MgVp8Descriptor *desc, guint16 picture_id);
void mg_rewrite_vp8_set_tl0picidx(guint8 *payload, const MgVp8Descriptor *desc, guint8 tl0picidx);

/* RFC 6184: TRUE for an IDR or SPS as a single NAL unit, inside a STAP-A, or
 * at the start of an FU-A. STAP-B, MTAP and FU-B are not inspected. */
gboolean mg_rewrite_h264_is_keyframe(const guint8 *payload, size_t len);
/* RFC 9628 descriptor only: TRUE on the start of a frame (B) that is not
 * inter-picture predicted (P clear) in spatial layer 0 (or without L). The
 * VP9 bitstream header itself is not parsed. */
gboolean mg_rewrite_vp9_is_keyframe(const guint8 *payload, size_t len);

G_END_DECLS

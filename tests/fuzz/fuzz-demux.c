/* SPDX-License-Identifier: MIT
 * Fuzz target: the first-byte demux, codec payload inspection (VP8
 * descriptor, H.264 / VP9 keyframes) and the VP8 stream rewriter. */
#include "media/rewrite.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
rewrite_sequence(const uint8_t *data, size_t size)
{
  /* The input is a run of RTP packets, each prefixed by one length byte. */
  g_autoptr(MgRewriter) rw = mg_rewrite_new(42, 90000, MG_REWRITE_CODEC_VP8);
  guint8 pkt[256];
  gint64 now = 0;
  for (size_t i = 0; i < size;) {
    size_t len = data[i++];
    if (len > size - i)
      break;
    memcpy(pkt, data + i, len);
    i += len;
    MgRtpHeader h;
    if (mg_rtp_parse(pkt, len, &h) == 0)
      mg_rewrite_packet(rw, pkt, &h, now);
    now += 10000;
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  MgVp8Descriptor d;
  if (size == 0)
    return 0;
  mg_rtp_demux_class(data[0]);
  mg_rtp_is_rtcp(data, size);
  mg_rewrite_h264_is_keyframe(data, size);
  mg_rewrite_vp9_is_keyframe(data, size);
  if (mg_rewrite_vp8_parse(data, size, &d) == 0 && size <= 64) {
    guint8 copy[64];
    MgVp8Descriptor d2;
    g_assert(d.size < size);
    memcpy(copy, data, size);
    mg_rewrite_vp8_set_picture_id(copy, &d, 0x7fff);
    mg_rewrite_vp8_set_tl0picidx(copy, &d, 0xff);
    g_assert(mg_rewrite_vp8_parse(copy, size, &d2) == 0);
    g_assert(d2.size == d.size && d2.picture_id_bits == d.picture_id_bits);
  }
  rewrite_sequence(data, size);
  return 0;
}

/* SPDX-License-Identifier: MIT
 * Fuzz target: RTP header and header-extension parsing, then the in-place
 * extension edits on a copy. */
#include "media/rtp.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
read_all(const guint8 *buf, const MgRtpHeader *h)
{
  char s[32];
  guint32 u32;
  guint16 u16;
  guint8 level;
  gboolean voice;
  size_t off, len;
  for (guint id = 0; id < 256; id++) {
    if (mg_rtp_ext_find(buf, h, id, &off, &len) == 0)
      g_assert(off + len <= h->payload_offset);
  }
  for (guint id = 1; id < 16; id++) {
    mg_rtp_ext_get_string(buf, h, id, s, sizeof(s));
    mg_rtp_ext_get_abs_send_time(buf, h, id, &u32);
    mg_rtp_ext_get_twcc_seq(buf, h, id, &u16);
    mg_rtp_ext_get_audio_level(buf, h, id, &level, &voice);
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  MgRtpHeader h, h2;
  guint8 copy[2048];
  if (mg_rtp_parse(data, size, &h) < 0)
    return 0;
  g_assert(h.payload_offset + h.payload_len + h.padding_len == size);
  read_all(data, &h);
  if (size > sizeof(copy))
    return 0;
  memcpy(copy, data, size);
  for (guint id = 1; id < 16; id++) {
    mg_rtp_ext_set_twcc_seq(copy, &h, id, 0xffff);
    mg_rtp_ext_set_abs_send_time(copy, &h, id, 0xffffff);
    mg_rtp_ext_clear(copy, &h, id);
  }
  mg_rtp_set_seq(copy, 1);
  mg_rtp_set_ts(copy, 2);
  mg_rtp_set_ssrc(copy, 3);
  mg_rtp_set_pt(copy, 4);
  int n = mg_rtp_strip_extensions(copy, size, &h);
  if (n >= 0) {
    g_assert(mg_rtp_parse(copy, n, &h2) == 0);
    g_assert(!h2.extension && h2.payload_len == h.payload_len);
    g_assert(memcmp(copy + h2.payload_offset, data + size - h.padding_len - h.payload_len, h.payload_len) == 0);
  }
  return 0;
}

/* SPDX-License-Identifier: MIT */
#include "media/rtp.h"

#include <errno.h>
#include <string.h>

/* V=2, X=1, CC=1, M=1 PT=96, seq 0xfffe, ts 0x11223344, ssrc 0xcafebabe,
 * csrc 0x01020304, one-byte extension (3 words):
 * id 1 (mid "ab"), id 3 (abs-send-time 0x123456), padding, id 5 (twcc 0xbeef),
 * padding. Payload "hello". */
static const guint8 one_byte_pkt[] = {
  0x91, 0xe0, 0xff, 0xfe, 0x11, 0x22, 0x33, 0x44, 0xca, 0xfe, 0xba, 0xbe, /* fixed */
  0x01, 0x02, 0x03, 0x04,                                                 /* csrc */
  0xbe, 0xde, 0x00, 0x03,                                                 /* ext: 3 words */
  0x11, 'a',  'b',                                                        /* id 1 len 2: mid */
  0x32, 0x12, 0x34, 0x56,                                                 /* id 3 len 3: abs-send-time */
  0x00,                                                                   /* padding */
  0x51, 0xbe, 0xef,                                                       /* id 5 len 2: twcc */
  0x00,                                                                   /* padding */
  'h',  'e',  'l',  'l',  'o',
};

/* Two-byte form (0x1000), no CSRC: id 10 (rid "hi", 2 bytes), id 20 (audio
 * level voice=1 level=42), id 30 empty; padded with P: 3 bytes of padding. */
static const guint8 two_byte_pkt[] = {
  0xb0, 0x6f, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x01, 0x10, 0x00, 0x00, 0x03, /* ext: 3 words */
  0x0a, 0x02, 'h',  'i',  0x14, 0x01, 0xaa, 0x1e, /* id 10, id 20, id 30 len 0 */
  0x00, 0x00, 0x00, 0x00,                         /* padding */
  0xde, 0xad, 0x00, 0x00, 0x03,                   /* payload 0xdead, 3 bytes RTP padding */
};

static void
test_parse_one_byte(void)
{
  MgRtpHeader h;
  g_assert_cmpint(mg_rtp_parse(one_byte_pkt, sizeof(one_byte_pkt), &h), ==, 0);
  g_assert_cmpuint(h.version, ==, 2);
  g_assert_true(h.extension && h.marker && !h.padding);
  g_assert_cmpuint(h.pt, ==, 96);
  g_assert_cmpuint(h.seq, ==, 0xfffe);
  g_assert_cmpuint(h.ts, ==, 0x11223344);
  g_assert_cmpuint(h.ssrc, ==, 0xcafebabe);
  g_assert_cmpuint(h.csrc_count, ==, 1);
  g_assert_cmpuint(h.ext_profile, ==, 0xbede);
  g_assert_cmpuint(h.ext_offset, ==, 20);
  g_assert_cmpuint(h.ext_len, ==, 12);
  g_assert_cmpuint(h.payload_offset, ==, 32);
  g_assert_cmpuint(h.payload_len, ==, 5);
  g_assert_cmpmem(one_byte_pkt + h.payload_offset, 5, "hello", 5);

  char s[16];
  guint32 ast;
  guint16 tw;
  g_assert_cmpint(mg_rtp_ext_get_string(one_byte_pkt, &h, 1, s, sizeof(s)), ==, 2);
  g_assert_cmpstr(s, ==, "ab");
  g_assert_cmpint(mg_rtp_ext_get_string(one_byte_pkt, &h, 1, s, 2), ==, -ENOSPC);
  g_assert_cmpint(mg_rtp_ext_get_abs_send_time(one_byte_pkt, &h, 3, &ast), ==, 0);
  g_assert_cmphex(ast, ==, 0x123456);
  g_assert_cmpint(mg_rtp_ext_get_twcc_seq(one_byte_pkt, &h, 5, &tw), ==, 0);
  g_assert_cmphex(tw, ==, 0xbeef);
  g_assert_cmpint(mg_rtp_ext_get_twcc_seq(one_byte_pkt, &h, 3, &tw), ==, -EINVAL); /* wrong size */
  g_assert_cmpint(mg_rtp_ext_get_twcc_seq(one_byte_pkt, &h, 7, &tw), ==, -ENOENT);
  g_assert_cmpint(mg_rtp_ext_get_twcc_seq(one_byte_pkt, &h, 15, &tw), ==, -ENOENT);
}

static void
test_parse_two_byte(void)
{
  MgRtpHeader h;
  char s[16];
  guint8 level;
  gboolean voice;
  size_t off, len;
  g_assert_cmpint(mg_rtp_parse(two_byte_pkt, sizeof(two_byte_pkt), &h), ==, 0);
  g_assert_true(h.padding && !h.marker);
  g_assert_cmpuint(h.pt, ==, 111);
  g_assert_cmpuint(h.padding_len, ==, 3);
  g_assert_cmpuint(h.payload_len, ==, 2);
  g_assert_cmpint(mg_rtp_ext_get_string(two_byte_pkt, &h, 10, s, sizeof(s)), ==, 2);
  g_assert_cmpstr(s, ==, "hi");
  g_assert_cmpint(mg_rtp_ext_get_audio_level(two_byte_pkt, &h, 20, &level, &voice), ==, 0);
  g_assert_true(voice);
  g_assert_cmpuint(level, ==, 42);
  g_assert_cmpint(mg_rtp_ext_find(two_byte_pkt, &h, 30, &off, &len), ==, 0);
  g_assert_cmpuint(len, ==, 0);
  g_assert_cmpint(mg_rtp_ext_find(two_byte_pkt, &h, 200, &off, &len), ==, -ENOENT);
}

static void
test_set_fields(void)
{
  guint8 p[sizeof(one_byte_pkt)];
  MgRtpHeader h;
  memcpy(p, one_byte_pkt, sizeof(p));
  mg_rtp_set_seq(p, 0xffff);
  mg_rtp_set_ts(p, 0xfffffffe);
  mg_rtp_set_ssrc(p, 0x01020304);
  mg_rtp_set_pt(p, 100);
  g_assert_cmpint(mg_rtp_parse(p, sizeof(p), &h), ==, 0);
  g_assert_cmpuint(h.seq, ==, 0xffff);
  g_assert_cmpuint(h.ts, ==, 0xfffffffe);
  g_assert_cmpuint(h.ssrc, ==, 0x01020304);
  g_assert_cmpuint(h.pt, ==, 100);
  g_assert_true(h.marker); /* kept */
  mg_rtp_set_marker(p, FALSE);
  mg_rtp_set_seq(p, (guint16)(h.seq + 1)); /* wraps to 0 */
  g_assert_cmpint(mg_rtp_parse(p, sizeof(p), &h), ==, 0);
  g_assert_false(h.marker);
  g_assert_cmpuint(h.seq, ==, 0);
  g_assert_cmpuint(h.pt, ==, 100);

  g_assert_cmpint(mg_rtp_ext_set_twcc_seq(p, &h, 5, 0x1234), ==, 0);
  g_assert_cmpint(mg_rtp_ext_set_abs_send_time(p, &h, 3, 0xabcdef), ==, 0);
  guint16 tw;
  guint32 ast;
  g_assert_cmpint(mg_rtp_ext_get_twcc_seq(p, &h, 5, &tw), ==, 0);
  g_assert_cmphex(tw, ==, 0x1234);
  g_assert_cmpint(mg_rtp_ext_get_abs_send_time(p, &h, 3, &ast), ==, 0);
  g_assert_cmphex(ast, ==, 0xabcdef);
}

static void
test_clear_and_strip(void)
{
  guint8 p[sizeof(one_byte_pkt)];
  MgRtpHeader h;
  guint16 tw;
  char s[8];
  memcpy(p, one_byte_pkt, sizeof(p));
  g_assert_cmpint(mg_rtp_parse(p, sizeof(p), &h), ==, 0);
  g_assert_cmpint(mg_rtp_ext_clear(p, &h, 3), ==, 0);
  g_assert_cmpint(mg_rtp_ext_clear(p, &h, 3), ==, -ENOENT);
  g_assert_cmpint(mg_rtp_ext_get_twcc_seq(p, &h, 5, &tw), ==, 0); /* still found past the blank */
  g_assert_cmpint(mg_rtp_ext_get_string(p, &h, 1, s, sizeof(s)), ==, 2);

  int n = mg_rtp_strip_extensions(p, sizeof(p), &h);
  g_assert_cmpint(n, ==, sizeof(p) - 16);
  g_assert_false(h.extension);
  MgRtpHeader h2;
  g_assert_cmpint(mg_rtp_parse(p, n, &h2), ==, 0);
  g_assert_false(h2.extension);
  g_assert_cmpuint(h2.csrc_count, ==, 1);
  g_assert_cmpuint(h2.payload_offset, ==, h.payload_offset);
  g_assert_cmpuint(h2.payload_len, ==, 5);
  g_assert_cmpmem(p + h2.payload_offset, 5, "hello", 5);
  g_assert_cmpint(mg_rtp_ext_find(p, &h2, 1, &(size_t){ 0 }, &(size_t){ 0 }), ==, -ENOENT);
}

static void
test_malformed(void)
{
  MgRtpHeader h;
  guint8 p[64];
  /* Every truncation of a valid packet fails cleanly. */
  for (size_t n = 0; n < 32; n++)
    g_assert_cmpint(mg_rtp_parse(one_byte_pkt, n, &h), ==, -EINVAL);
  /* Version 1. */
  memcpy(p, one_byte_pkt, sizeof(one_byte_pkt));
  p[0] = 0x51;
  g_assert_cmpint(mg_rtp_parse(p, sizeof(one_byte_pkt), &h), ==, -EINVAL);
  /* 15 CSRCs in a 20-byte packet. */
  memcpy(p, one_byte_pkt, sizeof(one_byte_pkt));
  p[0] = 0x8f;
  g_assert_cmpint(mg_rtp_parse(p, 20, &h), ==, -EINVAL);
  /* Extension length past the end. */
  memcpy(p, one_byte_pkt, sizeof(one_byte_pkt));
  p[19] = 0x40;
  g_assert_cmpint(mg_rtp_parse(p, sizeof(one_byte_pkt), &h), ==, -EINVAL);
  /* Padding: zero, and longer than the payload. */
  memcpy(p, two_byte_pkt, sizeof(two_byte_pkt));
  p[sizeof(two_byte_pkt) - 1] = 0;
  g_assert_cmpint(mg_rtp_parse(p, sizeof(two_byte_pkt), &h), ==, -EINVAL);
  p[sizeof(two_byte_pkt) - 1] = 6;
  g_assert_cmpint(mg_rtp_parse(p, sizeof(two_byte_pkt), &h), ==, -EINVAL);
  p[sizeof(two_byte_pkt) - 1] = 5; /* exactly the payload: empty payload is fine */
  g_assert_cmpint(mg_rtp_parse(p, sizeof(two_byte_pkt), &h), ==, 0);
  g_assert_cmpuint(h.payload_len, ==, 0);
  /* An element running past the extension block. */
  memcpy(p, one_byte_pkt, sizeof(one_byte_pkt));
  p[31] = 0x7f; /* id 7, 16 bytes, in the last byte of the block */
  g_assert_cmpint(mg_rtp_parse(p, sizeof(one_byte_pkt), &h), ==, 0);
  size_t off, len;
  g_assert_cmpint(mg_rtp_ext_find(p, &h, 7, &off, &len), ==, -EINVAL);
  memcpy(p, two_byte_pkt, sizeof(two_byte_pkt));
  p[17] = 0x20; /* id 10 claims 32 bytes */
  g_assert_cmpint(mg_rtp_parse(p, sizeof(two_byte_pkt), &h), ==, 0);
  g_assert_cmpint(mg_rtp_ext_find(p, &h, 20, &off, &len), ==, -EINVAL);
  /* An unknown profile has no elements. */
  memcpy(p, one_byte_pkt, sizeof(one_byte_pkt));
  p[16] = 0x12;
  g_assert_cmpint(mg_rtp_parse(p, sizeof(one_byte_pkt), &h), ==, 0);
  g_assert_cmpint(mg_rtp_ext_find(p, &h, 1, &off, &len), ==, -ENOENT);
}

static void
test_demux(void)
{
  static const guint8 rtcp_rr[] = { 0x80, 201, 0, 1, 0, 0, 0, 1 };
  static const guint8 rtp_marker_pt72[] = { 0x80, 0xc8 };
  g_assert_cmpint(mg_rtp_demux_class(0x00), ==, MG_RTP_DEMUX_STUN);
  g_assert_cmpint(mg_rtp_demux_class(0x01), ==, MG_RTP_DEMUX_STUN);
  g_assert_cmpint(mg_rtp_demux_class(3), ==, MG_RTP_DEMUX_STUN);
  g_assert_cmpint(mg_rtp_demux_class(4), ==, MG_RTP_DEMUX_UNKNOWN);
  g_assert_cmpint(mg_rtp_demux_class(19), ==, MG_RTP_DEMUX_UNKNOWN);
  g_assert_cmpint(mg_rtp_demux_class(20), ==, MG_RTP_DEMUX_DTLS);
  g_assert_cmpint(mg_rtp_demux_class(22), ==, MG_RTP_DEMUX_DTLS);
  g_assert_cmpint(mg_rtp_demux_class(63), ==, MG_RTP_DEMUX_DTLS);
  g_assert_cmpint(mg_rtp_demux_class(64), ==, MG_RTP_DEMUX_UNKNOWN);
  g_assert_cmpint(mg_rtp_demux_class(127), ==, MG_RTP_DEMUX_UNKNOWN);
  g_assert_cmpint(mg_rtp_demux_class(128), ==, MG_RTP_DEMUX_RTP);
  g_assert_cmpint(mg_rtp_demux_class(191), ==, MG_RTP_DEMUX_RTP);
  g_assert_cmpint(mg_rtp_demux_class(192), ==, MG_RTP_DEMUX_UNKNOWN);
  g_assert_true(mg_rtp_is_rtcp(rtcp_rr, sizeof(rtcp_rr)));
  g_assert_false(mg_rtp_is_rtcp(rtcp_rr, 1));
  g_assert_true(mg_rtp_is_rtcp(rtp_marker_pt72, 2)); /* PT 72 with M looks like SR: why 5761 forbids it */
  g_assert_false(mg_rtp_is_rtcp(one_byte_pkt, sizeof(one_byte_pkt)));
  g_assert_false(mg_rtp_is_rtcp(two_byte_pkt, sizeof(two_byte_pkt)));
  g_assert_false(mg_rtp_is_rtcp((const guint8[]){ 0x80, 224 }, 2));
  g_assert_true(mg_rtp_is_rtcp((const guint8[]){ 0x80, 223 }, 2));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/rtp/parse-one-byte", test_parse_one_byte);
  g_test_add_func("/rtp/parse-two-byte", test_parse_two_byte);
  g_test_add_func("/rtp/set-fields", test_set_fields);
  g_test_add_func("/rtp/clear-and-strip", test_clear_and_strip);
  g_test_add_func("/rtp/malformed", test_malformed);
  g_test_add_func("/rtp/demux", test_demux);
  return g_test_run();
}

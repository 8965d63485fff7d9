/* SPDX-License-Identifier: MIT */
#include "media/rewrite.h"

#include <errno.h>
#include <string.h>

#define OUT_SSRC 0x5eed5eedu

typedef struct {
  guint8 buf[64];
  size_t len;
  MgRtpHeader hdr;
} Pkt;

/* An RTP packet whose payload is a VP8 descriptor (I, L, T bits) with a
 * picture id of pid_bits width, followed by a VP8 payload header byte. */
static void
make_vp8(Pkt *p, guint32 ssrc, guint16 seq, guint32 ts, guint16 pid, guint pid_bits, guint8 tl0, gboolean key)
{
  guint8 *b = p->buf;
  size_t i = 12;
  memset(b, 0, sizeof(p->buf));
  b[0] = 0x80;
  b[1] = 96;
  mg_rtp_set_seq(b, seq);
  mg_rtp_set_ts(b, ts);
  mg_rtp_set_ssrc(b, ssrc);
  b[i++] = 0x90; /* X, S, PID 0 */
  b[i++] = 0xe0; /* I, L, T */
  if (pid_bits == 15) {
    b[i++] = 0x80 | (pid >> 8);
    b[i++] = pid & 0xff;
  } else {
    b[i++] = pid & 0x7f;
  }
  b[i++] = tl0;
  b[i++] = 0x20; /* TID 0, Y 1 */
  b[i++] = key ? 0x10 : 0x11;
  b[i++] = 0xaa;
  p->len = i;
  g_assert_cmpint(mg_rtp_parse(b, p->len, &p->hdr), ==, 0);
}

/* Rewrites p and checks every rewritten field of the outcome. */
static void
forward(MgRewriter *rw, Pkt *p, gint64 now, int want_ret, guint16 seq, guint32 ts, guint16 pid, guint8 tl0)
{
  MgRtpHeader h;
  MgVp8Descriptor d;
  g_assert_cmpint(mg_rewrite_packet(rw, p->buf, &p->hdr, now), ==, want_ret);
  g_assert_cmpint(mg_rtp_parse(p->buf, p->len, &h), ==, 0);
  g_assert_cmphex(h.ssrc, ==, OUT_SSRC);
  g_assert_cmpuint(h.seq, ==, seq);
  g_assert_cmpuint(h.ts, ==, ts);
  g_assert_cmpint(mg_rewrite_vp8_parse(p->buf + h.payload_offset, h.payload_len, &d), ==, 0);
  g_assert_cmpuint(d.picture_id, ==, pid);
  g_assert_cmpuint(d.tl0picidx, ==, tl0);
}

static void
test_two_switches_vp8(void)
{
  g_autoptr(MgRewriter) rw = mg_rewrite_new(OUT_SSRC, 90000, MG_REWRITE_CODEC_VP8);
  Pkt p;
  gint64 now = 1000000;
  /* Source A: the first packets keep their numbers; seq, ts, PictureID and
   * TL0PICIDX all wrap on the way. */
  static const guint32 a_ts[] = { 0xfffff000, 0xfffffbb8, 0x770, 0x1328, 0x1ee0, 0x2a98, 0x3650, 0x4208 };
  static const guint16 a_pid[] = { 32765, 32766, 32767, 0, 1, 2, 3, 4 };
  for (guint i = 0; i < 8; i++, now += 33333) {
    guint16 seq = (guint16)(65530 + i);
    guint8 tl0 = (guint8)(254 + i);
    make_vp8(&p, 0xa, seq, a_ts[i], a_pid[i], 15, tl0, i == 0);
    g_assert_cmpuint(p.hdr.ts, ==, a_ts[i]);
    forward(rw, &p, now, i == 0, seq, a_ts[i], a_pid[i], tl0);
  }
  g_assert_cmpuint(p.hdr.seq, ==, 1);
  now -= 33333; /* the time of the last packet forwarded */

  /* Switch 1, 50 ms later, to B (7-bit PictureID), with reordering:
   * seq continues at 2, ts at 0x4208 + 4500, PictureID 4 -> 5, TL0 5 -> 6. */
  gint64 b_now = now + 50000;
  make_vp8(&p, 0xb, 1000, 500000, 100, 7, 10, TRUE);
  forward(rw, &p, b_now, 1, 2, 21404, 5, 6);
  make_vp8(&p, 0xb, 1002, 503000, 101, 7, 10, FALSE);
  forward(rw, &p, b_now + 10000, 0, 4, 24404, 6, 6);
  make_vp8(&p, 0xb, 1001, 500000, 100, 7, 10, FALSE); /* late: fills its own hole */
  forward(rw, &p, b_now + 20000, 0, 3, 21404, 5, 6);
  make_vp8(&p, 0xb, 1003, 503000, 101, 7, 10, FALSE);
  forward(rw, &p, b_now + 30000, 0, 5, 24404, 6, 6);
  /* Older than the switch: its number belongs to A's segment. */
  make_vp8(&p, 0xb, 999, 497000, 99, 7, 10, FALSE);
  g_assert_cmpint(mg_rewrite_packet(rw, p.buf, &p.hdr, b_now + 31000), ==, -ESTALE);
  g_assert_cmpuint(p.buf[3], ==, 999 & 0xff); /* untouched */

  /* Switch 2, 20 ms after the newest packet, back to A (15-bit) which moved on. */
  make_vp8(&p, 0xa, 20, 0x10000, 50, 15, 30, TRUE);
  forward(rw, &p, b_now + 50000, 1, 6, 24404 + 1800, 7, 7);
  make_vp8(&p, 0xa, 21, 0x10000 + 3000, 51, 15, 31, FALSE);
  forward(rw, &p, b_now + 83333, 0, 7, 24404 + 1800 + 3000, 8, 8);
}

/* A retransmission of a packet already forwarded gets the same numbers. */
static void
test_vp8_retransmit(void)
{
  g_autoptr(MgRewriter) rw = mg_rewrite_new(OUT_SSRC, 90000, MG_REWRITE_CODEC_VP8);
  Pkt p, again;
  MgVp8Descriptor d;
  make_vp8(&p, 0xa, 100, 9000, 500, 15, 7, TRUE);
  forward(rw, &p, 1000000, 1, 100, 9000, 500, 7);
  make_vp8(&p, 0xb, 7, 1000, 20, 15, 3, TRUE); /* switch: B's 20 becomes 501 */
  forward(rw, &p, 1033334, 1, 101, 9000 + 3000, 501, 8);
  make_vp8(&again, 0xb, 7, 1000, 20, 15, 3, TRUE); /* B's packet, as stored for NACK */
  g_assert_cmpint(mg_rewrite_vp8_retransmit(rw, again.buf + again.hdr.payload_offset, again.hdr.payload_len), ==, 0);
  g_assert_cmpint(mg_rewrite_vp8_parse(again.buf + again.hdr.payload_offset, again.hdr.payload_len, &d), ==, 0);
  g_assert_cmpuint(d.picture_id, ==, 501);
  g_assert_cmpuint(d.tl0picidx, ==, 8);
  g_assert_cmpint(mg_rewrite_vp8_retransmit(rw, again.buf, 1), ==, -EINVAL);
}

static void
test_pid_width_wrap(void)
{
  g_autoptr(MgRewriter) rw = mg_rewrite_new(OUT_SSRC, 90000, MG_REWRITE_CODEC_VP8);
  Pkt p;
  /* 7-bit source at 126, 127, 0: the rewritten id wraps at 127, not 32767. */
  make_vp8(&p, 1, 10, 0, 126, 7, 0, TRUE);
  forward(rw, &p, 0, 1, 10, 0, 126, 0);
  make_vp8(&p, 1, 11, 3000, 127, 7, 0, FALSE);
  forward(rw, &p, 33000, 0, 11, 3000, 127, 0);
  make_vp8(&p, 2, 500, 9000, 3000, 15, 200, TRUE); /* 15-bit source continues at 128 */
  forward(rw, &p, 66000, 1, 12, 3000 + 2970, 128, 1);
  make_vp8(&p, 3, 7, 1, 5, 7, 1, TRUE); /* back to 7 bits: 129 & 0x7f */
  forward(rw, &p, 66000, 1, 13, 3000 + 2970 + 1, 1, 2);
}

static void
test_audio_force_switch(void)
{
  g_autoptr(MgRewriter) rw = mg_rewrite_new(0x77, 48000, MG_REWRITE_CODEC_OTHER);
  guint8 b[16] = { 0x80, 111 };
  MgRtpHeader h;
  struct {
    guint16 seq;
    guint32 ts;
    gint64 now;
    gboolean force;
    int ret;
    guint16 out_seq;
    guint32 out_ts;
  } steps[] = {
    { 65535, 4294966336u, 0, FALSE, 1, 65535, 4294966336u },
    { 0, 0, 20000, FALSE, 0, 0, 0 },
    /* Same SSRC, publisher restarted: forced switch, 15 ms -> 720 ticks. */
    { 40000, 123, 35000, TRUE, 1, 1, 720 },
    { 40001, 1083, 55000, FALSE, 0, 2, 1680 },
    /* Forced again at the same instant: ts moves by at least one tick. */
    { 9, 9, 55000, TRUE, 1, 3, 1681 },
  };
  for (guint i = 0; i < G_N_ELEMENTS(steps); i++) {
    mg_rtp_set_seq(b, steps[i].seq);
    mg_rtp_set_ts(b, steps[i].ts);
    mg_rtp_set_ssrc(b, 0x1234);
    g_assert_cmpint(mg_rtp_parse(b, sizeof(b), &h), ==, 0);
    if (steps[i].force)
      mg_rewrite_force_switch(rw);
    g_assert_cmpint(mg_rewrite_packet(rw, b, &h, steps[i].now), ==, steps[i].ret);
    g_assert_cmpint(mg_rtp_parse(b, sizeof(b), &h), ==, 0);
    g_assert_cmpuint(h.seq, ==, steps[i].out_seq);
    g_assert_cmpuint(h.ts, ==, steps[i].out_ts);
    g_assert_cmphex(h.ssrc, ==, mg_rewrite_get_ssrc(rw));
  }
}

static void
test_vp8_parse(void)
{
  MgVp8Descriptor d;
  /* Minimal: no X. */
  static const guint8 min_key[] = { 0x10, 0x10, 0x00 };
  g_assert_cmpint(mg_rewrite_vp8_parse(min_key, sizeof(min_key), &d), ==, 0);
  g_assert_true(d.start && d.keyframe && !d.has_picture_id);
  g_assert_cmpuint(d.size, ==, 1);
  /* Every field: N, S, PID 0, 15-bit id 0x1234, TL0 7, TID 2 Y KEYIDX 5. */
  guint8 full[] = { 0xb0, 0xf0, 0x92, 0x34, 0x07, 0xa5, 0x11 };
  g_assert_cmpint(mg_rewrite_vp8_parse(full, sizeof(full), &d), ==, 0);
  g_assert_true(d.non_ref && d.start && !d.keyframe);
  g_assert_cmpuint(d.picture_id_bits, ==, 15);
  g_assert_cmphex(d.picture_id, ==, 0x1234);
  g_assert_cmpuint(d.tl0picidx, ==, 7);
  g_assert_true(d.has_tid && d.layer_sync && d.has_keyidx);
  g_assert_cmpuint(d.tid, ==, 2);
  g_assert_cmpuint(d.keyidx, ==, 5);
  g_assert_cmpuint(d.size, ==, 6);
  mg_rewrite_vp8_set_picture_id(full, &d, 0x7fff);
  mg_rewrite_vp8_set_tl0picidx(full, &d, 9);
  g_assert_cmpint(mg_rewrite_vp8_parse(full, sizeof(full), &d), ==, 0);
  g_assert_cmphex(d.picture_id, ==, 0x7fff);
  g_assert_cmpuint(d.tl0picidx, ==, 9);
  /* K only: KEYIDX without TID. */
  static const guint8 k_only[] = { 0x80, 0x10, 0x03, 0x00 };
  g_assert_cmpint(mg_rewrite_vp8_parse(k_only, sizeof(k_only), &d), ==, 0);
  g_assert_true(!d.has_tid && d.has_keyidx && d.keyidx == 3);
  g_assert_false(d.keyframe); /* S clear */
  /* Not the first partition. */
  static const guint8 part1[] = { 0x11, 0x10 };
  g_assert_cmpint(mg_rewrite_vp8_parse(part1, sizeof(part1), &d), ==, 0);
  g_assert_false(d.keyframe);
  /* Truncations never read past the end. */
  for (size_t n = 0; n < sizeof(full) - 1; n++) {
    g_autofree guint8 *copy = g_memdup2(full, n);
    g_assert_cmpint(mg_rewrite_vp8_parse(copy, n, &d), ==, -EINVAL);
  }
  /* A bad descriptor leaves the packet alone. */
  g_autoptr(MgRewriter) rw = mg_rewrite_new(1, 90000, MG_REWRITE_CODEC_VP8);
  guint8 pkt[14] = { 0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0x80, 0x80 };
  guint8 orig[14];
  MgRtpHeader h;
  memcpy(orig, pkt, sizeof(pkt));
  g_assert_cmpint(mg_rtp_parse(pkt, sizeof(pkt), &h), ==, 0);
  g_assert_cmpint(mg_rewrite_packet(rw, pkt, &h, 0), ==, -EINVAL);
  g_assert_cmpmem(pkt, sizeof(pkt), orig, sizeof(orig));
}

static void
test_h264_keyframe(void)
{
  static const struct {
    const char *name;
    guint8 data[12];
    size_t len;
    gboolean key;
  } cases[] = {
    { "idr", { 0x65, 0x88 }, 2, TRUE },
    { "sps", { 0x67, 0x42 }, 2, TRUE },
    { "non-idr", { 0x41, 0x9a }, 2, FALSE },
    { "pps", { 0x68, 0xce }, 2, FALSE },
    { "empty", { 0 }, 0, FALSE },
    { "stap-a sps+pps", { 0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce }, 9, TRUE },
    { "stap-a pps+idr", { 0x78, 0x00, 0x02, 0x68, 0xce, 0x00, 0x02, 0x65, 0x88 }, 9, TRUE },
    { "stap-a non-idr", { 0x78, 0x00, 0x02, 0x41, 0x9a, 0x00, 0x01, 0x41 }, 8, FALSE },
    { "stap-a overrun", { 0x78, 0x00, 0x09, 0x41, 0x9a, 0x65 }, 6, FALSE },
    { "stap-a zero size", { 0x78, 0x00, 0x00, 0x65 }, 4, FALSE },
    { "stap-a truncated", { 0x78, 0x00 }, 2, FALSE },
    { "fu-a idr start", { 0x7c, 0x85, 0x88 }, 3, TRUE },
    { "fu-a idr middle", { 0x7c, 0x05, 0x88 }, 3, FALSE },
    { "fu-a non-idr start", { 0x7c, 0x81, 0x9a }, 3, FALSE },
    { "fu-a truncated", { 0x7c }, 1, FALSE },
    { "stap-b", { 0x79, 0x00, 0x00, 0x00, 0x02, 0x65, 0x88 }, 7, FALSE },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_test_message("%s", cases[i].name);
    g_assert_cmpint(mg_rewrite_h264_is_keyframe(cases[i].data, cases[i].len), ==, cases[i].key);
  }
}

static void
test_vp9_keyframe(void)
{
  static const struct {
    const char *name;
    guint8 data[6];
    size_t len;
    gboolean key;
  } cases[] = {
    { "I B, 15-bit id", { 0x88, 0x80, 0x01, 0x00 }, 4, TRUE },
    { "I B, 7-bit id", { 0x88, 0x01, 0x00 }, 3, TRUE },
    { "inter", { 0xc8, 0x80, 0x01, 0x00 }, 4, FALSE },
    { "not the start", { 0x84, 0x01, 0x00 }, 3, FALSE },
    { "L, spatial 0", { 0xa8, 0x05, 0x00, 0x07 }, 4, TRUE },
    { "L, spatial 1", { 0xa8, 0x05, 0x02, 0x07 }, 4, FALSE },
    { "no picture id", { 0x08, 0x00 }, 2, TRUE },
    { "truncated id", { 0x88 }, 1, FALSE },
    { "truncated 15-bit id", { 0x88, 0x80 }, 2, FALSE },
    { "truncated L", { 0xa8, 0x05 }, 2, FALSE },
    { "empty", { 0 }, 0, FALSE },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_test_message("%s", cases[i].name);
    g_assert_cmpint(mg_rewrite_vp9_is_keyframe(cases[i].data, cases[i].len), ==, cases[i].key);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/rewrite/two-switches-vp8", test_two_switches_vp8);
  g_test_add_func("/rewrite/picture-id-width", test_pid_width_wrap);
  g_test_add_func("/rewrite/vp8-retransmit", test_vp8_retransmit);
  g_test_add_func("/rewrite/audio-force-switch", test_audio_force_switch);
  g_test_add_func("/rewrite/vp8-parse", test_vp8_parse);
  g_test_add_func("/rewrite/h264-keyframe", test_h264_keyframe);
  g_test_add_func("/rewrite/vp9-keyframe", test_vp9_keyframe);
  return g_test_run();
}

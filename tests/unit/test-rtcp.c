/* SPDX-License-Identifier: MIT */
#include "media/rtcp.h"

#include <errno.h>
#include <string.h>

/* SR (1 block) + SDES + BYE, as a browser sends it. */
static const guint8 sr_compound[] = {
  /* SR, RC=1, length 12 words */
  0x81,
  200,
  0x00,
  0x0c,
  0x11,
  0x11,
  0x11,
  0x11, /* ssrc */
  0xe5,
  0x4c,
  0x00,
  0x00,
  0x80,
  0x00,
  0x00,
  0x00, /* ntp */
  0x00,
  0x01,
  0x00,
  0x00, /* rtp ts */
  0x00,
  0x00,
  0x00,
  0x64, /* packets 100 */
  0x00,
  0x00,
  0x27,
  0x10, /* octets 10000 */
  0x22,
  0x22,
  0x22,
  0x22,
  0x40,
  0xff,
  0xff,
  0xfe, /* ssrc, fraction 64, lost -2 */
  0x00,
  0x01,
  0xff,
  0xff, /* highest seq: cycle 1, 65535 */
  0x00,
  0x00,
  0x00,
  0x20, /* jitter 32 */
  0x12,
  0x34,
  0x56,
  0x78, /* lsr */
  0x00,
  0x00,
  0x80,
  0x00, /* dlsr */
  /* SDES, SC=1, length 3: cname "ab" */
  0x81,
  202,
  0x00,
  0x03,
  0x11,
  0x11,
  0x11,
  0x11,
  0x01,
  0x02,
  'a',
  'b',
  0x00,
  0x00,
  0x00,
  0x00,
  /* BYE, SC=2 */
  0x82,
  203,
  0x00,
  0x02,
  0x11,
  0x11,
  0x11,
  0x11,
  0x33,
  0x33,
  0x33,
  0x33,
};

/* RR (no block) + NACK (2 items) + PLI + TWCC (stub FCI) + padded REMB. */
static const guint8 fb_compound[] = {
  0x80,
  201,
  0x00,
  0x01,
  0xaa,
  0xaa,
  0xaa,
  0xaa,
  /* NACK: pid 65534 blp 0b101 (65535, 1) ; pid 100 blp 0x8000 (116) */
  0x81,
  205,
  0x00,
  0x04,
  0xaa,
  0xaa,
  0xaa,
  0xaa,
  0xbb,
  0xbb,
  0xbb,
  0xbb,
  0xff,
  0xfe,
  0x00,
  0x05,
  0x00,
  0x64,
  0x80,
  0x00,
  /* PLI */
  0x81,
  206,
  0x00,
  0x02,
  0xaa,
  0xaa,
  0xaa,
  0xaa,
  0xbb,
  0xbb,
  0xbb,
  0xbb,
  /* TWCC */
  0x8f,
  205,
  0x00,
  0x03,
  0xaa,
  0xaa,
  0xaa,
  0xaa,
  0xcc,
  0xcc,
  0xcc,
  0xcc,
  0x00,
  0x01,
  0x00,
  0x00,
  /* REMB, P=1 with 4 padding bytes: n=2, exp 3, mantissa 0x10000 -> 524288 bps */
  0xaf,
  206,
  0x00,
  0x07,
  0xaa,
  0xaa,
  0xaa,
  0xaa,
  0x00,
  0x00,
  0x00,
  0x00,
  'R',
  'E',
  'M',
  'B',
  0x02,
  0x0d,
  0x00,
  0x00,
  0xbb,
  0xbb,
  0xbb,
  0xbb,
  0xcc,
  0xcc,
  0xcc,
  0xcc,
  0x00,
  0x00,
  0x00,
  0x04,
};

static int
collect(const guint8 *buf, size_t len, MgRtcpPacket *pkts, int max)
{
  MgRtcpIter it;
  int n = 0, r;
  mg_rtcp_iter_init(&it, buf, len);
  while (n < max && (r = mg_rtcp_iter_next(&it, &pkts[n])) > 0)
    n++;
  return r < 0 ? r : n;
}

static void
test_sr_compound(void)
{
  MgRtcpPacket p[4];
  MgRtcpSr sr;
  MgRtcpReportBlock rb;
  guint32 ssrc;
  g_assert_cmpint(mg_rtcp_validate(sr_compound, sizeof(sr_compound)), ==, 0);
  g_assert_cmpint(collect(sr_compound, sizeof(sr_compound), p, 4), ==, 3);
  g_assert_cmpint(p[0].type, ==, MG_RTCP_TYPE_SR);
  g_assert_cmpint(p[1].type, ==, MG_RTCP_TYPE_SDES);
  g_assert_cmpint(p[2].type, ==, MG_RTCP_TYPE_BYE);
  g_assert_cmpint(mg_rtcp_sr_parse(&p[0], &sr), ==, 0);
  g_assert_cmphex(sr.ssrc, ==, 0x11111111);
  g_assert_cmphex(sr.ntp, ==, 0xe54c000080000000ull);
  g_assert_cmpuint(sr.rtp_ts, ==, 0x10000);
  g_assert_cmpuint(sr.packet_count, ==, 100);
  g_assert_cmpuint(sr.octet_count, ==, 10000);
  g_assert_cmpint(mg_rtcp_get_report_block(&p[0], 0, &rb), ==, 0);
  g_assert_cmphex(rb.ssrc, ==, 0x22222222);
  g_assert_cmpuint(rb.fraction_lost, ==, 64);
  g_assert_cmpint(rb.cumulative_lost, ==, -2);
  g_assert_cmphex(rb.highest_seq, ==, 0x1ffff);
  g_assert_cmpuint(rb.jitter, ==, 32);
  g_assert_cmphex(rb.lsr, ==, 0x12345678);
  g_assert_cmpuint(rb.dlsr, ==, 0x8000);
  g_assert_cmpint(mg_rtcp_get_report_block(&p[0], 1, &rb), ==, -EINVAL);
  g_assert_cmpint(mg_rtcp_rr_parse(&p[0], &ssrc), ==, -EINVAL); /* not an RR */
  g_assert_cmpint(mg_rtcp_bye_get_ssrc(&p[2], 1, &ssrc), ==, 0);
  g_assert_cmphex(ssrc, ==, 0x33333333);
  g_assert_cmpint(mg_rtcp_bye_get_ssrc(&p[2], 2, &ssrc), ==, -EINVAL);
}

static void
test_feedback_compound(void)
{
  MgRtcpPacket p[8];
  MgRtcpFb fb;
  MgRtcpRemb remb;
  guint16 seqs[40];
  guint32 ssrc;
  g_assert_cmpint(mg_rtcp_validate(fb_compound, sizeof(fb_compound)), ==, 0);
  g_assert_cmpint(collect(fb_compound, sizeof(fb_compound), p, 8), ==, 5);
  g_assert_cmpint(p[0].type, ==, MG_RTCP_TYPE_RR);
  g_assert_cmpint(mg_rtcp_rr_parse(&p[0], &ssrc), ==, 0);
  g_assert_cmphex(ssrc, ==, 0xaaaaaaaa);
  g_assert_cmpint(p[1].type, ==, MG_RTCP_TYPE_NACK);
  g_assert_cmpint(p[2].type, ==, MG_RTCP_TYPE_PLI);
  g_assert_cmpint(p[3].type, ==, MG_RTCP_TYPE_TWCC);
  g_assert_cmpint(p[4].type, ==, MG_RTCP_TYPE_REMB);
  g_assert_true(p[4].padding);
  g_assert_cmpuint(p[4].len, ==, 28);

  g_assert_cmpint(mg_rtcp_nack_expand(&p[1], seqs, G_N_ELEMENTS(seqs)), ==, 5);
  g_assert_cmpuint(seqs[0], ==, 65534);
  g_assert_cmpuint(seqs[1], ==, 65535);
  g_assert_cmpuint(seqs[2], ==, 1); /* bit 2: 65534 + 3 wraps */
  g_assert_cmpuint(seqs[3], ==, 100);
  g_assert_cmpuint(seqs[4], ==, 116);
  g_assert_cmpint(mg_rtcp_nack_expand(&p[1], seqs, 2), ==, 2); /* truncated, not overflowed */
  g_assert_cmpint(mg_rtcp_nack_expand(&p[2], seqs, 40), ==, -EINVAL);

  g_assert_cmpint(mg_rtcp_fb_parse(&p[2], &fb), ==, 0);
  g_assert_cmphex(fb.media_ssrc, ==, 0xbbbbbbbb);
  g_assert_cmpuint(fb.fci_len, ==, 0);
  g_assert_cmpint(mg_rtcp_fb_parse(&p[3], &fb), ==, 0);
  g_assert_cmphex(fb.media_ssrc, ==, 0xcccccccc);

  g_assert_cmpint(mg_rtcp_remb_parse(&p[4], &remb), ==, 0);
  g_assert_cmpuint(remb.bitrate, ==, 0x10000u << 3);
  g_assert_cmpuint(remb.n_ssrc, ==, 2);
  g_assert_cmphex(mg_rtcp_remb_get_ssrc(&remb, 0), ==, 0xbbbbbbbb);
  g_assert_cmphex(mg_rtcp_remb_get_ssrc(&remb, 1), ==, 0xcccccccc);
}

static void
test_malformed(void)
{
  guint8 b[sizeof(fb_compound)];
  MgRtcpPacket p[8];
  /* Every truncation is either a shorter valid compound or an error. */
  for (size_t n = 0; n < sizeof(fb_compound); n++) {
    int r = mg_rtcp_validate(fb_compound, n);
    g_assert_true(r == -EINVAL || n == 8 || n == 28 || n == 40 || n == 56);
    collect(fb_compound, n, p, 8);
  }
  /* Version 1 in the second packet. */
  memcpy(b, fb_compound, sizeof(b));
  b[8] = 0x41;
  g_assert_cmpint(mg_rtcp_validate(b, sizeof(b)), ==, -EINVAL);
  g_assert_cmpint(collect(b, sizeof(b), p, 8), ==, -EINVAL);
  /* Length overruns. */
  memcpy(b, fb_compound, sizeof(b));
  b[3] = 0x40;
  g_assert_cmpint(mg_rtcp_validate(b, sizeof(b)), ==, -EINVAL);
  /* Padding on a packet that is not the last. */
  memcpy(b, fb_compound, sizeof(b));
  g_assert_cmpint(mg_rtcp_validate(b, sizeof(b) - 32), ==, 0);
  b[40] |= 0x20; /* TWCC: P=1 with a last byte of 0 */
  g_assert_cmpint(mg_rtcp_validate(b, sizeof(b)), ==, -EINVAL);
  b[55] = 4;
  g_assert_cmpint(mg_rtcp_validate(b, sizeof(b)), ==, -EINVAL);
  g_assert_cmpint(mg_rtcp_validate(b, 56), ==, 0);
  /* Padding larger than the packet. */
  memcpy(b, fb_compound, sizeof(b));
  b[sizeof(b) - 1] = 40;
  g_assert_cmpint(mg_rtcp_validate(b, sizeof(b)), ==, -EINVAL);
  /* RR claiming 3 blocks with none present: the iterator accepts the
   * framing, the accessor refuses. */
  memcpy(b, fb_compound, sizeof(b));
  b[0] = 0x83;
  g_assert_cmpint(collect(b, sizeof(b), p, 8), ==, 5);
  MgRtcpReportBlock rb;
  guint32 ssrc;
  g_assert_cmpint(mg_rtcp_rr_parse(&p[0], &ssrc), ==, -EINVAL);
  g_assert_cmpint(mg_rtcp_get_report_block(&p[0], 0, &rb), ==, -EINVAL);
  /* REMB with more SSRCs than it carries. */
  memcpy(b, fb_compound, sizeof(b));
  b[72] = 9;
  MgRtcpRemb remb;
  g_assert_cmpint(collect(b, sizeof(b), p, 8), ==, 5);
  g_assert_cmpint(mg_rtcp_remb_parse(&p[4], &remb), ==, -EINVAL);
  /* Feedback shorter than its common header. */
  static const guint8 short_fb[] = { 0x81, 206, 0x00, 0x01, 0, 0, 0, 1 };
  g_assert_cmpint(collect(short_fb, sizeof(short_fb), p, 8), ==, 1);
  MgRtcpFb fb;
  g_assert_cmpint(mg_rtcp_fb_parse(&p[0], &fb), ==, -EINVAL);
}

static void
assert_block_eq(const MgRtcpReportBlock *a, const MgRtcpReportBlock *b)
{
  g_assert_cmphex(a->ssrc, ==, b->ssrc);
  g_assert_cmpuint(a->fraction_lost, ==, b->fraction_lost);
  g_assert_cmpint(a->cumulative_lost, ==, b->cumulative_lost);
  g_assert_cmphex(a->highest_seq, ==, b->highest_seq);
  g_assert_cmpuint(a->jitter, ==, b->jitter);
  g_assert_cmphex(a->lsr, ==, b->lsr);
  g_assert_cmphex(a->dlsr, ==, b->dlsr);
}

static void
test_build_roundtrip(void)
{
  guint8 b[256];
  MgRtcpPacket p[2];
  int len;
  MgRtcpReportBlock in[2] = {
    { 0x01020304, 12, -5, 0x0002fff0, 77, 0xaabbccdd, 0x00010000 },
    { 0x05060708, 255, 0x7fffff, 0xffffffff, 0, 0, 0 },
  }, out;
  MgRtcpSr sr_in = { 0xdeadbeef, 0x0123456789abcdefull, 0xfffffff0, 12, 3456 }, sr_out;

  len = mg_rtcp_build_rr(b, sizeof(b), 0x99, in, 2);
  g_assert_cmpint(len, ==, 56);
  g_assert_cmpint(mg_rtcp_validate(b, len), ==, 0);
  g_assert_cmpint(collect(b, len, p, 2), ==, 1);
  g_assert_cmpuint(p[0].count, ==, 2);
  for (guint i = 0; i < 2; i++) {
    g_assert_cmpint(mg_rtcp_get_report_block(&p[0], i, &out), ==, 0);
    assert_block_eq(&out, &in[i]);
  }
  g_assert_cmpint(mg_rtcp_build_rr(b, 55, 0x99, in, 2), ==, -ENOSPC);

  len = mg_rtcp_build_sr(b, sizeof(b), &sr_in, in, 1);
  g_assert_cmpint(len, ==, 52);
  g_assert_cmpint(collect(b, len, p, 2), ==, 1);
  g_assert_cmpint(mg_rtcp_sr_parse(&p[0], &sr_out), ==, 0);
  g_assert_cmphex(sr_out.ssrc, ==, sr_in.ssrc);
  g_assert_cmphex(sr_out.ntp, ==, sr_in.ntp);
  g_assert_cmphex(sr_out.rtp_ts, ==, sr_in.rtp_ts);
  g_assert_cmpuint(sr_out.packet_count, ==, sr_in.packet_count);
  g_assert_cmpuint(sr_out.octet_count, ==, sr_in.octet_count);

  len = mg_rtcp_build_pli(b, sizeof(b), 1, 2);
  g_assert_cmpint(len, ==, 12);
  g_assert_cmpint(collect(b, len, p, 2), ==, 1);
  g_assert_cmpint(p[0].type, ==, MG_RTCP_TYPE_PLI);

  guint32 ssrc;
  guint8 nr;
  len = mg_rtcp_build_fir(b, sizeof(b), 1, 0x4242, 7);
  g_assert_cmpint(len, ==, 20);
  g_assert_cmpint(collect(b, len, p, 2), ==, 1);
  g_assert_cmpint(p[0].type, ==, MG_RTCP_TYPE_FIR);
  g_assert_cmpint(mg_rtcp_fir_count(&p[0]), ==, 1);
  g_assert_cmpint(mg_rtcp_fir_get(&p[0], 0, &ssrc, &nr), ==, 0);
  g_assert_cmphex(ssrc, ==, 0x4242);
  g_assert_cmpuint(nr, ==, 7);
  g_assert_cmpint(mg_rtcp_fir_get(&p[0], 1, &ssrc, &nr), ==, -EINVAL);

  guint32 ssrcs[3] = { 7, 8, 9 };
  MgRtcpRemb remb;
  len = mg_rtcp_build_remb(b, sizeof(b), 1, 2500000, ssrcs, 3);
  g_assert_cmpint(len, ==, 32);
  g_assert_cmpint(collect(b, len, p, 2), ==, 1);
  g_assert_cmpint(mg_rtcp_remb_parse(&p[0], &remb), ==, 0);
  g_assert_cmpuint(remb.bitrate, <=, 2500000);
  g_assert_cmpuint(remb.bitrate, >, 2500000 - 2500000 / (1 << 17));
  g_assert_cmpuint(remb.n_ssrc, ==, 3);
  g_assert_cmpuint(mg_rtcp_remb_get_ssrc(&remb, 2), ==, 9);
  len = mg_rtcp_build_remb(b, sizeof(b), 1, 1000, ssrcs, 0);
  g_assert_cmpint(collect(b, len, p, 2), ==, 1);
  g_assert_cmpint(mg_rtcp_remb_parse(&p[0], &remb), ==, 0);
  g_assert_cmpuint(remb.bitrate, ==, 1000);
}

static void
test_build_nack(void)
{
  /* 65530..65535 wraps into 0..9; then a far one; duplicates and a seq
   * exactly 16 after the PID still pack into one item. */
  static const guint16 lost[] = { 65530, 65531, 65535, 0, 9, 10, 10, 500, 516, 517 };
  static const guint16 want[] = { 65530, 65531, 65535, 0, 9, 10, 500, 516, 517 };
  guint8 b[128];
  guint16 seqs[64];
  MgRtcpPacket p[2];
  int len = mg_rtcp_build_nack(b, sizeof(b), 0x11, 0x22, lost, G_N_ELEMENTS(lost));
  g_assert_cmpint(len, >, 0);
  g_assert_cmpint(collect(b, len, p, 2), ==, 1);
  g_assert_cmpint(p[0].type, ==, MG_RTCP_TYPE_NACK);
  int n = mg_rtcp_nack_expand(&p[0], seqs, G_N_ELEMENTS(seqs));
  g_assert_cmpint(n, ==, G_N_ELEMENTS(want));
  g_assert_cmpmem(seqs, n * sizeof(guint16), want, sizeof(want));
  /* 65530 + 16 = 10: one item; 500 + 16 = 516, 517 needs a third. */
  g_assert_cmpint(len, ==, 12 + 3 * 4);
  g_assert_cmpint(mg_rtcp_build_nack(b, sizeof(b), 0x11, 0x22, lost, 0), ==, -EINVAL);
  g_assert_cmpint(mg_rtcp_build_nack(b, 20, 0x11, 0x22, lost, G_N_ELEMENTS(lost)), ==, -ENOSPC);
}

static gboolean
map_ssrc(guint32 ssrc, guint32 *mapped, gpointer user_data)
{
  guint *calls = user_data;
  (*calls)++;
  if (ssrc == 0xbbbbbbbb) {
    *mapped = 0x0b0b0b0b;
    return TRUE;
  }
  if (ssrc == 0xcccccccc) {
    *mapped = 0x0c0c0c0c;
    return TRUE;
  }
  return FALSE;
}

static void
test_rewrite_ssrcs(void)
{
  guint8 b[256];
  MgRtcpPacket p[8];
  MgRtcpFb fb;
  MgRtcpRemb remb;
  guint calls = 0;
  memcpy(b, fb_compound, sizeof(fb_compound));
  /* NACK, PLI, TWCC media SSRCs and the two REMB SSRCs; not the sender SSRCs. */
  g_assert_cmpint(mg_rtcp_rewrite_media_ssrcs(b, sizeof(fb_compound), map_ssrc, &calls), ==, 5);
  g_assert_cmpuint(calls, ==, 5);
  g_assert_cmpint(collect(b, sizeof(fb_compound), p, 8), ==, 5);
  g_assert_cmpint(mg_rtcp_fb_parse(&p[1], &fb), ==, 0);
  g_assert_cmphex(fb.media_ssrc, ==, 0x0b0b0b0b);
  g_assert_cmphex(fb.sender_ssrc, ==, 0xaaaaaaaa);
  g_assert_cmpint(mg_rtcp_fb_parse(&p[3], &fb), ==, 0);
  g_assert_cmphex(fb.media_ssrc, ==, 0x0c0c0c0c);
  g_assert_cmpint(mg_rtcp_remb_parse(&p[4], &remb), ==, 0);
  g_assert_cmphex(mg_rtcp_remb_get_ssrc(&remb, 0), ==, 0x0b0b0b0b);
  g_assert_cmphex(mg_rtcp_remb_get_ssrc(&remb, 1), ==, 0x0c0c0c0c);

  /* FIR entries and report blocks. */
  MgRtcpReportBlock rb = { .ssrc = 0xcccccccc };
  guint32 ssrc;
  guint8 nr;
  int len = mg_rtcp_build_fir(b, sizeof(b), 1, 0xbbbbbbbb, 3);
  len += mg_rtcp_build_rr(b + len, sizeof(b) - len, 0xbbbbbbbb, &rb, 1);
  g_assert_cmpint(mg_rtcp_rewrite_media_ssrcs(b, len, map_ssrc, &calls), ==, 2);
  g_assert_cmpint(collect(b, len, p, 8), ==, 2);
  g_assert_cmpint(mg_rtcp_fir_get(&p[0], 0, &ssrc, &nr), ==, 0);
  g_assert_cmphex(ssrc, ==, 0x0b0b0b0b);
  g_assert_cmpint(mg_rtcp_get_report_block(&p[1], 0, &rb), ==, 0);
  g_assert_cmphex(rb.ssrc, ==, 0x0c0c0c0c);
  g_assert_cmpint(mg_rtcp_rr_parse(&p[1], &ssrc), ==, 0);
  g_assert_cmphex(ssrc, ==, 0xbbbbbbbb); /* sender SSRC untouched */

  b[0] = 0x40;
  g_assert_cmpint(mg_rtcp_rewrite_media_ssrcs(b, len, map_ssrc, &calls), ==, -EINVAL);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/rtcp/sr-compound", test_sr_compound);
  g_test_add_func("/rtcp/feedback-compound", test_feedback_compound);
  g_test_add_func("/rtcp/malformed", test_malformed);
  g_test_add_func("/rtcp/build-roundtrip", test_build_roundtrip);
  g_test_add_func("/rtcp/build-nack", test_build_nack);
  g_test_add_func("/rtcp/rewrite-ssrcs", test_rewrite_ssrcs);
  return g_test_run();
}

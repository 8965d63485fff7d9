/* SPDX-License-Identifier: MIT
 * The SRTP module alone, with fixed keys (test-dtls.c runs it with keys from
 * a real DTLS handshake). */
#include <string.h>

#include "media/srtp.h"

static const MgSrtpProfile all[] = { MG_SRTP_PROFILE_AEAD_AES_128_GCM, MG_SRTP_PROFILE_AEAD_AES_256_GCM,
                                     MG_SRTP_PROFILE_AES128_CM_SHA1_80, MG_SRTP_PROFILE_AES128_CM_SHA1_32 };

static void
test_profiles(void)
{
  static const struct {
    MgSrtpProfile p;
    const char *name;
    gsize key, salt, rtp, rtcp;
  } want[] = {
    { MG_SRTP_PROFILE_AEAD_AES_128_GCM, "SRTP_AEAD_AES_128_GCM", 16, 12, 16, 20 },
    { MG_SRTP_PROFILE_AEAD_AES_256_GCM, "SRTP_AEAD_AES_256_GCM", 32, 12, 16, 20 },
    { MG_SRTP_PROFILE_AES128_CM_SHA1_80, "SRTP_AES128_CM_SHA1_80", 16, 14, 10, 14 },
    { MG_SRTP_PROFILE_AES128_CM_SHA1_32, "SRTP_AES128_CM_SHA1_32", 16, 14, 4, 14 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
    gsize k = 0, s = 0;
    g_assert_true(mg_srtp_profile_lengths(want[i].p, &k, &s));
    g_assert_cmpuint(k, ==, want[i].key);
    g_assert_cmpuint(s, ==, want[i].salt);
    g_assert_cmpuint(k + s, <=, MG_SRTP_MAX_KEY_SALT_LEN);
    g_assert_cmpstr(mg_srtp_profile_name(want[i].p), ==, want[i].name);
    g_assert_cmpuint(mg_srtp_overhead(want[i].p), ==, want[i].rtp);
    g_assert_cmpuint(mg_srtp_rtcp_overhead(want[i].p), ==, want[i].rtcp);
  }
  g_assert_false(mg_srtp_profile_lengths(MG_SRTP_PROFILE_NONE, NULL, NULL));
  g_assert_null(mg_srtp_profile_name(0x1234));
  g_assert_cmpuint(mg_srtp_overhead(MG_SRTP_PROFILE_NONE), ==, 0);
}

static void
test_bad_setup(void)
{
  guint8 key[MG_SRTP_MAX_KEY_SALT_LEN] = { 1 };
  g_autoptr(GError) error = NULL;
  g_assert_true(mg_srtp_init());
  g_assert_true(mg_srtp_init());
  g_assert_null(mg_srtp_new(MG_SRTP_PROFILE_NONE, key, 28, MG_SRTP_OUTBOUND, &error));
  g_assert_error(error, MG_SRTP_ERROR, 0);
  g_clear_error(&error);
  g_assert_null(mg_srtp_new(MG_SRTP_PROFILE_AEAD_AES_128_GCM, key, 30, MG_SRTP_OUTBOUND, &error));
  g_assert_error(error, MG_SRTP_ERROR, 0);
  g_clear_error(&error);
  g_autoptr(MgSrtp) s = mg_srtp_new(MG_SRTP_PROFILE_AEAD_AES_128_GCM, key, 28, MG_SRTP_INBOUND, &error);
  g_assert_no_error(error);
  g_assert_cmpint(mg_srtp_get_profile(s), ==, MG_SRTP_PROFILE_AEAD_AES_128_GCM);
  g_assert_cmpstr(mg_srtp_strerror(MG_SRTP_ERR_REPLAY), ==, "replayed packet");
}

/* Random bytes into every inbound profile: refused with an error, counted. */
static void
test_garbage(void)
{
  GRand *rand = g_rand_new_with_seed(7);
  guint8 key[MG_SRTP_MAX_KEY_SALT_LEN];
  guint8 buf[1500];
  for (gsize i = 0; i < sizeof key; i++)
    key[i] = (guint8)i;
  for (gsize p = 0; p < G_N_ELEMENTS(all); p++) {
    gsize k, s;
    mg_srtp_profile_lengths(all[p], &k, &s);
    g_autoptr(MgSrtp) in = mg_srtp_new(all[p], key, k + s, MG_SRTP_INBOUND, NULL);
    guint64 refused = 0;
    for (int i = 0; i < 2000; i++) {
      gsize len = g_rand_int_range(rand, 0, sizeof buf);
      for (gsize j = 0; j < len; j++)
        buf[j] = g_rand_int_range(rand, 0, 256);
      if (i % 2)
        buf[0] = 0x80 | (buf[0] & 0x3f); /* version 2, so libsrtp looks further */
      int r = i % 3 ? mg_srtp_unprotect_rtp(in, buf, &len) : mg_srtp_unprotect_rtcp(in, buf, &len);
      g_assert_cmpint(r, <, 0);
      refused++;
    }
    MgSrtpStats st;
    mg_srtp_get_stats(in, &st);
    g_assert_cmpuint(st.packets, ==, 0);
    g_assert_cmpuint(st.auth_failures + st.replays + st.bad_length + st.other_errors, ==, refused);
  }
  g_rand_free(rand);
}

/* One outbound session serves any number of SSRCs; so does one inbound (the
 * GCM sender keeps per-SSRC state in the session: past its first few slots too). */
static void
test_many_ssrcs(void)
{
  guint8 key[MG_SRTP_MAX_KEY_SALT_LEN] = { 9, 8, 7 };
  for (gsize p = 0; p < G_N_ELEMENTS(all); p++) {
    gsize k, sl;
    g_assert_true(mg_srtp_profile_lengths(all[p], &k, &sl));
    g_autoptr(MgSrtp) out = mg_srtp_new(all[p], key, k + sl, MG_SRTP_OUTBOUND, NULL);
    g_autoptr(MgSrtp) in = mg_srtp_new(all[p], key, k + sl, MG_SRTP_INBOUND, NULL);
    guint8 buf[256];
    for (guint16 seq = 1; seq <= 3; seq++) {
      for (guint32 ssrc = 1; ssrc <= 50; ssrc++) {
        memset(buf, 0xab, sizeof buf);
        buf[0] = 0x80, buf[1] = 111, buf[3] = seq;
        buf[8] = ssrc >> 24, buf[9] = ssrc >> 16, buf[10] = ssrc >> 8, buf[11] = ssrc;
        gsize len = 100;
        g_assert_cmpint(mg_srtp_protect_rtp(out, buf, &len, sizeof buf), ==, 0);
        g_assert_cmpint(mg_srtp_unprotect_rtp(in, buf, &len), ==, 0);
        g_assert_cmpuint(len, ==, 100);
        g_assert_cmpint(buf[50], ==, 0xab);
      }
    }
  }
}

static gsize
gcm_packet(guint8 *buf, guint16 seq, guint32 ssrc, gboolean csrc_ext)
{
  memset(buf, 0, 12);
  buf[0] = 0x80, buf[1] = 96;
  buf[2] = seq >> 8, buf[3] = seq;
  buf[4] = 0x12, buf[7] = seq & 0xff;
  buf[8] = ssrc >> 24, buf[9] = ssrc >> 16, buf[10] = ssrc >> 8, buf[11] = ssrc;
  gsize n = 12;
  if (csrc_ext) { /* two CSRCs and a one-byte header extension: all of it is authenticated, not encrypted */
    buf[0] |= 0x10 | 2;
    memset(buf + n, 0x33, 8), n += 8;
    buf[n] = 0xbe, buf[n + 1] = 0xde, buf[n + 2] = 0, buf[n + 3] = 1, n += 4;
    buf[n] = 0x10, buf[n + 1] = 0x7f, buf[n + 2] = 0, buf[n + 3] = 0, n += 4;
  }
  for (gsize i = 0; i < 300; i++)
    buf[n + i] = (guint8)(i * 7 + seq);
  return n + 300;
}

/* The AEAD profiles send through OpenSSL (srtp-gcm.c) and receive through
 * libsrtp: every packet must decrypt on the other implementation, across a
 * sequence-number wrap (the rollover counter), with a retransmission from
 * before the wrap, with CSRCs and header extensions, and for SRTCP from
 * several SSRCs. */
static void
test_gcm_sender(void)
{
  const MgSrtpProfile gcm[] = { MG_SRTP_PROFILE_AEAD_AES_128_GCM, MG_SRTP_PROFILE_AEAD_AES_256_GCM };
  for (gsize p = 0; p < G_N_ELEMENTS(gcm); p++) {
    guint8 key[MG_SRTP_MAX_KEY_SALT_LEN];
    for (gsize i = 0; i < sizeof key; i++)
      key[i] = (guint8)(i * 13 + p);
    gsize kl, sl;
    g_assert_true(mg_srtp_profile_lengths(gcm[p], &kl, &sl));
    g_autoptr(MgSrtp) out = mg_srtp_new(gcm[p], key, kl + sl, MG_SRTP_OUTBOUND, NULL);
    g_autoptr(MgSrtp) in = mg_srtp_new(gcm[p], key, kl + sl, MG_SRTP_INBOUND, NULL);
    g_assert_nonnull(out);
    g_assert_nonnull(in);
    guint8 plain[512], buf[512], held[512];
    gsize held_len = 0, held_plain_len = 0;
    guint8 held_plain[512];
    guint received = 0;
    /* From 65000 across the wrap to 1000 (ROC 0 then 1), two SSRCs interleaved. */
    for (guint32 i = 0; i < 1536; i++) {
      guint16 seq = (guint16)(65000 + i);
      for (guint32 ssrc = 0xa0000001; ssrc <= 0xa0000002; ssrc++) {
        gsize plen = gcm_packet(plain, seq, ssrc, i % 3 == 0);
        memcpy(buf, plain, plen);
        gsize len = plen;
        g_assert_cmpint(mg_srtp_protect_rtp(out, buf, &len, sizeof buf), ==, 0);
        g_assert_cmpuint(len, ==, plen + 16);
        g_assert_true(memcmp(buf + plen - 300, plain + plen - 300, 300) != 0);
        if (seq == 65530 && ssrc == 0xa0000001) { /* lost: sent again after the wrap */
          memcpy(held_plain, plain, plen), held_plain_len = plen;
          continue;
        }
        g_assert_cmpint(mg_srtp_unprotect_rtp(in, buf, &len), ==, 0);
        g_assert_cmpmem(buf, len, plain, plen);
        received++;
      }
      if (seq == 20) { /* the NACK comes after the wrap: the packet keeps ROC 0 */
        memcpy(held, held_plain, held_plain_len), held_len = held_plain_len;
        g_assert_cmpint(mg_srtp_protect_rtp(out, held, &held_len, sizeof held), ==, 0);
        g_assert_cmpint(mg_srtp_unprotect_rtp(in, held, &held_len), ==, 0);
        g_assert_cmpmem(held, held_len, held_plain, held_plain_len);
        received++;
      }
    }
    g_assert_cmpuint(received, ==, 2 * 1536);

    /* SRTCP: several SSRCs share the session; each packet decrypts once. */
    for (int i = 0; i < 30; i++) {
      guint32 ssrc = 0xb0000000 + i % 3;
      guint8 rtcp[64] = { 0x81, 201, 0, 7 };
      rtcp[4] = ssrc >> 24, rtcp[5] = ssrc >> 16, rtcp[6] = ssrc >> 8, rtcp[7] = ssrc;
      memset(rtcp + 8, i, 24);
      memcpy(buf, rtcp, 32);
      gsize len = 32;
      g_assert_cmpint(mg_srtp_protect_rtcp(out, buf, &len, sizeof buf), ==, 0);
      g_assert_cmpuint(len, ==, 32 + 20);
      memcpy(held, buf, len), held_len = len;
      g_assert_cmpint(mg_srtp_unprotect_rtcp(in, buf, &len), ==, 0);
      g_assert_cmpmem(buf, len, rtcp, 32);
      g_assert_cmpint(mg_srtp_unprotect_rtcp(in, held, &held_len), ==, MG_SRTP_ERR_REPLAY);
    }

    /* Refusals: not RTP version 2, a header longer than the packet, no room. */
    gsize len = gcm_packet(buf, 7, 1, TRUE);
    buf[0] = 0x40;
    g_assert_cmpint(mg_srtp_protect_rtp(out, buf, &len, sizeof buf), ==, MG_SRTP_ERR_INVALID);
    len = 12 + 8 + 2;
    gcm_packet(buf, 7, 1, TRUE);
    g_assert_cmpint(mg_srtp_protect_rtp(out, buf, &len, sizeof buf), ==, MG_SRTP_ERR_INVALID);
    len = gcm_packet(buf, 7, 1, FALSE);
    g_assert_cmpint(mg_srtp_protect_rtp(out, buf, &len, len + 15), ==, MG_SRTP_ERR_LENGTH);
    len = 8;
    buf[0] = 0x80;
    g_assert_cmpint(mg_srtp_protect_rtcp(out, buf, &len, 8 + 19), ==, MG_SRTP_ERR_LENGTH);
    MgSrtpStats st;
    mg_srtp_get_stats(out, &st);
    g_assert_cmpuint(st.packets, ==, 2 * 1536 + 1 + 30);
    g_assert_cmpuint(st.bad_length, ==, 2);
    g_assert_cmpuint(st.other_errors, ==, 2);
  }
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/srtp/profiles", test_profiles);
  g_test_add_func("/srtp/bad-setup", test_bad_setup);
  g_test_add_func("/srtp/garbage", test_garbage);
  g_test_add_func("/srtp/many-ssrcs", test_many_ssrcs);
  g_test_add_func("/srtp/gcm-sender", test_gcm_sender);
  return g_test_run();
}

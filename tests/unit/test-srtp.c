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

/* One outbound session serves any number of SSRCs; so does one inbound. */
static void
test_many_ssrcs(void)
{
  guint8 key[MG_SRTP_MAX_KEY_SALT_LEN] = { 9, 8, 7 };
  g_autoptr(MgSrtp) out = mg_srtp_new(MG_SRTP_PROFILE_AES128_CM_SHA1_80, key, 30, MG_SRTP_OUTBOUND, NULL);
  g_autoptr(MgSrtp) in = mg_srtp_new(MG_SRTP_PROFILE_AES128_CM_SHA1_80, key, 30, MG_SRTP_INBOUND, NULL);
  guint8 buf[256];
  for (guint32 ssrc = 1; ssrc <= 50; ssrc++) {
    memset(buf, 0xab, sizeof buf);
    buf[0] = 0x80, buf[1] = 111, buf[3] = 1;
    buf[8] = ssrc >> 24, buf[9] = ssrc >> 16, buf[10] = ssrc >> 8, buf[11] = ssrc;
    gsize len = 100;
    g_assert_cmpint(mg_srtp_protect_rtp(out, buf, &len, sizeof buf), ==, 0);
    g_assert_cmpint(mg_srtp_unprotect_rtp(in, buf, &len), ==, 0);
    g_assert_cmpuint(len, ==, 100);
    g_assert_cmpint(buf[50], ==, 0xab);
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
  return g_test_run();
}

/* SPDX-License-Identifier: MIT
 * SRTP cost per 1,200-byte RTP packet for each profile, in µs. Prints
 * figures only: no thresholds (machines differ). Usage: bench-srtp [packets] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "media/srtp.h"

#define PACKET_LEN 1200
#define BATCH 1024
#define SLOT 1300

static void
make_rtp(guint8 *buf, guint16 seq)
{
  memset(buf, 0x5a, PACKET_LEN);
  buf[0] = 0x80;
  buf[1] = 96;
  buf[2] = seq >> 8, buf[3] = seq & 0xff;
  buf[8] = 0x12, buf[9] = 0x34, buf[10] = 0x56, buf[11] = 0x78;
}

/* Protects then unprotects batches of packets; returns µs per packet. */
static void
bench(MgSrtpProfile profile, guint packets, double *protect_us, double *unprotect_us)
{
  guint8 key[MG_SRTP_MAX_KEY_SALT_LEN];
  gsize kl, sl;
  for (gsize i = 0; i < sizeof key; i++)
    key[i] = (guint8)(i * 37 + 1);
  mg_srtp_profile_lengths(profile, &kl, &sl);
  g_autoptr(MgSrtp) out = mg_srtp_new(profile, key, kl + sl, MG_SRTP_OUTBOUND, NULL);
  g_autoptr(MgSrtp) in = mg_srtp_new(profile, key, kl + sl, MG_SRTP_INBOUND, NULL);
  g_assert_true(out && in);
  guint8 *ring = g_malloc(BATCH * SLOT);
  gsize lens[BATCH];
  gint64 t_protect = 0, t_unprotect = 0;
  guint16 seq = 1;
  guint done = 0;
  while (done < packets) {
    guint n = MIN(BATCH, packets - done);
    for (guint i = 0; i < n; i++)
      make_rtp(ring + i * SLOT, seq++);
    gint64 t0 = g_get_monotonic_time();
    for (guint i = 0; i < n; i++) {
      lens[i] = PACKET_LEN;
      if (mg_srtp_protect_rtp(out, ring + i * SLOT, &lens[i], SLOT) != 0)
        g_error("protect failed");
    }
    gint64 t1 = g_get_monotonic_time();
    for (guint i = 0; i < n; i++)
      if (mg_srtp_unprotect_rtp(in, ring + i * SLOT, &lens[i]) != 0)
        g_error("unprotect failed");
    gint64 t2 = g_get_monotonic_time();
    t_protect += t1 - t0;
    t_unprotect += t2 - t1;
    done += n;
  }
  g_free(ring);
  *protect_us = (double)t_protect / packets;
  *unprotect_us = (double)t_unprotect / packets;
}

int
main(int argc, char **argv)
{
  static const MgSrtpProfile profiles[] = { MG_SRTP_PROFILE_AEAD_AES_128_GCM, MG_SRTP_PROFILE_AEAD_AES_256_GCM,
                                            MG_SRTP_PROFILE_AES128_CM_SHA1_80, MG_SRTP_PROFILE_AES128_CM_SHA1_32 };
  guint packets = argc > 1 ? (guint)strtoul(argv[1], NULL, 10) : 100000;
  if (packets == 0)
    packets = 100000;
  bench(profiles[0], MIN(packets, 10000u), &(double){ 0 }, &(double){ 0 }); /* warm-up */
  printf("# SRTP, %d-byte RTP packets, %u per profile\n", PACKET_LEN, packets);
  printf("%-24s %12s %14s\n", "profile", "protect_us", "unprotect_us");
  for (gsize i = 0; i < G_N_ELEMENTS(profiles); i++) {
    double p, u;
    bench(profiles[i], packets, &p, &u);
    printf("%-24s %12.2f %14.2f\n", mg_srtp_profile_name(profiles[i]), p, u);
  }
  return 0;
}

/* SPDX-License-Identifier: MIT
 * Forward-path microbenchmark: one publisher's SRTP video packets through
 * the real room code — unprotect, route, rewrite, protect, send (a real UDP
 * sendto on loopback) — to N subscribers, on one core. Prints figures; never
 * fails on them. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "media/dtls.h"
#include "media/peer.h"
#include "media/room.h"
#include "media/srtp.h"
#include "tests/unit/sdp-samples.h"

#define PACKET_LEN 1200
#define VIDEO_SSRC 2001 /* the chrome_offer sample's video SSRC */
#define VIDEO_PT 96

typedef struct {
  int fd;
  struct sockaddr_in sink;
} Sink;

static int
sink_send(const guint8 *data, gsize len, gpointer user_data)
{
  Sink *s = user_data;
  return sendto(s->fd, data, len, 0, (struct sockaddr *)&s->sink, sizeof s->sink) == (ssize_t)len ? 0 : -1;
}

static void
fill_keys(MgSrtpKeys *k, MgSrtpProfile profile, guint8 seed)
{
  memset(k, 0, sizeof *k);
  k->profile = profile;
  mg_srtp_profile_lengths(profile, &k->key_len, &k->salt_len);
  for (gsize i = 0; i < sizeof k->local; i++) {
    k->local[i] = seed + i;
    k->remote[i] = seed * 3 + i * 7;
  }
}

/* A VP8 keyframe-start packet: descriptor with a 15-bit PictureID, P bit clear. */
static gsize
make_packet(guint8 *buf, guint16 seq, guint32 ts, guint16 picture_id)
{
  memset(buf, 0, PACKET_LEN);
  buf[0] = 0x80;
  buf[1] = VIDEO_PT;
  buf[2] = seq >> 8;
  buf[3] = seq;
  buf[4] = ts >> 24;
  buf[5] = ts >> 16;
  buf[6] = ts >> 8;
  buf[7] = ts;
  buf[8] = VIDEO_SSRC >> 24;
  buf[9] = VIDEO_SSRC >> 16;
  buf[10] = VIDEO_SSRC >> 8;
  buf[11] = VIDEO_SSRC & 0xff;
  buf[12] = 0x90; /* X, S */
  buf[13] = 0x80; /* I */
  buf[14] = 0x80 | ((picture_id >> 8) & 0x7f);
  buf[15] = picture_id & 0xff;
  buf[16] = 0x00; /* VP8 header: P = 0, keyframe */
  return PACKET_LEN;
}

static void
run(MgSrtpProfile profile, guint n_subs, guint n_packets)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MgDtlsCert) cert = mg_dtls_cert_new(&error);
  char *addrs[] = { "127.0.0.1", NULL };
  MgRoomConfig cfg = { .ctx = g_main_context_default(), .ice = { .addresses = addrs }, .cert = cert };
  MgRoom *room = mg_room_new("bench", &cfg);
  Sink sink = { .fd = socket(AF_INET, SOCK_DGRAM, 0) };
  int sink_fd = socket(AF_INET, SOCK_DGRAM, 0);
  sink.sink.sin_family = AF_INET;
  sink.sink.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof sink.sink;
  bind(sink_fd, (struct sockaddr *)&sink.sink, sizeof sink.sink);
  getsockname(sink_fd, (struct sockaddr *)&sink.sink, &alen);

  MgSrtpKeys keys, client_keys;
  fill_keys(&keys, profile, 1);
  client_keys = keys;
  memcpy(client_keys.local, keys.remote, sizeof keys.remote);
  memcpy(client_keys.remote, keys.local, sizeof keys.local);

  g_free(mg_room_connect(room, "pub", NULL, MG_MEDIA_PUBLISH, chrome_offer, &error));
  g_assert_no_error(error);
  MgPeer *pub = mg_room_get_peer(room, "pub");
  mg_peer_set_transport(pub, sink_send, &sink);
  mg_peer_set_keys(pub, &keys, &error);
  for (guint i = 0; i < n_subs; i++) {
    g_autofree char *id = g_strdup_printf("sub%u", i);
    g_free(mg_room_connect(room, id, NULL, MG_MEDIA_SUBSCRIBE, whep_offer, &error));
    g_assert_no_error(error);
    MgPeer *sub = mg_room_get_peer(room, id);
    mg_peer_set_transport(sub, sink_send, &sink);
    mg_peer_set_keys(sub, &keys, &error);
  }

  /* Encrypt everything first: the client's cost is not the server's. */
  g_autoptr(MgSrtp) client =
      mg_srtp_new(profile, client_keys.local, keys.key_len + keys.salt_len, MG_SRTP_OUTBOUND, &error);
  gsize stride = PACKET_LEN + 64;
  guint8 *packets = g_malloc(stride * n_packets);
  gsize *lens = g_new(gsize, n_packets);
  for (guint i = 0; i < n_packets; i++) {
    guint8 *p = packets + i * stride;
    lens[i] = make_packet(p, i, i / 4 * 3000, i / 4);
    mg_srtp_protect_rtp(client, p, &lens[i], stride);
  }

  /* The first packet announces the track and binds the subscribers. */
  mg_peer_receive(pub, packets, lens[0]);
  const MgPeerStats *ps = mg_peer_get_stats(mg_room_get_peer(room, n_subs ? "sub0" : "pub"));
  guint64 out_before = ps->packets_out;
  guint8 scratch[PACKET_LEN + 64];
  gint64 t0 = g_get_monotonic_time();
  for (guint i = 1; i < n_packets; i++) {
    memcpy(scratch, packets + i * stride, lens[i]);
    mg_peer_receive(pub, scratch, lens[i]);
  }
  gint64 dt = g_get_monotonic_time() - t0;
  guint64 per_sub = ps->packets_out - out_before;
  double in_pps = (n_packets - 1) * 1e6 / dt;
  printf("%-22s subscribers %4u: %8.2f us per incoming packet, %7.3f us per forwarded packet, "
         "%9.0f forwarded/s on one core (each subscriber got %" G_GUINT64_FORMAT "/%u)\n",
         mg_srtp_profile_name(profile), n_subs, (double)dt / (n_packets - 1),
         n_subs ? (double)dt / ((n_packets - 1) * (double)n_subs) : 0.0, in_pps * n_subs, per_sub, n_packets - 1);
  fflush(stdout);
  g_free(packets);
  g_free(lens);
  mg_room_free(room);
  close(sink.fd);
  close(sink_fd);
}

int
main(int argc, char **argv)
{
  mg_srtp_init();
  g_log_set_writer_func(g_log_writer_default, NULL, NULL);
  g_setenv("G_MESSAGES_DEBUG", "", TRUE);
  if (argc == 3) { /* bench-forward SUBSCRIBERS PACKETS: one run, AES-128-GCM (for perf) */
    run(MG_SRTP_PROFILE_AEAD_AES_128_GCM, atoi(argv[1]), atoi(argv[2]));
    return 0;
  }
  static const guint subs[] = { 1, 10, 100, 500 };
  static const MgSrtpProfile profiles[] = { MG_SRTP_PROFILE_AEAD_AES_128_GCM, MG_SRTP_PROFILE_AES128_CM_SHA1_80 };
  for (gsize p = 0; p < G_N_ELEMENTS(profiles); p++)
    for (gsize s = 0; s < G_N_ELEMENTS(subs); s++)
      run(profiles[p], subs[s], subs[s] >= 100 ? 2001 : 20001);
  return 0;
}

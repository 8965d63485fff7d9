/* SPDX-License-Identifier: MIT
 * Two in-process DTLS peers wired back to back under an injected clock, then
 * SRTP between them with the keys they exported. */
#include <string.h>

#include "media/dtls.h"
#include "media/srtp.h"

#define T0 (1000 * G_USEC_PER_SEC) /* any origin: the clock is ours */

typedef struct {
  MgDtls *dtls;
  GQueue out; /* GBytes sent, not yet delivered to the other peer */
  guint sent;
  guint drop_from, drop_to; /* drop the datagrams numbered [from, to) (1-based) */
  gsize max_datagram;
  int connected;
  MgSrtpKeys keys;
  int failed;
  char *reason;
  int closed;
} Peer;

typedef struct {
  MgDtlsCert *client_cert, *server_cert;
  Peer client, server;
  gint64 now;
} Pair;

static void
on_send(const guint8 *data, gsize len, gpointer user_data)
{
  Peer *p = user_data;
  p->sent++;
  p->max_datagram = MAX(p->max_datagram, len);
  if (p->sent >= p->drop_from && p->sent < p->drop_to)
    return;
  g_queue_push_tail(&p->out, g_bytes_new(data, len));
}

static void
on_connected(const MgSrtpKeys *keys, gpointer user_data)
{
  Peer *p = user_data;
  p->connected++;
  p->keys = *keys;
}

static void
on_failed(const char *reason, gpointer user_data)
{
  Peer *p = user_data;
  p->failed++;
  g_free(p->reason);
  p->reason = g_strdup(reason);
}

static void
on_closed(gpointer user_data)
{
  Peer *p = user_data;
  p->closed++;
}

static const MgDtlsCallbacks callbacks = { on_send, on_connected, on_failed, on_closed };

static void
pair_init(Pair *pr, gboolean fingerprints)
{
  memset(pr, 0, sizeof *pr);
  pr->now = T0;
  g_autoptr(GError) error = NULL;
  pr->client_cert = mg_dtls_cert_new(&error);
  g_assert_no_error(error);
  pr->server_cert = mg_dtls_cert_new(&error);
  g_assert_no_error(error);
  pr->client.dtls = mg_dtls_new(pr->client_cert, MG_DTLS_ROLE_CLIENT, &callbacks, &pr->client);
  pr->server.dtls = mg_dtls_new(pr->server_cert, MG_DTLS_ROLE_SERVER, &callbacks, &pr->server);
  if (fingerprints) {
    g_assert_true(mg_dtls_set_remote_fingerprint(pr->client.dtls, "sha-256",
                                                 mg_dtls_cert_get_fingerprint(pr->server_cert), &error));
    g_assert_true(mg_dtls_set_remote_fingerprint(pr->server.dtls, "SHA-256",
                                                 mg_dtls_cert_get_fingerprint(pr->client_cert), &error));
  }
}

static void
peer_clear(Peer *p)
{
  mg_dtls_free(p->dtls);
  g_queue_clear_full(&p->out, (GDestroyNotify)g_bytes_unref);
  g_free(p->reason);
}

static void
pair_clear(Pair *pr)
{
  peer_clear(&pr->client);
  peer_clear(&pr->server);
  mg_dtls_cert_unref(pr->client_cert);
  mg_dtls_cert_unref(pr->server_cert);
}

static void
deliver(Pair *pr, Peer *from, Peer *to)
{
  GBytes *b = g_queue_pop_head(&from->out);
  gsize len;
  const guint8 *data = g_bytes_get_data(b, &len);
  int r = mg_dtls_feed(to->dtls, data, len, pr->now);
  g_assert_true(r == 0 || (r == -ENOTCONN && mg_dtls_get_state(to->dtls) >= MG_DTLS_STATE_FAILED));
  g_bytes_unref(b);
}

/* Delivers everything in flight, in both directions, until both are quiet. */
static void
pump(Pair *pr)
{
  while (!g_queue_is_empty(&pr->client.out) || !g_queue_is_empty(&pr->server.out)) {
    if (!g_queue_is_empty(&pr->client.out))
      deliver(pr, &pr->client, &pr->server);
    if (!g_queue_is_empty(&pr->server.out))
      deliver(pr, &pr->server, &pr->client);
  }
}

static gint64
earliest(gint64 a, gint64 b)
{
  if (a < 0)
    return b;
  if (b < 0)
    return a;
  return MIN(a, b);
}

/* Runs the schedule: pump, jump the clock to the next timeout, repeat. */
static void
run_until(Pair *pr, gint64 until)
{
  for (;;) {
    pump(pr);
    gint64 next = earliest(mg_dtls_next_timeout(pr->client.dtls), mg_dtls_next_timeout(pr->server.dtls));
    if (next < 0 || next > until)
      return;
    g_assert_cmpint(next, >=, pr->now);
    pr->now = next;
    mg_dtls_handle_timeout(pr->client.dtls, pr->now);
    mg_dtls_handle_timeout(pr->server.dtls, pr->now);
  }
}

static void
start(Pair *pr)
{
  mg_dtls_start(pr->server.dtls, pr->now);
  mg_dtls_start(pr->client.dtls, pr->now);
}

static void
assert_mirrored(Pair *pr, MgSrtpProfile profile)
{
  const MgSrtpKeys *c = &pr->client.keys, *s = &pr->server.keys;
  gsize kl, sl;
  g_assert_true(mg_srtp_profile_lengths(profile, &kl, &sl));
  g_assert_cmpint(c->profile, ==, profile);
  g_assert_cmpint(s->profile, ==, profile);
  g_assert_cmpuint(c->key_len, ==, kl);
  g_assert_cmpuint(c->salt_len, ==, sl);
  g_assert_cmpuint(s->key_len, ==, kl);
  g_assert_cmpmem(c->local, kl + sl, s->remote, kl + sl);
  g_assert_cmpmem(c->remote, kl + sl, s->local, kl + sl);
  g_assert_true(memcmp(c->local, c->remote, kl + sl) != 0);
}

static void
test_cert(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MgDtlsCert) cert = mg_dtls_cert_new(&error);
  g_assert_no_error(error);
  g_assert_cmpstr(mg_dtls_cert_get_fingerprint_hash(cert), ==, "sha-256");
  g_assert_true(g_regex_match_simple("^([0-9A-F]{2}:){31}[0-9A-F]{2}$", mg_dtls_cert_get_fingerprint(cert), 0, 0));
  g_autoptr(MgDtlsCert) other = mg_dtls_cert_new(&error);
  g_assert_cmpstr(mg_dtls_cert_get_fingerprint(cert), !=, mg_dtls_cert_get_fingerprint(other));
  g_assert_true(mg_dtls_cert_ref(cert) == cert);
  mg_dtls_cert_unref(cert);
}

static void
test_handshake(void)
{
  Pair pr;
  pair_init(&pr, TRUE);
  g_assert_cmpint(mg_dtls_next_timeout(pr.client.dtls), ==, -1);
  start(&pr);
  g_assert_cmpint(mg_dtls_get_state(pr.client.dtls), ==, MG_DTLS_STATE_HANDSHAKING);
  g_assert_cmpint(mg_dtls_next_timeout(pr.client.dtls), ==, T0 + MG_DTLS_RTX_INITIAL_US);
  pump(&pr);
  g_assert_cmpint(pr.client.connected, ==, 1);
  g_assert_cmpint(pr.server.connected, ==, 1);
  g_assert_cmpint(pr.client.failed + pr.server.failed, ==, 0);
  g_assert_cmpint(mg_dtls_get_state(pr.client.dtls), ==, MG_DTLS_STATE_CONNECTED);
  g_assert_cmpint(mg_dtls_get_state(pr.server.dtls), ==, MG_DTLS_STATE_CONNECTED);
  assert_mirrored(&pr, MG_SRTP_PROFILE_AEAD_AES_128_GCM);
  g_assert_cmpuint(pr.client.max_datagram, <=, MG_DTLS_MTU);
  g_assert_cmpuint(pr.server.max_datagram, <=, MG_DTLS_MTU);
  g_assert_cmpint(mg_dtls_next_timeout(pr.client.dtls), ==, -1);
  g_assert_cmpint(mg_dtls_next_timeout(pr.server.dtls), ==, -1);
  MgDtlsStats st;
  mg_dtls_get_stats(pr.client.dtls, &st);
  g_assert_cmpuint(st.retransmissions, ==, 0);
  g_assert_cmpuint(st.datagrams_out, ==, pr.client.sent);
  pair_clear(&pr);
}

static void
test_profile_preference(void)
{
  static const MgSrtpProfile cases[][3] = {
    /* client offer, in order -> expected */
    { MG_SRTP_PROFILE_AEAD_AES_256_GCM, MG_SRTP_PROFILE_AEAD_AES_128_GCM, MG_SRTP_PROFILE_AEAD_AES_128_GCM },
    { MG_SRTP_PROFILE_AES128_CM_SHA1_80, MG_SRTP_PROFILE_AEAD_AES_256_GCM, MG_SRTP_PROFILE_AEAD_AES_256_GCM },
    { MG_SRTP_PROFILE_AES128_CM_SHA1_32, MG_SRTP_PROFILE_AES128_CM_SHA1_80, MG_SRTP_PROFILE_AES128_CM_SHA1_80 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    Pair pr;
    pair_init(&pr, TRUE);
    g_assert_true(mg_dtls_set_srtp_profiles(pr.client.dtls, cases[i], 2, NULL));
    start(&pr);
    pump(&pr);
    g_assert_cmpint(pr.client.connected, ==, 1);
    assert_mirrored(&pr, cases[i][2]);
    pair_clear(&pr);
  }
}

static void
test_fingerprint_mismatch(void)
{
  /* The client gets a wrong fingerprint for the server, then the reverse. */
  for (int who = 0; who < 2; who++) {
    Pair pr;
    pair_init(&pr, FALSE);
    g_autoptr(MgDtlsCert) stranger = mg_dtls_cert_new(NULL);
    MgDtls *liar = who == 0 ? pr.client.dtls : pr.server.dtls;
    MgDtls *honest = who == 0 ? pr.server.dtls : pr.client.dtls;
    MgDtlsCert *honest_view = who == 0 ? pr.client_cert : pr.server_cert;
    g_assert_true(mg_dtls_set_remote_fingerprint(liar, "sha-256", mg_dtls_cert_get_fingerprint(stranger), NULL));
    g_assert_true(mg_dtls_set_remote_fingerprint(honest, "sha-256", mg_dtls_cert_get_fingerprint(honest_view), NULL));
    start(&pr);
    run_until(&pr, T0 + 20 * G_USEC_PER_SEC);
    Peer *lp = who == 0 ? &pr.client : &pr.server;
    g_assert_cmpint(pr.client.connected + pr.server.connected, ==, 0);
    g_assert_cmpint(lp->failed, ==, 1);
    g_assert_nonnull(strstr(lp->reason, "fingerprint"));
    g_assert_cmpint(pr.client.failed, ==, 1);
    g_assert_cmpint(pr.server.failed, ==, 1);
    g_assert_cmpint(mg_dtls_feed(liar, (const guint8 *)"\x16\xfe\xfd", 3, pr.now), ==, -ENOTCONN);
    pair_clear(&pr);
  }
}

static void
test_fingerprint_late(void)
{
  Pair pr;
  pair_init(&pr, FALSE);
  start(&pr);
  pump(&pr);
  g_assert_cmpint(pr.client.connected + pr.server.connected, ==, 0);
  g_assert_cmpint(mg_dtls_get_state(pr.server.dtls), ==, MG_DTLS_STATE_HANDSHAKING);
  /* The answer with the fingerprint arrives after the handshake. */
  g_autofree char *lower = g_ascii_strdown(mg_dtls_cert_get_fingerprint(pr.server_cert), -1);
  g_assert_true(mg_dtls_set_remote_fingerprint(pr.client.dtls, "sha-256", lower, NULL));
  g_assert_cmpint(pr.client.connected, ==, 1);
  g_autoptr(MgDtlsCert) stranger = mg_dtls_cert_new(NULL);
  g_assert_true(
      mg_dtls_set_remote_fingerprint(pr.server.dtls, "sha-256", mg_dtls_cert_get_fingerprint(stranger), NULL));
  g_assert_cmpint(pr.server.connected, ==, 0);
  g_assert_cmpint(pr.server.failed, ==, 1);
  pair_clear(&pr);
}

static void
test_fingerprint_syntax(void)
{
  Pair pr;
  pair_init(&pr, FALSE);
  g_autoptr(GError) error = NULL;
  g_assert_false(mg_dtls_set_remote_fingerprint(pr.client.dtls, "md5", "AB:CD", &error));
  g_assert_error(error, MG_DTLS_ERROR, 0);
  g_clear_error(&error);
  g_assert_false(mg_dtls_set_remote_fingerprint(pr.client.dtls, "sha-256", "AB:CD", &error));
  g_assert_error(error, MG_DTLS_ERROR, 0);
  g_clear_error(&error);
  g_autofree char *junk = g_strconcat(mg_dtls_cert_get_fingerprint(pr.server_cert), ":00", NULL);
  g_assert_false(mg_dtls_set_remote_fingerprint(pr.client.dtls, "sha-256", junk, &error));
  g_clear_error(&error);
  g_assert_true(mg_dtls_set_remote_fingerprint(pr.client.dtls, "sha-1",
                                               "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33", &error));
  g_assert_no_error(error);
  pair_clear(&pr);
}

static void
test_retransmit_first_flight(void)
{
  Pair pr;
  pair_init(&pr, TRUE);
  pr.client.drop_from = 1; /* the ClientHello is lost */
  pr.client.drop_to = 2;
  start(&pr);
  pump(&pr);
  g_assert_cmpuint(pr.client.sent, ==, 1);
  gint64 due = mg_dtls_next_timeout(pr.client.dtls);
  g_assert_cmpint(due, ==, T0 + MG_DTLS_RTX_INITIAL_US);
  mg_dtls_handle_timeout(pr.client.dtls, due - 1);
  g_assert_cmpuint(pr.client.sent, ==, 1);
  pr.now = due;
  mg_dtls_handle_timeout(pr.client.dtls, pr.now);
  g_assert_cmpuint(pr.client.sent, ==, 2);
  g_assert_cmpint(mg_dtls_next_timeout(pr.client.dtls), ==, due + 2 * MG_DTLS_RTX_INITIAL_US);
  pump(&pr);
  g_assert_cmpint(pr.client.connected, ==, 1);
  g_assert_cmpint(pr.server.connected, ==, 1);
  assert_mirrored(&pr, MG_SRTP_PROFILE_AEAD_AES_128_GCM);
  MgDtlsStats st;
  mg_dtls_get_stats(pr.client.dtls, &st);
  g_assert_cmpuint(st.retransmissions, ==, 1);
  pair_clear(&pr);
}

/* Losing the server's whole first flight, then its last flight: each side's
 * retransmission brings the other one back. */
static void
test_retransmit_lost_flights(void)
{
  for (int last = 0; last < 2; last++) {
    Pair pr;
    pair_init(&pr, TRUE);
    start(&pr);
    /* Find how many datagrams the server's flights take, then replay with loss. */
    if (!last) {
      pr.server.drop_from = 1;
      pr.server.drop_to = 100; /* everything until the clock moves */
      pump(&pr);
      g_assert_cmpint(pr.client.connected, ==, 0);
      pr.server.drop_to = pr.server.sent + 1;
    } else {
      deliver(&pr, &pr.client, &pr.server); /* ClientHello */
      guint first_flight = pr.server.sent;
      while (!g_queue_is_empty(&pr.server.out))
        deliver(&pr, &pr.server, &pr.client);
      pr.server.drop_from = first_flight + 1; /* the server's CCS + Finished */
      pr.server.drop_to = 100;
      pump(&pr);
      g_assert_cmpint(pr.server.connected, ==, 1);
      g_assert_cmpint(pr.client.connected, ==, 0);
      pr.server.drop_to = pr.server.sent + 1;
    }
    run_until(&pr, T0 + 5 * G_USEC_PER_SEC);
    g_assert_cmpint(pr.client.connected, ==, 1);
    g_assert_cmpint(pr.server.connected, ==, 1);
    g_assert_cmpint(pr.now, ==, T0 + MG_DTLS_RTX_INITIAL_US);
    assert_mirrored(&pr, MG_SRTP_PROFILE_AEAD_AES_128_GCM);
    pair_clear(&pr);
  }
}

static void
test_garbage(void)
{
  Pair pr;
  pair_init(&pr, TRUE);
  GRand *rand = g_rand_new_with_seed(42);
  guint8 junk[1500];
  MgDtlsStats st;
  start(&pr);
  /* Mid-handshake: random datagrams, truncated headers, lying lengths. */
  int refused = 0;
  for (int i = 0; i < 2000; i++) {
    gsize len = g_rand_int_range(rand, 0, sizeof junk);
    for (gsize j = 0; j < len; j++)
      junk[j] = g_rand_int_range(rand, 0, 256);
    if (i % 4 == 0 && len >= 13) { /* a plausible header with a wrong length */
      junk[0] = 22, junk[1] = 0xfe, junk[2] = 0xfd;
      junk[11] = 0xff, junk[12] = 0xff;
    }
    int r = mg_dtls_feed(pr.server.dtls, junk, len, pr.now);
    g_assert_cmpint(r, ==, -EBADMSG);
    refused++;
  }
  g_assert_cmpint(mg_dtls_feed(pr.server.dtls, junk, 0, pr.now), ==, -EBADMSG);
  mg_dtls_get_stats(pr.server.dtls, &st);
  g_assert_cmpuint(st.bad_datagrams, ==, refused + 1);
  g_assert_cmpuint(st.datagrams_in, ==, 0);
  pump(&pr);
  g_assert_cmpint(pr.client.connected, ==, 1);
  g_assert_cmpint(pr.server.connected, ==, 1);

  /* Connected: records with a good header and random contents (a MAC that
   * fails, an epoch not yet or never in use) are dropped by OpenSSL. */
  for (int i = 0; i < 200; i++) {
    gsize body = g_rand_int_range(rand, 1, 200);
    for (gsize j = 0; j < 13 + body; j++)
      junk[j] = g_rand_int_range(rand, 0, 256);
    junk[0] = 20 + i % 4, junk[1] = 0xfe, junk[2] = 0xfd;
    junk[3] = 0, junk[4] = i % 3 ? i % 3 : 7; /* epoch 1 (bad MAC), 2 or 7 */
    junk[11] = body >> 8, junk[12] = body & 0xff;
    g_assert_cmpint(mg_dtls_feed(pr.client.dtls, junk, 13 + body, pr.now), ==, 0);
  }
  g_assert_cmpint(mg_dtls_get_state(pr.client.dtls), ==, MG_DTLS_STATE_CONNECTED);
  g_assert_cmpint(pr.client.failed, ==, 0);
  g_assert_false(mg_dtls_is_dtls_packet((const guint8 *)"\x80", 1));
  g_assert_false(mg_dtls_is_dtls_packet((const guint8 *)"\x00", 1));
  g_assert_true(mg_dtls_is_dtls_packet((const guint8 *)"\x16", 1));
  g_rand_free(rand);
  pair_clear(&pr);
}

static void
test_handshake_timeout(void)
{
  Pair pr;
  pair_init(&pr, TRUE);
  pr.client.drop_from = 1;
  pr.client.drop_to = G_MAXUINT; /* nothing reaches the server */
  mg_dtls_set_handshake_timeout(pr.client.dtls, 5 * G_USEC_PER_SEC);
  start(&pr);
  run_until(&pr, T0 + 60 * G_USEC_PER_SEC);
  g_assert_cmpint(pr.client.failed, ==, 1);
  g_assert_nonnull(strstr(pr.client.reason, "timed out"));
  g_assert_cmpint(pr.server.failed, ==, 1); /* its default 10 s ran out too */
  g_assert_cmpint(pr.now, ==, T0 + MG_DTLS_HANDSHAKE_TIMEOUT_US);
  /* Retransmissions at 0.4, 1.2, 2.8 s; the next would be at 6 s. */
  MgDtlsStats st;
  mg_dtls_get_stats(pr.client.dtls, &st);
  g_assert_cmpuint(st.retransmissions, ==, 3);
  g_assert_cmpuint(pr.client.sent, ==, 4);
  g_assert_cmpint(mg_dtls_get_state(pr.client.dtls), ==, MG_DTLS_STATE_FAILED);
  g_assert_cmpint(mg_dtls_next_timeout(pr.client.dtls), ==, -1);
  pair_clear(&pr);
}

static void
test_close(void)
{
  Pair pr;
  pair_init(&pr, TRUE);
  start(&pr);
  pump(&pr);
  g_assert_cmpint(pr.server.connected, ==, 1);
  mg_dtls_close(pr.client.dtls, pr.now);
  g_assert_cmpint(mg_dtls_get_state(pr.client.dtls), ==, MG_DTLS_STATE_CLOSED);
  pump(&pr);
  g_assert_cmpint(pr.server.closed, ==, 1);
  g_assert_cmpint(pr.client.closed, ==, 0);
  g_assert_cmpint(mg_dtls_get_state(pr.server.dtls), ==, MG_DTLS_STATE_CLOSED);
  g_assert_cmpint(pr.client.failed + pr.server.failed, ==, 0);
  pair_clear(&pr);
}

/* After mg_dtls_release() the association keeps its state and stats, drops
 * what arrives (counted), never retransmits and closes without a word. */
static void
test_release(void)
{
  Pair pr;
  pair_init(&pr, TRUE);
  g_assert_false(mg_dtls_release(pr.server.dtls)); /* not connected yet */
  start(&pr);
  deliver(&pr, &pr.client, &pr.server); /* ClientHello */
  guint first_flight = pr.server.sent;
  while (!g_queue_is_empty(&pr.server.out))
    deliver(&pr, &pr.server, &pr.client);
  g_assert_false(mg_dtls_release(pr.server.dtls)); /* still handshaking */
  /* The server's CCS + Finished are lost: the client will retransmit. */
  pr.server.drop_from = first_flight + 1;
  pr.server.drop_to = 100;
  pump(&pr);
  g_assert_cmpint(pr.server.connected, ==, 1);
  g_assert_cmpint(pr.client.connected, ==, 0);
  g_assert_true(mg_dtls_release(pr.server.dtls));
  g_assert_true(mg_dtls_is_released(pr.server.dtls));
  g_assert_false(mg_dtls_release(pr.server.dtls));
  g_assert_cmpint(mg_dtls_get_state(pr.server.dtls), ==, MG_DTLS_STATE_CONNECTED);
  g_assert_cmpint(mg_dtls_next_timeout(pr.server.dtls), ==, -1);

  /* The client's retransmitted final flight is no longer answered. */
  guint server_sent = pr.server.sent;
  pr.now = mg_dtls_next_timeout(pr.client.dtls);
  mg_dtls_handle_timeout(pr.client.dtls, pr.now);
  guint resent = g_queue_get_length(&pr.client.out);
  g_assert_cmpuint(resent, >, 0);
  pump(&pr);
  MgDtlsStats st;
  mg_dtls_get_stats(pr.server.dtls, &st);
  g_assert_cmpuint(st.ignored, ==, resent);
  g_assert_cmpuint(pr.server.sent, ==, server_sent);
  g_assert_cmpint(pr.client.connected, ==, 0);

  /* Garbage is still refused as such; a close sends nothing. */
  guint8 junk[4] = { 22, 1, 2, 3 };
  g_assert_cmpint(mg_dtls_feed(pr.server.dtls, junk, sizeof junk, pr.now), ==, -EBADMSG);
  mg_dtls_close(pr.server.dtls, pr.now);
  g_assert_cmpint(mg_dtls_get_state(pr.server.dtls), ==, MG_DTLS_STATE_CLOSED);
  g_assert_cmpuint(pr.server.sent, ==, server_sent);
  g_assert_cmpint(pr.server.failed + pr.server.closed, ==, 0);
  pair_clear(&pr);
}

static void
free_on_connect(const MgSrtpKeys *keys, gpointer user_data)
{
  Peer *p = user_data;
  p->connected++;
  mg_dtls_free(p->dtls); /* deferred until the feed returns */
  p->dtls = NULL;
}

static void
test_free_in_callback(void)
{
  Pair pr;
  pair_init(&pr, TRUE);
  MgDtlsCallbacks cb = callbacks;
  cb.connected = free_on_connect;
  mg_dtls_free(pr.client.dtls);
  pr.client.dtls = mg_dtls_new(pr.client_cert, MG_DTLS_ROLE_CLIENT, &cb, &pr.client);
  g_assert_true(
      mg_dtls_set_remote_fingerprint(pr.client.dtls, "sha-256", mg_dtls_cert_get_fingerprint(pr.server_cert), NULL));
  start(&pr);
  while (pr.client.dtls && (!g_queue_is_empty(&pr.client.out) || !g_queue_is_empty(&pr.server.out))) {
    if (!g_queue_is_empty(&pr.client.out))
      deliver(&pr, &pr.client, &pr.server);
    if (!g_queue_is_empty(&pr.server.out))
      deliver(&pr, &pr.server, &pr.client);
  }
  g_assert_cmpint(pr.client.connected, ==, 1);
  g_assert_null(pr.client.dtls);
  pair_clear(&pr);
}

/* ---- SRTP between the two peers -------------------------------------------- */

#define PKT_CAP 1500

static gsize
make_rtp(guint8 *buf, guint16 seq, guint32 ssrc, gsize len)
{
  buf[0] = 0x80;
  buf[1] = 96;
  buf[2] = seq >> 8, buf[3] = seq & 0xff;
  guint32 ts = seq * 3000u;
  buf[4] = ts >> 24, buf[5] = ts >> 16, buf[6] = ts >> 8, buf[7] = ts;
  buf[8] = ssrc >> 24, buf[9] = ssrc >> 16, buf[10] = ssrc >> 8, buf[11] = ssrc;
  for (gsize i = 12; i < len; i++)
    buf[i] = (guint8)(i * 7 + seq);
  return len;
}

static gsize
make_rtcp_sr(guint8 *buf, guint32 ssrc)
{
  memset(buf, 0, 28);
  buf[0] = 0x80;
  buf[1] = 200; /* SR, no report blocks */
  buf[3] = 6;   /* length in words minus one */
  buf[4] = ssrc >> 24, buf[5] = ssrc >> 16, buf[6] = ssrc >> 8, buf[7] = ssrc;
  for (int i = 8; i < 28; i++)
    buf[i] = (guint8)i;
  return 28;
}

typedef struct {
  MgSrtp *a_out, *a_in, *b_out, *b_in;
} Sessions;

static void
sessions_from_pair(Sessions *s, Pair *pr)
{
  const MgSrtpKeys *a = &pr->client.keys, *b = &pr->server.keys;
  gsize n = a->key_len + a->salt_len;
  g_autoptr(GError) error = NULL;
  s->a_out = mg_srtp_new(a->profile, a->local, n, MG_SRTP_OUTBOUND, &error);
  g_assert_no_error(error);
  s->a_in = mg_srtp_new(a->profile, a->remote, n, MG_SRTP_INBOUND, &error);
  s->b_out = mg_srtp_new(b->profile, b->local, n, MG_SRTP_OUTBOUND, &error);
  s->b_in = mg_srtp_new(b->profile, b->remote, n, MG_SRTP_INBOUND, &error);
  g_assert_no_error(error);
}

static void
sessions_clear(Sessions *s)
{
  mg_srtp_free(s->a_out);
  mg_srtp_free(s->a_in);
  mg_srtp_free(s->b_out);
  mg_srtp_free(s->b_in);
}

/* Protects with out, checks the trailer size, unprotects with in, compares. */
static void
roundtrip_rtp(MgSrtp *out, MgSrtp *in, guint16 seq, guint32 ssrc, gsize plen)
{
  guint8 plain[PKT_CAP], buf[PKT_CAP];
  gsize len = make_rtp(plain, seq, ssrc, plen);
  memcpy(buf, plain, len);
  g_assert_cmpint(mg_srtp_protect_rtp(out, buf, &len, sizeof buf), ==, 0);
  g_assert_cmpuint(len, ==, plen + mg_srtp_overhead(mg_srtp_get_profile(out)));
  g_assert_true(memcmp(buf + 12, plain + 12, plen - 12) != 0);
  g_assert_cmpint(mg_srtp_unprotect_rtp(in, buf, &len), ==, 0);
  g_assert_cmpmem(buf, len, plain, plen);
}

static void
check_srtp(MgSrtpProfile profile)
{
  Pair pr;
  pair_init(&pr, TRUE);
  g_assert_true(mg_dtls_set_srtp_profiles(pr.server.dtls, &profile, 1, NULL));
  start(&pr);
  pump(&pr);
  g_assert_cmpint(pr.client.connected, ==, 1);
  assert_mirrored(&pr, profile);
  Sessions s;
  sessions_from_pair(&s, &pr);
  guint8 plain[PKT_CAP], buf[PKT_CAP], copy[PKT_CAP];
  gsize len, clen, plen;
  MgSrtpStats st;

  /* RTP both ways, several SSRCs on one session. */
  for (guint16 seq = 1; seq <= 20; seq++) {
    roundtrip_rtp(s.a_out, s.b_in, seq, 0x1111, 1200);
    roundtrip_rtp(s.a_out, s.b_in, seq, 0x2222, 200);
    roundtrip_rtp(s.b_out, s.a_in, seq, 0x3333, 1200);
  }

  /* RTCP. */
  plen = make_rtcp_sr(plain, 0x1111);
  len = plen;
  memcpy(buf, plain, len);
  g_assert_cmpint(mg_srtp_protect_rtcp(s.a_out, buf, &len, sizeof buf), ==, 0);
  g_assert_cmpuint(len, ==, plen + mg_srtp_rtcp_overhead(profile));
  memcpy(copy, buf, len), clen = len;
  g_assert_cmpint(mg_srtp_unprotect_rtcp(s.b_in, buf, &len), ==, 0);
  g_assert_cmpmem(buf, len, plain, plen);
  g_assert_cmpint(mg_srtp_unprotect_rtcp(s.b_in, copy, &clen), ==, MG_SRTP_ERR_REPLAY);

  /* Tampered RTP and RTCP. */
  len = make_rtp(buf, 100, 0x1111, 1200);
  g_assert_cmpint(mg_srtp_protect_rtp(s.a_out, buf, &len, sizeof buf), ==, 0);
  buf[500] ^= 0x01;
  g_assert_cmpint(mg_srtp_unprotect_rtp(s.b_in, buf, &len), ==, MG_SRTP_ERR_AUTH);
  len = make_rtcp_sr(buf, 0x1111);
  g_assert_cmpint(mg_srtp_protect_rtcp(s.a_out, buf, &len, sizeof buf), ==, 0);
  buf[10] ^= 0x80;
  g_assert_cmpint(mg_srtp_unprotect_rtcp(s.b_in, buf, &len), ==, MG_SRTP_ERR_AUTH);

  /* Replayed RTP. */
  len = make_rtp(buf, 101, 0x1111, 1200);
  g_assert_cmpint(mg_srtp_protect_rtp(s.a_out, buf, &len, sizeof buf), ==, 0);
  memcpy(copy, buf, len), clen = len;
  g_assert_cmpint(mg_srtp_unprotect_rtp(s.b_in, buf, &len), ==, 0);
  g_assert_cmpint(mg_srtp_unprotect_rtp(s.b_in, copy, &clen), ==, MG_SRTP_ERR_REPLAY);

  /* A NACKed packet protected again with the same sequence number: allowed on
   * the sending side, identical bytes, and the receiver takes it once. */
  plen = make_rtp(plain, 102, 0x1111, 1200);
  memcpy(buf, plain, plen), len = plen;
  g_assert_cmpint(mg_srtp_protect_rtp(s.a_out, buf, &len, sizeof buf), ==, 0);
  memcpy(copy, plain, plen), clen = plen;
  g_assert_cmpint(mg_srtp_protect_rtp(s.a_out, copy, &clen, sizeof copy), ==, 0);
  g_assert_cmpmem(buf, len, copy, clen);
  g_assert_cmpint(mg_srtp_unprotect_rtp(s.b_in, copy, &clen), ==, 0); /* the first copy was lost */
  g_assert_cmpmem(copy, clen, plain, plen);
  g_assert_cmpint(mg_srtp_unprotect_rtp(s.b_in, buf, &len), ==, MG_SRTP_ERR_REPLAY);

  /* Keys the wrong way round do not authenticate. */
  g_autoptr(MgSrtp) wrong = mg_srtp_new(profile, pr.server.keys.local, pr.client.keys.key_len + pr.client.keys.salt_len,
                                        MG_SRTP_INBOUND, NULL);
  len = make_rtp(buf, 103, 0x1111, 300);
  g_assert_cmpint(mg_srtp_protect_rtp(s.a_out, buf, &len, sizeof buf), ==, 0);
  g_assert_cmpint(mg_srtp_unprotect_rtp(wrong, buf, &len), ==, MG_SRTP_ERR_AUTH);

  /* Lengths: no room for the trailer, runt packets. */
  len = make_rtp(buf, 104, 0x1111, 1200);
  g_assert_cmpint(mg_srtp_protect_rtp(s.a_out, buf, &len, 1200 + mg_srtp_overhead(profile) - 1), ==,
                  MG_SRTP_ERR_LENGTH);
  g_assert_cmpuint(len, ==, 1200);
  len = 11;
  g_assert_cmpint(mg_srtp_protect_rtp(s.a_out, buf, &len, sizeof buf), ==, MG_SRTP_ERR_LENGTH);
  len = 12 + mg_srtp_overhead(profile) - 1;
  g_assert_cmpint(mg_srtp_unprotect_rtp(s.b_in, buf, &len), ==, MG_SRTP_ERR_LENGTH);
  len = 8 + mg_srtp_rtcp_overhead(profile) - 1;
  g_assert_cmpint(mg_srtp_unprotect_rtcp(s.b_in, buf, &len), ==, MG_SRTP_ERR_LENGTH);

  mg_srtp_get_stats(s.b_in, &st);
  g_assert_cmpuint(st.packets, ==, 40 + 1 + 2);
  g_assert_cmpuint(st.auth_failures, ==, 2);
  g_assert_cmpuint(st.replays, ==, 3);
  g_assert_cmpuint(st.bad_length, ==, 2);
  sessions_clear(&s);
  pair_clear(&pr);
}

static void
test_srtp_gcm128(void)
{
  check_srtp(MG_SRTP_PROFILE_AEAD_AES_128_GCM);
}

static void
test_srtp_gcm256(void)
{
  check_srtp(MG_SRTP_PROFILE_AEAD_AES_256_GCM);
}

static void
test_srtp_sha1_80(void)
{
  check_srtp(MG_SRTP_PROFILE_AES128_CM_SHA1_80);
}

static void
test_srtp_sha1_32(void)
{
  check_srtp(MG_SRTP_PROFILE_AES128_CM_SHA1_32);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/dtls/cert", test_cert);
  g_test_add_func("/dtls/handshake", test_handshake);
  g_test_add_func("/dtls/profile-preference", test_profile_preference);
  g_test_add_func("/dtls/fingerprint-mismatch", test_fingerprint_mismatch);
  g_test_add_func("/dtls/fingerprint-late", test_fingerprint_late);
  g_test_add_func("/dtls/fingerprint-syntax", test_fingerprint_syntax);
  g_test_add_func("/dtls/retransmit-first-flight", test_retransmit_first_flight);
  g_test_add_func("/dtls/retransmit-lost-flights", test_retransmit_lost_flights);
  g_test_add_func("/dtls/garbage", test_garbage);
  g_test_add_func("/dtls/handshake-timeout", test_handshake_timeout);
  g_test_add_func("/dtls/close", test_close);
  g_test_add_func("/dtls/free-in-callback", test_free_in_callback);
  g_test_add_func("/dtls/release", test_release);
  g_test_add_func("/dtls/srtp/aead-aes-128-gcm", test_srtp_gcm128);
  g_test_add_func("/dtls/srtp/aead-aes-256-gcm", test_srtp_gcm256);
  g_test_add_func("/dtls/srtp/aes128-cm-sha1-80", test_srtp_sha1_80);
  g_test_add_func("/dtls/srtp/aes128-cm-sha1-32", test_srtp_sha1_32);
  return g_test_run();
}

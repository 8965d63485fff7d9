/* SPDX-License-Identifier: MIT
 * Fuzz target: the inbound path of a peer's media port. Datagrams are sorted
 * by first byte (RFC 7983), DTLS goes to a server association, RTP and RTCP
 * are unprotected by an SRTP session keyed with a fixed key and parsed. */
#include "media/dtls.h"
#include "media/rtcp.h"
#include "media/rtp.h"
#include "media/srtp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Input: one byte choosing the SRTP profile, then datagrams, each preceded by
 * its length as two big-endian bytes (the last one may run short). The seeds
 * (make-corpus.py) protect their packets with this same key. */
static const guint8 fixed_key[MG_SRTP_MAX_KEY_SALT_LEN] = {
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
  0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
  0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d,
};

static const MgSrtpProfile fuzz_profiles[] = {
  MG_SRTP_PROFILE_AES128_CM_SHA1_80,
  MG_SRTP_PROFILE_AES128_CM_SHA1_32,
  MG_SRTP_PROFILE_AEAD_AES_128_GCM,
  MG_SRTP_PROFILE_AEAD_AES_256_GCM,
};

static void
on_send(const guint8 *data, gsize len, gpointer user_data)
{
  g_assert(len > 0 && len <= MG_DTLS_MTU);
}

static void
on_connected(const MgSrtpKeys *keys, gpointer user_data)
{
  /* The remote fingerprint below matches no certificate. */
  g_assert_not_reached();
}

static void
on_failed(const char *reason, gpointer user_data)
{
  g_assert(reason != NULL);
}

static void
on_closed(gpointer user_data)
{
}

static const MgDtlsCallbacks callbacks = { on_send, on_connected, on_failed, on_closed };

static MgDtlsCert *
shared_cert(void)
{
  static MgDtlsCert *cert;
  if (!cert) {
    g_autoptr(GError) error = NULL;
    cert = mg_dtls_cert_new(&error);
    if (!cert)
      g_error("mg_dtls_cert_new: %s", error->message);
  }
  return cert;
}

static void
feed_media(MgSrtp *srtp, guint8 *buf, gsize len)
{
  if (mg_rtp_is_rtcp(buf, len)) {
    if (mg_srtp_unprotect_rtcp(srtp, buf, &len) == 0) {
      MgRtcpIter it;
      MgRtcpPacket p;
      mg_rtcp_validate(buf, len);
      mg_rtcp_iter_init(&it, buf, len);
      while (mg_rtcp_iter_next(&it, &p) > 0)
        g_assert(p.len >= 4);
    }
  } else if (mg_srtp_unprotect_rtp(srtp, buf, &len) == 0) {
    MgRtpHeader h;
    if (mg_rtp_parse(buf, len, &h) == 0)
      g_assert(h.payload_offset + h.payload_len + h.padding_len == len);
  }
}

static void
feed_one(MgDtls *dtls, MgSrtp *srtp, const guint8 *data, gsize len, gint64 now)
{
  /* Each datagram in a buffer of exactly its size, so overreads show. */
  guint8 *buf = g_memdup2(data, len);
  switch (mg_rtp_demux_class(buf[0])) {
  case MG_RTP_DEMUX_DTLS:
    mg_dtls_feed(dtls, buf, len, now);
    if (mg_dtls_next_timeout(dtls) >= 0 && mg_dtls_next_timeout(dtls) <= now)
      mg_dtls_handle_timeout(dtls, now);
    break;
  case MG_RTP_DEMUX_RTP:
    feed_media(srtp, buf, len);
    break;
  case MG_RTP_DEMUX_STUN: /* libnice's, not ours */
  case MG_RTP_DEMUX_UNKNOWN:
    break;
  }
  g_free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  MgSrtpProfile profile;
  gsize key_len, salt_len;
  gint64 now = G_USEC_PER_SEC;
  if (size < 1)
    return 0;
  profile = fuzz_profiles[data[0] % G_N_ELEMENTS(fuzz_profiles)];
  g_assert(mg_srtp_profile_lengths(profile, &key_len, &salt_len));

  g_autoptr(MgSrtp) srtp = mg_srtp_new(profile, fixed_key, key_len + salt_len, MG_SRTP_INBOUND, NULL);
  g_autoptr(MgDtls) dtls = mg_dtls_new(shared_cert(), MG_DTLS_ROLE_SERVER, &callbacks, NULL);
  g_assert(srtp && dtls);
  g_assert(mg_dtls_set_remote_fingerprint(
    dtls, "sha-256",
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF", NULL));

  for (size_t i = 1; i < size;) {
    size_t len = size - i >= 2 ? (size_t)(data[i] << 8 | data[i + 1]) : 0;
    i += MIN(size - i, 2);
    len = MIN(len, size - i);
    if (len > 0)
      feed_one(dtls, srtp, data + i, len, now);
    i += len;
    now += 10 * 1000;
  }
  mg_dtls_handle_timeout(dtls, now + MG_DTLS_HANDSHAKE_TIMEOUT_US);
  return 0;
}

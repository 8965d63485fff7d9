/* SPDX-License-Identifier: MIT
 * DTLS-SRTP on OpenSSL 3 through a datagram BIO of our own. The only file
 * that includes OpenSSL headers; the timer notes are in docs/dtls-srtp.md. */
#define G_LOG_DOMAIN "dtls"
#include "media/dtls.h"

#include <string.h>
#include <sys/time.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AEAD_AES_256_GCM:SRTP_AES128_CM_SHA1_80:SRTP_AES128_CM_SHA1_32"
/* ECDSA first (our certificate); the RSA suites are for peers with RSA
 * certificates (GStreamer's webrtcbin) when we are the client. */
#define CIPHERS                                                                                                        \
  "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"                         \
  "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:"                               \
  "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA"
#define EXPORTER_LABEL "EXTRACTOR-dtls_srtp"
/* What OpenSSL's own timer is set to when we schedule retransmissions
 * ourselves: far enough that it never fires on its own. */
#define OSSL_FAR_TIMER_US (3600u * 1000000u)

struct MgDtlsCert {
  gint refs;
  SSL_CTX *ctx;
  char *fingerprint;
};

struct MgDtls {
  MgDtlsCert *cert;
  SSL *ssl;
  MgDtlsRole role;
  MgDtlsState state;
  MgDtlsCallbacks cb;
  gpointer user_data;
  MgDtlsStats stats;
  gboolean handshake_done; /* OpenSSL finished; we may still await the fingerprint */
  gboolean released;       /* ssl freed by mg_dtls_release() */

  const EVP_MD *remote_md;
  guint8 remote_fp[EVP_MAX_MD_SIZE];
  guint remote_fp_len;
  gboolean fp_mismatch;

  gint64 now_us;
  gint64 handshake_timeout_us;
  gint64 handshake_deadline;
  gint64 rtx_duration_us;
  gint64 rtx_deadline;
  struct timeval *ossl_timer; /* OpenSSL's own deadline, see docs/dtls-srtp.md */

  const guint8 *in; /* the datagram being fed, until OpenSSL reads it */
  gsize in_len;
  GPtrArray *out; /* GBytes, datagrams waiting for the send callback */

  MgSrtpKeys keys;
  gboolean notify_connected, notify_closed;
  char *fail_reason; /* set once; notify_failed says it is not yet reported */
  gboolean notify_failed;
  int depth; /* public calls in progress on this object */
  gboolean free_pending;
};

G_DEFINE_QUARK(mg - dtls - error - quark, mg_dtls_error)

/* ---- Certificate ---------------------------------------------------------- */

static char *
format_fingerprint(const guint8 *md, guint len)
{
  GString *s = g_string_sized_new(len * 3);
  for (guint i = 0; i < len; i++)
    g_string_append_printf(s, i ? ":%02X" : "%02X", md[i]);
  return g_string_free(s, FALSE);
}

static X509 *
make_certificate(EVP_PKEY *pkey)
{
  X509 *x = X509_new();
  guint8 serial[8];
  BIGNUM *bn = NULL;
  gboolean ok = x && RAND_bytes(serial, sizeof serial) == 1;
  serial[0] &= 0x7f;
  ok = ok && (bn = BN_bin2bn(serial, sizeof serial, NULL)) && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
  ok = ok && X509_set_version(x, X509_VERSION_3) && X509_set_pubkey(x, pkey);
  ok = ok && X509_gmtime_adj(X509_getm_notBefore(x), -24 * 3600) &&
       X509_gmtime_adj(X509_getm_notAfter(x), 30 * 24 * 3600);
  X509_NAME *name = x ? X509_get_subject_name(x) : NULL;
  ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const guint8 *)"meetgate", -1, -1, 0);
  ok = ok && X509_set_issuer_name(x, name) && X509_sign(x, pkey, EVP_sha256()) > 0;
  BN_free(bn);
  if (!ok) {
    X509_free(x);
    return NULL;
  }
  return x;
}

static int verify_cb(int ok, X509_STORE_CTX *store);

static SSL_CTX *
make_context(X509 *x, EVP_PKEY *pkey)
{
  SSL_CTX *ctx = SSL_CTX_new(DTLS_method());
  gboolean ok = ctx && SSL_CTX_use_certificate(ctx, x) == 1 && SSL_CTX_use_PrivateKey(ctx, pkey) == 1 &&
                SSL_CTX_check_private_key(ctx) == 1 && SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) == 1 &&
                SSL_CTX_set_cipher_list(ctx, CIPHERS) == 1 &&
                SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") == 1 &&
                SSL_CTX_set_tlsext_use_srtp(ctx, SRTP_PROFILES) == 0; /* 0 is success here */
  if (!ok) {
    SSL_CTX_free(ctx);
    return NULL;
  }
  SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  /* Read and write buffers (~34 KiB) only while a record is in flight. */
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
  return ctx;
}

MgDtlsCert *
mg_dtls_cert_new(GError **error)
{
  MgDtlsCert *cert = NULL;
  X509 *x = NULL;
  guint8 md[EVP_MAX_MD_SIZE];
  guint md_len = 0;
  EVP_PKEY *pkey = EVP_EC_gen("P-256");
  if (!pkey || !(x = make_certificate(pkey)) || X509_digest(x, EVP_sha256(), md, &md_len) != 1) {
    g_set_error(error, MG_DTLS_ERROR, 0, "cannot create the DTLS certificate: %s",
                ERR_reason_error_string(ERR_peek_last_error()));
    goto out;
  }
  SSL_CTX *ctx = make_context(x, pkey);
  if (!ctx) {
    g_set_error(error, MG_DTLS_ERROR, 0, "cannot set up the DTLS context: %s",
                ERR_reason_error_string(ERR_peek_last_error()));
    goto out;
  }
  cert = g_new0(MgDtlsCert, 1);
  cert->refs = 1;
  cert->ctx = ctx;
  cert->fingerprint = format_fingerprint(md, md_len);
out:
  ERR_clear_error();
  X509_free(x);
  EVP_PKEY_free(pkey);
  return cert;
}

MgDtlsCert *
mg_dtls_cert_ref(MgDtlsCert *cert)
{
  g_atomic_int_inc(&cert->refs);
  return cert;
}

void
mg_dtls_cert_unref(MgDtlsCert *cert)
{
  if (!cert || !g_atomic_int_dec_and_test(&cert->refs))
    return;
  SSL_CTX_free(cert->ctx);
  g_free(cert->fingerprint);
  g_free(cert);
}

const char *
mg_dtls_cert_get_fingerprint_hash(MgDtlsCert *cert)
{
  return "sha-256";
}

const char *
mg_dtls_cert_get_fingerprint(MgDtlsCert *cert)
{
  return cert->fingerprint;
}

/* ---- The datagram BIO ------------------------------------------------------ */

/* True when OpenSSL hands our BIO a pointer to its own retransmission
 * deadline (a struct timeval inside the SSL object, as 3.0 does). Later
 * versions pass a copy (3.2 certainly; 3.1 not verified, so excluded too),
 * and retransmissions then follow the system clock instead. */
static gboolean
virtual_timer_supported(void)
{
#if OPENSSL_VERSION_NUMBER < 0x30100000L
  return OpenSSL_version_num() < 0x30100000L;
#else
  return FALSE;
#endif
}

static int
bio_write(BIO *bio, const char *data, int len)
{
  MgDtls *d = BIO_get_data(bio);
  if (len <= 0)
    return 0;
  g_ptr_array_add(d->out, g_bytes_new(data, len));
  return len;
}

static int
bio_read(BIO *bio, char *buf, int len)
{
  MgDtls *d = BIO_get_data(bio);
  BIO_clear_retry_flags(bio);
  if (!d->in || len <= 0) {
    BIO_set_retry_read(bio);
    return -1;
  }
  /* One datagram per read, as a UDP socket would do it. */
  int n = (int)MIN((gsize)len, d->in_len);
  memcpy(buf, d->in, n);
  d->in = NULL;
  d->in_len = 0;
  return n;
}

static void
timer_set(MgDtls *d, struct timeval *tv)
{
  if (!tv || (tv->tv_sec == 0 && tv->tv_usec == 0)) {
    d->rtx_deadline = -1;
    return;
  }
  d->rtx_deadline = d->now_us + d->rtx_duration_us;
  if (virtual_timer_supported())
    d->ossl_timer = tv;
}

static long
bio_ctrl(BIO *bio, int cmd, long num, void *ptr)
{
  MgDtls *d = BIO_get_data(bio);
  switch (cmd) {
  case BIO_CTRL_FLUSH:
    return 1;
  case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
    timer_set(d, ptr);
    return 1;
  case BIO_CTRL_DGRAM_QUERY_MTU:
  case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
    return MG_DTLS_MTU;
  default:
    return 0; /* includes WPENDING, PENDING, GET_MTU_OVERHEAD, MTU_EXCEEDED */
  }
}

static int
bio_create(BIO *bio)
{
  BIO_set_init(bio, 1);
  return 1;
}

static BIO_METHOD *
bio_method(void)
{
  static gsize once = 0;
  static BIO_METHOD *method;
  if (g_once_init_enter(&once)) {
    method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "meetgate dtls");
    BIO_meth_set_write(method, bio_write);
    BIO_meth_set_read(method, bio_read);
    BIO_meth_set_ctrl(method, bio_ctrl);
    BIO_meth_set_create(method, bio_create);
    g_once_init_leave(&once, 1);
  }
  return method;
}

/* ---- Timers ---------------------------------------------------------------- */

/* OpenSSL asks for the next retransmission interval: 0 when it arms the
 * timer for a new flight, the previous interval when it retransmits. */
static unsigned int
timer_cb(SSL *ssl, unsigned int prev_us)
{
  MgDtls *d = SSL_get_app_data(ssl);
  if (prev_us == 0) {
    d->rtx_duration_us = MG_DTLS_RTX_INITIAL_US;
  } else {
    d->rtx_duration_us = MIN(d->rtx_duration_us * 2, MG_DTLS_RTX_MAX_US);
    d->stats.retransmissions++;
  }
  return virtual_timer_supported() ? OSSL_FAR_TIMER_US : (unsigned int)d->rtx_duration_us;
}

/* ---- Association ----------------------------------------------------------- */

static void
fail(MgDtls *d, const char *reason)
{
  if (d->state == MG_DTLS_STATE_FAILED || d->state == MG_DTLS_STATE_CLOSED)
    return;
  g_debug("%s failed: %s", d->role == MG_DTLS_ROLE_CLIENT ? "client" : "server", reason);
  d->state = MG_DTLS_STATE_FAILED;
  d->fail_reason = g_strdup(reason);
  d->notify_failed = TRUE;
  d->rtx_deadline = -1;
}

static void
fail_ssl(MgDtls *d, const char *what)
{
  unsigned long e = ERR_peek_last_error();
  g_autofree char *reason = NULL;
  if (d->fp_mismatch)
    reason = g_strdup("remote certificate does not match the fingerprint");
  else
    reason = g_strdup_printf("%s: %s", what, e ? ERR_reason_error_string(e) : "unknown OpenSSL error");
  ERR_clear_error();
  fail(d, reason);
}

static gboolean
fingerprint_matches(MgDtls *d, X509 *x)
{
  guint8 md[EVP_MAX_MD_SIZE];
  guint len = 0;
  return x && X509_digest(x, d->remote_md, md, &len) == 1 && len == d->remote_fp_len &&
         CRYPTO_memcmp(md, d->remote_fp, len) == 0;
}

/* Self-signed certificates are the norm in WebRTC: what counts is that the
 * certificate is the one the signaling channel announced. */
static int
verify_cb(int ok, X509_STORE_CTX *store)
{
  SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
  MgDtls *d = ssl ? SSL_get_app_data(ssl) : NULL;
  if (!d)
    return 0;
  if (d->remote_md && !fingerprint_matches(d, X509_STORE_CTX_get0_cert(store))) {
    d->fp_mismatch = TRUE;
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED); /* alert bad_certificate */
    return 0;
  }
  /* Without a fingerprint yet, try_connect() checks it when it arrives. */
  X509_STORE_CTX_set_error(store, X509_V_OK);
  return 1;
}

static gboolean
export_keys(MgDtls *d)
{
  const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(d->ssl);
  gsize kl, sl;
  if (!p || !mg_srtp_profile_lengths((MgSrtpProfile)p->id, &kl, &sl)) {
    fail(d, "the peer negotiated no SRTP protection profile we support");
    return FALSE;
  }
  guint8 m[2 * MG_SRTP_MAX_KEY_SALT_LEN];
  if (SSL_export_keying_material(d->ssl, m, 2 * (kl + sl), EXPORTER_LABEL, strlen(EXPORTER_LABEL), NULL, 0, 0) != 1) {
    fail_ssl(d, "keying material export");
    return FALSE;
  }
  /* RFC 5764 4.2: client key | server key | client salt | server salt. */
  gboolean client = d->role == MG_DTLS_ROLE_CLIENT;
  d->keys.profile = (MgSrtpProfile)p->id;
  d->keys.key_len = kl;
  d->keys.salt_len = sl;
  memcpy(d->keys.local, m + (client ? 0 : kl), kl);
  memcpy(d->keys.local + kl, m + 2 * kl + (client ? 0 : sl), sl);
  memcpy(d->keys.remote, m + (client ? kl : 0), kl);
  memcpy(d->keys.remote + kl, m + 2 * kl + (client ? sl : 0), sl);
  OPENSSL_cleanse(m, sizeof m);
  return TRUE;
}

/* Called when OpenSSL has finished and, later, when the fingerprint comes. */
static void
try_connect(MgDtls *d)
{
  if (d->state != MG_DTLS_STATE_HANDSHAKING || !d->handshake_done || !d->remote_md)
    return;
  X509 *peer = SSL_get0_peer_certificate(d->ssl);
  if (!fingerprint_matches(d, peer)) {
    fail(d, "remote certificate does not match the fingerprint");
    return;
  }
  if (!export_keys(d))
    return;
  d->state = MG_DTLS_STATE_CONNECTED;
  d->notify_connected = TRUE;
}

static void
read_records(MgDtls *d)
{
  guint8 buf[2048];
  for (;;) {
    ERR_clear_error();
    int n = SSL_read(d->ssl, buf, sizeof buf);
    if (n > 0)
      continue; /* application data: no data channel yet, dropped */
    int e = SSL_get_error(d->ssl, n);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
      return;
    if (e == SSL_ERROR_ZERO_RETURN) {
      SSL_shutdown(d->ssl); /* answer with our close_notify */
      d->state = MG_DTLS_STATE_CLOSED;
      d->notify_closed = TRUE;
      d->rtx_deadline = -1;
    } else {
      fail_ssl(d, "DTLS read");
    }
    return;
  }
}

static void
drive(MgDtls *d)
{
  if (d->state == MG_DTLS_STATE_HANDSHAKING && !d->handshake_done) {
    ERR_clear_error();
    int r = SSL_do_handshake(d->ssl);
    if (r == 1) {
      d->handshake_done = TRUE;
      try_connect(d);
    } else {
      int e = SSL_get_error(d->ssl, r);
      if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
        fail_ssl(d, "DTLS handshake");
        return;
      }
    }
  }
  if (d->handshake_done && (d->state == MG_DTLS_STATE_HANDSHAKING || d->state == MG_DTLS_STATE_CONNECTED))
    read_records(d);
}

static void really_free(MgDtls *d);

static void
enter(MgDtls *d, gint64 now_us)
{
  d->depth++;
  d->now_us = now_us;
}

/* Hands out queued datagrams and state changes, then frees if asked to. */
static void
leave(MgDtls *d)
{
  while (d->out->len && !d->free_pending) {
    GBytes *b = g_ptr_array_steal_index(d->out, 0);
    gsize len;
    const guint8 *data = g_bytes_get_data(b, &len);
    d->stats.datagrams_out++;
    if (d->cb.send)
      d->cb.send(data, len, d->user_data);
    g_bytes_unref(b);
  }
  if (d->notify_connected && !d->free_pending) {
    d->notify_connected = FALSE;
    if (d->cb.connected)
      d->cb.connected(&d->keys, d->user_data);
  }
  if (d->notify_failed && !d->free_pending) {
    d->notify_failed = FALSE;
    if (d->cb.failed)
      d->cb.failed(d->fail_reason, d->user_data);
  }
  if (d->notify_closed && !d->free_pending) {
    d->notify_closed = FALSE;
    if (d->cb.closed)
      d->cb.closed(d->user_data);
  }
  if (--d->depth == 0 && d->free_pending)
    really_free(d);
}

MgDtls *
mg_dtls_new(MgDtlsCert *cert, MgDtlsRole role, const MgDtlsCallbacks *callbacks, gpointer user_data)
{
  g_return_val_if_fail(cert && callbacks, NULL);
  MgDtls *d = g_new0(MgDtls, 1);
  d->cert = mg_dtls_cert_ref(cert);
  d->role = role;
  d->cb = *callbacks;
  d->user_data = user_data;
  d->handshake_timeout_us = MG_DTLS_HANDSHAKE_TIMEOUT_US;
  d->handshake_deadline = -1;
  d->rtx_duration_us = MG_DTLS_RTX_INITIAL_US;
  d->rtx_deadline = -1;
  d->out = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);

  d->ssl = SSL_new(cert->ctx);
  BIO *bio = BIO_new(bio_method());
  if (!d->ssl || !bio)
    g_error("out of memory creating a DTLS association");
  BIO_set_data(bio, d);
  SSL_set_bio(d->ssl, bio, bio); /* one reference, owned by the SSL */
  SSL_set_app_data(d->ssl, d);
  SSL_set_mtu(d->ssl, MG_DTLS_MTU);
  DTLS_set_timer_cb(d->ssl, timer_cb);
  if (role == MG_DTLS_ROLE_CLIENT)
    SSL_set_connect_state(d->ssl);
  else
    SSL_set_accept_state(d->ssl);
  return d;
}

static void
really_free(MgDtls *d)
{
  SSL_free(d->ssl);
  mg_dtls_cert_unref(d->cert);
  g_ptr_array_unref(d->out);
  g_free(d->fail_reason);
  memset(&d->keys, 0, sizeof d->keys);
  g_free(d);
}

void
mg_dtls_free(MgDtls *d)
{
  if (!d)
    return;
  if (d->depth > 0)
    d->free_pending = TRUE;
  else
    really_free(d);
}

static gboolean
parse_fingerprint(const char *value, guint8 *out, guint want)
{
  guint n = 0;
  const char *p = value;
  while (*p && n < want) {
    int hi = g_ascii_xdigit_value(p[0]), lo = hi >= 0 ? g_ascii_xdigit_value(p[1]) : -1;
    if (lo < 0)
      return FALSE;
    out[n++] = (guint8)(hi << 4 | lo);
    p += 2;
    if (*p == ':' && n < want)
      p++;
  }
  return n == want && *p == '\0';
}

gboolean
mg_dtls_set_remote_fingerprint(MgDtls *d, const char *hash_name, const char *value, GError **error)
{
  static const struct {
    const char *name;
    const char *md;
  } hashes[] = { { "sha-256", "SHA256" }, { "sha-1", "SHA1" }, { "sha-384", "SHA384" }, { "sha-512", "SHA512" } };
  g_return_val_if_fail(d && hash_name && value, FALSE);
  const EVP_MD *md = NULL;
  for (gsize i = 0; i < G_N_ELEMENTS(hashes) && !md; i++)
    if (g_ascii_strcasecmp(hash_name, hashes[i].name) == 0)
      md = EVP_get_digestbyname(hashes[i].md);
  if (!md) {
    g_set_error(error, MG_DTLS_ERROR, 0, "unsupported fingerprint hash \"%s\"", hash_name);
    return FALSE;
  }
  guint8 fp[EVP_MAX_MD_SIZE];
  if (!parse_fingerprint(value, fp, (guint)EVP_MD_get_size(md))) {
    g_set_error(error, MG_DTLS_ERROR, 0, "malformed %s fingerprint", hash_name);
    return FALSE;
  }
  enter(d, d->now_us);
  d->remote_md = md;
  d->remote_fp_len = EVP_MD_get_size(md);
  memcpy(d->remote_fp, fp, d->remote_fp_len);
  try_connect(d);
  leave(d);
  return TRUE;
}

gboolean
mg_dtls_set_srtp_profiles(MgDtls *d, const MgSrtpProfile *profiles, gsize n, GError **error)
{
  g_return_val_if_fail(d && (profiles || !n), FALSE);
  g_autoptr(GString) list = g_string_new(NULL);
  for (gsize i = 0; i < n; i++) {
    const char *name = mg_srtp_profile_name(profiles[i]);
    if (!name) {
      g_set_error(error, MG_DTLS_ERROR, 0, "unsupported SRTP profile 0x%04x", profiles[i]);
      return FALSE;
    }
    g_string_append_printf(list, "%s%s", i ? ":" : "", name);
  }
  if (n == 0 || !d->ssl || SSL_set_tlsext_use_srtp(d->ssl, list->str) != 0) { /* 0 is success here */
    ERR_clear_error();
    g_set_error(error, MG_DTLS_ERROR, 0, "cannot offer SRTP profiles \"%s\"", list->str);
    return FALSE;
  }
  return TRUE;
}

void
mg_dtls_set_handshake_timeout(MgDtls *d, gint64 timeout_us)
{
  d->handshake_timeout_us = timeout_us;
}

static void
start(MgDtls *d)
{
  if (d->state != MG_DTLS_STATE_NEW)
    return;
  d->state = MG_DTLS_STATE_HANDSHAKING;
  d->handshake_deadline = d->now_us + d->handshake_timeout_us;
  drive(d);
}

void
mg_dtls_start(MgDtls *d, gint64 now_us)
{
  enter(d, now_us);
  start(d);
  leave(d);
}

/* Walks the records of a datagram (RFC 6347 4.1): content type, DTLS major
 * version 254, and lengths that add up. OpenSSL then checks the rest. */
static gboolean
valid_records(const guint8 *p, gsize len)
{
  if (len == 0)
    return FALSE;
  while (len > 0) {
    if (len < 13 || p[0] < 20 || p[0] > 23 || p[1] != 0xfe)
      return FALSE;
    gsize rlen = 13 + ((gsize)p[11] << 8 | p[12]);
    if (rlen > len)
      return FALSE;
    p += rlen;
    len -= rlen;
  }
  return TRUE;
}

int
mg_dtls_feed(MgDtls *d, const guint8 *data, gsize len, gint64 now_us)
{
  g_return_val_if_fail(d && (data || !len), -EINVAL);
  if (d->state == MG_DTLS_STATE_FAILED || d->state == MG_DTLS_STATE_CLOSED)
    return -ENOTCONN;
  if (!valid_records(data, len)) {
    d->stats.bad_datagrams++;
    return -EBADMSG;
  }
  if (d->released) {
    d->stats.ignored++;
    return 0;
  }
  enter(d, now_us);
  d->stats.datagrams_in++;
  d->in = data;
  d->in_len = len;
  if (d->state == MG_DTLS_STATE_NEW)
    start(d);
  else
    drive(d);
  d->in = NULL;
  d->in_len = 0;
  leave(d);
  return 0;
}

gint64
mg_dtls_next_timeout(MgDtls *d)
{
  if (d->state != MG_DTLS_STATE_HANDSHAKING && d->state != MG_DTLS_STATE_CONNECTED)
    return -1;
  gint64 t = d->rtx_deadline;
  if (d->state == MG_DTLS_STATE_HANDSHAKING && (t < 0 || d->handshake_deadline < t))
    t = d->handshake_deadline;
  return t;
}

static void
retransmit(MgDtls *d)
{
  if (d->ossl_timer) {
    /* Make OpenSSL's own deadline lie in the past (see docs/dtls-srtp.md). */
    d->ossl_timer->tv_sec = 1;
    d->ossl_timer->tv_usec = 0;
  }
  ERR_clear_error();
  int r = DTLSv1_handle_timeout(d->ssl);
  if (r < 0) {
    fail_ssl(d, "DTLS retransmission");
    return;
  }
  if (r == 0 && d->rtx_deadline <= d->now_us) {
    /* System-clock mode (OpenSSL >= 3.2): not due yet by OpenSSL's clock. */
    struct timeval tv;
    if (DTLSv1_get_timeout(d->ssl, &tv))
      d->rtx_deadline = d->now_us + MAX((gint64)tv.tv_sec * G_USEC_PER_SEC + tv.tv_usec, 1000);
    else
      d->rtx_deadline = -1;
  }
}

void
mg_dtls_handle_timeout(MgDtls *d, gint64 now_us)
{
  enter(d, now_us);
  if (d->state == MG_DTLS_STATE_HANDSHAKING && d->handshake_deadline >= 0 && now_us >= d->handshake_deadline)
    fail(d, "DTLS handshake timed out");
  else if ((d->state == MG_DTLS_STATE_HANDSHAKING || d->state == MG_DTLS_STATE_CONNECTED) && d->rtx_deadline >= 0 &&
           now_us >= d->rtx_deadline)
    retransmit(d);
  leave(d);
}

void
mg_dtls_close(MgDtls *d, gint64 now_us)
{
  enter(d, now_us);
  if (d->state == MG_DTLS_STATE_CONNECTED && d->ssl) {
    ERR_clear_error();
    SSL_shutdown(d->ssl);
    ERR_clear_error();
  }
  if (d->state != MG_DTLS_STATE_FAILED)
    d->state = MG_DTLS_STATE_CLOSED;
  d->rtx_deadline = -1;
  leave(d);
}

gboolean
mg_dtls_release(MgDtls *d)
{
  g_return_val_if_fail(d && d->depth == 0, FALSE);
  if (d->state != MG_DTLS_STATE_CONNECTED || d->released)
    return FALSE;
  SSL_free(g_steal_pointer(&d->ssl));
  d->ossl_timer = NULL; /* it pointed into the SSL */
  d->rtx_deadline = -1;
  d->released = TRUE;
  g_ptr_array_set_size(d->out, 0);
  return TRUE;
}

gboolean
mg_dtls_is_released(MgDtls *d)
{
  return d->released;
}

MgDtlsState
mg_dtls_get_state(MgDtls *d)
{
  return d->state;
}

MgDtlsRole
mg_dtls_get_role(MgDtls *d)
{
  return d->role;
}

void
mg_dtls_get_stats(MgDtls *d, MgDtlsStats *stats)
{
  *stats = d->stats;
}

gboolean
mg_dtls_is_dtls_packet(const guint8 *data, gsize len)
{
  return len > 0 && data[0] >= 20 && data[0] <= 63;
}

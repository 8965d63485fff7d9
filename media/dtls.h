/* SPDX-License-Identifier: MIT
 * DTLS 1.2 with the use_srtp extension (RFC 5764) for the WebRTC transport.
 * No sockets, no clock, no threads: the caller feeds datagrams in, sends what
 * the send callback hands out, and calls back at mg_dtls_next_timeout(). */
#pragma once

#include <glib.h>

#include "media/srtp.h"

G_BEGIN_DECLS

/* Largest datagram the association sends (DTLS record bytes, no UDP/IP). */
#define MG_DTLS_MTU 1200
/* Default overall handshake timeout. */
#define MG_DTLS_HANDSHAKE_TIMEOUT_US (10 * G_USEC_PER_SEC)
/* Handshake retransmission: first after 400 ms, doubling up to 3.2 s. */
#define MG_DTLS_RTX_INITIAL_US (400 * 1000)
#define MG_DTLS_RTX_MAX_US (3200 * 1000)

#define MG_DTLS_ERROR (mg_dtls_error_quark())
GQuark mg_dtls_error_quark(void);

/* A self-signed ECDSA P-256 certificate and its key, shared by every
 * association of the process; thread-safe reference counting. */
typedef struct MgDtlsCert MgDtlsCert;

/* Generates a fresh key and certificate (valid from yesterday for 30 days,
 * from the system clock: WebRTC peers pin the fingerprint, not the dates).
 * (transfer full) */
MgDtlsCert *mg_dtls_cert_new(GError **error);
MgDtlsCert *mg_dtls_cert_ref(MgDtlsCert *cert);
void mg_dtls_cert_unref(MgDtlsCert *cert);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgDtlsCert, mg_dtls_cert_unref)
/* The hash name for SDP's a=fingerprint, always "sha-256". */
const char *mg_dtls_cert_get_fingerprint_hash(MgDtlsCert *cert);
/* The certificate's SHA-256 as "AB:CD:...", uppercase, owned by the cert. */
const char *mg_dtls_cert_get_fingerprint(MgDtlsCert *cert);

typedef enum {
  MG_DTLS_ROLE_CLIENT, /* sends the ClientHello (SDP setup:active) */
  MG_DTLS_ROLE_SERVER, /* waits for it (SDP setup:passive) */
} MgDtlsRole;

typedef enum {
  MG_DTLS_STATE_NEW,
  MG_DTLS_STATE_HANDSHAKING,
  MG_DTLS_STATE_CONNECTED,
  MG_DTLS_STATE_FAILED,
  MG_DTLS_STATE_CLOSED,
} MgDtlsState;

/* Callbacks run from inside the mg_dtls_* call that caused them, after the
 * association's own work is done. They may call mg_dtls_* functions, and may
 * even mg_dtls_free() it (the free is then deferred until the call returns). */
typedef struct {
  /* One datagram to send to the peer; copy it if you need it later. */
  void (*send)(const guint8 *data, gsize len, gpointer user_data);
  /* The handshake completed and the peer's fingerprint matched. Once. */
  void (*connected)(const MgSrtpKeys *keys, gpointer user_data);
  /* The handshake or the association failed. Once; nothing follows. */
  void (*failed)(const char *reason, gpointer user_data);
  /* The peer sent close_notify. */
  void (*closed)(gpointer user_data);
} MgDtlsCallbacks;

typedef struct {
  guint64 datagrams_in;
  guint64 datagrams_out;
  guint64 bad_datagrams; /* refused before OpenSSL saw them */
  guint64 retransmissions;
  guint64 ignored; /* arrived after mg_dtls_release(): dropped */
} MgDtlsStats;

typedef struct MgDtls MgDtls;

/* A new association, idle until mg_dtls_start() or the first mg_dtls_feed().
 * Takes a reference on cert; callbacks is copied. (transfer full) */
MgDtls *mg_dtls_new(MgDtlsCert *cert, MgDtlsRole role, const MgDtlsCallbacks *callbacks, gpointer user_data);
void mg_dtls_free(MgDtls *dtls);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgDtls, mg_dtls_free)

/* The peer's certificate must have this fingerprint (from SDP a=fingerprint).
 * hash_name: sha-256 (or sha-1, sha-384, sha-512). May come before or after
 * the handshake: when it comes after, connected or failed fires from here. */
gboolean mg_dtls_set_remote_fingerprint(MgDtls *dtls, const char *hash_name, const char *value, GError **error);
/* Restricts the offered SRTP profiles to these, in this order of preference
 * (default: AEAD_AES_128_GCM, AEAD_AES_256_GCM, AES128_CM_SHA1_80,
 * AES128_CM_SHA1_32). Call before mg_dtls_start(). */
gboolean mg_dtls_set_srtp_profiles(MgDtls *dtls, const MgSrtpProfile *profiles, gsize n, GError **error);
/* Overall handshake timeout (default MG_DTLS_HANDSHAKE_TIMEOUT_US); set it
 * before mg_dtls_start(). */
void mg_dtls_set_handshake_timeout(MgDtls *dtls, gint64 timeout_us);

/* Starts the handshake: a client sends its ClientHello; both arm the overall
 * handshake timeout. Does nothing if already started. */
void mg_dtls_start(MgDtls *dtls, gint64 now_us);
/* One incoming DTLS datagram. Returns 0, -EBADMSG for bytes that are not DTLS
 * records (counted, state unchanged), or -ENOTCONN once failed or closed. */
int mg_dtls_feed(MgDtls *dtls, const guint8 *data, gsize len, gint64 now_us);
/* Absolute time (µs, the caller's clock) at which mg_dtls_handle_timeout()
 * must be called, or -1 when nothing is scheduled. */
gint64 mg_dtls_next_timeout(MgDtls *dtls);
/* Retransmits the last flight or fails the handshake when their time came. */
void mg_dtls_handle_timeout(MgDtls *dtls, gint64 now_us);
/* Sends close_notify (when connected) and stops; no callback follows. */
void mg_dtls_close(MgDtls *dtls, gint64 now_us);
/* Frees the OpenSSL association of a connected transport (tens of KiB) and
 * keeps only state and stats: later datagrams are counted in
 * MgDtlsStats.ignored and dropped (a retransmitted final flight is no longer
 * answered), and mg_dtls_close() sends no close_notify. FALSE (nothing done)
 * unless connected. Not from inside a callback. See docs/dtls-srtp.md. */
gboolean mg_dtls_release(MgDtls *dtls);
gboolean mg_dtls_is_released(MgDtls *dtls);

MgDtlsState mg_dtls_get_state(MgDtls *dtls);
MgDtlsRole mg_dtls_get_role(MgDtls *dtls);
void mg_dtls_get_stats(MgDtls *dtls, MgDtlsStats *stats);

/* RFC 7983 demultiplexing: TRUE when the first byte says DTLS (20..63). */
gboolean mg_dtls_is_dtls_packet(const guint8 *data, gsize len);

G_END_DECLS

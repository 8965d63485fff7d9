/* SPDX-License-Identifier: MIT
 * SRTP and SRTCP protection (libsrtp2): one MgSrtp is one direction of one
 * transport, shared by every SSRC that flows that way. */
#pragma once

#include <errno.h>
#include <glib.h>

G_BEGIN_DECLS

/* DTLS-SRTP protection profiles; the values are the IANA profile ids. */
typedef enum {
  MG_SRTP_PROFILE_NONE = 0,
  MG_SRTP_PROFILE_AES128_CM_SHA1_80 = 0x0001,
  MG_SRTP_PROFILE_AES128_CM_SHA1_32 = 0x0002,
  MG_SRTP_PROFILE_AEAD_AES_128_GCM = 0x0007,
  MG_SRTP_PROFILE_AEAD_AES_256_GCM = 0x0008,
} MgSrtpProfile;

/* Longest master key + master salt of any profile above (AES-256 + 12). */
#define MG_SRTP_MAX_KEY_SALT_LEN 46

/* Master keys for one transport, already oriented for this side: local
 * protects what we send, remote unprotects what we receive. Each array holds
 * key_len bytes of master key followed by salt_len bytes of master salt. */
typedef struct {
  MgSrtpProfile profile;
  guint8 local[MG_SRTP_MAX_KEY_SALT_LEN];
  guint8 remote[MG_SRTP_MAX_KEY_SALT_LEN];
  gsize key_len;
  gsize salt_len;
} MgSrtpKeys;

typedef enum {
  MG_SRTP_OUTBOUND,
  MG_SRTP_INBOUND,
} MgSrtpDirection;

/* Return codes of the protect/unprotect calls (0 is success). */
enum {
  MG_SRTP_ERR_AUTH = -EBADMSG,    /* authentication tag did not verify */
  MG_SRTP_ERR_REPLAY = -EALREADY, /* packet already seen, or older than the window */
  MG_SRTP_ERR_LENGTH = -EMSGSIZE, /* packet too short, or no room for the trailer */
  MG_SRTP_ERR_INVALID = -EINVAL,  /* malformed header or bad argument */
  MG_SRTP_ERR_FAIL = -EIO,        /* any other libsrtp failure */
};

typedef struct {
  guint64 packets; /* protected or unprotected successfully (RTP + RTCP) */
  guint64 auth_failures;
  guint64 replays;
  guint64 bad_length;
  guint64 other_errors;
} MgSrtpStats;

#define MG_SRTP_ERROR (mg_srtp_error_quark())
GQuark mg_srtp_error_quark(void);

typedef struct MgSrtp MgSrtp;

/* Initialises libsrtp once per process; safe from any thread, idempotent.
 * mg_srtp_new() calls it too. Returns FALSE (and logs) if libsrtp failed. */
gboolean mg_srtp_init(void);

/* Creates a session for one direction. key_salt is master key followed by
 * master salt, len their total for the profile. Outbound sessions allow
 * repeated sequence numbers (retransmissions from the NACK buffer); both
 * directions use a replay window of 1024 packets. (transfer full) */
MgSrtp *mg_srtp_new(MgSrtpProfile profile, const guint8 *key_salt, gsize len, MgSrtpDirection direction,
                    GError **error);
void mg_srtp_free(MgSrtp *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgSrtp, mg_srtp_free)

/* Protect/unprotect in place. *len is the packet length in and out; cap is
 * the buffer size, which must leave room for mg_srtp_overhead() (RTP) or
 * mg_srtp_rtcp_overhead() (RTCP) bytes after the packet when protecting.
 * Return 0 or one of MG_SRTP_ERR_*; failures are counted in the stats. */
int mg_srtp_protect_rtp(MgSrtp *s, guint8 *buf, gsize *len, gsize cap);
int mg_srtp_unprotect_rtp(MgSrtp *s, guint8 *buf, gsize *len);
int mg_srtp_protect_rtcp(MgSrtp *s, guint8 *buf, gsize *len, gsize cap);
int mg_srtp_unprotect_rtcp(MgSrtp *s, guint8 *buf, gsize *len);

/* Bytes SRTP adds to an RTP packet (authentication tag) for the profile. */
gsize mg_srtp_overhead(MgSrtpProfile profile);
/* Bytes SRTCP adds to an RTCP packet (SRTCP index + tag) for the profile. */
gsize mg_srtp_rtcp_overhead(MgSrtpProfile profile);
/* Master key and master salt lengths; FALSE for an unknown profile. */
gboolean mg_srtp_profile_lengths(MgSrtpProfile profile, gsize *key_len, gsize *salt_len);
/* The profile's name as DTLS-SRTP spells it ("SRTP_AEAD_AES_128_GCM"), or NULL. */
const char *mg_srtp_profile_name(MgSrtpProfile profile);

MgSrtpProfile mg_srtp_get_profile(MgSrtp *s);
void mg_srtp_get_stats(MgSrtp *s, MgSrtpStats *stats);
/* A short message for one of the MG_SRTP_ERR_* codes. */
const char *mg_srtp_strerror(int code);

G_END_DECLS

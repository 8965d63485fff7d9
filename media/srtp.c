/* SPDX-License-Identifier: MIT
 * SRTP/SRTCP sessions on libsrtp2. The only file that includes srtp2 headers;
 * profiles are a table so DTLS-SRTP and SDP code can share the numbers. */
#define G_LOG_DOMAIN "srtp"
#include "media/srtp-private.h"

#include <limits.h>
#include <string.h>
#include <srtp2/srtp.h>

#define RTP_HEADER_LEN 12
#define RTCP_HEADER_LEN 8
#define SRTCP_INDEX_LEN 4
#define REPLAY_WINDOW 1024

typedef void (*PolicySetter)(srtp_crypto_policy_t *p);

typedef struct {
  MgSrtpProfile profile;
  const char *name;
  gsize key_len;
  gsize salt_len;
  gsize rtp_tag_len;
  gsize rtcp_tag_len;
  PolicySetter set_rtp;
  PolicySetter set_rtcp;
  gboolean aead; /* outbound sessions use srtp-gcm.c */
} ProfileInfo;

/* RFC 5764 4.1.2: SRTP_AES128_CM_SHA1_32 still uses an 80-bit tag on SRTCP. */
static const ProfileInfo profiles[] = {
  { MG_SRTP_PROFILE_AES128_CM_SHA1_80, "SRTP_AES128_CM_SHA1_80", 16, 14, 10, 10, srtp_crypto_policy_set_rtp_default,
    srtp_crypto_policy_set_rtcp_default },
  { MG_SRTP_PROFILE_AES128_CM_SHA1_32, "SRTP_AES128_CM_SHA1_32", 16, 14, 4, 10,
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32, srtp_crypto_policy_set_rtcp_default },
  { MG_SRTP_PROFILE_AEAD_AES_128_GCM, "SRTP_AEAD_AES_128_GCM", 16, 12, 16, 16,
    srtp_crypto_policy_set_aes_gcm_128_16_auth, srtp_crypto_policy_set_aes_gcm_128_16_auth, TRUE },
  { MG_SRTP_PROFILE_AEAD_AES_256_GCM, "SRTP_AEAD_AES_256_GCM", 32, 12, 16, 16,
    srtp_crypto_policy_set_aes_gcm_256_16_auth, srtp_crypto_policy_set_aes_gcm_256_16_auth, TRUE },
};

struct MgSrtp {
  srtp_t session; /* NULL when gcm sends */
  MgSrtpGcm *gcm; /* outbound AEAD: OpenSSL's AES-GCM instead of libsrtp's NSS */
  const ProfileInfo *info;
  MgSrtpDirection direction;
  MgSrtpStats stats;
};

G_DEFINE_QUARK(mg - srtp - error - quark, mg_srtp_error)

static const ProfileInfo *
profile_info(MgSrtpProfile profile)
{
  for (gsize i = 0; i < G_N_ELEMENTS(profiles); i++)
    if (profiles[i].profile == profile)
      return &profiles[i];
  return NULL;
}

gboolean
mg_srtp_init(void)
{
  static gsize once = 0;
  static gboolean ok;
  if (g_once_init_enter(&once)) {
    srtp_err_status_t st = srtp_init();
    ok = st == srtp_err_status_ok;
    if (!ok)
      g_warning("srtp_init failed: libsrtp status %d", st);
    else
      g_debug("libsrtp %#x initialised", srtp_get_version());
    g_once_init_leave(&once, 1);
  }
  return ok;
}

MgSrtp *
mg_srtp_new(MgSrtpProfile profile, const guint8 *key_salt, gsize len, MgSrtpDirection direction, GError **error)
{
  const ProfileInfo *info = profile_info(profile);
  if (!info) {
    g_set_error(error, MG_SRTP_ERROR, 0, "unsupported SRTP profile 0x%04x", profile);
    return NULL;
  }
  if (!key_salt || len != info->key_len + info->salt_len) {
    g_set_error(error, MG_SRTP_ERROR, 0, "%s needs %zu bytes of master key and salt, got %zu", info->name,
                info->key_len + info->salt_len, len);
    return NULL;
  }
  if (!mg_srtp_init()) {
    g_set_error(error, MG_SRTP_ERROR, 0, "libsrtp failed to initialise");
    return NULL;
  }

  if (info->aead && direction == MG_SRTP_OUTBOUND) {
    MgSrtpGcm *gcm = mg_srtp_gcm_new(key_salt, info->key_len, key_salt + info->key_len);
    if (!gcm) {
      g_set_error(error, MG_SRTP_ERROR, 0, "cannot set up %s on OpenSSL", info->name);
      return NULL;
    }
    MgSrtp *s = g_new0(MgSrtp, 1);
    s->gcm = gcm;
    s->info = info;
    s->direction = direction;
    return s;
  }

  guint8 key[MG_SRTP_MAX_KEY_SALT_LEN];
  memcpy(key, key_salt, len);
  srtp_policy_t policy;
  memset(&policy, 0, sizeof policy);
  info->set_rtp(&policy.rtp);
  info->set_rtcp(&policy.rtcp);
  policy.ssrc.type = direction == MG_SRTP_OUTBOUND ? ssrc_any_outbound : ssrc_any_inbound;
  policy.key = key;
  policy.window_size = REPLAY_WINDOW;
  /* An SFU resends packets from its NACK buffer with their original sequence
   * numbers (and identical payloads, which keeps the keystream reuse safe). */
  policy.allow_repeat_tx = direction == MG_SRTP_OUTBOUND;

  srtp_t session = NULL;
  srtp_err_status_t st = srtp_create(&session, &policy);
  memset(key, 0, sizeof key);
  if (st != srtp_err_status_ok) {
    g_set_error(error, MG_SRTP_ERROR, 0, "srtp_create(%s) failed: libsrtp status %d", info->name, st);
    return NULL;
  }
  MgSrtp *s = g_new0(MgSrtp, 1);
  s->session = session;
  s->info = info;
  s->direction = direction;
  return s;
}

void
mg_srtp_free(MgSrtp *s)
{
  if (!s)
    return;
  if (s->session)
    srtp_dealloc(s->session);
  mg_srtp_gcm_free(s->gcm);
  g_free(s);
}

static int
count_result(MgSrtp *s, int code)
{
  switch (code) {
  case 0:
    s->stats.packets++;
    break;
  case MG_SRTP_ERR_AUTH:
    s->stats.auth_failures++;
    break;
  case MG_SRTP_ERR_REPLAY:
    s->stats.replays++;
    break;
  case MG_SRTP_ERR_LENGTH:
    s->stats.bad_length++;
    break;
  default:
    s->stats.other_errors++;
    break;
  }
  return code;
}

static int
map_status(srtp_err_status_t st)
{
  switch (st) {
  case srtp_err_status_ok:
    return 0;
  case srtp_err_status_auth_fail:
    return MG_SRTP_ERR_AUTH;
  case srtp_err_status_replay_fail:
  case srtp_err_status_replay_old:
    return MG_SRTP_ERR_REPLAY;
  case srtp_err_status_bad_param:
  case srtp_err_status_parse_err:
    return MG_SRTP_ERR_INVALID;
  default:
    return MG_SRTP_ERR_FAIL;
  }
}

typedef srtp_err_status_t (*SrtpOp)(srtp_t ctx, void *buf, int *len);

/* Runs one libsrtp operation after the checks libsrtp leaves to its caller:
 * the minimum length for the header (plus trailer when unprotecting), and
 * room for the trailer when protecting. */
static int
run_op(MgSrtp *s, SrtpOp op, guint8 *buf, gsize *len, gsize min_len, gsize grow, gsize cap)
{
  g_return_val_if_fail(s && buf && len, MG_SRTP_ERR_INVALID);
  if (*len < min_len || *len > INT_MAX - grow || *len + grow > cap)
    return count_result(s, MG_SRTP_ERR_LENGTH);
  int n = (int)*len;
  int code = map_status(op(s->session, buf, &n));
  if (code == 0)
    *len = (gsize)n;
  return count_result(s, code);
}

int
mg_srtp_protect_rtp(MgSrtp *s, guint8 *buf, gsize *len, gsize cap)
{
  g_return_val_if_fail(s && s->direction == MG_SRTP_OUTBOUND, MG_SRTP_ERR_INVALID);
  if (s->gcm)
    return count_result(s, *len < RTP_HEADER_LEN ? MG_SRTP_ERR_LENGTH : mg_srtp_gcm_protect_rtp(s->gcm, buf, len, cap));
  return run_op(s, srtp_protect, buf, len, RTP_HEADER_LEN, s->info->rtp_tag_len, cap);
}

int
mg_srtp_unprotect_rtp(MgSrtp *s, guint8 *buf, gsize *len)
{
  g_return_val_if_fail(s && s->direction == MG_SRTP_INBOUND, MG_SRTP_ERR_INVALID);
  return run_op(s, srtp_unprotect, buf, len, RTP_HEADER_LEN + s->info->rtp_tag_len, 0, G_MAXSIZE);
}

int
mg_srtp_protect_rtcp(MgSrtp *s, guint8 *buf, gsize *len, gsize cap)
{
  g_return_val_if_fail(s && s->direction == MG_SRTP_OUTBOUND, MG_SRTP_ERR_INVALID);
  if (s->gcm)
    return count_result(s,
                        *len < RTCP_HEADER_LEN ? MG_SRTP_ERR_LENGTH : mg_srtp_gcm_protect_rtcp(s->gcm, buf, len, cap));
  return run_op(s, srtp_protect_rtcp, buf, len, RTCP_HEADER_LEN, mg_srtp_rtcp_overhead(s->info->profile), cap);
}

int
mg_srtp_unprotect_rtcp(MgSrtp *s, guint8 *buf, gsize *len)
{
  g_return_val_if_fail(s && s->direction == MG_SRTP_INBOUND, MG_SRTP_ERR_INVALID);
  return run_op(s, srtp_unprotect_rtcp, buf, len, RTCP_HEADER_LEN + mg_srtp_rtcp_overhead(s->info->profile), 0,
                G_MAXSIZE);
}

gsize
mg_srtp_overhead(MgSrtpProfile profile)
{
  const ProfileInfo *info = profile_info(profile);
  return info ? info->rtp_tag_len : 0;
}

gsize
mg_srtp_rtcp_overhead(MgSrtpProfile profile)
{
  const ProfileInfo *info = profile_info(profile);
  return info ? SRTCP_INDEX_LEN + info->rtcp_tag_len : 0;
}

gboolean
mg_srtp_profile_lengths(MgSrtpProfile profile, gsize *key_len, gsize *salt_len)
{
  const ProfileInfo *info = profile_info(profile);
  if (!info)
    return FALSE;
  if (key_len)
    *key_len = info->key_len;
  if (salt_len)
    *salt_len = info->salt_len;
  return TRUE;
}

const char *
mg_srtp_profile_name(MgSrtpProfile profile)
{
  const ProfileInfo *info = profile_info(profile);
  return info ? info->name : NULL;
}

MgSrtpProfile
mg_srtp_get_profile(MgSrtp *s)
{
  return s->info->profile;
}

void
mg_srtp_get_stats(MgSrtp *s, MgSrtpStats *stats)
{
  *stats = s->stats;
}

const char *
mg_srtp_strerror(int code)
{
  switch (code) {
  case 0:
    return "ok";
  case MG_SRTP_ERR_AUTH:
    return "authentication failed";
  case MG_SRTP_ERR_REPLAY:
    return "replayed packet";
  case MG_SRTP_ERR_LENGTH:
    return "bad packet length";
  case MG_SRTP_ERR_INVALID:
    return "malformed packet";
  default:
    return "SRTP failure";
  }
}

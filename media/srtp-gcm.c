/* SPDX-License-Identifier: MIT
 * Outbound SRTP and SRTCP with AEAD_AES_128_GCM / AEAD_AES_256_GCM (RFC 7714)
 * on OpenSSL's AES-GCM: the forward path's protect, without libsrtp's NSS
 * contexts. Receiving stays on libsrtp (replay windows, every profile). */
#define G_LOG_DOMAIN "srtp"
#include "media/srtp-private.h"

#include <string.h>
#include <openssl/evp.h>

#define GCM_SALT_LEN 12
#define GCM_TAG_LEN 16
#define KDF_SALT_LEN 14 /* the AES-CM PRF's 112-bit salt; GCM's 96-bit salt is zero-padded */
#define SRTCP_E_BIT 0x80000000u
#define SRTCP_INDEX_MAX 0x7fffffffu

/* RFC 3711 3.3.1: the sender's rollover counter for one SSRC. */
typedef struct {
  guint32 ssrc;
  guint32 roc;
  guint16 s_l; /* highest sequence number sent */
} SsrcState;

struct MgSrtpGcm {
  EVP_CIPHER_CTX *rtp, *rtcp; /* keyed with the session keys; the IV changes per packet */
  guint8 rtp_salt[GCM_SALT_LEN], rtcp_salt[GCM_SALT_LEN];
  GArray *ssrcs; /* SsrcState; a handful per transport, searched linearly */
  guint last;    /* index of the SSRC found last: consecutive packets share it */
  guint32 rtcp_index;
};

/* RFC 3711 4.3.1 (AES-CM PRF, key derivation rate 0): out = AES-CTR keystream
 * under the master key from IV = (master salt XOR label at byte 7) || 0x0000. */
static gboolean
derive(const guint8 *master_key, gsize key_len, const guint8 *master_salt, guint8 label, guint8 *out, gsize out_len)
{
  guint8 iv[16] = { 0 };
  memcpy(iv, master_salt, GCM_SALT_LEN); /* bytes 12 and 13 stay zero: the padding */
  iv[KDF_SALT_LEN - 7] ^= label;
  guint8 zeros[32] = { 0 };
  int n = 0, fin = 0;
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  gboolean ok = c && out_len <= sizeof zeros &&
                EVP_EncryptInit_ex(c, key_len == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr(), NULL, master_key, iv) &&
                EVP_EncryptUpdate(c, out, &n, zeros, (int)out_len) && EVP_EncryptFinal_ex(c, out + n, &fin);
  EVP_CIPHER_CTX_free(c);
  return ok;
}

static EVP_CIPHER_CTX *
gcm_context(const guint8 *key, gsize key_len)
{
  EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
  if (c && EVP_EncryptInit_ex(c, key_len == 32 ? EVP_aes_256_gcm() : EVP_aes_128_gcm(), NULL, key, NULL))
    return c;
  EVP_CIPHER_CTX_free(c);
  return NULL;
}

MgSrtpGcm *
mg_srtp_gcm_new(const guint8 *master_key, gsize key_len, const guint8 *master_salt)
{
  g_return_val_if_fail(key_len == 16 || key_len == 32, NULL);
  guint8 rtp_key[32], rtcp_key[32];
  MgSrtpGcm *g = g_new0(MgSrtpGcm, 1);
  gboolean ok = derive(master_key, key_len, master_salt, 0x00, rtp_key, key_len) &&
                derive(master_key, key_len, master_salt, 0x02, g->rtp_salt, GCM_SALT_LEN) &&
                derive(master_key, key_len, master_salt, 0x03, rtcp_key, key_len) &&
                derive(master_key, key_len, master_salt, 0x05, g->rtcp_salt, GCM_SALT_LEN) &&
                (g->rtp = gcm_context(rtp_key, key_len)) && (g->rtcp = gcm_context(rtcp_key, key_len));
  OPENSSL_cleanse(rtp_key, sizeof rtp_key);
  OPENSSL_cleanse(rtcp_key, sizeof rtcp_key);
  g->ssrcs = g_array_new(FALSE, FALSE, sizeof(SsrcState));
  if (!ok) {
    mg_srtp_gcm_free(g);
    return NULL;
  }
  return g;
}

void
mg_srtp_gcm_free(MgSrtpGcm *g)
{
  if (!g)
    return;
  EVP_CIPHER_CTX_free(g->rtp);
  EVP_CIPHER_CTX_free(g->rtcp);
  OPENSSL_cleanse(g->rtp_salt, sizeof g->rtp_salt);
  OPENSSL_cleanse(g->rtcp_salt, sizeof g->rtcp_salt);
  g_array_unref(g->ssrcs);
  g_free(g);
}

/* Sealed in place: aad, then plain[0..len) encrypted, the tag written at plain + len. */
static gboolean
seal(EVP_CIPHER_CTX *c, const guint8 *iv, const guint8 *aad, gsize aad_len, guint8 *plain, gsize len)
{
  int n = 0;
  return EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) && EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len) &&
         EVP_EncryptUpdate(c, plain, &n, plain, (int)len) && EVP_EncryptFinal_ex(c, plain + n, &n) &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN, plain + len);
}

static SsrcState *
ssrc_state(MgSrtpGcm *g, guint32 ssrc, gboolean *fresh)
{
  *fresh = FALSE;
  if (g->last < g->ssrcs->len && g_array_index(g->ssrcs, SsrcState, g->last).ssrc == ssrc)
    return &g_array_index(g->ssrcs, SsrcState, g->last);
  for (guint i = 0; i < g->ssrcs->len; i++) {
    if (g_array_index(g->ssrcs, SsrcState, i).ssrc == ssrc) {
      g->last = i;
      return &g_array_index(g->ssrcs, SsrcState, i);
    }
  }
  SsrcState st = { .ssrc = ssrc };
  g_array_append_val(g->ssrcs, st);
  g->last = g->ssrcs->len - 1;
  *fresh = TRUE;
  return &g_array_index(g->ssrcs, SsrcState, g->last);
}

/* RFC 3711 3.3.1 on the sending side: the ROC a packet belongs to; a packet
 * that wrapped the sequence moves the counter on, an older one (a
 * retransmission from before the wrap) uses the previous one. */
static guint32
packet_roc(SsrcState *st, guint16 seq, gboolean fresh)
{
  if (fresh) {
    st->s_l = seq;
    return st->roc;
  }
  guint32 v = st->roc;
  if (st->s_l < 32768) {
    if (seq - st->s_l > 32768)
      v = st->roc - 1;
  } else if (st->s_l - 32768 > seq) {
    v = st->roc + 1;
  }
  if (v == st->roc + 1) {
    st->roc = v;
    st->s_l = seq;
  } else if (v == st->roc && seq > st->s_l) {
    st->s_l = seq;
  }
  return v;
}

static gsize
rtp_header_len(const guint8 *buf, gsize len)
{
  if (len < 12 || (buf[0] >> 6) != 2)
    return 0;
  gsize n = 12 + 4 * (gsize)(buf[0] & 0x0f);
  if (buf[0] & 0x10) {
    if (n + 4 > len)
      return 0;
    n += 4 + 4 * (gsize)(buf[n + 2] << 8 | buf[n + 3]);
  }
  return n <= len ? n : 0;
}

int
mg_srtp_gcm_protect_rtp(MgSrtpGcm *g, guint8 *buf, gsize *len, gsize cap)
{
  gsize hlen = rtp_header_len(buf, *len);
  if (!hlen)
    return MG_SRTP_ERR_INVALID;
  if (*len + GCM_TAG_LEN > cap)
    return MG_SRTP_ERR_LENGTH;
  guint16 seq = buf[2] << 8 | buf[3];
  guint32 ssrc = (guint32)buf[8] << 24 | (guint32)buf[9] << 16 | (guint32)buf[10] << 8 | buf[11];
  gboolean fresh = FALSE;
  SsrcState *st = ssrc_state(g, ssrc, &fresh);
  guint32 roc = packet_roc(st, seq, fresh);
  /* RFC 7714 8.1: IV = (0x0000 || SSRC || ROC || SEQ) XOR salt. */
  guint8 iv[GCM_SALT_LEN] = { 0,         0,         buf[8],   buf[9], buf[10], buf[11],
                              roc >> 24, roc >> 16, roc >> 8, roc,    buf[2],  buf[3] };
  for (int i = 0; i < GCM_SALT_LEN; i++)
    iv[i] ^= g->rtp_salt[i];
  if (!seal(g->rtp, iv, buf, hlen, buf + hlen, *len - hlen))
    return MG_SRTP_ERR_FAIL;
  *len += GCM_TAG_LEN;
  return 0;
}

int
mg_srtp_gcm_protect_rtcp(MgSrtpGcm *g, guint8 *buf, gsize *len, gsize cap)
{
  if (*len < 8 || (buf[0] >> 6) != 2)
    return MG_SRTP_ERR_INVALID;
  if (*len + GCM_TAG_LEN + 4 > cap)
    return MG_SRTP_ERR_LENGTH;
  /* One index for every SSRC of the session: each SSRC still sees it grow
   * (gaps are fine for a replay window) and IVs never repeat. */
  guint32 index = g->rtcp_index = g->rtcp_index >= SRTCP_INDEX_MAX ? 1 : g->rtcp_index + 1;
  guint32 e_index = SRTCP_E_BIT | index;
  guint8 aad[12];
  memcpy(aad, buf, 8);
  aad[8] = e_index >> 24, aad[9] = e_index >> 16, aad[10] = e_index >> 8, aad[11] = e_index;
  /* RFC 7714 9.1: IV = (0x0000 || SSRC || 0x0000 || 0 || index) XOR salt. */
  guint8 iv[GCM_SALT_LEN] = { 0, 0, buf[4], buf[5], buf[6], buf[7], 0, 0, index >> 24, index >> 16, index >> 8, index };
  for (int i = 0; i < GCM_SALT_LEN; i++)
    iv[i] ^= g->rtcp_salt[i];
  if (!seal(g->rtcp, iv, aad, sizeof aad, buf + 8, *len - 8))
    return MG_SRTP_ERR_FAIL;
  /* Encrypted body, tag, then E || SRTCP index. */
  memcpy(buf + *len + GCM_TAG_LEN, aad + 8, 4);
  *len += GCM_TAG_LEN + 4;
  return 0;
}

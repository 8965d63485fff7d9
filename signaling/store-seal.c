/* SPDX-License-Identifier: MIT
 * Credentials at rest: AES-256-GCM with a key derived from the server secret
 * (HMAC-SHA256 over a fixed label), a random 96-bit nonce per value. */
#define G_LOG_DOMAIN "store"
#include "signaling/store-private.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

#define SEAL_PREFIX "sealed:v1:"
#define NONCE_LEN 12
#define TAG_LEN 16

void
mg_store_set_seal_key(MgStore *store, const char *secret)
{
  static const char label[] = "meetgate credentials at rest v1";
  unsigned int len = sizeof store->seal_key;
  store->has_seal_key = secret && *secret &&
                        HMAC(EVP_sha256(), secret, (int)strlen(secret), (const guint8 *)label, sizeof label - 1,
                             store->seal_key, &len) != NULL;
}

/* One AES-256-GCM pass; encrypt seals in into out (+ tag), else opens. */
static gboolean
gcm(const guint8 *key, gboolean encrypt, const guint8 *nonce, const guint8 *in, int in_len, guint8 *out,
    guint8 *tag)
{
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int n = 0, fin = 0;
  gboolean ok = ctx && EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce, encrypt ? 1 : 0) == 1 &&
                EVP_CipherUpdate(ctx, out, &n, in, in_len) == 1 &&
                (encrypt || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1) &&
                EVP_CipherFinal_ex(ctx, out + n, &fin) == 1 &&
                (!encrypt || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1);
  EVP_CIPHER_CTX_free(ctx);
  return ok && n + fin == in_len;
}

char *
mg_store_seal(MgStore *store, const char *plain)
{
  if (!plain || !store->has_seal_key)
    return g_strdup(plain);
  int len = (int)strlen(plain);
  g_autofree guint8 *buf = g_malloc(NONCE_LEN + len + TAG_LEN);
  if (RAND_bytes(buf, NONCE_LEN) != 1 ||
      !gcm(store->seal_key, TRUE, buf, (const guint8 *)plain, len, buf + NONCE_LEN, buf + NONCE_LEN + len))
    g_error("cannot seal a credential: OpenSSL AES-256-GCM failed"); /* never store it in the clear instead */
  g_autofree char *b64 = g_base64_encode(buf, NONCE_LEN + len + TAG_LEN);
  return g_strconcat(SEAL_PREFIX, b64, NULL);
}

char *
mg_store_unseal(MgStore *store, const char *text, GError **error)
{
  if (!text || !g_str_has_prefix(text, SEAL_PREFIX))
    return g_strdup(text);
  gsize n = 0;
  g_autofree guint8 *buf = g_base64_decode(text + strlen(SEAL_PREFIX), &n);
  if (!store->has_seal_key || n < NONCE_LEN + TAG_LEN) {
    g_set_error(error, MG_STORE_ERROR, MG_STORE_ERROR_QUERY, "a stored credential cannot be opened: %s",
                store->has_seal_key ? "it is damaged" : "no server secret is set");
    return NULL;
  }
  int len = (int)(n - NONCE_LEN - TAG_LEN);
  char *plain = g_malloc0(len + 1);
  if (!gcm(store->seal_key, FALSE, buf, buf + NONCE_LEN, len, (guint8 *)plain, buf + NONCE_LEN + len)) {
    explicit_bzero(plain, len);
    g_free(plain);
    g_set_error(error, MG_STORE_ERROR, MG_STORE_ERROR_QUERY,
                "a stored credential cannot be opened: it was sealed under another server secret (set it again)");
    return NULL;
  }
  return plain;
}

/* SPDX-License-Identifier: MIT
 * JWT HS256: base64url, HMAC-SHA256 (OpenSSL), claims as JSON (jansson). */
#define G_LOG_DOMAIN "token"
#include "signaling/token.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

G_DEFINE_QUARK(mg - token - error - quark, mg_token_error)

#define MAX_TOKEN_LEN 8192

void
mg_token_free(MgToken *t)
{
  if (!t)
    return;
  g_free(t->iss);
  g_free(t->sub);
  g_free(t->name);
  g_free(t->room);
  g_free(t->role);
  g_free(t);
}

static char *
b64url_encode(const guint8 *data, gsize len)
{
  char *s = g_base64_encode(data, len);
  for (char *p = s; *p; p++) {
    if (*p == '+')
      *p = '-';
    else if (*p == '/')
      *p = '_';
    else if (*p == '=') {
      *p = '\0';
      break;
    }
  }
  return s;
}

/* NULL on any character outside the base64url alphabet. */
static guint8 *
b64url_decode(const char *s, gsize n, gsize *out_len)
{
  if (n % 4 == 1)
    return NULL;
  g_autofree char *std = g_malloc(n + 4);
  for (gsize i = 0; i < n; i++) {
    char c = s[i];
    if (c == '-')
      c = '+';
    else if (c == '_')
      c = '/';
    else if (!g_ascii_isalnum(c))
      return NULL;
    std[i] = c;
  }
  gsize m = n;
  while (m % 4)
    std[m++] = '=';
  std[m] = '\0';
  return g_base64_decode(std, out_len);
}

static void
hmac_sha256(const char *secret, const char *data, gsize len, guint8 out[32])
{
  unsigned int out_len = 32;
  HMAC(EVP_sha256(), secret, strlen(secret), (const guint8 *)data, len, out, &out_len);
}

char *
mg_token_sign(const MgToken *c, const char *secret)
{
  json_t *claims = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "iss", c->iss ? c->iss : "meetgate", "sub",
                             c->sub ? c->sub : "", "room", c->room, "role", c->role ? c->role : "guest", "nbf",
                             (json_int_t)c->nbf, "exp", (json_int_t)c->exp);
  if (c->name)
    json_object_set_new(claims, "name", json_string(c->name));
  char *payload = json_dumps(claims, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(claims);

  static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
  g_autofree char *h64 = b64url_encode((const guint8 *)header, strlen(header));
  g_autofree char *p64 = b64url_encode((const guint8 *)payload, strlen(payload));
  free(payload);
  g_autofree char *signing = g_strconcat(h64, ".", p64, NULL);
  guint8 mac[32];
  hmac_sha256(secret, signing, strlen(signing), mac);
  g_autofree char *s64 = b64url_encode(mac, sizeof mac);
  return g_strconcat(signing, ".", s64, NULL);
}

static json_t *
decode_json(const char *s, gsize n)
{
  gsize len = 0;
  g_autofree guint8 *raw = b64url_decode(s, n, &len);
  if (!raw)
    return NULL;
  json_t *obj = json_loadb((const char *)raw, len, JSON_REJECT_DUPLICATES, NULL);
  if (obj && !json_is_object(obj)) {
    json_decref(obj);
    return NULL;
  }
  return obj;
}

static gboolean
refuse(GError **error, MgTokenError code, const char *msg)
{
  g_set_error_literal(error, MG_TOKEN_ERROR, code, msg);
  return FALSE;
}

/* Reads the claims into t; FALSE when a required one is missing or mistyped. */
static gboolean
read_claims(json_t *claims, MgToken *t)
{
  json_t *nbf = json_object_get(claims, "nbf"), *exp = json_object_get(claims, "exp");
  const char *room = json_string_value(json_object_get(claims, "room"));
  const char *role = json_string_value(json_object_get(claims, "role"));
  if (!room || !*room || !role || !json_is_integer(nbf) || !json_is_integer(exp))
    return FALSE;
  t->room = g_strdup(room);
  t->role = g_strdup(role);
  t->nbf = json_integer_value(nbf);
  t->exp = json_integer_value(exp);
  t->iss = g_strdup(json_string_value(json_object_get(claims, "iss")));
  t->sub = g_strdup(json_string_value(json_object_get(claims, "sub")));
  t->name = g_strdup(json_string_value(json_object_get(claims, "name")));
  return TRUE;
}

MgToken *
mg_token_verify(const char *jwt, const char *secret, const char *room, gint64 now_s, gint64 *nbf_out, GError **error)
{
  gsize len = jwt ? strlen(jwt) : 0;
  const char *dot1 = jwt ? memchr(jwt, '.', len) : NULL;
  const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (dot1 + 1 - jwt)) : NULL;
  if (!jwt || len > MAX_TOKEN_LEN || !dot2 || memchr(dot2 + 1, '.', len - (dot2 + 1 - jwt))) {
    refuse(error, MG_TOKEN_ERROR_MALFORMED, "the token is not a JWT");
    return NULL;
  }

  json_t *header = decode_json(jwt, dot1 - jwt);
  const char *alg = header ? json_string_value(json_object_get(header, "alg")) : NULL;
  gboolean hs256 = alg && !strcmp(alg, "HS256");
  json_decref(header);
  if (!alg) {
    refuse(error, MG_TOKEN_ERROR_MALFORMED, "the token header is unreadable");
    return NULL;
  }
  if (!hs256) {
    refuse(error, MG_TOKEN_ERROR_ALGORITHM, "the token is not signed with HS256");
    return NULL;
  }

  guint8 want[32];
  gsize sig_len = 0;
  hmac_sha256(secret, jwt, dot2 - jwt, want);
  g_autofree guint8 *sig = b64url_decode(dot2 + 1, len - (dot2 + 1 - jwt), &sig_len);
  if (!sig || sig_len != sizeof want || CRYPTO_memcmp(sig, want, sizeof want)) {
    refuse(error, MG_TOKEN_ERROR_FORGED, "the token's signature is not valid");
    return NULL;
  }

  json_t *claims = decode_json(dot1 + 1, dot2 - dot1 - 1);
  g_autoptr(MgToken) t = g_new0(MgToken, 1);
  gboolean ok = claims && read_claims(claims, t);
  json_decref(claims);
  if (!ok) {
    refuse(error, MG_TOKEN_ERROR_MALFORMED, "the token lacks room, role, nbf or exp");
    return NULL;
  }
  if (room && strcmp(room, t->room)) {
    refuse(error, MG_TOKEN_ERROR_WRONG_ROOM, "the token is for another room");
    return NULL;
  }
  if (now_s < t->nbf) {
    if (nbf_out)
      *nbf_out = t->nbf;
    refuse(error, MG_TOKEN_ERROR_NOT_YET, "the meeting has not opened yet");
    return NULL;
  }
  if (now_s >= t->exp) {
    refuse(error, MG_TOKEN_ERROR_EXPIRED, "the token has expired");
    return NULL;
  }
  return g_steal_pointer(&t);
}

char *
mg_token_signed_room(const char *jwt, const char *secret)
{
  /* Checked first at the beginning of time, which gives the token's nbf
   * when the rest holds; then at nbf, inside its window. */
  g_autoptr(GError) error = NULL;
  gint64 nbf = 0;
  g_autoptr(MgToken) early = mg_token_verify(jwt, secret, NULL, G_MININT64, &nbf, &error);
  if (!g_error_matches(error, MG_TOKEN_ERROR, MG_TOKEN_ERROR_NOT_YET))
    return NULL;
  g_autoptr(MgToken) t = mg_token_verify(jwt, secret, NULL, nbf, NULL, NULL);
  return t ? g_strdup(t->room) : NULL;
}

const char *
mg_token_error_code(const GError *error)
{
  static const char *const codes[] = {
    [MG_TOKEN_ERROR_MALFORMED] = "token_malformed", [MG_TOKEN_ERROR_ALGORITHM] = "token_algorithm",
    [MG_TOKEN_ERROR_FORGED] = "token_forged",       [MG_TOKEN_ERROR_NOT_YET] = "not_started",
    [MG_TOKEN_ERROR_EXPIRED] = "token_expired",     [MG_TOKEN_ERROR_WRONG_ROOM] = "wrong_room",
  };
  if (!error || error->domain != MG_TOKEN_ERROR || error->code < 0 || error->code >= (int)G_N_ELEMENTS(codes))
    return "token_invalid";
  return codes[error->code];
}

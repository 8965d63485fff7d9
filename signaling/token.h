/* SPDX-License-Identifier: MIT
 * Join tokens: JWT (RFC 7519) signed with HS256 and meetgate's secret. The
 * claims are the ones Jitsi and LiveKit users know: iss, sub, name, room,
 * role, nbf, exp. Every refusal has its own error code. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MG_TOKEN_ERROR (mg_token_error_quark())
GQuark mg_token_error_quark(void);

typedef enum {
  MG_TOKEN_ERROR_MALFORMED,  /* not a JWT, bad base64 or JSON, missing claims */
  MG_TOKEN_ERROR_ALGORITHM,  /* alg is not HS256 (e.g. "none") */
  MG_TOKEN_ERROR_FORGED,     /* signature does not match */
  MG_TOKEN_ERROR_NOT_YET,    /* before nbf */
  MG_TOKEN_ERROR_EXPIRED,    /* at or after exp */
  MG_TOKEN_ERROR_WRONG_ROOM, /* valid, but for another room */
} MgTokenError;

typedef struct {
  char *iss;
  char *sub;  /* user id; empty for a group (room) token */
  char *name; /* display name, may be NULL */
  char *room;
  char *role; /* host | attendee | guest | recorder | ingest | bridge */
  gint64 nbf; /* seconds since the epoch */
  gint64 exp;
} MgToken;

void mg_token_free(MgToken *token);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgToken, mg_token_free)

/* The signed JWT for claims. (transfer full) */
char *mg_token_sign(const MgToken *claims, const char *secret);

/* Checks signature, algorithm, time window (now_s in seconds) and, when room
 * is not NULL, that the token is for that room. On MG_TOKEN_ERROR_NOT_YET,
 * *nbf_out (if given) receives the opening time. (transfer full) */
MgToken *mg_token_verify(const char *jwt, const char *secret, const char *room, gint64 now_s, gint64 *nbf_out,
                         GError **error);

/* The room of a token whose signature is valid, whatever its time window
 * (to tell "the meeting ended" from "the link expired"). (transfer full) or NULL */
char *mg_token_signed_room(const char *jwt, const char *secret);

/* The stable code of a refusal, e.g. "token_expired", for API and page answers. */
const char *mg_token_error_code(const GError *error);

G_END_DECLS

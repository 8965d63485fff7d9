/* SPDX-License-Identifier: MIT
 * WHIP (RFC 9725) and WHEP endpoints: /whip/<room> publishes into a room,
 * /whep/<room> plays a room's streams, both with Authorization: Bearer <join token>. */
#pragma once

#include "gateway/http.h"
#include "media/engine.h"
#include "signaling/conference.h"

G_BEGIN_DECLS

typedef struct MgWhip MgWhip;

/* secret is borrowed and must outlive the endpoints. (transfer full) */
MgWhip *mg_whip_new(MgHttpServer *server, MgMediaEngine *engine, const char *secret);
/* WHIP publishers in rooms of the store join conference as participants
 * (role and name from their token); NULL (the default) lists none. */
void mg_whip_set_conference(MgWhip *whip, MgConference *conference);
void mg_whip_free(MgWhip *whip);

/* A PATCH body (application/trickle-ice-sdpfrag, RFC 8840): candidates,
 * the ICE credentials (an ICE restart) and end-of-candidates. */
typedef struct {
  GPtrArray *candidates; /* "candidate:..." strings, owned */
  char *ufrag, *pwd;     /* NULL when absent */
  gboolean end;
} MgWhipSdpFrag;

void mg_whip_sdpfrag_clear(MgWhipSdpFrag *frag);
/* Parses len bytes of text into frag (cleared first). FALSE with a reason
 * (static) for a body that is not such a fragment: a NUL byte, credentials
 * outside RFC 8839's ice-char grammar and lengths, more than 1000 lines. */
gboolean mg_whip_parse_sdpfrag(const char *text, gsize len, MgWhipSdpFrag *frag, const char **why);

G_END_DECLS

/* SPDX-License-Identifier: MIT
 * WHIP (RFC 9725) and WHEP endpoints: /whip/<room> publishes into a room,
 * /whep/<room> plays a room's streams, both with Authorization: Bearer <join token>. */
#pragma once

#include "gateway/http.h"
#include "media/engine.h"

G_BEGIN_DECLS

typedef struct MgWhip MgWhip;

/* secret is borrowed and must outlive the endpoints. (transfer full) */
MgWhip *mg_whip_new(MgHttpServer *server, MgMediaEngine *engine, const char *secret);
void mg_whip_free(MgWhip *whip);

G_END_DECLS

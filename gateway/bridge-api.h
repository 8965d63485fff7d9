/* SPDX-License-Identifier: MIT
 * Bridges over the admin API (docs/bridge.md): an operator cascades a room to
 * a room on another WebRTC server, pushing its tracks over WHIP and pulling
 * the far side's over WHEP: POST and DELETE
 * /api/v1/admin/rooms/<room>/bridges[/<id>], GET /api/v1/admin/bridges and
 * the room detail list them. The far side's operator issues the token with
 * POST /api/v1/admin/rooms/<room>/bridge-token. Running bridges are kept in
 * the store (signaling/pipelines.h) and start again after a restart. */
#pragma once

#include "gateway/admin.h"
#include "gateway/http.h"
#include "media/engine.h"
#include "signaling/conference.h"
#include "signaling/store.h"

G_BEGIN_DECLS

typedef struct MgBridgeApi MgBridgeApi;

/* Borrowed pointers outlive the API; secret signs bridge tokens, public_url
 * starts their WHIP/WHEP URLs. (transfer full) */
MgBridgeApi *mg_bridge_api_new(MgHttpServer *server, MgAdmin *admin, MgMediaEngine *engine, MgConference *conference,
                               MgStore *store, const char *secret, const char *public_url);
/* A room has media (a WHIP room after a restart): its saved bridges start again. */
void mg_bridge_api_on_room_live(MgBridgeApi *api, const char *room);
/* Stops every bridge (the far side's resources are deleted, best effort);
 * they stay in the store and start again at the next start. */
void mg_bridge_api_free(MgBridgeApi *api);

typedef struct {
  char *whip, *whep; /* at least one; http:// or https:// */
  char *token;
  char *name;         /* default "Bridge" */
  guint video, audio; /* m-lines per kind, 1 to 4 each (default 4 and 4) */
} MgBridgeSpec;

void mg_bridge_spec_clear(MgBridgeSpec *spec);
/* Parses a POST body {"whip", "whep", "token", "name", "video", "audio"}:
 * FALSE with error and a code ("bad_request", "bad_url") unless it is an
 * object with a whip or whep URL (http/https with a host, at most 2,048
 * bytes), a token (1 to 4,096 bytes of text), a name of 1 to 64 bytes and
 * counts of 1 to 4. */
gboolean mg_bridge_api_parse(const char *body, gsize len, MgBridgeSpec *spec, const char **code, GError **error);

G_END_DECLS

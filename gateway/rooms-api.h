/* SPDX-License-Identifier: MIT
 * Rooms over HTTP: POST /api/v1/rooms creates an ad hoc room and returns its
 * host and guest links; GET /j/<code> serves the meeting page. */
#pragma once

#include "gateway/admin.h"
#include "gateway/http.h"
#include "signaling/rooms.h"

G_BEGIN_DECLS

typedef struct MgRoomsApi MgRoomsApi;

/* public_url and secret are borrowed. (transfer full) */
MgRoomsApi *mg_rooms_api_new(MgHttpServer *server, MgAdmin *admin, MgStore *store, const char *public_url,
                             const char *secret);
void mg_rooms_api_free(MgRoomsApi *api);

/* A join link for the room: <public_url>/j/<code>?t=<token> with a token for
 * role, user (may be NULL for a group link) and name, valid in the room's
 * window (or from now for a day when it has none). (transfer full) */
char *mg_rooms_api_link(MgRoomsApi *api, const MgRoomDef *room, const char *role, const char *user, const char *name,
                        gint64 now_s);

G_END_DECLS

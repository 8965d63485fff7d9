/* SPDX-License-Identifier: MIT
 * The chats API: /api/v1/chats (create or replace, list, get, replace,
 * remove chat bindings) and GET /api/v1/meetings/<id>/chats (which chats a
 * meeting goes to and why). An operator admin key or an OA source key. */
#pragma once

#include "gateway/admin.h"
#include "gateway/http.h"
#include "gateway/meetings-api.h"
#include "signaling/chats.h"

G_BEGIN_DECLS

typedef struct MgChatsApi MgChatsApi;

/* store, admin and meetings_api are borrowed (admin, meetings_api may be
 * NULL). Registers the stored chats' secrets with the log. (transfer full) */
MgChatsApi *mg_chats_api_new(MgHttpServer *server, MgStore *store, MgAdmin *admin, MgMeetingsApi *meetings_api,
                             gboolean console_default);
void mg_chats_api_free(MgChatsApi *api);

/* Tells the log to mask chat's secret, webhook URL and the URL's tokens. */
void mg_chats_api_add_secrets(const MgChat *chat);

G_END_DECLS

/* SPDX-License-Identifier: MIT
 * The ingest API: an operator brings an RTSP camera or a media file/URL into
 * a room as a participant (media/ingest.h): POST and DELETE
 * /api/v1/admin/rooms/<room>/ingest[/<id>]; GET /api/v1/admin/ingests and
 * the room detail list them. */
#pragma once

#include "gateway/admin.h"
#include "gateway/http.h"
#include "media/engine.h"
#include "signaling/conference.h"
#include "signaling/store.h"

G_BEGIN_DECLS

typedef struct MgIngestApi MgIngestApi;

/* Borrowed pointers outlive the API. (transfer full) */
MgIngestApi *mg_ingest_api_new(MgHttpServer *server, MgAdmin *admin, MgMediaEngine *engine, MgConference *conference,
                               MgStore *store);
/* Stops every ingest. */
void mg_ingest_api_free(MgIngestApi *api);

/* Parses a POST body {"url": ..., "name": ..., "transcode": ...}: FALSE with
 * error (code "bad_request" or "bad_url" in *code) unless url passes
 * mg_ingest_check_url(), name (optional, default "Camera") is 1 to 64 bytes
 * of UTF-8 and transcode (optional, default true) is a boolean.
 * (transfer full: url, name) */
gboolean mg_ingest_api_parse(const char *body, gsize len, char **url, char **name, gboolean *transcode,
                             const char **code, GError **error);
/* The url as shown in answers and logs: its password hidden. (transfer full) */
char *mg_ingest_api_display_url(const char *url);

G_END_DECLS

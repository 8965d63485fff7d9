/* SPDX-License-Identifier: MIT
 * The meetings API (/api/v1/meetings): OA systems push, list and cancel
 * meetings, authenticated per source ([oa] sources) and optionally signed
 * (X-Meetgate-Signature). Answers carry the room code and join links. */
#pragma once

#include "gateway/http.h"
#include "gateway/rooms-api.h"
#include "signaling/meetings.h"

G_BEGIN_DECLS

typedef struct MgMeetingsApi MgMeetingsApi;

/* Called after a meeting was created, updated or cancelled. */
typedef void (*MgMeetingsApiChanged)(gpointer user_data);

/* sources is "[oa] sources": name:apikey[:webhook-secret],...; a malformed
 * entry is an error naming it (not its key). store, rooms_api and
 * public_url are borrowed. (transfer full) */
MgMeetingsApi *mg_meetings_api_new(MgHttpServer *server, MgStore *store, MgRoomsApi *rooms_api, const char *public_url,
                                   const char *sources, GError **error);
void mg_meetings_api_free(MgMeetingsApi *api);
void mg_meetings_api_set_changed(MgMeetingsApi *api, MgMeetingsApiChanged changed, gpointer user_data);
/* The name of the [oa] source whose key the request bears (borrowed), or
 * NULL after answering 401 (counted as refused). */
const char *mg_meetings_api_authenticate(MgMeetingsApi *api, MgHttpRequest *req);
/* The name of the [oa] source whose API key is key (borrowed), or NULL;
 * answers nothing (for APIs that also take other credentials). */
const char *mg_meetings_api_source_for_key(MgMeetingsApi *api, const char *key);
/* Whether name is an [oa] source; *secret (borrowed) is its webhook secret,
 * NULL when its requests are not signed. */
gboolean mg_meetings_api_source_secret(MgMeetingsApi *api, const char *name, const char **secret);
/* Who answers GET /api/v1/meetings/<id>/chats (the chats API). */
void mg_meetings_api_set_chats_handler(MgMeetingsApi *api, MgHttpHandler handler, gpointer user_data);
/* Tells the changed callback that meetings were written elsewhere (calendar syncs). */
void mg_meetings_api_notify_changed(MgMeetingsApi *api);
/* Requests refused (authentication, signature, validation), for /metrics. */
guint64 mg_meetings_api_get_refused(MgMeetingsApi *api);

/* A meeting of source from the API's JSON body. On a bad value, *field
 * (transfer full) names it and error says what is wrong. (transfer full) */
MgMeeting *mg_meetings_api_parse(json_t *body, const char *source, char **field, GError **error);
/* The answer for a stored meeting: fields, room, links, invite URL. (transfer full) */
json_t *mg_meetings_api_meeting_json(MgMeetingsApi *api, const MgMeetingsEntry *entry, gint64 now_s);

/* RFC 3339 with an offset ("2026-03-02T09:30:00+08:00", "...Z") to UTC seconds. */
gboolean mg_meetings_api_parse_time(const char *text, gint64 *out);
/* UTC seconds as "2026-03-02T01:30:00Z". (transfer full) */
char *mg_meetings_api_format_time(gint64 t);

G_END_DECLS

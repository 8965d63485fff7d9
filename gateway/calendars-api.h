/* SPDX-License-Identifier: MIT
 * The calendars API (/api/v1/calendars): OA sources subscribe ICS feeds and
 * CalDAV collections, list, remove and sync them; the daemon polls them. */
#pragma once

#include "gateway/http.h"
#include "gateway/meetings-api.h"
#include "signaling/feeds.h"

G_BEGIN_DECLS

typedef struct MgCalendarsApi MgCalendarsApi;

/* store and meetings_api (authentication, change notices) are borrowed.
 * (transfer full) */
MgCalendarsApi *mg_calendars_api_new(MgHttpServer *server, MgStore *store, MgMeetingsApi *meetings_api);
/* Cancels the syncs in flight (their results are dropped). */
void mg_calendars_api_free(MgCalendarsApi *api);
/* Starts a sync of every calendar whose interval has passed since its last
 * sync at now_s. */
void mg_calendars_api_poll(MgCalendarsApi *api, gint64 now_s);

G_END_DECLS

/* SPDX-License-Identifier: MIT
 * Recordings over HTTP: start and stop a room's per-track recording
 * (operator), list recordings and download their files (viewer). Each
 * recording's state is also kept in recording.json in its directory, so the
 * list survives a restart. */
#pragma once

#include "gateway/admin.h"
#include "gateway/http.h"
#include "media/engine.h"
#include "signaling/conference.h"
#include "signaling/store.h"

G_BEGIN_DECLS

typedef struct MgRecordingsApi MgRecordingsApi;

/* dir: where recordings go (<dir>/<room>/<timestamp>/); composite: "webm",
 * "mp4" or "none" (media/composite.h); borrowed pointers outlive the API.
 * now_s: the wall clock, for recordings found on disk. (transfer full) */
MgRecordingsApi *mg_recordings_api_new(MgHttpServer *server, MgAdmin *admin, MgMediaEngine *engine,
                                       MgConference *conference, MgStore *store, const char *dir, const char *composite,
                                       gint64 now_s);
/* Stops every recording, waiting for its files to be finished. */
void mg_recordings_api_free(MgRecordingsApi *api);

/* Meetings with record: true: their room's recording starts when the first
 * participant joins (room_started) and stops when the room closes
 * (room_finished). Call it from the conference's event function. */
void mg_recordings_api_on_conference_event(MgRecordingsApi *api, const MgConferenceEvent *ev);
/* The room's active speaker changed (the engine's active_speaker event):
 * noted with its time (now_us, monotonic) in the room's running recording,
 * whose composite then shows that publisher large. */
void mg_recordings_api_on_speaker(MgRecordingsApi *api, const char *room, const char *track, const char *party,
                                  gint64 now_us);
/* The URL (base_url + /api/v1/recordings/<id>) of the room's latest
 * recording, or NULL: for the chat summary's recording_url. (transfer full) */
char *mg_recordings_latest_for_room(MgRecordingsApi *api, const char *room, const char *base_url);
/* Told when a recording of room starts (finished FALSE) and when its files
 * are finished or it failed (finished TRUE, with its files); recording is the
 * API's JSON of it, borrowed for the call. */
typedef void (*MgRecordingsNotify)(const char *room, gboolean finished, json_t *recording, gpointer user_data);
void mg_recordings_api_set_notify(MgRecordingsApi *api, MgRecordingsNotify notify, gpointer user_data);

/* A recording's recording.json, read back (recordings-manifest.c). */
typedef struct {
  char *id, *room, *state, *error; /* error may be NULL */
  gint64 started_s, stopped_s;     /* 0 when absent */
} MgRecordingManifest;

/* FALSE with error (and m cleared) when text is not a manifest meetgate wrote:
 * ids of [A-Za-z0-9_-], a known state, ISO 8601 times. */
gboolean mg_recordings_manifest_parse(const char *text, gsize len, MgRecordingManifest *m, GError **error);
void mg_recordings_manifest_clear(MgRecordingManifest *m);
/* 1 to 128 characters of [A-Za-z0-9_-]: safe as a path component. */
gboolean mg_recordings_valid_id(const char *id);

G_END_DECLS

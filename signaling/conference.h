/* SPDX-License-Identifier: MIT
 * Live rooms: who is in each room now, their roles, tracks and media
 * connections, the lobby, locks; and the signaling protocol's handlers that
 * act on them (docs/protocol.md). Runs on the control loop. */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "media/engine.h"
#include "signaling/store.h"

G_BEGIN_DECLS

typedef struct MgConference MgConference;
typedef struct MgSession MgSession;
typedef struct MgParticipant MgParticipant;

typedef struct {
  MgStore *store;
  MgMediaEngine *engine;
  const char *secret;      /* borrowed: signs and checks join tokens */
  gint64 resume_window_us; /* 0 = 30 s */
} MgConferenceConfig;

/* (transfer full) */
MgConference *mg_conference_new(const MgConferenceConfig *config);
void mg_conference_free(MgConference *conf);

/* Media events from the engine (tracks, active speaker, peers gone). */
void mg_conference_on_media_event(MgConference *conf, const MgMediaEvent *event);

/* The room's scheduled window is over (end + grace). The room stays open
 * while people remain, who are told so; nobody new may join (the window
 * refuses them as `ended`). Returns how many were told. */
guint mg_conference_overtime(MgConference *conf, const char *room_id);

/* A recording of the room started or stopped: everyone in it is told
 * ({"type":"recording"}), and those who join later read it in joined. */
void mg_conference_set_recording(MgConference *conf, const char *room_id, gboolean active);

/* The session of a participant is gone (WebSocket closed): the participant
 * may resume within the window, or leaves. */
void mg_conference_detach(MgConference *conf, MgParticipant *p);

/* Handlers, called by the session's dispatch table. msg is the message;
 * now_s the wall clock in seconds. */
typedef void (*MgConferenceHandler)(MgConference *conf, MgSession *session, json_t *msg, gint64 now_s);
MgConferenceHandler mg_conference_find_handler(const char *type);

/* Counts for metrics and tests. */
guint mg_conference_get_participant_count(MgConference *conf);
/* {room: {participants: [...], locked, lobby: [...]}} for the admin API. (transfer full) */
json_t *mg_conference_describe(MgConference *conf, const char *room_id);

G_END_DECLS

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

/* Closes a live room now: everyone is told why (reason, a short code such as
 * "cancelled") and disconnected. Returns how many were in it. */
guint mg_conference_close(MgConference *conf, const char *room_id, const char *reason);
/* The ids of the rooms that have people (or a lobby) now. (transfer full) char * */
GPtrArray *mg_conference_live_room_ids(MgConference *conf);
/* A recording of the room started or stopped: everyone in it is told
 * ({"type":"recording"}), and those who join later read it in joined. */
void mg_conference_set_recording(MgConference *conf, const char *room_id, gboolean active);
gboolean mg_conference_is_recording(MgConference *conf, const char *room_id);
/* Starts (active) or stops the room's recording for a host's `record`
 * message; FALSE with error when it cannot. The recorder then calls
 * mg_conference_set_recording(), which tells the room. */
typedef gboolean (*MgConferenceRecordFunc)(const char *room_id, gboolean active, const char *who, gpointer user_data,
                                           GError **error);
void mg_conference_set_record_func(MgConference *conf, MgConferenceRecordFunc func, gpointer user_data);
/* The room's live stream (issue 9) started or stopped: kind "hls" or
 * "rtmp", url the HLS playlist's public URL (NULL for RTMP). Everyone in the
 * room is told ({"type":"live"}) when it changed, and those who join later
 * read it in joined. */
void mg_conference_set_live(MgConference *conf, const char *room_id, gboolean active, const char *kind,
                            const char *url);
/* The room's live stream failed (or its output ended): if the room was live,
 * everyone in it is told {"type":"live", "active":false, "reason":"failed",
 * "error":<error>}; error is shown to people, so it must hold no secret. */
void mg_conference_set_live_failed(MgConference *conf, const char *room_id, const char *error);
/* Starts (active) or stops the room's live stream of kind ("hls" or "rtmp")
 * for a host's `live` message; who names the host ("host:<participant id>").
 * FALSE with error when it cannot: G_IO_ERROR_NOT_SUPPORTED when that kind
 * is not available here. The streamer then calls mg_conference_set_live(). */
typedef gboolean (*MgConferenceLiveFunc)(const char *room_id, gboolean active, const char *kind, const char *who,
                                         gpointer user_data, GError **error);
void mg_conference_set_live_func(MgConference *conf, MgConferenceLiveFunc func, gpointer user_data);

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

/* An ingest (media/ingest.h) joins room_id as a participant with role
 * "ingest", id party and name, whose media is the engine's local publisher
 * peer. FALSE when room_id is not a room of the store (then its media still
 * reaches WHEP players, but no participant is listed). (conference-ingest.c) */
gboolean mg_conference_add_ingest(MgConference *conf, const char *room_id, const char *party, const char *name,
                                  const char *peer);
/* A WHIP publisher (an encoder, or a bridge from another node) joins room_id
 * as a participant with role, id party, name and user (the token's), whose
 * media is the engine's publish peer; it leaves when that peer closes or
 * fails. FALSE when room_id is not a room of the store. */
gboolean mg_conference_add_whip(MgConference *conf, const char *room_id, const char *party, const char *name,
                                const char *role, const char *user, const char *peer);
/* A bridge's pull (gateway/bridge-api.c) joins room_id like an ingest, with
 * role "bridge": the far side's media, as one participant named name. */
gboolean mg_conference_add_bridge(MgConference *conf, const char *room_id, const char *party, const char *name,
                                  const char *peer);
/* The ingest's (or bridge's) participant leaves (its tracks end for everyone); no-op when gone. */
void mg_conference_remove_ingest(MgConference *conf, const char *room_id, const char *party);

/* ---- events for webhooks and metrics ---- */

typedef enum {
  MG_CONFERENCE_ROOM_STARTED,  /* the first participant joined a room */
  MG_CONFERENCE_ROOM_FINISHED, /* the last one left; the live room is gone */
  MG_CONFERENCE_PARTICIPANT_JOINED,
  MG_CONFERENCE_PARTICIPANT_LEFT,
  MG_CONFERENCE_TRACK_PUBLISHED, /* media flows on a participant's track */
  MG_CONFERENCE_TRACK_UNPUBLISHED,
} MgConferenceEventType;

/* Names for logs, metrics and webhooks: "room_started", ... */
const char *mg_conference_event_name(MgConferenceEventType type);

typedef struct {
  MgConferenceEventType type;
  const char *room;        /* room id */
  const char *participant; /* participant events and track events */
  const char *name, *role, *user;
  const char *track, *kind, *source; /* track events */
  const char *reason;                /* participant_left */
} MgConferenceEvent;

/* Called on the control loop as things happen (borrowed strings, valid for the call). */
typedef void (*MgConferenceEventFunc)(const MgConferenceEvent *event, gpointer user_data);
void mg_conference_set_event_func(MgConference *conf, MgConferenceEventFunc func, gpointer user_data);

/* ---- the admin API's view and actions (conference-admin.c) ---- */

#define MG_CONFERENCE_ERROR (mg_conference_error_quark())
GQuark mg_conference_error_quark(void);
typedef enum {
  MG_CONFERENCE_ERROR_NOT_FOUND,   /* no such live room, participant or track */
  MG_CONFERENCE_ERROR_BAD_REQUEST, /* e.g. admitting someone who is not in the lobby */
} MgConferenceError;

/* [{id, code, title, policy, locked, opens_at, closes_at, participants, lobby}]. (transfer full) */
json_t *mg_conference_list_rooms(MgConference *conf);
/* Removes a participant (their page says an admin did); they cannot rejoin with the same user id. */
gboolean mg_conference_admin_remove(MgConference *conf, const char *room_id, const char *participant, GError **error);
/* Mutes a participant's source ("microphone", "camera", "screen") or track (by id). */
gboolean mg_conference_admin_mute(MgConference *conf, const char *room_id, const char *participant, const char *what,
                                  GError **error);
/* Closes the room for everyone with an optional message shown to them. */
gboolean mg_conference_admin_close(MgConference *conf, const char *room_id, const char *message, GError **error);
gboolean mg_conference_admin_admit(MgConference *conf, const char *room_id, const char *participant, GError **error);
gboolean mg_conference_admin_lock(MgConference *conf, const char *room_id, gboolean locked, GError **error);
/* The display name of participant party in room_id, or NULL. (transfer full) */
char *mg_conference_participant_name(MgConference *conf, const char *room_id, const char *party);
/* When participant party's join arrived (wall clock µs), once: the first time
 * its publish connection peer connects; 0 otherwise. For the join latency metric. */
gint64 mg_conference_take_join_wait(MgConference *conf, const char *party, const char *peer);

G_END_DECLS

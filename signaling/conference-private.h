/* SPDX-License-Identifier: MIT
 * The conference's state, shared by conference.c (rooms, joining, leaving,
 * events), conference-media.c (publish/subscribe) and conference-host.c. */
#pragma once

#include "signaling/conference.h"
#include "signaling/rooms.h"
#include "signaling/session.h"

typedef struct MgLiveRoom MgLiveRoom;

typedef struct {
  char *id;     /* media track id */
  char *mid;    /* in the publish connection */
  char *kind;   /* audio | video */
  char *source; /* microphone | camera | screen */
  gboolean muted;
  gboolean live; /* media flows (the engine said track added) */
} MgPubTrack;

struct MgParticipant {
  char *id;
  char *name;
  char *role; /* host | attendee | guest | recorder */
  char *user; /* the token's sub, may be empty */
  MgLiveRoom *room;
  MgSession *session; /* NULL while disconnected */
  char *resume;
  guint resume_timer;
  gboolean in_lobby;
  char *pub_peer, *sub_peer;
  GPtrArray *tracks;           /* MgPubTrack* */
  GHashTable *pending_sources; /* mid -> source from the latest publish */
  gboolean offer_pending;      /* a subscribe_offer awaits its answer */
  gboolean offer_again;        /* tracks changed meanwhile */
  gboolean offer_requested;    /* first offer is being made */
  GPtrArray *early_candidates; /* trickled before the publish connection exists */
  json_t *sub_tracks;          /* the latest offer's m-line map */
  gint64 joined_us;            /* when the join arrived (wall clock) */
  gint64 join_wait_us;         /* same, until the publish connection first connects (join latency) */
  char *ip, *agent;            /* the client as its latest session saw it */
  gboolean whip;               /* a WHIP publisher: leaves when its connection ends */
};

struct MgLiveRoom {
  MgConference *conf;
  MgRoomDef *def;
  GPtrArray *participants; /* MgParticipant*, joined and lobby */
  gboolean locked;
  GHashTable *removed; /* user ids (or participant ids) removed by a host */
  char *active_speaker;
  gboolean started; /* room_started was emitted */
};

struct MgConference {
  MgConferenceConfig cfg;
  GHashTable *rooms;   /* room id -> MgLiveRoom* */
  GHashTable *resumes; /* resume token -> MgParticipant* */
  GHashTable *peers;   /* media peer id -> MgParticipant* */
  GHashTable *recording; /* ids of the rooms being recorded */
  guint64 next_id;
  MgConferenceEventFunc events;
  gpointer events_data;
  MgConferenceRecordFunc record;
  gpointer record_data;
  GHashTable *live; /* room id -> json_t* {active, kind, url?} of the rooms streaming live */
  MgConferenceLiveFunc live_func;
  gpointer live_data;
};

/* conference.c */
/* The live room of def, made when new (takes def). */
MgLiveRoom *mg_conf_live_room(MgConference *conf, MgRoomDef *def);
/* Events and attendance for a participant who is now in the room. */
void mg_conf_record_joined(MgConference *conf, MgParticipant *p);
void mg_conf_track_free(MgPubTrack *t);
void mg_conf_broadcast(MgLiveRoom *room, json_t *msg, MgParticipant *except); /* steals msg */
void mg_conf_send(MgParticipant *p, json_t *msg);                             /* steals msg */
json_t *mg_conf_participant_json(MgParticipant *p);
json_t *mg_conf_track_json(MgPubTrack *t);
MgParticipant *mg_conf_find(MgLiveRoom *room, const char *id);
void mg_conf_leave(MgConference *conf, MgParticipant *p, const char *reason, gboolean tell_others);
gboolean mg_conf_require_joined(MgSession *s, json_t *msg, MgParticipant **p);
void mg_conf_note_client(MgParticipant *p, MgSession *s);
json_t *mg_conf_room_json(MgLiveRoom *room);
/* Emits a participant or track event (t may be NULL). */
void mg_conf_emit(MgConference *conf, MgConferenceEventType type, MgParticipant *p, MgPubTrack *t, const char *reason);
/* conference-admin.c */
json_t *mg_conf_admin_participant_json(MgParticipant *p);
/* conference-media.c */
void mg_conf_offer_subscription(MgConference *conf, MgParticipant *p);
void mg_conf_close_media(MgConference *conf, MgParticipant *p);
void mg_conf_on_publish(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s);
void mg_conf_on_subscribe_answer(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s);
void mg_conf_on_candidate(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s);
void mg_conf_on_mute(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s);
void mg_conf_on_layer(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s);
MgPubTrack *mg_conf_track_by_id(MgParticipant *p, const char *track_id);
/* conference-host.c */
void mg_conf_on_host_mute(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s);
void mg_conf_on_remove(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s);
void mg_conf_on_admit(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s);
void mg_conf_on_deny(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s);
void mg_conf_on_lock(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s);
void mg_conf_on_end(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s);
void mg_conf_on_record(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s);
void mg_conf_on_live(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s);
/* The room's live state for joined and the live message: {active, kind?, url?}. (transfer full) */
json_t *mg_conf_live_json(MgConference *conf, const char *room_id);
void mg_conf_admit(MgConference *conf, MgParticipant *p);
void mg_conf_close_room(MgConference *conf, MgLiveRoom *room, const char *reason);
/* The same with a message for the people in the room (may be NULL). */
void mg_conf_close_room_with(MgConference *conf, MgLiveRoom *room, const char *reason, const char *message);

/* SPDX-License-Identifier: MIT
 * A room on its media worker: its peers, the tracks they publish, and the
 * forwarding from each track to the subscribers that follow it. Everything
 * here runs on the room's worker loop. */
#pragma once

#include <glib.h>

#include "media/engine.h"
#include "media/ice.h"

G_BEGIN_DECLS

typedef struct MgRoom MgRoom;
typedef struct MgDtlsCert MgDtlsCert;
typedef struct MgPeer MgPeer;
typedef struct MgTap MgTap;

/* Called on the worker; the engine carries the event to the control loop. */
typedef void (*MgRoomEventFunc)(MgRoom *room, const MgMediaEvent *event, gpointer user_data);
/* A stats snapshot, once a second; the callee owns it. */
typedef void (*MgRoomStatsFunc)(MgRoom *room, json_t *snapshot, gpointer user_data);

typedef struct {
  GMainContext *ctx; /* the worker's context */
  MgIceSettings ice; /* borrowed for the room's life */
  MgDtlsCert *cert;  /* borrowed */
  guint dtls_timeout_ms;
  MgRoomEventFunc events;
  MgRoomStatsFunc stats;
  gpointer user_data;
} MgRoomConfig;

/* (transfer full) */
MgRoom *mg_room_new(const char *id, const MgRoomConfig *config);
void mg_room_free(MgRoom *room);
const char *mg_room_get_id(MgRoom *room);
guint mg_room_get_peer_count(MgRoom *room);

/* Creates peer_id from the client's offer and returns the answer (transfer full). */
char *mg_room_connect(MgRoom *room, const char *peer_id, const char *party, MgMediaDirection dir, const char *offer,
                      GError **error);
/* A subscriber of our signaling: our offer (creating peer_id on the first
 * call) with one m-line per track of the room not published by party, m-lines
 * of ended tracks kept inactive. *tracks (transfer full) lists, per live
 * m-line, {mid, track, party, kind}. */
char *mg_room_subscribe_offer(MgRoom *room, const char *peer_id, const char *party, json_t **tracks, GError **error);
gboolean mg_room_subscribe_answer(MgRoom *room, const char *peer_id, const char *answer, GError **error);
/* ICE restart for peer_id; our sdpfrag (transfer full) or NULL. */
char *mg_room_restart_ice(MgRoom *room, const char *peer_id, const char *ufrag, const char *pwd, GError **error);
/* A publisher's new offer on its connection (a track added or stopped): our
 * answer (transfer full); tracks follow the m-lines. */
char *mg_room_renegotiate(MgRoom *room, const char *peer_id, const char *offer, GError **error);
gboolean mg_room_add_candidate(MgRoom *room, const char *peer_id, const char *candidate);
void mg_room_remove_peer(MgRoom *room, const char *peer_id, const char *reason);
/* The peer's connection, or NULL (tests and benchmarks). */
MgPeer *mg_room_get_peer(MgRoom *room, const char *peer_id);
/* Asks the publisher of video track track_id for a keyframe (rate limited). */
void mg_room_request_keyframe(MgRoom *room, const char *track_id, gint64 now_us);
gboolean mg_room_set_layer(MgRoom *room, const char *peer_id, guint mline, gint layer);
/* The room's state as JSON: peers, tracks, streams and their counters. (transfer full) */
json_t *mg_room_get_stats(MgRoom *room, gint64 now_us);

/* Taps (media/tap.h): the room keeps a reference while attached, offers
 * it every track with media and copies their packets to it. Removing a tap
 * (or freeing the room) stops it. */
void mg_room_add_tap(MgRoom *room, MgTap *tap);
void mg_room_remove_tap(MgRoom *room, MgTap *tap);

/* A local publisher (media/local-private.h) joins as a publisher without a
 * connection; the room drains its queue on this worker and keeps a
 * reference until the publisher is removed (mg_room_remove_peer with its
 * peer id) or the room is freed. */
void mg_room_add_local(MgRoom *room, MgMediaLocal *local, const char *party);

G_END_DECLS

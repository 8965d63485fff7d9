/* SPDX-License-Identifier: MIT
 * The media engine: the control plane's handle on the SFU. Rooms live on
 * media workers (a room is pinned to one worker); the engine's functions are
 * called on the control loop and post work to the room's worker. Results and
 * events come back on the control loop. */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "media/worker.h"

G_BEGIN_DECLS

typedef struct MgMediaEngine MgMediaEngine;
typedef struct MgTap MgTap;

typedef struct {
  char **ice_addresses; /* NULL = every non-loopback address, or loopback on a loopback-only host */
  char *ice_advertised; /* 1:1 NAT public address, or NULL */
  guint16 port_min, port_max;
  gboolean ice_tcp;
  guint dtls_timeout_ms; /* 0 = 10 s */
} MgMediaSettings;

typedef enum {
  MG_MEDIA_PUBLISH,   /* the client sends; it offers */
  MG_MEDIA_SUBSCRIBE, /* the client receives the room's streams; it offers recvonly (WHEP) */
} MgMediaDirection;

typedef enum {
  MG_MEDIA_EVENT_CONNECTED, /* ICE and DTLS are up */
  MG_MEDIA_EVENT_FAILED,    /* ICE or DTLS failed, or the peer went silent */
  MG_MEDIA_EVENT_CLOSED,
  MG_MEDIA_EVENT_TRACK_ADDED, /* a publisher's track has media */
  MG_MEDIA_EVENT_TRACK_REMOVED,
  MG_MEDIA_EVENT_ACTIVE_SPEAKER, /* peer/track: the loudest audio track now */
} MgMediaEventType;

typedef struct {
  MgMediaEventType type;
  const char *room;
  const char *peer;
  const char *track; /* for track events */
  const char *kind;  /* "audio" | "video" */
  const char *reason;
  const char *party; /* the participant the peer belongs to (our signaling), or NULL */
} MgMediaEvent;

typedef void (*MgMediaEventFunc)(const MgMediaEvent *event, gpointer user_data);
/* answer is NULL and error set when the offer cannot be served. */
typedef void (*MgMediaAnswerFunc)(const char *peer, const char *answer, const GError *error, gpointer user_data);

#define MG_MEDIA_ERROR (mg_media_error_quark())
GQuark mg_media_error_quark(void);
typedef enum {
  MG_MEDIA_ERROR_SDP,      /* the offer is malformed or asks what we cannot serve */
  MG_MEDIA_ERROR_NO_PEER,  /* unknown peer id */
  MG_MEDIA_ERROR_INTERNAL, /* ICE could not gather, etc. */
} MgMediaError;

/* (transfer full) */
MgMediaEngine *mg_media_engine_new(MgWorkerPool *pool, const MgMediaSettings *settings, MgMediaEventFunc events,
                                   gpointer user_data, GError **error);
/* Closes every peer and room, waiting for the workers to finish with them. */
void mg_media_engine_free(MgMediaEngine *engine);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgMediaEngine, mg_media_engine_free)

/* Creates a peer in room (creating the room when it is new) from the client's
 * offer, and answers it. The peer id comes with the answer. */
void mg_media_engine_connect(MgMediaEngine *engine, const char *room, MgMediaDirection dir, const char *offer,
                             MgMediaAnswerFunc done, gpointer user_data);
/* The same for a participant of our signaling: party tags the peer so that
 * its own tracks are not offered back to it. */
void mg_media_engine_publish(MgMediaEngine *engine, const char *room, const char *party, const char *offer,
                             MgMediaAnswerFunc done, gpointer user_data);

/* Parties whose name starts with this are bridges (WHIP/WHEP cascades
 * between nodes, docs/bridge.md): a subscriber of a bridge party receives no
 * track published by a bridge party, so a cascade never echoes. */
#define MG_MEDIA_BRIDGE_PARTY_PREFIX "bridge-"
static inline gboolean
mg_media_party_is_bridge(const char *party)
{
  return party && g_str_has_prefix(party, MG_MEDIA_BRIDGE_PARTY_PREFIX);
}

/* Like mg_media_engine_connect() for a WHIP/WHEP client tagged with party
 * (its own tracks are not sent back to it; the bridge rule above applies).
 * Unlike a signaling participant's connection, the peer is closed when it
 * goes silent. */
void mg_media_engine_connect_party(MgMediaEngine *engine, const char *room, MgMediaDirection dir, const char *party,
                                   const char *offer, MgMediaAnswerFunc done, gpointer user_data);

/* A new offer on an existing publish connection (renegotiation). */
void mg_media_engine_republish(MgMediaEngine *engine, const char *peer, const char *offer, MgMediaAnswerFunc done,
                               gpointer user_data);

/* tracks: [{mid, track, party, kind}] per live m-line of the offer (transfer none). */
typedef void (*MgMediaOfferFunc)(const char *peer, const char *offer, json_t *tracks, const GError *error,
                                 gpointer user_data);
/* Our offer to a participant's subscribe connection: peer NULL creates it.
 * Call again whenever tracks come and go (renegotiation). */
void mg_media_engine_subscribe_offer(MgMediaEngine *engine, const char *room, const char *peer, const char *party,
                                     MgMediaOfferFunc done, gpointer user_data);
/* The client's answer to our latest offer; done gets answer NULL on success too, error on failure. */
void mg_media_engine_subscribe_answer(MgMediaEngine *engine, const char *peer, const char *answer,
                                      MgMediaAnswerFunc done, gpointer user_data);
/* Trickle: one candidate ("candidate:..."), or NULL for end-of-candidates. */
gboolean mg_media_engine_add_candidate(MgMediaEngine *engine, const char *peer, const char *candidate);
/* ICE restart with the client's new credentials and candidates (NULL-terminated
 * "candidate:..." strings); done gets our sdpfrag as the answer. */
void mg_media_engine_restart_ice(MgMediaEngine *engine, const char *peer, const char *ufrag, const char *pwd,
                                 char **candidates, MgMediaAnswerFunc done, gpointer user_data);
gboolean mg_media_engine_close_peer(MgMediaEngine *engine, const char *peer);
gboolean mg_media_engine_has_peer(MgMediaEngine *engine, const char *peer);
const char *mg_media_engine_peer_room(MgMediaEngine *engine, const char *peer);
/* Chooses the simulcast layer (0 = lowest) a subscriber's m-line receives;
 * -1 returns to automatic choice from its bandwidth estimate. */
gboolean mg_media_engine_set_layer(MgMediaEngine *engine, const char *peer, guint mline, gint layer);
/* The latest stats snapshot of a room (published by its worker once a
 * second), or NULL. (transfer full: json_decref it) */
json_t *mg_media_engine_get_room_stats(MgMediaEngine *engine, const char *room);
/* Snapshots of every room, as a JSON array. (transfer full) */
json_t *mg_media_engine_get_stats(MgMediaEngine *engine);
/* Attaches a tap (media/tap.h) to room, creating the room when it has no
 * media yet; the room stays while a tap is attached. */
void mg_media_engine_add_tap(MgMediaEngine *engine, const char *room, MgTap *tap);
/* Asks the publisher of a room's video track (a tap's MgTapTrack.track) for
 * a keyframe, e.g. for a bridge's far side that lost one; rate limited. */
void mg_media_engine_request_keyframe(MgMediaEngine *engine, const char *room, const char *track);
/* Detaches the tap, which then finishes (its done callback follows). */
void mg_media_engine_remove_tap(MgMediaEngine *engine, const char *room, MgTap *tap);
/* ---- local publishers (media/local.c) ---- */

/* A publisher made in this process (an ingest pipeline, media/ingest.h): its
 * RTP joins a room as a participant's would, without ICE, DTLS or SRTP. */
typedef struct MgMediaLocal MgMediaLocal;

typedef struct {
  const char *kind;     /* "audio" | "video" */
  const char *encoding; /* "VP8", "H264", "OPUS" */
  guint clock_rate;
  guint8 pt;
} MgMediaLocalTrack;

/* Adds a local publisher with n tracks to room (creating the room), tagged
 * with party like a participant's connection; its tracks are announced when
 * their first packet arrives. Returns the caller's reference. (transfer full) */
MgMediaLocal *mg_media_engine_add_local(MgMediaEngine *engine, const char *room, const char *party,
                                        const MgMediaLocalTrack *tracks, guint n);
/* Takes the publisher out of its room (its tracks end) and drops the
 * caller's reference. Packets pushed afterwards are dropped. */
void mg_media_engine_remove_local(MgMediaEngine *engine, MgMediaLocal *local);
/* The publisher's peer id in the room (track ids are "<peer>-<index>"). */
const char *mg_media_local_get_peer(MgMediaLocal *local);
/* One RTP packet of track index: copied onto a bounded queue that the room's
 * worker drains; never blocks. Safe from any thread. Returns FALSE when the
 * packet was dropped (the queue is full or the index is wrong). */
gboolean mg_media_local_push(MgMediaLocal *local, guint index, const guint8 *buf, gsize len);
/* TRUE once for each time the room asked track index for a keyframe (a new
 * subscriber, a PLI or FIR) since the last call. Safe from any thread. */
gboolean mg_media_local_take_keyframe_request(MgMediaLocal *local, guint index);
/* Packets dropped because the room's worker did not keep up. */
guint64 mg_media_local_get_dropped(MgMediaLocal *local);
/* TRUE once the publisher has left its room (removed, closed by someone
 * else, or the room closed): packets pushed now go nowhere. Any thread. */
gboolean mg_media_local_is_gone(MgMediaLocal *local);

/* The SDP fingerprint of this process's DTLS certificate ("sha-256 AB:..."). */
const char *mg_media_engine_fingerprint(MgMediaEngine *engine);

G_END_DECLS

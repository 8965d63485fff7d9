/* SPDX-License-Identifier: MIT
 * Shared between the media engine's files (engine.c, engine-peer.c,
 * engine-room.c): the engine's state on the control loop and the one way
 * its calls reach a room's worker. */
#pragma once

#include "media/dtls.h"
#include "media/engine.h"
#include "media/room.h"
#include "media/worker.h"

G_BEGIN_DECLS

typedef struct {
  char *id;
  MgWorker *worker;
  MgRoom *room; /* owned by the worker's loop */
  guint peers;
  guint taps;
} MgEngineRoom;

struct MgMediaEngine {
  MgWorkerPool *pool;
  MgMediaSettings settings;
  MgDtlsCert *cert;
  char *fingerprint;
  GHashTable *rooms; /* id -> MgEngineRoom* */
  GHashTable *peers; /* peer id -> MgEngineRoom* */
  GHashTable *stats; /* room id -> json_t* snapshot */
  MgMediaEventFunc events;
  gpointer user_data;
  GMainContext *control;
};

/* The room with this id, placed on a worker when it is new. */
MgEngineRoom *mg_media_engine_room_get(MgMediaEngine *engine, const char *id);
/* Releases the room: freed on its worker after the jobs already posted. */
void mg_media_engine_room_release(MgMediaEngine *engine, MgEngineRoom *er);
/* Makes a new peer id, counted in er from now on, so that trickle and DELETE
 * can follow at once; the room lives until the peer is forgotten.
 * (transfer full) */
char *mg_media_engine_add_peer(MgMediaEngine *engine, MgEngineRoom *er);
/* Forgets a peer id; the last peer or tap gone releases its room. */
void mg_media_engine_forget_peer(MgMediaEngine *engine, const char *peer);

/* A call run on a room's worker without an answer back. */
typedef struct MgRoomCall MgRoomCall;
typedef void (*MgRoomCallFunc)(MgRoomCall *call);
struct MgRoomCall {
  MgRoomCallFunc func;
  MgRoom *room; /* worker side: freed only by a job posted after this one */
  char *peer;
  char *arg;
  gpointer obj; /* a tap or a local publisher, released after the call */
  GDestroyNotify obj_unref;
};

/* Posts func to er's worker with copies of peer and arg; obj is
 * (transfer full) and released with obj_unref after func ran. */
void mg_media_engine_post_call(MgEngineRoom *er, MgRoomCallFunc func, const char *peer, const char *arg, gpointer obj,
                               GDestroyNotify obj_unref);

G_END_DECLS

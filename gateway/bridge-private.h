/* SPDX-License-Identifier: MIT
 * Internals shared by the bridge API's files: bridge-api.c (the admin routes
 * and answers, the restore after a restart) and bridge-run.c (a bridge's
 * attempts, probes and saving). */
#pragma once

#include "gateway/bridge-api.h"
#include "gateway/bridge-fsm.h"
#include "media/bridge-rtc.h"
#include "signaling/httpc.h"

G_BEGIN_DECLS

typedef struct MgBridge MgBridge;

typedef struct {
  MgBridge *b;
  gboolean pull;
  MgBridgeRtc *rtc;
  guint64 request; /* the POST under way */
  char *resource;  /* the far side's session URL (Location), to DELETE */
  gboolean up;
  MgBridgeLiveness live; /* while up: is a quiet far side still there? */
  guint64 probe;         /* the GET of resource under way */
} MgBridgeLeg;

struct MgBridge {
  MgBridgeApi *api;
  char *id, *room, *party;
  MgBridgeSpec spec;
  gint64 started_s;
  MgBridgeFsm fsm;
  MgMediaLocal *local; /* the pull's publisher in the room, kept across attempts */
  MgBridgeLeg legs[2]; /* push (WHIP), pull (WHEP) */
  guint64 packets[2];  /* of the earlier attempts */
};

struct MgBridgeApi {
  MgAdmin *admin;
  MgMediaEngine *engine;
  MgConference *conference;
  MgStore *store;
  const char *secret, *public_url;
  MgHttpc *http;
  GHashTable *bridges; /* id -> MgBridge* */
  GPtrArray *saved;    /* MgPipelineRow*: bridges of rooms not there yet after a restart */
  guint tick;
};

/* Starts a bridge in room (id, started_s and restarts given when it comes
 * back after a restart of meetgate), taking spec's contents, and saves it in
 * the store. The API's table owns it. */
MgBridge *mg_bridge_launch(MgBridgeApi *api, const char *room, MgBridgeSpec *spec, const char *id, gint64 started_s,
                           guint restarts);
/* Stops its legs (the far side's sessions are deleted) and its participant
 * leaves; STOPPED with reason (may be NULL). It stays in the store. */
void mg_bridge_stop(MgBridge *b, const char *reason);
/* Stops and frees a bridge (the table's value destroy function). */
void mg_bridge_free(gpointer b);
/* Removes bridge id from the store: it does not come back after a restart. */
void mg_bridge_forget(MgBridgeApi *api, const char *id);
/* The API's timer: attempts, timeouts, probes, participants gone. */
gboolean mg_bridge_tick(gpointer api);

G_END_DECLS

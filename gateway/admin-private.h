/* SPDX-License-Identifier: MIT
 * Internals shared by the admin API's files: admin.c (keys, routes),
 * admin-rooms.c (views), admin-actions.c (actions, audit log) and
 * admin-live.c (the dashboard's WebSocket). */
#pragma once

#include "gateway/admin.h"
#include "signaling/conference.h"
#include "signaling/store.h"

typedef struct {
  char *name;
  MgAdminRole role;
  char *key;
} MgAdminKey;

struct MgAdmin {
  MgMediaEngine *engine;
  MgConference *conf; /* NULL until attached */
  MgStore *store;
  gint64 lead_s;
  GArray *keys;    /* MgAdminKey */
  GPtrArray *live; /* MgAdminLive*: dashboard WebSockets */
  guint tick;      /* pushes snapshots to signed-in dashboards */
  GArray *extra;   /* MgAdminExtraAction: other modules' room actions */
  GArray *details; /* MgAdminDetail: other modules' parts of the room detail */
  void (*outbox_changed)(gpointer data);
  gpointer outbox_changed_data;
};

typedef struct {
  const char *name;
  MgAdminDetailFunc func;
  gpointer data;
} MgAdminDetail;

typedef struct {
  const char *name;
  MgHttpHandler handler;
  gpointer data;
} MgAdminExtraAction;

/* admin.c */
/* The key that matches the credential given (constant-time), or NULL. */
const MgAdminKey *mg_admin_find_key(MgAdmin *admin, const char *given);
/* The request's key for at least role, or NULL after answering 401/403. */
const MgAdminKey *mg_admin_check(MgAdmin *admin, MgHttpRequest *req, MgAdminRole role);

/* admin-rooms.c */
/* The rooms table: live rooms and rooms that only have media (WHIP). (transfer full) */
json_t *mg_admin_rooms_json(MgAdmin *admin);
/* One room with its participants and their media, or NULL. (transfer full) */
json_t *mg_admin_room_json(MgAdmin *admin, const char *room_id);
extern const MgHttpRoute mg_admin_view_routes[];
extern const gsize mg_admin_n_view_routes;

/* admin-actions.c */
extern const MgHttpRoute mg_admin_action_routes[];
extern const gsize mg_admin_n_action_routes;

/* admin-outbox.c */
extern const MgHttpRoute mg_admin_outbox_routes[];
extern const gsize mg_admin_n_outbox_routes;


/* admin-live.c */
void mg_admin_live_start(MgAdmin *admin, MgHttpServer *server);
void mg_admin_live_stop(MgAdmin *admin);

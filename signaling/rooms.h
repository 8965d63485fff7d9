/* SPDX-License-Identifier: MIT
 * Room definitions in the store: what a room is (title, short code, policy,
 * capacity, schedule window, attendee list), as opposed to who is in it now
 * (conference.c). Ad hoc rooms come from the API; scheduled ones from OA
 * meetings. */
#pragma once

#include <glib.h>

#include "signaling/store.h"

G_BEGIN_DECLS

typedef enum {
  MG_POLICY_OPEN,        /* the link is enough */
  MG_POLICY_LOBBY,       /* people not on the attendee list wait for a host */
  MG_POLICY_INVITE_ONLY, /* a personal token is needed */
} MgPolicy;

#define MG_ROOM_DEFAULT_CAPACITY 100

typedef struct {
  char *id;
  char *code; /* "ABCD-EFGH": short, unambiguous letters */
  char *title;
  MgPolicy policy;
  guint capacity;
  gint64 opens_at, closes_at; /* seconds since the epoch; 0 = no window */
  char **attendees;           /* user ids (token sub), NULL-terminated */
  gint64 created_at;
} MgRoomDef;

void mg_room_def_free(MgRoomDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgRoomDef, mg_room_def_free)

const char *mg_policy_name(MgPolicy policy);
gboolean mg_policy_parse(const char *name, MgPolicy *policy);

/* Stores a new room; id and code are generated. (transfer full) */
MgRoomDef *mg_rooms_create(MgStore *store, const MgRoomDef *def, gint64 now_s, GError **error);
/* Rewrites the title, policy, capacity, window and attendees of the room
 * def->id (a scheduled meeting moved or changed); id and code stay. */
gboolean mg_rooms_update(MgStore *store, const MgRoomDef *def, GError **error);
/* By id or by code (any case, dash optional), or NULL. (transfer full) */
MgRoomDef *mg_rooms_find(MgStore *store, const char *id_or_code);
gboolean mg_room_def_is_attendee(const MgRoomDef *def, const char *user);

G_END_DECLS

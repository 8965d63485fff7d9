/* SPDX-License-Identifier: MIT
 * The room's side of a local publisher (media/local.c): the engine creates
 * it, the room drains its queue on the room's worker. */
#pragma once

#include "media/engine.h"

G_BEGIN_DECLS

typedef struct {
  guint index;
  gsize len;
  guint8 data[];
} MgLocalPacket;

/* (transfer full) */
MgMediaLocal *mg_media_local_new(const char *peer, const MgMediaLocalTrack *tracks, guint n);
MgMediaLocal *mg_media_local_ref(MgMediaLocal *local);
void mg_media_local_unref(MgMediaLocal *local);
guint mg_media_local_get_n_tracks(MgMediaLocal *local);
const MgMediaLocalTrack *mg_media_local_get_track(MgMediaLocal *local, guint index);
/* The worker's source to wake when a packet is queued (ready time 0), or
 * NULL when the publisher has left its room (it is gone from then on). */
void mg_media_local_set_wake(MgMediaLocal *local, GSource *wake);
/* The oldest queued packet, or NULL. (transfer full: g_free) */
MgLocalPacket *mg_media_local_pop(MgMediaLocal *local);
void mg_media_local_request_keyframe(MgMediaLocal *local, guint index);

G_END_DECLS

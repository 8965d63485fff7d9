/* SPDX-License-Identifier: MIT
 * The media engine's calls on a whole room: router taps (recorders,
 * streamers, bridges), local publishers and keyframe requests. */
#define G_LOG_DOMAIN "media"
#include "media/engine-private.h"

#include "media/local-private.h"
#include "media/tap.h"

/* ---- taps ---- */

static void
add_tap_call(MgRoomCall *c)
{
  mg_room_add_tap(c->room, c->obj);
}

static void
remove_tap_call(MgRoomCall *c)
{
  mg_room_remove_tap(c->room, c->obj);
}

void
mg_media_engine_add_tap(MgMediaEngine *engine, const char *room, MgTap *tap)
{
  MgEngineRoom *er = mg_media_engine_room_get(engine, room);
  er->taps++;
  mg_media_engine_post_call(er, add_tap_call, NULL, NULL, mg_tap_ref(tap), (GDestroyNotify)mg_tap_unref);
}

void
mg_media_engine_remove_tap(MgMediaEngine *engine, const char *room, MgTap *tap)
{
  MgEngineRoom *er = g_hash_table_lookup(engine->rooms, room);
  if (!er || !er->taps) {
    mg_tap_stop(tap);
    return;
  }
  mg_media_engine_post_call(er, remove_tap_call, NULL, NULL, mg_tap_ref(tap), (GDestroyNotify)mg_tap_unref);
  if (--er->taps == 0 && !er->peers)
    mg_media_engine_room_release(engine, er);
}

static void
keyframe_call(MgRoomCall *c)
{
  mg_room_request_keyframe(c->room, c->arg, g_get_monotonic_time());
}

void
mg_media_engine_request_keyframe(MgMediaEngine *engine, const char *room, const char *track)
{
  MgEngineRoom *er = g_hash_table_lookup(engine->rooms, room);
  if (!er || !er->room)
    return;
  mg_media_engine_post_call(er, keyframe_call, NULL, track, NULL, NULL);
}

/* ---- local publishers ---- */

static void
add_local_call(MgRoomCall *c)
{
  /* arg is the party */
  mg_room_add_local(c->room, c->obj, c->arg);
}

MgMediaLocal *
mg_media_engine_add_local(MgMediaEngine *engine, const char *room, const char *party, const MgMediaLocalTrack *tracks,
                          guint n)
{
  MgEngineRoom *er = mg_media_engine_room_get(engine, room);
  /* Counted as a peer: the room lives until its CLOSED event. */
  g_autofree char *peer = mg_media_engine_add_peer(engine, er);
  MgMediaLocal *local = mg_media_local_new(peer, tracks, n);
  mg_media_engine_post_call(er, add_local_call, NULL, party, mg_media_local_ref(local),
                            (GDestroyNotify)mg_media_local_unref);
  return local;
}

void
mg_media_engine_remove_local(MgMediaEngine *engine, MgMediaLocal *local)
{
  if (!local)
    return;
  mg_media_engine_close_peer(engine, mg_media_local_get_peer(local));
  mg_media_local_unref(local);
}

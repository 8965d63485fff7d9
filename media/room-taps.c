/* SPDX-License-Identifier: MIT
 * The room's taps: every announced track is offered to each tap, and the
 * forwarded packets of its top layer are copied to the taps that took it. */
#define G_LOG_DOMAIN "room"
#include "media/room-private.h"
#include "media/tap.h"

static const char *
encoding_name(MgSdpCodecId codec)
{
  switch (codec) {
  case MG_SDP_CODEC_OPUS:
    return "OPUS";
  case MG_SDP_CODEC_VP8:
    return "VP8";
  case MG_SDP_CODEC_VP9:
    return "VP9";
  case MG_SDP_CODEC_H264:
    return "H264";
  default:
    return NULL;
  }
}

static void
offer_track(MgRoom *room, MgTap *tap, MgTrack *t, gint64 now_us)
{
  const char *encoding = encoding_name(t->codec);
  if (!encoding || !t->announced)
    return;
  MgTapTrack info = {
    .track = t->id,
    .party = t->owner->party,
    .kind = t->kind == MG_SDP_KIND_AUDIO ? "audio" : "video",
    .encoding = encoding,
    .clock_rate = t->clock_rate,
    .pt = t->pt,
  };
  /* Video starts decodable only from a keyframe. */
  if (mg_tap_track_added(tap, t, &info, now_us))
    mg_router_request_keyframe(t, now_us, TRUE);
}

void
mg_room_add_tap(MgRoom *room, MgTap *tap)
{
  g_ptr_array_add(room->taps, mg_tap_ref(tap));
  gint64 now = g_get_monotonic_time();
  for (guint i = 0; i < room->tracks->len; i++)
    offer_track(room, tap, g_ptr_array_index(room->tracks, i), now);
  g_info("room %s: a tap joined", room->id);
}

void
mg_room_remove_tap(MgRoom *room, MgTap *tap)
{
  if (!g_ptr_array_remove(room->taps, tap))
    return;
  mg_tap_stop(tap);
  mg_tap_unref(tap);
  g_info("room %s: a tap left", room->id);
}

void
mg_room_taps_track_started(MgRoom *room, MgTrack *t)
{
  gint64 now = g_get_monotonic_time();
  for (guint i = 0; i < room->taps->len; i++)
    offer_track(room, g_ptr_array_index(room->taps, i), t, now);
}

void
mg_room_taps_track_removed(MgRoom *room, MgTrack *t)
{
  for (guint i = 0; i < room->taps->len; i++)
    mg_tap_track_removed(g_ptr_array_index(room->taps, i), t);
}

void
mg_room_taps_packet(MgRoom *room, MgTrack *t, guint layer, const guint8 *buf, gsize len, gint64 now_us)
{
  if (layer != t->n_layers - 1) /* with simulcast, the last layer the offer lists */
    return;
  for (guint i = 0; i < room->taps->len; i++)
    mg_tap_push(g_ptr_array_index(room->taps, i), t, buf, len, now_us);
}

void
mg_room_taps_close(MgRoom *room)
{
  for (guint i = 0; i < room->taps->len; i++) {
    MgTap *tap = g_ptr_array_index(room->taps, i);
    mg_tap_stop(tap);
    mg_tap_unref(tap);
  }
  g_ptr_array_set_size(room->taps, 0);
}

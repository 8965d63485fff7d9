/* SPDX-License-Identifier: MIT
 * Local publishers: RTP made in this process (ingest pipelines) handed to a
 * room's worker through a bounded queue and a wake-up source, and the
 * keyframe requests the room sends back. */
#define G_LOG_DOMAIN "media"
#include "media/local-private.h"

#include <string.h>

#include "media/tap.h"

#define LOCAL_MAX_QUEUED 1000

struct MgMediaLocal {
  gint refs;
  char *peer;
  guint n_tracks;
  MgMediaLocalTrack *tracks; /* kind and encoding are static strings */
  gint *key_requests;        /* atomic, per track */
  MgTapQueue *queue;
  GMutex lock; /* guards wake: the producer's threads against the worker */
  GSource *wake;
  gint gone; /* atomic: it has left its room */
};

static const char *
static_name(const char *s)
{
  static const char *const names[] = { "audio", "video", "VP8", "VP9", "H264", "OPUS" };
  for (guint i = 0; s && i < G_N_ELEMENTS(names); i++)
    if (!g_ascii_strcasecmp(s, names[i]))
      return names[i];
  return NULL;
}

MgMediaLocal *
mg_media_local_new(const char *peer, const MgMediaLocalTrack *tracks, guint n)
{
  MgMediaLocal *local = g_new0(MgMediaLocal, 1);
  local->refs = 1;
  local->peer = g_strdup(peer);
  local->n_tracks = n;
  local->tracks = g_new0(MgMediaLocalTrack, MAX(n, 1));
  for (guint i = 0; i < n; i++) {
    local->tracks[i] = tracks[i];
    local->tracks[i].kind = static_name(tracks[i].kind);
    local->tracks[i].encoding = static_name(tracks[i].encoding);
  }
  local->key_requests = g_new0(gint, MAX(n, 1));
  local->queue = mg_tap_queue_new(LOCAL_MAX_QUEUED, g_free);
  g_mutex_init(&local->lock);
  return local;
}

MgMediaLocal *
mg_media_local_ref(MgMediaLocal *local)
{
  g_atomic_int_inc(&local->refs);
  return local;
}

void
mg_media_local_unref(MgMediaLocal *local)
{
  if (!local || !g_atomic_int_dec_and_test(&local->refs))
    return;
  g_assert(!local->wake);
  mg_tap_queue_free(local->queue);
  g_mutex_clear(&local->lock);
  g_free(local->key_requests);
  g_free(local->tracks);
  g_free(local->peer);
  g_free(local);
}

const char *
mg_media_local_get_peer(MgMediaLocal *local)
{
  return local->peer;
}

guint
mg_media_local_get_n_tracks(MgMediaLocal *local)
{
  return local->n_tracks;
}

const MgMediaLocalTrack *
mg_media_local_get_track(MgMediaLocal *local, guint index)
{
  return index < local->n_tracks ? &local->tracks[index] : NULL;
}

void
mg_media_local_set_wake(MgMediaLocal *local, GSource *wake)
{
  g_mutex_lock(&local->lock);
  if (!wake && local->wake)
    g_atomic_int_set(&local->gone, 1);
  if (wake)
    g_source_ref(wake);
  if (local->wake)
    g_source_unref(local->wake);
  local->wake = wake;
  g_mutex_unlock(&local->lock);
}

gboolean
mg_media_local_push(MgMediaLocal *local, guint index, const guint8 *buf, gsize len)
{
  if (index >= local->n_tracks || len < 12 || len > 1500 || g_atomic_int_get(&local->gone))
    return FALSE;
  MgLocalPacket *pkt = g_malloc(sizeof *pkt + len);
  pkt->index = index;
  pkt->len = len;
  memcpy(pkt->data, buf, len);
  if (!mg_tap_queue_push(local->queue, pkt))
    return FALSE;
  g_mutex_lock(&local->lock);
  if (local->wake)
    g_source_set_ready_time(local->wake, 0);
  g_mutex_unlock(&local->lock);
  return TRUE;
}

MgLocalPacket *
mg_media_local_pop(MgMediaLocal *local)
{
  gboolean control;
  return mg_tap_queue_pop(local->queue, 0, &control);
}

void
mg_media_local_request_keyframe(MgMediaLocal *local, guint index)
{
  if (index < local->n_tracks)
    g_atomic_int_set(&local->key_requests[index], 1);
}

gboolean
mg_media_local_take_keyframe_request(MgMediaLocal *local, guint index)
{
  return index < local->n_tracks && g_atomic_int_exchange(&local->key_requests[index], 0);
}

gboolean
mg_media_local_is_gone(MgMediaLocal *local)
{
  return g_atomic_int_get(&local->gone);
}

guint64
mg_media_local_get_dropped(MgMediaLocal *local)
{
  return mg_tap_queue_get_dropped(local->queue);
}

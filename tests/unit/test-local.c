/* SPDX-License-Identifier: MIT
 * Local publishers (media/local.c, media/room-local.c): the queue between a
 * producer thread and the room's worker, keyframe requests back, and a local
 * publisher's life in a real room (tracks announced by their first packet,
 * counted in the stats, ended when it leaves). */
#include "media/local-private.h"
#include "media/room-private.h"

#include <string.h>

#include "media/dtls.h"
#include "media/ingest.h"

static const MgMediaLocalTrack tracks[] = {
  { "video", "VP8", 90000, 96 },
  { "audio", "OPUS", 48000, 111 },
};

/* An RTP packet with a VP8 keyframe payload (or a bare Opus payload). */
static gsize
packet(guint8 *buf, guint8 pt, guint16 seq, guint32 ssrc)
{
  memset(buf, 0, 64);
  buf[0] = 0x80;
  buf[1] = pt;
  buf[2] = seq >> 8;
  buf[3] = seq & 0xff;
  buf[8] = ssrc >> 24;
  buf[9] = ssrc >> 16;
  buf[10] = ssrc >> 8;
  buf[11] = ssrc;
  buf[12] = 0x10; /* VP8 descriptor: S=1, PID 0 */
  buf[13] = 0x00; /* VP8 payload header: P=0 (keyframe) */
  return 64;
}

static void
test_queue(void)
{
  MgMediaLocal *local = mg_media_local_new("peer1", tracks, G_N_ELEMENTS(tracks));
  guint8 buf[64];
  packet(buf, 96, 1, 0x1234);
  g_assert_cmpstr(mg_media_local_get_peer(local), ==, "peer1");
  g_assert_cmpuint(mg_media_local_get_n_tracks(local), ==, 2);
  g_assert_cmpstr(mg_media_local_get_track(local, 1)->encoding, ==, "OPUS");
  g_assert_null(mg_media_local_get_track(local, 2));
  /* Wrong index, runt and oversized packets are refused. */
  g_assert_false(mg_media_local_push(local, 2, buf, sizeof buf));
  g_assert_false(mg_media_local_push(local, 0, buf, 11));
  guint8 big[1600] = { 0 };
  g_assert_false(mg_media_local_push(local, 0, big, sizeof big));
  g_assert_null(mg_media_local_pop(local));
  /* Packets come out in order, copied. */
  g_assert_true(mg_media_local_push(local, 1, buf, sizeof buf));
  buf[3] = 2;
  g_assert_true(mg_media_local_push(local, 0, buf, sizeof buf));
  MgLocalPacket *a = mg_media_local_pop(local), *b = mg_media_local_pop(local);
  g_assert_cmpuint(a->index, ==, 1);
  g_assert_cmpuint(a->data[3], ==, 1);
  g_assert_cmpuint(b->index, ==, 0);
  g_assert_cmpuint(b->data[3], ==, 2);
  g_assert_cmpuint(b->len, ==, sizeof buf);
  g_free(a);
  g_free(b);
  /* A full queue drops and counts, never blocks. */
  guint taken = 0;
  for (guint i = 0; i < 1500; i++)
    taken += mg_media_local_push(local, 0, buf, sizeof buf);
  g_assert_cmpuint(taken, ==, 1000);
  g_assert_cmpuint(mg_media_local_get_dropped(local), ==, 500);
  /* A keyframe request is taken once. */
  g_assert_false(mg_media_local_take_keyframe_request(local, 0));
  mg_media_local_request_keyframe(local, 0);
  mg_media_local_request_keyframe(local, 0);
  g_assert_false(mg_media_local_take_keyframe_request(local, 1));
  g_assert_true(mg_media_local_take_keyframe_request(local, 0));
  g_assert_false(mg_media_local_take_keyframe_request(local, 0));
  mg_media_local_unref(local);
}

typedef struct {
  GPtrArray *events; /* "type track" strings */
} Seen;

static void
on_event(MgRoom *room, const MgMediaEvent *ev, gpointer data)
{
  Seen *seen = data;
  static const char *const names[] = { "connected", "failed", "closed", "track_added", "track_removed", "speaker" };
  g_ptr_array_add(seen->events, g_strdup_printf("%s %s %s", names[ev->type], ev->track ? ev->track : ev->peer,
                                                ev->party ? ev->party : "-"));
}

static void
drain(GMainContext *ctx)
{
  for (int i = 0; i < 20; i++)
    g_main_context_iteration(ctx, FALSE);
}

static json_t *
local_peer_stats(MgRoom *room)
{
  json_t *stats = mg_room_get_stats(room, g_get_monotonic_time()), *p, *found = NULL;
  size_t i;
  json_array_foreach(json_object_get(stats, "peers"), i,
                     p) if (!g_strcmp0(json_string_value(json_object_get(p, "id")), "cam")) found = json_incref(p);
  json_decref(stats);
  return found;
}

static gpointer
produce(gpointer data)
{
  MgMediaLocal *local = data;
  guint8 buf[64];
  for (guint16 seq = 101; seq < 110; seq++) {
    packet(buf, 96, seq, 0xabcd);
    g_assert_true(mg_media_local_push(local, 0, buf, sizeof buf));
  }
  packet(buf, 111, 7, 0x5555);
  g_assert_true(mg_media_local_push(local, 1, buf, sizeof buf));
  return NULL;
}

static void
test_room(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MgDtlsCert) cert = mg_dtls_cert_new(&error);
  g_assert_no_error(error);
  GMainContext *ctx = g_main_context_new();
  Seen seen = { g_ptr_array_new_with_free_func(g_free) };
  char *addrs[] = { "127.0.0.1", NULL };
  MgRoomConfig cfg = {
    .ctx = ctx, .ice = { .addresses = addrs }, .cert = cert, .events = on_event, .user_data = &seen
  };
  MgRoom *room = mg_room_new("r1", &cfg);
  MgMediaLocal *local = mg_media_local_new("cam", tracks, G_N_ELEMENTS(tracks));

  /* Queued before the room has it: drained once it joins. */
  guint8 buf[64];
  packet(buf, 96, 100, 0xabcd);
  g_assert_true(mg_media_local_push(local, 0, buf, sizeof buf));
  g_assert_false(mg_media_local_is_gone(local));
  mg_room_add_local(room, local, "ingest-1");
  g_assert_false(mg_media_local_is_gone(local));
  g_assert_cmpuint(mg_room_get_peer_count(room), ==, 1);
  drain(ctx);
  g_assert_cmpuint(seen.events->len, ==, 1);
  g_assert_cmpstr(g_ptr_array_index(seen.events, 0), ==, "track_added cam-0 ingest-1");

  /* More video and the first audio, pushed from another thread. */
  GThread *producer = g_thread_new("producer", produce, local);
  g_thread_join(producer);
  drain(ctx);
  g_assert_cmpuint(seen.events->len, ==, 2);
  g_assert_cmpstr(g_ptr_array_index(seen.events, 1), ==, "track_added cam-1 ingest-1");

  json_t *p = local_peer_stats(room);
  g_assert_nonnull(p);
  g_assert_cmpstr(json_string_value(json_object_get(p, "state")), ==, "local");
  json_t *video = json_array_get(json_object_get(p, "tracks"), 0);
  json_t *layer = json_array_get(json_object_get(video, "layers"), 0);
  g_assert_cmpint(json_integer_value(json_object_get(layer, "packets")), ==, 10);
  json_decref(p);

  /* The router's keyframe request reaches the producer. */
  MgTrack *t = g_ptr_array_index(room->tracks, 0);
  g_assert_false(mg_media_local_take_keyframe_request(local, 0));
  mg_router_request_keyframe(t, g_get_monotonic_time(), TRUE);
  g_assert_true(mg_media_local_take_keyframe_request(local, 0));

  /* It leaves: its tracks end; later packets go nowhere. */
  mg_room_remove_peer(room, "cam", "stopped");
  g_assert_cmpuint(mg_room_get_peer_count(room), ==, 0);
  g_assert_cmpuint(room->tracks->len, ==, 0);
  g_assert_cmpuint(seen.events->len, ==, 5);
  g_assert_cmpstr(g_ptr_array_index(seen.events, 4), ==, "closed cam -");
  g_assert_true(mg_media_local_is_gone(local));
  packet(buf, 96, 111, 0xabcd);
  g_assert_false(mg_media_local_push(local, 0, buf, sizeof buf));
  drain(ctx);
  g_assert_cmpuint(seen.events->len, ==, 5);

  /* A second one is freed with the room. */
  MgMediaLocal *other = mg_media_local_new("cam2", tracks, 1);
  mg_room_add_local(room, other, NULL);
  mg_room_free(room);
  g_assert_true(mg_media_local_is_gone(other));
  mg_media_local_unref(other);
  mg_media_local_unref(local);
  g_ptr_array_unref(seen.events);
  drain(ctx);
  g_main_context_unref(ctx);
}

static void
test_check_url(void)
{
  const char *good[] = { "rtsp://10.0.0.5:554/stream1", "rtsp://cam:pw@h/x", "rtsps://h/",
                         "file:///srv/a.webm",          "http://h/a.mp4",    "https://h:8443/live?x=1",
                         "rtsp://[::1]:8554/cam" };
  const char *bad[] = { "",          "rtsp://",       "rtsp:///x",           "file://host/x", "file:relative",
                        "ftp://h/x", "rtsp://h/\x01", "javascript:alert(1)", "h/x",           "http://h/a\x7f" };
  for (guint i = 0; i < G_N_ELEMENTS(good); i++)
    g_assert_true(mg_ingest_check_url(good[i], NULL));
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    g_assert_false(mg_ingest_check_url(bad[i], &error));
    g_assert_nonnull(error);
  }
  g_assert_false(mg_ingest_check_url(NULL, NULL));
  g_assert_cmpstr(mg_ingest_state_name(MG_INGEST_RETRYING), ==, "retrying");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/local/queue", test_queue);
  g_test_add_func("/local/room", test_room);
  g_test_add_func("/local/check-url", test_check_url);
  return g_test_run();
}

/* SPDX-License-Identifier: MIT */
#include "media/recorder.h"
#include "media/tap.h"

#include <string.h>

/* ---- the bounded queue ---- */

static guint freed;

static void
count_free(gpointer p)
{
  freed++;
  g_free(p);
}

static void
test_queue_drops_and_counts(void)
{
  freed = 0;
  MgTapQueue *q = mg_tap_queue_new(3, count_free);
  for (guint i = 0; i < 3; i++)
    g_assert_true(mg_tap_queue_push(q, g_strdup_printf("p%u", i)));
  /* Full: packets are dropped (freed at once) and counted; control items still go in. */
  g_assert_false(mg_tap_queue_push(q, g_strdup("p3")));
  g_assert_false(mg_tap_queue_push(q, g_strdup("p4")));
  mg_tap_queue_push_control(q, g_strdup("c0"));
  g_assert_cmpuint(freed, ==, 2);
  g_assert_cmpuint(mg_tap_queue_get_dropped(q), ==, 2);
  g_assert_cmpuint(mg_tap_queue_get_length(q), ==, 4);

  /* In order; a popped packet frees a place. */
  gboolean control = TRUE;
  g_autofree char *a = mg_tap_queue_pop(q, 0, &control);
  g_assert_cmpstr(a, ==, "p0");
  g_assert_false(control);
  g_assert_true(mg_tap_queue_push(q, g_strdup("p5")));
  g_assert_false(mg_tap_queue_push(q, g_strdup("p6")));
  g_assert_cmpuint(mg_tap_queue_get_dropped(q), ==, 3);
  const char *expect[] = { "p1", "p2", "c0", "p5" };
  for (guint i = 0; i < G_N_ELEMENTS(expect); i++) {
    g_autofree char *s = mg_tap_queue_pop(q, 0, &control);
    g_assert_cmpstr(s, ==, expect[i]);
    g_assert_true(control == (i == 2));
  }
  g_assert_null(mg_tap_queue_pop(q, 0, NULL));
  g_assert_null(mg_tap_queue_pop(q, 1000, NULL)); /* waits 1 ms, then gives up */
  /* What is left at the end is freed with the queue. */
  mg_tap_queue_push(q, g_strdup("left"));
  freed = 0;
  mg_tap_queue_free(q);
  g_assert_cmpuint(freed, ==, 1);
}

/* ---- recorder names ---- */

static void
test_recorder_names(void)
{
  const char *desc, *ext;
  g_assert_true(mg_recorder_describe("VP8", &desc, &ext));
  g_assert_cmpstr(ext, ==, "webm");
  g_assert_true(mg_recorder_describe("opus", &desc, &ext));
  g_assert_cmpstr(ext, ==, "webm");
  g_assert_true(mg_recorder_describe("H264", &desc, &ext));
  g_assert_cmpstr(ext, ==, "mkv");
  g_assert_false(mg_recorder_describe("PCMU", &desc, &ext));
  g_autofree char *name = mg_recorder_file_name("video", "ab12-../x y", "webm");
  g_assert_cmpstr(name, ==, "video-ab12-___x_y.webm");
}

/* ---- the tap with real pipelines ---- */

typedef struct {
  GMainLoop *loop;
  GMutex lock;
  GCond cond;
  gboolean release; /* the pipeline factory waits for this */
  const char *description;
  guint errors, done, built;
  char *last_error;
} Fixture;

static GstElement *
make_pipeline(const MgTapTrack *track, gpointer data, GError **error)
{
  Fixture *f = data;
  g_mutex_lock(&f->lock);
  while (!f->release)
    g_cond_wait(&f->cond, &f->lock);
  f->built++;
  g_mutex_unlock(&f->lock);
  return gst_parse_launch(f->description, error);
}

static void
on_error(MgTap *tap, const char *track, const char *message, gpointer data)
{
  Fixture *f = data;
  f->errors++;
  g_free(f->last_error);
  f->last_error = g_strdup_printf("%s: %s", track, message);
}

static void
on_done(MgTap *tap, gpointer data)
{
  Fixture *f = data;
  f->done++;
  g_main_loop_quit(f->loop);
}

static void
fixture_release(Fixture *f)
{
  g_mutex_lock(&f->lock);
  f->release = TRUE;
  g_cond_signal(&f->cond);
  g_mutex_unlock(&f->lock);
}

static gboolean
give_up(gpointer data)
{
  g_error("the tap did not finish");
  return G_SOURCE_REMOVE;
}

static MgTap *
start_tap(Fixture *f, const char *description, guint max_queued)
{
  f->loop = g_main_loop_new(NULL, FALSE);
  g_mutex_init(&f->lock);
  g_cond_init(&f->cond);
  f->description = description;
  MgTapConfig cfg = { make_pipeline, on_error, on_done, f, max_queued };
  return mg_tap_new(&cfg);
}

static void
finish_tap(Fixture *f, MgTap *tap)
{
  mg_tap_stop(tap);
  guint timer = g_timeout_add_seconds(20, give_up, NULL);
  g_main_loop_run(f->loop);
  g_source_remove(timer);
  mg_tap_free(tap);
  g_main_loop_unref(f->loop);
  g_mutex_clear(&f->lock);
  g_cond_clear(&f->cond);
}

static const MgTapTrack video = { "peer-0", NULL, "video", "VP8", 90000, 96, 0 };
static const MgTapTrack audio = { "peer-1", NULL, "audio", "OPUS", 48000, 111, 0 };

static void
rtp_packet(guint8 *p, guint16 seq, guint32 ts)
{
  memset(p, 0, 40);
  p[0] = 0x80;
  p[1] = 96;
  p[2] = seq >> 8;
  p[3] = seq & 0xff;
  p[4] = ts >> 24;
  p[5] = ts >> 16;
  p[6] = ts >> 8;
  p[7] = ts;
  p[11] = 1;
}

/* The worker never waits: while the tap's thread is busy (here: stuck
 * building a pipeline) packets beyond the bound are dropped and counted. */
static void
test_tap_drops_when_behind(void)
{
  Fixture f = { 0 };
  int key;
  MgTap *tap = start_tap(&f, "appsrc name=src ! fakesink", 10);
  gint64 now = g_get_monotonic_time();
  g_assert_true(mg_tap_track_added(tap, &key, &video, now));
  g_assert_false(mg_tap_track_added(tap, &key, &video, now)); /* once per track */
  guint8 pkt[40];
  for (guint i = 0; i < 100; i++) {
    rtp_packet(pkt, i, i * 3000);
    mg_tap_push(tap, &key, pkt, sizeof pkt, now + i * 1000);
  }
  mg_tap_push(tap, &f, pkt, sizeof pkt, now); /* a track the tap did not take: ignored */
  g_assert_cmpuint(mg_tap_get_packets(tap), ==, 10);
  g_assert_cmpuint(mg_tap_get_dropped(tap), ==, 90);
  fixture_release(&f);
  finish_tap(&f, tap);
  g_assert_cmpuint(f.built, ==, 1);
  g_assert_cmpuint(f.errors, ==, 0);
  g_assert_cmpuint(f.done, ==, 1);
}

/* A pipeline that fails is reported with its track; the others go on, and
 * the tap still finishes. */
static void
test_tap_reports_errors(void)
{
  Fixture f = { 0 };
  int a, b;
  MgTap *tap = start_tap(&f, "appsrc name=src ! filesink location=/nonexistent-dir/x/file", 0);
  g_test_expect_message("tap", G_LOG_LEVEL_WARNING, "*peer-0*nonexistent-dir*");
  g_test_expect_message("tap", G_LOG_LEVEL_WARNING, "*peer-1*nonexistent-dir*");
  fixture_release(&f);
  gint64 now = g_get_monotonic_time();
  g_assert_true(mg_tap_track_added(tap, &a, &video, now));
  g_assert_true(mg_tap_track_added(tap, &b, &audio, now));
  mg_tap_track_removed(tap, &b);
  finish_tap(&f, tap);
  g_test_assert_expected_messages();
  g_assert_cmpuint(f.built, ==, 2);
  g_assert_cmpuint(f.errors, ==, 2);
  g_assert_nonnull(strstr(f.last_error, "peer-"));
  g_assert_nonnull(strstr(f.last_error, "/nonexistent-dir/x/file"));
  g_assert_cmpuint(f.done, ==, 1);
  g_free(f.last_error);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  gst_init(NULL, NULL);
  g_test_add_func("/tap/queue", test_queue_drops_and_counts);
  g_test_add_func("/tap/recorder-names", test_recorder_names);
  g_test_add_func("/tap/drops-when-behind", test_tap_drops_when_behind);
  g_test_add_func("/tap/reports-errors", test_tap_reports_errors);
  return g_test_run();
}

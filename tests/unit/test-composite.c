/* SPDX-License-Identifier: MIT */
#include "media/composite.h"

#include <gst/gst.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <gst/pbutils/pbutils.h>
#include <gst/video/video.h>

static void
test_grid(void)
{
  guint c, r;
  mg_composite_grid(1, &c, &r);
  g_assert_cmpuint(c * 10 + r, ==, 11);
  mg_composite_grid(2, &c, &r);
  g_assert_cmpuint(c * 10 + r, ==, 21);
  mg_composite_grid(3, &c, &r);
  g_assert_cmpuint(c * 10 + r, ==, 22);
  mg_composite_grid(5, &c, &r);
  g_assert_cmpuint(c * 10 + r, ==, 32);
  mg_composite_grid(9, &c, &r);
  g_assert_cmpuint(c * 10 + r, ==, 33);
  mg_composite_grid(16, &c, &r);
  g_assert_cmpuint(c * 10 + r, ==, 44);
  g_assert_true(mg_composite_format_valid("webm"));
  g_assert_true(mg_composite_format_valid("mp4"));
  g_assert_false(mg_composite_format_valid("avi"));
  g_assert_false(mg_composite_format_valid(NULL));
}

static gboolean
overlaps(const MgCompositeRect *a, const MgCompositeRect *b)
{
  return a->x < b->x + b->width && b->x < a->x + a->width && a->y < b->y + b->height && b->y < a->y + a->height;
}

/* Every tile inside the frame, none overlapping another. */
static void
check_tiles(const MgCompositeRect *r, guint n)
{
  for (guint i = 0; i < n; i++) {
    g_assert_cmpint(r[i].width, >, 0);
    g_assert_cmpint(r[i].height, >, 0);
    g_assert_cmpint(r[i].x, >=, 0);
    g_assert_cmpint(r[i].y, >=, 0);
    g_assert_cmpint(r[i].x + r[i].width, <=, 1280);
    g_assert_cmpint(r[i].y + r[i].height, <=, 720);
    for (guint k = 0; k < i; k++)
      g_assert_false(overlaps(&r[i], &r[k]));
  }
}

static void
test_layout(void)
{
  MgCompositeRect r[MG_COMPOSITE_MAX_TILES];
  /* One video: the whole frame, speaker or not. */
  mg_composite_layout(1, -1, 1280, 720, r);
  g_assert_cmpint(r[0].x + r[0].y, ==, 0);
  g_assert_cmpint(r[0].width * 10000 + r[0].height, ==, 1280 * 10000 + 720);
  mg_composite_layout(1, 0, 1280, 720, r);
  g_assert_cmpint(r[0].width * 10000 + r[0].height, ==, 1280 * 10000 + 720);
  /* Three in a grid: 2x2, the third centred in the last row. */
  mg_composite_layout(3, -1, 1280, 720, r);
  check_tiles(r, 3);
  g_assert_cmpint(r[0].x, ==, 0);
  g_assert_cmpint(r[1].x, ==, 640);
  g_assert_cmpint(r[2].x, ==, 320);
  g_assert_cmpint(r[2].y, ==, 360);
  g_assert_cmpint(r[2].width, ==, 640);
  /* Three, the second speaking: it fills the top three quarters, the
   * others share the strip below in their order. */
  mg_composite_layout(3, 1, 1280, 720, r);
  check_tiles(r, 3);
  g_assert_cmpint(r[1].x + r[1].y, ==, 0);
  g_assert_cmpint(r[1].width, ==, 1280);
  g_assert_cmpint(r[1].height, ==, 540);
  g_assert_cmpint(r[0].y, ==, 540);
  g_assert_cmpint(r[2].y, ==, 540);
  g_assert_cmpint(r[0].height, ==, 180);
  g_assert_cmpint(r[0].width, ==, 320); /* 16:9 of the strip */
  g_assert_cmpint(r[0].x, <, r[2].x);
  g_assert_cmpint(r[0].x, ==, 1280 / 2 - 320);
  /* The most tiles, with and without a speaker; a speaker out of range is a grid. */
  for (gint s = -1; s < MG_COMPOSITE_MAX_TILES; s++) {
    mg_composite_layout(MG_COMPOSITE_MAX_TILES, s, 1280, 720, r);
    check_tiles(r, MG_COMPOSITE_MAX_TILES);
  }
  mg_composite_layout(4, 7, 1280, 720, r);
  g_assert_cmpint(r[3].width * 10000 + r[3].height, ==, 640 * 10000 + 360);
  /* The speaker's tile: the first video of that publisher. */
  const MgCompositeTrack tracks[] = {
    { "audio-a-0.webm", NULL, "a" }, { "video-a-1.webm", "A", "a" }, { "audio-b-0.webm", NULL, "b" },
    { "video-c-1.webm", "C", "c" },  { "video-b-1.webm", "B", "b" },
  };
  MgCompositePlan plan = { tracks, G_N_ELEMENTS(tracks), NULL, 0 };
  g_assert_cmpint(mg_composite_speaker_tile(&plan, "a"), ==, 0);
  g_assert_cmpint(mg_composite_speaker_tile(&plan, "b"), ==, 2);
  g_assert_cmpint(mg_composite_speaker_tile(&plan, "c"), ==, 1);
  g_assert_cmpint(mg_composite_speaker_tile(&plan, "d"), ==, -1);
  g_assert_cmpint(mg_composite_speaker_tile(&plan, NULL), ==, -1);
}

/* A track file like the recorder's: num_buffers frames of a test source. */
static void
make_track(const char *dir, const char *name, const char *desc)
{
  g_autofree char *path = g_build_filename(dir, name, NULL);
  g_autofree char *full = g_strdup_printf("%s ! webmmux ! filesink name=sink", desc);
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) p = gst_parse_launch(full, &error);
  g_assert_no_error(error);
  g_autoptr(GstElement) sink = gst_bin_get_by_name(GST_BIN(p), "sink");
  g_object_set(sink, "location", path, NULL);
  gst_element_set_state(p, GST_STATE_PLAYING);
  g_autoptr(GstBus) bus = gst_element_get_bus(p);
  GstMessage *m = gst_bus_timed_pop_filtered(bus, 30 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull(m);
  g_assert_cmpint(GST_MESSAGE_TYPE(m), ==, GST_MESSAGE_EOS);
  gst_message_unref(m);
  gst_element_set_state(p, GST_STATE_NULL);
}

/* The file's discovered streams, once its duration is checked to be
 * seconds (+-0.2 s). */
static GstDiscovererInfo *
discover(const char *path, gdouble seconds)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GstDiscoverer) disc = gst_discoverer_new(10 * GST_SECOND, &error);
  g_autofree char *uri = gst_filename_to_uri(path, NULL);
  GstDiscovererInfo *info = gst_discoverer_discover_uri(disc, uri, &error);
  g_assert_no_error(error);
  gdouble d = (gdouble)gst_discoverer_info_get_duration(info) / GST_SECOND;
  g_assert_cmpfloat(d, >, seconds - 0.2);
  g_assert_cmpfloat(d, <, seconds + 0.2);
  return info;
}

static void
check_output(const char *path, gdouble seconds)
{
  g_autoptr(GstDiscovererInfo) info = discover(path, seconds);
  GList *v = gst_discoverer_info_get_video_streams(info), *a = gst_discoverer_info_get_audio_streams(info);
  g_assert_cmpuint(g_list_length(v), ==, 1);
  g_assert_cmpuint(g_list_length(a), ==, 1);
  g_assert_cmpuint(gst_discoverer_video_info_get_width(v->data), ==, 1280);
  gst_discoverer_stream_info_list_free(v);
  gst_discoverer_stream_info_list_free(a);
}

/* The share (0..1) of red pixels in the composite's frame at at (or the
 * first one after). */
static gdouble
red_share_at(const char *path, GstClockTime at)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GstElement) p = gst_parse_launch("filesrc name=src ! decodebin ! videoconvert ! "
                                             "video/x-raw,format=RGB ! appsink name=out sync=false",
                                             &error);
  g_assert_no_error(error);
  g_autoptr(GstElement) src = gst_bin_get_by_name(GST_BIN(p), "src");
  g_object_set(src, "location", path, NULL);
  g_autoptr(GstElement) out = gst_bin_get_by_name(GST_BIN(p), "out");
  gst_element_set_state(p, GST_STATE_PLAYING);
  gdouble share = -1;
  GstSample *sample;
  while (share < 0 && (sample = gst_app_sink_pull_sample(GST_APP_SINK(out)))) {
    GstBuffer *buf = gst_sample_get_buffer(sample);
    if (GST_BUFFER_PTS(buf) >= at) {
      GstVideoInfo info;
      gst_video_info_from_caps(&info, gst_sample_get_caps(sample));
      GstMapInfo map;
      gst_buffer_map(buf, &map, GST_MAP_READ);
      guint red = 0;
      for (gint y = 0; y < info.height; y++)
        for (gint x = 0; x < info.width; x++) {
          const guint8 *px = map.data + y * info.stride[0] + x * 3;
          red += px[0] > 180 && px[1] < 80 && px[2] < 80;
        }
      gst_buffer_unmap(buf, &map);
      share = (gdouble)red / (info.width * info.height);
    }
    gst_sample_unref(sample);
  }
  gst_element_set_state(p, GST_STATE_NULL);
  g_assert_cmpfloat(share, >=, 0);
  return share;
}

static void
remove_dir(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name(d))) {
    g_autofree char *p = g_build_filename(dir, name, NULL);
    g_unlink(p);
  }
  g_rmdir(dir);
}

/* A video that joined 1 s into the recording shows from 1 s on (not at 0),
 * in a grid tile; when its publisher becomes the speaker at 1.5 s, its tile
 * grows to the top three quarters. Placed by its start in the plan, or
 * (start -1) by the file's own timestamps. */
static void
test_late_and_speaker(gconstpointer data)
{
  g_autofree char *dir = g_dir_make_tmp("mg-composite-XXXXXX", NULL);
  make_track(dir, "video-a.webm",
             "videotestsrc num-buffers=75 pattern=green ! video/x-raw,width=320,height=180,framerate=30/1 ! "
             "vp8enc deadline=1");
  make_track(dir, "video-late.webm",
             "videotestsrc num-buffers=45 pattern=red timestamp-offset=1000000000 ! "
             "video/x-raw,width=320,height=180,framerate=30/1 ! vp8enc deadline=1");
  const MgCompositeTrack tracks[] = { { "video-a.webm", "Ada", "a", 0 },
                                      { "video-late.webm", "Late", "l", GPOINTER_TO_INT(data) } };
  const MgCompositeSpeaker speakers[] = { { 1500, "l" } };
  MgCompositePlan plan = { tracks, G_N_ELEMENTS(tracks), speakers, G_N_ELEMENTS(speakers) };
  g_autoptr(GError) error = NULL;
  g_assert_true(mg_composite_run(dir, &plan, "webm", "composite.webm", NULL, &error));
  g_assert_no_error(error);
  g_autofree char *path = g_build_filename(dir, "composite.webm", NULL);
  g_object_unref(discover(path, 2.5));
  gdouble before = red_share_at(path, 500 * GST_MSECOND);
  gdouble grid = red_share_at(path, 1200 * GST_MSECOND);
  gdouble big = red_share_at(path, 2000 * GST_MSECOND);
  g_test_message("red: %.3f at 0.5 s, %.3f at 1.2 s, %.3f at 2 s", before, grid, big);
  g_assert_cmpfloat(before, <, 0.01);
  g_assert_cmpfloat(grid, >, 0.2); /* half the frame, less borders and the label */
  g_assert_cmpfloat(grid, <, 0.4);
  g_assert_cmpfloat(big, >, 0.5); /* 1280x540 of 1280x720, kept 16:9: 960x540 */
  remove_dir(dir);
}

static void
test_compose(gconstpointer format)
{
  g_autofree char *dir = g_dir_make_tmp("mg-composite-XXXXXX", NULL);
  /* Two videos of 2 s and 1 s, two audios of 2 s and 1 s. */
  make_track(dir, "video-a.webm",
             "videotestsrc num-buffers=60 ! video/x-raw,width=320,height=240,framerate=30/1 ! "
             "vp8enc deadline=1");
  make_track(dir, "video-b.webm",
             "videotestsrc num-buffers=30 pattern=ball ! "
             "video/x-raw,width=640,height=360,framerate=30/1 ! vp8enc deadline=1");
  make_track(dir, "audio-a.webm",
             "audiotestsrc num-buffers=100 samplesperbuffer=960 ! audio/x-raw,rate=48000 ! "
             "opusenc");
  make_track(dir, "audio-b.webm",
             "audiotestsrc num-buffers=50 samplesperbuffer=960 freq=660 ! "
             "audio/x-raw,rate=48000 ! opusenc");
  const MgCompositeTrack tracks[] = {
    { "video-a.webm", "Ada", "a", 0 }, { "audio-a.webm", NULL, "a", -1 },    { "video-b.webm", "Bob", "b", 0 },
    { "audio-b.webm", NULL, "b", -1 }, { "recording.json", NULL, NULL, -1 },
  };
  const MgCompositeSpeaker speakers[] = { { 500, "b" }, { 1500, "a" } };
  MgCompositePlan plan = { tracks, G_N_ELEMENTS(tracks), speakers, G_N_ELEMENTS(speakers) };
  g_autofree char *out = g_strdup_printf("composite.%s", (const char *)format);
  g_autoptr(GError) error = NULL;
  gint cancel = 0;
  g_assert_true(mg_composite_run(dir, &plan, format, out, &cancel, &error));
  g_assert_no_error(error);
  g_autofree char *path = g_build_filename(dir, out, NULL);
  check_output(path, 2.0);

  /* Nothing to compose, and a format we do not have. */
  const MgCompositeTrack none[] = { { "recording.json", NULL, NULL, -1 } };
  MgCompositePlan empty = { none, 1, NULL, 0 };
  g_assert_false(mg_composite_run(dir, &empty, format, out, &cancel, &error));
  g_assert_nonnull(error);
  g_clear_error(&error);
  g_assert_false(mg_composite_run(dir, &plan, "avi", out, &cancel, &error));
  g_assert_nonnull(error);

  remove_dir(dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  gst_init(NULL, NULL);
  g_test_add_func("/composite/grid", test_grid);
  g_test_add_func("/composite/layout", test_layout);
  g_test_add_data_func("/composite/late-and-speaker/start", GINT_TO_POINTER(1000), test_late_and_speaker);
  g_test_add_data_func("/composite/late-and-speaker/file-time", GINT_TO_POINTER(-1), test_late_and_speaker);
  g_test_add_data_func("/composite/webm", "webm", test_compose);
  g_test_add_data_func("/composite/mp4", "mp4", test_compose);
  return g_test_run();
}

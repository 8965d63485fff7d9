/* SPDX-License-Identifier: MIT */
#include "media/composite.h"

#include <gst/gst.h>
#include <glib/gstdio.h>
#include <gst/pbutils/pbutils.h>

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
  g_assert_true(mg_composite_format_valid("webm"));
  g_assert_true(mg_composite_format_valid("mp4"));
  g_assert_false(mg_composite_format_valid("avi"));
  g_assert_false(mg_composite_format_valid(NULL));
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

static void
check_output(const char *path, gdouble seconds)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GstDiscoverer) disc = gst_discoverer_new(10 * GST_SECOND, &error);
  g_autofree char *uri = gst_filename_to_uri(path, NULL);
  g_autoptr(GstDiscovererInfo) info = gst_discoverer_discover_uri(disc, uri, &error);
  g_assert_no_error(error);
  GList *v = gst_discoverer_info_get_video_streams(info), *a = gst_discoverer_info_get_audio_streams(info);
  g_assert_cmpuint(g_list_length(v), ==, 1);
  g_assert_cmpuint(g_list_length(a), ==, 1);
  g_assert_cmpuint(gst_discoverer_video_info_get_width(v->data), ==, 1280);
  gst_discoverer_stream_info_list_free(v);
  gst_discoverer_stream_info_list_free(a);
  gdouble d = (gdouble)gst_discoverer_info_get_duration(info) / GST_SECOND;
  g_assert_cmpfloat(d, >, seconds - 0.2);
  g_assert_cmpfloat(d, <, seconds + 0.2);
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
  char *files[] = { "video-a.webm", "audio-a.webm", "video-b.webm", "audio-b.webm", "recording.json", NULL };
  g_autofree char *out = g_strdup_printf("composite.%s", (const char *)format);
  g_autoptr(GError) error = NULL;
  gint cancel = 0;
  g_assert_true(mg_composite_run(dir, files, format, out, &cancel, &error));
  g_assert_no_error(error);
  g_autofree char *path = g_build_filename(dir, out, NULL);
  check_output(path, 2.0);

  /* Nothing to compose, and a format we do not have. */
  char *none[] = { "recording.json", NULL };
  g_assert_false(mg_composite_run(dir, none, format, out, &cancel, &error));
  g_assert_nonnull(error);
  g_clear_error(&error);
  g_assert_false(mg_composite_run(dir, files, "avi", out, &cancel, &error));
  g_assert_nonnull(error);

  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name(d))) {
    g_autofree char *p = g_build_filename(dir, name, NULL);
    g_unlink(p);
  }
  g_rmdir(dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  gst_init(NULL, NULL);
  g_test_add_func("/composite/grid", test_grid);
  g_test_add_data_func("/composite/webm", "webm", test_compose);
  g_test_add_data_func("/composite/mp4", "mp4", test_compose);
  return g_test_run();
}

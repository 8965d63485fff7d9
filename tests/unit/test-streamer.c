/* SPDX-License-Identifier: MIT */
#include "media/streamer.h"

#include <gst/gst.h>

static void
test_backoff(void)
{
  g_assert_cmpuint(mg_streamer_backoff_ms(1), ==, 1000);
  g_assert_cmpuint(mg_streamer_backoff_ms(2), ==, 2000);
  g_assert_cmpuint(mg_streamer_backoff_ms(5), ==, 16000);
  g_assert_cmpuint(mg_streamer_backoff_ms(6), ==, 30000);
  g_assert_cmpuint(mg_streamer_backoff_ms(1000), ==, 30000);
}

static void
test_tiles(void)
{
  guint x, y, w, h;
  mg_streamer_tile(0, 1, 1280, 720, &x, &y, &w, &h);
  g_assert_cmpuint(x + y, ==, 0);
  g_assert_cmpuint(w * 10000 + h, ==, 1280 * 10000 + 720);
  mg_streamer_tile(1, 2, 1280, 720, &x, &y, &w, &h); /* side by side */
  g_assert_cmpuint(x * 10000 + y, ==, 640 * 10000 + 0);
  g_assert_cmpuint(w * 10000 + h, ==, 640 * 10000 + 720);
  mg_streamer_tile(2, 3, 1280, 720, &x, &y, &w, &h); /* 2x2, bottom left */
  g_assert_cmpuint(x * 10000 + y, ==, 0 * 10000 + 360);
  mg_streamer_tile(3, 4, 1280, 720, &x, &y, &w, &h);
  g_assert_cmpuint(x * 10000 + y, ==, 640 * 10000 + 360);
  g_assert_cmpuint(w * 10000 + h, ==, 640 * 10000 + 360);
}

/* The output pipelines parse with the installed plugins (x264enc from
 * -ugly, voaacenc, hlssink2, rtmp2sink, inter): a missing one fails here. */
static void
test_output_parses(void)
{
  for (int kind = MG_STREAMER_RTMP; kind <= MG_STREAMER_HLS; kind++) {
    g_autofree char *desc = mg_streamer_describe_output(kind, "unit");
    GError *error = NULL;
    GstElement *p = gst_parse_launch(desc, &error);
    g_assert_no_error(error);
    g_assert_nonnull(p);
    g_autoptr(GstElement) sink = gst_bin_get_by_name(GST_BIN(p), "sink");
    g_assert_nonnull(sink);
    g_assert_cmpstr(G_OBJECT_TYPE_NAME(sink), ==, kind == MG_STREAMER_RTMP ? "GstRtmp2Sink" : "GstHlsSink2");
    g_autoptr(GstElement) vmix = gst_bin_get_by_name(GST_BIN(p), "vmix");
    g_autoptr(GstPad) last = gst_element_get_static_pad(vmix, "sink_3");
    g_assert_nonnull(last); /* every video slot is linked */
    gst_object_unref(p);
  }
}

int
main(int argc, char **argv)
{
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/streamer/backoff", test_backoff);
  g_test_add_func("/streamer/tiles", test_tiles);
  g_test_add_func("/streamer/output-parses", test_output_parses);
  return g_test_run();
}

/* SPDX-License-Identifier: MIT
 * Composite recording: filesrc ! decodebin per track file, into compositor
 * (grid) and audiomixer, encoded and muxed into one file. */
#define G_LOG_DOMAIN "recorder"
#include "media/composite.h"

#include <gst/gst.h>
#include <string.h>

#define WIDTH 1280
#define HEIGHT 720

static const struct {
  const char *format, *video, *audio, *mux;
} encoders[] = {
  { "webm", "vp8enc deadline=1 cpu-used=8 target-bitrate=2000000 keyframe-max-dist=120", "opusenc bitrate=64000",
    "webmmux" },
  { "mp4", "x264enc speed-preset=veryfast bitrate=2000 key-int-max=120 ! h264parse", "avenc_aac ! aacparse", "mp4mux" },
};

gboolean
mg_composite_format_valid(const char *format)
{
  for (gsize i = 0; format && i < G_N_ELEMENTS(encoders); i++)
    if (!strcmp(format, encoders[i].format))
      return TRUE;
  return FALSE;
}

void
mg_composite_grid(guint n, guint *cols, guint *rows)
{
  guint c = 1;
  while (c * c < n)
    c++;
  *cols = c;
  *rows = n ? (n + c - 1) / c : 1;
}

/* decodebin's pad goes to the branch made for its file (kind by name). */
static void
on_pad_added(GstElement *decodebin, GstPad *pad, gpointer data)
{
  GstElement *branch = data;
  g_autoptr(GstPad) sink = gst_element_get_static_pad(branch, "sink");
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
  const char *name = caps ? gst_structure_get_name(gst_caps_get_structure(caps, 0)) : "";
  const char *want = g_object_get_data(G_OBJECT(branch), "mg-kind");
  if (!gst_pad_is_linked(sink) && g_str_has_prefix(name, want))
    gst_pad_link(pad, sink);
}

/* The whole graph as one description (file names are set afterwards, by
 * element name, so that no path needs quoting): per file "filesrc name=srcN
 * ! decodebin name=decN" and a branch "brN" into its mixer pad. */
static char *
describe(char **files, gsize e)
{
  guint n_video = 0, n_audio = 0;
  for (guint i = 0; files[i]; i++) {
    n_video += g_str_has_prefix(files[i], "video-");
    n_audio += g_str_has_prefix(files[i], "audio-");
  }
  if (!n_video && !n_audio)
    return NULL;
  guint cols, rows, vi = 0, ai = 0;
  mg_composite_grid(n_video, &cols, &rows);
  guint w = WIDTH / cols, h = HEIGHT / rows;
  GString *d = g_string_new(NULL);
  g_string_append_printf(d, "%s name=mux ! filesink name=sink ", encoders[e].mux);
  if (n_video) {
    g_string_append(d, "compositor name=vmix background=black");
    for (guint i = 0; i < n_video; i++)
      g_string_append_printf(d, " sink_%u::xpos=%u sink_%u::ypos=%u sink_%u::width=%u sink_%u::height=%u", i,
                             (i % cols) * w, i, (i / cols) * h, i, w, i, h);
    g_string_append_printf(d, " ! video/x-raw,width=%d,height=%d,framerate=30/1 ! videoconvert ! %s ! mux. ", WIDTH,
                           HEIGHT, encoders[e].video);
  }
  if (n_audio)
    g_string_append_printf(d, "audiomixer name=amix ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! %s ! mux. ",
                           encoders[e].audio);
  for (guint i = 0; files[i]; i++) {
    gboolean video = g_str_has_prefix(files[i], "video-");
    if (!video && !g_str_has_prefix(files[i], "audio-"))
      continue;
    g_string_append_printf(d, "filesrc name=src%u ! decodebin name=dec%u ", i, i);
    if (video)
      g_string_append_printf(d,
                             "videoconvert name=br%u ! videoscale add-borders=true ! "
                             "video/x-raw,width=%u,height=%u,pixel-aspect-ratio=1/1 ! vmix.sink_%u ",
                             i, w, h, vi++);
    else
      g_string_append_printf(d, "audioconvert name=br%u ! audioresample ! amix.sink_%u ", i, ai++);
  }
  return g_string_free(d, FALSE);
}

static GstElement *
build(const char *dir, char **files, const char *format, const char *out, GError **error)
{
  gsize e = 0;
  while (strcmp(encoders[e].format, format))
    e++;
  g_autofree char *desc = describe(files, e);
  if (!desc) {
    g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND, "no track files to compose");
    return NULL;
  }
  GError *parse_error = NULL;
  GstElement *pipe = gst_parse_launch(desc, &parse_error);
  if (parse_error) { /* even when it made something: an element or property is missing */
    g_clear_object(&pipe);
    g_propagate_error(error, parse_error);
    return NULL;
  }
  GstBin *bin = GST_BIN(pipe);
  g_autofree char *path = g_build_filename(dir, out, NULL);
  g_autoptr(GstElement) sink = gst_bin_get_by_name(bin, "sink");
  g_object_set(sink, "location", path, NULL);
  for (guint i = 0; files[i]; i++) {
    char name[32];
    g_snprintf(name, sizeof name, "src%u", i);
    g_autoptr(GstElement) src = gst_bin_get_by_name(bin, name);
    if (!src)
      continue;
    g_autofree char *in = g_build_filename(dir, files[i], NULL);
    g_object_set(src, "location", in, NULL);
    g_snprintf(name, sizeof name, "dec%u", i);
    g_autoptr(GstElement) dec = gst_bin_get_by_name(bin, name);
    g_snprintf(name, sizeof name, "br%u", i);
    g_autoptr(GstElement) branch = gst_bin_get_by_name(bin, name);
    g_object_set_data(G_OBJECT(branch), "mg-kind",
                      (gpointer)(g_str_has_prefix(files[i], "video-") ? "video/" : "audio/"));
    g_signal_connect(dec, "pad-added", G_CALLBACK(on_pad_added), branch);
  }
  return pipe;
}

gboolean
mg_composite_run(const char *dir, char **files, const char *format, const char *out, const gint *cancel, GError **error)
{
  if (!mg_composite_format_valid(format)) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED, "unknown composite format %s", format);
    return FALSE;
  }
  g_autoptr(GstElement) pipe = build(dir, files, format, out, error);
  if (!pipe)
    return FALSE;
  g_autoptr(GstBus) bus = gst_element_get_bus(pipe);
  gboolean ok = FALSE;
  if (gst_element_set_state(pipe, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE) {
    for (;;) {
      GstMessage *m = gst_bus_timed_pop_filtered(bus, 100 * GST_MSECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
      if (cancel && g_atomic_int_get(cancel)) {
        g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED, "cancelled");
        g_clear_pointer(&m, gst_message_unref);
        break;
      }
      if (!m)
        continue;
      if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
        GError *err = NULL;
        gst_message_parse_error(m, &err, NULL);
        g_propagate_error(error, err);
      } else {
        ok = TRUE;
      }
      gst_message_unref(m);
      break;
    }
  } else {
    GstMessage *m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    GError *err = NULL;
    if (m)
      gst_message_parse_error(m, &err, NULL);
    if (err)
      g_propagate_error(error, err);
    else
      g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_STATE_CHANGE, "the composite pipeline would not start");
    g_clear_pointer(&m, gst_message_unref);
  }
  gst_element_set_state(pipe, GST_STATE_NULL);
  return ok;
}

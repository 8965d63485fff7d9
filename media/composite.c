/* SPDX-License-Identifier: MIT
 * Composite recording: filesrc ! decodebin per track file, into compositor
 * (labelled tiles whose layout follows the active speaker) and audiomixer,
 * encoded and muxed into one file. */
#define G_LOG_DOMAIN "recorder"
#include "media/composite.h"

#include <gst/controller/gstdirectcontrolbinding.h>
#include <gst/controller/gstinterpolationcontrolsource.h>
#include <gst/gst.h>
#include <string.h>

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

static gboolean
is_video(const MgCompositeTrack *t)
{
  return g_str_has_prefix(t->file, "video-");
}

static gboolean
is_audio(const MgCompositeTrack *t)
{
  return g_str_has_prefix(t->file, "audio-");
}

/* A track that joined late must not start at time 0. With its start known
 * (data: ns since the recording's start), its first frame goes there: the
 * decoder's pad gets the offset that moves that frame's running time to it
 * (the sticky segment is sent again with it before the frame). */
static GstPadProbeReturn
place_first_frame(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
  if (!GST_BUFFER_PTS_IS_VALID(buf))
    return GST_PAD_PROBE_OK;
  GstEvent *ev = gst_pad_get_sticky_event(pad, GST_EVENT_SEGMENT, 0);
  if (!ev)
    return GST_PAD_PROBE_OK;
  const GstSegment *seg;
  gst_event_parse_segment(ev, &seg);
  guint64 at = gst_segment_to_running_time(seg, GST_FORMAT_TIME, GST_BUFFER_PTS(buf));
  gst_event_unref(ev);
  const GstClockTime *start = data;
  if (at != GST_CLOCK_TIME_NONE)
    gst_pad_set_offset(pad, (gint64)*start - (gint64)at);
  return GST_PAD_PROBE_REMOVE;
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
  const GstClockTime *start = g_object_get_data(G_OBJECT(branch), "mg-start");
  if (gst_pad_is_linked(sink) || !g_str_has_prefix(name, want))
    return;
  if (start)
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, place_first_frame, g_memdup2(start, sizeof *start), g_free);
  gst_pad_link(pad, sink);
}

/* Without a known start, a track keeps its file's own times, which count
 * from the recording's start too (but shift when its first packets came
 * late): its demuxer starts the segment at the first timestamp, which
 * would put it at time 0, so the segment's base moves by that much. */
static GstPadProbeReturn
keep_file_time(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(ev) != GST_EVENT_SEGMENT)
    return GST_PAD_PROBE_OK;
  const GstSegment *seg;
  gst_event_parse_segment(ev, &seg);
  if (seg->format != GST_FORMAT_TIME || seg->rate != 1.0 || seg->start == 0)
    return GST_PAD_PROBE_OK;
  GstSegment copy;
  gst_segment_copy_into(seg, &copy);
  copy.base += copy.start;
  GstEvent *moved = gst_event_new_segment(&copy);
  gst_event_set_seqnum(moved, gst_event_get_seqnum(ev));
  gst_event_unref(ev);
  GST_PAD_PROBE_INFO_DATA(info) = moved;
  return GST_PAD_PROBE_OK;
}

/* The whole graph as one description (file names and labels are set
 * afterwards, by element name, so that nothing needs quoting): per file
 * "filesrc name=srcN ! decodebin name=decN" and a branch "brN" into its
 * mixer pad. Videos past the tile limit are left out. */
static char *
describe(const MgCompositePlan *plan, gsize e)
{
  guint n_video = 0, n_audio = 0;
  for (guint i = 0; i < plan->n_tracks; i++) {
    n_video += is_video(&plan->tracks[i]);
    n_audio += is_audio(&plan->tracks[i]);
  }
  n_video = MIN(n_video, MG_COMPOSITE_MAX_TILES);
  if (!n_video && !n_audio)
    return NULL;
  GString *d = g_string_new(NULL);
  g_string_append_printf(d, "%s name=mux ! filesink name=sink ", encoders[e].mux);
  if (n_video) {
    g_string_append(d, "compositor name=vmix background=black");
    for (guint i = 0; i < n_video; i++)
      g_string_append_printf(d, " sink_%u::sizing-policy=keep-aspect-ratio", i);
    g_string_append_printf(d, " ! video/x-raw,width=%d,height=%d,framerate=30/1 ! videoconvert ! %s ! mux. ",
                           MG_COMPOSITE_WIDTH, MG_COMPOSITE_HEIGHT, encoders[e].video);
  }
  if (n_audio)
    g_string_append_printf(d, "audiomixer name=amix ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! %s ! mux. ",
                           encoders[e].audio);
  guint vi = 0, ai = 0;
  for (guint i = 0; i < plan->n_tracks; i++) {
    const MgCompositeTrack *t = &plan->tracks[i];
    if (!(is_video(t) && vi < n_video) && !is_audio(t))
      continue;
    g_string_append_printf(d, "filesrc name=src%u ! decodebin name=dec%u ", i, i);
    if (is_video(t))
      g_string_append_printf(d,
                             "videoconvert name=br%u ! textoverlay name=label%u valignment=bottom halignment=left "
                             "shaded-background=true ! videoconvert ! vmix.sink_%u ",
                             i, i, vi++);
    else
      g_string_append_printf(d, "audioconvert name=br%u ! audioresample ! amix.sink_%u ", i, ai++);
  }
  return g_string_free(d, FALSE);
}

static void
bind_int(GstPad *pad, const char *property, GstTimedValueControlSource **cs)
{
  *cs = GST_TIMED_VALUE_CONTROL_SOURCE(gst_interpolation_control_source_new());
  g_object_set(*cs, "mode", GST_INTERPOLATION_MODE_NONE, NULL);
  gst_object_add_control_binding(
      GST_OBJECT(pad), gst_direct_control_binding_new_absolute(GST_OBJECT(pad), property, GST_CONTROL_SOURCE(*cs)));
}

/* The tiles' places over time: the grid until someone speaks, then the
 * speaker large; each change at its time in the recording (pad properties
 * driven by control sources that step, never slide). */
static void
schedule_layout(GstElement *vmix, const MgCompositePlan *plan, guint n_video)
{
  GstTimedValueControlSource *cs[MG_COMPOSITE_MAX_TILES][4];
  static const char *const props[] = { "xpos", "ypos", "width", "height" };
  for (guint i = 0; i < n_video; i++) {
    char name[16];
    g_snprintf(name, sizeof name, "sink_%u", i);
    g_autoptr(GstPad) pad = gst_element_get_static_pad(vmix, name);
    for (guint k = 0; k < 4; k++)
      bind_int(pad, props[k], &cs[i][k]);
  }
  gint last = -2;
  for (guint s = 0; s <= plan->n_speakers; s++) {
    GstClockTime at = s ? (GstClockTime)MAX(plan->speakers[s - 1].at_ms, 0) * GST_MSECOND : 0;
    gint speaker = s ? mg_composite_speaker_tile(plan, plan->speakers[s - 1].source) : -1;
    if (speaker == last)
      continue;
    last = speaker;
    MgCompositeRect rects[MG_COMPOSITE_MAX_TILES];
    mg_composite_layout(n_video, speaker, MG_COMPOSITE_WIDTH, MG_COMPOSITE_HEIGHT, rects);
    for (guint i = 0; i < n_video; i++) {
      const gint v[4] = { rects[i].x, rects[i].y, rects[i].width, rects[i].height };
      for (guint k = 0; k < 4; k++)
        gst_timed_value_control_source_set(cs[i][k], at, (gdouble)v[k]);
    }
  }
  for (guint i = 0; i < n_video; i++)
    for (guint k = 0; k < 4; k++)
      gst_object_unref(cs[i][k]);
}

static void
wire_file(GstBin *bin, const char *dir, const MgCompositeTrack *t, guint i)
{
  char name[32];
  g_snprintf(name, sizeof name, "src%u", i);
  g_autoptr(GstElement) src = gst_bin_get_by_name(bin, name);
  if (!src)
    return;
  g_autofree char *in = g_build_filename(dir, t->file, NULL);
  g_object_set(src, "location", in, NULL);
  g_snprintf(name, sizeof name, "dec%u", i);
  g_autoptr(GstElement) dec = gst_bin_get_by_name(bin, name);
  g_snprintf(name, sizeof name, "br%u", i);
  g_autoptr(GstElement) branch = gst_bin_get_by_name(bin, name);
  g_object_set_data(G_OBJECT(branch), "mg-kind", (gpointer)(is_video(t) ? "video/" : "audio/"));
  g_signal_connect(dec, "pad-added", G_CALLBACK(on_pad_added), branch);
  if (t->start_ms >= 0) {
    GstClockTime *start = g_new(GstClockTime, 1);
    *start = (GstClockTime)t->start_ms * GST_MSECOND;
    g_object_set_data_full(G_OBJECT(branch), "mg-start", start, g_free);
  } else {
    g_autoptr(GstPad) sink = gst_element_get_static_pad(branch, "sink");
    gst_pad_add_probe(sink, GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM, keep_file_time, NULL, NULL);
  }
  g_snprintf(name, sizeof name, "label%u", i);
  g_autoptr(GstElement) label = gst_bin_get_by_name(bin, name);
  if (label)
    g_object_set(label, "text", t->label ? t->label : "", NULL);
}

static GstElement *
build(const char *dir, const MgCompositePlan *plan, const char *format, const char *out, GError **error)
{
  gsize e = 0;
  while (strcmp(encoders[e].format, format))
    e++;
  g_autofree char *desc = describe(plan, e);
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
  guint n_video = 0;
  for (guint i = 0; i < plan->n_tracks; i++) {
    wire_file(bin, dir, &plan->tracks[i], i);
    n_video += is_video(&plan->tracks[i]);
  }
  g_autoptr(GstElement) vmix = gst_bin_get_by_name(bin, "vmix");
  if (vmix)
    schedule_layout(vmix, plan, MIN(n_video, MG_COMPOSITE_MAX_TILES));
  return pipe;
}

static gboolean
run_pipeline(GstElement *pipe, const gint *cancel, GError **error)
{
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

gboolean
mg_composite_run(const char *dir, const MgCompositePlan *plan, const char *format, const char *out, const gint *cancel,
                 GError **error)
{
  if (!mg_composite_format_valid(format)) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED, "unknown composite format %s", format);
    return FALSE;
  }
  g_autoptr(GstElement) pipe = build(dir, plan, format, out, error);
  if (!pipe)
    return FALSE;
  return run_pipeline(pipe, cancel, error);
}

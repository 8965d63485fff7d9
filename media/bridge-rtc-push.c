/* SPDX-License-Identifier: MIT
 * A bridge's push (WHIP): each room track a tap hands over takes a free slot
 * (appsrc ! depay ! pay into webrtcbin, sendonly), so the far side sees one
 * steady SSRC per m-line whatever track fills it; its keyframe requests go
 * back to the room. */
#define G_LOG_DOMAIN "bridge"
#include "media/bridge-rtc-private.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/webrtc/webrtc.h>
#include <string.h>

static GstFlowReturn
on_tapped(GstAppSink *appsink, gpointer data)
{
  MgBridgeSlot *slot = data;
  GstSample *sample = gst_app_sink_pull_sample(appsink);
  if (!sample)
    return GST_FLOW_EOS;
  GstBuffer *buf = gst_sample_get_buffer(sample);
  if (buf) {
    /* The slot's appsrc stamps it with the main pipeline's clock. */
    GstBuffer *copy = gst_buffer_copy(buf);
    GST_BUFFER_PTS(copy) = GST_BUFFER_DTS(copy) = GST_CLOCK_TIME_NONE;
    if (gst_app_src_push_buffer(GST_APP_SRC(slot->src), copy) == GST_FLOW_OK)
      g_atomic_pointer_add(&slot->packets, 1);
  }
  gst_sample_unref(sample);
  return GST_FLOW_OK;
}

/* The track ended (the tap sends EOS): the slot is free for the next one. */
static void
on_tapped_eos(GstAppSink *appsink, gpointer data)
{
  MgBridgeSlot *slot = data;
  g_mutex_lock(&slot->rtc->lock);
  g_clear_pointer(&slot->track, g_free);
  g_mutex_unlock(&slot->rtc->lock);
}

static GstElement *
tap_pipeline(const MgTapTrack *track, gpointer data, GError **error)
{
  MgBridgeRtc *rtc = data;
  if (rtc->skip_party && !g_strcmp0(track->party, rtc->skip_party))
    return NULL; /* what we pull from the far side does not go back */
  gboolean video = !strcmp(track->kind, "video");
  if (strcmp(track->encoding, video ? "VP8" : "OPUS")) {
    g_info("bridge push of %s: track %s is %s, not sent (VP8 and Opus only)", rtc->room, track->track, track->encoding);
    return NULL;
  }
  MgBridgeSlot *slot = NULL;
  g_mutex_lock(&rtc->lock);
  for (guint i = 0; i < rtc->n_slots && !slot; i++)
    if (rtc->slots[i].video == video && !rtc->slots[i].track)
      slot = &rtc->slots[i];
  if (slot)
    slot->track = g_strdup(track->track);
  g_mutex_unlock(&rtc->lock);
  if (!slot) {
    g_info("bridge push of %s: no free %s m-line for track %s", rtc->room, track->kind, track->track);
    return NULL;
  }
  GstElement *pipeline = gst_pipeline_new(NULL);
  GstElement *src = gst_element_factory_make("appsrc", "src");
  GstElement *sink = gst_element_factory_make("appsink", NULL);
  g_object_set(sink, "sync", FALSE, "max-buffers", 500, "drop", TRUE, NULL);
  gst_bin_add_many(GST_BIN(pipeline), src, sink, NULL);
  gst_element_link(src, sink);
  GstAppSinkCallbacks cbs = { .new_sample = on_tapped, .eos = on_tapped_eos };
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cbs, slot, NULL);
  g_debug("bridge push of %s: track %s in m-line %u", rtc->room, track->track, slot->index);
  return pipeline;
}

static void
tap_error(MgTap *tap, const char *track, const char *message, gpointer data)
{
  MgBridgeRtc *rtc = data;
  g_warning("bridge push of %s: track %s: %s", rtc->room, track, message);
}

static void
tap_done(MgTap *tap, gpointer data)
{
}

/* The far side asked for a keyframe (PLI/FIR): webrtcbin sends it upstream. */
static GstPadProbeReturn
on_slot_upstream(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  MgBridgeSlot *slot = data;
  GstEvent *ev = GST_PAD_PROBE_INFO_EVENT(info);
  if (GST_EVENT_TYPE(ev) != GST_EVENT_CUSTOM_UPSTREAM || !gst_event_has_name(ev, "GstForceKeyUnit"))
    return GST_PAD_PROBE_OK;
  g_mutex_lock(&slot->rtc->lock);
  g_autofree char *track = g_strdup(slot->track);
  g_mutex_unlock(&slot->rtc->lock);
  if (track)
    mg_bridge_rtc_report_keyframe(slot->rtc, track);
  return GST_PAD_PROBE_OK;
}

static char *
push_description(guint n_video, guint n_audio)
{
  GString *d = g_string_new("webrtcbin name=rtc bundle-policy=max-bundle ");
  for (guint i = 0; i < n_video + n_audio; i++) {
    gboolean video = i < n_video;
    g_string_append_printf(
        d,
        "appsrc name=s%u is-live=true format=time do-timestamp=true max-bytes=2000000 caps=\"%s\" ! %s ! %s ! %s ! "
        "rtc.sink_%u ",
        i, video ? MG_BRIDGE_VIDEO_CAPS : MG_BRIDGE_AUDIO_CAPS,
        video ? "rtpvp8depay wait-for-keyframe=true request-keyframe=true" : "rtpopusdepay",
        video ? "rtpvp8pay pt=96 mtu=1200 picture-id-mode=15-bit" : "rtpopuspay pt=111 mtu=1200",
        video ? MG_BRIDGE_VIDEO_CAPS : MG_BRIDGE_AUDIO_CAPS, i);
  }
  return g_string_free(d, FALSE);
}

gboolean
mg_bridge_rtc_push_build(MgBridgeRtc *rtc, guint n_video, guint n_audio, GError **error)
{
  g_autofree char *desc = push_description(n_video, n_audio);
  rtc->pipeline = gst_parse_launch(desc, error);
  if (!rtc->pipeline)
    return FALSE;
  rtc->webrtc = gst_bin_get_by_name(GST_BIN(rtc->pipeline), "rtc");
  if (!rtc->webrtc) {
    g_set_error(error, mg_bridge_rtc_error_quark(), 0, "GStreamer's webrtcbin is missing (gstreamer1.0-plugins-bad)");
    return FALSE;
  }
  for (guint i = 0; i < n_video + n_audio; i++) {
    MgBridgeSlot *slot = &rtc->slots[i];
    slot->rtc = rtc;
    slot->index = i;
    slot->video = i < n_video;
    g_autofree char *name = g_strdup_printf("s%u", i);
    slot->src = gst_bin_get_by_name(GST_BIN(rtc->pipeline), name);
    GstPad *pad = gst_element_get_static_pad(slot->src, "src");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_slot_upstream, slot, NULL);
    gst_object_unref(pad);
  }
  rtc->n_slots = n_video + n_audio;
  GArray *all = NULL;
  g_signal_emit_by_name(rtc->webrtc, "get-transceivers", &all);
  for (guint i = 0; all && i < all->len; i++) {
    GstWebRTCRTPTransceiver *t = g_array_index(all, GstWebRTCRTPTransceiver *, i);
    g_object_set(t, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, NULL);
  }
  if (all)
    g_array_unref(all);
  return TRUE;
}

void
mg_bridge_rtc_push_start(MgBridgeRtc *rtc)
{
  MgTapConfig tc = { .pipeline = tap_pipeline, .error = tap_error, .done = tap_done, .user_data = rtc };
  rtc->tap = mg_tap_new(&tc);
  mg_media_engine_add_tap(rtc->engine, rtc->room, rtc->tap);
}

void
mg_bridge_rtc_push_stop(MgBridgeRtc *rtc)
{
  if (!rtc->tap)
    return;
  /* The tap's pipelines feed our slots: it is gone before they are. */
  mg_media_engine_remove_tap(rtc->engine, rtc->room, rtc->tap);
  mg_tap_free(rtc->tap);
  rtc->tap = NULL;
}

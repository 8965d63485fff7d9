/* SPDX-License-Identifier: MIT
 * A bridge's pull (WHEP): webrtcbin with recvonly m-lines; each m-line that
 * receives media feeds the local publisher's track of its index, on
 * GStreamer's streaming threads. */
#define G_LOG_DOMAIN "bridge"
#include "media/bridge-rtc-private.h"

#include <gst/app/gstappsink.h>
#include <gst/webrtc/webrtc.h>

#include "media/local-private.h"

MgMediaLocalTrack *
mg_bridge_rtc_local_tracks(guint n_video, guint n_audio)
{
  MgMediaLocalTrack *t = g_new0(MgMediaLocalTrack, n_video + n_audio);
  for (guint i = 0; i < n_video + n_audio; i++)
    t[i] = i < n_video ? (MgMediaLocalTrack){ "video", "VP8", 90000, MG_BRIDGE_VIDEO_PT }
                       : (MgMediaLocalTrack){ "audio", "OPUS", 48000, MG_BRIDGE_AUDIO_PT };
  return t;
}

typedef struct {
  MgBridgeRtc *rtc;
  guint index;
} MgBridgeSink;

static void
sink_free(gpointer p)
{
  MgBridgeSink *s = p;
  mg_bridge_rtc_unref(s->rtc);
  g_free(s);
}

static GstFlowReturn
on_pulled(GstAppSink *appsink, gpointer data)
{
  MgBridgeSink *s = data;
  MgBridgeRtc *rtc = s->rtc;
  GstSample *sample = gst_app_sink_pull_sample(appsink);
  if (!sample)
    return GST_FLOW_EOS;
  GstBuffer *buf = gst_sample_get_buffer(sample);
  GstMapInfo map;
  if (buf && gst_buffer_map(buf, &map, GST_MAP_READ)) {
    if (mg_media_local_push(rtc->local, s->index, map.data, map.size))
      g_atomic_pointer_add(&rtc->slots[s->index].packets, 1);
    gst_buffer_unmap(buf, &map);
  }
  gst_sample_unref(sample);
  /* The room wants a keyframe (a new subscriber, a PLI), or a new stream
   * starts (its first keyframe may have come before the m-line was linked, and
   * the publisher behind the far side may not send another for long): rtpbin
   * asks the far side (PLI). */
  MgBridgeSlot *slot = &rtc->slots[s->index];
  gboolean fresh = g_atomic_int_compare_and_exchange(&slot->fresh, 1, 0);
  if (slot->video && (mg_media_local_take_keyframe_request(rtc->local, s->index) || fresh)) {
    GstStructure *st = gst_structure_new("GstForceKeyUnit", "all-headers", G_TYPE_BOOLEAN, TRUE, NULL);
    GstPad *pad = gst_element_get_static_pad(GST_ELEMENT(appsink), "sink");
    gst_pad_push_event(pad, gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, st));
    gst_object_unref(pad);
  }
  return GST_FLOW_OK;
}

static void
on_pad_added(GstElement *webrtc, GstPad *pad, gpointer data)
{
  MgBridgeRtc *rtc = data;
  if (GST_PAD_DIRECTION(pad) != GST_PAD_SRC)
    return;
  GstWebRTCRTPTransceiver *trans = NULL;
  guint mline = G_MAXUINT;
  g_object_get(pad, "transceiver", &trans, NULL);
  if (trans) {
    g_object_get(trans, "mlineindex", &mline, NULL);
    gst_object_unref(trans);
  }
  if (mline >= rtc->n_slots) {
    g_warning("bridge pull of %s: media on an unknown m-line %u", rtc->room, mline);
    return;
  }
  GstElement *sink = gst_element_factory_make("appsink", NULL);
  g_object_set(sink, "sync", FALSE, "async", FALSE, "max-buffers", 500, "drop", TRUE, NULL);
  MgBridgeSink *s = g_new0(MgBridgeSink, 1);
  s->rtc = mg_bridge_rtc_ref(rtc);
  s->index = mline;
  g_atomic_int_set(&rtc->slots[mline].fresh, 1);
  GstAppSinkCallbacks cbs = { .new_sample = on_pulled };
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cbs, s, sink_free);
  gst_bin_add(GST_BIN(rtc->pipeline), sink);
  gst_element_sync_state_with_parent(sink);
  GstPad *sinkpad = gst_element_get_static_pad(sink, "sink");
  if (gst_pad_link(pad, sinkpad) != GST_PAD_LINK_OK)
    g_warning("bridge pull of %s: cannot link m-line %u", rtc->room, mline);
  gst_object_unref(sinkpad);
  g_debug("bridge pull of %s: m-line %u has media", rtc->room, mline);
}

gboolean
mg_bridge_rtc_pull_build(MgBridgeRtc *rtc, guint n_video, guint n_audio, GError **error)
{
  rtc->pipeline = gst_pipeline_new(NULL);
  rtc->webrtc = gst_element_factory_make("webrtcbin", "rtc");
  if (!rtc->webrtc) {
    g_set_error(error, mg_bridge_rtc_error_quark(), 0, "GStreamer's webrtcbin is missing (gstreamer1.0-plugins-bad)");
    return FALSE;
  }
  gst_object_ref(rtc->webrtc);
  g_object_set(rtc->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
  gst_bin_add(GST_BIN(rtc->pipeline), rtc->webrtc);
  for (guint i = 0; i < n_video + n_audio; i++) {
    MgBridgeSlot *slot = &rtc->slots[i];
    slot->rtc = rtc;
    slot->index = i;
    slot->video = i < n_video;
    g_autoptr(GstCaps) caps = gst_caps_from_string(slot->video ? MG_BRIDGE_VIDEO_CAPS : MG_BRIDGE_AUDIO_CAPS);
    GstWebRTCRTPTransceiver *trans = NULL;
    g_signal_emit_by_name(rtc->webrtc, "add-transceiver", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps, &trans);
    g_clear_object(&trans);
  }
  rtc->n_slots = n_video + n_audio;
  g_signal_connect_data(rtc->webrtc, "pad-added", G_CALLBACK(on_pad_added), mg_bridge_rtc_ref(rtc),
                        mg_bridge_rtc_closure_unref, 0);
  return TRUE;
}

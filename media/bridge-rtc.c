/* SPDX-License-Identifier: MIT
 * A bridge's WebRTC client: webrtcbin with fixed m-lines. Push: each room
 * track a tap hands over takes a free slot (appsrc ! depay ! pay, so the far
 * side sees one steady SSRC per m-line whatever track fills it). Pull: each
 * m-line that receives media feeds the local publisher's track of its index.
 * GStreamer's threads report to the control loop. */
#define G_LOG_DOMAIN "bridge"
#define GST_USE_UNSTABLE_API
#include "media/bridge-rtc.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <nice/interfaces.h>
#include <string.h>

#include "media/local-private.h"
#include "media/tap.h"

#define VIDEO_PT 96
#define AUDIO_PT 111
#define MAX_SLOTS 16
#define VIDEO_CAPS "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96"
#define AUDIO_CAPS                                                                                                     \
  "application/x-rtp,media=audio,encoding-name=OPUS,clock-rate=48000,payload=111,encoding-params=(string)2"

typedef struct {
  MgBridgeRtc *rtc;
  guint index;
  gboolean video;
  GstElement *src; /* push: the slot's appsrc in the main pipeline */
  char *track;     /* push: the room track it carries, NULL when free (under rtc->lock) */
  guint64 packets; /* atomic */
  gint fresh;      /* pull, atomic: a new stream on this m-line has not asked for a keyframe yet */
} MgBridgeSlot;

struct MgBridgeRtc {
  gint refs;
  gboolean freed; /* control loop: no more callbacks */
  MgMediaEngine *engine;
  GMainContext *control;
  MgBridgeRtcDirection dir;
  char *room, *skip_party;
  MgMediaLocal *local;
  guint silence_s;
  MgBridgeRtcCallbacks cb;
  gpointer user_data;
  GstElement *pipeline, *webrtc;
  GstWebRTCICE *ice; /* our own reference (1.22 returns it unowned) */
  MgTap *tap;
  GMutex lock;
  MgBridgeSlot slots[MAX_SLOTS];
  guint n_slots;
  gint negotiating, offered; /* atomic */
  guint64 rtcp;              /* atomic: RTCP reports from the far side */
  /* control loop */
  guint watch, bus_watch;
  gboolean connected, failed, had_media, rtcp_hooked;
  guint64 seen_packets, seen_rtcp;
  guint silent_s;
};

static MgBridgeRtc *
rtc_ref(MgBridgeRtc *rtc)
{
  g_atomic_int_inc(&rtc->refs);
  return rtc;
}

static void
rtc_unref(gpointer p)
{
  MgBridgeRtc *rtc = p;
  if (!g_atomic_int_dec_and_test(&rtc->refs))
    return;
  for (guint i = 0; i < rtc->n_slots; i++) {
    g_free(rtc->slots[i].track);
    g_clear_pointer(&rtc->slots[i].src, gst_object_unref);
  }
  if (rtc->local)
    mg_media_local_unref(rtc->local);
  g_mutex_clear(&rtc->lock);
  g_main_context_unref(rtc->control);
  g_free(rtc->room);
  g_free(rtc->skip_party);
  g_free(rtc);
}

static void
rtc_closure_unref(gpointer data, GClosure *closure)
{
  rtc_unref(data);
}

static GQuark
bridge_error(void)
{
  return g_quark_from_static_string("mg-bridge-rtc-error-quark");
}

MgMediaLocalTrack *
mg_bridge_rtc_local_tracks(guint n_video, guint n_audio)
{
  MgMediaLocalTrack *t = g_new0(MgMediaLocalTrack, n_video + n_audio);
  for (guint i = 0; i < n_video + n_audio; i++)
    t[i] = i < n_video ? (MgMediaLocalTrack){ "video", "VP8", 90000, VIDEO_PT }
                       : (MgMediaLocalTrack){ "audio", "OPUS", 48000, AUDIO_PT };
  return t;
}

/* ---- reports to the control loop ---- */

typedef struct {
  MgBridgeRtc *rtc;
  char *sdp;    /* an offer, or NULL */
  char *reason; /* a failure, or NULL */
  char *track;  /* a keyframe request for this room track, or NULL */
  gboolean connected;
} MgBridgeReport;

static void
report_free(gpointer p)
{
  MgBridgeReport *r = p;
  rtc_unref(r->rtc);
  g_free(r->sdp);
  g_free(r->reason);
  g_free(r->track);
  g_free(r);
}

static void
set_failed(MgBridgeRtc *rtc, const char *reason)
{
  if (rtc->failed)
    return;
  rtc->failed = TRUE;
  rtc->connected = FALSE;
  g_info("bridge %s of %s: %s", rtc->dir == MG_BRIDGE_RTC_PUSH ? "push" : "pull", rtc->room, reason);
  rtc->cb.state(rtc, FALSE, reason, rtc->user_data);
}

static gboolean
deliver(gpointer p)
{
  MgBridgeReport *r = p;
  MgBridgeRtc *rtc = r->rtc;
  if (rtc->freed)
    return G_SOURCE_REMOVE;
  if (r->track) {
    mg_media_engine_request_keyframe(rtc->engine, rtc->room, r->track);
  } else if (r->sdp) {
    rtc->cb.offer(rtc, r->sdp, rtc->user_data);
  } else if (r->reason) {
    set_failed(rtc, r->reason);
  } else if (r->connected && !rtc->connected && !rtc->failed) {
    rtc->connected = TRUE;
    rtc->cb.state(rtc, TRUE, NULL, rtc->user_data);
  }
  return G_SOURCE_REMOVE;
}

static void
report(MgBridgeRtc *rtc, MgBridgeReport *r)
{
  r->rtc = rtc_ref(rtc);
  g_main_context_invoke_full(rtc->control, G_PRIORITY_DEFAULT, deliver, r, report_free);
}

static void report_failure(MgBridgeRtc *rtc, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void
report_failure(MgBridgeRtc *rtc, const char *fmt, ...)
{
  MgBridgeReport *r = g_new0(MgBridgeReport, 1);
  va_list ap;
  va_start(ap, fmt);
  r->reason = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  report(rtc, r);
}

/* ---- webrtcbin's threads ---- */

static void
on_offer_created(GstPromise *promise, gpointer data)
{
  MgBridgeRtc *rtc = data;
  const GstStructure *reply = gst_promise_get_reply(promise);
  GstWebRTCSessionDescription *offer = NULL;
  if (reply)
    gst_structure_get(reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION, &offer, NULL);
  if (!offer) {
    /* 1.22 answers an offer asked for before every pad is linked with none;
     * the next negotiation-needed brings a real one (or the attempt times out). */
    GError *err = NULL;
    if (reply)
      gst_structure_get(reply, "error", G_TYPE_ERROR, &err, NULL);
    g_debug("bridge of %s: no offer yet: %s", rtc->room, err ? err->message : "no reason given");
    g_clear_error(&err);
    g_atomic_int_set(&rtc->negotiating, 0);
    gst_promise_unref(promise);
    return;
  }
  g_signal_emit_by_name(rtc->webrtc, "set-local-description", offer, NULL);
  gst_webrtc_session_description_free(offer);
  gst_promise_unref(promise);
}

static void
on_negotiation_needed(GstElement *webrtc, gpointer data)
{
  MgBridgeRtc *rtc = data;
  if (!g_atomic_int_compare_and_exchange(&rtc->negotiating, 0, 1))
    return; /* one offer per connection: WHIP and WHEP do not renegotiate */
  GstPromise *promise = gst_promise_new_with_change_func(on_offer_created, rtc_ref(rtc), rtc_unref);
  g_signal_emit_by_name(webrtc, "create-offer", NULL, promise);
}

/* The offer goes out complete (no trickle): once gathering is over. */
static void
on_gathering(GstElement *webrtc, GParamSpec *pspec, gpointer data)
{
  MgBridgeRtc *rtc = data;
  GstWebRTCICEGatheringState state;
  g_object_get(webrtc, "ice-gathering-state", &state, NULL);
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE || !g_atomic_int_compare_and_exchange(&rtc->offered, 0, 1))
    return;
  GstWebRTCSessionDescription *local = NULL;
  g_object_get(webrtc, "local-description", &local, NULL);
  if (!local) {
    report_failure(rtc, "webrtcbin has no local description");
    return;
  }
  MgBridgeReport *r = g_new0(MgBridgeReport, 1);
  r->sdp = gst_sdp_message_as_text(local->sdp);
  gst_webrtc_session_description_free(local);
  report(rtc, r);
}

static void
on_connection_state(GstElement *webrtc, GParamSpec *pspec, gpointer data)
{
  MgBridgeRtc *rtc = data;
  GstWebRTCPeerConnectionState state;
  g_object_get(webrtc, "connection-state", &state, NULL);
  if (state == GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED) {
    MgBridgeReport *r = g_new0(MgBridgeReport, 1);
    r->connected = TRUE;
    report(rtc, r);
  } else if (state == GST_WEBRTC_PEER_CONNECTION_STATE_FAILED) {
    report_failure(rtc, "ICE or DTLS failed");
  }
}

/* The far side sent RTCP (a receiver report: it is alive and receiving). */
static void
on_rtcp(GObject *session, GstBuffer *buf, gpointer data)
{
  MgBridgeRtc *rtc = data;
  g_atomic_pointer_add(&rtc->rtcp, 1);
}

/* rtpbin's session exists once the answer is applied: count its RTCP. */
static void
hook_rtcp(MgBridgeRtc *rtc)
{
  GstElement *rtpbin = gst_bin_get_by_name(GST_BIN(rtc->webrtc), "rtpbin");
  GObject *session = NULL;
  if (rtpbin)
    g_signal_emit_by_name(rtpbin, "get-internal-session", 0, &session);
  if (session) {
    g_signal_connect_data(session, "on-receiving-rtcp", G_CALLBACK(on_rtcp), rtc_ref(rtc), rtc_closure_unref, 0);
    rtc->rtcp_hooked = TRUE;
    g_object_unref(session);
  }
  g_clear_object(&rtpbin);
}

/* DTLS is up (so ICE is): webrtcbin 1.22 leaves its own states at "new". */
static gboolean
dtls_connected(MgBridgeRtc *rtc)
{
  GArray *all = NULL;
  gboolean up = FALSE;
  g_signal_emit_by_name(rtc->webrtc, "get-transceivers", &all);
  for (guint i = 0; all && i < all->len && !up; i++) {
    GstWebRTCRTPTransceiver *t = g_array_index(all, GstWebRTCRTPTransceiver *, i);
    GObject *side = NULL;
    GstWebRTCDTLSTransport *transport = NULL;
    g_object_get(t, rtc->dir == MG_BRIDGE_RTC_PUSH ? "sender" : "receiver", &side, NULL);
    if (side)
      g_object_get(side, "transport", &transport, NULL);
    if (transport) {
      GstWebRTCDTLSTransportState state;
      g_object_get(transport, "state", &state, NULL);
      up = state == GST_WEBRTC_DTLS_TRANSPORT_STATE_CONNECTED;
      gst_object_unref(transport);
    }
    g_clear_object(&side);
  }
  if (all)
    g_array_unref(all);
  return up;
}

/* ---- pull: the far side's media into the room ---- */

typedef struct {
  MgBridgeRtc *rtc;
  guint index;
} MgBridgeSink;

static void
sink_free(gpointer p)
{
  MgBridgeSink *s = p;
  rtc_unref(s->rtc);
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
  s->rtc = rtc_ref(rtc);
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

/* ---- push: the room's tracks (the tap's thread) into the slots ---- */

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
  MgBridgeReport *r = g_new0(MgBridgeReport, 1);
  g_mutex_lock(&slot->rtc->lock);
  r->track = g_strdup(slot->track);
  g_mutex_unlock(&slot->rtc->lock);
  if (r->track)
    report(slot->rtc, r);
  else
    g_free(r);
  return GST_PAD_PROBE_OK;
}

/* ---- building ---- */

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
        i, video ? VIDEO_CAPS : AUDIO_CAPS,
        video ? "rtpvp8depay wait-for-keyframe=true request-keyframe=true" : "rtpopusdepay",
        video ? "rtpvp8pay pt=96 mtu=1200 picture-id-mode=15-bit" : "rtpopuspay pt=111 mtu=1200",
        video ? VIDEO_CAPS : AUDIO_CAPS, i);
  }
  return g_string_free(d, FALSE);
}

/* On a host with no address but loopback (a test's network namespace),
 * libnice gathers nothing: give it 127.0.0.1. No TCP candidates (meetgate
 * serves UDP). */
static void
setup_ice(MgBridgeRtc *rtc)
{
  g_object_get(rtc->webrtc, "ice-agent", &rtc->ice, NULL);
  if (!rtc->ice)
    return;
  g_object_set(rtc->ice, "ice-tcp", FALSE, NULL);
  GList *ips = nice_interfaces_get_local_ips(FALSE);
  if (!ips) {
    gboolean added = FALSE;
    g_signal_emit_by_name(rtc->ice, "add-local-ip-address", "127.0.0.1", &added);
  }
  g_list_free_full(ips, g_free);
}

static gboolean
on_bus(GstBus *bus, GstMessage *msg, gpointer data)
{
  MgBridgeRtc *rtc = data;
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    g_autoptr(GError) error = NULL;
    g_autofree char *debug = NULL;
    gst_message_parse_error(msg, &error, &debug);
    g_debug("bridge of %s: %s (%s)", rtc->room, error->message, debug ? debug : "");
    g_autofree char *text = g_strdup_printf("%s (in %s)", error->message, GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)));
    set_failed(rtc, text);
  }
  return G_SOURCE_CONTINUE;
}

static guint64
total_packets(MgBridgeRtc *rtc)
{
  guint64 n = 0;
  for (guint i = 0; i < rtc->n_slots; i++)
    n += g_atomic_pointer_get(&rtc->slots[i].packets);
  return n;
}

/* Once a second: the far side is gone when media that flowed stops (pull),
 * or when we send and it sends no RTCP back (push). */
static gboolean
on_watch(gpointer data)
{
  MgBridgeRtc *rtc = data;
  guint64 n = total_packets(rtc), rtcp = g_atomic_pointer_get(&rtc->rtcp);
  gboolean flowing = n != rtc->seen_packets, answered = rtcp != rtc->seen_rtcp;
  rtc->seen_packets = n;
  rtc->seen_rtcp = rtcp;
  if (rtc->failed)
    return G_SOURCE_CONTINUE;
  if (!rtc->rtcp_hooked)
    hook_rtcp(rtc);
  /* No offer yet (1.22 may never signal negotiation-needed for pads linked
   * before it started, or answered the first try with none): ask again. */
  if (!g_atomic_int_get(&rtc->offered) && !g_atomic_int_get(&rtc->negotiating))
    on_negotiation_needed(rtc->webrtc, rtc);
  if (!rtc->connected) {
    /* webrtcbin 1.22 leaves its connection states at "new": look at ICE,
     * DTLS, and count media from the far side (pull) or its RTCP (push). */
    GstWebRTCICEConnectionState ice;
    g_object_get(rtc->webrtc, "ice-connection-state", &ice, NULL);
    if (ice == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED) {
      set_failed(rtc, "ICE failed");
    } else if (ice == GST_WEBRTC_ICE_CONNECTION_STATE_CONNECTED || ice == GST_WEBRTC_ICE_CONNECTION_STATE_COMPLETED ||
               (rtc->dir == MG_BRIDGE_RTC_PULL ? n : rtcp) > 0 || dtls_connected(rtc)) {
      rtc->connected = TRUE;
      rtc->cb.state(rtc, TRUE, NULL, rtc->user_data);
    }
    return G_SOURCE_CONTINUE;
  }
  gboolean silent;
  if (rtc->dir == MG_BRIDGE_RTC_PULL) {
    rtc->had_media = rtc->had_media || flowing;
    silent = rtc->had_media && !flowing;
  } else {
    silent = flowing && !answered;
  }
  rtc->silent_s = silent ? rtc->silent_s + 1 : 0;
  if (rtc->silent_s >= rtc->silence_s) {
    g_autofree char *why = g_strdup_printf(rtc->dir == MG_BRIDGE_RTC_PULL ? "no media from the far side for %u s"
                                                                          : "no RTCP from the far side for %u s",
                                           rtc->silent_s);
    set_failed(rtc, why);
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
build_pipeline(MgBridgeRtc *rtc, guint n_video, guint n_audio, GError **error)
{
  if (rtc->dir == MG_BRIDGE_RTC_PUSH) {
    g_autofree char *desc = push_description(n_video, n_audio);
    rtc->pipeline = gst_parse_launch(desc, error);
    if (!rtc->pipeline)
      return FALSE;
    rtc->webrtc = gst_bin_get_by_name(GST_BIN(rtc->pipeline), "rtc");
  } else {
    rtc->pipeline = gst_pipeline_new(NULL);
    rtc->webrtc = gst_element_factory_make("webrtcbin", "rtc");
    if (!rtc->webrtc) {
      g_set_error(error, bridge_error(), 0, "GStreamer's webrtcbin is missing (gstreamer1.0-plugins-bad)");
      return FALSE;
    }
    gst_object_ref(rtc->webrtc);
    g_object_set(rtc->webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE, NULL);
    gst_bin_add(GST_BIN(rtc->pipeline), rtc->webrtc);
  }
  if (!rtc->webrtc) {
    g_set_error(error, bridge_error(), 0, "GStreamer's webrtcbin is missing (gstreamer1.0-plugins-bad)");
    return FALSE;
  }
  for (guint i = 0; i < n_video + n_audio; i++) {
    MgBridgeSlot *slot = &rtc->slots[i];
    slot->rtc = rtc;
    slot->index = i;
    slot->video = i < n_video;
    g_autoptr(GstCaps) caps = gst_caps_from_string(slot->video ? VIDEO_CAPS : AUDIO_CAPS);
    if (rtc->dir == MG_BRIDGE_RTC_PULL) {
      GstWebRTCRTPTransceiver *trans = NULL;
      g_signal_emit_by_name(rtc->webrtc, "add-transceiver", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY, caps,
                            &trans);
      g_clear_object(&trans);
      continue;
    }
    g_autofree char *name = g_strdup_printf("s%u", i);
    slot->src = gst_bin_get_by_name(GST_BIN(rtc->pipeline), name);
    GstPad *pad = gst_element_get_static_pad(slot->src, "src");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM, on_slot_upstream, slot, NULL);
    gst_object_unref(pad);
  }
  rtc->n_slots = n_video + n_audio;
  if (rtc->dir == MG_BRIDGE_RTC_PUSH) {
    GArray *all = NULL;
    g_signal_emit_by_name(rtc->webrtc, "get-transceivers", &all);
    for (guint i = 0; all && i < all->len; i++) {
      GstWebRTCRTPTransceiver *t = g_array_index(all, GstWebRTCRTPTransceiver *, i);
      g_object_set(t, "direction", GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY, NULL);
    }
    if (all)
      g_array_unref(all);
  }
  setup_ice(rtc);
  g_signal_connect_data(rtc->webrtc, "on-negotiation-needed", G_CALLBACK(on_negotiation_needed), rtc_ref(rtc),
                        rtc_closure_unref, 0);
  g_signal_connect_data(rtc->webrtc, "notify::ice-gathering-state", G_CALLBACK(on_gathering), rtc_ref(rtc),
                        rtc_closure_unref, 0);
  g_signal_connect_data(rtc->webrtc, "notify::connection-state", G_CALLBACK(on_connection_state), rtc_ref(rtc),
                        rtc_closure_unref, 0);
  g_signal_connect_data(rtc->webrtc, "pad-added", G_CALLBACK(on_pad_added), rtc_ref(rtc), rtc_closure_unref, 0);
  GstBus *bus = gst_element_get_bus(rtc->pipeline);
  rtc->bus_watch = gst_bus_add_watch(bus, on_bus, rtc);
  gst_object_unref(bus);
  return TRUE;
}

MgBridgeRtc *
mg_bridge_rtc_new(MgMediaEngine *engine, const MgBridgeRtcConfig *config, const MgBridgeRtcCallbacks *callbacks,
                  gpointer user_data, GError **error)
{
  guint nv = config->n_video, na = config->n_audio;
  if (nv + na == 0 || nv + na > MAX_SLOTS || (config->dir == MG_BRIDGE_RTC_PULL && !config->local)) {
    g_set_error(error, bridge_error(), 0, "a bridge has 1 to %d m-lines", MAX_SLOTS);
    return NULL;
  }
  gst_init(NULL, NULL);
  MgBridgeRtc *rtc = g_new0(MgBridgeRtc, 1);
  rtc->refs = 1;
  rtc->engine = engine;
  rtc->control = g_main_context_ref_thread_default();
  rtc->dir = config->dir;
  rtc->room = g_strdup(config->room);
  rtc->skip_party = g_strdup(config->skip_party);
  rtc->local = config->local ? mg_media_local_ref(config->local) : NULL;
  rtc->silence_s = config->silence_s ? config->silence_s : 5;
  rtc->cb = *callbacks;
  rtc->user_data = user_data;
  g_mutex_init(&rtc->lock);
  if (!build_pipeline(rtc, nv, na, error)) {
    mg_bridge_rtc_free(rtc);
    return NULL;
  }
  if (gst_element_set_state(rtc->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    g_set_error(error, bridge_error(), 0, "the bridge's pipeline does not start");
    mg_bridge_rtc_free(rtc);
    return NULL;
  }
  if (rtc->dir == MG_BRIDGE_RTC_PUSH) {
    MgTapConfig tc = { .pipeline = tap_pipeline, .error = tap_error, .done = tap_done, .user_data = rtc };
    rtc->tap = mg_tap_new(&tc);
    mg_media_engine_add_tap(engine, rtc->room, rtc->tap);
  }
  rtc->watch = g_timeout_add_seconds(1, on_watch, rtc);
  return rtc;
}

gboolean
mg_bridge_rtc_set_answer(MgBridgeRtc *rtc, const char *sdp, GError **error)
{
  GstSDPMessage *msg = NULL;
  if (gst_sdp_message_new_from_text(sdp, &msg) != GST_SDP_OK || !msg || !gst_sdp_message_medias_len(msg)) {
    if (msg)
      gst_sdp_message_free(msg);
    g_set_error(error, bridge_error(), 0, "the answer is not SDP with media");
    return FALSE;
  }
  GstWebRTCSessionDescription *answer = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, msg);
  g_signal_emit_by_name(rtc->webrtc, "set-remote-description", answer, NULL);
  gst_webrtc_session_description_free(answer);
  return TRUE;
}

void
mg_bridge_rtc_free(MgBridgeRtc *rtc)
{
  if (!rtc)
    return;
  rtc->freed = TRUE;
  if (rtc->watch)
    g_source_remove(rtc->watch);
  if (rtc->bus_watch)
    g_source_remove(rtc->bus_watch);
  if (rtc->tap) {
    /* The tap's pipelines feed our slots: it is gone before they are. */
    mg_media_engine_remove_tap(rtc->engine, rtc->room, rtc->tap);
    mg_tap_free(rtc->tap);
    rtc->tap = NULL;
  }
  if (rtc->pipeline) {
    gst_element_set_state(rtc->pipeline, GST_STATE_NULL);
    g_clear_object(&rtc->pipeline);
  }
  g_clear_object(&rtc->webrtc);
  g_clear_object(&rtc->ice);
  rtc_unref(rtc);
}

guint64
mg_bridge_rtc_get_packets(MgBridgeRtc *rtc)
{
  return total_packets(rtc);
}

guint64
mg_bridge_rtc_get_heard(MgBridgeRtc *rtc)
{
  return g_atomic_pointer_get(&rtc->rtcp) + (rtc->dir == MG_BRIDGE_RTC_PULL ? total_packets(rtc) : 0);
}

guint
mg_bridge_rtc_get_tracks(MgBridgeRtc *rtc)
{
  guint n = 0;
  g_mutex_lock(&rtc->lock);
  for (guint i = 0; i < rtc->n_slots; i++)
    n += rtc->dir == MG_BRIDGE_RTC_PUSH ? rtc->slots[i].track != NULL
                                        : g_atomic_pointer_get(&rtc->slots[i].packets) != 0;
  g_mutex_unlock(&rtc->lock);
  return n;
}

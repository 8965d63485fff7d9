/* SPDX-License-Identifier: MIT
 * A bridge's WebRTC client: webrtcbin with fixed m-lines, its signals, the
 * offer, the watch that tells a connected leg from a dead one, and the
 * reports from GStreamer's threads to the control loop. The push side is in
 * bridge-rtc-push.c, the pull side in bridge-rtc-pull.c. */
#define G_LOG_DOMAIN "bridge"
#include "media/bridge-rtc-private.h"

#include <gst/sdp/sdp.h>
#include <gst/webrtc/webrtc.h>
#include <nice/interfaces.h>
#include <string.h>

#include "media/local-private.h"

MgBridgeRtc *
mg_bridge_rtc_ref(MgBridgeRtc *rtc)
{
  g_atomic_int_inc(&rtc->refs);
  return rtc;
}

void
mg_bridge_rtc_unref(gpointer p)
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

void
mg_bridge_rtc_closure_unref(gpointer data, GClosure *closure)
{
  mg_bridge_rtc_unref(data);
}

/* A leg freed while its ICE agent gathers waits at most this long, and this
 * long after the gathering ended. */
#define LINGER_MAX_MS 5000
#define LINGER_AFTER_MS 200

GQuark
mg_bridge_rtc_error_quark(void)
{
  return g_quark_from_static_string("mg-bridge-rtc-error-quark");
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
  mg_bridge_rtc_unref(r->rtc);
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
  r->rtc = mg_bridge_rtc_ref(rtc);
  g_main_context_invoke_full(rtc->control, G_PRIORITY_DEFAULT, deliver, r, report_free);
}

void
mg_bridge_rtc_report_keyframe(MgBridgeRtc *rtc, const char *track)
{
  MgBridgeReport *r = g_new0(MgBridgeReport, 1);
  r->track = g_strdup(track);
  report(rtc, r);
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

static void request_finish(MgBridgeRtc *rtc, guint delay_ms);

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
  if (g_atomic_int_get(&rtc->closing))
    request_finish(rtc, 0); /* freed meanwhile: no description, no gathering to wait for */
  else
    g_signal_emit_by_name(rtc->webrtc, "set-local-description", offer, NULL);
  gst_webrtc_session_description_free(offer);
  gst_promise_unref(promise);
}

static void
on_negotiation_needed(GstElement *webrtc, gpointer data)
{
  MgBridgeRtc *rtc = data;
  if (g_atomic_int_get(&rtc->closing) || !g_atomic_int_compare_and_exchange(&rtc->negotiating, 0, 1))
    return; /* one offer per connection: WHIP and WHEP do not renegotiate */
  GstPromise *promise = gst_promise_new_with_change_func(on_offer_created, mg_bridge_rtc_ref(rtc), mg_bridge_rtc_unref);
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
  if (g_atomic_int_get(&rtc->closing)) {
    /* We run inside libnice's gathering-done handler, which still walks its
     * streams after we return: the teardown waits a moment. */
    request_finish(rtc, LINGER_AFTER_MS);
    return;
  }
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
    g_signal_connect_data(session, "on-receiving-rtcp", G_CALLBACK(on_rtcp), mg_bridge_rtc_ref(rtc),
                          mg_bridge_rtc_closure_unref, 0);
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

/* ---- building ---- */

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

guint64
mg_bridge_rtc_total_packets(MgBridgeRtc *rtc)
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
  guint64 n = mg_bridge_rtc_total_packets(rtc), rtcp = g_atomic_pointer_get(&rtc->rtcp);
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
  gboolean built = rtc->dir == MG_BRIDGE_RTC_PUSH ? mg_bridge_rtc_push_build(rtc, n_video, n_audio, error)
                                                  : mg_bridge_rtc_pull_build(rtc, n_video, n_audio, error);
  if (!built)
    return FALSE;
  setup_ice(rtc);
  g_signal_connect_data(rtc->webrtc, "on-negotiation-needed", G_CALLBACK(on_negotiation_needed), mg_bridge_rtc_ref(rtc),
                        mg_bridge_rtc_closure_unref, 0);
  g_signal_connect_data(rtc->webrtc, "notify::ice-gathering-state", G_CALLBACK(on_gathering), mg_bridge_rtc_ref(rtc),
                        mg_bridge_rtc_closure_unref, 0);
  g_signal_connect_data(rtc->webrtc, "notify::connection-state", G_CALLBACK(on_connection_state),
                        mg_bridge_rtc_ref(rtc), mg_bridge_rtc_closure_unref, 0);
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
  if (nv + na == 0 || nv + na > MG_BRIDGE_MAX_SLOTS || (config->dir == MG_BRIDGE_RTC_PULL && !config->local)) {
    g_set_error(error, mg_bridge_rtc_error_quark(), 0, "a bridge has 1 to %d m-lines", MG_BRIDGE_MAX_SLOTS);
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
    g_set_error(error, mg_bridge_rtc_error_quark(), 0, "the bridge's pipeline does not start");
    mg_bridge_rtc_free(rtc);
    return NULL;
  }
  if (rtc->dir == MG_BRIDGE_RTC_PUSH)
    mg_bridge_rtc_push_start(rtc);
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
    g_set_error(error, mg_bridge_rtc_error_quark(), 0, "the answer is not SDP with media");
    return FALSE;
  }
  GstWebRTCSessionDescription *answer = gst_webrtc_session_description_new(GST_WEBRTC_SDP_TYPE_ANSWER, msg);
  g_signal_emit_by_name(rtc->webrtc, "set-remote-description", answer, NULL);
  gst_webrtc_session_description_free(answer);
  return TRUE;
}

/* ---- teardown ---- */

/* Legs freed while their ICE agent gathers (control loop only). */
static GPtrArray *lingering;

/* Stops the pipeline for good; once per rtc (control loop). */
static void
finish(MgBridgeRtc *rtc)
{
  if (!g_atomic_int_compare_and_exchange(&rtc->finished, 0, 1))
    return;
  if (rtc->linger)
    g_source_remove(rtc->linger);
  rtc->linger = 0;
  if (lingering)
    g_ptr_array_remove_fast(lingering, rtc);
  if (rtc->pipeline) {
    gst_element_set_state(rtc->pipeline, GST_STATE_NULL);
    g_clear_object(&rtc->pipeline);
  }
  g_clear_object(&rtc->webrtc);
  g_clear_object(&rtc->ice);
  mg_bridge_rtc_unref(rtc); /* the reference mg_bridge_rtc_new() returned */
}

static gboolean
on_finish(gpointer data)
{
  finish(data);
  return G_SOURCE_REMOVE;
}

static gboolean
on_linger_over(gpointer data)
{
  MgBridgeRtc *rtc = data;
  rtc->linger = 0;
  g_debug("bridge of %s: ICE gathering did not end within %d ms of the teardown", rtc->room, LINGER_MAX_MS);
  finish(rtc);
  return G_SOURCE_REMOVE;
}

/* Any thread: the teardown of a closing rtc goes on, after delay_ms, on the control loop. */
static void
request_finish(MgBridgeRtc *rtc, guint delay_ms)
{
  GSource *src = delay_ms ? g_timeout_source_new(delay_ms) : g_idle_source_new();
  g_source_set_callback(src, on_finish, mg_bridge_rtc_ref(rtc), mg_bridge_rtc_unref);
  g_source_attach(src, rtc->control);
  g_source_unref(src);
}

/* Whether webrtcbin is between create-offer and the end of ICE gathering:
 * setting it to NULL then races its own threads (GStreamer 1.22: libnice's
 * gathering-done handler walks streams being freed, a crash; a
 * set-local-description under way leaks). */
static gboolean
busy(MgBridgeRtc *rtc)
{
  return g_atomic_int_get(&rtc->negotiating) && !g_atomic_int_get(&rtc->offered);
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
  rtc->watch = rtc->bus_watch = 0;
  mg_bridge_rtc_push_stop(rtc);
  g_atomic_int_set(&rtc->closing, 1);
  if (!rtc->pipeline || !busy(rtc)) {
    finish(rtc);
    return;
  }
  /* The gathering ends (on_gathering) or the deadline passes: then finish(). */
  g_debug("bridge of %s: torn down while ICE gathers; the pipeline stops when it is over", rtc->room);
  if (!lingering)
    lingering = g_ptr_array_new();
  g_ptr_array_add(lingering, rtc);
  rtc->linger = g_timeout_add(LINGER_MAX_MS, on_linger_over, rtc);
}

void
mg_bridge_rtc_flush(void)
{
  gint64 deadline = g_get_monotonic_time() + LINGER_MAX_MS * 1000;
  while (lingering && lingering->len) {
    MgBridgeRtc *rtc = g_ptr_array_index(lingering, 0);
    while (busy(rtc) && g_get_monotonic_time() < deadline)
      g_usleep(10000);
    if (!busy(rtc))
      g_usleep(LINGER_AFTER_MS * 1000);
    finish(rtc);
  }
  g_clear_pointer(&lingering, g_ptr_array_unref);
}

guint64
mg_bridge_rtc_get_packets(MgBridgeRtc *rtc)
{
  return mg_bridge_rtc_total_packets(rtc);
}

guint64
mg_bridge_rtc_get_heard(MgBridgeRtc *rtc)
{
  return g_atomic_pointer_get(&rtc->rtcp) + (rtc->dir == MG_BRIDGE_RTC_PULL ? mg_bridge_rtc_total_packets(rtc) : 0);
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

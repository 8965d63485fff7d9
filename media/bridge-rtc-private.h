/* SPDX-License-Identifier: MIT
 * Internals shared by the files of a bridge's WebRTC client: bridge-rtc.c
 * (webrtcbin, its signals and the watch), bridge-rtc-push.c (the room's
 * tracks out) and bridge-rtc-pull.c (the far side's tracks in). */
#pragma once

#define GST_USE_UNSTABLE_API
#include <gst/gst.h>

#include "media/bridge-rtc.h"
#include "media/tap.h"

G_BEGIN_DECLS

#define MG_BRIDGE_VIDEO_PT 96
#define MG_BRIDGE_AUDIO_PT 111
#define MG_BRIDGE_MAX_SLOTS 16
#define MG_BRIDGE_VIDEO_CAPS "application/x-rtp,media=video,encoding-name=VP8,clock-rate=90000,payload=96"
#define MG_BRIDGE_AUDIO_CAPS                                                                                           \
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
  GstObject *ice; /* webrtcbin's GstWebRTCICE, our own reference (1.22 returns it unowned) */
  MgTap *tap;
  GMutex lock;
  MgBridgeSlot slots[MG_BRIDGE_MAX_SLOTS];
  guint n_slots;
  gint negotiating, offered; /* atomic */
  gint closing, finished;    /* atomic: freed, waiting for the ICE gathering to end; torn down */
  guint linger;              /* control loop: the deadline of that wait */
  guint64 rtcp;              /* atomic: RTCP reports from the far side */
  /* control loop */
  guint watch, bus_watch;
  gboolean connected, failed, had_media, rtcp_hooked;
  guint64 seen_packets, seen_rtcp;
  guint silent_s;
};

/* References to rtc, taken by each thread and callback that may outlive
 * mg_bridge_rtc_free(). */
MgBridgeRtc *mg_bridge_rtc_ref(MgBridgeRtc *rtc);
void mg_bridge_rtc_unref(gpointer rtc);
/* A GClosureNotify that drops the reference a signal handler holds. */
void mg_bridge_rtc_closure_unref(gpointer rtc, GClosure *closure);
GQuark mg_bridge_rtc_error_quark(void);
/* Any thread: the room should send a keyframe of track (the far side asked). */
void mg_bridge_rtc_report_keyframe(MgBridgeRtc *rtc, const char *track);
/* RTP packets of every slot so far. */
guint64 mg_bridge_rtc_total_packets(MgBridgeRtc *rtc);

/* Push: the pipeline (appsrc ! depay ! pay per slot into webrtcbin, sendonly). */
gboolean mg_bridge_rtc_push_build(MgBridgeRtc *rtc, guint n_video, guint n_audio, GError **error);
/* Push: the room's tracks start flowing into the slots (a tap). */
void mg_bridge_rtc_push_start(MgBridgeRtc *rtc);
/* Push: the tap stops; nothing feeds the slots afterwards. */
void mg_bridge_rtc_push_stop(MgBridgeRtc *rtc);
/* Pull: webrtcbin with recvonly transceivers; each m-line that gets media
 * feeds the local publisher's track of its index. */
gboolean mg_bridge_rtc_pull_build(MgBridgeRtc *rtc, guint n_video, guint n_audio, GError **error);

G_END_DECLS

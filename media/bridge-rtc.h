/* SPDX-License-Identifier: MIT
 * One direction of a bridge (docs/bridge.md) as a WebRTC client built on
 * GStreamer's webrtcbin: push sends a room's tracks (a tap, RTP as is) to a
 * WHIP server; pull receives a WHEP server's tracks into a room as a local
 * publisher. The HTTP exchange is the caller's: it gets our offer (complete,
 * with candidates) and hands back the answer. Runs on the control loop. */
#pragma once

#include <glib.h>

#include "media/engine.h"

G_BEGIN_DECLS

typedef struct MgBridgeRtc MgBridgeRtc;

typedef enum {
  MG_BRIDGE_RTC_PUSH, /* sendonly: the room's tracks out (WHIP) */
  MG_BRIDGE_RTC_PULL, /* recvonly: the far side's tracks in (WHEP) */
} MgBridgeRtcDirection;

typedef struct {
  /* Our offer, to send to the far side. */
  void (*offer)(MgBridgeRtc *rtc, const char *sdp, gpointer user_data);
  /* ICE and DTLS are up (connected), or the connection failed or the far
   * side went silent (reason says which). */
  void (*state)(MgBridgeRtc *rtc, gboolean connected, const char *reason, gpointer user_data);
} MgBridgeRtcCallbacks;

typedef struct {
  MgBridgeRtcDirection dir;
  const char *room;
  /* push: the tracks of this party are not sent (the bridge's own pull). */
  const char *skip_party;
  /* pull: the local publisher its tracks enter the room as (borrowed; it
   * has n_video VP8 tracks, then n_audio Opus tracks: mg_bridge_rtc_local_tracks). */
  MgMediaLocal *local;
  guint n_video, n_audio; /* m-lines of each kind in our offer (1 to 8) */
  guint silence_s;        /* the far side is gone after this long without media / RTCP; 0 = 5 */
} MgBridgeRtcConfig;

/* The local publisher's tracks a pull needs: n_video + n_audio entries
 * (static strings). (transfer full: g_free) */
MgMediaLocalTrack *mg_bridge_rtc_local_tracks(guint n_video, guint n_audio);

/* Builds and starts the pipeline; the offer follows. (transfer full) */
MgBridgeRtc *mg_bridge_rtc_new(MgMediaEngine *engine, const MgBridgeRtcConfig *config,
                               const MgBridgeRtcCallbacks *callbacks, gpointer user_data, GError **error);
/* The far side's answer. FALSE with error when it is not SDP. */
gboolean mg_bridge_rtc_set_answer(MgBridgeRtc *rtc, const char *sdp, GError **error);
/* Stops the pipeline (and the tap); no callback runs afterwards. A pipeline
 * whose ICE agent is still gathering stops once that is over (at most 5 s
 * later, on the control loop). */
void mg_bridge_rtc_free(MgBridgeRtc *rtc);
/* At shutdown: stops the pipelines still waiting for their gathering to end
 * (waits for it, at most 5 s in all). */
void mg_bridge_rtc_flush(void);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgBridgeRtc, mg_bridge_rtc_free)

/* RTP packets sent (push) or received (pull) so far. */
guint64 mg_bridge_rtc_get_packets(MgBridgeRtc *rtc);
/* Packets from the far side so far: its RTCP, and for a pull its RTP. */
guint64 mg_bridge_rtc_get_heard(MgBridgeRtc *rtc);
/* Tracks being sent (push) or m-lines that have received media (pull). */
guint mg_bridge_rtc_get_tracks(MgBridgeRtc *rtc);

G_END_DECLS

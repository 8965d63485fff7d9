/* SPDX-License-Identifier: MIT
 * One WebRTC peer connection on the server side: ICE (lite), DTLS, SRTP and
 * the offer/answer that set them up. It moves packets; the room decides
 * where they go. Runs on its worker's loop. */
#pragma once

#include <glib.h>

#include "media/ice.h"
#include "media/sdp.h"
#include "media/srtp.h"

G_BEGIN_DECLS

typedef struct MgPeer MgPeer;
typedef struct MgDtlsCert MgDtlsCert;

typedef enum {
  MG_PEER_NEW,
  MG_PEER_CONNECTING, /* ICE checks or DTLS handshake under way */
  MG_PEER_CONNECTED,  /* SRTP keys ready */
  MG_PEER_FAILED,
  MG_PEER_CLOSED,
} MgPeerState;

typedef struct {
  /* Decrypted RTP or RTCP; buf is writable and has MG_PEER_HEADROOM bytes of
   * capacity past len. */
  void (*rtp)(MgPeer *peer, guint8 *buf, gsize len, gpointer user_data);
  void (*rtcp)(MgPeer *peer, guint8 *buf, gsize len, gpointer user_data);
  void (*state)(MgPeer *peer, MgPeerState state, const char *reason, gpointer user_data);
} MgPeerCallbacks;

typedef struct {
  guint64 packets_in, bytes_in, packets_out, bytes_out;
  guint64 srtp_errors, dtls_errors, unknown_packets, send_errors;
} MgPeerStats;

/* Room every sender must leave past a packet for the SRTP trailer. */
#define MG_PEER_HEADROOM 64
/* No packet for this long: the peer is gone (consent freshness, RFC 7675). */
#define MG_PEER_SILENCE_US (30 * G_USEC_PER_SEC)

/* (transfer full) */
MgPeer *mg_peer_new(const char *id, GMainContext *ctx, const MgIceSettings *ice, MgDtlsCert *cert,
                    guint dtls_timeout_ms, const MgPeerCallbacks *cb, gpointer user_data, GError **error);
void mg_peer_free(MgPeer *peer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgPeer, mg_peer_free)

const char *mg_peer_get_id(MgPeer *peer);
MgPeerState mg_peer_get_state(MgPeer *peer);
const MgPeerStats *mg_peer_get_stats(MgPeer *peer);
/* The negotiated SRTP profile's name, or NULL before DTLS completes. */
const char *mg_peer_get_srtp_profile(MgPeer *peer);

/* Takes the client's offer (checked) and makes our answer following plan.
 * Returns the answer text (transfer full); the parsed answer stays readable.
 * Called again with a new offer, it renegotiates on the same transport. */
char *mg_peer_answer(MgPeer *peer, MgSdpSession *offer, const MgSdpAnswerPlan *plan, GError **error);
/* Server-offered connections (subscribers of our signaling): our offer for
 * these tracks, then the client's answer. Renegotiation repeats both; the
 * transport is set up by the first answer. */
char *mg_peer_offer(MgPeer *peer, const MgSdpTrack *tracks, guint n, GError **error);
gboolean mg_peer_apply_answer(MgPeer *peer, const char *answer, GError **error);
/* Our side's description: our answer, or our offer when we offered. */
const MgSdpSession *mg_peer_get_local(MgPeer *peer);
const MgSdpSession *mg_peer_get_offer(MgPeer *peer);
const MgSdpSession *mg_peer_get_answer(MgPeer *peer);
gboolean mg_peer_add_candidate(MgPeer *peer, const char *candidate);
/* ICE restart: new local credentials, the client's new ones. DTLS and SRTP
 * carry on. Returns our part as a trickle-ice-sdpfrag (transfer full). */
char *mg_peer_restart_ice(MgPeer *peer, const char *ufrag, const char *pwd, GError **error);

/* Protects in place and sends; buf needs MG_PEER_HEADROOM spare bytes. 0 or -errno. */
int mg_peer_send_rtp(MgPeer *peer, guint8 *buf, gsize len);
int mg_peer_send_rtcp(MgPeer *peer, guint8 *buf, gsize len);
/* Drop the peer after MG_PEER_SILENCE_US without an authenticated packet
 * (default on). Peers of our signaling turn it off: their WebSocket tells
 * when they are gone, and a participant with camera and microphone off
 * sends nothing at all over media. */
void mg_peer_set_silence_check(MgPeer *peer, gboolean on);
/* Periodic check (consent, DTLS timers); time injected. */
void mg_peer_tick(MgPeer *peer, gint64 now_us);
void mg_peer_close(MgPeer *peer, const char *reason);

/* For tests and benchmarks: key SRTP directly (no DTLS; the peer becomes
 * connected), send through send instead of ICE, and receive a datagram as if
 * ICE had delivered it. */
typedef int (*MgPeerSendFunc)(const guint8 *data, gsize len, gpointer user_data);

gboolean mg_peer_set_keys(MgPeer *peer, const MgSrtpKeys *keys, GError **error);
void mg_peer_set_transport(MgPeer *peer, MgPeerSendFunc send, gpointer user_data);
void mg_peer_receive(MgPeer *peer, guint8 *data, gsize len);

G_END_DECLS

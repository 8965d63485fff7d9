/* SPDX-License-Identifier: MIT
 * Peer connection: demultiplex STUN/DTLS/SRTP, run the DTLS handshake, key
 * SRTP, protect and send. */
#define G_LOG_DOMAIN "peer"
#include "media/peer.h"

#include <errno.h>
#include <malloc.h>
#include <string.h>

#include "media/dtls.h"
#include "media/rtp.h"
#include "media/srtp.h"

struct MgPeer {
  char *id;
  GMainContext *ctx;
  MgIce *ice;
  MgDtlsCert *cert;
  MgDtls *dtls;
  gint64 dtls_timeout_us;
  MgSrtp *srtp_in, *srtp_out;
  MgSrtpProfile profile;
  MgSdpSession *offer, *answer;
  gboolean server_offered; /* we offer (subscribers in our signaling) */
  guint64 session_id, session_version;
  MgPeerCallbacks cb;
  gpointer user_data;
  MgPeerState state;
  GSource *dtls_timer;
  gint64 last_recv_us;
  MgPeerStats stats;
  MgPeerSendFunc test_send;
  gpointer test_send_data;
  gboolean no_silence_check;
  gint64 connected_us; /* first tick that saw the peer connected */
  gboolean srtp_seen;  /* an SRTP or SRTCP packet from the client authenticated */
};

/* How long the DTLS association outlives the handshake once the client's
 * SRTP has shown that it has our final flight (docs/dtls-srtp.md). */
#define DTLS_LINGER_US (5 * G_USEC_PER_SEC)

static void
set_state(MgPeer *peer, MgPeerState state, const char *reason)
{
  if (peer->state == state || peer->state == MG_PEER_CLOSED || peer->state == MG_PEER_FAILED)
    return;
  peer->state = state;
  if (state == MG_PEER_FAILED)
    g_info("peer %s failed: %s", peer->id, reason);
  if (peer->cb.state)
    peer->cb.state(peer, state, reason, peer->user_data);
}

static int transport_send(MgPeer *peer, const guint8 *data, gsize len);

/* ---- DTLS ---- */

static void schedule_dtls_timer(MgPeer *peer);

static gboolean
on_dtls_timer(gpointer data)
{
  MgPeer *peer = data;
  g_clear_pointer(&peer->dtls_timer, g_source_unref);
  if (peer->dtls)
    mg_dtls_handle_timeout(peer->dtls, g_get_monotonic_time());
  schedule_dtls_timer(peer);
  return G_SOURCE_REMOVE;
}

static void
schedule_dtls_timer(MgPeer *peer)
{
  if (peer->dtls_timer) {
    g_source_destroy(peer->dtls_timer);
    g_clear_pointer(&peer->dtls_timer, g_source_unref);
  }
  gint64 at = peer->dtls ? mg_dtls_next_timeout(peer->dtls) : -1;
  if (at < 0 || peer->state >= MG_PEER_CONNECTED)
    return;
  gint64 wait_ms = MAX(0, (at - g_get_monotonic_time() + 999) / 1000);
  peer->dtls_timer = g_timeout_source_new(wait_ms);
  g_source_set_callback(peer->dtls_timer, on_dtls_timer, peer, NULL);
  g_source_attach(peer->dtls_timer, peer->ctx);
}

static void
dtls_send(const guint8 *data, gsize len, gpointer user_data)
{
  MgPeer *peer = user_data;
  if (transport_send(peer, data, len) < 0)
    peer->stats.send_errors++;
}

gboolean
mg_peer_set_keys(MgPeer *peer, const MgSrtpKeys *keys, GError **error)
{
  peer->profile = keys->profile;
  peer->srtp_out = mg_srtp_new(keys->profile, keys->local, keys->key_len + keys->salt_len, MG_SRTP_OUTBOUND, error);
  if (peer->srtp_out)
    peer->srtp_in = mg_srtp_new(keys->profile, keys->remote, keys->key_len + keys->salt_len, MG_SRTP_INBOUND, error);
  if (!peer->srtp_in)
    return FALSE;
  g_info("peer %s connected (%s)", peer->id, mg_srtp_profile_name(keys->profile));
  set_state(peer, MG_PEER_CONNECTED, NULL);
  return TRUE;
}

static void
dtls_connected(const MgSrtpKeys *keys, gpointer user_data)
{
  MgPeer *peer = user_data;
  g_autoptr(GError) error = NULL;
  if (!mg_peer_set_keys(peer, keys, &error))
    set_state(peer, MG_PEER_FAILED, error->message);
}

static void
dtls_failed(const char *reason, gpointer user_data)
{
  MgPeer *peer = user_data;
  set_state(peer, MG_PEER_FAILED, reason);
}

static void
dtls_closed(gpointer user_data)
{
  MgPeer *peer = user_data;
  set_state(peer, MG_PEER_CLOSED, "the client closed DTLS");
}

static const MgDtlsCallbacks dtls_callbacks = { dtls_send, dtls_connected, dtls_failed, dtls_closed };

/* ---- ICE ---- */

static void
ice_recv(guint8 *data, gsize len, gpointer user_data)
{
  MgPeer *peer = user_data;
  gint64 now = g_get_monotonic_time();
  peer->stats.packets_in++;
  peer->stats.bytes_in += len;

  switch (mg_rtp_demux_class(len ? data[0] : 0)) {
  case MG_RTP_DEMUX_DTLS:
    if (!peer->dtls || mg_dtls_feed(peer->dtls, data, len, now) < 0)
      peer->stats.dtls_errors++;
    else
      peer->last_recv_us = now;
    schedule_dtls_timer(peer);
    return;
  case MG_RTP_DEMUX_RTP:
    break;
  default:
    peer->stats.unknown_packets++;
    return;
  }
  if (!peer->srtp_in) {
    peer->stats.srtp_errors++;
    return;
  }
  /* libnice hands us its receive buffer; decrypt in place into our own copy
   * with headroom so the room may grow the packet (e.g. for RTX). */
  guint8 buf[1500 + MG_PEER_HEADROOM];
  if (len > 1500) {
    peer->stats.unknown_packets++;
    return;
  }
  memcpy(buf, data, len);
  gsize n = len;
  if (mg_rtp_is_rtcp(buf, n)) {
    if (mg_srtp_unprotect_rtcp(peer->srtp_in, buf, &n) < 0) {
      peer->stats.srtp_errors++;
      return;
    }
    peer->last_recv_us = now; /* only what authenticates proves the client is there */
    peer->srtp_seen = TRUE;
    peer->cb.rtcp(peer, buf, n, peer->user_data);
  } else {
    if (mg_srtp_unprotect_rtp(peer->srtp_in, buf, &n) < 0) {
      peer->stats.srtp_errors++;
      return;
    }
    peer->last_recv_us = now;
    peer->srtp_seen = TRUE;
    peer->cb.rtp(peer, buf, n, peer->user_data);
  }
}

static void
ice_state(MgIceState state, gpointer user_data)
{
  MgPeer *peer = user_data;
  switch (state) {
  case MG_ICE_CHECKING:
    set_state(peer, MG_PEER_CONNECTING, NULL);
    break;
  case MG_ICE_CONNECTED:
    /* A client sends its ClientHello now; a server arms its handshake timeout. */
    if (peer->dtls && mg_dtls_get_state(peer->dtls) == MG_DTLS_STATE_NEW) {
      mg_dtls_start(peer->dtls, g_get_monotonic_time());
      schedule_dtls_timer(peer);
    }
    break;
  case MG_ICE_FAILED:
    set_state(peer, MG_PEER_FAILED, "ICE failed");
    break;
  default:
    break;
  }
}

static const MgIceCallbacks ice_callbacks = { ice_recv, ice_state };

void
mg_peer_set_transport(MgPeer *peer, MgPeerSendFunc send, gpointer user_data)
{
  peer->test_send = send;
  peer->test_send_data = user_data;
}

void
mg_peer_receive(MgPeer *peer, guint8 *data, gsize len)
{
  ice_recv(data, len, peer);
}

static int
transport_send(MgPeer *peer, const guint8 *data, gsize len)
{
  if (G_UNLIKELY(peer->test_send))
    return peer->test_send(data, len, peer->test_send_data);
  return mg_ice_send(peer->ice, data, len);
}

/* ---- public ---- */

MgPeer *
mg_peer_new(const char *id, GMainContext *ctx, const MgIceSettings *ice, MgDtlsCert *cert, guint dtls_timeout_ms,
            const MgPeerCallbacks *cb, gpointer user_data, GError **error)
{
  g_autoptr(MgPeer) peer = g_new0(MgPeer, 1);
  peer->id = g_strdup(id);
  peer->ctx = g_main_context_ref(ctx);
  peer->cb = *cb;
  peer->user_data = user_data;
  peer->last_recv_us = g_get_monotonic_time();
  peer->ice = mg_ice_new(ctx, ice, &ice_callbacks, peer, error);
  if (!peer->ice)
    return NULL;
  peer->cert = mg_dtls_cert_ref(cert);
  peer->session_id = g_random_int() | (guint64)g_random_int() << 31;
  peer->dtls_timeout_us = dtls_timeout_ms ? (gint64)dtls_timeout_ms * 1000 : MG_DTLS_HANDSHAKE_TIMEOUT_US;
  return g_steal_pointer(&peer);
}

void
mg_peer_free(MgPeer *peer)
{
  if (!peer)
    return;
  if (peer->dtls_timer) {
    g_source_destroy(peer->dtls_timer);
    g_source_unref(peer->dtls_timer);
  }
  g_clear_pointer(&peer->ice, mg_ice_free);
  g_clear_pointer(&peer->dtls, mg_dtls_free);
  g_clear_pointer(&peer->cert, mg_dtls_cert_unref);
  g_clear_pointer(&peer->srtp_in, mg_srtp_free);
  g_clear_pointer(&peer->srtp_out, mg_srtp_free);
  g_clear_pointer(&peer->offer, mg_sdp_session_free);
  g_clear_pointer(&peer->answer, mg_sdp_session_free);
  g_main_context_unref(peer->ctx);
  g_free(peer->id);
  g_free(peer);
}

const char *
mg_peer_get_id(MgPeer *peer)
{
  return peer->id;
}

MgPeerState
mg_peer_get_state(MgPeer *peer)
{
  return peer->state;
}

const MgPeerStats *
mg_peer_get_stats(MgPeer *peer)
{
  return &peer->stats;
}

const char *
mg_peer_get_srtp_profile(MgPeer *peer)
{
  return peer->srtp_out ? mg_srtp_profile_name(peer->profile) : NULL;
}

const MgSdpSession *
mg_peer_get_offer(MgPeer *peer)
{
  return peer->offer;
}

const MgSdpSession *
mg_peer_get_answer(MgPeer *peer)
{
  return peer->answer;
}

/* What we put in our SDP; cands keeps the candidate strings alive. */
static void
local_description(MgPeer *peer, MgSdpLocal *local, GPtrArray **cands)
{
  *cands = mg_ice_get_local_candidates(peer->ice);
  g_ptr_array_add(*cands, NULL);
  *local = (MgSdpLocal){
    .ice_ufrag = mg_ice_get_ufrag(peer->ice),
    .ice_pwd = mg_ice_get_pwd(peer->ice),
    .fingerprint_hash = mg_dtls_cert_get_fingerprint_hash(peer->cert),
    .fingerprint = mg_dtls_cert_get_fingerprint(peer->cert),
    .setup = MG_SDP_SETUP_PASSIVE,
    .candidates = (const char *const *)(*cands)->pdata,
    .session_id = peer->session_id,
    .session_version = ++peer->session_version,
  };
}

/* The client's ICE credentials and candidates, and its certificate's fingerprint. */
static gboolean
take_remote_transport(MgPeer *peer, const MgSdpSession *remote, MgDtlsRole role, GError **error)
{
  peer->dtls = mg_dtls_new(peer->cert, role, &dtls_callbacks, peer);
  mg_dtls_set_handshake_timeout(peer->dtls, peer->dtls_timeout_us);
  if (!mg_dtls_set_remote_fingerprint(peer->dtls, remote->fingerprint_hash, remote->fingerprint, error))
    return FALSE;
  mg_ice_set_remote_credentials(peer->ice, remote->ice_ufrag, remote->ice_pwd);
  for (guint i = 0; remote->candidates && i < remote->candidates->len; i++) {
    MgSdpCandidate *c = &g_array_index(remote->candidates, MgSdpCandidate, i);
    g_autofree char *line = g_strconcat("candidate:", c->value, NULL);
    if (!mg_ice_add_remote_candidate(peer->ice, line))
      g_debug("peer %s: ignored candidate %s", peer->id, c->value);
  }
  /* ICE may have connected before we knew the client's side. */
  if (mg_ice_get_state(peer->ice) == MG_ICE_CONNECTED && mg_dtls_get_state(peer->dtls) == MG_DTLS_STATE_NEW) {
    mg_dtls_start(peer->dtls, g_get_monotonic_time());
    schedule_dtls_timer(peer);
  }
  return TRUE;
}

char *
mg_peer_offer(MgPeer *peer, const MgSdpTrack *tracks, guint n, GError **error)
{
  g_autoptr(GPtrArray) cands = NULL;
  MgSdpLocal local;
  local_description(peer, &local, &cands);
  MgSdpSession *offer = mg_sdp_offer_new(&local, tracks, n, error);
  if (!offer)
    return NULL;
  g_clear_pointer(&peer->offer, mg_sdp_session_free);
  peer->offer = offer;
  peer->server_offered = TRUE;
  return mg_sdp_to_text(offer);
}

gboolean
mg_peer_apply_answer(MgPeer *peer, const char *text, GError **error)
{
  if (!peer->server_offered || !peer->offer) {
    g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_MISMATCH, "there is no offer of ours to answer");
    return FALSE;
  }
  MgSdpSession *answer = mg_sdp_apply_answer(peer->offer, text, error);
  if (!answer)
    return FALSE;
  gboolean first = peer->answer == NULL;
  g_clear_pointer(&peer->answer, mg_sdp_session_free);
  peer->answer = answer;
  /* The transport is set up once; renegotiations only change m-lines. */
  return !first || take_remote_transport(peer, answer, MG_DTLS_ROLE_SERVER, error);
}

const MgSdpSession *
mg_peer_get_local(MgPeer *peer)
{
  return peer->server_offered ? peer->offer : peer->answer;
}

char *
mg_peer_answer(MgPeer *peer, MgSdpSession *offer, const MgSdpAnswerPlan *plan, GError **error)
{
  g_autoptr(GPtrArray) cands = NULL;
  MgSdpLocal local;
  local_description(peer, &local, &cands);

  if (!mg_sdp_check_offer(offer, error)) {
    mg_sdp_session_free(offer);
    return NULL;
  }
  MgSdpSession *answer = mg_sdp_answer_new(offer, &local, plan, error);
  if (!answer) {
    mg_sdp_session_free(offer);
    return NULL;
  }
  /* A renegotiation keeps the transport; only the m-lines change. */
  gboolean first = !peer->dtls;
  g_clear_pointer(&peer->offer, mg_sdp_session_free);
  g_clear_pointer(&peer->answer, mg_sdp_session_free);
  peer->offer = offer;
  peer->answer = answer;

  /* Our answer's setup says who sends the ClientHello: active = we do. */
  MgDtlsRole role = peer->answer->setup == MG_SDP_SETUP_ACTIVE ? MG_DTLS_ROLE_CLIENT : MG_DTLS_ROLE_SERVER;
  if (first && !take_remote_transport(peer, offer, role, error))
    return NULL;
  return mg_sdp_to_text(peer->answer);
}

char *
mg_peer_restart_ice(MgPeer *peer, const char *ufrag, const char *pwd, GError **error)
{
  if (!peer->answer || !ufrag || !pwd || strlen(ufrag) < 4 || strlen(pwd) < 22) {
    g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_NO_ICE, "an ICE restart needs the new ice-ufrag and ice-pwd");
    return NULL;
  }
  if (!mg_ice_restart(peer->ice) || !mg_ice_set_remote_credentials(peer->ice, ufrag, pwd)) {
    g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_NO_ICE, "the ICE agent refused the restart");
    return NULL;
  }
  /* RFC 8840 fragment: session-level ICE lines, then the first bundled m-line's mid and candidates. */
  const MgSdpMedia *first = NULL;
  for (guint i = 0; i < peer->answer->media->len && !first; i++) {
    const MgSdpMedia *m = g_ptr_array_index(peer->answer->media, i);
    if (!m->rejected)
      first = m;
  }
  GString *frag = g_string_new("a=ice-lite\r\n");
  g_string_append_printf(frag, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", mg_ice_get_ufrag(peer->ice),
                         mg_ice_get_pwd(peer->ice));
  if (first)
    g_string_append_printf(frag, "m=%s 9 %s 0\r\na=mid:%s\r\n", first->media, first->proto,
                           first->mid ? first->mid : "0");
  g_autoptr(GPtrArray) cands = mg_ice_get_local_candidates(peer->ice);
  for (guint i = 0; i < cands->len; i++)
    g_string_append_printf(frag, "a=%s\r\n", (char *)g_ptr_array_index(cands, i));
  g_string_append(frag, "a=end-of-candidates\r\n");
  g_info("peer %s: ICE restarted", peer->id);
  return g_string_free(frag, FALSE);
}

gboolean
mg_peer_add_candidate(MgPeer *peer, const char *candidate)
{
  if (!candidate) {
    mg_ice_end_of_candidates(peer->ice);
    return TRUE;
  }
  return mg_ice_add_remote_candidate(peer->ice, candidate);
}

static int
send_protected(MgPeer *peer, guint8 *buf, gsize len, gboolean rtcp)
{
  if (!peer->srtp_out || peer->state != MG_PEER_CONNECTED)
    return -ENOTCONN;
  gsize n = len;
  int rc = rtcp ? mg_srtp_protect_rtcp(peer->srtp_out, buf, &n, len + MG_PEER_HEADROOM)
                : mg_srtp_protect_rtp(peer->srtp_out, buf, &n, len + MG_PEER_HEADROOM);
  if (rc < 0) {
    peer->stats.srtp_errors++;
    return rc;
  }
  rc = transport_send(peer, buf, n);
  if (rc < 0) {
    peer->stats.send_errors++;
    return rc;
  }
  peer->stats.packets_out++;
  peer->stats.bytes_out += n;
  return 0;
}

int
mg_peer_send_rtp(MgPeer *peer, guint8 *buf, gsize len)
{
  return send_protected(peer, buf, len, FALSE);
}

int
mg_peer_send_rtcp(MgPeer *peer, guint8 *buf, gsize len)
{
  return send_protected(peer, buf, len, TRUE);
}

void
mg_peer_set_silence_check(MgPeer *peer, gboolean on)
{
  peer->no_silence_check = !on;
}

/* Freed associations leave free but resident pages inside the worker's malloc
 * arena; hand them back to the kernel, at most once a second for the whole
 * process (workers share the flag). */
static gint trim_wanted;
static gint64 next_trim_us;

/* The client has keyed SRTP, so it has our last handshake flight: the
 * OpenSSL association is dead weight from now on. */
static void
release_dtls(MgPeer *peer, gint64 now_us)
{
  if (peer->state != MG_PEER_CONNECTED || !peer->dtls || mg_dtls_is_released(peer->dtls))
    return;
  if (!peer->connected_us) {
    peer->connected_us = now_us;
    return;
  }
  if (!peer->srtp_seen || now_us - peer->connected_us < DTLS_LINGER_US)
    return;
  if (peer->dtls_timer) {
    g_source_destroy(peer->dtls_timer);
    g_clear_pointer(&peer->dtls_timer, g_source_unref);
  }
  if (mg_dtls_release(peer->dtls)) {
    g_debug("peer %s: DTLS association released", peer->id);
    g_atomic_int_set(&trim_wanted, 1);
  }
}

static void
trim_heap(gint64 now_us)
{
  if (!g_atomic_int_get(&trim_wanted) || now_us < __atomic_load_n(&next_trim_us, __ATOMIC_RELAXED))
    return;
  if (!g_atomic_int_compare_and_exchange(&trim_wanted, 1, 0))
    return;
  __atomic_store_n(&next_trim_us, now_us + G_USEC_PER_SEC, __ATOMIC_RELAXED);
  malloc_trim(0);
}

void
mg_peer_tick(MgPeer *peer, gint64 now_us)
{
  if (peer->state >= MG_PEER_FAILED)
    return;
  release_dtls(peer, now_us);
  trim_heap(now_us);
  if (!peer->no_silence_check && now_us - peer->last_recv_us > MG_PEER_SILENCE_US)
    set_state(peer, MG_PEER_FAILED, "no packets from the client for 30 s");
}

void
mg_peer_close(MgPeer *peer, const char *reason)
{
  if (peer->dtls && peer->state == MG_PEER_CONNECTED)
    mg_dtls_close(peer->dtls, g_get_monotonic_time());
  set_state(peer, MG_PEER_CLOSED, reason);
}

/* SPDX-License-Identifier: MIT
 * One emulated WebRTC endpoint of meetgate-load: a full libnice agent, DTLS
 * through media/dtls.c, SRTP through media/srtp.c; publishers send synthetic
 * VP8 and Opus-sized packets, subscribers decrypt and account for them. */
#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <nice/agent.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "media/sdp.h"
#include "tests/bench/load/load.h"

#define PACKET_LEN 1200 /* video RTP packet before SRTP */
#define AUDIO_PAYLOAD 160
#define VIDEO_PT 96
#define AUDIO_PT 111
#define FPS 30
#define KEYFRAME_EVERY 60 /* frames: 2 s */
#define BUF_LEN 1500

static gboolean switch_to_epoll(gpointer data);

static void
on_dtls_send(const guint8 *data, gsize len, gpointer user_data)
{
  LoadClient *c = user_data;
  nice_agent_send(c->agent, c->stream, 1, len, (const gchar *)data);
}

static void
on_dtls_connected(const MgSrtpKeys *keys, gpointer user_data)
{
  LoadClient *c = user_data;
  g_autoptr(GError) error = NULL;
  gsize n = keys->key_len + keys->salt_len;
  c->tx = mg_srtp_new(keys->profile, keys->local, n, MG_SRTP_OUTBOUND, &error);
  if (c->tx)
    c->rx = mg_srtp_new(keys->profile, keys->remote, n, MG_SRTP_INBOUND, &error);
  if (!c->rx) {
    g_printerr("client %u: SRTP: %s\n", c->index, error->message);
    c->failed = TRUE;
    g_atomic_int_inc(&c->load->n_failed);
    return;
  }
  if (!c->load->profile[0])
    g_strlcpy(c->load->profile, mg_srtp_profile_name(keys->profile), sizeof c->load->profile);
  c->connected = TRUE;
  c->t_connected_us = g_get_monotonic_time();
  c->start_us = c->next_frame_us = c->next_audio_us = c->t_connected_us;
  c->want_keyframe = TRUE;
  c->next_rr_us = c->t_connected_us + G_USEC_PER_SEC;
  if (!c->publisher) {
    GSource *idle = g_idle_source_new();
    g_source_set_callback(idle, switch_to_epoll, c, NULL);
    g_source_attach(idle, c->load->ctx);
    g_source_unref(idle);
  }
  g_atomic_int_inc(c->publisher ? &c->load->n_connected_pubs : &c->load->n_connected_subs);
}

static void
on_dtls_failed(const char *reason, gpointer user_data)
{
  LoadClient *c = user_data;
  g_printerr("%s %u: DTLS failed: %s\n", c->publisher ? "publisher" : "subscriber", c->index, reason);
  if (!c->failed)
    g_atomic_int_inc(&c->load->n_failed);
  c->failed = TRUE;
}

static void
handle_rtcp(LoadClient *c, guint8 *buf, gsize len)
{
  if (mg_srtp_unprotect_rtcp(c->rx, buf, &len) != 0) {
    c->bad++;
    return;
  }
  for (gsize off = 0; off + 4 <= len;) {
    guint8 fmt = buf[off] & 0x1f, pt = buf[off + 1];
    gsize plen = 4 * (((gsize)buf[off + 2] << 8 | buf[off + 3]) + 1);
    if (pt == 206 && (fmt == 1 || fmt == 4)) { /* PLI, FIR */
      c->want_keyframe = TRUE;
      c->pli_in++;
    }
    off += plen;
  }
}

static void
account(LoadClient *c, const guint8 *buf, gsize len, gint64 now)
{
  Load *load = c->load;
  if (len < 12)
    return;
  gsize off = 12 + 4 * (buf[0] & 0x0f);
  if ((buf[0] & 0x10) && off + 4 <= len)
    off += 4 + 4 * ((gsize)buf[off + 2] << 8 | buf[off + 3]);
  LoadMark m;
  gboolean found = FALSE;
  for (gsize i = off; i + sizeof m <= len && i < off + 48; i++) {
    guint32 magic;
    memcpy(&magic, buf + i, 4);
    if (magic == LOAD_MAGIC) {
      memcpy(&m, buf + i, sizeof m);
      found = TRUE;
      break;
    }
  }
  if (!found || m.publisher >= load->pubs->len) {
    c->unknown++;
    return;
  }
  c->received++;
  if (!c->t_first_frame_us && m.kind == 1 && m.keyframe) {
    c->t_first_frame_us = now;
    g_atomic_int_inc(&load->n_first_frame);
  }
  LoadClient *pub = g_ptr_array_index(load->pubs, m.publisher);
  gint64 idx = (gint64)(guint32)(m.seq - pub->win_start);
  if (!c->bitmaps || idx >= load->window_cap || (guint32)(m.seq - pub->win_start) > 0x7fffffffu)
    return;
  guint8 *bits = c->bitmaps[m.publisher];
  if (bits[idx / 8] & (1u << (idx % 8)))
    return;
  bits[idx / 8] |= 1u << (idx % 8);
  load_record_latency(load, now - m.sent_us);
}

static void
handle_datagram(LoadClient *c, guint8 *buf, gsize len, gint64 now)
{
  if (mg_dtls_is_dtls_packet(buf, len)) {
    mg_dtls_feed(c->dtls, buf, len, now);
    return;
  }
  if (!c->rx || len < 12 || buf[0] < 128 || buf[0] > 191)
    return;
  if (buf[1] >= 192 && buf[1] <= 223) {
    handle_rtcp(c, buf, len);
    return;
  }
  gsize n = len;
  if (mg_srtp_unprotect_rtp(c->rx, buf, &n) != 0) {
    c->bad++;
    return;
  }
  account(c, buf, n, now);
}

static void
on_recv(NiceAgent *agent, guint stream, guint component, guint len, gchar *data, gpointer user_data)
{
  handle_datagram(user_data, (guint8 *)data, len, g_get_monotonic_time());
}

/* Once connected, a client's datagrams are read by one epoll source for all
 * of them (recvmmsg per socket) instead of one GSource per libnice socket:
 * polling hundreds of sockets per wakeup made the load tool the bottleneck.
 * STUN arriving there is dropped (the servers' keepalives need no answer). */
#define BATCH 32
static gboolean
on_epoll(gint fd, GIOCondition cond, gpointer user_data)
{
  static guint8 bufs[BATCH][BUF_LEN];
  struct epoll_event ev[64];
  int n = epoll_wait(fd, ev, G_N_ELEMENTS(ev), 0);
  for (int i = 0; i < n; i++) {
    LoadClient *c = ev[i].data.ptr;
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    for (;;) {
      for (int k = 0; k < BATCH; k++) {
        iov[k] = (struct iovec){ bufs[k], BUF_LEN };
        msgs[k] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[k], .msg_iovlen = 1 } };
      }
      int got = recvmmsg(c->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
      if (got <= 0)
        break;
      gint64 now = g_get_monotonic_time();
      for (int k = 0; k < got; k++)
        handle_datagram(c, bufs[k], msgs[k].msg_len, now);
      if (got < BATCH)
        break;
    }
  }
  return G_SOURCE_CONTINUE;
}

static gboolean
switch_to_epoll(gpointer data)
{
  LoadClient *c = data;
  Load *load = c->load;
  GSocket *sock = nice_agent_get_selected_socket(c->agent, c->stream, 1);
  if (!sock)
    return G_SOURCE_REMOVE; /* stays on libnice's receive path */
  if (load->epoll_fd < 0) {
    load->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    GSource *src = g_unix_fd_source_new(load->epoll_fd, G_IO_IN);
    g_source_set_callback(src, (GSourceFunc)(void (*)(void))on_epoll, NULL, NULL);
    g_source_attach(src, load->ctx);
    g_source_unref(src);
  }
  c->sock = sock;
  c->fd = g_socket_get_fd(sock);
  nice_agent_attach_recv(c->agent, c->stream, 1, load->ctx, NULL, NULL);
  struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
  epoll_ctl(load->epoll_fd, EPOLL_CTL_ADD, c->fd, &ev);
  return G_SOURCE_REMOVE;
}

static void
on_state(NiceAgent *agent, guint stream, guint component, guint state, gpointer user_data)
{
  LoadClient *c = user_data;
  if ((state == NICE_COMPONENT_STATE_CONNECTED || state == NICE_COMPONENT_STATE_READY) && !c->ice_up) {
    c->ice_up = TRUE;
    mg_dtls_start(c->dtls, g_get_monotonic_time());
  } else if (state == NICE_COMPONENT_STATE_FAILED && !c->failed) {
    g_printerr("%s %u: ICE failed\n", c->publisher ? "publisher" : "subscriber", c->index);
    c->failed = TRUE;
    g_atomic_int_inc(&c->load->n_failed);
  }
}

LoadClient *
load_client_new(Load *load, guint index, gboolean publisher, GError **error)
{
  LoadClient *c = g_new0(LoadClient, 1);
  c->load = load;
  c->index = index;
  c->publisher = publisher;
  /* Whoever offers controls ICE: always us, but for Janus subscribers. */
  c->controlling = publisher || load->target == LOAD_TARGET_MEETGATE;
  c->video_ssrc = g_random_int();
  c->audio_ssrc = g_random_int();
  c->video_rtp_seq = g_random_int();
  c->audio_rtp_seq = g_random_int();
  c->picture_id = g_random_int() & 0x7fff;
  NiceAgent *agent = nice_agent_new_full(load->ctx, NICE_COMPATIBILITY_RFC5245, NICE_AGENT_OPTION_NONE);
  c->agent = agent;
  g_object_set(agent, "controlling-mode", c->controlling, "upnp", FALSE, "ice-tcp", FALSE, NULL);
  NiceAddress addr;
  nice_address_init(&addr);
  nice_address_set_from_string(&addr, "127.0.0.1");
  nice_agent_add_local_address(agent, &addr);
  c->stream = nice_agent_add_stream(agent, 1);
  g_signal_connect(agent, "component-state-changed", G_CALLBACK(on_state), c);
  if (!nice_agent_gather_candidates(agent, c->stream)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot gather ICE candidates");
    load_client_free(c);
    return NULL;
  }
  nice_agent_attach_recv(agent, c->stream, 1, load->ctx, on_recv, c);
  return c;
}

void
load_client_free(LoadClient *c)
{
  if (!c)
    return;
  if (c->sock) {
    epoll_ctl(c->load->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    g_object_unref(c->sock);
  }
  if (c->agent) {
    g_signal_handlers_disconnect_by_data(c->agent, c);
    nice_agent_attach_recv(c->agent, c->stream, 1, c->load->ctx, NULL, NULL);
    g_object_unref(c->agent);
  }
  mg_dtls_free(c->dtls);
  mg_srtp_free(c->tx);
  mg_srtp_free(c->rx);
  for (guint i = 0; c->bitmaps && i < c->load->pubs->len; i++)
    g_free(c->bitmaps[i]);
  g_free(c->bitmaps);
  g_free(c->local_sdp);
  g_free(c->remote_sdp);
  g_free(c->resource);
  g_free(c);
}

/* ICE and DTLS attributes of one m-line; candidates only in the first. */
static void
append_transport(LoadClient *c, GString *s, gboolean first, const char *setup)
{
  g_autofree char *ufrag = NULL, *pwd = NULL;
  nice_agent_get_local_credentials(c->agent, c->stream, &ufrag, &pwd);
  g_string_append_printf(s, "c=IN IP4 127.0.0.1\r\na=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", ufrag, pwd);
  g_string_append_printf(s, "a=fingerprint:sha-256 %s\r\na=setup:%s\r\na=rtcp-mux\r\n",
                         mg_dtls_cert_get_fingerprint(c->load->cert), setup);
  if (!first)
    return;
  GSList *cands = nice_agent_get_local_candidates(c->agent, c->stream, 1);
  for (GSList *l = cands; l; l = l->next) {
    g_autofree char *line = nice_agent_generate_local_candidate_sdp(c->agent, l->data);
    g_string_append_printf(s, "%s\r\n", line);
  }
  g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
  g_string_append(s, "a=end-of-candidates\r\n");
}

static GString *
sdp_head(guint nmids)
{
  GString *s = g_string_new(NULL);
  g_string_append_printf(s, "v=0\r\no=- %u 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE", g_random_int());
  for (guint i = 0; i < nmids; i++)
    g_string_append_printf(s, " %u", i);
  g_string_append(s, "\r\n");
  return s;
}

void
load_client_make_offer(LoadClient *c)
{
  guint n = c->publisher ? 1 : c->load->publishers;
  GString *s = sdp_head(2 * n);
  for (guint i = 0; i < 2 * n; i++) {
    gboolean video = i % 2;
    g_string_append_printf(s, "m=%s 9 UDP/TLS/RTP/SAVPF %u\r\n", video ? "video" : "audio",
                           video ? VIDEO_PT : AUDIO_PT);
    append_transport(c, s, i == 0, "actpass");
    g_string_append_printf(s, "a=mid:%u\r\na=%s\r\n", i, c->publisher ? "sendonly" : "recvonly");
    if (video)
      g_string_append_printf(s, "a=rtpmap:%u VP8/90000\r\na=rtcp-fb:%u nack pli\r\na=rtcp-fb:%u ccm fir\r\n", VIDEO_PT,
                             VIDEO_PT, VIDEO_PT);
    else
      g_string_append_printf(s, "a=rtpmap:%u opus/48000/2\r\n", AUDIO_PT);
    if (c->publisher)
      g_string_append_printf(s, "a=ssrc:%u cname:load%u\r\na=msid:load%u %s%u\r\n",
                             video ? c->video_ssrc : c->audio_ssrc, c->index, c->index, video ? "v" : "a", c->index);
  }
  g_free(c->local_sdp);
  c->local_sdp = g_string_free(s, FALSE);
}

gboolean
load_client_make_answer(LoadClient *c, GError **error)
{
  g_autoptr(MgSdpSession) offer = mg_sdp_parse(c->remote_sdp, error);
  if (!offer)
    return FALSE;
  GString *s = sdp_head(0);
  g_string_truncate(s, s->len - 2);
  for (guint i = 0; i < offer->media->len; i++) {
    const MgSdpMedia *m = g_ptr_array_index(offer->media, i);
    if (m->mid && !m->rejected && m->kind != MG_SDP_KIND_APPLICATION)
      g_string_append_printf(s, " %s", m->mid);
  }
  g_string_append(s, "\r\n");
  gboolean first = TRUE;
  for (guint i = 0; i < offer->media->len; i++) {
    const MgSdpMedia *m = g_ptr_array_index(offer->media, i);
    const MgSdpCodec *codec = m->codecs && m->codecs->len ? &g_array_index(m->codecs, MgSdpCodec, 0) : NULL;
    if (m->rejected || !codec || m->kind == MG_SDP_KIND_APPLICATION) {
      g_string_append_printf(s, "m=%s 0 %s %s\r\nc=IN IP4 0.0.0.0\r\n", m->media, m->proto,
                             m->formats->len ? (char *)g_ptr_array_index(m->formats, 0) : "0");
      if (m->mid)
        g_string_append_printf(s, "a=mid:%s\r\n", m->mid);
      continue;
    }
    g_string_append_printf(s, "m=%s 9 %s %u\r\n", m->media, m->proto, codec->pt);
    append_transport(c, s, first, "active");
    first = FALSE;
    g_string_append_printf(s, "a=mid:%s\r\na=recvonly\r\na=rtpmap:%u %s/%u%s\r\n", m->mid, codec->pt,
                           codec->name ? codec->name : "VP8", codec->clock_rate, codec->channels == 2 ? "/2" : "");
    if (m->kind == MG_SDP_KIND_VIDEO)
      g_string_append_printf(s, "a=rtcp-fb:%u nack pli\r\na=rtcp-fb:%u ccm fir\r\n", codec->pt, codec->pt);
  }
  g_free(c->local_sdp);
  c->local_sdp = g_string_free(s, FALSE);
  return TRUE;
}

gboolean
load_client_apply_remote(LoadClient *c, GError **error)
{
  g_autoptr(MgSdpSession) sdp = mg_sdp_parse(c->remote_sdp, error);
  if (!sdp)
    return FALSE;
  if (!sdp->ice_ufrag || !sdp->ice_pwd || !sdp->fingerprint) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "remote SDP lacks ICE credentials or a fingerprint");
    return FALSE;
  }
  /* The answerer's setup:active makes it the DTLS client; we are the client otherwise. */
  MgSdpSetup setup = sdp->setup;
  for (guint i = 0; setup == MG_SDP_SETUP_NONE && i < sdp->media->len; i++)
    setup = ((MgSdpMedia *)g_ptr_array_index(sdp->media, i))->setup;
  MgDtlsRole role = setup == MG_SDP_SETUP_ACTIVE ? MG_DTLS_ROLE_SERVER : MG_DTLS_ROLE_CLIENT;
  const MgDtlsCallbacks cb = { on_dtls_send, on_dtls_connected, on_dtls_failed, NULL };
  c->dtls = mg_dtls_new(c->load->cert, role, &cb, c);
  if (!mg_dtls_set_remote_fingerprint(c->dtls, sdp->fingerprint_hash, sdp->fingerprint, error))
    return FALSE;
  nice_agent_set_remote_credentials(c->agent, c->stream, sdp->ice_ufrag, sdp->ice_pwd);
  GSList *list = NULL;
  for (guint i = 0; i < sdp->candidates->len; i++) {
    const MgSdpCandidate *cand = &g_array_index(sdp->candidates, MgSdpCandidate, i);
    g_autofree char *line = g_strconcat("a=candidate:", cand->value, NULL);
    NiceCandidate *nc = nice_agent_parse_remote_candidate_sdp(c->agent, c->stream, line);
    if (nc && nc->transport == NICE_CANDIDATE_TRANSPORT_UDP)
      list = g_slist_append(list, nc);
    else if (nc)
      nice_candidate_free(nc);
  }
  int added = list ? nice_agent_set_remote_candidates(c->agent, c->stream, 1, list) : 0;
  g_slist_free_full(list, (GDestroyNotify)nice_candidate_free);
  nice_agent_peer_candidate_gathering_done(c->agent, c->stream);
  if (added <= 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "no usable UDP candidate in the remote SDP");
    return FALSE;
  }
  return TRUE;
}

static void
send_rtp(LoadClient *c, guint8 *buf, gsize len)
{
  if (mg_srtp_protect_rtp(c->tx, buf, &len, BUF_LEN) == 0 &&
      nice_agent_send(c->agent, c->stream, 1, len, (const gchar *)buf) == (gint)len)
    c->sent++;
}

static gsize
rtp_header(guint8 *buf, gboolean marker, guint8 pt, guint16 seq, guint32 ts, guint32 ssrc)
{
  buf[0] = 0x80;
  buf[1] = (marker ? 0x80 : 0) | pt;
  buf[2] = seq >> 8;
  buf[3] = seq;
  buf[4] = ts >> 24;
  buf[5] = ts >> 16;
  buf[6] = ts >> 8;
  buf[7] = ts;
  buf[8] = ssrc >> 24;
  buf[9] = ssrc >> 16;
  buf[10] = ssrc >> 8;
  buf[11] = ssrc;
  return 12;
}

static gsize
put_mark(LoadClient *c, guint8 *p, guint8 kind, gboolean keyframe, gint64 now)
{
  LoadMark m = { LOAD_MAGIC, c->index, kind, keyframe, c->seq++, now };
  memcpy(p, &m, sizeof m);
  return sizeof m;
}

static void
send_frame(LoadClient *c, gint64 now)
{
  double rate = c->load->bitrate / (8.0 * PACKET_LEN); /* packets per second */
  guint n = (guint)((c->frame + 1) * rate / FPS) - (guint)(c->frame * rate / FPS);
  gboolean key = c->want_keyframe || c->frame % KEYFRAME_EVERY == 0;
  guint32 ts = c->frame * (90000 / FPS);
  guint8 buf[BUF_LEN];
  n = MAX(n, 1);
  for (guint i = 0; i < n; i++) {
    memset(buf, 0, PACKET_LEN);
    gsize off = rtp_header(buf, i == n - 1, VIDEO_PT, c->video_rtp_seq++, ts, c->video_ssrc);
    buf[off++] = i == 0 ? 0x90 : 0x80; /* X, S on the frame's first packet, PID 0 */
    buf[off++] = 0x80;                 /* I: a PictureID follows */
    buf[off++] = 0x80 | (c->picture_id >> 8);
    buf[off++] = c->picture_id;
    if (i == 0 && key) {
      static const guint8 tag[] = { 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01 };
      memcpy(buf + off, tag, sizeof tag); /* P clear, start code, 640x480 */
      off += sizeof tag;
    } else if (i == 0) {
      static const guint8 tag[] = { 0x11, 0x02, 0x00 };
      memcpy(buf + off, tag, sizeof tag);
      off += sizeof tag;
    }
    put_mark(c, buf + off, 1, i == 0 && key, now);
    send_rtp(c, buf, PACKET_LEN);
  }
  if (key)
    c->want_keyframe = FALSE;
  c->picture_id = (c->picture_id + 1) & 0x7fff;
  c->frame++;
}

static void
send_audio(LoadClient *c, gint64 now)
{
  guint8 buf[BUF_LEN];
  memset(buf, 0, 12 + AUDIO_PAYLOAD);
  gsize off =
      rtp_header(buf, FALSE, AUDIO_PT, c->audio_rtp_seq++, (guint32)((now - c->start_us) / 1000 * 48), c->audio_ssrc);
  put_mark(c, buf + off, 0, FALSE, now);
  send_rtp(c, buf, 12 + AUDIO_PAYLOAD);
}

/* An empty receiver report: SRTCP that tells the server we are still here. */
static void
send_rr(LoadClient *c)
{
  guint8 buf[BUF_LEN] = { 0x80, 201, 0, 1 };
  guint32 ssrc = g_htonl(c->audio_ssrc);
  memcpy(buf + 4, &ssrc, 4);
  gsize len = 8;
  if (mg_srtp_protect_rtcp(c->tx, buf, &len, BUF_LEN) == 0)
    nice_agent_send(c->agent, c->stream, 1, len, (const gchar *)buf);
}

void
load_client_tick(LoadClient *c, gint64 now)
{
  if (c->dtls && mg_dtls_get_state(c->dtls) == MG_DTLS_STATE_HANDSHAKING) {
    gint64 due = mg_dtls_next_timeout(c->dtls);
    if (due >= 0 && now >= due)
      mg_dtls_handle_timeout(c->dtls, now);
  }
  if (c->connected && now >= c->next_rr_us) {
    send_rr(c);
    c->next_rr_us = now + G_USEC_PER_SEC;
  }
  if (!c->publisher || !c->connected)
    return;
  if (now - c->next_frame_us > G_USEC_PER_SEC) /* we were stalled: do not burst */
    c->next_frame_us = c->next_audio_us = now;
  for (; now >= c->next_frame_us; c->next_frame_us += G_USEC_PER_SEC / FPS)
    send_frame(c, now);
  for (; now >= c->next_audio_us; c->next_audio_us += 20000)
    send_audio(c, now);
}

void
load_client_window_start(LoadClient *c)
{
  Load *load = c->load;
  if (c->publisher) {
    c->win_start = c->win_end = c->seq;
    return;
  }
  c->bitmaps = g_new0(guint8 *, load->pubs->len);
  for (guint i = 0; i < load->pubs->len; i++)
    c->bitmaps[i] = g_malloc0(load->window_cap / 8 + 1);
}

void
load_client_window_end(LoadClient *c)
{
  if (c->publisher)
    c->win_end = c->seq;
}

void
load_record_latency(Load *load, gint64 us)
{
  gint64 b = us < 0 ? 0 : us / LOAD_HIST_BUCKET_US;
  load->hist[MIN(b, LOAD_HIST_N)]++;
  load->hist_n++;
}

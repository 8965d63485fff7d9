/* SPDX-License-Identifier: MIT
 * SDP writer: MgSdpSession to text through GstSDPMessage. Transport
 * attributes are written on every m-line (as JSEP does); candidates go on the
 * m-line they belong to. */
#define G_LOG_DOMAIN "sdp"
#include "media/sdp-private.h"

#include <gst/sdp/gstsdpmessage.h>

static const char *const feedback_names[] = { "nack", "nack pli", "ccm fir", "goog-remb", "transport-cc" };

static void
add_attr(GstSDPMedia *gm, const char *key, const char *value)
{
  gst_sdp_media_add_attribute(gm, key, value);
}

static void
write_codec(GstSDPMedia *gm, const MgSdpCodec *c)
{
  if (c->name) {
    g_autofree char *rtpmap = c->channels ? g_strdup_printf("%u %s/%u/%u", c->pt, c->name, c->clock_rate, c->channels)
                                          : g_strdup_printf("%u %s/%u", c->pt, c->name, c->clock_rate);
    add_attr(gm, "rtpmap", rtpmap);
  }
  for (guint b = 0; b < G_N_ELEMENTS(feedback_names); b++) {
    if (c->rtcp_fb & (1u << b)) {
      g_autofree char *fb = g_strdup_printf("%u %s", c->pt, feedback_names[b]);
      add_attr(gm, "rtcp-fb", fb);
    }
  }
  if (c->fmtp) {
    g_autofree char *fmtp = g_strdup_printf("%u %s", c->pt, c->fmtp);
    add_attr(gm, "fmtp", fmtp);
  }
}

static void
write_simulcast(GstSDPMedia *gm, const MgSdpMedia *m)
{
  g_autofree char *send = m->simulcast_send ? g_strjoinv(";", m->simulcast_send) : NULL;
  g_autofree char *recv = m->simulcast_recv ? g_strjoinv(";", m->simulcast_recv) : NULL;
  g_autofree char *value = NULL;
  if (send && recv)
    value = g_strdup_printf("send %s recv %s", send, recv);
  else if (send || recv)
    value = g_strdup_printf("%s %s", send ? "send" : "recv", send ? send : recv);
  if (value)
    add_attr(gm, "simulcast", value);
}

static void
write_ssrcs(GstSDPMedia *gm, const MgSdpMedia *m)
{
  for (guint i = 0; i < m->fids->len; i++) {
    const MgSdpFid *f = &g_array_index(m->fids, MgSdpFid, i);
    g_autofree char *v = g_strdup_printf("FID %u %u", f->media, f->rtx);
    add_attr(gm, "ssrc-group", v);
  }
  for (guint i = 0; i < m->ssrcs->len; i++) {
    const MgSdpSsrc *s = &g_array_index(m->ssrcs, MgSdpSsrc, i);
    g_autofree char *cname = s->cname ? g_strdup_printf("%u cname:%s", s->ssrc, s->cname) : NULL;
    g_autofree char *msid = s->msid ? g_strdup_printf("%u msid:%s", s->ssrc, s->msid) : NULL;
    if (cname)
      add_attr(gm, "ssrc", cname);
    if (msid)
      add_attr(gm, "ssrc", msid);
  }
}

static void
write_transport(GstSDPMedia *gm, const MgSdpSession *s)
{
  g_autofree char *fp = s->fingerprint ? g_strdup_printf("%s %s", s->fingerprint_hash, s->fingerprint) : NULL;
  if (s->ice_ufrag)
    add_attr(gm, "ice-ufrag", s->ice_ufrag);
  if (s->ice_pwd)
    add_attr(gm, "ice-pwd", s->ice_pwd);
  if (s->ice_trickle)
    add_attr(gm, "ice-options", "trickle");
  if (fp)
    add_attr(gm, "fingerprint", fp);
  if (s->setup != MG_SDP_SETUP_NONE)
    add_attr(gm, "setup", mg_sdp_setup_to_string(s->setup));
}

static void
write_rtp(GstSDPMedia *gm, const MgSdpMedia *m)
{
  for (guint i = 0; i < m->extmaps->len; i++) {
    const MgSdpExtmap *e = &g_array_index(m->extmaps, MgSdpExtmap, i);
    g_autofree char *v = g_strdup_printf("%u %s", e->id, e->uri);
    add_attr(gm, "extmap", v);
  }
  for (guint i = 0; i < m->codecs->len; i++)
    write_codec(gm, &g_array_index(m->codecs, MgSdpCodec, i));
  for (guint i = 0; i < m->rids->len; i++) {
    const MgSdpRid *r = &g_array_index(m->rids, MgSdpRid, i);
    const char *dir = r->direction == MG_SDP_DIRECTION_SENDONLY ? "send" : "recv";
    g_autofree char *v =
        r->params ? g_strdup_printf("%s %s %s", r->id, dir, r->params) : g_strdup_printf("%s %s", r->id, dir);
    add_attr(gm, "rid", v);
  }
  write_simulcast(gm, m);
  write_ssrcs(gm, m);
}

static void
write_formats(GstSDPMedia *gm, const MgSdpMedia *m)
{
  if (!m->rejected && m->codecs->len) {
    for (guint i = 0; i < m->codecs->len; i++) {
      g_autofree char *pt = g_strdup_printf("%u", g_array_index(m->codecs, MgSdpCodec, i).pt);
      gst_sdp_media_add_format(gm, pt);
    }
  } else if (m->formats->len) {
    for (guint i = 0; i < m->formats->len; i++)
      gst_sdp_media_add_format(gm, m->formats->pdata[i]);
  } else {
    gst_sdp_media_add_format(gm, "0");
  }
}

static void
write_media(GstSDPMessage *msg, const MgSdpSession *s, const MgSdpMedia *m)
{
  GstSDPMedia gm = { 0 }; /* init frees what it finds */
  gst_sdp_media_init(&gm);
  gst_sdp_media_set_media(&gm, m->media ? m->media : mg_sdp_kind_to_string(m->kind));
  gst_sdp_media_set_port_info(&gm, m->rejected ? 0 : m->port, 0);
  gst_sdp_media_set_proto(&gm, m->proto ? m->proto : "UDP/TLS/RTP/SAVPF");
  write_formats(&gm, m);
  gst_sdp_media_add_connection(&gm, "IN", "IP4", "0.0.0.0", 0, 0);
  if (m->mid)
    add_attr(&gm, "mid", m->mid);
  if (m->rejected) {
    add_attr(&gm, "inactive", NULL);
    gst_sdp_message_add_media(msg, &gm); /* takes the contents of gm */
    return;
  }
  write_transport(&gm, s);
  add_attr(&gm, mg_sdp_direction_to_string(m->direction), NULL);
  if (m->msid)
    add_attr(&gm, "msid", m->msid);
  if (m->rtcp_mux)
    add_attr(&gm, "rtcp-mux", NULL);
  if (m->rtcp_rsize)
    add_attr(&gm, "rtcp-rsize", NULL);
  write_rtp(&gm, m);
  for (guint i = 0; i < s->candidates->len; i++) {
    const MgSdpCandidate *c = &g_array_index(s->candidates, MgSdpCandidate, i);
    if (c->mline == m->index)
      add_attr(&gm, "candidate", c->value);
  }
  if (m->end_of_candidates)
    add_attr(&gm, "end-of-candidates", NULL);
  gst_sdp_message_add_media(msg, &gm);
}

char *
mg_sdp_to_text(const MgSdpSession *session)
{
  GstSDPMessage *msg = NULL;
  g_autofree char *sess_id = g_strdup_printf("%" G_GUINT64_FORMAT, session->session_id);
  g_autofree char *sess_version = g_strdup_printf("%" G_GUINT64_FORMAT, session->session_version);
  g_autofree char *bundle = session->bundle ? g_strjoinv(" ", session->bundle) : NULL;
  g_autofree char *group = bundle ? g_strdup_printf("BUNDLE %s", bundle) : NULL;

  gst_sdp_message_new(&msg);
  gst_sdp_message_set_version(msg, "0");
  gst_sdp_message_set_origin(msg, "-", sess_id, sess_version, "IN", "IP4", "127.0.0.1");
  gst_sdp_message_set_session_name(msg, "-");
  gst_sdp_message_add_time(msg, "0", "0", NULL);
  if (group)
    gst_sdp_message_add_attribute(msg, "group", group);
  if (session->ice_lite)
    gst_sdp_message_add_attribute(msg, "ice-lite", NULL);
  if (session->extmap_allow_mixed)
    gst_sdp_message_add_attribute(msg, "extmap-allow-mixed", NULL);
  gst_sdp_message_add_attribute(msg, "msid-semantic", " WMS *");
  for (guint i = 0; i < session->media->len; i++)
    write_media(msg, session, session->media->pdata[i]);
  char *text = gst_sdp_message_as_text(msg);
  gst_sdp_message_free(msg);
  return text;
}

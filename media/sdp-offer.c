/* SPDX-License-Identifier: MIT
 * The offering side: the server's offer to a subscriber (one sendonly m-line
 * per track, renegotiated as tracks come and go) and the check of the answer. */
#define G_LOG_DOMAIN "sdp"
#include "media/sdp-private.h"

#include <string.h>

/* Our payload types (Chromium's numbers, so a client cache stays warm). */
static const struct {
  MgSdpCodecId id;
  MgSdpKind kind;
  guint8 pt, rtx_pt; /* rtx_pt 0 = none */
  const char *name;
  guint clock_rate, channels;
  const char *fmtp;
  guint rtcp_fb;
} our_codecs[] = {
  { MG_SDP_CODEC_OPUS, MG_SDP_KIND_AUDIO, 111, 0, "opus", 48000, 2, "minptime=10;useinbandfec=1", 0 },
  { MG_SDP_CODEC_VP8, MG_SDP_KIND_VIDEO, 96, 97, "VP8", 90000, 0, NULL, MG_SDP_FB_HONOURED },
  { MG_SDP_CODEC_VP9, MG_SDP_KIND_VIDEO, 98, 99, "VP9", 90000, 0, "profile-id=0", MG_SDP_FB_HONOURED },
  { MG_SDP_CODEC_H264, MG_SDP_KIND_VIDEO, 102, 103, "H264", 90000, 0,
    "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f", MG_SDP_FB_HONOURED },
};

/* One id per extension for every m-line, as BUNDLE requires. */
static const struct {
  MgSdpExt ext;
  guint id;
  guint kinds; /* 1 << MgSdpKind */
} our_extmaps[] = {
  { MG_SDP_EXT_AUDIO_LEVEL, 1, 1 << MG_SDP_KIND_AUDIO },
  { MG_SDP_EXT_ABS_SEND_TIME, 2, 1 << MG_SDP_KIND_VIDEO },
  { MG_SDP_EXT_MID, 4, 1 << MG_SDP_KIND_AUDIO | 1 << MG_SDP_KIND_VIDEO },
};

static gint
our_codec(const MgSdpTrack *t)
{
  for (guint i = 0; i < G_N_ELEMENTS(our_codecs); i++)
    if (our_codecs[i].id == t->codec && our_codecs[i].kind == t->kind)
      return i;
  return -1;
}

static gboolean
offer_track(MgSdpMedia *m, const MgSdpTrack *t, GError **error)
{
  gint c = our_codec(t);
  if (c < 0 || (!t->ended && (!t->ssrc || !t->cname || !t->msid))) {
    g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_INVALID_ARGUMENT,
                "track %u: needs audio/opus or video/VP8|VP9|H264, and (unless ended) an ssrc, a cname and an msid",
                m->index);
    return FALSE;
  }
  m->media = g_strdup(mg_sdp_kind_to_string(t->kind));
  m->proto = g_strdup("UDP/TLS/RTP/SAVPF");
  m->mid = g_strdup_printf("%u", m->index);
  mg_sdp_media_add_codec(m, our_codecs[c].pt, our_codecs[c].name, our_codecs[c].clock_rate, our_codecs[c].channels,
                         our_codecs[c].fmtp, our_codecs[c].rtcp_fb);
  if (our_codecs[c].rtx_pt) {
    g_autofree char *apt = g_strdup_printf("apt=%u", our_codecs[c].pt);
    mg_sdp_media_add_codec(m, our_codecs[c].rtx_pt, "rtx", our_codecs[c].clock_rate, 0, apt, 0);
  }
  mg_sdp_media_link_rtx(m);
  for (guint i = 0; i < G_N_ELEMENTS(our_extmaps); i++)
    if (our_extmaps[i].kinds & (1u << t->kind))
      mg_sdp_media_add_extmap(m, our_extmaps[i].id, mg_sdp_ext_uri(our_extmaps[i].ext));
  mg_sdp_media_index_extmaps(m);
  m->port = 9;
  m->rtcp_mux = m->rtcp_rsize = TRUE;
  /* An ended track's m-line stays in the BUNDLE, inactive: a later track of
   * the same kind reuses it (a rejected, port 0 m-line could only come back
   * under a new mid, and an offer whose m-lines are all rejected has an empty
   * BUNDLE group that browsers refuse). */
  if (t->ended) {
    m->direction = MG_SDP_DIRECTION_INACTIVE;
    return TRUE;
  }
  m->direction = MG_SDP_DIRECTION_SENDONLY;
  m->msid = g_strdup(t->msid);
  mg_sdp_media_add_ssrc(m, t->ssrc, t->cname, t->msid);
  if (t->rtx_ssrc && our_codecs[c].rtx_pt) {
    mg_sdp_media_add_ssrc(m, t->rtx_ssrc, t->cname, t->msid);
    mg_sdp_media_add_fid(m, t->ssrc, t->rtx_ssrc);
  }
  return TRUE;
}

MgSdpSession *
mg_sdp_offer_new(const MgSdpLocal *local, const MgSdpTrack *tracks, guint n_tracks, GError **error)
{
  g_autoptr(MgSdpSession) offer = mg_sdp_session_new();
  if (!local || !local->ice_ufrag || !local->ice_pwd || !local->fingerprint || !local->fingerprint_hash) {
    g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_INVALID_ARGUMENT,
                "local description needs ice ufrag/pwd and a fingerprint");
    return NULL;
  }
  for (guint i = 0; i < n_tracks; i++)
    if (!offer_track(mg_sdp_session_add_media(offer, tracks[i].kind), &tracks[i], error))
      return NULL;
  mg_sdp_session_set_local(offer, local, MG_SDP_SETUP_ACTPASS);
  return g_steal_pointer(&offer);
}

/* ---- the client's answer ---- */

static gboolean
check_answer_media(const MgSdpMedia *om, const MgSdpMedia *am, GError **error)
{
  char d[96];
  const MgSdpCodec *ac, *oc;
  mg_sdp_media_describe(am, d, sizeof d);
  if (om->kind != am->kind || g_strcmp0(om->mid, am->mid) != 0) {
    g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_MISMATCH, "the answer's %s does not match our m-line (%s, mid %s)", d,
                om->media, om->mid);
    return FALSE;
  }
  if (om->rejected || am->rejected)
    return TRUE; /* a client may refuse a track; the rest goes on */
  if (!(ac = mg_sdp_media_get_codec(am)) || !(oc = mg_sdp_media_find_codec(om, ac->pt)) || oc->id != ac->id ||
      oc->clock_rate != ac->clock_rate) {
    g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_NO_CODEC, "the answer's %s accepts no codec we offered", d);
    return FALSE;
  }
  if (am->direction != MG_SDP_DIRECTION_RECVONLY && am->direction != MG_SDP_DIRECTION_INACTIVE) {
    g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_MISMATCH, "the answer's %s says a=%s to our a=sendonly", d,
                mg_sdp_direction_to_string(am->direction));
    return FALSE;
  }
  return TRUE;
}

MgSdpSession *
mg_sdp_apply_answer(const MgSdpSession *offer, const char *answer_text, GError **error)
{
  g_autoptr(MgSdpSession) answer = mg_sdp_parse(answer_text, error);
  if (!answer || !mg_sdp_check_transport(answer, "answer", error))
    return NULL;
  if (answer->setup != MG_SDP_SETUP_ACTIVE) {
    g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_SETUP,
                "the answer says a=setup:%s; we are the DTLS server, so it must say a=setup:active",
                answer->setup ? mg_sdp_setup_to_string(answer->setup) : "(none)");
    return NULL;
  }
  if (answer->media->len != offer->media->len) {
    g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_MISMATCH, "the answer has %u m-lines; our offer has %u",
                answer->media->len, offer->media->len);
    return NULL;
  }
  for (guint i = 0; i < offer->media->len; i++)
    if (!check_answer_media(offer->media->pdata[i], answer->media->pdata[i], error))
      return NULL;
  if (!mg_sdp_check_bundle(answer, "answer", error))
    return NULL;
  return g_steal_pointer(&answer);
}

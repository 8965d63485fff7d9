/* SPDX-License-Identifier: MIT
 * The SDP description model (MgSdpSession / MgSdpMedia): construction, lookup
 * and codec classification. Parsing is in sdp-parse.c, writing in sdp-write.c. */
#define G_LOG_DOMAIN "sdp"
#include "media/sdp-private.h"

#include <string.h>

G_DEFINE_QUARK(mg - sdp - error - quark, mg_sdp_error)

static const char *const ext_uris[MG_SDP_EXT_N] = {
  [MG_SDP_EXT_MID] = "urn:ietf:params:rtp-hdrext:sdes:mid",
  [MG_SDP_EXT_RID] = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
  [MG_SDP_EXT_REPAIRED_RID] = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
  [MG_SDP_EXT_ABS_SEND_TIME] = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
  [MG_SDP_EXT_TRANSPORT_CC] = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
  [MG_SDP_EXT_AUDIO_LEVEL] = "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
};

const char *
mg_sdp_ext_uri(MgSdpExt ext)
{
  g_return_val_if_fail(ext < MG_SDP_EXT_N, NULL);
  return ext_uris[ext];
}

/* ---- model ---- */

static void
codec_clear(gpointer p)
{
  MgSdpCodec *c = p;
  g_free(c->name);
  g_free(c->fmtp);
}

static void
extmap_clear(gpointer p)
{
  g_free(((MgSdpExtmap *)p)->uri);
}

static void
rid_clear(gpointer p)
{
  MgSdpRid *r = p;
  g_free(r->id);
  g_free(r->params);
}

static void
ssrc_clear(gpointer p)
{
  MgSdpSsrc *s = p;
  g_free(s->cname);
  g_free(s->msid);
}

static void
candidate_clear(gpointer p)
{
  g_free(((MgSdpCandidate *)p)->value);
}

static GArray *
array_new(guint size, GDestroyNotify clear)
{
  GArray *a = g_array_new(FALSE, TRUE, size);
  if (clear)
    g_array_set_clear_func(a, clear);
  return a;
}

static void
media_free(gpointer p)
{
  MgSdpMedia *m = p;
  g_free(m->media);
  g_free(m->proto);
  g_ptr_array_unref(m->formats);
  g_free(m->mid);
  g_free(m->ice_ufrag);
  g_free(m->ice_pwd);
  g_free(m->fingerprint_hash);
  g_free(m->fingerprint);
  g_array_unref(m->codecs);
  g_array_unref(m->extmaps);
  g_array_unref(m->rids);
  g_strfreev(m->simulcast_send);
  g_strfreev(m->simulcast_recv);
  g_array_unref(m->ssrcs);
  g_array_unref(m->fids);
  g_free(m->msid);
  g_free(m);
}

MgSdpSession *
mg_sdp_session_new(void)
{
  MgSdpSession *s = g_new0(MgSdpSession, 1);
  s->candidates = array_new(sizeof(MgSdpCandidate), candidate_clear);
  s->media = g_ptr_array_new_with_free_func(media_free);
  return s;
}

MgSdpMedia *
mg_sdp_session_add_media(MgSdpSession *session, MgSdpKind kind)
{
  MgSdpMedia *m = g_new0(MgSdpMedia, 1);
  m->index = session->media->len;
  m->kind = kind;
  m->formats = g_ptr_array_new_with_free_func(g_free);
  m->codecs = array_new(sizeof(MgSdpCodec), codec_clear);
  m->extmaps = array_new(sizeof(MgSdpExtmap), extmap_clear);
  m->rids = array_new(sizeof(MgSdpRid), rid_clear);
  m->ssrcs = array_new(sizeof(MgSdpSsrc), ssrc_clear);
  m->fids = array_new(sizeof(MgSdpFid), NULL);
  g_ptr_array_add(session->media, m);
  return m;
}

void
mg_sdp_session_free(MgSdpSession *session)
{
  if (!session)
    return;
  g_free(session->ice_ufrag);
  g_free(session->ice_pwd);
  g_free(session->fingerprint_hash);
  g_free(session->fingerprint);
  g_strfreev(session->bundle);
  g_array_unref(session->candidates);
  g_ptr_array_unref(session->media);
  g_free(session);
}

void
mg_sdp_session_add_candidate(MgSdpSession *session, guint mline, const char *value)
{
  MgSdpCandidate c = { .mline = mline, .value = g_strdup(value) };
  g_array_append_val(session->candidates, c);
}

MgSdpCodecId
mg_sdp_codec_id_from_name(const char *name)
{
  static const struct {
    const char *name;
    MgSdpCodecId id;
  } names[] = {
    { "opus", MG_SDP_CODEC_OPUS }, { "VP8", MG_SDP_CODEC_VP8 }, { "VP9", MG_SDP_CODEC_VP9 },
    { "H264", MG_SDP_CODEC_H264 }, { "rtx", MG_SDP_CODEC_RTX },
  };
  for (guint i = 0; name && i < G_N_ELEMENTS(names); i++)
    if (g_ascii_strcasecmp(name, names[i].name) == 0)
      return names[i].id;
  return MG_SDP_CODEC_OTHER;
}

MgSdpCodec *
mg_sdp_media_add_codec(MgSdpMedia *media, guint8 pt, const char *name, guint clock_rate, guint channels,
                       const char *fmtp, guint rtcp_fb)
{
  MgSdpCodec c = {
    .pt = pt,
    .id = mg_sdp_codec_id_from_name(name),
    .name = g_strdup(name),
    .clock_rate = clock_rate,
    .channels = channels,
    .fmtp = g_strdup(fmtp),
    .rtcp_fb = rtcp_fb,
    .apt = -1,
    .rtx_pt = -1,
  };
  g_array_append_val(media->codecs, c);
  return &g_array_index(media->codecs, MgSdpCodec, media->codecs->len - 1);
}

MgSdpCodec *
mg_sdp_media_lookup_codec(MgSdpMedia *media, guint pt)
{
  for (guint i = 0; i < media->codecs->len; i++)
    if (g_array_index(media->codecs, MgSdpCodec, i).pt == pt)
      return &g_array_index(media->codecs, MgSdpCodec, i);
  return NULL;
}

const MgSdpCodec *
mg_sdp_media_find_codec(const MgSdpMedia *media, guint pt)
{
  return mg_sdp_media_lookup_codec((MgSdpMedia *)media, pt);
}

const MgSdpCodec *
mg_sdp_media_get_codec(const MgSdpMedia *media)
{
  for (guint i = 0; i < media->codecs->len; i++)
    if (g_array_index(media->codecs, MgSdpCodec, i).id != MG_SDP_CODEC_RTX)
      return &g_array_index(media->codecs, MgSdpCodec, i);
  return NULL;
}

gboolean
mg_sdp_parse_uint(const char *text, guint64 max, guint64 *out)
{
  return text && g_ascii_string_to_unsigned(text, 10, 0, max, out, NULL);
}

char *
mg_sdp_fmtp_get(const char *fmtp, const char *key)
{
  g_auto(GStrv) params = fmtp ? g_strsplit(fmtp, ";", -1) : NULL;
  for (guint i = 0; params && params[i]; i++) {
    char *eq = strchr(params[i], '=');
    if (!eq)
      continue;
    *eq = '\0';
    if (g_ascii_strcasecmp(g_strstrip(params[i]), key) == 0)
      return g_strdup(g_strstrip(eq + 1));
  }
  return NULL;
}

void
mg_sdp_media_link_rtx(MgSdpMedia *media)
{
  for (guint i = 0; i < media->codecs->len; i++) {
    MgSdpCodec *c = &g_array_index(media->codecs, MgSdpCodec, i);
    g_autofree char *apt = c->id == MG_SDP_CODEC_RTX ? mg_sdp_fmtp_get(c->fmtp, "apt") : NULL;
    guint64 v;
    MgSdpCodec *target;
    if (!mg_sdp_parse_uint(apt, 127, &v) || !(target = mg_sdp_media_lookup_codec(media, v)) ||
        target->id == MG_SDP_CODEC_RTX)
      continue;
    c->apt = v;
    if (target->rtx_pt < 0)
      target->rtx_pt = c->pt;
  }
}

static gboolean
h264_is_constrained_baseline(const char *fmtp)
{
  g_autofree char *plid = mg_sdp_fmtp_get(fmtp, "profile-level-id");
  g_autofree char *mode = mg_sdp_fmtp_get(fmtp, "packetization-mode");
  guint64 v;
  if (!plid || strlen(plid) != 6 || !g_ascii_string_to_unsigned(plid, 16, 0, 0xffffff, &v, NULL))
    return FALSE;
  /* profile_idc 66 (baseline) with constraint_set1: constrained baseline (RFC 6184 8.1). */
  if ((v >> 16) != 0x42 || !((v >> 8) & 0x40))
    return FALSE;
  return mode && strcmp(mode, "1") == 0;
}

gboolean
mg_sdp_codec_is_supported(const MgSdpCodec *codec)
{
  g_autofree char *profile = NULL;
  switch (codec->id) {
  case MG_SDP_CODEC_OPUS:
    return codec->clock_rate == 48000 && codec->channels == 2;
  case MG_SDP_CODEC_VP8:
    return codec->clock_rate == 90000;
  case MG_SDP_CODEC_VP9:
    profile = mg_sdp_fmtp_get(codec->fmtp, "profile-id");
    return codec->clock_rate == 90000 && (!profile || strcmp(profile, "0") == 0);
  case MG_SDP_CODEC_H264:
    return codec->clock_rate == 90000 && h264_is_constrained_baseline(codec->fmtp);
  default:
    return FALSE;
  }
}

void
mg_sdp_media_add_extmap(MgSdpMedia *media, guint id, const char *uri)
{
  MgSdpExtmap e = { .id = id, .uri = g_strdup(uri) };
  g_array_append_val(media->extmaps, e);
}

void
mg_sdp_media_index_extmaps(MgSdpMedia *media)
{
  memset(media->ext_ids, 0, sizeof media->ext_ids);
  for (guint i = 0; i < media->extmaps->len; i++) {
    const MgSdpExtmap *e = &g_array_index(media->extmaps, MgSdpExtmap, i);
    for (guint x = 0; x < MG_SDP_EXT_N; x++)
      if (e->id <= 255 && strcmp(e->uri, ext_uris[x]) == 0)
        media->ext_ids[x] = e->id;
  }
}

void
mg_sdp_media_add_rid(MgSdpMedia *media, const char *id, MgSdpDirection direction, const char *params)
{
  MgSdpRid r = { .id = g_strdup(id), .direction = direction, .params = g_strdup(params) };
  g_array_append_val(media->rids, r);
}

void
mg_sdp_media_add_ssrc(MgSdpMedia *media, guint32 ssrc, const char *cname, const char *msid)
{
  MgSdpSsrc *s = NULL;
  for (guint i = 0; i < media->ssrcs->len && !s; i++)
    if (g_array_index(media->ssrcs, MgSdpSsrc, i).ssrc == ssrc)
      s = &g_array_index(media->ssrcs, MgSdpSsrc, i);
  if (!s) {
    MgSdpSsrc n = { .ssrc = ssrc };
    g_array_append_val(media->ssrcs, n);
    s = &g_array_index(media->ssrcs, MgSdpSsrc, media->ssrcs->len - 1);
  }
  if (cname && !s->cname)
    s->cname = g_strdup(cname);
  if (msid && !s->msid)
    s->msid = g_strdup(msid);
}

void
mg_sdp_media_add_fid(MgSdpMedia *media, guint32 ssrc, guint32 rtx)
{
  MgSdpFid f = { .media = ssrc, .rtx = rtx };
  g_array_append_val(media->fids, f);
}

guint32
mg_sdp_media_get_rtx_ssrc(const MgSdpMedia *media, guint32 media_ssrc)
{
  for (guint i = 0; i < media->fids->len; i++)
    if (g_array_index(media->fids, MgSdpFid, i).media == media_ssrc)
      return g_array_index(media->fids, MgSdpFid, i).rtx;
  return 0;
}

/* ---- enums as text ---- */

static const char *const kind_names[] = { "", "audio", "video", "application" };
static const char *const direction_names[] = { "sendrecv", "sendonly", "recvonly", "inactive" };
static const char *const setup_names[] = { "", "actpass", "active", "passive" };

const char *
mg_sdp_kind_to_string(MgSdpKind kind)
{
  return kind < G_N_ELEMENTS(kind_names) ? kind_names[kind] : "";
}

const char *
mg_sdp_direction_to_string(MgSdpDirection direction)
{
  return direction < G_N_ELEMENTS(direction_names) ? direction_names[direction] : "inactive";
}

const char *
mg_sdp_setup_to_string(MgSdpSetup setup)
{
  return setup < G_N_ELEMENTS(setup_names) ? setup_names[setup] : "";
}

static gint
lookup(const char *const *names, guint n, const char *value)
{
  for (guint i = 0; value && i < n; i++)
    if (names[i][0] && g_ascii_strcasecmp(names[i], value) == 0)
      return i;
  return -1;
}

MgSdpKind
mg_sdp_kind_from_string(const char *media)
{
  gint k = lookup(kind_names, G_N_ELEMENTS(kind_names), media);
  return k < 0 ? MG_SDP_KIND_OTHER : k;
}

gint
mg_sdp_setup_from_string(const char *setup)
{
  return lookup(setup_names, G_N_ELEMENTS(setup_names), setup);
}

/* SPDX-License-Identifier: MIT
 * The answering side: what we require of a client's offer, and the answer we
 * build for it (we are ICE-lite and the DTLS server). docs/sdp.md explains the
 * choices. */
#define G_LOG_DOMAIN "sdp"
#include "media/sdp-private.h"

#include <string.h>

#define DESCRIBE(m) mg_sdp_media_describe((m), (char[96]){ 0 }, 96)

const char *
mg_sdp_media_describe(const MgSdpMedia *m, char *buf, gsize size)
{
  g_snprintf(buf, size, "m-line %u (%s%s%s)", m->index, m->media ? m->media : "?", m->mid ? ", mid " : "",
             m->mid ? m->mid : "");
  return buf;
}

gboolean
mg_sdp_media_is_live(const MgSdpMedia *m)
{
  return !m->rejected && (m->kind == MG_SDP_KIND_AUDIO || m->kind == MG_SDP_KIND_VIDEO) && m->proto &&
         strstr(m->proto, "RTP");
}

static gboolean
strong_hash(const char *hash)
{
  static const char *const ok[] = { "sha-256", "sha-384", "sha-512", NULL };
  return hash && g_strv_contains(ok, hash);
}

gboolean
mg_sdp_check_transport(const MgSdpSession *s, const char *who, GError **error)
{
  if (!s->fingerprint) {
    g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_NO_FINGERPRINT,
                "the %s has no a=fingerprint: DTLS-SRTP needs the peer's certificate fingerprint", who);
    return FALSE;
  }
  if (!strong_hash(s->fingerprint_hash)) {
    g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_NO_FINGERPRINT,
                "the %s's a=fingerprint uses %s; sha-256 or stronger is required", who, s->fingerprint_hash);
    return FALSE;
  }
  if (!s->ice_ufrag || !s->ice_pwd) {
    g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_NO_ICE, "the %s has no a=ice-ufrag and a=ice-pwd", who);
    return FALSE;
  }
  for (guint i = 0; i < s->media->len; i++) {
    const MgSdpMedia *m = s->media->pdata[i];
    if (mg_sdp_media_is_live(m) && !m->rtcp_mux) {
      g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_NO_RTCP_MUX,
                  "the %s's %s has no a=rtcp-mux: RTP and RTCP must share one transport", who, DESCRIBE(m));
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
mg_sdp_check_bundle(const MgSdpSession *s, const char *who, GError **error)
{
  if (!s->bundle) {
    g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_NO_BUNDLE,
                "the %s has no a=group:BUNDLE: every m-line must share one transport (RFC 8843)", who);
    return FALSE;
  }
  for (guint i = 0; i < s->media->len; i++) {
    const MgSdpMedia *m = s->media->pdata[i];
    if (!mg_sdp_media_is_live(m))
      continue;
    if (!m->mid || !g_strv_contains((const char *const *)s->bundle, m->mid)) {
      g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_NO_BUNDLE,
                  "the %s's %s is not in the BUNDLE group: every m-line must share one transport (RFC 8843)", who,
                  DESCRIBE(m));
      return FALSE;
    }
  }
  return TRUE;
}

static char *
offered_codec_names(const MgSdpMedia *m)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < m->codecs->len; i++) {
    const MgSdpCodec *c = &g_array_index(m->codecs, MgSdpCodec, i);
    if (c->id != MG_SDP_CODEC_RTX && c->name && !strstr(s->str, c->name))
      g_string_append_printf(s, "%s%s", s->len ? ", " : "", c->name);
  }
  return g_string_free(s, FALSE);
}

static gboolean
check_codecs(const MgSdpMedia *m, GError **error)
{
  for (guint i = 0; i < m->codecs->len; i++)
    if (mg_sdp_codec_is_supported(&g_array_index(m->codecs, MgSdpCodec, i)))
      return TRUE;
  g_autofree char *offered = offered_codec_names(m);
  g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_NO_CODEC, "the offer's %s has no codec we support (offered: %s; %s)",
              DESCRIBE(m), *offered ? offered : "none",
              m->kind == MG_SDP_KIND_AUDIO ? "audio needs opus/48000/2"
                                           : "video needs VP8, VP9 profile 0 or H.264 constrained baseline "
                                             "with packetization-mode=1");
  return FALSE;
}

gboolean
mg_sdp_check_offer(const MgSdpSession *offer, GError **error)
{
  if (offer->media->len == 0) {
    g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_NO_CODEC, "the offer has no m-line");
    return FALSE;
  }
  if (!mg_sdp_check_transport(offer, "offer", error) || !mg_sdp_check_bundle(offer, "offer", error))
    return FALSE;
  for (guint i = 0; i < offer->media->len; i++) {
    const MgSdpMedia *m = offer->media->pdata[i];
    if (!mg_sdp_media_is_live(m))
      continue;
    if (!check_codecs(m, error))
      return FALSE;
    if (m->rids->len > MG_SDP_MAX_RIDS) {
      g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_TOO_MANY_RIDS,
                  "the offer's %s has %u simulcast rids; at most %d are supported", DESCRIBE(m), m->rids->len,
                  MG_SDP_MAX_RIDS);
      return FALSE;
    }
  }
  return TRUE;
}

/* ---- answer ---- */

static MgSdpMlinePlan
plan_for(const MgSdpAnswerPlan *plan, guint index)
{
  if (plan && index < plan->n_mlines)
    return plan->mlines[index];
  return (MgSdpMlinePlan){ .role = MG_SDP_ROLE_RECV };
}

static gboolean
answer_setup(MgSdpSetup offered, MgSdpSetup want, MgSdpSetup *out, GError **error)
{
  static const MgSdpSetup opposite[] = {
    [MG_SDP_SETUP_NONE] = 0, /* filled in: actpass is the default (RFC 5763) */
    [MG_SDP_SETUP_ACTPASS] = 0,
    [MG_SDP_SETUP_ACTIVE] = MG_SDP_SETUP_PASSIVE,
    [MG_SDP_SETUP_PASSIVE] = MG_SDP_SETUP_ACTIVE,
  };
  *out = opposite[offered] ? opposite[offered] : want;
  if (*out != want) {
    g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_SETUP,
                "the offer's a=setup:%s would make us a=setup:%s; we only take a=setup:%s",
                mg_sdp_setup_to_string(offered), mg_sdp_setup_to_string(*out), mg_sdp_setup_to_string(want));
    return FALSE;
  }
  return TRUE;
}

static gboolean
is_supported_ext(const char *uri)
{
  for (guint x = 0; x < MG_SDP_EXT_N; x++)
    if (strcmp(uri, mg_sdp_ext_uri(x)) == 0)
      return TRUE;
  return FALSE;
}

/* Extension ids that the offer maps to two different URIs across its bundled
 * m-lines (aiortc 1.4 does): under BUNDLE one id must mean one extension, so
 * those are left out of the answer everywhere instead of failing. */
static void
find_extmap_conflicts(const MgSdpSession *offer, const MgSdpAnswerPlan *plan, gboolean conflict[256])
{
  const char *uri_of[256] = { 0 };
  for (guint i = 0; i < offer->media->len; i++) {
    const MgSdpMedia *m = offer->media->pdata[i];
    if (!mg_sdp_media_is_live(m) || plan_for(plan, i).role == MG_SDP_ROLE_REJECT)
      continue;
    for (guint e = 0; e < m->extmaps->len; e++) {
      const MgSdpExtmap *x = &g_array_index(m->extmaps, MgSdpExtmap, e);
      if (!is_supported_ext(x->uri))
        continue;
      if (uri_of[x->id] && strcmp(uri_of[x->id], x->uri) != 0) {
        g_debug("offer maps extmap id %u to %s and %s: left out of the answer", x->id, uri_of[x->id], x->uri);
        conflict[x->id] = TRUE;
      }
      uri_of[x->id] = x->uri;
    }
  }
}

/* The first codec of the offer we support (and the plan allows), in the offerer's order. */
static const MgSdpCodec *
choose_codec(const MgSdpMedia *m, MgSdpCodecId only)
{
  for (guint i = 0; i < m->codecs->len; i++) {
    const MgSdpCodec *c = &g_array_index(m->codecs, MgSdpCodec, i);
    if (mg_sdp_codec_is_supported(c) && (only == MG_SDP_CODEC_OTHER || c->id == only))
      return c;
  }
  return NULL;
}

static void
reject_media(MgSdpMedia *am, const MgSdpMedia *om)
{
  am->rejected = TRUE;
  am->port = 0;
  am->direction = MG_SDP_DIRECTION_INACTIVE;
  for (guint i = 0; i < om->formats->len; i++)
    g_ptr_array_add(am->formats, g_strdup(om->formats->pdata[i]));
}

static MgSdpDirection
answer_direction(MgSdpRole role, MgSdpDirection offered)
{
  if (role == MG_SDP_ROLE_RECV)
    return offered == MG_SDP_DIRECTION_SENDRECV || offered == MG_SDP_DIRECTION_SENDONLY ? MG_SDP_DIRECTION_RECVONLY
                                                                                        : MG_SDP_DIRECTION_INACTIVE;
  return offered == MG_SDP_DIRECTION_SENDRECV || offered == MG_SDP_DIRECTION_RECVONLY ? MG_SDP_DIRECTION_SENDONLY
                                                                                      : MG_SDP_DIRECTION_INACTIVE;
}

static void
answer_codecs(MgSdpMedia *am, const MgSdpMedia *om, const MgSdpCodec *c)
{
  mg_sdp_media_add_codec(am, c->pt, c->name, c->clock_rate, c->channels, c->fmtp, c->rtcp_fb & MG_SDP_FB_HONOURED);
  const MgSdpCodec *rtx = c->rtx_pt >= 0 ? mg_sdp_media_find_codec(om, c->rtx_pt) : NULL;
  if (rtx) {
    g_autofree char *apt = g_strdup_printf("apt=%u", c->pt);
    mg_sdp_media_add_codec(am, rtx->pt, rtx->name, rtx->clock_rate, 0, apt, 0);
  }
  mg_sdp_media_link_rtx(am);
}

static void
answer_extmaps(MgSdpMedia *am, const MgSdpMedia *om, const gboolean conflict[256])
{
  for (guint e = 0; e < om->extmaps->len; e++) {
    const MgSdpExtmap *x = &g_array_index(om->extmaps, MgSdpExtmap, e);
    /* transport-cc: see MG_SDP_FB_HONOURED. */
    if (is_supported_ext(x->uri) && !conflict[x->id] && strcmp(x->uri, mg_sdp_ext_uri(MG_SDP_EXT_TRANSPORT_CC)))
      mg_sdp_media_add_extmap(am, x->id, x->uri);
  }
  mg_sdp_media_index_extmaps(am);
}

/* A publisher's simulcast: we receive every rid it sends. */
static void
answer_simulcast(MgSdpMedia *am, const MgSdpMedia *om)
{
  if (!om->simulcast_send)
    return;
  for (guint i = 0; i < om->rids->len; i++) {
    const MgSdpRid *r = &g_array_index(om->rids, MgSdpRid, i);
    if (r->direction == MG_SDP_DIRECTION_SENDONLY)
      mg_sdp_media_add_rid(am, r->id, MG_SDP_DIRECTION_RECVONLY, NULL);
  }
  am->simulcast_recv = g_strdupv(om->simulcast_send);
}

static gboolean
answer_send(MgSdpMedia *am, const MgSdpMlinePlan *p, GError **error)
{
  if (!p->ssrc || !p->cname || !p->msid) {
    g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_INVALID_ARGUMENT,
                "plan for m-line %u: sending needs an ssrc, a cname and an msid", am->index);
    return FALSE;
  }
  am->msid = g_strdup(p->msid);
  mg_sdp_media_add_ssrc(am, p->ssrc, p->cname, p->msid);
  if (p->rtx_ssrc && mg_sdp_media_get_codec(am)->rtx_pt >= 0) {
    mg_sdp_media_add_ssrc(am, p->rtx_ssrc, p->cname, p->msid);
    mg_sdp_media_add_fid(am, p->ssrc, p->rtx_ssrc);
  }
  return TRUE;
}

static gboolean
answer_media(MgSdpMedia *am, const MgSdpMedia *om, const MgSdpMlinePlan *p, const gboolean conflict[256],
             GError **error)
{
  const MgSdpCodec *c = NULL;
  am->media = g_strdup(om->media);
  am->proto = g_strdup(om->proto);
  am->mid = g_strdup(om->mid);
  if (!mg_sdp_media_is_live(om) || p->role == MG_SDP_ROLE_REJECT || !(c = choose_codec(om, p->codec))) {
    reject_media(am, om);
    return TRUE;
  }
  am->port = 9;
  am->direction = answer_direction(p->role, om->direction);
  am->rtcp_mux = TRUE;
  am->rtcp_rsize = om->rtcp_rsize;
  answer_codecs(am, om, c);
  answer_extmaps(am, om, conflict);
  if (p->role == MG_SDP_ROLE_RECV)
    answer_simulcast(am, om);
  else if (!answer_send(am, p, error))
    return FALSE;
  return TRUE;
}

static gboolean
local_is_valid(const MgSdpLocal *local, GError **error)
{
  if (local && local->ice_ufrag && local->ice_pwd && local->fingerprint && strong_hash(local->fingerprint_hash))
    return TRUE;
  g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_INVALID_ARGUMENT,
              "local description needs ice ufrag/pwd and a sha-256 (or stronger) fingerprint");
  return FALSE;
}

void
mg_sdp_session_set_local(MgSdpSession *s, const MgSdpLocal *local, MgSdpSetup setup)
{
  GPtrArray *mids = g_ptr_array_new();
  s->session_id =
      local->session_id ? local->session_id : (guint64)g_random_int() << 16 | g_random_int_range(0, 1 << 16);
  s->session_version = local->session_version;
  s->ice_ufrag = g_strdup(local->ice_ufrag);
  s->ice_pwd = g_strdup(local->ice_pwd);
  s->ice_lite = TRUE;
  s->fingerprint_hash = g_strdup(local->fingerprint_hash);
  s->fingerprint = g_strdup(local->fingerprint);
  s->setup = setup;
  for (guint i = 0; i < s->media->len; i++) {
    MgSdpMedia *m = s->media->pdata[i];
    if (m->rejected || !m->mid)
      continue;
    if (mids->len == 0) {
      for (guint c = 0; local->candidates && local->candidates[c]; c++)
        mg_sdp_session_add_candidate(s, i, local->candidates[c]);
      m->end_of_candidates = TRUE;
    }
    g_ptr_array_add(mids, g_strdup(m->mid));
  }
  g_ptr_array_add(mids, NULL);
  s->bundle = (char **)g_ptr_array_free(mids, FALSE);
}

MgSdpSession *
mg_sdp_answer_new(const MgSdpSession *offer, const MgSdpLocal *local, const MgSdpAnswerPlan *plan, GError **error)
{
  g_autoptr(MgSdpSession) answer = NULL;
  gboolean conflict[256] = { 0 };
  MgSdpSetup setup;

  if (!local_is_valid(local, error) || !mg_sdp_check_offer(offer, error) ||
      !answer_setup(offer->setup, local->setup ? local->setup : MG_SDP_SETUP_PASSIVE, &setup, error))
    return NULL;
  find_extmap_conflicts(offer, plan, conflict);
  answer = mg_sdp_session_new();
  answer->extmap_allow_mixed = offer->extmap_allow_mixed;
  for (guint i = 0; i < offer->media->len; i++) {
    const MgSdpMedia *om = offer->media->pdata[i];
    MgSdpMlinePlan p = plan_for(plan, i);
    if (!answer_media(mg_sdp_session_add_media(answer, om->kind), om, &p, conflict, error))
      return NULL;
  }
  mg_sdp_session_set_local(answer, local, setup);
  return g_steal_pointer(&answer);
}

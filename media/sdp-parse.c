/* SPDX-License-Identifier: MIT
 * SDP parser: GstSDPMessage does the lexing; this file turns its attributes
 * into MgSdpSession / MgSdpMedia through a table of handlers per attribute. */
#define G_LOG_DOMAIN "sdp"
#include "media/sdp-private.h"

#include <gst/sdp/gstsdpmessage.h>
#include <string.h>

/* ---- parser: one handler per attribute ---- */

typedef struct {
  MgSdpSession *session;
  MgSdpMedia *media; /* NULL at session level */
  MgSdpDirection session_direction;
  gboolean media_direction_set;
} ParseCtx;

typedef struct AttrSpec AttrSpec;
typedef gboolean (*AttrHandler)(ParseCtx *ctx, const AttrSpec *spec, const char *value, GError **error);

/* One attribute: its handler, where it may stand, and for the plain ones
 * (flags, strings) the field it sets in the m-line being parsed and in the
 * session (-1: none at that level; a session-wide attribute met in an m-line
 * sets the session's field). */
struct AttrSpec {
  const char *key;
  AttrHandler handler;
  guint where;
  gssize media_field, session_field;
  gint value; /* on_direction's direction */
};

static gboolean
malformed(ParseCtx *ctx, const char *key, const char *value, GError **error)
{
  if (ctx->media)
    g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_PARSE, "m-line %u: malformed a=%s:%s", ctx->media->index, key,
                value ? value : "");
  else
    g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_PARSE, "malformed a=%s:%s", key, value ? value : "");
  return FALSE;
}

/* Splits "<pt> <rest>"; rest may be empty. */
static gboolean
split_pt(const char *value, guint64 max, guint64 *pt, const char **rest)
{
  const char *sp = value ? strchr(value, ' ') : NULL;
  g_autofree char *num = sp ? g_strndup(value, sp - value) : g_strdup(value);
  if (!mg_sdp_parse_uint(num, max, pt))
    return FALSE;
  *rest = sp ? sp + strspn(sp, " ") : "";
  return TRUE;
}

static gboolean
on_direction(ParseCtx *ctx, const AttrSpec *spec, const char *v, GError **e)
{
  if (ctx->media) {
    ctx->media->direction = spec->value;
    ctx->media_direction_set = TRUE;
  } else {
    ctx->session_direction = spec->value;
  }
  return TRUE;
}

/* The field a plain attribute sets, or NULL where it sets none. */
static gpointer
attr_field(ParseCtx *ctx, const AttrSpec *spec)
{
  if (ctx->media && spec->media_field >= 0)
    return G_STRUCT_MEMBER_P(ctx->media, spec->media_field);
  return spec->session_field >= 0 ? G_STRUCT_MEMBER_P(ctx->session, spec->session_field) : NULL;
}

static gboolean
on_flag(ParseCtx *ctx, const AttrSpec *spec, const char *v, GError **e)
{
  gboolean *flag = attr_field(ctx, spec);
  if (flag)
    *flag = TRUE;
  return TRUE;
}

static void
set_once(char **field, const char *value)
{
  if (!*field)
    *field = g_strdup(value);
}

/* A non-empty string; the first one counts. */
static gboolean
on_string(ParseCtx *ctx, const AttrSpec *spec, const char *v, GError **e)
{
  if (!v || !*v)
    return malformed(ctx, spec->key, v, e);
  set_once(attr_field(ctx, spec), v);
  return TRUE;
}

static gboolean
on_ice_options(ParseCtx *ctx, const AttrSpec *spec, const char *v, GError **e)
{
  g_auto(GStrv) opts = g_strsplit(v ? v : "", " ", -1);
  if (g_strv_contains((const char *const *)opts, "trickle"))
    ctx->session->ice_trickle = TRUE;
  return TRUE;
}

static gboolean
on_fingerprint(ParseCtx *ctx, const AttrSpec *spec, const char *v, GError **e)
{
  const char *sp = v ? strchr(v, ' ') : NULL;
  char **hash = ctx->media ? &ctx->media->fingerprint_hash : &ctx->session->fingerprint_hash;
  char **value = ctx->media ? &ctx->media->fingerprint : &ctx->session->fingerprint;
  if (!sp || sp == v || !sp[1])
    return malformed(ctx, spec->key, v, e);
  if (!*hash) {
    *hash = g_ascii_strdown(v, sp - v);
    *value = g_strdup(sp + 1);
  }
  return TRUE;
}

static gboolean
on_setup(ParseCtx *ctx, const AttrSpec *spec, const char *v, GError **e)
{
  gint s = mg_sdp_setup_from_string(v);
  if (s < 0)
    return malformed(ctx, spec->key, v, e);
  if (ctx->media)
    ctx->media->setup = s;
  else
    ctx->session->setup = s;
  return TRUE;
}

static gboolean
on_group(ParseCtx *ctx, const AttrSpec *spec, const char *v, GError **e)
{
  g_auto(GStrv) tokens = g_strsplit(v ? v : "", " ", -1);
  if (g_strcmp0(tokens[0], "BUNDLE") != 0 || ctx->session->bundle)
    return TRUE;
  GPtrArray *mids = g_ptr_array_new();
  for (guint i = 1; tokens[i]; i++)
    if (*tokens[i])
      g_ptr_array_add(mids, g_strdup(tokens[i]));
  g_ptr_array_add(mids, NULL);
  ctx->session->bundle = (char **)g_ptr_array_free(mids, FALSE);
  return TRUE;
}

static gboolean
on_mid(ParseCtx *ctx, const AttrSpec *spec, const char *v, GError **e)
{
  if (!v || !*v || strchr(v, ' '))
    return malformed(ctx, spec->key, v, e);
  set_once(&ctx->media->mid, v);
  return TRUE;
}

static gboolean
on_candidate(ParseCtx *ctx, const AttrSpec *spec, const char *v, GError **e)
{
  if (!v || !*v)
    return malformed(ctx, spec->key, v, e);
  mg_sdp_session_add_candidate(ctx->session, ctx->media->index, v);
  return TRUE;
}

static gboolean
on_rtpmap(ParseCtx *ctx, const AttrSpec *spec, const char *v, GError **e)
{
  guint64 pt, rate = 0, channels = 0;
  const char *rest;
  if (!split_pt(v, 127, &pt, &rest))
    return malformed(ctx, spec->key, v, e);
  g_auto(GStrv) enc = g_strsplit(rest, "/", 3);
  if (!enc[0] || !*enc[0] || !mg_sdp_parse_uint(enc[1], G_MAXUINT32, &rate) ||
      (enc[2] && !mg_sdp_parse_uint(enc[2], 255, &channels)))
    return malformed(ctx, spec->key, v, e);
  MgSdpCodec *c = mg_sdp_media_lookup_codec(ctx->media, pt);
  if (c && !c->name) {
    c->name = g_strdup(enc[0]);
    c->id = mg_sdp_codec_id_from_name(c->name);
    c->clock_rate = rate;
    c->channels = channels;
  }
  return TRUE;
}

static gboolean
on_fmtp(ParseCtx *ctx, const AttrSpec *spec, const char *v, GError **e)
{
  guint64 pt;
  const char *rest;
  MgSdpCodec *c;
  if (split_pt(v, 127, &pt, &rest) && *rest && (c = mg_sdp_media_lookup_codec(ctx->media, pt)) && !c->fmtp)
    c->fmtp = g_strdup(rest);
  return TRUE;
}

static guint
feedback_from_string(const char *fb)
{
  static const struct {
    const char *name;
    guint bit;
  } names[] = {
    { "nack", MG_SDP_FB_NACK },           { "nack pli", MG_SDP_FB_NACK_PLI },         { "ccm fir", MG_SDP_FB_CCM_FIR },
    { "goog-remb", MG_SDP_FB_GOOG_REMB }, { "transport-cc", MG_SDP_FB_TRANSPORT_CC },
  };
  for (guint i = 0; i < G_N_ELEMENTS(names); i++)
    if (strcmp(fb, names[i].name) == 0)
      return names[i].bit;
  return 0;
}

static gboolean
on_rtcp_fb(ParseCtx *ctx, const AttrSpec *spec, const char *v, GError **e)
{
  guint64 pt;
  const char *rest;
  guint bit;
  if (v && g_str_has_prefix(v, "* ")) {
    bit = feedback_from_string(v + 2);
    for (guint i = 0; i < ctx->media->codecs->len; i++)
      g_array_index(ctx->media->codecs, MgSdpCodec, i).rtcp_fb |= bit;
  } else if (split_pt(v, 127, &pt, &rest) && mg_sdp_media_lookup_codec(ctx->media, pt)) {
    mg_sdp_media_lookup_codec(ctx->media, pt)->rtcp_fb |= feedback_from_string(rest);
  }
  return TRUE;
}

static gboolean
on_extmap(ParseCtx *ctx, const AttrSpec *spec, const char *v, GError **e)
{
  const char *sp = v ? strchr(v, ' ') : NULL;
  g_autofree char *idtext = sp ? g_strndup(v, strcspn(v, " /")) : NULL;
  guint64 id;
  if (!sp || !mg_sdp_parse_uint(idtext, 255, &id) || id == 0)
    return malformed(ctx, spec->key, v, e);
  const char *uri = sp + strspn(sp, " ");
  g_autofree char *u = g_strndup(uri, strcspn(uri, " "));
  if (!*u)
    return malformed(ctx, spec->key, v, e);
  mg_sdp_media_add_extmap(ctx->media, id, u);
  return TRUE;
}

static gboolean
on_rid(ParseCtx *ctx, const AttrSpec *spec, const char *v, GError **e)
{
  g_auto(GStrv) t = g_strsplit(v ? v : "", " ", 3);
  MgSdpDirection d;
  if (!t[0] || !*t[0] || !t[1])
    return malformed(ctx, spec->key, v, e);
  if (strcmp(t[1], "send") == 0)
    d = MG_SDP_DIRECTION_SENDONLY;
  else if (strcmp(t[1], "recv") == 0)
    d = MG_SDP_DIRECTION_RECVONLY;
  else
    return malformed(ctx, spec->key, v, e);
  mg_sdp_media_add_rid(ctx->media, t[0], d, t[2]);
  return TRUE;
}

static char **
simulcast_streams(const char *list)
{
  /* Drafts before RFC 8853 (old Firefox) wrote "send rid=a;b". */
  if (g_str_has_prefix(list, "rid="))
    list += 4;
  return g_strsplit(list, ";", -1);
}

static gboolean
on_simulcast(ParseCtx *ctx, const AttrSpec *spec, const char *v, GError **e)
{
  g_auto(GStrv) t = g_strsplit(v ? v : "", " ", -1);
  guint n = g_strv_length(t);
  if (n == 0 || n % 2)
    return malformed(ctx, spec->key, v, e);
  for (guint i = 0; i < n; i += 2) {
    char ***field = strcmp(t[i], "send") == 0   ? &ctx->media->simulcast_send
                    : strcmp(t[i], "recv") == 0 ? &ctx->media->simulcast_recv
                                                : NULL;
    if (!field || !*t[i + 1])
      return malformed(ctx, spec->key, v, e);
    g_strfreev(*field);
    *field = simulcast_streams(t[i + 1]);
  }
  return TRUE;
}

static gboolean
on_ssrc(ParseCtx *ctx, const AttrSpec *spec, const char *v, GError **e)
{
  guint64 ssrc;
  const char *rest;
  if (!split_pt(v, G_MAXUINT32, &ssrc, &rest))
    return malformed(ctx, spec->key, v, e);
  if (g_str_has_prefix(rest, "cname:"))
    mg_sdp_media_add_ssrc(ctx->media, ssrc, rest + 6, NULL);
  else if (g_str_has_prefix(rest, "msid:"))
    mg_sdp_media_add_ssrc(ctx->media, ssrc, NULL, rest + 5);
  else
    mg_sdp_media_add_ssrc(ctx->media, ssrc, NULL, NULL);
  return TRUE;
}

static gboolean
on_ssrc_group(ParseCtx *ctx, const AttrSpec *spec, const char *v, GError **e)
{
  g_auto(GStrv) t = g_strsplit(v ? v : "", " ", -1);
  guint64 a, b;
  if (g_strcmp0(t[0], "FID") != 0)
    return TRUE;
  if (g_strv_length(t) != 3 || !mg_sdp_parse_uint(t[1], G_MAXUINT32, &a) || !mg_sdp_parse_uint(t[2], G_MAXUINT32, &b))
    return malformed(ctx, spec->key, v, e);
  mg_sdp_media_add_fid(ctx->media, a, b);
  return TRUE;
}

enum { AT_SESSION = 1, AT_MEDIA = 2, AT_BOTH = 3 };

/* The fields of a plain attribute, for the table below. */
#define NO_FIELD -1, -1
#define MEDIA_FIELD(f) G_STRUCT_OFFSET(MgSdpMedia, f), -1
#define SESSION_FIELD(f) -1, G_STRUCT_OFFSET(MgSdpSession, f)
#define BOTH_FIELDS(f) G_STRUCT_OFFSET(MgSdpMedia, f), G_STRUCT_OFFSET(MgSdpSession, f)

static const AttrSpec attr_handlers[] = {
  { "sendrecv", on_direction, AT_BOTH, NO_FIELD, MG_SDP_DIRECTION_SENDRECV },
  { "sendonly", on_direction, AT_BOTH, NO_FIELD, MG_SDP_DIRECTION_SENDONLY },
  { "recvonly", on_direction, AT_BOTH, NO_FIELD, MG_SDP_DIRECTION_RECVONLY },
  { "inactive", on_direction, AT_BOTH, NO_FIELD, MG_SDP_DIRECTION_INACTIVE },
  { "ice-ufrag", on_string, AT_BOTH, BOTH_FIELDS(ice_ufrag) },
  { "ice-pwd", on_string, AT_BOTH, BOTH_FIELDS(ice_pwd) },
  { "ice-options", on_ice_options, AT_BOTH, NO_FIELD },
  { "ice-lite", on_flag, AT_SESSION, SESSION_FIELD(ice_lite) },
  { "fingerprint", on_fingerprint, AT_BOTH, NO_FIELD },
  { "setup", on_setup, AT_BOTH, NO_FIELD },
  { "group", on_group, AT_SESSION, NO_FIELD },
  { "extmap-allow-mixed", on_flag, AT_BOTH, SESSION_FIELD(extmap_allow_mixed) },
  { "end-of-candidates", on_flag, AT_BOTH, MEDIA_FIELD(end_of_candidates) },
  { "mid", on_mid, AT_MEDIA, NO_FIELD },
  { "rtcp-mux", on_flag, AT_MEDIA, MEDIA_FIELD(rtcp_mux) },
  { "rtcp-rsize", on_flag, AT_MEDIA, MEDIA_FIELD(rtcp_rsize) },
  { "bundle-only", on_flag, AT_MEDIA, MEDIA_FIELD(bundle_only) },
  { "candidate", on_candidate, AT_MEDIA, NO_FIELD },
  { "rtpmap", on_rtpmap, AT_MEDIA, NO_FIELD },
  { "fmtp", on_fmtp, AT_MEDIA, NO_FIELD },
  { "rtcp-fb", on_rtcp_fb, AT_MEDIA, NO_FIELD },
  { "extmap", on_extmap, AT_MEDIA, NO_FIELD },
  { "rid", on_rid, AT_MEDIA, NO_FIELD },
  { "simulcast", on_simulcast, AT_MEDIA, NO_FIELD },
  { "ssrc", on_ssrc, AT_MEDIA, NO_FIELD },
  { "ssrc-group", on_ssrc_group, AT_MEDIA, NO_FIELD },
  { "msid", on_string, AT_MEDIA, MEDIA_FIELD(msid) },
};

static gboolean
handle_attribute(ParseCtx *ctx, const GstSDPAttribute *attr, GError **error)
{
  guint where = ctx->media ? AT_MEDIA : AT_SESSION;
  for (guint i = 0; attr->key && i < G_N_ELEMENTS(attr_handlers); i++)
    if ((attr_handlers[i].where & where) && strcmp(attr->key, attr_handlers[i].key) == 0)
      return attr_handlers[i].handler(ctx, &attr_handlers[i], attr->value, error);
  return TRUE; /* attributes we do not use */
}

static gboolean
parse_media(ParseCtx *ctx, const GstSDPMedia *gm, GError **error)
{
  MgSdpMedia *m = mg_sdp_session_add_media(ctx->session, mg_sdp_kind_from_string(gst_sdp_media_get_media(gm)));
  m->media = g_strdup(gst_sdp_media_get_media(gm));
  m->proto = g_strdup(gst_sdp_media_get_proto(gm));
  m->port = gst_sdp_media_get_port(gm);
  m->rejected = m->port == 0;
  ctx->media = m;
  ctx->media_direction_set = FALSE;
  if (!m->media || !m->proto)
    return malformed(ctx, "m", NULL, error);
  gboolean rtp = strstr(m->proto, "RTP") != NULL;
  for (guint i = 0; i < gst_sdp_media_formats_len(gm); i++) {
    const char *fmt = gst_sdp_media_get_format(gm, i);
    guint64 pt;
    g_ptr_array_add(m->formats, g_strdup(fmt));
    if (rtp && mg_sdp_parse_uint(fmt, 127, &pt) && !mg_sdp_media_lookup_codec(m, pt))
      mg_sdp_media_add_codec(m, pt, NULL, 0, 0, NULL, 0);
  }
  for (guint i = 0; i < gst_sdp_media_attributes_len(gm); i++)
    if (!handle_attribute(ctx, gst_sdp_media_get_attribute(gm, i), error))
      return FALSE;
  if (!ctx->media_direction_set)
    m->direction = ctx->session_direction;
  if (m->bundle_only)
    m->rejected = FALSE; /* RFC 8843: port 0 with a=bundle-only is a live bundled m-line */
  mg_sdp_media_link_rtx(m);
  mg_sdp_media_index_extmaps(m);
  return TRUE;
}

/* Session-level values that apply: the session's own, else the first m-line's. */
static void
resolve_session(MgSdpSession *s)
{
  for (guint i = 0; i < s->media->len; i++) {
    const MgSdpMedia *m = s->media->pdata[i];
    if (!s->ice_ufrag && m->ice_ufrag && m->ice_pwd) {
      s->ice_ufrag = g_strdup(m->ice_ufrag);
      g_free(s->ice_pwd);
      s->ice_pwd = g_strdup(m->ice_pwd);
    }
    if (!s->fingerprint && m->fingerprint) {
      s->fingerprint_hash = g_strdup(m->fingerprint_hash);
      s->fingerprint = g_strdup(m->fingerprint);
    }
    if (s->setup == MG_SDP_SETUP_NONE)
      s->setup = m->setup;
  }
}

MgSdpSession *
mg_sdp_parse(const char *text, GError **error)
{
  g_autoptr(MgSdpSession) s = NULL;
  GstSDPMessage *msg = NULL;
  ParseCtx ctx = { 0 };

  if (!text || !g_str_has_prefix(text, "v=") || gst_sdp_message_new_from_text(text, &msg) != GST_SDP_OK ||
      g_strcmp0(gst_sdp_message_get_version(msg), "0") != 0) {
    g_set_error(error, MG_SDP_ERROR, MG_SDP_ERROR_PARSE, "not an SDP description (expected \"v=0\" first)");
    goto out;
  }
  s = mg_sdp_session_new();
  ctx.session = s;
  const GstSDPOrigin *o = gst_sdp_message_get_origin(msg);
  guint64 v;
  if (o && mg_sdp_parse_uint(o->sess_id, G_MAXUINT64, &v))
    s->session_id = v;
  if (o && mg_sdp_parse_uint(o->sess_version, G_MAXUINT64, &v))
    s->session_version = v;
  for (guint i = 0; s && i < gst_sdp_message_attributes_len(msg); i++)
    if (!handle_attribute(&ctx, gst_sdp_message_get_attribute(msg, i), error))
      g_clear_pointer(&s, mg_sdp_session_free);
  for (guint i = 0; s && i < gst_sdp_message_medias_len(msg); i++)
    if (!parse_media(&ctx, gst_sdp_message_get_media(msg, i), error))
      g_clear_pointer(&s, mg_sdp_session_free);
  if (s)
    resolve_session(s);
out:
  if (msg)
    gst_sdp_message_free(msg);
  return g_steal_pointer(&s);
}

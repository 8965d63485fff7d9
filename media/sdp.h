/* SPDX-License-Identifier: MIT
 * SDP offer/answer for the SFU. Text is parsed and written only through
 * GStreamer's SDP library; the rest of the SFU sees the neutral description
 * below (MgSdpSession / MgSdpMedia) and never a GstSDPMessage. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MG_SDP_ERROR (mg_sdp_error_quark())
GQuark mg_sdp_error_quark(void);

typedef enum {
  MG_SDP_ERROR_PARSE,           /* not SDP, or a malformed line we need */
  MG_SDP_ERROR_NO_FINGERPRINT,  /* no a=fingerprint, or a weak hash */
  MG_SDP_ERROR_NO_ICE,          /* no a=ice-ufrag / a=ice-pwd */
  MG_SDP_ERROR_NO_BUNDLE,       /* BUNDLE missing or not covering every m-line */
  MG_SDP_ERROR_NO_RTCP_MUX,     /* an m-line without a=rtcp-mux */
  MG_SDP_ERROR_NO_CODEC,        /* no supported codec in an audio/video m-line */
  MG_SDP_ERROR_TOO_MANY_RIDS,   /* more than MG_SDP_MAX_RIDS simulcast layers */
  MG_SDP_ERROR_SETUP,           /* a DTLS role we cannot take */
  MG_SDP_ERROR_MISMATCH,        /* an answer that does not fit our offer */
  MG_SDP_ERROR_INVALID_ARGUMENT /* a plan or track the caller got wrong */
} MgSdpError;

#define MG_SDP_MAX_RIDS 3

typedef enum {
  MG_SDP_KIND_OTHER,
  MG_SDP_KIND_AUDIO,
  MG_SDP_KIND_VIDEO,
  MG_SDP_KIND_APPLICATION,
} MgSdpKind;

typedef enum {
  MG_SDP_DIRECTION_SENDRECV,
  MG_SDP_DIRECTION_SENDONLY,
  MG_SDP_DIRECTION_RECVONLY,
  MG_SDP_DIRECTION_INACTIVE,
} MgSdpDirection;

typedef enum {
  MG_SDP_SETUP_NONE,
  MG_SDP_SETUP_ACTPASS,
  MG_SDP_SETUP_ACTIVE,
  MG_SDP_SETUP_PASSIVE,
} MgSdpSetup;

/* Codecs by encoding name; whether we can forward one is mg_sdp_codec_is_supported(). */
typedef enum {
  MG_SDP_CODEC_OTHER,
  MG_SDP_CODEC_OPUS,
  MG_SDP_CODEC_VP8,
  MG_SDP_CODEC_VP9,
  MG_SDP_CODEC_H264,
  MG_SDP_CODEC_RTX,
} MgSdpCodecId;

/* The rtcp-fb values we understand (bits); others are dropped at parse time. */
typedef enum {
  MG_SDP_FB_NACK = 1 << 0,
  MG_SDP_FB_NACK_PLI = 1 << 1,
  MG_SDP_FB_CCM_FIR = 1 << 2,
  MG_SDP_FB_GOOG_REMB = 1 << 3,
  MG_SDP_FB_TRANSPORT_CC = 1 << 4,
} MgSdpFeedback;
#define MG_SDP_FB_ALL 0x1f
/* What the SFU acts on and sends, so what it negotiates. transport-cc is
 * parsed but not negotiated: a browser told it may expect transport-wide
 * feedback that never comes lowers its bitrate step by step; REMB is the
 * congestion signal meetgate sends. */
#define MG_SDP_FB_HONOURED (MG_SDP_FB_NACK | MG_SDP_FB_NACK_PLI | MG_SDP_FB_CCM_FIR | MG_SDP_FB_GOOG_REMB)

/* The RTP header extensions we use; MgSdpMedia.ext_ids is indexed by these. */
typedef enum {
  MG_SDP_EXT_MID,
  MG_SDP_EXT_RID,
  MG_SDP_EXT_REPAIRED_RID,
  MG_SDP_EXT_ABS_SEND_TIME,
  MG_SDP_EXT_TRANSPORT_CC,
  MG_SDP_EXT_AUDIO_LEVEL,
  MG_SDP_EXT_N
} MgSdpExt;

typedef struct {
  guint8 pt;
  MgSdpCodecId id;
  char *name; /* as in a=rtpmap ("VP8", "opus"); NULL without one */
  guint clock_rate;
  guint channels; /* 0 when a=rtpmap gives none */
  char *fmtp;     /* parameters of a=fmtp, or NULL */
  guint rtcp_fb;  /* MgSdpFeedback bits */
  gint apt;       /* RTX: the pt it repairs (fmtp apt=), else -1 */
  gint rtx_pt;    /* the RTX pt repairing this codec, else -1 */
} MgSdpCodec;

typedef struct {
  guint id;
  char *uri;
} MgSdpExtmap;

typedef struct {
  char *id;
  MgSdpDirection direction; /* SENDONLY for "send", RECVONLY for "recv" */
  char *params;             /* restrictions after the direction, or NULL */
} MgSdpRid;

typedef struct {
  guint32 ssrc;
  char *cname; /* NULL when absent */
  char *msid;  /* "stream track", NULL when absent */
} MgSdpSsrc;

typedef struct {
  guint32 media;
  guint32 rtx;
} MgSdpFid; /* a=ssrc-group:FID media rtx */

typedef struct {
  guint mline;
  char *value; /* what follows "a=candidate:" */
} MgSdpCandidate;

typedef struct {
  guint index; /* m-line position, from 0 */
  MgSdpKind kind;
  char *media; /* the m= media token as written */
  char *proto;
  guint port;
  gboolean rejected;  /* port 0 */
  GPtrArray *formats; /* char *, the m= formats as written */
  char *mid;
  MgSdpDirection direction;
  gboolean rtcp_mux, rtcp_rsize, bundle_only;
  /* Media-level transport attributes as written (NULL/NONE when absent);
   * MgSdpSession holds the values that apply. */
  char *ice_ufrag, *ice_pwd;
  char *fingerprint_hash, *fingerprint;
  MgSdpSetup setup;
  gboolean end_of_candidates;
  GArray *codecs;               /* MgSdpCodec, in the offerer's order */
  GArray *extmaps;              /* MgSdpExtmap */
  guint8 ext_ids[MG_SDP_EXT_N]; /* 0 = not negotiated */
  GArray *rids;                 /* MgSdpRid */
  char **simulcast_send;        /* a=simulcast streams ("h", "~m", "a,b"), NULL-terminated or NULL */
  char **simulcast_recv;
  GArray *ssrcs; /* MgSdpSsrc */
  GArray *fids;  /* MgSdpFid */
  char *msid;    /* a=msid value, or NULL */
} MgSdpMedia;

typedef struct {
  guint64 session_id, session_version;
  char *ice_ufrag, *ice_pwd; /* session level, else the first m-line's */
  gboolean ice_lite, ice_trickle;
  char *fingerprint_hash; /* lowercase, e.g. "sha-256" */
  char *fingerprint;
  MgSdpSetup setup;
  char **bundle; /* mids of the first a=group:BUNDLE, NULL-terminated, or NULL */
  gboolean extmap_allow_mixed;
  GArray *candidates; /* MgSdpCandidate */
  GPtrArray *media;   /* MgSdpMedia * */
} MgSdpSession;

/* What we bring to a negotiation. Strings are borrowed for the call. */
typedef struct {
  const char *ice_ufrag, *ice_pwd;
  const char *fingerprint_hash; /* e.g. "sha-256" */
  const char *fingerprint;      /* "AB:CD:..." */
  /* DTLS role: in answers the role taken when offered actpass and the only
   * one accepted (we are DTLS server: PASSIVE); offers always say actpass. */
  MgSdpSetup setup;
  const char *const *candidates; /* NULL-terminated, "1 1 udp 2130706431 127.0.0.1 40000 typ host" */
  guint64 session_id, session_version;
} MgSdpLocal;

typedef enum {
  MG_SDP_ROLE_RECV,   /* publisher m-line: we answer recvonly */
  MG_SDP_ROLE_SEND,   /* subscriber m-line: we answer sendonly */
  MG_SDP_ROLE_REJECT, /* answer port 0 */
} MgSdpRole;

/* What to do with one offered m-line. */
typedef struct {
  MgSdpRole role;
  MgSdpCodecId codec; /* only this codec (e.g. the published one), or OTHER for any */
  /* MG_SDP_ROLE_SEND: what we send (rtx_ssrc 0 = no RTX). */
  guint32 ssrc, rtx_ssrc;
  const char *cname;
  const char *msid; /* "stream track" */
} MgSdpMlinePlan;

/* Per offered m-line, by index; m-lines past n_mlines (or a NULL plan) get ROLE_RECV. */
typedef struct {
  const MgSdpMlinePlan *mlines;
  guint n_mlines;
} MgSdpAnswerPlan;

/* One track of a server-generated offer, in m-line order. */
typedef struct {
  MgSdpKind kind;         /* AUDIO or VIDEO */
  MgSdpCodecId codec;     /* OPUS, VP8, VP9 or H264 */
  guint32 ssrc, rtx_ssrc; /* rtx_ssrc 0 = no RTX */
  const char *cname;
  const char *msid; /* "stream track" */
  gboolean ended;   /* kept as a port 0 / inactive m-line so indices stay */
} MgSdpTrack;

void mg_sdp_session_free(MgSdpSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgSdpSession, mg_sdp_session_free)

/* Parses SDP text (through GstSDPMessage). (transfer full) */
MgSdpSession *mg_sdp_parse(const char *text, GError **error);
/* Writes the session as SDP text (through GstSDPMessage). (transfer full) */
char *mg_sdp_to_text(const MgSdpSession *session);

/* Checks that a client's offer has what the SFU requires; each refusal says why. */
gboolean mg_sdp_check_offer(const MgSdpSession *offer, GError **error);
/* Answers a checked offer: one answered m-line per offered one, in order. (transfer full) */
MgSdpSession *mg_sdp_answer_new(const MgSdpSession *offer, const MgSdpLocal *local, const MgSdpAnswerPlan *plan,
                                GError **error);

/* A server offer: one sendonly m-line per track, ended tracks as port 0. (transfer full) */
MgSdpSession *mg_sdp_offer_new(const MgSdpLocal *local, const MgSdpTrack *tracks, guint n_tracks, GError **error);
/* Parses and validates a client's answer to our offer. (transfer full) the answer */
MgSdpSession *mg_sdp_apply_answer(const MgSdpSession *offer, const char *answer_text, GError **error);

/* The codec's pt in the m-line, or NULL. */
const MgSdpCodec *mg_sdp_media_find_codec(const MgSdpMedia *media, guint pt);
/* The negotiated media codec of an answer m-line (first non-RTX), or NULL. */
const MgSdpCodec *mg_sdp_media_get_codec(const MgSdpMedia *media);
/* Whether the SFU can forward this codec (Opus, VP8, VP9 profile 0, H.264
 * constrained baseline with packetization-mode=1). */
gboolean mg_sdp_codec_is_supported(const MgSdpCodec *codec);
/* The URI of a header extension we use. */
const char *mg_sdp_ext_uri(MgSdpExt ext);
/* The RTX ssrc paired with media_ssrc by a=ssrc-group:FID, or 0. */
guint32 mg_sdp_media_get_rtx_ssrc(const MgSdpMedia *media, guint32 media_ssrc);

G_END_DECLS

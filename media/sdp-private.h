/* SPDX-License-Identifier: MIT
 * Internals shared by the files of the SDP module (sdp.c, sdp-write.c,
 * sdp-answer.c, sdp-offer.c). */
#pragma once

#include "media/sdp.h"

G_BEGIN_DECLS

MgSdpSession *mg_sdp_session_new(void);
/* Appends a new empty m-line to the session and returns it. */
MgSdpMedia *mg_sdp_session_add_media(MgSdpSession *session, MgSdpKind kind);
void mg_sdp_session_add_candidate(MgSdpSession *session, guint mline, const char *value);

const char *mg_sdp_kind_to_string(MgSdpKind kind);
const char *mg_sdp_direction_to_string(MgSdpDirection direction);
const char *mg_sdp_setup_to_string(MgSdpSetup setup);
/* The value of key in an fmtp parameter string ("a=1;b=2"), or NULL. (transfer full) */
char *mg_sdp_fmtp_get(const char *fmtp, const char *key);
MgSdpCodecId mg_sdp_codec_id_from_name(const char *name);
MgSdpKind mg_sdp_kind_from_string(const char *media);
/* The MgSdpSetup named, or -1. */
gint mg_sdp_setup_from_string(const char *setup);
/* A decimal number no larger than max (g_ascii_string_to_unsigned: no sign, no spaces). */
gboolean mg_sdp_parse_uint(const char *text, guint64 max, guint64 *out);
MgSdpCodec *mg_sdp_media_lookup_codec(MgSdpMedia *media, guint pt);

/* Appends a codec (strings are copied) and returns it; the pointer is valid
 * until the next append. */
MgSdpCodec *mg_sdp_media_add_codec(MgSdpMedia *media, guint8 pt, const char *name, guint clock_rate, guint channels,
                                   const char *fmtp, guint rtcp_fb);
/* Sets apt/rtx_pt of every codec from the RTX codecs' fmtp apt=. */
void mg_sdp_media_link_rtx(MgSdpMedia *media);
void mg_sdp_media_add_extmap(MgSdpMedia *media, guint id, const char *uri);
void mg_sdp_media_add_rid(MgSdpMedia *media, const char *id, MgSdpDirection direction, const char *params);
/* Adds an SSRC (or fills in cname/msid of one already there). */
void mg_sdp_media_add_ssrc(MgSdpMedia *media, guint32 ssrc, const char *cname, const char *msid);
void mg_sdp_media_add_fid(MgSdpMedia *media, guint32 ssrc, guint32 rtx);

/* Fills in MgSdpMedia.ext_ids from the extmaps. */
void mg_sdp_media_index_extmaps(MgSdpMedia *media);

/* Checks shared by offers and answers (sdp-answer.c): a strong DTLS
 * fingerprint, ICE credentials, a=rtcp-mux and one BUNDLE group covering
 * every live m-line. who names the peer's description in messages. */
gboolean mg_sdp_check_transport(const MgSdpSession *session, const char *who, GError **error);
gboolean mg_sdp_check_bundle(const MgSdpSession *session, const char *who, GError **error);
/* Whether an m-line carries RTP we can route (audio/video, not rejected). */
gboolean mg_sdp_media_is_live(const MgSdpMedia *media);
const char *mg_sdp_media_describe(const MgSdpMedia *media, char *buf, gsize size);
/* Fills in our side's session-level transport, then the BUNDLE group (mids
 * of the m-lines not rejected) and our candidates on the first of them. */
void mg_sdp_session_set_local(MgSdpSession *session, const MgSdpLocal *local, MgSdpSetup setup);

G_END_DECLS

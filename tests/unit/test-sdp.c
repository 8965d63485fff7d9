/* SPDX-License-Identifier: MIT */
#include "media/sdp.h"
#include "tests/unit/sdp-samples.h"

#include <gst/sdp/gstsdpmessage.h>
#include <string.h>

#define FP_OURS "12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0"

static const char *const host_candidates[] = { "1 1 udp 2130706431 127.0.0.1 40000 typ host", NULL };
static const MgSdpLocal local = {
  .ice_ufrag = "mgufrag1",
  .ice_pwd = "mgpasswordmgpasswordmg",
  .fingerprint_hash = "sha-256",
  .fingerprint = FP_OURS,
  .setup = MG_SDP_SETUP_PASSIVE,
  .candidates = host_candidates,
  .session_id = 42,
  .session_version = 1,
};

/* Removes the lines starting with prefix, or replaces each with replacement. */
static char *
edit(const char *sdp, const char *prefix, const char *replacement)
{
  g_auto(GStrv) lines = g_strsplit(sdp, "\r\n", -1);
  GString *out = g_string_new(NULL);
  for (guint i = 0; lines[i] && *lines[i]; i++) {
    if (!g_str_has_prefix(lines[i], prefix))
      g_string_append_printf(out, "%s\r\n", lines[i]);
    else if (replacement)
      g_string_append_printf(out, "%s\r\n", replacement);
  }
  return g_string_free(out, FALSE);
}

static MgSdpMedia *
media(const MgSdpSession *s, guint i)
{
  g_assert_cmpuint(i, <, s->media->len);
  return s->media->pdata[i];
}

static guint
pt_at(const MgSdpMedia *m, guint i)
{
  g_assert_cmpuint(i, <, m->codecs->len);
  return g_array_index(m->codecs, MgSdpCodec, i).pt;
}

static gboolean
has_extmap(const MgSdpMedia *m, guint id, const char *uri)
{
  for (guint i = 0; i < m->extmaps->len; i++) {
    const MgSdpExtmap *e = &g_array_index(m->extmaps, MgSdpExtmap, i);
    if (e->id == id && strcmp(e->uri, uri) == 0)
      return TRUE;
  }
  return FALSE;
}

/* The text goes through GStreamer's parser and ours again. (transfer full) */
static MgSdpSession *
round_trip(const MgSdpSession *s)
{
  g_autofree char *text = mg_sdp_to_text(s);
  GstSDPMessage *msg = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_cmpint(gst_sdp_message_new_from_text(text, &msg), ==, GST_SDP_OK);
  g_assert_cmpuint(gst_sdp_message_medias_len(msg), ==, s->media->len);
  gst_sdp_message_free(msg);
  MgSdpSession *back = mg_sdp_parse(text, &error);
  g_assert_no_error(error);
  return back;
}

static MgSdpSession *
parse_ok(const char *text)
{
  g_autoptr(GError) error = NULL;
  MgSdpSession *s = mg_sdp_parse(text, &error);
  g_assert_no_error(error);
  g_assert_nonnull(s);
  return s;
}

static MgSdpSession *
answer_ok(const char *offer_text, const MgSdpAnswerPlan *plan)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MgSdpSession) offer = parse_ok(offer_text);
  g_assert_true(mg_sdp_check_offer(offer, &error));
  g_assert_no_error(error);
  MgSdpSession *answer = mg_sdp_answer_new(offer, &local, plan, &error);
  g_assert_no_error(error);
  g_assert_nonnull(answer);
  return answer;
}

/* ---- parsing ---- */

static void
test_parse_chrome(void)
{
  g_autoptr(MgSdpSession) s = parse_ok(chrome_offer);
  g_assert_cmpuint(s->media->len, ==, 2);
  g_assert_cmpstr(s->ice_ufrag, ==, "Ffpw");
  g_assert_cmpstr(s->ice_pwd, ==, "dZ3eBq3s2uJ1s7t3MeuSGXvw");
  g_assert_true(s->ice_trickle);
  g_assert_false(s->ice_lite);
  g_assert_cmpstr(s->fingerprint_hash, ==, "sha-256");
  g_assert_true(g_str_has_prefix(s->fingerprint, "5C:B6:9E"));
  g_assert_cmpint(s->setup, ==, MG_SDP_SETUP_ACTPASS);
  g_assert_true(s->extmap_allow_mixed);
  g_assert_cmpstrv(s->bundle, ((const char *const[]){ "0", "1", NULL }));

  MgSdpMedia *a = media(s, 0), *v = media(s, 1);
  g_assert_cmpint(a->kind, ==, MG_SDP_KIND_AUDIO);
  g_assert_cmpstr(a->mid, ==, "0");
  g_assert_cmpint(a->direction, ==, MG_SDP_DIRECTION_SENDONLY);
  g_assert_true(a->rtcp_mux && a->rtcp_rsize);
  g_assert_cmpuint(a->codecs->len, ==, 8);
  const MgSdpCodec *opus = mg_sdp_media_find_codec(a, 111);
  g_assert_cmpint(opus->id, ==, MG_SDP_CODEC_OPUS);
  g_assert_cmpuint(opus->clock_rate, ==, 48000);
  g_assert_cmpuint(opus->channels, ==, 2);
  g_assert_cmpstr(opus->fmtp, ==, "minptime=10;useinbandfec=1");
  g_assert_cmpuint(opus->rtcp_fb, ==, MG_SDP_FB_TRANSPORT_CC);
  g_assert_cmpuint(a->ext_ids[MG_SDP_EXT_AUDIO_LEVEL], ==, 1);
  g_assert_cmpuint(a->ext_ids[MG_SDP_EXT_MID], ==, 4);
  g_assert_cmpstr(a->msid, ==, "s1 a1");
  g_assert_cmpuint(a->ssrcs->len, ==, 1);
  g_assert_cmpstr(g_array_index(a->ssrcs, MgSdpSsrc, 0).cname, ==, "Lx5pTz0cBhqXSjOa");

  g_assert_cmpint(v->kind, ==, MG_SDP_KIND_VIDEO);
  g_assert_cmpuint(v->codecs->len, ==, 17);
  const MgSdpCodec *vp8 = mg_sdp_media_find_codec(v, 96);
  g_assert_cmpint(vp8->id, ==, MG_SDP_CODEC_VP8);
  g_assert_cmpuint(vp8->rtcp_fb, ==, MG_SDP_FB_ALL);
  g_assert_cmpint(vp8->rtx_pt, ==, 97);
  g_assert_cmpint(mg_sdp_media_find_codec(v, 97)->apt, ==, 96);
  g_assert_true(mg_sdp_codec_is_supported(mg_sdp_media_find_codec(v, 98)));   /* VP9 profile 0 */
  g_assert_false(mg_sdp_codec_is_supported(mg_sdp_media_find_codec(v, 100))); /* VP9 profile 2 */
  g_assert_false(mg_sdp_codec_is_supported(mg_sdp_media_find_codec(v, 102))); /* baseline, not constrained */
  g_assert_false(mg_sdp_codec_is_supported(mg_sdp_media_find_codec(v, 104))); /* packetization-mode 0 */
  g_assert_true(mg_sdp_codec_is_supported(mg_sdp_media_find_codec(v, 106)));
  g_assert_false(mg_sdp_codec_is_supported(mg_sdp_media_find_codec(v, 35))); /* AV1 */
  g_assert_cmpuint(v->ext_ids[MG_SDP_EXT_RID], ==, 10);
  g_assert_cmpuint(v->ext_ids[MG_SDP_EXT_REPAIRED_RID], ==, 11);
  g_assert_cmpuint(v->ext_ids[MG_SDP_EXT_TRANSPORT_CC], ==, 3);
  g_assert_cmpuint(v->ext_ids[MG_SDP_EXT_ABS_SEND_TIME], ==, 2);
  g_assert_cmpuint(mg_sdp_media_get_rtx_ssrc(v, 2001), ==, 2002);
  g_assert_cmpuint(v->ssrcs->len, ==, 2);
  g_assert_cmpstr(g_array_index(v->ssrcs, MgSdpSsrc, 1).msid, ==, "s1 v1");
}

static void
test_parse_garbage(void)
{
  const char *bad[] = { "",
                        "hello",
                        "v=1\r\n",
                        "v=0\r\nm=audio 9 RTP/SAVPF 111\r\na=rtpmap:x opus/48000\r\n",
                        "v=0\r\nm=audio 9 RTP/SAVPF 111\r\na=extmap:0 urn:x\r\n",
                        "v=0\r\nm=audio 9 RTP/SAVPF 111\r\na=ssrc:99999999999 cname:x\r\n" };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(MgSdpSession) s = mg_sdp_parse(bad[i], &error);
    g_assert_null(s);
    g_assert_error(error, MG_SDP_ERROR, MG_SDP_ERROR_PARSE);
  }
}

/* Plain attributes at each level: flags, first-wins strings, directions, and
 * what a session-wide or m-line-only attribute does at the other level. */
static void
test_parse_levels(void)
{
  static const char text[] = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
                             "a=recvonly\r\na=end-of-candidates\r\na=ice-ufrag:sess\r\na=ice-pwd:sesspwd\r\n"
                             "a=ice-lite\r\n"
                             "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n"
                             "a=ice-ufrag:m0\r\na=ice-ufrag:m0b\r\na=ice-pwd:m0pwd\r\na=msid:s1 a1\r\na=msid:s2 a2\r\n"
                             "a=extmap-allow-mixed\r\na=end-of-candidates\r\na=rtcp-mux\r\na=bundle-only\r\n"
                             "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\na=inactive\r\n"
                             "a=sendrecv\r\na=rtcp-rsize\r\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(MgSdpSession) s = mg_sdp_parse(text, &error);
  g_assert_no_error(error);
  MgSdpMedia *a = media(s, 0), *v = media(s, 1);
  g_assert_cmpstr(s->ice_ufrag, ==, "sess");
  g_assert_cmpstr(s->ice_pwd, ==, "sesspwd");
  g_assert_true(s->ice_lite);
  g_assert_true(s->extmap_allow_mixed);
  g_assert_cmpstr(a->ice_ufrag, ==, "m0");
  g_assert_cmpstr(a->ice_pwd, ==, "m0pwd");
  g_assert_cmpstr(a->msid, ==, "s1 a1");
  g_assert_null(v->msid);
  g_assert_cmpint(a->direction, ==, MG_SDP_DIRECTION_RECVONLY);
  g_assert_cmpint(v->direction, ==, MG_SDP_DIRECTION_SENDRECV);
  g_assert_true(a->end_of_candidates && a->rtcp_mux && a->bundle_only && !a->rtcp_rsize);
  g_assert_true(!v->end_of_candidates && !v->rtcp_mux && !v->bundle_only && v->rtcp_rsize);

  /* A session-level value without an m-line's ufrag: resolved from the first m-line. */
  g_autofree char *no_sess = edit(text, "a=ice-ufrag:sess", NULL);
  g_autoptr(MgSdpSession) r = mg_sdp_parse(no_sess, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(r->ice_ufrag, ==, "m0");
  g_assert_cmpstr(r->ice_pwd, ==, "m0pwd");

  /* Empty strings are refused, named by their key and level. */
  g_autofree char *empty_msid = edit(text, "a=msid:s1", "a=msid:");
  g_assert_null(mg_sdp_parse(empty_msid, &error));
  g_assert_error(error, MG_SDP_ERROR, MG_SDP_ERROR_PARSE);
  g_assert_cmpstr(error->message, ==, "m-line 0: malformed a=msid:");
  g_clear_error(&error);
  g_autofree char *empty_pwd = edit(text, "a=ice-pwd:sess", "a=ice-pwd:");
  g_assert_null(mg_sdp_parse(empty_pwd, &error));
  g_assert_error(error, MG_SDP_ERROR, MG_SDP_ERROR_PARSE);
  g_assert_cmpstr(error->message, ==, "malformed a=ice-pwd:");
}

/* ---- answers ---- */

static void
check_answer_text(const MgSdpSession *answer)
{
  g_autofree char *text = mg_sdp_to_text(answer);
  g_assert_nonnull(strstr(text, "a=ice-lite\r\n"));
  g_assert_nonnull(strstr(text, "a=setup:passive\r\n"));
  g_assert_nonnull(strstr(text, "a=fingerprint:sha-256 " FP_OURS "\r\n"));
  g_assert_nonnull(strstr(text, "a=ice-ufrag:mgufrag1\r\n"));
  g_assert_nonnull(strstr(text, "a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\na=end-of-candidates\r\n"));
  g_autoptr(MgSdpSession) back = round_trip(answer);
  g_assert_cmpstrv(back->bundle, answer->bundle);
  g_assert_cmpuint(back->candidates->len, ==, 1);
  g_assert_cmpuint(g_array_index(back->candidates, MgSdpCandidate, 0).mline, ==, 0);
  g_assert_cmpint(back->setup, ==, MG_SDP_SETUP_PASSIVE);
  g_assert_true(back->ice_lite);
}

static void
test_answer_chrome(void)
{
  g_autoptr(MgSdpSession) ans = answer_ok(chrome_offer, NULL);
  g_assert_cmpuint(ans->media->len, ==, 2);
  g_assert_cmpstrv(ans->bundle, ((const char *const[]){ "0", "1", NULL }));
  g_assert_true(ans->ice_lite && ans->extmap_allow_mixed);
  g_assert_cmpint(ans->setup, ==, MG_SDP_SETUP_PASSIVE);

  MgSdpMedia *a = media(ans, 0), *v = media(ans, 1);
  g_assert_cmpint(a->direction, ==, MG_SDP_DIRECTION_RECVONLY);
  g_assert_true(a->rtcp_mux && a->rtcp_rsize);
  g_assert_cmpuint(a->codecs->len, ==, 1);
  g_assert_cmpuint(pt_at(a, 0), ==, 111);
  g_assert_cmpstr(mg_sdp_media_get_codec(a)->fmtp, ==, "minptime=10;useinbandfec=1");
  /* transport-cc is offered but not answered: meetgate sends REMB, not transport-wide feedback. */
  g_assert_cmpuint(a->extmaps->len, ==, 3);
  g_assert_cmpuint(a->ext_ids[MG_SDP_EXT_TRANSPORT_CC], ==, 0);
  g_assert_true(has_extmap(a, 1, mg_sdp_ext_uri(MG_SDP_EXT_AUDIO_LEVEL)));
  g_assert_true(has_extmap(a, 4, mg_sdp_ext_uri(MG_SDP_EXT_MID)));

  g_assert_cmpint(v->direction, ==, MG_SDP_DIRECTION_RECVONLY);
  g_assert_cmpuint(v->codecs->len, ==, 2);
  g_assert_cmpuint(pt_at(v, 0), ==, 96);
  g_assert_cmpuint(pt_at(v, 1), ==, 97);
  g_assert_cmpint(mg_sdp_media_get_codec(v)->rtx_pt, ==, 97);
  g_assert_cmpuint(mg_sdp_media_get_codec(v)->rtcp_fb, ==, MG_SDP_FB_HONOURED);
  g_assert_cmpstr(g_array_index(v->codecs, MgSdpCodec, 1).fmtp, ==, "apt=96");
  /* Only the extensions we use, with the offer's ids. */
  g_assert_cmpuint(v->extmaps->len, ==, 4);
  g_assert_cmpuint(v->ext_ids[MG_SDP_EXT_ABS_SEND_TIME], ==, 2);
  g_assert_cmpuint(v->ext_ids[MG_SDP_EXT_TRANSPORT_CC], ==, 0);
  g_assert_cmpuint(v->ext_ids[MG_SDP_EXT_MID], ==, 4);
  g_assert_cmpuint(v->ext_ids[MG_SDP_EXT_RID], ==, 10);
  g_assert_cmpuint(v->ext_ids[MG_SDP_EXT_REPAIRED_RID], ==, 11);
  g_assert_cmpuint(v->ssrcs->len, ==, 0);
  check_answer_text(ans);
}

static void
test_answer_h264(void)
{
  g_autoptr(MgSdpSession) ans = answer_ok(chrome_offer_h264, NULL);
  MgSdpMedia *v = media(ans, 1);
  /* AV1, H.264 baseline and packetization-mode 0 are skipped; pts are the offerer's. */
  g_assert_cmpuint(v->codecs->len, ==, 2);
  g_assert_cmpuint(pt_at(v, 0), ==, 106);
  g_assert_cmpuint(pt_at(v, 1), ==, 107);
  g_assert_cmpint(mg_sdp_media_get_codec(v)->id, ==, MG_SDP_CODEC_H264);

  /* A plan can ask for one codec: a subscriber gets what was published. */
  MgSdpMlinePlan mlines[] = { { .role = MG_SDP_ROLE_RECV }, { .role = MG_SDP_ROLE_RECV, .codec = MG_SDP_CODEC_VP9 } };
  MgSdpAnswerPlan plan = { mlines, G_N_ELEMENTS(mlines) };
  g_autoptr(MgSdpSession) ans2 = answer_ok(chrome_offer, &plan);
  g_assert_cmpuint(pt_at(media(ans2, 1), 0), ==, 98);
  g_assert_cmpuint(pt_at(media(ans2, 1), 1), ==, 99);
  g_assert_cmpstr(mg_sdp_media_get_codec(media(ans2, 1))->fmtp, ==, "profile-id=0");
}

static void
test_answer_simulcast(void)
{
  g_autoptr(MgSdpSession) offer = parse_ok(chrome_offer_simulcast);
  MgSdpMedia *ov = media(offer, 1);
  g_assert_cmpuint(ov->rids->len, ==, 3);
  g_assert_cmpstr(g_array_index(ov->rids, MgSdpRid, 0).id, ==, "q");
  g_assert_cmpint(g_array_index(ov->rids, MgSdpRid, 2).direction, ==, MG_SDP_DIRECTION_SENDONLY);
  g_assert_cmpstrv(ov->simulcast_send, ((const char *const[]){ "q", "h", "f", NULL }));
  g_assert_null(ov->simulcast_recv);

  g_autoptr(MgSdpSession) ans = answer_ok(chrome_offer_simulcast, NULL);
  MgSdpMedia *v = media(ans, 1);
  g_assert_cmpuint(v->rids->len, ==, 3);
  g_assert_cmpstr(g_array_index(v->rids, MgSdpRid, 1).id, ==, "h");
  g_assert_cmpint(g_array_index(v->rids, MgSdpRid, 1).direction, ==, MG_SDP_DIRECTION_RECVONLY);
  g_assert_cmpstrv(v->simulcast_recv, ((const char *const[]){ "q", "h", "f", NULL }));
  g_assert_cmpuint(v->ext_ids[MG_SDP_EXT_RID], ==, 10);
  g_autofree char *text = mg_sdp_to_text(ans);
  g_assert_nonnull(strstr(text, "a=rid:q recv\r\na=rid:h recv\r\na=rid:f recv\r\na=simulcast:recv q;h;f\r\n"));
  g_autoptr(MgSdpSession) back = round_trip(ans);
  g_assert_cmpstrv(media(back, 1)->simulcast_recv, v->simulcast_recv);
}

static void
test_answer_aiortc(void)
{
  g_autoptr(MgSdpSession) offer = parse_ok(aiortc_offer);
  g_assert_cmpuint(offer->candidates->len, ==, 2);
  g_assert_cmpuint(g_array_index(offer->candidates, MgSdpCandidate, 1).mline, ==, 1);
  g_assert_true(g_str_has_suffix(g_array_index(offer->candidates, MgSdpCandidate, 1).value, "51236 typ host"));
  g_assert_true(media(offer, 0)->end_of_candidates);
  g_assert_cmpstr(offer->ice_ufrag, ==, "Xq3T");

  g_autoptr(MgSdpSession) ans = answer_ok(aiortc_offer, NULL);
  MgSdpMedia *a = media(ans, 0), *v = media(ans, 1);
  g_assert_cmpuint(pt_at(a, 0), ==, 96);
  g_assert_cmpint(mg_sdp_media_get_codec(a)->id, ==, MG_SDP_CODEC_OPUS);
  g_assert_cmpint(a->direction, ==, MG_SDP_DIRECTION_RECVONLY);
  g_assert_false(a->rtcp_rsize);
  g_assert_cmpuint(pt_at(v, 0), ==, 97);
  g_assert_cmpuint(pt_at(v, 1), ==, 98);
  g_assert_cmpuint(mg_sdp_media_get_codec(v)->rtcp_fb, ==, MG_SDP_FB_NACK | MG_SDP_FB_NACK_PLI | MG_SDP_FB_GOOG_REMB);
  /* id 2 means audio-level in one m-line and abs-send-time in the other:
   * invalid under BUNDLE, so neither is answered; mid (id 1) is. */
  g_assert_cmpuint(a->extmaps->len, ==, 1);
  g_assert_cmpuint(v->extmaps->len, ==, 1);
  g_assert_cmpuint(a->ext_ids[MG_SDP_EXT_MID], ==, 1);
  g_assert_cmpuint(v->ext_ids[MG_SDP_EXT_MID], ==, 1);
  g_assert_cmpuint(a->ext_ids[MG_SDP_EXT_AUDIO_LEVEL], ==, 0);
  g_assert_cmpuint(v->ext_ids[MG_SDP_EXT_ABS_SEND_TIME], ==, 0);
  check_answer_text(ans);
}

static void
test_answer_webrtcbin(void)
{
  g_autoptr(MgSdpSession) offer = parse_ok(webrtcbin_offer);
  g_assert_true(offer->ice_trickle);
  g_assert_cmpstr(media(offer, 1)->mid, ==, "audio1");
  g_autoptr(MgSdpSession) ans = answer_ok(webrtcbin_offer, NULL);
  g_assert_cmpstrv(ans->bundle, ((const char *const[]){ "video0", "audio1", NULL }));
  g_assert_cmpint(media(ans, 0)->kind, ==, MG_SDP_KIND_VIDEO);
  g_assert_cmpuint(pt_at(media(ans, 0), 0), ==, 96);
  g_assert_cmpuint(media(ans, 0)->codecs->len, ==, 1); /* no RTX offered */
  g_assert_cmpuint(pt_at(media(ans, 1), 0), ==, 97);
  g_assert_cmpstr(mg_sdp_media_get_codec(media(ans, 1))->name, ==, "OPUS");
  g_assert_cmpint(media(ans, 1)->direction, ==, MG_SDP_DIRECTION_RECVONLY);
  check_answer_text(ans);
}

static void
test_answer_bundle_only(void)
{
  g_autoptr(MgSdpSession) offer = parse_ok(webrtcbin_offer_max_bundle);
  g_assert_cmpuint(media(offer, 1)->port, ==, 0);
  g_assert_true(media(offer, 1)->bundle_only);
  g_assert_false(media(offer, 1)->rejected);
  g_autoptr(MgSdpSession) ans = answer_ok(webrtcbin_offer_max_bundle, NULL);
  g_assert_false(media(ans, 1)->rejected);
  g_assert_cmpint(media(ans, 1)->direction, ==, MG_SDP_DIRECTION_RECVONLY);
  g_assert_cmpuint(pt_at(media(ans, 1), 0), ==, 97);
  g_assert_cmpstrv(ans->bundle, ((const char *const[]){ "video0", "audio1", NULL }));
  check_answer_text(ans);
}

static void
test_answer_whep(void)
{
  MgSdpMlinePlan mlines[] = {
    { .role = MG_SDP_ROLE_SEND, .ssrc = 5001, .rtx_ssrc = 5002, .cname = "mg", .msid = "room a" },
    { .role = MG_SDP_ROLE_SEND, .ssrc = 6001, .rtx_ssrc = 6002, .cname = "mg", .msid = "room v" },
  };
  MgSdpAnswerPlan plan = { mlines, G_N_ELEMENTS(mlines) };
  g_autoptr(MgSdpSession) ans = answer_ok(whep_offer, &plan);
  MgSdpMedia *a = media(ans, 0), *v = media(ans, 1);
  g_assert_cmpint(a->direction, ==, MG_SDP_DIRECTION_SENDONLY);
  g_assert_cmpint(v->direction, ==, MG_SDP_DIRECTION_SENDONLY);
  g_assert_cmpuint(a->ssrcs->len, ==, 1); /* Opus has no RTX: no RTX ssrc */
  g_assert_cmpuint(a->fids->len, ==, 0);
  g_assert_cmpstr(a->msid, ==, "room a");
  g_assert_cmpuint(v->ssrcs->len, ==, 2);
  g_assert_cmpuint(mg_sdp_media_get_rtx_ssrc(v, 6001), ==, 6002);
  g_autofree char *text = mg_sdp_to_text(ans);
  g_assert_nonnull(strstr(text, "a=ssrc-group:FID 6001 6002\r\n"));
  g_assert_nonnull(strstr(text, "a=ssrc:6001 cname:mg\r\na=ssrc:6001 msid:room v\r\n"));
  g_assert_nonnull(strstr(text, "a=msid:room v\r\n"));
  g_autoptr(MgSdpSession) back = round_trip(ans);
  g_assert_cmpuint(mg_sdp_media_get_rtx_ssrc(media(back, 1), 6001), ==, 6002);

  /* Sending without an ssrc is a caller bug, said clearly. */
  g_autoptr(GError) error = NULL;
  g_autoptr(MgSdpSession) offer = parse_ok(whep_offer);
  mlines[1].ssrc = 0;
  g_assert_null(mg_sdp_answer_new(offer, &local, &plan, &error));
  g_assert_error(error, MG_SDP_ERROR, MG_SDP_ERROR_INVALID_ARGUMENT);
}

static void
test_answer_datachannel(void)
{
  g_autoptr(MgSdpSession) ans = answer_ok(chrome_offer_datachannel, NULL);
  g_assert_cmpuint(ans->media->len, ==, 3);
  MgSdpMedia *d = media(ans, 2);
  g_assert_true(d->rejected);
  g_assert_cmpint(d->kind, ==, MG_SDP_KIND_APPLICATION);
  g_assert_cmpstr(d->mid, ==, "2");
  g_assert_cmpstrv(ans->bundle, ((const char *const[]){ "0", "1", NULL }));
  g_autofree char *text = mg_sdp_to_text(ans);
  g_assert_nonnull(strstr(text, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"));
  g_autoptr(MgSdpSession) back = round_trip(ans);
  g_assert_true(media(back, 2)->rejected);
  g_assert_cmpstr(media(back, 2)->mid, ==, "2");
}

/* ---- refusals ---- */

typedef struct {
  const char *name;
  const char *prefix, *replacement; /* edit of chrome_offer */
  const char *base;                 /* or another offer as is */
  MgSdpError code;
  const char *message;
} Refusal;

static const Refusal refusals[] = {
  { "no-fingerprint", "a=fingerprint:", NULL, NULL, MG_SDP_ERROR_NO_FINGERPRINT,
    "the offer has no a=fingerprint: DTLS-SRTP needs the peer's certificate fingerprint" },
  { "sha-1", "a=fingerprint:", "a=fingerprint:sha-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB", NULL,
    MG_SDP_ERROR_NO_FINGERPRINT, "the offer's a=fingerprint uses sha-1; sha-256 or stronger is required" },
  { "no-ice-pwd", "a=ice-pwd:", NULL, NULL, MG_SDP_ERROR_NO_ICE, "the offer has no a=ice-ufrag and a=ice-pwd" },
  { "no-bundle", "a=group:", NULL, NULL, MG_SDP_ERROR_NO_BUNDLE,
    "the offer has no a=group:BUNDLE: every m-line must share one transport (RFC 8843)" },
  { "partial-bundle", "a=group:", "a=group:BUNDLE 0", NULL, MG_SDP_ERROR_NO_BUNDLE,
    "the offer's m-line 1 (video, mid 1) is not in the BUNDLE group: every m-line must share one transport "
    "(RFC 8843)" },
  { "no-rtcp-mux", "a=rtcp-mux", NULL, NULL, MG_SDP_ERROR_NO_RTCP_MUX,
    "the offer's m-line 0 (audio, mid 0) has no a=rtcp-mux: RTP and RTCP must share one transport" },
  { "no-opus", "a=rtpmap:111 ", NULL, NULL, MG_SDP_ERROR_NO_CODEC,
    "the offer's m-line 0 (audio, mid 0) has no codec we support (offered: red, G722, PCMU, PCMA, CN, "
    "telephone-event; audio needs opus/48000/2)" },
  { "h264-baseline-only", NULL, NULL,
    CHROME_SESSION CHROME_AUDIO L("m=video 9 UDP/TLS/RTP/SAVPF 35 36 102 103 104 105") CHROME_VIDEO_HEAD CHROME_AV1 L(
        "a=rtpmap:102 H264/90000") L("a=fmtp:102 packetization-mode=1;profile-level-id=42001f") RTX("103", "102")
        L("a=rtpmap:104 H264/90000") L("a=fmtp:104 packetization-mode=0;profile-level-id=42e01f") RTX("105", "104"),
    MG_SDP_ERROR_NO_CODEC,
    "the offer's m-line 1 (video, mid 1) has no codec we support (offered: AV1, H264; video needs VP8, VP9 profile 0 "
    "or H.264 constrained baseline with packetization-mode=1)" },
  { "4-rids", NULL, NULL, chrome_offer_4rids, MG_SDP_ERROR_TOO_MANY_RIDS,
    "the offer's m-line 1 (video, mid 1) has 4 simulcast rids; at most 3 are supported" },
  { "no-m-line", NULL, NULL, L("v=0") L("o=- 1 1 IN IP4 0.0.0.0") L("s=-") L("t=0 0"), MG_SDP_ERROR_NO_CODEC,
    "the offer has no m-line" },
};

static void
test_refusal(gconstpointer data)
{
  const Refusal *r = data;
  g_autofree char *text = r->base ? g_strdup(r->base) : edit(chrome_offer, r->prefix, r->replacement);
  g_autoptr(GError) error = NULL;
  g_autoptr(MgSdpSession) offer = parse_ok(text);
  g_assert_false(mg_sdp_check_offer(offer, &error));
  g_assert_error(error, MG_SDP_ERROR, (gint)r->code);
  g_assert_cmpstr(error->message, ==, r->message);
  g_clear_error(&error);
  g_assert_null(mg_sdp_answer_new(offer, &local, NULL, &error));
  g_assert_error(error, MG_SDP_ERROR, (gint)r->code);
}

static void
test_refuse_setup(void)
{
  g_autofree char *text = edit(chrome_offer, "a=setup:", "a=setup:passive");
  g_autoptr(MgSdpSession) offer = parse_ok(text);
  g_autoptr(GError) error = NULL;
  g_assert_true(mg_sdp_check_offer(offer, NULL));
  g_assert_null(mg_sdp_answer_new(offer, &local, NULL, &error));
  g_assert_error(error, MG_SDP_ERROR, MG_SDP_ERROR_SETUP);
  g_assert_cmpstr(error->message, ==,
                  "the offer's a=setup:passive would make us a=setup:active; we only take a=setup:passive");

  /* An offerer that insists on being the DTLS client is fine. */
  g_autofree char *active = edit(chrome_offer, "a=setup:", "a=setup:active");
  g_autoptr(MgSdpSession) ans = answer_ok(active, NULL);
  g_assert_cmpint(ans->setup, ==, MG_SDP_SETUP_PASSIVE);
}

/* ---- server offers ---- */

static const MgSdpTrack tracks[] = {
  { .kind = MG_SDP_KIND_AUDIO, .codec = MG_SDP_CODEC_OPUS, .ssrc = 11, .cname = "mg", .msid = "alice a" },
  { .kind = MG_SDP_KIND_VIDEO,
    .codec = MG_SDP_CODEC_VP8,
    .ssrc = 21,
    .rtx_ssrc = 22,
    .cname = "mg",
    .msid = "alice v" },
  { .kind = MG_SDP_KIND_VIDEO, .codec = MG_SDP_CODEC_H264, .ssrc = 31, .rtx_ssrc = 32, .cname = "mg", .msid = "bob v" },
};

static void
test_offer_round_trip(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MgSdpSession) offer = mg_sdp_offer_new(&local, tracks, G_N_ELEMENTS(tracks), &error);
  g_assert_no_error(error);
  g_autoptr(MgSdpSession) back = round_trip(offer);
  /* What a client sees must pass our own offer checks. */
  g_assert_true(mg_sdp_check_offer(back, &error));
  g_assert_no_error(error);
  g_assert_cmpint(back->setup, ==, MG_SDP_SETUP_ACTPASS);
  g_assert_cmpstrv(back->bundle, ((const char *const[]){ "0", "1", "2", NULL }));
  g_assert_cmpuint(back->candidates->len, ==, 1);

  MgSdpMedia *a = media(back, 0), *v = media(back, 1), *h = media(back, 2);
  g_assert_cmpint(a->direction, ==, MG_SDP_DIRECTION_SENDONLY);
  g_assert_cmpuint(a->codecs->len, ==, 1);
  g_assert_cmpuint(pt_at(a, 0), ==, 111);
  g_assert_cmpstr(mg_sdp_media_get_codec(a)->fmtp, ==, "minptime=10;useinbandfec=1");
  g_assert_cmpuint(pt_at(v, 0), ==, 96);
  g_assert_cmpint(mg_sdp_media_get_codec(v)->rtx_pt, ==, 97);
  g_assert_cmpuint(pt_at(h, 0), ==, 102);
  g_assert_cmpint(mg_sdp_media_get_codec(h)->rtx_pt, ==, 103);
  g_assert_true(mg_sdp_codec_is_supported(mg_sdp_media_get_codec(h)));
  g_assert_cmpuint(mg_sdp_media_get_rtx_ssrc(h, 31), ==, 32);
  g_assert_cmpstr(h->msid, ==, "bob v");
  /* One id per extension across the bundle. */
  g_assert_cmpuint(a->ext_ids[MG_SDP_EXT_MID], ==, v->ext_ids[MG_SDP_EXT_MID]);
  g_assert_cmpuint(a->ext_ids[MG_SDP_EXT_TRANSPORT_CC], ==, 0); /* not offered: see MG_SDP_FB_HONOURED */
  g_assert_cmpuint(h->ext_ids[MG_SDP_EXT_TRANSPORT_CC], ==, 0);
  g_assert_cmpuint(a->ext_ids[MG_SDP_EXT_AUDIO_LEVEL], !=, v->ext_ids[MG_SDP_EXT_ABS_SEND_TIME]);
}

static void
test_offer_ended_track(void)
{
  MgSdpTrack t[G_N_ELEMENTS(tracks)];
  memcpy(t, tracks, sizeof t);
  t[1].ended = TRUE;
  g_autoptr(GError) error = NULL;
  g_autoptr(MgSdpSession) offer = mg_sdp_offer_new(&local, t, G_N_ELEMENTS(t), &error);
  g_assert_no_error(error);
  g_autoptr(MgSdpSession) back = round_trip(offer);
  /* An ended track's m-line stays bundled and inactive, ready to be reused
   * by a later track of its kind: no SSRC, same mid. */
  g_assert_cmpuint(back->media->len, ==, 3);
  g_assert_false(media(back, 1)->rejected);
  g_assert_cmpuint(media(back, 1)->port, ==, 9);
  g_assert_cmpint(media(back, 1)->direction, ==, MG_SDP_DIRECTION_INACTIVE);
  g_assert_cmpuint(media(back, 1)->ssrcs->len, ==, 0);
  g_assert_cmpstr(media(back, 1)->mid, ==, "1");
  g_assert_cmpstr(media(back, 2)->mid, ==, "2");
  g_assert_cmpstrv(back->bundle, ((const char *const[]){ "0", "1", "2", NULL }));

  /* Every track ended: still a valid offer with a full BUNDLE group. */
  for (guint i = 0; i < G_N_ELEMENTS(t); i++)
    t[i].ended = TRUE;
  g_autoptr(MgSdpSession) offer2 = mg_sdp_offer_new(&local, t, G_N_ELEMENTS(t), &error);
  g_assert_no_error(error);
  g_autoptr(MgSdpSession) back2 = round_trip(offer2);
  g_assert_cmpstrv(back2->bundle, ((const char *const[]){ "0", "1", "2", NULL }));

  MgSdpTrack bad = { .kind = MG_SDP_KIND_AUDIO, .codec = MG_SDP_CODEC_VP8, .ssrc = 1, .cname = "x", .msid = "a b" };
  g_assert_null(mg_sdp_offer_new(&local, &bad, 1, &error));
  g_assert_error(error, MG_SDP_ERROR, MG_SDP_ERROR_INVALID_ARGUMENT);
}

/* What Chromium answers to the offer of test_offer_round_trip. */
#define CLIENT_MEDIA(kind, pts, mid, codec)                                                                            \
  L("m=" kind " 9 UDP/TLS/RTP/SAVPF " pts)                                                                             \
  L("c=IN IP4 0.0.0.0")                                                                                                \
  L("a=ice-ufrag:Ffpw")                                                                                                \
  L("a=ice-pwd:dZ3eBq3s2uJ1s7t3MeuSGXvw")                                                                              \
  L("a=fingerprint:" FP_CHROME)                                                                                        \
  L("a=setup:active") L("a=mid:" mid) L("a=recvonly") L("a=rtcp-mux") L("a=rtcp-rsize") codec
static const char client_answer[] = L("v=0") L("o=- 99 2 IN IP4 127.0.0.1") L("s=-") L("t=0 0")
    L("a=group:BUNDLE 0 1 2") CLIENT_MEDIA("audio", "111", "0", L("a=rtpmap:111 opus/48000/2"))
        CLIENT_MEDIA("video", "96 97", "1", L("a=rtpmap:96 VP8/90000") RTX("97", "96"))
            CLIENT_MEDIA("video", "102 103", "2",
                         L("a=rtpmap:102 H264/90000")
                             L("a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f")
                                 RTX("103", "102"));

static void
test_apply_answer(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MgSdpSession) offer = mg_sdp_offer_new(&local, tracks, G_N_ELEMENTS(tracks), &error);
  g_autoptr(MgSdpSession) answer = mg_sdp_apply_answer(offer, client_answer, &error);
  g_assert_no_error(error);
  g_assert_cmpint(answer->setup, ==, MG_SDP_SETUP_ACTIVE);
  g_assert_cmpuint(pt_at(media(answer, 2), 0), ==, 102);

  static const struct {
    const char *prefix, *replacement;
    MgSdpError code;
    const char *message;
  } bad[] = {
    { "a=fingerprint", NULL, MG_SDP_ERROR_NO_FINGERPRINT,
      "the answer has no a=fingerprint: DTLS-SRTP needs the peer's certificate fingerprint" },
    { "a=ice-ufrag", NULL, MG_SDP_ERROR_NO_ICE, "the answer has no a=ice-ufrag and a=ice-pwd" },
    { "a=setup", "a=setup:passive", MG_SDP_ERROR_SETUP,
      "the answer says a=setup:passive; we are the DTLS server, so it must say a=setup:active" },
    { "a=rtpmap:96", "a=rtpmap:96 VP9/90000", MG_SDP_ERROR_NO_CODEC,
      "the answer's m-line 1 (video, mid 1) accepts no codec we offered" },
    { "a=recvonly", "a=sendrecv", MG_SDP_ERROR_MISMATCH,
      "the answer's m-line 0 (audio, mid 0) says a=sendrecv to our a=sendonly" },
    { "a=group", "a=group:BUNDLE 0 1", MG_SDP_ERROR_NO_BUNDLE,
      "the answer's m-line 2 (video, mid 2) is not in the BUNDLE group: every m-line must share one transport "
      "(RFC 8843)" },
    { "a=mid:2", "a=mid:x", MG_SDP_ERROR_MISMATCH,
      "the answer's m-line 2 (video, mid x) does not match our m-line (video, mid 2)" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autofree char *text = edit(client_answer, bad[i].prefix, bad[i].replacement);
    g_autoptr(GError) e = NULL;
    g_assert_null(mg_sdp_apply_answer(offer, text, &e));
    g_assert_error(e, MG_SDP_ERROR, (gint)bad[i].code);
    g_assert_cmpstr(e->message, ==, bad[i].message);
  }

  /* Fewer m-lines than offered. */
  g_autofree char *two =
      g_strndup(client_answer, strstr(client_answer, "m=video 9 UDP/TLS/RTP/SAVPF 102") - client_answer);
  g_assert_null(mg_sdp_apply_answer(offer, two, &error));
  g_assert_error(error, MG_SDP_ERROR, MG_SDP_ERROR_MISMATCH);
  g_assert_cmpstr(error->message, ==, "the answer has 2 m-lines; our offer has 3");
  g_clear_error(&error);
  g_assert_null(mg_sdp_apply_answer(offer, "nonsense", &error));
  g_assert_error(error, MG_SDP_ERROR, MG_SDP_ERROR_PARSE);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/sdp/parse/chrome", test_parse_chrome);
  g_test_add_func("/sdp/parse/garbage", test_parse_garbage);
  g_test_add_func("/sdp/parse/levels", test_parse_levels);
  g_test_add_func("/sdp/answer/chrome", test_answer_chrome);
  g_test_add_func("/sdp/answer/h264", test_answer_h264);
  g_test_add_func("/sdp/answer/simulcast", test_answer_simulcast);
  g_test_add_func("/sdp/answer/aiortc", test_answer_aiortc);
  g_test_add_func("/sdp/answer/webrtcbin", test_answer_webrtcbin);
  g_test_add_func("/sdp/answer/bundle-only", test_answer_bundle_only);
  g_test_add_func("/sdp/answer/whep", test_answer_whep);
  g_test_add_func("/sdp/answer/datachannel", test_answer_datachannel);
  for (guint i = 0; i < G_N_ELEMENTS(refusals); i++) {
    g_autofree char *path = g_strdup_printf("/sdp/refuse/%s", refusals[i].name);
    g_test_add_data_func(path, &refusals[i], test_refusal);
  }
  g_test_add_func("/sdp/refuse/setup-passive", test_refuse_setup);
  g_test_add_func("/sdp/offer/round-trip", test_offer_round_trip);
  g_test_add_func("/sdp/offer/ended-track", test_offer_ended_track);
  g_test_add_func("/sdp/apply-answer", test_apply_answer);
  return g_test_run();
}

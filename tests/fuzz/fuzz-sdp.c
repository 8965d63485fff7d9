/* SPDX-License-Identifier: MIT
 * libFuzzer target for the SDP module: parse, check as an offer, answer it
 * (publisher plan) and write the answer; also check it as a client answer to
 * a fixed server offer. Seeds: tests/fuzz/corpus/sdp/. */
#include "media/sdp.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const candidates[] = { "1 1 udp 2130706431 127.0.0.1 40000 typ host", NULL };
static const MgSdpLocal local = {
  .ice_ufrag = "fuzzufrag",
  .ice_pwd = "fuzzpasswordfuzzpassword",
  .fingerprint_hash = "sha-256",
  .fingerprint = "12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0",
  .setup = MG_SDP_SETUP_PASSIVE,
  .candidates = candidates,
  .session_id = 1,
  .session_version = 1,
};

static const MgSdpTrack tracks[] = {
  { .kind = MG_SDP_KIND_AUDIO, .codec = MG_SDP_CODEC_OPUS, .ssrc = 11, .cname = "mg", .msid = "s a" },
  { .kind = MG_SDP_KIND_VIDEO, .codec = MG_SDP_CODEC_VP8, .ssrc = 21, .rtx_ssrc = 22, .cname = "mg", .msid = "s v" },
};

static void
answer_as_subscriber(const MgSdpSession *offer)
{
  MgSdpMlinePlan mlines[2] = {
    { .role = MG_SDP_ROLE_SEND, .ssrc = 1, .rtx_ssrc = 2, .cname = "mg", .msid = "s t" },
    { .role = MG_SDP_ROLE_REJECT },
  };
  MgSdpAnswerPlan plan = { mlines, 2 };
  MgSdpSession *answer = mg_sdp_answer_new(offer, &local, &plan, NULL);
  mg_sdp_session_free(answer);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static MgSdpSession *server_offer;
  char *text = g_strndup((const char *)data, size);
  MgSdpSession *offer = mg_sdp_parse(text, NULL);

  if (!server_offer)
    server_offer = mg_sdp_offer_new(&local, tracks, G_N_ELEMENTS(tracks), NULL);
  if (offer) {
    g_free(mg_sdp_to_text(offer));
    if (mg_sdp_check_offer(offer, NULL)) {
      MgSdpSession *answer = mg_sdp_answer_new(offer, &local, NULL, NULL);
      if (answer) {
        char *out = mg_sdp_to_text(answer);
        MgSdpSession *back = mg_sdp_parse(out, NULL);
        g_assert(back != NULL); /* what we write, we must read back */
        mg_sdp_session_free(back);
        g_free(out);
      }
      mg_sdp_session_free(answer);
      answer_as_subscriber(offer);
    }
    mg_sdp_session_free(offer);
  }
  mg_sdp_session_free(mg_sdp_apply_answer(server_offer, text, NULL));
  g_free(text);
  return 0;
}

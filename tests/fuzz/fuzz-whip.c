/* SPDX-License-Identifier: MIT
 * libFuzzer target for WHIP/WHEP PATCH bodies (trickle-ice-sdpfrag): our
 * fragment parser, then every candidate and the credentials it yields into a
 * real libnice agent (lite, loopback), as the media worker would. The offer
 * bodies are SDP: fuzz-sdp. Seeds: tests/fuzz/corpus/whip/. */
#include "gateway/whip.h"
#include "media/ice.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
on_recv(guint8 *data, gsize len, gpointer user_data)
{
}

static void
on_state(MgIceState state, gpointer user_data)
{
}

/* A fresh agent now and then, so remote candidates do not pile up. */
static MgIce *
agent(void)
{
  static MgIce *ice;
  static guint uses;
  if (ice && ++uses % 256 == 0)
    g_clear_pointer(&ice, mg_ice_free);
  if (!ice) {
    char *addresses[] = { "127.0.0.1", NULL };
    MgIceSettings s = { .addresses = addresses };
    MgIceCallbacks cb = { on_recv, on_state };
    g_autoptr(GError) error = NULL;
    ice = mg_ice_new(NULL, &s, &cb, NULL, &error);
    g_assert_no_error(error);
  }
  return ice;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  MgWhipSdpFrag frag = { 0 };
  const char *why = NULL;
  if (!mg_whip_parse_sdpfrag((const char *)data, size, &frag, &why)) {
    g_assert_nonnull(why);
    mg_whip_sdpfrag_clear(&frag);
    return 0;
  }
  MgIce *ice = agent();
  if (frag.ufrag && frag.pwd)
    mg_ice_set_remote_credentials(ice, frag.ufrag, frag.pwd);
  for (guint i = 0; i < frag.candidates->len; i++) {
    const char *c = g_ptr_array_index(frag.candidates, i);
    g_assert_true(g_str_has_prefix(c, "candidate:"));
    mg_ice_add_remote_candidate(ice, c);
  }
  if (frag.end)
    mg_ice_end_of_candidates(ice);
  while (g_main_context_iteration(NULL, FALSE))
    ;
  mg_whip_sdpfrag_clear(&frag);
  return 0;
}

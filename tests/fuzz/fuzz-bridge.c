/* SPDX-License-Identifier: MIT
 * Fuzz target: the bridge API's POST body ({"whip", "whep", "token", "name",
 * "video", "audio"}) through mg_bridge_api_parse and its URL checks. */
#include <stdint.h>
#include <string.h>

#include "gateway/bridge-api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  MgBridgeSpec spec;
  const char *code = NULL;
  g_autoptr(GError) error = NULL;
  if (mg_bridge_api_parse((const char *)data, size, &spec, &code, &error)) {
    g_assert(!error && spec.token && spec.name && (spec.whip || spec.whep));
    g_assert(spec.video >= 1 && spec.video <= 4 && spec.audio >= 1 && spec.audio <= 4);
    g_assert(strlen(spec.token) > 0 && strlen(spec.name) <= 64);
  } else {
    g_assert(error && code && !spec.whip && !spec.whep && !spec.token && !spec.name);
  }
  mg_bridge_spec_clear(&spec);
  return 0;
}

/* SPDX-License-Identifier: MIT
 * Fuzz target: a recording's manifest (recording.json) as meetgate reads it
 * back at start; whatever it accepts must be safe to use as a path. */
#include <stdint.h>

#include "gateway/recordings-api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  MgRecordingManifest m;
  g_autoptr(GError) error = NULL;
  if (!mg_recordings_manifest_parse((const char *)data, size, &m, &error)) {
    g_assert(error && !m.id && !m.room && !m.state);
    return 0;
  }
  g_assert(mg_recordings_valid_id(m.id) && mg_recordings_valid_id(m.room) && m.state);
  mg_recordings_manifest_clear(&m);
  return 0;
}

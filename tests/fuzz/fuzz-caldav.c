/* SPDX-License-Identifier: MIT
 * libFuzzer target for the CalDAV multistatus parser: parse, then check that
 * every item it returns is whole. Seeds: tests/fuzz/corpus/caldav/. */
#include "signaling/caldav.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_auto(MgCaldavMultistatus) ms = { 0 };
  g_autoptr(GError) error = NULL;
  if (mg_caldav_parse_multistatus((const char *)data, size, &ms, &error)) {
    for (guint i = 0; i < ms.items->len; i++) {
      const MgCaldavItem *it = &g_array_index(ms.items, MgCaldavItem, i);
      g_assert_nonnull(it->href);
      g_assert_cmpuint(it->status, <, 600);
    }
  } else {
    g_assert_nonnull(error);
  }
  return 0;
}

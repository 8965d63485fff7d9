/* SPDX-License-Identifier: MIT
 * Fuzz target: the streams API's start request ({"kind", "url"}); what it
 * accepts is a known kind and, for RTMP, a URL we may hand to GStreamer. Also
 * runs the URL masking and the /live/ file name check on the input. */
#include <stdint.h>
#include <string.h>

#include "gateway/streams-api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *kind = NULL, *url = NULL;
  g_autoptr(GError) error = NULL;
  if (!mg_streams_parse_request((const char *)data, size, &kind, &url, &error)) {
    g_assert(error && !kind && !url);
  } else {
    g_assert(!strcmp(kind, "rtmp") || !strcmp(kind, "hls"));
    g_assert(!url || (!strcmp(kind, "rtmp") && mg_streams_valid_rtmp_url(url)));
    if (url) {
      g_autofree char *shown = mg_streams_mask_url(url);
      g_assert(shown && strlen(shown) <= strlen(url) + 4);
    }
  }
  g_free(kind);
  g_free(url);
  g_autofree char *text = g_strndup((const char *)data, size);
  if (mg_streams_valid_file(text))
    g_assert(!strchr(text, '/') && text[0] != '.');
  if (mg_streams_valid_rtmp_url(text)) {
    g_autofree char *shown = mg_streams_mask_url(text);
    g_assert(shown);
  }
  return 0;
}

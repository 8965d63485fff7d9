/* SPDX-License-Identifier: MIT
 * Fuzz target: the ingest API's POST body ({"url", "name"}) and its url
 * check, then the url as answers and logs show it (password hidden). */
#include <stdint.h>
#include <string.h>

#include "gateway/ingest-api.h"
#include "media/ingest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  g_autofree char *url = NULL, *name = NULL;
  gboolean transcode = TRUE;
  const char *code = NULL;
  g_autoptr(GError) error = NULL;
  if (mg_ingest_api_parse((const char *)data, size, &url, &name, &transcode, &code, &error)) {
    g_assert(url && name && !error);
    g_assert(mg_ingest_check_url(url, NULL));
    g_autofree char *shown = mg_ingest_api_display_url(url);
    g_assert(shown);
  } else {
    g_assert(error && !url && !name && code);
  }
  /* The raw bytes as a url too. */
  g_autofree char *raw = g_strndup((const char *)data, size);
  if (mg_ingest_check_url(raw, NULL)) {
    g_autofree char *shown = mg_ingest_api_display_url(raw);
    g_assert(shown);
  }
  return 0;
}

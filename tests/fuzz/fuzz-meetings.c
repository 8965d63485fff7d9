/* SPDX-License-Identifier: MIT
 * Fuzz target: the meetings API's webhook JSON. The body goes through the
 * API's parser and, when it is a meeting, through an upsert, a listing and a
 * cancel in an in-memory store. */
#include <stdint.h>

#include "gateway/meetings-api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static MgStore *store;
  if (!store) {
    g_log_set_always_fatal(G_LOG_FATAL_MASK);
    store = mg_store_open(":memory:", NULL);
  }
  json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
  g_autofree char *field = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MgMeeting) m = body ? mg_meetings_api_parse(body, "fuzz", &field, &error) : NULL;
  json_decref(body);
  if (!m)
    return 0;
  MgMeetingsResult r;
  if (mg_meetings_upsert(store, m, m->start, &r, NULL)) {
    g_autoptr(GArray) occ = mg_meetings_list(store, "fuzz", m->start - 86400, m->start + 30 * 86400, NULL);
    mg_meetings_cancel(store, "fuzz", m->external_id,
                       occ && occ->len ? g_array_index(occ, MgMeetingsOccurrence, 0).start : 0, m->start, NULL);
  }
  mg_meetings_result_clear(&r);
  return 0;
}

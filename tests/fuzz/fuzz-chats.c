/* SPDX-License-Identifier: MIT
 * Fuzz target: the chats API's JSON body. It goes through the parser, the
 * validation, the store (put, get) and the masked answer in an in-memory
 * store; whatever is stored must come back valid, and its answer must have
 * no secret member and no unmasked query value. Seeds: tests/fuzz/corpus/chats/. */
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "signaling/chats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static MgStore *store;
  if (!store) {
    g_log_set_always_fatal(G_LOG_FATAL_MASK);
    store = mg_store_open(":memory:", NULL);
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(MgChat) chat = mg_chat_from_json_text((const char *)data, size, NULL, &error);
  if (!chat) {
    g_assert_nonnull(error);
    return 0;
  }
  if (!mg_chats_put(store, chat, 1, NULL, &error)) {
    g_assert_nonnull(error);
    return 0;
  }
  g_autoptr(MgChat) back = mg_chats_get(store, chat->key);
  g_assert_nonnull(back);
  g_assert_true(mg_chats_validate(back, NULL));
  json_t *answer = mg_chat_to_json_masked(back);
  g_assert_null(json_object_get(answer, "secret"));
  const char *url = json_string_value(json_object_get(answer, "webhook_url"));
  const char *query = url ? strchr(url, '?') : NULL;
  for (const char *eq = query ? strchr(query, '=') : NULL; eq; eq = strchr(eq + 1, '='))
    g_assert_true(g_str_has_prefix(eq, "=****"));
  json_decref(answer);
  mg_chats_remove(store, back->key, NULL);
  return 0;
}

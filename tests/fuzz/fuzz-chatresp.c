/* SPDX-License-Identifier: MIT
 * libFuzzer target for what the chat delivery reads from outside: a
 * platform's answer (chatresp, first byte = connector), the same bytes as a
 * Retry-After value, as a stored event (outbox) and as a rate (ratelimit).
 * Seeds: tests/fuzz/corpus/chatresp/. */
#include <stdint.h>
#include <string.h>

#include "signaling/chatresp.h"
#include "signaling/httpc.h"
#include "signaling/outbox.h"
#include "signaling/ratelimit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 2)
    return 0;
  MgChatConnectorKind kind = (MgChatConnectorKind)(data[0] % (MG_CHAT_CONNECTOR_XMPP + 1));
  int status = 100 + data[1] * 2; /* 100 .. 610 */
  g_autofree char *text = g_strndup((const char *)data + 2, size - 2);
  MgChatrespAnswer a = { .status = data[1] == 0 ? 0 : status, .error = "fuzz", .body = text, .retry_after_s = -1 };
  gint64 after = 0;
  g_autofree char *message = NULL;
  MgChatrespVerdict v = mg_chatresp_classify(kind, &a, &after, &message);
  g_assert_true(v == MG_CHATRESP_OK || v == MG_CHATRESP_RETRY || v == MG_CHATRESP_FAIL);
  g_assert_true(v == MG_CHATRESP_OK ? message == NULL : message != NULL && g_utf8_validate(message, -1, NULL));
  g_assert_cmpuint(message ? strlen(message) : 0, <, 512);

  g_assert_cmpint(mg_httpc_parse_retry_after(text, 1767261600), >=, -1);

  g_autoptr(GError) error = NULL;
  g_autoptr(MgOutboxEvent) e = mg_outbox_event_parse(text, &error);
  if (e) {
    /* What parses writes back and parses again to the same. */
    g_autofree char *json = mg_outbox_event_to_json(&e->ev);
    g_assert_nonnull(json);
    g_autoptr(MgOutboxEvent) again = mg_outbox_event_parse(json, NULL);
    g_assert_nonnull(again);
    g_assert_cmpstr(again->ev.title, ==, e->ev.title);
  } else {
    g_assert_nonnull(error);
  }

  g_clear_error(&error);
  g_autoptr(MgRatelimit) rl = mg_ratelimit_new(text, 0, &error);
  if (rl)
    g_assert_cmpint(mg_ratelimit_take(rl, 0), >=, 0);
  else
    g_assert_nonnull(error);
  return 0;
}

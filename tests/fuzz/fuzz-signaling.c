/* SPDX-License-Identifier: MIT
 * Fuzz target: the signaling WebSocket's messages. The input is split at
 * newlines; each piece is one message to the same session, which talks to a
 * real conference over an in-memory store. (Tokens cannot be forged, so the
 * media side past join is out of reach here; tests/integration covers it.) */
#include <stdint.h>
#include <string.h>

#include "signaling/conference.h"
#include "signaling/session.h"
#include "signaling/store.h"

static void
sink_send(json_t *msg, gpointer data)
{
}

static void
sink_close(guint16 code, const char *reason, gpointer data)
{
}

static const MgSessionTransport transport = { sink_send, sink_close };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static MgStore *store;
  static MgConference *conf;
  static MgSessionStats stats;
  if (!store) {
    g_log_set_always_fatal(G_LOG_FATAL_MASK);
    store = mg_store_open(":memory:", NULL);
    MgConferenceConfig cfg = { .store = store, .engine = NULL, .secret = "fuzz-secret-0123456789abcdef0123456789" };
    conf = mg_conference_new(&cfg);
  }
  MgSession *s = mg_session_new(&transport, NULL, &stats, conf);
  const char *p = (const char *)data, *end = p + size;
  while (p < end) {
    const char *nl = memchr(p, '\n', end - p);
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    mg_session_handle(s, p, n, (gint64)1800000000 * G_USEC_PER_SEC);
    p += n + 1;
  }
  mg_session_free(s);
  return 0;
}

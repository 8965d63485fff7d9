/* SPDX-License-Identifier: MIT
 * Signaling session: parse, dispatch through the handler table, answer errors. */
#define G_LOG_DOMAIN "session"
#include "signaling/session.h"

#include <string.h>

struct MgSession {
  MgSessionTransport transport;
  gpointer transport_data;
  MgSessionStats *stats;
  gint64 last_seen_us;
};

typedef void (*MgSessionHandler)(MgSession *s, json_t *msg, gint64 now_us);

typedef struct {
  const char *type;
  MgSessionHandler handler;
} MgSessionRoute;

static void
send_msg(MgSession *s, json_t *msg)
{
  s->transport.send(msg, s->transport_data);
  json_decref(msg);
}

static void
send_error(MgSession *s, json_t *in_reply_to, const char *code, const char *message)
{
  json_t *msg = json_pack("{s:s, s:s, s:s}", "type", "error", "code", code, "message", message);
  json_t *id = in_reply_to ? json_object_get(in_reply_to, "id") : NULL;
  if (id)
    json_object_set(msg, "id", id);
  s->stats->errors++;
  send_msg(s, msg);
}

static void
on_ping(MgSession *s, json_t *msg, gint64 now_us)
{
  json_t *pong = json_pack("{s:s}", "type", "pong");
  json_t *id = json_object_get(msg, "id");
  if (id)
    json_object_set(pong, "id", id);
  send_msg(s, pong);
}

static const MgSessionRoute routes[] = {
  { "ping", on_ping },
};

MgSession *
mg_session_new(const MgSessionTransport *transport, gpointer transport_data, MgSessionStats *stats)
{
  MgSession *s = g_new0(MgSession, 1);
  s->transport = *transport;
  s->transport_data = transport_data;
  s->stats = stats;
  return s;
}

void
mg_session_free(MgSession *session)
{
  g_free(session);
}

void
mg_session_handle(MgSession *s, const char *text, gsize len, gint64 now_us)
{
  json_error_t jerr;
  s->stats->messages++;
  s->last_seen_us = now_us;

  json_t *msg = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!msg || !json_is_object(msg)) {
    g_autofree char *why = msg ? g_strdup("a message must be a JSON object")
                               : g_strdup_printf("not JSON: %s at offset %d", jerr.text, jerr.position);
    send_error(s, NULL, "bad_message", why);
    json_decref(msg);
    return;
  }
  const char *type = json_string_value(json_object_get(msg, "type"));
  if (!type) {
    send_error(s, msg, "bad_message", "a message needs a string \"type\"");
    json_decref(msg);
    return;
  }
  for (gsize i = 0; i < G_N_ELEMENTS(routes); i++) {
    if (!strcmp(routes[i].type, type)) {
      routes[i].handler(s, msg, now_us);
      json_decref(msg);
      return;
    }
  }
  g_autofree char *why = g_strdup_printf("unknown message type \"%.64s\"", type);
  send_error(s, msg, "unknown_type", why);
  json_decref(msg);
}

/* SPDX-License-Identifier: MIT
 * Signaling session: parse, dispatch through the handler table, answer errors. */
#define G_LOG_DOMAIN "session"
#include "signaling/session.h"

#include <stdarg.h>
#include <string.h>

#include "signaling/conference.h"

struct MgSession {
  MgSessionTransport transport;
  gpointer transport_data;
  MgSessionStats *stats;
  MgConference *conf;
  MgParticipant *participant;
  gboolean closed;
  char *client_ip, *client_agent;
  gint64 received_us; /* when the message being handled arrived (wall clock) */
};

void
mg_session_send(MgSession *s, json_t *msg)
{
  if (!s->closed)
    s->transport.send(msg, s->transport_data);
  json_decref(msg);
}

void
mg_session_reply(MgSession *s, json_t *msg, json_t *reply)
{
  json_t *id = msg ? json_object_get(msg, "id") : NULL;
  if (id)
    json_object_set(reply, "id", id);
  mg_session_send(s, reply);
}

void
mg_session_error(MgSession *s, json_t *msg, const char *code, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *message = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  s->stats->errors++;
  mg_session_reply(s, msg, json_pack("{s:s, s:s, s:s}", "type", "error", "code", code, "message", message));
}

void
mg_session_close(MgSession *s, guint16 code, const char *reason)
{
  if (s->closed)
    return;
  s->closed = TRUE;
  s->transport.close(code, reason, s->transport_data);
}

MgParticipant *
mg_session_get_participant(MgSession *s)
{
  return s->participant;
}

void
mg_session_set_client(MgSession *s, const char *ip, const char *user_agent)
{
  g_free(s->client_ip);
  g_free(s->client_agent);
  s->client_ip = g_strdup(ip);
  s->client_agent = user_agent ? g_strndup(user_agent, 256) : NULL;
}

const char *
mg_session_get_client_ip(MgSession *s)
{
  return s->client_ip;
}

const char *
mg_session_get_user_agent(MgSession *s)
{
  return s->client_agent;
}

gint64
mg_session_get_received_us(MgSession *s)
{
  return s->received_us;
}

void
mg_session_set_participant(MgSession *s, MgParticipant *p)
{
  s->participant = p;
}

MgSession *
mg_session_new(const MgSessionTransport *transport, gpointer transport_data, MgSessionStats *stats, MgConference *conf)
{
  MgSession *s = g_new0(MgSession, 1);
  s->transport = *transport;
  s->transport_data = transport_data;
  s->stats = stats;
  s->conf = conf;
  stats->opened++;
  stats->active++;
  return s;
}

void
mg_session_free(MgSession *s)
{
  if (!s)
    return;
  s->closed = TRUE;
  s->stats->active--;
  if (s->participant && s->conf)
    mg_conference_detach(s->conf, s->participant);
  g_free(s->client_ip);
  g_free(s->client_agent);
  g_free(s);
}

static void
on_ping(MgConference *conf, MgSession *s, json_t *msg, gint64 now_s)
{
  mg_session_reply(s, msg, json_pack("{s:s}", "type", "pong"));
}

void
mg_session_handle(MgSession *s, const char *text, gsize len, gint64 now_us)
{
  json_error_t jerr;
  s->stats->messages++;
  s->received_us = now_us;

  json_t *msg = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!msg || !json_is_object(msg)) {
    if (msg)
      mg_session_error(s, NULL, "bad_message", "a message must be a JSON object");
    else
      mg_session_error(s, NULL, "bad_message", "not JSON: %s at offset %d", jerr.text, jerr.position);
    json_decref(msg);
    return;
  }
  const char *type = json_string_value(json_object_get(msg, "type"));
  MgConferenceHandler handler = NULL;
  if (!type) {
    mg_session_error(s, msg, "bad_message", "a message needs a string \"type\"");
  } else if (!strcmp(type, "ping")) {
    on_ping(s->conf, s, msg, now_us / G_USEC_PER_SEC);
  } else if (s->conf && (handler = mg_conference_find_handler(type))) {
    handler(s->conf, s, msg, now_us / G_USEC_PER_SEC);
  } else {
    mg_session_error(s, msg, "unknown_type", "unknown message type \"%.64s\"", type);
  }
  json_decref(msg);
}

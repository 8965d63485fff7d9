/* SPDX-License-Identifier: MIT
 * A signaling session: one client's conversation over the signaling
 * WebSocket. Messages are JSON objects with a "type"; each type has a handler
 * in a table. The transport is abstract: the session sends through a callback. */
#pragma once

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

typedef struct MgSession MgSession;
typedef struct MgConference MgConference;
typedef struct MgParticipant MgParticipant;

typedef struct {
  /* Sends one message (the session keeps ownership of msg). */
  void (*send)(json_t *msg, gpointer transport);
  /* Closes the transport with a WebSocket close code and reason. */
  void (*close)(guint16 code, const char *reason, gpointer transport);
} MgSessionTransport;

typedef struct {
  guint64 messages;
  guint64 errors; /* malformed or unknown messages */
  guint64 opened; /* sessions ever opened */
  guint active;   /* sessions open now */
} MgSessionStats;

/* conf may be NULL (only ping works then). (transfer full) */
MgSession *mg_session_new(const MgSessionTransport *transport, gpointer transport_data, MgSessionStats *stats,
                          MgConference *conf);
/* The transport is gone: detaches the participant (who may resume). */
void mg_session_free(MgSession *session);
/* Handles one text message; never fails: bad input gets an error message back. now_us: wall clock. */
void mg_session_handle(MgSession *session, const char *text, gsize len, gint64 now_us);

/* For the conference. */
void mg_session_send(MgSession *session, json_t *msg); /* steals msg */
/* The answer to msg (carries its id). Steals reply. */
void mg_session_reply(MgSession *session, json_t *msg, json_t *reply);
void mg_session_error(MgSession *session, json_t *msg, const char *code, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
void mg_session_close(MgSession *session, guint16 code, const char *reason);
MgParticipant *mg_session_get_participant(MgSession *session);
/* Who the client is, as the transport saw it (for the admin API). Copies both; either may be NULL. */
void mg_session_set_client(MgSession *session, const char *ip, const char *user_agent);
const char *mg_session_get_client_ip(MgSession *session);
const char *mg_session_get_user_agent(MgSession *session);
/* When the message being handled arrived (wall clock, µs). */
gint64 mg_session_get_received_us(MgSession *session);
void mg_session_set_participant(MgSession *session, MgParticipant *p);

G_END_DECLS

/* SPDX-License-Identifier: MIT
 * A signaling session: one client's conversation over the signaling
 * WebSocket. Messages are JSON objects with a "type"; each type has a handler
 * in a table. The transport is abstract: the session sends through a callback. */
#pragma once

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

typedef struct MgSession MgSession;

typedef struct {
  /* Sends one message (the session keeps ownership of msg). */
  void (*send)(json_t *msg, gpointer transport);
  /* Closes the transport with a WebSocket close code and reason. */
  void (*close)(guint16 code, const char *reason, gpointer transport);
} MgSessionTransport;

typedef struct {
  guint64 messages;
  guint64 errors; /* malformed or unknown messages */
} MgSessionStats;

/* (transfer full) */
MgSession *mg_session_new(const MgSessionTransport *transport, gpointer transport_data, MgSessionStats *stats);
void mg_session_free(MgSession *session);
/* Handles one text message; never fails: bad input gets an error message back. */
void mg_session_handle(MgSession *session, const char *text, gsize len, gint64 now_us);

G_END_DECLS

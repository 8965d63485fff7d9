/* SPDX-License-Identifier: MIT
 * The chat outbox: every chat message is a row in the store before anyone
 * sends it, unique by its idempotency key, so a message is queued once, sent
 * once and survives a crash. Times are UTC milliseconds, always passed in.
 *
 * States: pending -> sending -> sent; a failed attempt goes back to pending
 * with a later next_at, or to dead after too many; a cancelled meeting's
 * pending messages become withdrawn. A message found 'sending' at start-up
 * (the process died during its HTTP call) goes back to pending and is sent
 * again under the same idempotency key. */
#pragma once

#include <glib.h>

#include "signaling/chatmsg.h"
#include "signaling/store.h"

G_BEGIN_DECLS

#define MG_OUTBOX_ERROR (mg_outbox_error_quark())
GQuark mg_outbox_error_quark(void);
typedef enum {
  MG_OUTBOX_ERROR_INVALID,
  MG_OUTBOX_ERROR_NOT_FOUND,
  MG_OUTBOX_ERROR_STORE,
} MgOutboxError;

typedef enum {
  MG_OUTBOX_PENDING,
  MG_OUTBOX_SENDING,
  MG_OUTBOX_SENT,
  MG_OUTBOX_DEAD,
  MG_OUTBOX_WITHDRAWN,
} MgOutboxState;

const char *mg_outbox_state_name(MgOutboxState state);

/* One message as stored. */
typedef struct {
  gint64 id;
  char *idem_key;
  char *chat_key;
  char *meeting_id;
  gint64 occurrence;    /* the occurrence's original start (UTC seconds), 0 for a single meeting */
  MgChatEventKind kind; /* meaningful when !raw */
  char *kind_name;      /* as stored: "scheduled", ..., or a raw kind ("participant_joined", "attendance") */
  gboolean raw;         /* a raw message: event_json is the body to POST as is (mg_outbox_enqueue_raw) */
  char *event_json;     /* the event frozen at enqueue time: mg_outbox_event_parse(); raw: the body */
  MgOutboxState state;
  int attempts;
  gint64 next_at_ms;
  char *last_error;
  gint64 created_at_ms, sent_at_ms;
} MgOutboxMessage;

void mg_outbox_message_free(MgOutboxMessage *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgOutboxMessage, mg_outbox_message_free)

/* A frozen event: owns its strings; ev borrows them. */
typedef struct MgOutboxEvent MgOutboxEvent;
struct MgOutboxEvent {
  MgChatEvent ev;
  gpointer priv;
};
/* ev (with its strings) as JSON for the event column. (transfer full) */
char *mg_outbox_event_to_json(const MgChatEvent *ev);
/* (transfer full), or NULL with an error for text that is not such JSON. */
MgOutboxEvent *mg_outbox_event_parse(const char *json, GError **error);
void mg_outbox_event_free(MgOutboxEvent *e);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgOutboxEvent, mg_outbox_event_free)

/* Queues ev for chat_key under idem_key (see mg_chatmsg_idempotency_key).
 * Runs inside the caller's transaction when one is open (the scheduler's,
 * the meetings upsert's), so the message commits with the change that
 * caused it. A key already queued (in any state) is not queued again:
 * returns TRUE with *queued FALSE. */
gboolean mg_outbox_enqueue(MgStore *store, const char *idem_key, const char *chat_key, const char *meeting_id,
                           gint64 occurrence, const MgChatEvent *ev, gint64 now_ms, gboolean *queued, GError **error);

/* Queues a raw message: body_json (a JSON object, stored as given) is POSTed
 * as is to target (not a chat: "hook:<name>", "callback:<source>"), named
 * kind_name (lower case letters and '_', not a chat event kind's name).
 * meeting_id may be "" (no meeting). Same transaction and idempotency rules
 * as mg_outbox_enqueue(). */
gboolean mg_outbox_enqueue_raw(MgStore *store, const char *idem_key, const char *target, const char *meeting_id,
                               gint64 occurrence, const char *kind_name, const char *body_json, gint64 now_ms,
                               gboolean *queued, GError **error);

/* Pending messages due at now_ms (next_at <= now), oldest first, at most
 * limit; chat_key NULL: every chat. (transfer full) MgOutboxMessage *. */
GPtrArray *mg_outbox_due(MgStore *store, const char *chat_key, gint64 now_ms, guint limit, GError **error);
/* The earliest next_at of a pending message, or 0 when nothing is pending. */
gint64 mg_outbox_next_at(MgStore *store);
/* Like mg_outbox_due over every chat, but only each chat's head (its oldest
 * pending or sending message) counts, so a chat's messages go out in order:
 * a message waiting for its retry holds back the later ones of its chat.
 * (transfer full) MgOutboxMessage *. */
GPtrArray *mg_outbox_due_heads(MgStore *store, gint64 now_ms, guint limit, GError **error);
/* The earliest next_at of a chat's pending head, or 0 when there is none. */
gint64 mg_outbox_next_head_at(MgStore *store);

/* pending -> sending, committed durably before the request goes out. */
gboolean mg_outbox_mark_sending(MgStore *store, gint64 id, gint64 now_ms, GError **error);
/* sending -> sent. */
gboolean mg_outbox_mark_sent(MgStore *store, gint64 id, gint64 now_ms, GError **error);
/* sending -> pending at next_at_ms, attempts + 1, error kept as last_error. */
gboolean mg_outbox_mark_retry(MgStore *store, gint64 id, gint64 next_at_ms, const char *error_text, GError **error);
/* sending (or pending) -> dead with its last error. */
gboolean mg_outbox_mark_dead(MgStore *store, gint64 id, const char *error_text, GError **error);
/* Moves a pending message's next_at without counting an attempt (rate limit). */
gboolean mg_outbox_defer(MgStore *store, gint64 id, gint64 next_at_ms, GError **error);
/* Dead (or pending) -> pending now, attempts reset: an admin's retry. */
gboolean mg_outbox_requeue(MgStore *store, gint64 id, gint64 now_ms, GError **error);

/* Withdraws the pending messages of a meeting (occurrence 0: every
 * occurrence) whose kind is in kinds (NULL-free array of n kinds). Returns
 * how many; runs inside the caller's transaction when one is open. */
guint mg_outbox_withdraw(MgStore *store, const char *meeting_id, gint64 occurrence, const MgChatEventKind *kinds,
                         guint n_kinds);

/* At start-up: every 'sending' message back to pending, due now. Returns how many. */
guint mg_outbox_recover(MgStore *store, gint64 now_ms);

/* Messages in state (newest first, at most limit), for the admin API.
 * (transfer full) MgOutboxMessage *. */
GPtrArray *mg_outbox_list(MgStore *store, MgOutboxState state, guint limit, GError **error);
/* (transfer full) or NULL. */
MgOutboxMessage *mg_outbox_get(MgStore *store, gint64 id);
/* How many messages are in state. */
gint64 mg_outbox_count(MgStore *store, MgOutboxState state);

G_END_DECLS

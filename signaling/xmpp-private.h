/* SPDX-License-Identifier: MIT
 * Shared between xmpp.c (the thread, the connection, results) and xmpp-muc.c
 * (rooms, posts, stanzas). Everything here is owned by the client thread. */
#pragma once

#include <strophe.h>

#include "signaling/xmpp.h"

typedef struct {
  guint64 n;
  char *room, *nick, *text;
  MgXmppDone done;
  gpointer user_data;
  char *id;           /* the message id once sent */
  gint64 deadline_ms; /* queued: queue timeout; sent: ack timeout */
} XmppPost;

typedef enum {
  ROOM_IDLE,    /* not in the room; join when join_at_ms comes */
  ROOM_JOINING, /* presence sent, waiting for our own presence back */
  ROOM_JOINED,
  ROOM_FAILED, /* a permanent join error; the next post tries again */
} XmppRoomState;

typedef struct {
  char *jid, *nick_base, *nick;
  guint suffix; /* nickname-conflict retries */
  XmppRoomState state;
  gint64 join_at_ms, join_deadline_ms;
  GQueue waiting; /* XmppPost, not sent yet */
} XmppRoom;

typedef struct {
  gint dead; /* set by mg_xmpp_free(): queued results are dropped */
} XmppAlive;

typedef struct {
  GMainContext *caller;
  XmppAlive *alive; /* g_atomic_rc_box */
  GAsyncQueue *requests;
  char *jid, *password, *host;
  guint16 port;
  gboolean require_tls;
  guint ack_timeout_ms, queue_timeout_ms, ping_interval_ms;

  xmpp_log_t log;
  xmpp_ctx_t *ctx;
  xmpp_conn_t *conn;
  gboolean online;      /* XMPP_CONN_CONNECT seen on conn */
  gboolean conn_ended;  /* disconnected: release conn after xmpp_run_once() */
  gboolean sasl_failed; /* libstrophe said the server refused our credentials */
  gboolean auth_failed; /* the last attempt ended in a login refusal */
  int connect_errno;    /* libstrophe's TCP connect error, from its log */
  gboolean closing;     /* we gave up on conn (ping timeout); waiting for it to end */
  gboolean stopping;
  char *last_error;
  guint attempt;
  gint64 now_ms, connect_at_ms;
  gint64 ping_at_ms, ping_deadline_ms;
  char *ping_id;
  guint64 id_base, next_id;

  GHashTable *rooms; /* jid (lower case) -> XmppRoom */
  GHashTable *sent;  /* message id -> XmppPost, waiting for the reflection */
} XmppWorker;

/* xmpp.c */
void mg_xmpp_finish(XmppWorker *w, XmppPost *p, MgXmppResult result, const char *text);
void mg_xmpp_post_free(XmppPost *p);
/* TRUE when id is our outstanding keepalive ping (which it then clears). */
gboolean mg_xmpp_ping_answered(XmppWorker *w, const char *id);

/* xmpp-muc.c */
/* The condition of st's <error/> (the element in the stanzas namespace;
 * "undefined-condition" if none) into *cond (may be NULL), and "cond: text"
 * with the text clipped to 200 bytes, made valid UTF-8. (transfer full) */
char *mg_xmpp_stanza_error(xmpp_stanza_t *st, char **cond);
/* TRUE for errors another try will not fix (forbidden, item-not-found, ...). */
gboolean mg_xmpp_error_is_permanent(const char *cond);
void mg_xmpp_room_free(XmppRoom *room);
void mg_xmpp_accept_post(XmppWorker *w, XmppPost *p);
void mg_xmpp_add_handlers(XmppWorker *w);
void mg_xmpp_rooms_online(XmppWorker *w);
void mg_xmpp_rooms_offline(XmppWorker *w, const char *why);
/* Ends every post waiting for a room with result. */
void mg_xmpp_rooms_fail_all(XmppWorker *w, MgXmppResult result, const char *why);
void mg_xmpp_rooms_tick(XmppWorker *w);

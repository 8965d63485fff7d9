/* SPDX-License-Identifier: MIT
 * XMPP MUC connector: one libstrophe client per account, run on its own
 * thread, that keeps rooms joined and posts groupchat messages. See docs/chat.md. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct MgXmpp MgXmpp;

/* Borrowed for the duration of mg_xmpp_new() (it copies what it keeps). */
typedef struct {
  const char *jid;        /* bare JID meetgate logs in as; a resource is bound by the server */
  const char *password;   /* never logged */
  const char *host;       /* NULL: the JID's domain (SRV lookup, then domain:5222) */
  guint16 port;           /* 0: 5222 */
  gboolean require_tls;   /* TRUE: refuse a server that does not offer STARTTLS */
  guint ack_timeout_ms;   /* 0: 15000; no reflection from the room in this time -> retry */
  guint queue_timeout_ms; /* 0: 30000; not connected/joined in this time -> retry */
  guint ping_interval_ms; /* 0: 30000; XEP-0199 ping to the server; no answer in 2/3 of it -> reconnect */
} MgXmppAccount;

typedef enum {
  MG_XMPP_OK,    /* the room reflected the message back: it was delivered to the occupants */
  MG_XMPP_RETRY, /* not delivered now (not connected, no acknowledgement, transient error) */
  MG_XMPP_FAIL,  /* permanent: wrong password, forbidden, no such room... error_text says which */
} MgXmppResult;

/* Runs on the GMainContext given to mg_xmpp_new(); error_text is NULL for OK. */
typedef void (*MgXmppDone)(MgXmppResult result, const char *error_text, gpointer user_data);

/* Starts the client thread and connects; ctx is where callbacks run (NULL: the
 * global default context). (transfer full) */
MgXmpp *mg_xmpp_new(GMainContext *ctx, const MgXmppAccount *acct);

/* Posts text into room_jid (room@service) as nick (the first nick given for a
 * room is kept; a taken nick gets "-2", "-3"...). done runs exactly once,
 * unless mg_xmpp_free() comes first. Never blocks. */
void mg_xmpp_post(MgXmpp *x, const char *room_jid, const char *nick, const char *text, MgXmppDone done,
                  gpointer user_data);

/* Disconnects, joins the thread and drops pending posts: no callback runs after
 * it returns. Call it from the thread that runs ctx. */
void mg_xmpp_free(MgXmpp *x);

/* Like mg_xmpp_free(), but every post not yet answered gets MG_XMPP_RETRY
 * and results already on their way are kept: all of them run later on ctx
 * (after this returns), so user_data must outlive it. For replacing a client
 * whose settings changed without losing a callback. */
void mg_xmpp_close(MgXmpp *x);

/* "ok", "retry", "fail". */
const char *mg_xmpp_result_name(MgXmppResult result);

G_END_DECLS

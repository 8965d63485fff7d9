/* SPDX-License-Identifier: MIT
 * The XMPP transport of the chat deliverer: one MUC client (signaling/xmpp.c)
 * per account, made on first use and replaced when a chat changes its
 * password or server, reporting each post back to the deliverer. */
#pragma once

#include "signaling/chatsend.h"

G_BEGIN_DECLS

typedef struct MgChatXmpp MgChatXmpp;

/* Plugs itself into send as the XMPP transport. require_tls refuses servers
 * without STARTTLS. (transfer full) */
MgChatXmpp *mg_chat_xmpp_new(MgChatsend *send, gboolean require_tls);
/* Disconnects every client; no report reaches the deliverer afterwards (the
 * posts in flight stay 'sending' and are recovered at the next start). Call
 * before freeing the deliverer. */
void mg_chat_xmpp_free(MgChatXmpp *cx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgChatXmpp, mg_chat_xmpp_free)

/* Clients connected or connecting (for tests and metrics). */
guint mg_chat_xmpp_count(MgChatXmpp *cx);

G_END_DECLS

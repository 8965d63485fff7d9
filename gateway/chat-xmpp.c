/* SPDX-License-Identifier: MIT
 * XMPP transport for the chat deliverer. Clients are keyed by account (JID,
 * host, port); a chat whose password differs from its client's replaces the
 * client (mg_xmpp_close: the old client's unanswered posts come back as
 * retries). Reports reach the deliverer through a shared liveness flag, so
 * one that arrives after mg_chat_xmpp_free() is dropped. */
#define G_LOG_DOMAIN "chatsend"
#include "gateway/chat-xmpp.h"

#include <string.h>

#include "signaling/xmpp.h"

typedef struct {
  MgXmpp *x;
  char *password; /* to notice a change; never logged */
} Account;

/* Shared by the transport and every pending post. */
typedef struct {
  gint ref;
  MgChatsend *send; /* NULL once the transport is gone */
} Link;

struct MgChatXmpp {
  GHashTable *accounts; /* "jid|host|port" -> Account */
  gboolean require_tls;
  Link *link;
};

typedef struct {
  Link *link;
  guint64 token;
} Pending;

static void
link_unref(Link *l)
{
  if (g_atomic_int_dec_and_test(&l->ref))
    g_free(l);
}

static void
account_free(gpointer p)
{
  Account *a = p;
  mg_xmpp_free(a->x);
  if (a->password)
    explicit_bzero(a->password, strlen(a->password));
  g_free(a->password);
  g_free(a);
}

static void
on_posted(MgXmppResult result, const char *error_text, gpointer data)
{
  Pending *p = data;
  MgChatrespVerdict v = result == MG_XMPP_OK      ? MG_CHATRESP_OK
                        : result == MG_XMPP_RETRY ? MG_CHATRESP_RETRY
                                                  : MG_CHATRESP_FAIL;
  if (p->link->send)
    mg_chatsend_done(p->link->send, p->token, v, -1, error_text);
  link_unref(p->link);
  g_free(p);
}

/* The client for chat's account, made or replaced as needed. */
static MgXmpp *
client_for(MgChatXmpp *cx, const MgChat *chat)
{
  g_autofree char *key = g_strdup_printf("%s|%s|%u", chat->xmpp_jid, chat->xmpp_host ? chat->xmpp_host : "",
                                         chat->xmpp_port);
  Account *a = g_hash_table_lookup(cx->accounts, key);
  if (a && !g_strcmp0(a->password, chat->secret))
    return a->x;
  if (a) {
    g_message("xmpp account %s: settings changed, reconnecting", chat->xmpp_jid);
    mg_xmpp_close(g_steal_pointer(&a->x)); /* its posts come back as retries */
    g_hash_table_remove(cx->accounts, key);
  }
  MgXmppAccount acct = {
    .jid = chat->xmpp_jid,
    .password = chat->secret,
    .host = chat->xmpp_host,
    .port = chat->xmpp_port,
    .require_tls = cx->require_tls,
  };
  a = g_new0(Account, 1);
  a->x = mg_xmpp_new(NULL, &acct);
  a->password = g_strdup(chat->secret);
  g_hash_table_insert(cx->accounts, g_steal_pointer(&key), a);
  return a->x;
}

static void
transport(MgChatsend *s, guint64 token, const MgChat *chat, const MgChatRequest *req, const char *idem_key,
          gpointer data)
{
  MgChatXmpp *cx = data;
  if (!chat->xmpp_jid || !chat->xmpp_room) {
    mg_chatsend_done(s, token, MG_CHATRESP_FAIL, -1, "the chat has no XMPP account or room");
    return;
  }
  Pending *p = g_new0(Pending, 1);
  p->link = cx->link;
  g_atomic_int_inc(&p->link->ref);
  p->token = token;
  mg_xmpp_post(client_for(cx, chat), chat->xmpp_room, chat->xmpp_nick ? chat->xmpp_nick : "meetgate", req->body,
               on_posted, p);
}

MgChatXmpp *
mg_chat_xmpp_new(MgChatsend *send, gboolean require_tls)
{
  MgChatXmpp *cx = g_new0(MgChatXmpp, 1);
  cx->accounts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, account_free);
  cx->require_tls = require_tls;
  cx->link = g_new0(Link, 1);
  cx->link->ref = 1;
  cx->link->send = send;
  mg_chatsend_set_transport(send, MG_CHAT_CONNECTOR_XMPP, transport, cx);
  return cx;
}

void
mg_chat_xmpp_free(MgChatXmpp *cx)
{
  if (!cx)
    return;
  if (cx->link->send)
    mg_chatsend_set_transport(cx->link->send, MG_CHAT_CONNECTOR_XMPP, NULL, NULL);
  cx->link->send = NULL; /* reports still on their way (closed clients) are dropped */
  g_hash_table_unref(cx->accounts);
  link_unref(cx->link);
  g_free(cx);
}

guint
mg_chat_xmpp_count(MgChatXmpp *cx)
{
  return g_hash_table_size(cx->accounts);
}

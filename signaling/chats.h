/* SPDX-License-Identifier: MIT
 * Chat bindings: the IM chats meetgate posts into, each with its connector
 * settings and the rules that say which meetings it receives. */
#pragma once

#include <glib.h>

#include "signaling/chatmsg.h"
#include "signaling/meetings.h"
#include "signaling/store.h"

G_BEGIN_DECLS

#define MG_CHATS_ERROR (mg_chats_error_quark())
GQuark mg_chats_error_quark(void);
typedef enum {
  MG_CHATS_ERROR_INVALID, /* a field is wrong: the message names it */
  MG_CHATS_ERROR_NOT_FOUND,
  MG_CHATS_ERROR_EXISTS,
  MG_CHATS_ERROR_STORE,
} MgChatsError;

/* Which meetings a chat receives; any rule that matches is enough. */
typedef struct {
  GStrv departments; /* the organizer's department */
  GStrv people;      /* organizer or attendee ids */
  GStrv sources;     /* the meeting's OA source (a calendar's source too) */
} MgChatRules;

typedef struct {
  char *key;  /* what a meeting's `chat` field names */
  char *name; /* for people */
  MgChatConnectorKind connector;
  /* Connector settings (all owned; NULL where the connector has none). */
  char *webhook_url;   /* robots and generic: the secret part is masked in answers and logs */
  char *secret;        /* signing secret (DingTalk, Feishu, generic) or XMPP password */
  char *xmpp_jid;      /* the account meetgate logs in as */
  char *xmpp_room;     /* the MUC, room@conference.example.org */
  char *xmpp_nick;     /* meetgate's nickname in the room */
  char *xmpp_host;     /* NULL: from the JID's domain */
  guint16 xmpp_port;   /* 0: 5222 */
  char *timezone;      /* IANA; NULL: UTC */
  char *lang;          /* "en" | "zh" */
  char *rate;          /* "20/min", "5/s,100/min"; NULL: the connector's default */
  MgChatRules rules;
  gboolean is_default; /* receives the meetings no other chat matches */
  gint64 created_at, updated_at;
} MgChat;

void mg_chat_free(MgChat *chat);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgChat, mg_chat_free)

/* (transfer full) or NULL. */
MgChat *mg_chats_get(MgStore *store, const char *key);

G_END_DECLS

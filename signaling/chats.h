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
  char *webhook_url; /* robots and generic: the secret part is masked in answers and logs */
  char *secret;      /* signing secret (DingTalk, Feishu, generic) or XMPP password */
  char *xmpp_jid;    /* the account meetgate logs in as */
  char *xmpp_room;   /* the MUC, room@conference.example.org */
  char *xmpp_nick;   /* meetgate's nickname in the room */
  char *xmpp_host;   /* NULL: from the JID's domain */
  guint16 xmpp_port; /* 0: 5222 */
  char *timezone;    /* IANA; NULL: UTC */
  char *lang;        /* "en" | "zh" */
  char *rate;        /* "20/min", "5/s,100/min"; NULL: the connector's default */
  MgChatRules rules;
  gboolean is_default; /* receives the meetings no other chat matches */
  char *owner;         /* the OA source that made it (it hears only that source's meetings); NULL: operators' */
  gint64 created_at, updated_at;
} MgChat;

/* The key of the built-in console chat used when no chat is configured
 * (see mg_chats_builtin_console()). */
#define MG_CHATS_CONSOLE_KEY "console"

void mg_chat_free(MgChat *chat);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgChat, mg_chat_free)

/* (transfer full) or NULL. */
MgChat *mg_chats_get(MgStore *store, const char *key);

/* Checks chat as mg_chats_put() would: key, name, the connector's settings
 * (robots and generic need an http(s) webhook URL; xmpp needs jid, secret
 * (its password), room and nick), a known IANA timezone, lang "en" | "zh",
 * a rate mg_ratelimit_new() parses ("unlimited" too). The message names the field. */
gboolean mg_chats_validate(const MgChat *chat, GError **error);

/* Inserts chat, or replaces the chat with its key (its created_at kept),
 * after mg_chats_validate(). *created (may be NULL) says which. Runs inside
 * the caller's transaction when one is open. */
gboolean mg_chats_put(MgStore *store, const MgChat *chat, gint64 now_s, gboolean *created, GError **error);
/* Deletes a chat; MG_CHATS_ERROR_NOT_FOUND when there is none. */
gboolean mg_chats_remove(MgStore *store, const char *key, GError **error);
/* Every chat, by key. (transfer full) GPtrArray of MgChat. */
GPtrArray *mg_chats_list(MgStore *store, GError **error);
/* How many chats are stored. */
gint64 mg_chats_count(MgStore *store);

/* "console", "slack", ..., "xmpp"; NULL for an unknown kind. */
const char *mg_chats_connector_name(MgChatConnectorKind kind);

/* A deep copy. (transfer full) */
MgChat *mg_chat_copy(const MgChat *chat);
/* The built-in console chat: key MG_CHATS_CONSOLE_KEY, UTC, English. A
 * deliverer that finds no stored chat MG_CHATS_CONSOLE_KEY uses it.
 * (transfer full) */
MgChat *mg_chats_builtin_console(void);

/* url with its secret parts masked: scheme and host kept, query values and
 * path segments that may be tokens replaced by "****", user info dropped.
 * (transfer full); NULL for NULL. */
char *mg_chats_mask_url(const char *url);

/* The parts of url that mg_chats_mask_url() hides (path tokens, query
 * values, user info), for the log's secret list. (transfer full) GStrv. */
GStrv mg_chats_url_secrets(const char *url);

/* The chat as JSON for API answers: the secret left out ("secret_set"
 * true/false instead), the webhook URL masked. (transfer full) json_t *. */
gpointer mg_chat_to_json_masked(const MgChat *chat);

/* A chat from the API's JSON object (see docs/chat.md); key_from_path, when
 * not NULL, is the key (the body's key must then be absent or equal).
 * Not validated beyond types: call mg_chats_validate(). (transfer full), or
 * NULL and MG_CHATS_ERROR_INVALID naming the field. */
MgChat *mg_chat_from_json_text(const char *text, gsize len, const char *key_from_path, GError **error);

/* Why a meeting goes to a chat. */
typedef struct {
  MgChat *chat;
  GPtrArray *reasons; /* char *, e.g. "organizer department 'R&D'" */
} MgChatMatch;

void mg_chat_match_free(MgChatMatch *match);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgChatMatch, mg_chat_match_free)

/* The chats m goes to, each with its reasons: the chat m names by key, the
 * chats whose rules match its organizer's department, its organizer or
 * attendee ids, its source; the default chats only when nothing else
 * matched. By chat key. (transfer full) GPtrArray of MgChatMatch; NULL and
 * error set on a store error. */
GPtrArray *mg_chats_match(MgStore *store, const MgMeeting *m, GError **error);

G_END_DECLS

/* SPDX-License-Identifier: MIT
 * Chat messages: turns a meeting event into the request each chat platform
 * documents (URL, headers, JSON body). Pure functions: no I/O, time injected. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  MG_CHAT_EVENT_SCHEDULED,
  MG_CHAT_EVENT_CHANGED,
  MG_CHAT_EVENT_REMINDER,
  MG_CHAT_EVENT_OPEN_NOW,
  MG_CHAT_EVENT_CANCELLED,
  MG_CHAT_EVENT_SUMMARY,
} MgChatEventKind;

/* Borrowed strings; NULL where not given. */
typedef struct {
  MgChatEventKind kind;
  const char *meeting_id;
  const char *title;
  gint64 start, end;            /* UTC seconds */
  const char *timezone;         /* the chat's IANA zone for display; NULL or unknown = UTC */
  const char *organizer;        /* display name */
  const char *join_url;         /* NULL for invite-only meetings (personal links were sent) */
  const char *changes;          /* changed: what changed, as a short sentence */
  int minutes_until;            /* reminder */
  gint64 duration_s;            /* summary */
  const char *const *attendees; /* summary: NULL-terminated names */
  const char *recording_url;    /* summary, optional */
  const char *lang;             /* "en" (default) | "zh" */
} MgChatEvent;

typedef enum {
  MG_CHAT_CONNECTOR_CONSOLE,
  MG_CHAT_CONNECTOR_SLACK,
  MG_CHAT_CONNECTOR_MATTERMOST,
  MG_CHAT_CONNECTOR_TEAMS,
  MG_CHAT_CONNECTOR_DINGTALK,
  MG_CHAT_CONNECTOR_WECOM,
  MG_CHAT_CONNECTOR_FEISHU,
  MG_CHAT_CONNECTOR_GENERIC,
  MG_CHAT_CONNECTOR_XMPP, /* the request is the plain text; signaling/xmpp.c posts it */
} MgChatConnectorKind;

/* The most characters an XMPP message body gets (the text is clipped to fit). */
#define MG_CHATMSG_XMPP_LIMIT 4000

typedef struct {
  MgChatConnectorKind kind;
  const char *webhook_url; /* unused by console and xmpp */
  const char *secret;      /* DingTalk, Feishu, generic; NULL = unsigned */
} MgChatConnector;

typedef struct {
  char *url;          /* NULL for console and xmpp */
  GPtrArray *headers; /* "Name: value" strings (curl_slist form), owned */
  char *body;         /* JSON; for console the one-line text, for xmpp the multi-line plain text */
} MgChatRequest;

#define MG_CHATMSG_ERROR (mg_chatmsg_error_quark())
GQuark mg_chatmsg_error_quark(void);
typedef enum {
  MG_CHATMSG_ERROR_INVALID, /* a missing webhook URL or title, an unknown kind */
} MgChatmsgError;

void mg_chatmsg_request_free(MgChatRequest *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgChatRequest, mg_chatmsg_request_free)

/* Builds the request connector c sends for ev; now_ms (UTC milliseconds) is
 * the signing timestamp. (transfer full), or NULL and error set. */
MgChatRequest *mg_chatmsg_build(const MgChatConnector *c, const MgChatEvent *ev, gint64 now_ms, GError **error);

/* A raw POST (event webhooks, attendance callbacks): body (JSON) as given,
 * Content-Type: application/json, X-Meetgate-Event: event_name, and with a
 * secret the generic connector's signing headers (X-Meetgate-Timestamp,
 * X-Meetgate-Signature: sha256=hex(HMAC-SHA256(secret, timestamp "." body))).
 * (transfer full), or NULL and error set for a missing URL, body or name. */
MgChatRequest *mg_chatmsg_build_raw(const char *url, const char *secret, const char *body, const char *event_name,
                                    gint64 now_ms, GError **error);

/* A stable key for one message: the same meeting, occurrence, kind, variant
 * and chat always give the same string. variant tells repeated events of one
 * kind apart (the change's revision for changed, the offset for reminder);
 * NULL when the kind happens once per occurrence. (transfer full) */
char *mg_chatmsg_idempotency_key(const char *meeting_id, gint64 occurrence_start, MgChatEventKind kind,
                                 const char *variant, const char *chat_key);

/* "scheduled", "changed", ...; NULL for an unknown kind. */
const char *mg_chatmsg_event_kind_name(MgChatEventKind kind);

/* "console", "slack", "mattermost", "teams", "dingtalk", "wecom", "feishu",
 * "generic", "xmpp" to the kind; FALSE for another name. */
gboolean mg_chatmsg_connector_kind_from_name(const char *name, MgChatConnectorKind *kind);

/* The connector kind's name ("slack", ...); NULL for an unknown kind. */
const char *mg_chatmsg_connector_kind_name(MgChatConnectorKind kind);

G_END_DECLS

/* SPDX-License-Identifier: MIT
 * Chat messages: one builder per platform (JSON with jansson), the platforms'
 * signatures (HMAC-SHA256 with OpenSSL), the idempotency key. See docs/chat.md. */
#define G_LOG_DOMAIN "chatmsg"
#include "signaling/chatmsg-private.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

G_DEFINE_QUARK(mg - chatmsg - error - quark, mg_chatmsg_error)

typedef struct {
  const MgChatConnector *c;
  const MgChatEvent *ev;
  gint64 now_ms;
  MgChatText *text;
  MgChatRequest *req;
} Build;

typedef void (*BuildFunc)(Build *b);

typedef struct {
  const char *name;
  MgChatFlavor flavor;
  const char *sep;      /* between lines */
  guint title_cap;      /* characters; 0 = unclipped */
  gsize limit;          /* of the text the platform limits */
  gboolean limit_bytes; /* limit counts bytes, not characters */
  BuildFunc build;
} Platform;

static void build_console(Build *b);
static void build_slack(Build *b);
static void build_mattermost(Build *b);
static void build_teams(Build *b);
static void build_dingtalk(Build *b);
static void build_wecom(Build *b);
static void build_feishu(Build *b);
static void build_generic(Build *b);
static void build_xmpp(Build *b);

static const Platform platforms[] = {
  [MG_CHAT_CONNECTOR_CONSOLE] = { "console", MG_CHAT_FLAVOR_PLAIN, " | ", 200, 2000, FALSE, build_console },
  [MG_CHAT_CONNECTOR_SLACK] = { "slack", MG_CHAT_FLAVOR_SLACK, "\n", 150, 3000, FALSE, build_slack },
  [MG_CHAT_CONNECTOR_MATTERMOST] = { "mattermost", MG_CHAT_FLAVOR_MARKDOWN, "\n", 200, 16383, FALSE, build_mattermost },
  [MG_CHAT_CONNECTOR_TEAMS] = { "teams", MG_CHAT_FLAVOR_PLAIN, "\n", 200, 20000, TRUE, build_teams },
  [MG_CHAT_CONNECTOR_DINGTALK] = { "dingtalk", MG_CHAT_FLAVOR_MARKDOWN, "\n\n", 64, 4000, TRUE, build_dingtalk },
  [MG_CHAT_CONNECTOR_WECOM] = { "wecom", MG_CHAT_FLAVOR_MARKDOWN, "\n", 120, 4096, TRUE, build_wecom },
  [MG_CHAT_CONNECTOR_FEISHU] = { "feishu", MG_CHAT_FLAVOR_MARKDOWN, "\n", 100, 18000, TRUE, build_feishu },
  [MG_CHAT_CONNECTOR_GENERIC] = { "generic", MG_CHAT_FLAVOR_PLAIN, "\n", 0, 0, FALSE, build_generic },
  [MG_CHAT_CONNECTOR_XMPP] = { "xmpp", MG_CHAT_FLAVOR_PLAIN, "\n", 200, MG_CHATMSG_XMPP_LIMIT, FALSE, build_xmpp },
};

static const char *const event_kinds[] = {
  [MG_CHAT_EVENT_SCHEDULED] = "scheduled", [MG_CHAT_EVENT_CHANGED] = "changed",
  [MG_CHAT_EVENT_REMINDER] = "reminder",   [MG_CHAT_EVENT_OPEN_NOW] = "open_now",
  [MG_CHAT_EVENT_CANCELLED] = "cancelled", [MG_CHAT_EVENT_SUMMARY] = "summary",
};

const char *
mg_chatmsg_event_kind_name(MgChatEventKind kind)
{
  return (guint)kind < G_N_ELEMENTS(event_kinds) ? event_kinds[kind] : NULL;
}

gboolean
mg_chatmsg_connector_kind_from_name(const char *name, MgChatConnectorKind *kind)
{
  for (guint i = 0; name && i < G_N_ELEMENTS(platforms); i++) {
    if (!g_ascii_strcasecmp(name, platforms[i].name)) {
      *kind = (MgChatConnectorKind)i;
      return TRUE;
    }
  }
  return FALSE;
}

void
mg_chatmsg_request_free(MgChatRequest *r)
{
  if (!r)
    return;
  g_free(r->url);
  g_ptr_array_unref(r->headers);
  g_free(r->body);
  g_free(r);
}

static void
hmac_sha256(const char *key, gsize key_len, const char *data, gsize len, guint8 out[32])
{
  unsigned int out_len = 32;
  HMAC(EVP_sha256(), key, (int)key_len, (const guint8 *)data, len, out, &out_len);
}

static char *
dumps(json_t *root)
{
  char *s = json_dumps(root, JSON_COMPACT);
  char *out = g_strdup(s);
  free(s);
  json_decref(root);
  return out;
}

static void
set_json(Build *b, json_t *root)
{
  g_ptr_array_add(b->req->headers, g_strdup("Content-Type: application/json; charset=utf-8"));
  b->req->body = dumps(root);
}

static void
build_console(Build *b)
{
  b->req->body = mg_chatmsg_text_join(b->text, MG_CHAT_FLAVOR_PLAIN, TRUE, " | ");
}

static void
build_slack(Build *b)
{
  g_autofree char *text = mg_chatmsg_text_join(b->text, MG_CHAT_FLAVOR_SLACK, TRUE, "\n");
  json_t *section = json_pack("{s:s, s:{s:s, s:s}}", "type", "section", "text", "type", "mrkdwn", "text", text);
  if (b->text->link)
    json_object_set_new(section, "accessory",
                        json_pack("{s:s, s:{s:s, s:s}, s:s, s:s}", "type", "button", "text", "type", "plain_text",
                                  "text", b->text->label, "url", b->text->link, "action_id", "meetgate_link"));
  set_json(b, json_pack("{s:s, s:[o]}", "text", text, "blocks", section));
}

static void
build_mattermost(Build *b)
{
  g_autofree char *text = mg_chatmsg_text_join(b->text, MG_CHAT_FLAVOR_MARKDOWN, TRUE, "\n");
  set_json(b, json_pack("{s:s}", "text", text));
}

/* Teams renders a TextBlock's markdown links and has no escape: a zero-width
 * space between "]" and "(" keeps a title's "[text](url)" plain text. */
static json_t *
teams_text_block(const char *text)
{
  g_auto(GStrv) parts = g_strsplit(text, "](", -1);
  g_autofree char *plain = g_strjoinv("]\u200b(", parts);
  return json_pack("{s:s, s:s, s:b}", "type", "TextBlock", "text", plain, "wrap", 1);
}

static void
build_teams(Build *b)
{
  json_t *body = json_array();
  json_t *head = teams_text_block(b->text->headline);
  json_object_set_new(head, "weight", json_string("Bolder"));
  json_object_set_new(head, "size", json_string("Medium"));
  json_array_append_new(body, head);
  for (guint i = 0; i < b->text->lines->len; i++)
    json_array_append_new(body, teams_text_block(g_ptr_array_index(b->text->lines, i)));
  json_t *card = json_pack("{s:s, s:s, s:s, s:o}", "$schema", "http://adaptivecards.io/schemas/adaptive-card.json",
                           "type", "AdaptiveCard", "version", "1.4", "body", body);
  if (b->text->link)
    json_object_set_new(
        card, "actions",
        json_pack("[{s:s, s:s, s:s}]", "type", "Action.OpenUrl", "title", b->text->label, "url", b->text->link));
  set_json(b, json_pack("{s:s, s:[{s:s, s:n, s:o}]}", "type", "message", "attachments", "contentType",
                        "application/vnd.microsoft.card.adaptive", "contentUrl", "content", card));
}

/* DingTalk: sign = urlencode(base64(HMAC-SHA256(key = secret, timestamp_ms "\n" secret))). */
static char *
dingtalk_url(const char *url, const char *secret, gint64 now_ms)
{
  if (!secret || !*secret)
    return g_strdup(url);
  g_autofree char *to_sign = g_strdup_printf("%" G_GINT64_FORMAT "\n%s", now_ms, secret);
  guint8 mac[32];
  hmac_sha256(secret, strlen(secret), to_sign, strlen(to_sign), mac);
  g_autofree char *b64 = g_base64_encode(mac, sizeof mac);
  g_autofree char *sign = g_uri_escape_string(b64, NULL, FALSE);
  return g_strdup_printf("%s%ctimestamp=%" G_GINT64_FORMAT "&sign=%s", url, strchr(url, '?') ? '&' : '?', now_ms, sign);
}

static void
build_dingtalk(Build *b)
{
  g_autofree char *text = mg_chatmsg_text_join(b->text, MG_CHAT_FLAVOR_MARKDOWN, TRUE, "\n\n");
  json_t *root;
  if (b->text->link)
    root = json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:s}}", "msgtype", "actionCard", "actionCard", "title",
                     b->text->headline, "text", text, "singleTitle", b->text->label, "singleURL", b->text->link,
                     "btnOrientation", "0");
  else
    root =
        json_pack("{s:s, s:{s:s, s:s}}", "msgtype", "markdown", "markdown", "title", b->text->headline, "text", text);
  set_json(b, root);
  g_free(b->req->url);
  b->req->url = dingtalk_url(b->c->webhook_url, b->c->secret, b->now_ms);
}

static void
build_wecom(Build *b)
{
  g_autofree char *text = mg_chatmsg_text_join(b->text, MG_CHAT_FLAVOR_MARKDOWN, TRUE, "\n");
  set_json(b, json_pack("{s:s, s:{s:s}}", "msgtype", "markdown", "markdown", "content", text));
}

/* Feishu: sign = base64(HMAC-SHA256(key = timestamp_s "\n" secret, message = "")). */
static char *
feishu_sign(const char *timestamp, const char *secret)
{
  g_autofree char *key = g_strdup_printf("%s\n%s", timestamp, secret);
  guint8 mac[32];
  hmac_sha256(key, strlen(key), "", 0, mac);
  return g_base64_encode(mac, sizeof mac);
}

static void
build_feishu(Build *b)
{
  g_autofree char *text = mg_chatmsg_text_join(b->text, MG_CHAT_FLAVOR_MARKDOWN, FALSE, "\n");
  json_t *elements = json_pack("[{s:s, s:{s:s, s:s}}]", "tag", "div", "text", "tag", "lark_md", "content", text);
  if (b->text->link)
    json_array_append_new(elements, json_pack("{s:s, s:[{s:s, s:{s:s, s:s}, s:s, s:s}]}", "tag", "action", "actions",
                                              "tag", "button", "text", "tag", "plain_text", "content", b->text->label,
                                              "type", "primary", "url", b->text->link));
  const char *color = b->ev->kind == MG_CHAT_EVENT_CANCELLED ? "red" : "blue";
  json_t *card = json_pack("{s:{s:b}, s:{s:{s:s, s:s}, s:s}, s:o}", "config", "wide_screen_mode", 1, "header", "title",
                           "tag", "plain_text", "content", b->text->headline, "template", color, "elements", elements);
  json_t *root = json_pack("{s:s, s:o}", "msg_type", "interactive", "card", card);
  if (b->c->secret && *b->c->secret) {
    g_autofree char *ts = g_strdup_printf("%" G_GINT64_FORMAT, b->now_ms / 1000);
    g_autofree char *sign = feishu_sign(ts, b->c->secret);
    json_object_set_new(root, "timestamp", json_string(ts));
    json_object_set_new(root, "sign", json_string(sign));
  }
  set_json(b, root);
}

static json_t *
opt_string(const char *s)
{
  return s ? json_string(s) : json_null();
}

static json_t *
generic_object(const MgChatEvent *ev, const MgChatText *text)
{
  g_autofree char *start = mg_chatmsg_rfc3339(ev->start), *end = mg_chatmsg_rfc3339(ev->end);
  g_autofree char *plain = mg_chatmsg_text_join(text, MG_CHAT_FLAVOR_PLAIN, TRUE, "\n");
  json_t *attendees = json_array();
  for (guint i = 0; ev->attendees && ev->attendees[i]; i++)
    json_array_append_new(attendees, json_string(ev->attendees[i]));
  json_t *o =
      json_pack("{s:s, s:o, s:s, s:s, s:s, s:o, s:o, s:o, s:b, s:s, s:s}", "kind", mg_chatmsg_event_kind_name(ev->kind),
                "meeting_id", opt_string(ev->meeting_id), "title", text->title, "start", start, "end", end, "timezone",
                opt_string(ev->timezone), "organizer", opt_string(ev->organizer), "join_url", opt_string(ev->join_url),
                "invite_only", ev->join_url == NULL, "lang", g_strcmp0(ev->lang, "zh") ? "en" : "zh", "text", plain);
  if (ev->kind == MG_CHAT_EVENT_CHANGED)
    json_object_set_new(o, "changes", opt_string(ev->changes));
  if (ev->kind == MG_CHAT_EVENT_REMINDER)
    json_object_set_new(o, "minutes_until", json_integer(ev->minutes_until));
  if (ev->kind == MG_CHAT_EVENT_SUMMARY) {
    json_object_set_new(o, "duration_s", json_integer(ev->duration_s));
    json_object_set_new(o, "recording_url", opt_string(ev->recording_url));
    json_object_set_new(o, "attendees", json_incref(attendees));
  }
  json_decref(attendees);
  return o;
}

/* The generic signing headers: X-Meetgate-Timestamp (unix seconds) and
 * X-Meetgate-Signature: sha256=hex(HMAC-SHA256(secret, timestamp_s "." body)).
 * Nothing for an empty or missing secret. */
static void
sign_generic(MgChatRequest *req, const char *secret, gint64 now_ms)
{
  if (!secret || !*secret)
    return;
  g_autofree char *ts = g_strdup_printf("%" G_GINT64_FORMAT, now_ms / 1000);
  g_autofree char *signed_text = g_strconcat(ts, ".", req->body, NULL);
  guint8 mac[32];
  hmac_sha256(secret, strlen(secret), signed_text, strlen(signed_text), mac);
  char hex[65];
  for (guint i = 0; i < sizeof mac; i++)
    g_snprintf(hex + 2 * i, 3, "%02x", mac[i]);
  g_ptr_array_add(req->headers, g_strdup_printf("X-Meetgate-Timestamp: %s", ts));
  g_ptr_array_add(req->headers, g_strdup_printf("X-Meetgate-Signature: sha256=%s", hex));
}

static void
build_generic(Build *b)
{
  set_json(b, generic_object(b->ev, b->text));
  sign_generic(b->req, b->c->secret, b->now_ms);
}

/* XMPP: the plain text, headline first, one field per line; the link on its own line. */
static void
build_xmpp(Build *b)
{
  b->req->body = mg_chatmsg_text_join(b->text, MG_CHAT_FLAVOR_PLAIN, TRUE, "\n");
}

/* Clips the title (and changes, attendees) harder until the text fits. */
static MgChatText *
render_fitting(const Platform *p, const MgChatEvent *ev)
{
  for (guint cap = p->title_cap;; cap = cap * 2 / 3) {
    g_autoptr(MgChatText) t = mg_chatmsg_text_render(ev, p->flavor, cap);
    if (!p->limit || cap <= 16)
      return g_steal_pointer(&t);
    g_autofree char *all = mg_chatmsg_text_join(t, p->flavor, TRUE, p->sep);
    gsize len = p->limit_bytes ? strlen(all) : (gsize)g_utf8_strlen(all, -1);
    if (len <= p->limit)
      return g_steal_pointer(&t);
  }
}

MgChatRequest *
mg_chatmsg_build(const MgChatConnector *c, const MgChatEvent *ev, gint64 now_ms, GError **error)
{
  g_return_val_if_fail(c && ev, NULL);
  if ((guint)c->kind >= G_N_ELEMENTS(platforms) || !mg_chatmsg_event_kind_name(ev->kind)) {
    g_set_error_literal(error, MG_CHATMSG_ERROR, MG_CHATMSG_ERROR_INVALID, "unknown connector or event kind");
    return NULL;
  }
  gboolean needs_url = c->kind != MG_CHAT_CONNECTOR_CONSOLE && c->kind != MG_CHAT_CONNECTOR_XMPP;
  if (needs_url && (!c->webhook_url || !*c->webhook_url)) {
    g_set_error(error, MG_CHATMSG_ERROR, MG_CHATMSG_ERROR_INVALID, "the %s connector has no webhook URL",
                platforms[c->kind].name);
    return NULL;
  }
  if (!ev->title) {
    g_set_error_literal(error, MG_CHATMSG_ERROR, MG_CHATMSG_ERROR_INVALID, "the event has no title");
    return NULL;
  }
  const Platform *p = &platforms[c->kind];
  g_autoptr(MgChatText) text = render_fitting(p, ev);
  MgChatRequest *req = g_new0(MgChatRequest, 1);
  req->headers = g_ptr_array_new_with_free_func(g_free);
  req->url = needs_url ? g_strdup(c->webhook_url) : NULL;
  Build b = { .c = c, .ev = ev, .now_ms = now_ms, .text = text, .req = req };
  p->build(&b);
  return req;
}

MgChatRequest *
mg_chatmsg_build_raw(const char *url, const char *secret, const char *body, const char *event_name, gint64 now_ms,
                     GError **error)
{
  if (!url || !*url || !body || !event_name || !*event_name || strpbrk(event_name, "\r\n")) {
    g_set_error_literal(error, MG_CHATMSG_ERROR, MG_CHATMSG_ERROR_INVALID,
                        "a raw message needs a URL, a body and an event name on one line");
    return NULL;
  }
  MgChatRequest *req = g_new0(MgChatRequest, 1);
  req->headers = g_ptr_array_new_with_free_func(g_free);
  req->url = g_strdup(url);
  req->body = g_strdup(body);
  g_ptr_array_add(req->headers, g_strdup("Content-Type: application/json"));
  g_ptr_array_add(req->headers, g_strdup_printf("X-Meetgate-Event: %s", event_name));
  sign_generic(req, secret, now_ms);
  return req;
}

const char *
mg_chatmsg_connector_kind_name(MgChatConnectorKind kind)
{
  return (guint)kind < G_N_ELEMENTS(platforms) ? platforms[kind].name : NULL;
}

char *
mg_chatmsg_idempotency_key(const char *meeting_id, gint64 occurrence_start, MgChatEventKind kind, const char *variant,
                           const char *chat_key)
{
  /* Length-prefixed so ("a:b", "c") and ("a", "b:c") differ; without a
   * variant the material is what it was before variants existed. */
  const char *k = mg_chatmsg_event_kind_name(kind);
  GString *material = g_string_new(NULL);
  g_string_append_printf(material, "%zu:%s|%" G_GINT64_FORMAT "|%s|%zu:%s", strlen(meeting_id ? meeting_id : ""),
                         meeting_id ? meeting_id : "", occurrence_start, k ? k : "?", strlen(chat_key ? chat_key : ""),
                         chat_key ? chat_key : "");
  if (variant)
    g_string_append_printf(material, "|%zu:%s", strlen(variant), variant);
  g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, material->str, material->len);
  g_string_free(material, TRUE);
  return g_strdup_printf("mgchat1-%s-%" G_GINT64_FORMAT "-%.32s", k ? k : "unknown", occurrence_start, sum);
}

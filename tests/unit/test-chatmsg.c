/* SPDX-License-Identifier: MIT */
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "signaling/chatmsg.h"

#define HOOK "https://hooks.example.com/hook?access_token=abc"
#define SECRET "SEC0123456789abcdef"
#define NOW_MS G_GINT64_CONSTANT(1700000000000)
#define LINK "https://meet.example.com/j/r-42?t=eyJ&x=1"
/* 2026-03-02 02:00 UTC = 10:00 in Shanghai. */
#define T0 G_GINT64_CONSTANT(1772416800)

static const char *const names[] = { "Ada", "Grace", NULL };

static MgChatEvent
event(MgChatEventKind kind, const char *lang)
{
  return (MgChatEvent){ .kind = kind,
                        .meeting_id = "m-1",
                        .title = "Weekly sync",
                        .start = T0,
                        .end = T0 + 3600,
                        .timezone = "Asia/Shanghai",
                        .organizer = "Ada Lovelace",
                        .join_url = LINK,
                        .changes = "moved to 10:00",
                        .minutes_until = 15,
                        .duration_s = 3540,
                        .attendees = names,
                        .lang = lang };
}

static MgChatRequest *
build(MgChatConnectorKind kind, const char *secret, const MgChatEvent *ev)
{
  MgChatConnector c = { .kind = kind, .webhook_url = HOOK, .secret = secret };
  g_autoptr(GError) error = NULL;
  MgChatRequest *r = mg_chatmsg_build(&c, ev, NOW_MS, &error);
  g_assert_no_error(error);
  g_assert_nonnull(r);
  return r;
}

static json_t *
parse(const MgChatRequest *r)
{
  json_error_t jerr;
  json_t *root = json_loads(r->body, JSON_REJECT_DUPLICATES, &jerr);
  if (!root)
    g_error("body does not parse: %s: %s", jerr.text, r->body);
  g_assert_true(json_is_object(root));
  return root;
}

/* The value at a path like "a/0/b" ("0" indexes an array). */
static json_t *
at(json_t *v, const char *path)
{
  g_auto(GStrv) parts = g_strsplit(path, "/", -1);
  for (guint i = 0; v && parts[i]; i++)
    v = json_is_array(v) ? json_array_get(v, atoi(parts[i])) : json_object_get(v, parts[i]);
  if (!v)
    g_error("no %s", path);
  return v;
}

static const char *
str_at(json_t *v, const char *path)
{
  json_t *s = at(v, path);
  g_assert_true(json_is_string(s));
  return json_string_value(s);
}

static guint
count(const char *hay, const char *needle)
{
  guint n = 0;
  for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
    n++;
  return n;
}

static char *
hmac_b64(const char *key, const char *msg)
{
  guint8 mac[32];
  unsigned int len = sizeof mac;
  HMAC(EVP_sha256(), key, strlen(key), (const guint8 *)msg, strlen(msg), mac, &len);
  return g_base64_encode(mac, len);
}

static void
test_slack(void)
{
  MgChatEvent ev = event(MG_CHAT_EVENT_SCHEDULED, "en");
  g_autoptr(MgChatRequest) r = build(MG_CHAT_CONNECTOR_SLACK, NULL, &ev);
  g_assert_cmpstr(r->url, ==, HOOK);
  g_assert_cmpuint(r->headers->len, ==, 1);
  json_t *root = parse(r);
  g_assert_cmpstr(str_at(root, "blocks/0/type"), ==, "section");
  g_assert_cmpstr(str_at(root, "blocks/0/text/type"), ==, "mrkdwn");
  const char *text = str_at(root, "blocks/0/text/text");
  g_assert_nonnull(strstr(text, "*Meeting scheduled: Weekly sync*"));
  g_assert_nonnull(strstr(text, "2026-03-02 (Mon) 10:00–11:00 Asia/Shanghai"));
  g_assert_cmpstr(str_at(root, "blocks/0/accessory/type"), ==, "button");
  g_assert_cmpstr(str_at(root, "blocks/0/accessory/text/type"), ==, "plain_text");
  g_assert_cmpstr(str_at(root, "blocks/0/accessory/url"), ==, LINK);
  g_assert_nonnull(strstr(str_at(root, "text"), LINK));
  json_decref(root);
}

static void
test_slack_escapes(void)
{
  MgChatEvent ev = event(MG_CHAT_EVENT_SCHEDULED, "en");
  ev.title = "R&D <all hands>";
  g_autoptr(MgChatRequest) r = build(MG_CHAT_CONNECTOR_SLACK, NULL, &ev);
  json_t *root = parse(r);
  g_assert_nonnull(strstr(str_at(root, "text"), "R&amp;D &lt;all hands&gt;"));
  json_decref(root);
}

/* OA text is text: a title cannot add a link, markup or a line, whatever
 * the platform renders. */
static void
test_markup_escapes(void)
{
  MgChatEvent ev = event(MG_CHAT_EVENT_SCHEDULED, "en");
  ev.title = "Q3 *plan* [Join](http://evil.example/) <b>\nfake line";
  ev.organizer = "Li_Lei";
  const MgChatConnectorKind md[] = { MG_CHAT_CONNECTOR_MATTERMOST, MG_CHAT_CONNECTOR_WECOM };
  for (guint i = 0; i < G_N_ELEMENTS(md); i++) {
    g_autoptr(MgChatRequest) r = build(md[i], NULL, &ev);
    json_t *root = parse(r);
    const char *text = md[i] == MG_CHAT_CONNECTOR_WECOM ? str_at(root, "markdown/content") : str_at(root, "text");
    g_assert_nonnull(strstr(text, "Q3 \\*plan\\* \\[Join\\](http://evil.example/) \\<b\\> fake line"));
    g_assert_nonnull(strstr(text, "**Organizer:** Li\\_Lei"));
    g_assert_null(strstr(text, "\nfake"));
    json_decref(root);
  }
  g_autoptr(MgChatRequest) r = build(MG_CHAT_CONNECTOR_TEAMS, NULL, &ev);
  json_t *root = parse(r);
  const char *head = str_at(root, "attachments/0/content/body/0/text");
  g_assert_nonnull(strstr(head, "[Join]\u200b(http://evil.example/)"));
  g_assert_null(strstr(head, "\n"));
  json_decref(root);
  g_autoptr(MgChatRequest) c = build(MG_CHAT_CONNECTOR_CONSOLE, NULL, &ev);
  g_assert_null(strchr(c->body, '\n'));
}

static void
test_mattermost(void)
{
  MgChatEvent ev = event(MG_CHAT_EVENT_CHANGED, "en");
  g_autoptr(MgChatRequest) r = build(MG_CHAT_CONNECTOR_MATTERMOST, NULL, &ev);
  json_t *root = parse(r);
  g_assert_cmpuint(json_object_size(root), ==, 1);
  const char *text = str_at(root, "text");
  g_assert_nonnull(strstr(text, "**Meeting changed: Weekly sync**"));
  g_assert_nonnull(strstr(text, "**Changed:** moved to 10:00"));
  g_assert_nonnull(strstr(text, "(" LINK ")"));
  json_decref(root);
}

static void
test_teams(void)
{
  MgChatEvent ev = event(MG_CHAT_EVENT_REMINDER, "en");
  g_autoptr(MgChatRequest) r = build(MG_CHAT_CONNECTOR_TEAMS, NULL, &ev);
  json_t *root = parse(r);
  g_assert_cmpstr(str_at(root, "type"), ==, "message");
  g_assert_cmpstr(str_at(root, "attachments/0/contentType"), ==, "application/vnd.microsoft.card.adaptive");
  g_assert_true(json_is_null(at(root, "attachments/0/contentUrl")));
  json_t *card = at(root, "attachments/0/content");
  g_assert_cmpstr(str_at(card, "type"), ==, "AdaptiveCard");
  g_assert_cmpstr(str_at(card, "version"), ==, "1.4");
  g_assert_true(json_is_array(at(card, "body")));
  g_assert_cmpstr(str_at(card, "body/0/type"), ==, "TextBlock");
  g_assert_cmpstr(str_at(card, "body/0/text"), ==, "Reminder: Weekly sync");
  g_assert_true(json_is_true(at(card, "body/1/wrap")));
  g_assert_cmpstr(str_at(card, "actions/0/type"), ==, "Action.OpenUrl");
  g_assert_cmpstr(str_at(card, "actions/0/url"), ==, LINK);
  g_assert_nonnull(strstr(r->body, "Starts in 15 minutes"));
  json_decref(root);
}

static void
test_dingtalk(void)
{
  MgChatEvent ev = event(MG_CHAT_EVENT_OPEN_NOW, "zh");
  g_autoptr(MgChatRequest) r = build(MG_CHAT_CONNECTOR_DINGTALK, SECRET, &ev);
  json_t *root = parse(r);
  g_assert_cmpstr(str_at(root, "msgtype"), ==, "actionCard");
  g_assert_cmpstr(str_at(root, "actionCard/title"), ==, "会议已开始：Weekly sync");
  g_assert_cmpstr(str_at(root, "actionCard/singleTitle"), ==, "加入会议");
  /* A Chinese chat's link opens the meeting page in Chinese. */
  g_assert_cmpstr(str_at(root, "actionCard/singleURL"), ==, LINK "&lang=zh");
  g_assert_nonnull(strstr(str_at(root, "actionCard/text"), "2026-03-02 (周一) 10:00–11:00"));
  json_decref(root);

  /* Independently: HMAC(secret, "ts\nsecret"), base64, URL-encoded. */
  g_autofree char *b64 = hmac_b64(SECRET, "1700000000000\n" SECRET);
  g_autofree char *enc = g_uri_escape_string(b64, NULL, FALSE);
  g_autofree char *want = g_strconcat(HOOK, "&timestamp=1700000000000&sign=", enc, NULL);
  g_assert_cmpstr(r->url, ==, want);
  /* The same vector from python3 hmac/base64/urllib.parse.quote_plus. */
  g_assert_cmpstr(r->url, ==, HOOK "&timestamp=1700000000000&sign=TSZbRFUuvaSQaRKUpF970OPCb2%2FLcQAP3wOvwZIzBZk%3D");
}

static void
test_dingtalk_unsigned_invite_only(void)
{
  MgChatEvent ev = event(MG_CHAT_EVENT_SCHEDULED, "en");
  ev.join_url = NULL;
  MgChatConnector c = { .kind = MG_CHAT_CONNECTOR_DINGTALK, .webhook_url = "https://oapi.example/robot/send" };
  g_autoptr(MgChatRequest) r = mg_chatmsg_build(&c, &ev, NOW_MS, NULL);
  g_assert_cmpstr(r->url, ==, "https://oapi.example/robot/send");
  json_t *root = parse(r);
  g_assert_cmpstr(str_at(root, "msgtype"), ==, "markdown");
  g_assert_nonnull(strstr(str_at(root, "markdown/text"), "personal join links were sent"));
  g_assert_null(strstr(r->body, "http"));
  json_decref(root);
}

static void
test_wecom(void)
{
  MgChatEvent ev = event(MG_CHAT_EVENT_SCHEDULED, "zh");
  g_autoptr(MgChatRequest) r = build(MG_CHAT_CONNECTOR_WECOM, SECRET, &ev);
  g_assert_cmpstr(r->url, ==, HOOK); /* no signing */
  json_t *root = parse(r);
  g_assert_cmpstr(str_at(root, "msgtype"), ==, "markdown");
  const char *content = str_at(root, "markdown/content");
  g_assert_nonnull(strstr(content, "**会议已预约：Weekly sync**"));
  g_assert_nonnull(strstr(content, "**发起人:** Ada Lovelace"));
  g_assert_cmpuint(count(content, LINK), ==, 1);
  g_assert_cmpuint(count(content, LINK "&lang=zh"), ==, 1);
  json_decref(root);
}

static void
test_wecom_limit(void)
{
  /* 4096 bytes of content at most: a 3000-character Chinese title (9000 bytes). */
  GString *title = g_string_new(NULL);
  for (int i = 0; i < 3000; i++)
    g_string_append(title, "会");
  g_autofree char *long_title = g_string_free(title, FALSE);
  MgChatEvent ev = event(MG_CHAT_EVENT_CHANGED, "zh");
  ev.title = long_title;
  ev.changes = long_title;
  g_autoptr(MgChatRequest) r = build(MG_CHAT_CONNECTOR_WECOM, NULL, &ev);
  json_t *root = parse(r);
  const char *content = str_at(root, "markdown/content");
  g_assert_cmpuint(strlen(content), <=, 4096);
  g_assert_nonnull(strstr(content, "…"));
  g_assert_nonnull(strstr(content, LINK));
  g_assert_true(g_utf8_validate(content, -1, NULL));
  json_decref(root);
}

static void
test_feishu(void)
{
  MgChatEvent ev = event(MG_CHAT_EVENT_SCHEDULED, "en");
  g_autoptr(MgChatRequest) r = build(MG_CHAT_CONNECTOR_FEISHU, SECRET, &ev);
  g_assert_cmpstr(r->url, ==, HOOK);
  json_t *root = parse(r);
  g_assert_cmpstr(str_at(root, "msg_type"), ==, "interactive");
  g_assert_cmpstr(str_at(root, "timestamp"), ==, "1700000000");
  g_assert_cmpstr(str_at(root, "card/header/title/tag"), ==, "plain_text");
  g_assert_cmpstr(str_at(root, "card/header/title/content"), ==, "Meeting scheduled: Weekly sync");
  g_assert_cmpstr(str_at(root, "card/elements/0/tag"), ==, "div");
  g_assert_cmpstr(str_at(root, "card/elements/0/text/tag"), ==, "lark_md");
  g_assert_cmpstr(str_at(root, "card/elements/1/tag"), ==, "action");
  g_assert_cmpstr(str_at(root, "card/elements/1/actions/0/tag"), ==, "button");
  g_assert_cmpstr(str_at(root, "card/elements/1/actions/0/url"), ==, LINK);
  /* Independently: the key is "ts\nsecret", the message empty. */
  g_autofree char *want = hmac_b64("1700000000\n" SECRET, "");
  g_assert_cmpstr(str_at(root, "sign"), ==, want);
  g_assert_cmpstr(str_at(root, "sign"), ==, "PiO7POLlSx/DM2qf8Dy/XCWeJK3exVnevp5G99LEN2M=");
  json_decref(root);

  g_autoptr(MgChatRequest) u = build(MG_CHAT_CONNECTOR_FEISHU, NULL, &ev);
  json_t *unsigned_root = parse(u);
  g_assert_null(json_object_get(unsigned_root, "sign"));
  g_assert_null(json_object_get(unsigned_root, "timestamp"));
  json_decref(unsigned_root);
}

static void
test_generic(void)
{
  MgChatEvent ev = event(MG_CHAT_EVENT_SUMMARY, "en");
  ev.recording_url = "https://rec.example.com/r/1";
  g_autoptr(MgChatRequest) r = build(MG_CHAT_CONNECTOR_GENERIC, SECRET, &ev);
  json_t *root = parse(r);
  g_assert_cmpstr(str_at(root, "kind"), ==, "summary");
  g_assert_cmpstr(str_at(root, "meeting_id"), ==, "m-1");
  g_assert_cmpstr(str_at(root, "title"), ==, "Weekly sync");
  g_assert_cmpstr(str_at(root, "start"), ==, "2026-03-02T02:00:00Z");
  g_assert_cmpstr(str_at(root, "end"), ==, "2026-03-02T03:00:00Z");
  g_assert_cmpstr(str_at(root, "join_url"), ==, LINK);
  g_assert_true(json_is_false(at(root, "invite_only")));
  g_assert_cmpint(json_integer_value(at(root, "duration_s")), ==, 3540);
  g_assert_cmpstr(str_at(root, "attendees/1"), ==, "Grace");
  g_assert_cmpstr(str_at(root, "recording_url"), ==, "https://rec.example.com/r/1");
  g_assert_nonnull(strstr(str_at(root, "text"), "Duration: 59 min"));
  json_decref(root);

  g_assert_cmpuint(r->headers->len, ==, 3);
  g_assert_cmpstr(g_ptr_array_index(r->headers, 1), ==, "X-Meetgate-Timestamp: 1700000000");
  g_autofree char *msg = g_strconcat("1700000000.", r->body, NULL);
  guint8 mac[32];
  unsigned int len = sizeof mac;
  HMAC(EVP_sha256(), SECRET, strlen(SECRET), (const guint8 *)msg, strlen(msg), mac, &len);
  GString *want = g_string_new("X-Meetgate-Signature: sha256=");
  for (guint i = 0; i < len; i++)
    g_string_append_printf(want, "%02x", mac[i]);
  g_assert_cmpstr(g_ptr_array_index(r->headers, 2), ==, want->str);
  g_string_free(want, TRUE);

  g_autoptr(MgChatRequest) u = build(MG_CHAT_CONNECTOR_GENERIC, NULL, &ev);
  g_assert_cmpuint(u->headers->len, ==, 1);
}

/* The raw build: the body untouched, the event named, and the same signature as the generic connector's. */
static void
test_raw(void)
{
  const char *body = "{\"id\":\"e-1\",\"type\":\"room_started\",\"room\":{\"id\":\"r\"}}";
  g_autoptr(GError) error = NULL;
  g_autoptr(MgChatRequest) r =
      mg_chatmsg_build_raw("https://hooks.example/in?t=1", SECRET, body, "room_started", 1700000000999, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(r->url, ==, "https://hooks.example/in?t=1");
  g_assert_cmpstr(r->body, ==, body);
  g_assert_cmpuint(r->headers->len, ==, 4);
  g_assert_cmpstr(g_ptr_array_index(r->headers, 0), ==, "Content-Type: application/json");
  g_assert_cmpstr(g_ptr_array_index(r->headers, 1), ==, "X-Meetgate-Event: room_started");
  g_assert_cmpstr(g_ptr_array_index(r->headers, 2), ==, "X-Meetgate-Timestamp: 1700000000");
  /* Checked against an independent HMAC over "timestamp.body". */
  g_autofree char *msg = g_strconcat("1700000000.", body, NULL);
  guint8 mac[32];
  unsigned int len = sizeof mac;
  HMAC(EVP_sha256(), SECRET, strlen(SECRET), (const guint8 *)msg, strlen(msg), mac, &len);
  GString *want = g_string_new("X-Meetgate-Signature: sha256=");
  for (guint i = 0; i < len; i++)
    g_string_append_printf(want, "%02x", mac[i]);
  g_assert_cmpstr(g_ptr_array_index(r->headers, 3), ==, want->str);
  g_string_free(want, TRUE);
  /* A different body signs differently. */
  g_autoptr(MgChatRequest) other =
      mg_chatmsg_build_raw("https://hooks.example/in", SECRET, "{}", "room_started", 1700000000999, NULL);
  g_assert_cmpstr(g_ptr_array_index(other->headers, 3), !=, g_ptr_array_index(r->headers, 3));

  /* Unsigned without a secret; refused without a URL or with a header-breaking name. */
  g_autoptr(MgChatRequest) u = mg_chatmsg_build_raw("http://h/x", NULL, "{}", "attendance", 0, NULL);
  g_assert_cmpuint(u->headers->len, ==, 2);
  g_assert_null(mg_chatmsg_build_raw(NULL, SECRET, "{}", "x", 0, &error));
  g_assert_error(error, MG_CHATMSG_ERROR, MG_CHATMSG_ERROR_INVALID);
  g_clear_error(&error);
  g_assert_null(mg_chatmsg_build_raw("http://h/x", SECRET, "{}", "x\r\nEvil: 1", 0, &error));
  g_assert_error(error, MG_CHATMSG_ERROR, MG_CHATMSG_ERROR_INVALID);
}

static void
test_generic_invite_only(void)
{
  MgChatEvent ev = event(MG_CHAT_EVENT_SCHEDULED, "en");
  ev.join_url = NULL;
  g_autoptr(MgChatRequest) r = build(MG_CHAT_CONNECTOR_GENERIC, NULL, &ev);
  json_t *root = parse(r);
  g_assert_true(json_is_null(at(root, "join_url")));
  g_assert_true(json_is_true(at(root, "invite_only")));
  json_decref(root);
}

static void
test_console(void)
{
  MgChatEvent ev = event(MG_CHAT_EVENT_CANCELLED, "en");
  MgChatConnector c = { .kind = MG_CHAT_CONNECTOR_CONSOLE };
  g_autoptr(MgChatRequest) r = mg_chatmsg_build(&c, &ev, NOW_MS, NULL);
  g_assert_null(r->url);
  g_assert_null(strchr(r->body, '\n'));
  g_assert_true(g_str_has_prefix(r->body, "Meeting cancelled: Weekly sync | "));
  g_assert_null(strstr(r->body, LINK)); /* cancelled: no join link */
}

/* XMPP: no URL, plain multi-line text, the join link alone on its line. */
static void
test_xmpp(void)
{
  MgChatEvent ev = event(MG_CHAT_EVENT_SCHEDULED, "en");
  MgChatConnector c = { .kind = MG_CHAT_CONNECTOR_XMPP };
  g_autoptr(GError) error = NULL;
  g_autoptr(MgChatRequest) r = mg_chatmsg_build(&c, &ev, NOW_MS, &error);
  g_assert_no_error(error);
  g_assert_null(r->url);
  g_assert_cmpuint(r->headers->len, ==, 0);
  g_auto(GStrv) lines = g_strsplit(r->body, "\n", -1);
  g_assert_cmpuint(g_strv_length(lines), ==, 4);
  g_assert_cmpstr(lines[0], ==, "Meeting scheduled: Weekly sync");
  g_assert_cmpstr(lines[1], ==, "When: 2026-03-02 (Mon) 10:00–11:00 Asia/Shanghai");
  g_assert_cmpstr(lines[2], ==, "Organizer: Ada Lovelace");
  g_assert_cmpstr(lines[3], ==, "Join: " LINK);
  g_assert_null(strstr(r->body, "**"));
  g_assert_null(strchr(r->body, '['));

  MgChatConnectorKind k;
  g_assert_true(mg_chatmsg_connector_kind_from_name("xmpp", &k));
  g_assert_cmpint(k, ==, MG_CHAT_CONNECTOR_XMPP);

  /* zh, invite-only: no link at all; changed: the change on its own line. */
  ev = event(MG_CHAT_EVENT_CHANGED, "zh");
  ev.join_url = NULL;
  g_autoptr(MgChatRequest) z = mg_chatmsg_build(&c, &ev, NOW_MS, NULL);
  g_assert_true(g_str_has_prefix(z->body, "会议已变更：Weekly sync\n"));
  g_assert_nonnull(strstr(z->body, "\n变更: moved to 10:00\n"));
  g_assert_true(g_str_has_suffix(z->body, "\n仅限受邀人参加：个人入会链接已单独发送给受邀人。"));
  g_assert_null(strstr(z->body, "meet.example.com"));
}

/* XMPP: a huge title and attendee list are clipped under the limit; the link survives. */
static void
test_xmpp_limit(void)
{
  GString *title = g_string_new(NULL);
  for (int i = 0; i < 2000; i++)
    g_string_append(title, "Quarterly ");
  g_autofree char *long_title = g_string_free(title, FALSE);
  const char *many[1000];
  for (guint i = 0; i < 999; i++)
    many[i] = "A very long attendee name";
  many[999] = NULL;
  MgChatEvent ev = event(MG_CHAT_EVENT_SUMMARY, "en");
  ev.title = long_title;
  ev.attendees = many;
  ev.recording_url = LINK;
  MgChatConnector c = { .kind = MG_CHAT_CONNECTOR_XMPP };
  g_autoptr(MgChatRequest) r = mg_chatmsg_build(&c, &ev, NOW_MS, NULL);
  g_assert_cmpuint(g_utf8_strlen(r->body, -1), <=, MG_CHATMSG_XMPP_LIMIT);
  g_assert_true(g_str_has_prefix(r->body, "Meeting summary: Quarterly"));
  g_assert_nonnull(strstr(r->body, "…"));
  g_assert_true(g_str_has_suffix(r->body, "\nRecording: " LINK));
}

/* Every connector: the link exactly once as a button and zh, and invite-only has none. */
static void
test_all_connectors(void)
{
  for (int k = MG_CHAT_CONNECTOR_SLACK; k <= MG_CHAT_CONNECTOR_GENERIC; k++) {
    MgChatEvent ev = event(MG_CHAT_EVENT_SCHEDULED, "zh");
    g_autoptr(MgChatRequest) r = build(k, NULL, &ev);
    json_decref(parse(r));
    g_assert_nonnull(strstr(r->body, LINK));
    if (k != MG_CHAT_CONNECTOR_GENERIC)
      g_assert_nonnull(strstr(r->body, "会议已预约"));
    /* The posted link carries lang=zh; the generic JSON's join_url field stays the bare link. */
    g_assert_nonnull(strstr(r->body, LINK "&lang=zh"));
    MgChatEvent en = event(MG_CHAT_EVENT_SCHEDULED, "en");
    g_autoptr(MgChatRequest) e = build(k, NULL, &en);
    g_assert_null(strstr(e->body, "lang=zh"));
    ev.join_url = NULL;
    g_autoptr(MgChatRequest) i = build(k, NULL, &ev);
    g_assert_null(strstr(i->body, "meet.example.com"));
    if (k != MG_CHAT_CONNECTOR_GENERIC)
      g_assert_nonnull(strstr(i->body, "个人入会链接已单独发送"));
  }
}

static void
test_long_title(void)
{
  GString *title = g_string_new(NULL);
  for (int i = 0; i < 500; i++)
    g_string_append(title, "Quarterly ");
  g_autofree char *long_title = g_string_free(title, FALSE);
  static const struct {
    MgChatConnectorKind kind;
    const char *path;
  } cases[] = {
    { MG_CHAT_CONNECTOR_SLACK, "blocks/0/text/text" },
    { MG_CHAT_CONNECTOR_MATTERMOST, "text" },
    { MG_CHAT_CONNECTOR_TEAMS, "attachments/0/content/body/0/text" },
    { MG_CHAT_CONNECTOR_DINGTALK, "actionCard/title" },
    { MG_CHAT_CONNECTOR_FEISHU, "card/header/title/content" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    MgChatEvent ev = event(MG_CHAT_EVENT_SCHEDULED, "en");
    ev.title = long_title;
    g_autoptr(MgChatRequest) r = build(cases[i].kind, NULL, &ev);
    json_t *root = parse(r);
    const char *s = str_at(root, cases[i].path);
    g_assert_nonnull(strstr(s, "…"));
    g_assert_cmpuint(g_utf8_strlen(s, -1), <, 400);
    g_assert_nonnull(strstr(r->body, LINK));
    json_decref(root);
  }
  /* Slack's section text stays under 3000 characters. */
  MgChatEvent ev = event(MG_CHAT_EVENT_SUMMARY, "en");
  const char *many[400];
  for (guint i = 0; i < 399; i++)
    many[i] = "A very long attendee name";
  many[399] = NULL;
  ev.attendees = many;
  g_autoptr(MgChatRequest) r = build(MG_CHAT_CONNECTOR_SLACK, NULL, &ev);
  json_t *root = parse(r);
  g_assert_cmpuint(g_utf8_strlen(str_at(root, "blocks/0/text/text"), -1), <=, 3000);
  json_decref(root);
}

static void
test_timezone_and_errors(void)
{
  MgChatEvent ev = event(MG_CHAT_EVENT_SCHEDULED, "en");
  ev.timezone = "Not/AZone";
  ev.end = T0 + 86400;
  MgChatConnector c = { .kind = MG_CHAT_CONNECTOR_CONSOLE };
  g_autoptr(MgChatRequest) r = mg_chatmsg_build(&c, &ev, NOW_MS, NULL);
  g_assert_nonnull(strstr(r->body, "2026-03-02 (Mon) 02:00–2026-03-03 02:00 UTC"));

  MgChatConnector no_url = { .kind = MG_CHAT_CONNECTOR_SLACK };
  g_autoptr(GError) error = NULL;
  g_assert_null(mg_chatmsg_build(&no_url, &ev, NOW_MS, &error));
  g_assert_error(error, MG_CHATMSG_ERROR, MG_CHATMSG_ERROR_INVALID);

  MgChatConnectorKind k;
  g_assert_true(mg_chatmsg_connector_kind_from_name("Feishu", &k));
  g_assert_cmpint(k, ==, MG_CHAT_CONNECTOR_FEISHU);
  g_assert_false(mg_chatmsg_connector_kind_from_name("irc", &k));
}

static void
test_idempotency_key(void)
{
  g_autofree char *a = mg_chatmsg_idempotency_key("m-1", T0, MG_CHAT_EVENT_REMINDER, NULL, "chat-a");
  g_autofree char *b = mg_chatmsg_idempotency_key("m-1", T0, MG_CHAT_EVENT_REMINDER, NULL, "chat-a");
  g_autofree char *c = mg_chatmsg_idempotency_key("m-1", T0, MG_CHAT_EVENT_REMINDER, NULL, "chat-b");
  g_autofree char *d = mg_chatmsg_idempotency_key("m-1", T0 + 604800, MG_CHAT_EVENT_REMINDER, NULL, "chat-a");
  g_autofree char *e = mg_chatmsg_idempotency_key("m-1", T0, MG_CHAT_EVENT_OPEN_NOW, NULL, "chat-a");
  g_autofree char *f = mg_chatmsg_idempotency_key("m", T0, MG_CHAT_EVENT_REMINDER, NULL, "-1chat-a");
  g_assert_cmpstr(a, ==, b);
  g_assert_cmpstr(a, !=, c);
  g_assert_cmpstr(a, !=, d);
  g_assert_cmpstr(a, !=, e);
  g_assert_cmpstr(a, !=, f);
  g_assert_true(g_str_has_prefix(a, "mgchat1-reminder-1772416800-"));
  /* Stable across builds and versions: pinned (python3 hashlib over "3:m-1|1772416800|reminder|6:chat-a"). */
  g_assert_cmpstr(a, ==, "mgchat1-reminder-1772416800-9560bfbcce49792620934a84cd55c42b");
  /* The variant tells repeated events apart: two reminders, two changes. */
  g_autofree char *r10 = mg_chatmsg_idempotency_key("m-1", T0, MG_CHAT_EVENT_REMINDER, "600", "chat-a");
  g_autofree char *r0 = mg_chatmsg_idempotency_key("m-1", T0, MG_CHAT_EVENT_REMINDER, "0", "chat-a");
  g_autofree char *r10b = mg_chatmsg_idempotency_key("m-1", T0, MG_CHAT_EVENT_REMINDER, "600", "chat-a");
  g_autofree char *empty = mg_chatmsg_idempotency_key("m-1", T0, MG_CHAT_EVENT_REMINDER, "", "chat-a");
  g_assert_cmpstr(r10, ==, r10b);
  g_assert_cmpstr(r10, !=, r0);
  g_assert_cmpstr(r10, !=, a);
  g_assert_cmpstr(empty, !=, a);
  /* Pinned: python3 hashlib over "3:m-1|1772416800|reminder|6:chat-a|3:600". */
  g_assert_cmpstr(r10, ==, "mgchat1-reminder-1772416800-ce8e0166980cf32a1d77f309cc15380c");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/chatmsg/slack", test_slack);
  g_test_add_func("/chatmsg/slack-escapes", test_slack_escapes);
  g_test_add_func("/chatmsg/markup-escapes", test_markup_escapes);
  g_test_add_func("/chatmsg/mattermost", test_mattermost);
  g_test_add_func("/chatmsg/teams", test_teams);
  g_test_add_func("/chatmsg/dingtalk", test_dingtalk);
  g_test_add_func("/chatmsg/dingtalk-unsigned-invite-only", test_dingtalk_unsigned_invite_only);
  g_test_add_func("/chatmsg/wecom", test_wecom);
  g_test_add_func("/chatmsg/wecom-limit", test_wecom_limit);
  g_test_add_func("/chatmsg/feishu", test_feishu);
  g_test_add_func("/chatmsg/generic", test_generic);
  g_test_add_func("/chatmsg/generic-invite-only", test_generic_invite_only);
  g_test_add_func("/chatmsg/raw", test_raw);
  g_test_add_func("/chatmsg/console", test_console);
  g_test_add_func("/chatmsg/xmpp", test_xmpp);
  g_test_add_func("/chatmsg/xmpp-limit", test_xmpp_limit);
  g_test_add_func("/chatmsg/all-connectors", test_all_connectors);
  g_test_add_func("/chatmsg/long-title", test_long_title);
  g_test_add_func("/chatmsg/timezone-and-errors", test_timezone_and_errors);
  g_test_add_func("/chatmsg/idempotency-key", test_idempotency_key);
  return g_test_run();
}

/* SPDX-License-Identifier: MIT
 * Classifies the answers of the chat platforms: first the HTTP status, then,
 * for a 2xx, the error the platforms put in a "successful" body
 * (DingTalk/WeCom errcode, Feishu code/StatusCode, Slack/Teams text). */
#define G_LOG_DOMAIN "chatresp"
#include "signaling/chatresp.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Bodies quoted in last_error are cut to this many bytes (on a character). */
#define QUOTE_MAX 200

/* Rate-limit codes that mean "slow down and try again". */
static const json_int_t dingtalk_retry[] = { 130101 }; /* send too fast, exceed 20 times per minute */
static const json_int_t wecom_retry[] = { 45009, -1 }; /* api freq out of limit; -1 system busy */
static const json_int_t feishu_retry[] = { 11232, 99991400, 230020 };

typedef struct {
  const char *field;     /* the code's name in the JSON body */
  const char *alt_field; /* an older name of it, or NULL */
  const char *msg_field; /* the error text next to it */
  const char *alt_msg_field;
  const json_int_t *retry;
  gsize n_retry;
} CodeRule;

static const CodeRule dingtalk = { "errcode", NULL, "errmsg", NULL, dingtalk_retry, G_N_ELEMENTS(dingtalk_retry) };
static const CodeRule wecom = { "errcode", NULL, "errmsg", NULL, wecom_retry, G_N_ELEMENTS(wecom_retry) };
static const CodeRule feishu = {
  "code", "StatusCode", "msg", "StatusMessage", feishu_retry, G_N_ELEMENTS(feishu_retry)
};

const char *
mg_chatresp_verdict_name(MgChatrespVerdict v)
{
  static const char *const names[] = { "ok", "retry", "fail" };
  return (guint)v < G_N_ELEMENTS(names) ? names[v] : "?";
}

/* The body, trimmed and cut to QUOTE_MAX bytes of valid UTF-8. */
static char *
quote(const char *body)
{
  if (!body)
    return g_strdup("");
  g_autofree char *valid = g_utf8_make_valid(body, -1);
  g_strstrip(valid);
  if (strlen(valid) <= QUOTE_MAX)
    return g_steal_pointer(&valid);
  const char *end = g_utf8_find_prev_char(valid, valid + QUOTE_MAX + 1);
  return g_strdup_printf("%.*s…", (int)(end - valid), valid);
}

static MgChatrespVerdict
by_code(const CodeRule *r, const char *body, char **message)
{
  json_t *root = body ? json_loads(body, 0, NULL) : NULL;
  json_t *code = root ? json_object_get(root, r->field) : NULL;
  if (!code && root && r->alt_field)
    code = json_object_get(root, r->alt_field);
  if (!json_is_integer(code)) {
    /* A 2xx without the documented code: the platform or a proxy changed; do not
     * claim delivery we cannot see, and do not loop on it either. */
    g_autofree char *q = quote(body);
    *message = g_strdup_printf("2xx without \"%s\" in the answer: %s", r->field, q);
    json_decref(root);
    return MG_CHATRESP_FAIL;
  }
  json_int_t c = json_integer_value(code);
  MgChatrespVerdict v = MG_CHATRESP_OK;
  if (c != 0) {
    json_t *msg = json_object_get(root, r->msg_field);
    if (!json_is_string(msg) && r->alt_msg_field)
      msg = json_object_get(root, r->alt_msg_field);
    g_autofree char *q = quote(json_is_string(msg) ? json_string_value(msg) : "");
    *message = g_strdup_printf("%s %" JSON_INTEGER_FORMAT ": %s", r->field, c, q);
    v = MG_CHATRESP_FAIL;
    for (gsize i = 0; i < r->n_retry; i++)
      if (r->retry[i] == c)
        v = MG_CHATRESP_RETRY;
  }
  json_decref(root);
  return v;
}

/* Teams answers 200 with "1" on success, and 200 with a text such as
 * "Microsoft Teams endpoint returned HTTP error 429 with ContextId ..." when
 * its backend failed: read that inner status. */
static MgChatrespVerdict
teams(const char *body, char **message)
{
  g_autofree char *q = quote(body);
  if (!strcmp(q, "1") || !*q)
    return MG_CHATRESP_OK;
  *message = g_strdup_printf("Teams: %s", q);
  const char *at = strstr(q, "HTTP error ");
  int inner = at ? atoi(at + strlen("HTTP error ")) : 0;
  return inner == 429 || inner >= 500 ? MG_CHATRESP_RETRY : MG_CHATRESP_FAIL;
}

/* Slack answers "ok" (text) on success. */
static MgChatrespVerdict
text_ok(const char *platform, const char *body, char **message)
{
  g_autofree char *q = quote(body);
  if (!*q || !g_ascii_strcasecmp(q, "ok"))
    return MG_CHATRESP_OK;
  *message = g_strdup_printf("%s: %s", platform, q);
  return MG_CHATRESP_FAIL;
}

static MgChatrespVerdict
by_status(const MgChatrespAnswer *a, char **message)
{
  g_autofree char *q = quote(a->body);
  if (a->status == 0) {
    *message = g_strdup_printf("no answer: %s", a->error ? a->error : "transport error");
    return MG_CHATRESP_RETRY;
  }
  *message = *q ? g_strdup_printf("HTTP %d: %s", a->status, q) : g_strdup_printf("HTTP %d", a->status);
  if (a->status == 429 || a->status >= 500 || a->status == 408)
    return MG_CHATRESP_RETRY;
  return MG_CHATRESP_FAIL;
}

MgChatrespVerdict
mg_chatresp_classify(MgChatConnectorKind kind, const MgChatrespAnswer *a, gint64 *retry_after_s, char **message)
{
  char *msg = NULL;
  MgChatrespVerdict v;
  if (a->status < 200 || a->status > 299)
    v = by_status(a, &msg);
  else if (kind == MG_CHAT_CONNECTOR_DINGTALK)
    v = by_code(&dingtalk, a->body, &msg);
  else if (kind == MG_CHAT_CONNECTOR_WECOM)
    v = by_code(&wecom, a->body, &msg);
  else if (kind == MG_CHAT_CONNECTOR_FEISHU)
    v = by_code(&feishu, a->body, &msg);
  else if (kind == MG_CHAT_CONNECTOR_TEAMS)
    v = teams(a->body, &msg);
  else if (kind == MG_CHAT_CONNECTOR_SLACK)
    v = text_ok("Slack", a->body, &msg);
  else
    v = MG_CHATRESP_OK; /* Mattermost, generic and anything else: a 2xx is delivered */
  if (retry_after_s)
    *retry_after_s = v == MG_CHATRESP_RETRY ? a->retry_after_s : -1;
  if (message)
    *message = msg;
  else
    g_free(msg);
  return v;
}

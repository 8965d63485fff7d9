/* SPDX-License-Identifier: MIT
 * The platforms' answers, as their documentation shows them, classified. */
#include <string.h>

#include "signaling/chatresp.h"

typedef struct {
  MgChatConnectorKind kind;
  int status;
  const char *body;
  gint64 retry_after;
  MgChatrespVerdict want;
  const char *in_message; /* a piece the message must hold; NULL for OK */
} Case;

static const Case cases[] = {
  /* Transport and HTTP status, any platform. */
  { MG_CHAT_CONNECTOR_GENERIC, 200, "", -1, MG_CHATRESP_OK, NULL },
  { MG_CHAT_CONNECTOR_GENERIC, 204, NULL, -1, MG_CHATRESP_OK, NULL },
  { MG_CHAT_CONNECTOR_GENERIC, 500, "boom", -1, MG_CHATRESP_RETRY, "HTTP 500: boom" },
  { MG_CHAT_CONNECTOR_GENERIC, 503, "", 30, MG_CHATRESP_RETRY, "HTTP 503" },
  { MG_CHAT_CONNECTOR_GENERIC, 429, "slow down", 7, MG_CHATRESP_RETRY, "HTTP 429" },
  { MG_CHAT_CONNECTOR_GENERIC, 404, "not found", -1, MG_CHATRESP_FAIL, "HTTP 404: not found" },
  { MG_CHAT_CONNECTOR_GENERIC, 301, "", -1, MG_CHATRESP_FAIL, "HTTP 301" },
  { MG_CHAT_CONNECTOR_MATTERMOST, 200, "ok", -1, MG_CHATRESP_OK, NULL },
  { MG_CHAT_CONNECTOR_MATTERMOST, 400,
    "{\"id\":\"web.incoming_webhook.text.app_error\",\"message\":\"No text specified.\",\"status_code\":400}", -1,
    MG_CHATRESP_FAIL, "No text specified." },
  /* Slack incoming webhooks: "ok", or an error string with a 4xx. */
  { MG_CHAT_CONNECTOR_SLACK, 200, "ok", -1, MG_CHATRESP_OK, NULL },
  { MG_CHAT_CONNECTOR_SLACK, 400, "invalid_payload", -1, MG_CHATRESP_FAIL, "invalid_payload" },
  { MG_CHAT_CONNECTOR_SLACK, 404, "no_service", -1, MG_CHATRESP_FAIL, "no_service" },
  { MG_CHAT_CONNECTOR_SLACK, 410, "channel_is_archived", -1, MG_CHATRESP_FAIL, "channel_is_archived" },
  { MG_CHAT_CONNECTOR_SLACK, 429, "rate_limited", 30, MG_CHATRESP_RETRY, "rate_limited" },
  { MG_CHAT_CONNECTOR_SLACK, 200, "no_text", -1, MG_CHATRESP_FAIL, "Slack: no_text" },
  /* Teams: "1", or an inner error in a 200. */
  { MG_CHAT_CONNECTOR_TEAMS, 200, "1", -1, MG_CHATRESP_OK, NULL },
  { MG_CHAT_CONNECTOR_TEAMS, 200,
    "Microsoft Teams endpoint returned HTTP error 429 with ContextId tcid=0,server=msgapi-canary-eus2-0,cv=deadbeef.0",
    -1, MG_CHATRESP_RETRY, "HTTP error 429" },
  { MG_CHAT_CONNECTOR_TEAMS, 200,
    "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP "
    "error 413 with ContextId MS-CV=Qn6afVIGzEq",
    -1, MG_CHATRESP_FAIL, "HTTP error 413" },
  { MG_CHAT_CONNECTOR_TEAMS, 200, "Microsoft Teams endpoint returned HTTP error 502 with ContextId x", -1,
    MG_CHATRESP_RETRY, "502" },
  { MG_CHAT_CONNECTOR_TEAMS, 400, "Bad payload received by generic incoming webhook.", -1, MG_CHATRESP_FAIL,
    "Bad payload" },
  /* DingTalk custom robot. */
  { MG_CHAT_CONNECTOR_DINGTALK, 200, "{\"errcode\":0,\"errmsg\":\"ok\"}", -1, MG_CHATRESP_OK, NULL },
  { MG_CHAT_CONNECTOR_DINGTALK, 200, "{\"errcode\":130101,\"errmsg\":\"send too fast, exceed 20 times per minute\"}",
    -1, MG_CHATRESP_RETRY, "errcode 130101: send too fast" },
  { MG_CHAT_CONNECTOR_DINGTALK, 200,
    "{\"errcode\":310000,\"errmsg\":\"sign not match, more: [https://ding-doc"
    ".dingtalk.com/doc#/serverapi2/qf2nxq]\"}",
    -1, MG_CHATRESP_FAIL, "errcode 310000: sign not match" },
  { MG_CHAT_CONNECTOR_DINGTALK, 200, "{\"errcode\":300001,\"errmsg\":\"token is not exist\"}", -1, MG_CHATRESP_FAIL,
    "token is not exist" },
  { MG_CHAT_CONNECTOR_DINGTALK, 200, "<html>proxy</html>", -1, MG_CHATRESP_FAIL, "without \"errcode\"" },
  /* WeCom group robot. */
  { MG_CHAT_CONNECTOR_WECOM, 200, "{\"errcode\":0,\"errmsg\":\"ok\"}", -1, MG_CHATRESP_OK, NULL },
  { MG_CHAT_CONNECTOR_WECOM, 200, "{\"errcode\":45009,\"errmsg\":\"api freq out of limit\"}", -1, MG_CHATRESP_RETRY,
    "errcode 45009" },
  { MG_CHAT_CONNECTOR_WECOM, 200, "{\"errcode\":-1,\"errmsg\":\"system busy\"}", -1, MG_CHATRESP_RETRY, "busy" },
  { MG_CHAT_CONNECTOR_WECOM, 200, "{\"errcode\":93000,\"errmsg\":\"invalid webhook url\"}", -1, MG_CHATRESP_FAIL,
    "errcode 93000: invalid webhook url" },
  /* Feishu/Lark custom bot: new and old answer shapes. */
  { MG_CHAT_CONNECTOR_FEISHU, 200, "{\"code\":0,\"data\":{},\"msg\":\"success\"}", -1, MG_CHATRESP_OK, NULL },
  { MG_CHAT_CONNECTOR_FEISHU, 200, "{\"Extra\":null,\"StatusCode\":0,\"StatusMessage\":\"success\"}", -1,
    MG_CHATRESP_OK, NULL },
  { MG_CHAT_CONNECTOR_FEISHU, 200,
    "{\"code\":19021,\"data\":{},\"msg\":\"sign match fail or timestamp is not within "
    "one hour from current time\"}",
    -1, MG_CHATRESP_FAIL, "code 19021: sign match fail" },
  { MG_CHAT_CONNECTOR_FEISHU, 200,
    "{\"code\":11232,\"data\":{},\"msg\":\"frequency limited psm[lark.oapi.app_"
    "platform_runtime]appID[1]\"}",
    -1, MG_CHATRESP_RETRY, "code 11232" },
  { MG_CHAT_CONNECTOR_FEISHU, 429, "{\"code\":99991400,\"msg\":\"request trigger frequency limit\"}", 52,
    MG_CHATRESP_RETRY, "HTTP 429" },
  { MG_CHAT_CONNECTOR_FEISHU, 400, "{\"code\":99991400,\"msg\":\"request trigger frequency limit\"}", -1,
    MG_CHATRESP_FAIL, "HTTP 400" },
  { MG_CHAT_CONNECTOR_FEISHU, 200, "{\"code\":9499,\"msg\":\"Bad Request\",\"data\":{}}", -1, MG_CHATRESP_FAIL,
    "code 9499: Bad Request" },
};

static void
test_cases(void)
{
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    const Case *c = &cases[i];
    MgChatrespAnswer a = { .status = c->status, .body = c->body, .retry_after_s = c->retry_after };
    gint64 after = 0;
    g_autofree char *message = NULL;
    MgChatrespVerdict v = mg_chatresp_classify(c->kind, &a, &after, &message);
    if (v != c->want)
      g_error("case %u (%d %s): %s, want %s (%s)", i, c->status, c->body, mg_chatresp_verdict_name(v),
              mg_chatresp_verdict_name(c->want), message);
    if (c->in_message) {
      g_assert_nonnull(message);
      if (!strstr(message, c->in_message))
        g_error("case %u: message \"%s\" lacks \"%s\"", i, message, c->in_message);
    } else {
      g_assert_null(message);
    }
    g_assert_cmpint(after, ==, v == MG_CHATRESP_RETRY ? c->retry_after : -1);
  }
}

static void
test_transport(void)
{
  MgChatrespAnswer a = { .status = 0, .error = "Connection refused", .retry_after_s = -1 };
  g_autofree char *message = NULL;
  g_assert_cmpint(mg_chatresp_classify(MG_CHAT_CONNECTOR_DINGTALK, &a, NULL, &message), ==, MG_CHATRESP_RETRY);
  g_assert_cmpstr(message, ==, "no answer: Connection refused");
  /* NULL outputs are allowed. */
  g_assert_cmpint(mg_chatresp_classify(MG_CHAT_CONNECTOR_SLACK, &a, NULL, NULL), ==, MG_CHATRESP_RETRY);
}

static void
test_quote(void)
{
  /* A long answer is cut (on a character) and bad UTF-8 made valid. */
  GString *big = g_string_new("");
  for (int i = 0; i < 300; i++)
    g_string_append(big, "错");
  g_string_append(big, "\xff");
  MgChatrespAnswer a = { .status = 400, .body = big->str, .retry_after_s = -1 };
  g_autofree char *message = NULL;
  g_assert_cmpint(mg_chatresp_classify(MG_CHAT_CONNECTOR_GENERIC, &a, NULL, &message), ==, MG_CHATRESP_FAIL);
  g_assert_true(g_utf8_validate(message, -1, NULL));
  g_assert_cmpuint(strlen(message), <, 260);
  g_assert_true(g_str_has_suffix(message, "…"));
  g_string_free(big, TRUE);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/chatresp/cases", test_cases);
  g_test_add_func("/chatresp/transport", test_transport);
  g_test_add_func("/chatresp/quote", test_quote);
  return g_test_run();
}

/* SPDX-License-Identifier: MIT
 * Chat bindings: validation per connector, the store round trip, masking,
 * JSON input, matching with reasons and the default chat. */
#include <jansson.h>
#include <string.h>

#include "tests/unit/tmp-store.h"
#include "signaling/chats.h"

#define T0 1767261600

typedef struct {
  char *dir;
  char *path;
  MgStore *store;
} Fixture;

static void
setup(Fixture *f, gconstpointer data)
{
  f->store = tmp_store_open("mg-chats-XXXXXX", &f->dir, &f->path);
}

static void
teardown(Fixture *f, gconstpointer data)
{
  tmp_store_remove(f->store, f->dir, f->path);
}

static MgChat *
parse(const char *json, GError **error)
{
  return mg_chat_from_json_text(json, strlen(json), NULL, error);
}

/* The validation error of json (parse or validate), or NULL when valid. */
static char *
why_invalid(const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MgChat) c = parse(json, &error);
  if (c && mg_chats_validate(c, &error))
    return NULL;
  g_assert_nonnull(error);
  g_assert_true(g_error_matches(error, MG_CHATS_ERROR, MG_CHATS_ERROR_INVALID));
  return g_strdup(error->message);
}

static void
expect_invalid(const char *json, const char *field)
{
  g_autofree char *why = why_invalid(json);
  if (!why)
    g_error("accepted: %s", json);
  if (!g_str_has_prefix(why, field))
    g_error("%s: error '%s' does not name %s", json, why, field);
}

static void
expect_valid(const char *json)
{
  g_autofree char *why = why_invalid(json);
  if (why)
    g_error("refused: %s: %s", json, why);
}

static void
test_validate(void)
{
  expect_valid("{\"key\":\"c\",\"name\":\"C\",\"connector\":\"console\"}");
  expect_valid("{\"key\":\"d\",\"name\":\"D\",\"connector\":\"dingtalk\",\"webhook_url\":"
               "\"https://oapi.dingtalk.com/robot/send?access_token=abc\",\"secret\":\"SECxyz\","
               "\"timezone\":\"Asia/Shanghai\",\"lang\":\"zh\",\"rate\":\"20/min\"}");
  expect_valid("{\"key\":\"f\",\"name\":\"F\",\"connector\":\"feishu\",\"webhook_url\":\"http://127.0.0.1:9/h\","
               "\"rate\":\"5/s,100/min\"}");
  expect_valid("{\"key\":\"x\",\"name\":\"X\",\"connector\":\"xmpp\",\"jid\":\"bot@example.org\",\"secret\":\"pw\","
               "\"room\":\"eng@conference.example.org\",\"nick\":\"meetgate\",\"port\":5222}");
  expect_invalid("{\"key\":\"s\",\"name\":\"S\",\"connector\":\"slack\"}", "webhook_url");
  expect_invalid("{\"key\":\"s\",\"name\":\"S\",\"connector\":\"slack\",\"webhook_url\":\"ftp://h/x\"}", "webhook_url");
  expect_invalid("{\"key\":\"s\",\"name\":\"S\",\"connector\":\"slack\",\"webhook_url\":\"https://h/x\","
                 "\"secret\":\"z\"}",
                 "secret");
  expect_invalid("{\"key\":\"c\",\"name\":\"C\",\"connector\":\"console\",\"webhook_url\":\"https://h/x\"}",
                 "webhook_url");
  expect_invalid("{\"key\":\"x\",\"name\":\"X\",\"connector\":\"xmpp\",\"jid\":\"bot@example.org\","
                 "\"room\":\"eng@conference.example.org\",\"nick\":\"m\"}",
                 "secret");
  expect_invalid("{\"key\":\"x\",\"name\":\"X\",\"connector\":\"xmpp\",\"jid\":\"bot@example.org\",\"secret\":\"p\","
                 "\"nick\":\"m\"}",
                 "room");
  expect_invalid("{\"key\":\"x\",\"name\":\"X\",\"connector\":\"xmpp\",\"jid\":\"bot\",\"secret\":\"p\","
                 "\"room\":\"r@c.example.org\",\"nick\":\"m\"}",
                 "jid");
  expect_invalid("{\"key\":\"x\",\"name\":\"X\",\"connector\":\"xmpp\",\"jid\":\"b@e.org\",\"secret\":\"p\","
                 "\"room\":\"r@c.example.org\"}",
                 "nick");
  expect_invalid("{\"key\":\"c\",\"name\":\"C\",\"connector\":\"console\",\"timezone\":\"Mars/Olympus\"}", "timezone");
  expect_invalid("{\"key\":\"c\",\"name\":\"C\",\"connector\":\"console\",\"lang\":\"fr\"}", "lang");
  expect_invalid("{\"key\":\"c\",\"name\":\"C\",\"connector\":\"console\",\"rate\":\"fast\"}", "rate");
  expect_invalid("{\"key\":\"c\",\"name\":\"C\",\"connector\":\"console\",\"rate\":\"0/min\"}", "rate");
  expect_invalid("{\"key\":\"c\",\"name\":\"C\",\"connector\":\"console\",\"rate\":\"5/week\"}", "rate");
  expect_invalid("{\"key\":\"c d\",\"name\":\"C\",\"connector\":\"console\"}", "key");
  expect_invalid("{\"key\":\"c\",\"connector\":\"console\"}", "name");
  expect_invalid("{\"key\":\"c\",\"name\":\"C\",\"connector\":\"icq\"}", "connector");
  expect_invalid("{\"key\":\"c\",\"name\":\"C\"}", "connector");
  expect_invalid("{\"key\":\"c\",\"name\":\"C\",\"connector\":\"console\",\"colour\":\"red\"}", "colour");
  expect_invalid("{\"key\":\"c\",\"name\":\"C\",\"connector\":\"console\",\"rules\":{\"people\":[1]}}", "rules.people");
  expect_invalid("{\"key\":\"c\",\"name\":\"C\",\"connector\":\"console\",\"rules\":{\"people\":[\"\"]}}",
                 "rules.people");
  expect_invalid("{\"key\":\"c\",\"name\":7,\"connector\":\"console\"}", "name");
  expect_invalid("[1]", "the body");
  expect_invalid("{\"key\":", "the body");
}

static void
test_mask(void)
{
  struct {
    const char *url, *masked;
  } cases[] = {
    { "https://oapi.dingtalk.com/robot/send?access_token=0123abcd",
      "https://oapi.dingtalk.com/robot/send?access_token=****" },
    { "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX", "https://hooks.slack.com/services/****/****/****" },
    { "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6",
      "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=****" },
    { "http://user:pw@127.0.0.1:8080/hook/abc123?x=1&y", "http://127.0.0.1:8080/hook/****?x=****&****" },
    { "https://open.feishu.cn/open-apis/bot/v2/hook/6a1e-77", "https://open.feishu.cn/open-apis/bot/****/hook/****" },
    { "not a url", "****" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *m = mg_chats_mask_url(cases[i].url);
    g_assert_cmpstr(m, ==, cases[i].masked);
  }
  g_assert_null(mg_chats_mask_url(NULL));
}

static void
test_store(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  const char *json = "{\"key\":\"eng\",\"name\":\"Engineering\",\"connector\":\"dingtalk\",\"webhook_url\":"
                     "\"https://oapi.dingtalk.com/robot/send?access_token=TOKEN123\",\"secret\":\"SECsecret99\","
                     "\"timezone\":\"Asia/Shanghai\",\"lang\":\"zh\",\"rate\":\"20/min\",\"default\":true,"
                     "\"rules\":{\"departments\":[\"R&D\"],\"people\":[\"u42\"],\"sources\":[\"oa-main\"]}}";
  g_autoptr(MgChat) in = parse(json, &error);
  g_assert_no_error(error);
  gboolean created = FALSE;
  g_assert_true(mg_chats_put(f->store, in, T0, &created, &error));
  g_assert_no_error(error);
  g_assert_true(created);
  g_autoptr(MgChat) out = mg_chats_get(f->store, "eng");
  g_assert_nonnull(out);
  g_assert_cmpstr(out->name, ==, "Engineering");
  g_assert_cmpint(out->connector, ==, MG_CHAT_CONNECTOR_DINGTALK);
  g_assert_cmpstr(out->webhook_url, ==, in->webhook_url);
  g_assert_cmpstr(out->secret, ==, "SECsecret99");
  g_assert_cmpstr(out->timezone, ==, "Asia/Shanghai");
  g_assert_cmpstr(out->lang, ==, "zh");
  g_assert_cmpstr(out->rate, ==, "20/min");
  g_assert_true(out->is_default);
  g_assert_cmpstr(out->rules.departments[0], ==, "R&D");
  g_assert_cmpstr(out->rules.people[0], ==, "u42");
  g_assert_cmpstr(out->rules.sources[0], ==, "oa-main");
  g_assert_cmpint(out->created_at, ==, T0);

  /* Replace: created_at kept, updated_at moves. */
  g_free(in->name);
  in->name = g_strdup("Eng");
  g_assert_true(mg_chats_put(f->store, in, T0 + 60, &created, &error));
  g_assert_false(created);
  g_autoptr(MgChat) again = mg_chats_get(f->store, "eng");
  g_assert_cmpstr(again->name, ==, "Eng");
  g_assert_cmpint(again->created_at, ==, T0);
  g_assert_cmpint(again->updated_at, ==, T0 + 60);

  /* Masked JSON: no secret anywhere, the token masked. */
  json_t *o = mg_chat_to_json_masked(again);
  g_autofree char *text = json_dumps(o, 0);
  json_decref(o);
  g_assert_null(strstr(text, "SECsecret99"));
  g_assert_null(strstr(text, "TOKEN123"));
  g_assert_nonnull(strstr(text, "access_token=****"));
  g_assert_nonnull(strstr(text, "\"secret_set\": true"));

  /* An invalid chat is refused and changes nothing. */
  g_free(in->timezone);
  in->timezone = g_strdup("Nowhere/Land");
  g_assert_false(mg_chats_put(f->store, in, T0 + 120, NULL, &error));
  g_assert_error(error, MG_CHATS_ERROR, MG_CHATS_ERROR_INVALID);
  g_clear_error(&error);
  g_autoptr(MgChat) kept = mg_chats_get(f->store, "eng");
  g_assert_cmpstr(kept->timezone, ==, "Asia/Shanghai");

  g_assert_cmpint(mg_chats_count(f->store), ==, 1);
  g_assert_true(mg_chats_remove(f->store, "eng", &error));
  g_assert_false(mg_chats_remove(f->store, "eng", &error));
  g_assert_error(error, MG_CHATS_ERROR, MG_CHATS_ERROR_NOT_FOUND);
  g_assert_null(mg_chats_get(f->store, "eng"));
  g_assert_cmpint(mg_chats_count(f->store), ==, 0);
}

static void
put_json(Fixture *f, const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MgChat) c = parse(json, &error);
  g_assert_no_error(error);
  g_assert_true(mg_chats_put(f->store, c, T0, NULL, &error));
  g_assert_no_error(error);
}

static MgMeeting *
meeting(void)
{
  MgMeeting *m = mg_meeting_new();
  m->source = g_strdup("oa-main");
  m->external_id = g_strdup("e1");
  m->title = g_strdup("Sync");
  m->start = T0;
  m->end = T0 + 3600;
  m->organizer.id = g_strdup("boss");
  m->organizer.department = g_strdup("R&D");
  MgPerson p = { .id = g_strdup("u42"), .name = g_strdup("Ada") };
  g_array_append_val(m->attendees, p);
  return m;
}

/* "key: reason; reason | key: ..." */
static char *
describe(GPtrArray *matches)
{
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < matches->len; i++) {
    MgChatMatch *mt = matches->pdata[i];
    g_string_append_printf(s, "%s%s:", i ? " | " : "", mt->chat->key);
    for (guint j = 0; j < mt->reasons->len; j++)
      g_string_append_printf(s, "%s %s", j ? ";" : "", (char *)mt->reasons->pdata[j]);
  }
  return g_string_free(s, FALSE);
}

static char *
match(Fixture *f, const MgMeeting *m)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) matches = mg_chats_match(f->store, m, &error);
  g_assert_no_error(error);
  return describe(matches);
}

static void
test_match(Fixture *f, gconstpointer data)
{
  g_autoptr(MgMeeting) m = meeting();
  g_autofree char *none = match(f, m);
  g_assert_cmpstr(none, ==, "");

  put_json(f, "{\"key\":\"all\",\"name\":\"All\",\"connector\":\"console\",\"default\":true}");
  g_autofree char *def = match(f, m);
  g_assert_cmpstr(def, ==, "all: default chat: no other chat matched");

  put_json(f, "{\"key\":\"eng-weekly\",\"name\":\"E\",\"connector\":\"console\"}");
  put_json(f, "{\"key\":\"rd\",\"name\":\"R\",\"connector\":\"console\",\"rules\":{\"departments\":[\"R&D\"],"
              "\"sources\":[\"oa-main\"]}}");
  put_json(f,
           "{\"key\":\"people\",\"name\":\"P\",\"connector\":\"console\",\"rules\":{\"people\":[\"u42\",\"boss\"]}}");
  put_json(f, "{\"key\":\"other\",\"name\":\"O\",\"connector\":\"console\",\"rules\":{\"departments\":[\"Sales\"],"
              "\"people\":[\"u7\"],\"sources\":[\"hr\"]}}");
  g_autofree char *all = match(f, m);
  g_assert_cmpstr(all, ==,
                  "people: organizer 'boss'; attendee 'u42' | rd: organizer department 'R&D'; source 'oa-main'");

  m->chat = g_strdup("eng-weekly");
  g_autofree char *named = match(f, m);
  g_assert_cmpstr(named, ==,
                  "eng-weekly: chat key 'eng-weekly' named by the meeting | people: organizer 'boss'; attendee 'u42' "
                  "| rd: organizer department 'R&D'; source 'oa-main'");

  /* Nothing but the default matches a meeting from elsewhere. */
  g_autoptr(MgMeeting) lone = mg_meeting_new();
  lone->source = g_strdup("x");
  lone->organizer.id = g_strdup("nobody");
  g_autofree char *fallback = match(f, lone);
  g_assert_cmpstr(fallback, ==, "all: default chat: no other chat matched");
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/chats/validate", test_validate);
  g_test_add_func("/chats/mask", test_mask);
  g_test_add("/chats/store", Fixture, NULL, setup, test_store, teardown);
  g_test_add("/chats/match", Fixture, NULL, setup, test_match, teardown);
  return g_test_run();
}

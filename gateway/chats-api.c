/* SPDX-License-Identifier: MIT
 * The chats API (/api/v1/chats, /api/v1/meetings/<id>/chats): chat bindings
 * for operators and OA integrators, answers with secrets masked. */
#define G_LOG_DOMAIN "chats"
#include "gateway/chats-api.h"

#include <string.h>

#include "gateway/log.h"
#include "signaling/chatevents.h"

struct MgChatsApi {
  MgStore *store;
  MgAdmin *admin;
  MgMeetingsApi *meetings_api;
  gboolean console_default;
};

static gint64
now_s(void)
{
  return g_get_real_time() / G_USEC_PER_SEC;
}

void
mg_chats_api_add_secrets(const MgChat *chat)
{
  if (chat->secret)
    mg_log_add_secret(chat->secret);
  if (chat->webhook_url) {
    mg_log_add_secret(chat->webhook_url);
    g_auto(GStrv) parts = mg_chats_url_secrets(chat->webhook_url);
    for (char **p = parts; *p; p++)
      mg_log_add_secret(*p);
  }
}

/* Who may manage chats: an operator admin key or an OA source key. Answers
 * 401/403 itself and returns NULL otherwise. (transfer full) "admin <name>" or "source <name>". */
static char *
authenticate(MgChatsApi *api, MgHttpRequest *req, const char **source_out)
{
  const char *source =
      api->meetings_api ? mg_meetings_api_source_for_key(api->meetings_api, mg_http_request_get_bearer(req)) : NULL;
  if (source_out)
    *source_out = source;
  if (source)
    return g_strdup_printf("source %s", source);
  const char *name = NULL;
  if (!api->admin) {
    mg_http_request_respond_error(req, 401, "unauthorized", "an operator admin key or an OA source key is required");
    return NULL;
  }
  if (!mg_admin_authenticate(api->admin, req, MG_ADMIN_OPERATOR, &name))
    return NULL;
  return g_strdup_printf("admin %s", name ? name : "?");
}

/* An OA source sees and changes only the chats it made; operators all. */
static gboolean
visible_to(const MgChat *chat, const char *source)
{
  return !source || !g_strcmp0(chat->owner, source);
}

static void
respond_invalid(MgHttpRequest *req, const GError *error)
{
  const char *msg = error->message;
  const char *colon = strstr(msg, ": ");
  gboolean body = g_str_has_prefix(msg, "the body");
  g_autofree char *field = body                                      ? g_strdup("body")
                           : colon && !memchr(msg, ' ', colon - msg) ? g_strndup(msg, colon - msg)
                                                                     : g_strdup("body");
  mg_http_request_respond_json(req, 400,
                               json_pack("{s:{s:s, s:s, s:s}}", "error", "code", body ? "bad_json" : "invalid_field",
                                         "message", msg, "field", field));
}

static void
respond_error(MgHttpRequest *req, const GError *error)
{
  if (g_error_matches(error, MG_CHATS_ERROR, MG_CHATS_ERROR_INVALID))
    respond_invalid(req, error);
  else if (g_error_matches(error, MG_CHATS_ERROR, MG_CHATS_ERROR_NOT_FOUND))
    mg_http_request_respond_error(req, 404, "not_found", "%s", error->message);
  else
    mg_http_request_respond_error(req, 500, "store", "%s", error->message);
}

/* Reads, validates and stores the body; key_from_path for PUT. */
static void
put_chat(MgChatsApi *api, MgHttpRequest *req, const char *key_from_path)
{
  const char *source = NULL;
  g_autofree char *who = authenticate(api, req, &source);
  if (!who)
    return;
  g_autoptr(GBytes) body = mg_http_request_get_body(req);
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data(body, &len);
  g_autoptr(MgChat) chat = mg_chat_from_json_text(data ? data : "", len, key_from_path, &error);
  if (chat)
    mg_chats_api_add_secrets(chat); /* before anything could log them */
  if (chat) {
    g_autoptr(MgChat) old = mg_chats_get(api->store, chat->key);
    if (old && !visible_to(old, source)) {
      g_info("%s %s from %s refused: chat %s is not its own", mg_http_request_get_method(req),
             mg_http_request_get_path(req), who, chat->key);
      mg_http_request_respond_error(req, 403, "forbidden", "chat %s belongs to another owner; pick another key",
                                    chat->key);
      return;
    }
    g_free(chat->owner); /* a new chat is the source's; a replaced one keeps its owner */
    chat->owner = old ? g_strdup(old->owner) : g_strdup(source);
  }
  gboolean created = FALSE;
  if (!chat || !mg_chats_put(api->store, chat, now_s(), &created, &error)) {
    g_info("%s %s from %s refused: %s", mg_http_request_get_method(req), mg_http_request_get_path(req), who,
           error->message);
    respond_error(req, error);
    return;
  }
  g_autoptr(MgChat) stored = mg_chats_get(api->store, chat->key);
  g_info("chat %s (%s) %s by %s", chat->key, mg_chats_connector_name(chat->connector), created ? "created" : "replaced",
         who);
  mg_http_request_respond_json(req, created ? 201 : 200,
                               json_pack("{s:s, s:o}", "status", created ? "created" : "replaced", "chat",
                                         (json_t *)mg_chat_to_json_masked(stored)));
}

static void
on_post(MgHttpRequest *req, gpointer data)
{
  put_chat(data, req, NULL);
}

static void
on_list(MgHttpRequest *req, gpointer data)
{
  MgChatsApi *api = data;
  const char *source = NULL;
  g_autofree char *who = authenticate(api, req, &source);
  if (!who)
    return;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) chats = mg_chats_list(api->store, &error);
  if (!chats) {
    respond_error(req, error);
    return;
  }
  json_t *list = json_array();
  for (guint i = 0; i < chats->len; i++)
    if (visible_to(chats->pdata[i], source))
      json_array_append_new(list, mg_chat_to_json_masked(chats->pdata[i]));
  mg_http_request_respond_json(
      req, 200, json_pack("{s:o, s:b}", "chats", list, "console_default", api->console_default && chats->len == 0));
}

/* The key a /api/v1/chats/<key> path names, or NULL after answering 404. */
static const char *
tail_key(MgHttpRequest *req)
{
  const char *key = mg_http_request_get_tail(req);
  if (!*key || strchr(key, '/')) {
    mg_http_request_respond_error(req, 404, "not_found", "no such resource");
    return NULL;
  }
  return key;
}

static void
on_get(MgHttpRequest *req, gpointer data)
{
  MgChatsApi *api = data;
  const char *source = NULL;
  g_autofree char *who = authenticate(api, req, &source);
  const char *key = who ? tail_key(req) : NULL;
  if (!key)
    return;
  g_autoptr(MgChat) chat = mg_chats_get(api->store, key);
  if (!chat || !visible_to(chat, source)) {
    mg_http_request_respond_error(req, 404, "not_found", "no chat %s", key);
    return;
  }
  mg_http_request_respond_json(req, 200, json_pack("{s:o}", "chat", (json_t *)mg_chat_to_json_masked(chat)));
}

static void
on_put(MgHttpRequest *req, gpointer data)
{
  const char *key = tail_key(req);
  if (key)
    put_chat(data, req, key);
}

static void
on_delete(MgHttpRequest *req, gpointer data)
{
  MgChatsApi *api = data;
  const char *source = NULL;
  g_autofree char *who = authenticate(api, req, &source);
  const char *key = who ? tail_key(req) : NULL;
  if (!key)
    return;
  g_autoptr(MgChat) chat = mg_chats_get(api->store, key);
  if (chat && !visible_to(chat, source)) {
    mg_http_request_respond_error(req, 404, "not_found", "no chat %s", key);
    return;
  }
  g_autoptr(GError) error = NULL;
  if (!mg_chats_remove(api->store, key, &error)) {
    respond_error(req, error);
    return;
  }
  g_info("chat %s removed by %s", key, who);
  mg_http_request_respond_json(req, 200, json_pack("{s:s, s:s}", "status", "removed", "key", key));
}

/* GET /api/v1/meetings/<id>/chats: which chats the meeting goes to and why. */
static void
on_meeting_chats(MgHttpRequest *req, gpointer data)
{
  MgChatsApi *api = data;
  const char *source = NULL;
  g_autofree char *who = authenticate(api, req, &source);
  if (!who)
    return;
  const char *tail = mg_http_request_get_tail(req);
  g_autofree char *id = g_strndup(tail, strcspn(tail, "/"));
  g_autoptr(MgMeetingsEntry) e = mg_meetings_get(api->store, id);
  if (!e || (source && strcmp(e->meeting->source, source))) {
    mg_http_request_respond_error(req, 404, "not_found", "no meeting %s", id);
    return;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) matches = mg_chatevents_match(api->store, e->meeting, api->console_default, &error);
  if (!matches) {
    respond_error(req, error);
    return;
  }
  json_t *list = json_array();
  for (guint i = 0; i < matches->len; i++) {
    MgChatMatch *m = matches->pdata[i];
    json_t *reasons = json_array();
    for (guint j = 0; j < m->reasons->len; j++)
      json_array_append_new(reasons, json_string(m->reasons->pdata[j]));
    json_array_append_new(list,
                          json_pack("{s:s, s:s, s:s, s:o}", "key", m->chat->key, "name", m->chat->name, "connector",
                                    mg_chats_connector_name(m->chat->connector), "reasons", reasons));
  }
  mg_http_request_respond_json(req, 200, json_pack("{s:s, s:o}", "meeting", e->id, "chats", list));
}

static const MgHttpRoute routes[] = {
  { "POST", "/api/v1/chats", MG_HTTP_EXACT, on_post },       { "GET", "/api/v1/chats", MG_HTTP_EXACT, on_list },
  { "GET", "/api/v1/chats/", MG_HTTP_PREFIX, on_get },       { "PUT", "/api/v1/chats/", MG_HTTP_PREFIX, on_put },
  { "DELETE", "/api/v1/chats/", MG_HTTP_PREFIX, on_delete },
};

MgChatsApi *
mg_chats_api_new(MgHttpServer *server, MgStore *store, MgAdmin *admin, MgMeetingsApi *meetings_api,
                 gboolean console_default)
{
  MgChatsApi *api = g_new0(MgChatsApi, 1);
  api->store = store;
  api->admin = admin;
  api->meetings_api = meetings_api;
  api->console_default = console_default;
  g_autoptr(GPtrArray) chats = mg_chats_list(store, NULL);
  for (guint i = 0; chats && i < chats->len; i++)
    mg_chats_api_add_secrets(chats->pdata[i]);
  if (server)
    mg_http_server_add_routes(server, routes, G_N_ELEMENTS(routes), api);
  if (meetings_api)
    mg_meetings_api_set_chats_handler(meetings_api, on_meeting_chats, api);
  return api;
}

void
mg_chats_api_free(MgChatsApi *api)
{
  if (!api)
    return;
  if (api->meetings_api)
    mg_meetings_api_set_chats_handler(api->meetings_api, NULL, NULL);
  g_free(api);
}

/* SPDX-License-Identifier: MIT
 * Chat bindings as JSON: the settings and rules columns, the API's input
 * and its masked answers (no secret, webhook tokens masked). */
#define G_LOG_DOMAIN "chats"
#include <jansson.h>
#include <string.h>

#include "signaling/chats-private.h"

static const char *const connector_names[] = {
  [MG_CHAT_CONNECTOR_CONSOLE] = "console",
  [MG_CHAT_CONNECTOR_SLACK] = "slack",
  [MG_CHAT_CONNECTOR_MATTERMOST] = "mattermost",
  [MG_CHAT_CONNECTOR_TEAMS] = "teams",
  [MG_CHAT_CONNECTOR_DINGTALK] = "dingtalk",
  [MG_CHAT_CONNECTOR_WECOM] = "wecom",
  [MG_CHAT_CONNECTOR_FEISHU] = "feishu",
  [MG_CHAT_CONNECTOR_GENERIC] = "generic",
  [MG_CHAT_CONNECTOR_XMPP] = "xmpp",
};

const char *
mg_chats_connector_name(MgChatConnectorKind kind)
{
  return (guint)kind < G_N_ELEMENTS(connector_names) ? connector_names[kind] : NULL;
}

static void
set_str(json_t *o, const char *name, const char *value)
{
  if (value)
    json_object_set_new(o, name, json_string(value));
}

static char *
get_str(json_t *o, const char *name)
{
  const char *v = json_string_value(json_object_get(o, name));
  return v ? g_strdup(v) : NULL;
}

char *
mg_chats_settings_to_json(const MgChat *c)
{
  json_t *o = json_object();
  set_str(o, "webhook_url", c->webhook_url);
  set_str(o, "secret", c->secret);
  set_str(o, "jid", c->xmpp_jid);
  set_str(o, "room", c->xmpp_room);
  set_str(o, "nick", c->xmpp_nick);
  set_str(o, "host", c->xmpp_host);
  if (c->xmpp_port)
    json_object_set_new(o, "port", json_integer(c->xmpp_port));
  char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(o);
  return text;
}

void
mg_chats_settings_from_json(const char *text, MgChat *c)
{
  json_t *o = text ? json_loads(text, 0, NULL) : NULL;
  if (!json_is_object(o)) {
    json_decref(o);
    return;
  }
  c->webhook_url = get_str(o, "webhook_url");
  c->secret = get_str(o, "secret");
  c->xmpp_jid = get_str(o, "jid");
  c->xmpp_room = get_str(o, "room");
  c->xmpp_nick = get_str(o, "nick");
  c->xmpp_host = get_str(o, "host");
  json_int_t port = json_integer_value(json_object_get(o, "port"));
  c->xmpp_port = port > 0 && port < 65536 ? (guint16)port : 0;
  json_decref(o);
}

static json_t *
strv_json(GStrv v)
{
  json_t *a = json_array();
  for (char **p = v; p && *p; p++)
    json_array_append_new(a, json_string(*p));
  return a;
}

static json_t *
rules_json(const MgChatRules *r)
{
  return json_pack("{s:o, s:o, s:o}", "departments", strv_json(r->departments), "people", strv_json(r->people),
                   "sources", strv_json(r->sources));
}

char *
mg_chats_rules_to_json(const MgChatRules *r)
{
  json_t *o = rules_json(r);
  char *text = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  return text;
}

/* An array of non-NULL strings to a GStrv; FALSE when a is not that. */
static gboolean
strv_from_json(json_t *a, GStrv *out)
{
  *out = NULL;
  if (!a || json_is_null(a))
    return TRUE;
  if (!json_is_array(a))
    return FALSE;
  GPtrArray *v = g_ptr_array_new();
  size_t i;
  json_t *item;
  json_array_foreach(a, i, item)
  {
    if (!json_is_string(item)) {
      g_ptr_array_free(v, TRUE);
      return FALSE;
    }
    g_ptr_array_add(v, g_strdup(json_string_value(item)));
  }
  if (v->len == 0) {
    g_ptr_array_free(v, TRUE);
    return TRUE;
  }
  g_ptr_array_add(v, NULL);
  *out = (GStrv)g_ptr_array_free(v, FALSE);
  return TRUE;
}

static gboolean
rules_from_object(json_t *o, MgChatRules *r, const char **bad)
{
  static const char *const names[] = { "departments", "people", "sources" };
  GStrv *lists[] = { &r->departments, &r->people, &r->sources };
  for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
    g_strfreev(*lists[i]);
    if (!strv_from_json(json_object_get(o, names[i]), lists[i])) {
      *bad = names[i];
      return FALSE;
    }
  }
  return TRUE;
}

void
mg_chats_rules_from_json(const char *text, MgChatRules *r)
{
  json_t *o = text ? json_loads(text, 0, NULL) : NULL;
  const char *bad = NULL;
  if (json_is_object(o))
    rules_from_object(o, r, &bad);
  json_decref(o);
}

/* Path segments kept as they are: short words ("robot", "send", "hooks");
 * anything with a digit, or longer, may be a token. */
static gboolean
plain_segment(const char *s, gsize len)
{
  if (len == 0 || len > 12)
    return len == 0;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isalpha(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
      return FALSE;
  return TRUE;
}

char *
mg_chats_mask_url(const char *url)
{
  if (!url)
    return NULL;
  g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_ENCODED, NULL);
  if (!uri || !g_uri_get_host(uri))
    return g_strdup("****");
  GString *s = g_string_new(NULL);
  g_string_append_printf(s, "%s://%s", g_uri_get_scheme(uri), g_uri_get_host(uri));
  if (g_uri_get_port(uri) > 0)
    g_string_append_printf(s, ":%d", g_uri_get_port(uri));
  const char *path = g_uri_get_path(uri);
  g_auto(GStrv) segments = g_strsplit(path && *path == '/' ? path + 1 : "", "/", -1);
  for (char **p = segments; *p && (p != segments || **p || p[1]); p++) {
    g_string_append_c(s, '/');
    g_string_append(s, plain_segment(*p, strlen(*p)) ? *p : "****");
  }
  const char *query = g_uri_get_query(uri);
  if (query) {
    g_auto(GStrv) params = g_strsplit(query, "&", -1);
    for (char **p = params; *p; p++) {
      char *eq = strchr(*p, '=');
      g_string_append_c(s, p == params ? '?' : '&');
      if (eq)
        g_string_append_printf(s, "%.*s=****", (int)(eq - *p), *p);
      else
        g_string_append(s, "****");
    }
  }
  return g_string_free(s, FALSE);
}

GStrv
mg_chats_url_secrets(const char *url)
{
  GPtrArray *out = g_ptr_array_new();
  g_autoptr(GUri) uri = url ? g_uri_parse(url, G_URI_FLAGS_ENCODED, NULL) : NULL;
  if (uri) {
    if (g_uri_get_userinfo(uri))
      g_ptr_array_add(out, g_strdup(g_uri_get_userinfo(uri)));
    g_auto(GStrv) segments = g_strsplit(g_uri_get_path(uri), "/", -1);
    for (char **p = segments; *p; p++)
      if (!plain_segment(*p, strlen(*p)))
        g_ptr_array_add(out, g_strdup(*p));
    g_auto(GStrv) params = g_strsplit(g_uri_get_query(uri) ? g_uri_get_query(uri) : "", "&", -1);
    for (char **p = params; *p; p++) {
      char *eq = strchr(*p, '=');
      if (**p)
        g_ptr_array_add(out, g_strdup(eq ? eq + 1 : *p));
    }
  }
  g_ptr_array_add(out, NULL);
  return (GStrv)g_ptr_array_free(out, FALSE);
}

gpointer
mg_chat_to_json_masked(const MgChat *c)
{
  json_t *o = json_object();
  set_str(o, "key", c->key);
  set_str(o, "name", c->name);
  set_str(o, "connector", mg_chats_connector_name(c->connector));
  set_str(o, "owner", c->owner);
  g_autofree char *masked = mg_chats_mask_url(c->webhook_url);
  set_str(o, "webhook_url", masked);
  json_object_set_new(o, "secret_set", json_boolean(c->secret != NULL));
  if (c->connector == MG_CHAT_CONNECTOR_XMPP) {
    set_str(o, "jid", c->xmpp_jid);
    set_str(o, "room", c->xmpp_room);
    set_str(o, "nick", c->xmpp_nick);
    set_str(o, "host", c->xmpp_host);
    if (c->xmpp_port)
      json_object_set_new(o, "port", json_integer(c->xmpp_port));
  }
  json_object_set_new(o, "timezone", json_string(c->timezone ? c->timezone : "UTC"));
  json_object_set_new(o, "lang", json_string(c->lang ? c->lang : "en"));
  json_object_set_new(o, "rate", c->rate ? json_string(c->rate) : json_null());
  json_object_set_new(o, "rules", rules_json(&c->rules));
  json_object_set_new(o, "default", json_boolean(c->is_default));
  json_object_set_new(o, "created_at", json_integer(c->created_at));
  json_object_set_new(o, "updated_at", json_integer(c->updated_at));
  return o;
}

static gboolean
bad_field(GError **error, const char *field, const char *what)
{
  g_set_error(error, MG_CHATS_ERROR, MG_CHATS_ERROR_INVALID, "%s: %s", field, what);
  return FALSE;
}

/* Optional string members into *out; FALSE (error set) on another type. */
static gboolean
take_str(json_t *o, const char *name, char **out, GError **error)
{
  json_t *v = json_object_get(o, name);
  if (!v || json_is_null(v))
    return TRUE;
  if (!json_is_string(v))
    return bad_field(error, name, "must be a string");
  g_free(*out);
  *out = g_strdup(json_string_value(v));
  return TRUE;
}

static gboolean
fill_from_object(json_t *o, MgChat *c, GError **error)
{
  static const char *const known[] = { "key",  "name",    "connector", "webhook_url", "secret",     "jid",
                                       "room", "nick",    "host",      "port",        "timezone",   "lang",
                                       "rate", "default", "rules",     "secret_set",  "created_at", "updated_at" };
  const char *name;
  json_t *v;
  json_object_foreach(o, name, v)
  {
    gboolean ok = FALSE;
    for (guint i = 0; i < G_N_ELEMENTS(known) && !ok; i++)
      ok = !strcmp(name, known[i]);
    if (!ok)
      return bad_field(error, name, "unknown field");
  }
  g_autofree char *connector = NULL;
  if (!take_str(o, "key", &c->key, error) || !take_str(o, "name", &c->name, error) ||
      !take_str(o, "connector", &connector, error) || !take_str(o, "webhook_url", &c->webhook_url, error) ||
      !take_str(o, "secret", &c->secret, error) || !take_str(o, "jid", &c->xmpp_jid, error) ||
      !take_str(o, "room", &c->xmpp_room, error) || !take_str(o, "nick", &c->xmpp_nick, error) ||
      !take_str(o, "host", &c->xmpp_host, error) || !take_str(o, "timezone", &c->timezone, error) ||
      !take_str(o, "lang", &c->lang, error) || !take_str(o, "rate", &c->rate, error))
    return FALSE;
  if (!connector)
    return bad_field(error, "connector", "required");
  if (!mg_chatmsg_connector_kind_from_name(connector, &c->connector))
    return bad_field(error, "connector",
                     "one of console, slack, mattermost, teams, dingtalk, wecom, feishu, generic, xmpp");
  json_t *port = json_object_get(o, "port");
  if (port && !json_is_null(port)) {
    if (!json_is_integer(port) || json_integer_value(port) < 1 || json_integer_value(port) > 65535)
      return bad_field(error, "port", "an integer from 1 to 65535");
    c->xmpp_port = (guint16)json_integer_value(port);
  }
  json_t *def = json_object_get(o, "default");
  if (def && !json_is_boolean(def) && !json_is_null(def))
    return bad_field(error, "default", "must be true or false");
  c->is_default = json_is_true(def);
  json_t *rules = json_object_get(o, "rules");
  const char *bad = NULL;
  if (rules && !json_is_null(rules)) {
    if (!json_is_object(rules))
      return bad_field(error, "rules", "must be an object");
    if (!rules_from_object(rules, &c->rules, &bad)) {
      g_autofree char *field = g_strdup_printf("rules.%s", bad);
      return bad_field(error, field, "must be an array of strings");
    }
  }
  return TRUE;
}

MgChat *
mg_chat_from_json_text(const char *text, gsize len, const char *key_from_path, GError **error)
{
  json_error_t jerr;
  json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  if (!json_is_object(o)) {
    g_set_error(error, MG_CHATS_ERROR, MG_CHATS_ERROR_INVALID, "the body is not a JSON object%s%s", o ? "" : ": ",
                o ? "" : jerr.text);
    json_decref(o);
    return NULL;
  }
  g_autoptr(MgChat) c = g_new0(MgChat, 1);
  gboolean ok = fill_from_object(o, c, error);
  json_decref(o);
  if (!ok)
    return NULL;
  if (key_from_path) {
    if (c->key && strcmp(c->key, key_from_path)) {
      bad_field(error, "key", "differs from the key in the path");
      return NULL;
    }
    g_free(c->key);
    c->key = g_strdup(key_from_path);
  }
  if (!c->key) {
    bad_field(error, "key", "required");
    return NULL;
  }
  return g_steal_pointer(&c);
}

/* SPDX-License-Identifier: MIT
 * Chat bindings: the chats table (connector settings and rules as JSON),
 * validation per connector. JSON for the API and matching: chats-json.c,
 * chats-match.c. */
#define G_LOG_DOMAIN "chats"
#include "signaling/chats.h"

#include <jansson.h>
#include <sqlite3.h>
#include <string.h>

#include "signaling/chats-private.h"
#include "signaling/ratelimit.h"

G_DEFINE_QUARK(mg - chats - error - quark, mg_chats_error)

static void
rules_clear(MgChatRules *r)
{
  g_clear_pointer(&r->departments, g_strfreev);
  g_clear_pointer(&r->people, g_strfreev);
  g_clear_pointer(&r->sources, g_strfreev);
}

void
mg_chat_free(MgChat *chat)
{
  if (!chat)
    return;
  g_free(chat->key);
  g_free(chat->name);
  g_free(chat->webhook_url);
  g_free(chat->secret);
  g_free(chat->xmpp_jid);
  g_free(chat->xmpp_room);
  g_free(chat->xmpp_nick);
  g_free(chat->xmpp_host);
  g_free(chat->timezone);
  g_free(chat->lang);
  g_free(chat->rate);
  g_free(chat->owner);
  rules_clear(&chat->rules);
  g_free(chat);
}

MgChat *
mg_chat_copy(const MgChat *c)
{
  MgChat *d = g_new0(MgChat, 1);
  *d = *c;
  d->key = g_strdup(c->key);
  d->name = g_strdup(c->name);
  d->webhook_url = g_strdup(c->webhook_url);
  d->secret = g_strdup(c->secret);
  d->xmpp_jid = g_strdup(c->xmpp_jid);
  d->xmpp_room = g_strdup(c->xmpp_room);
  d->xmpp_nick = g_strdup(c->xmpp_nick);
  d->xmpp_host = g_strdup(c->xmpp_host);
  d->timezone = g_strdup(c->timezone);
  d->lang = g_strdup(c->lang);
  d->rate = g_strdup(c->rate);
  d->rules.departments = g_strdupv(c->rules.departments);
  d->rules.people = g_strdupv(c->rules.people);
  d->rules.sources = g_strdupv(c->rules.sources);
  return d;
}

MgChat *
mg_chats_builtin_console(void)
{
  MgChat *c = g_new0(MgChat, 1);
  c->key = g_strdup(MG_CHATS_CONSOLE_KEY);
  c->name = g_strdup("Console (built-in)");
  c->connector = MG_CHAT_CONNECTOR_CONSOLE;
  c->lang = g_strdup("en");
  c->is_default = TRUE;
  return c;
}

/* ---- validation ---- */

static gboolean invalid(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static gboolean
invalid(GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error_literal(error, MG_CHATS_ERROR, MG_CHATS_ERROR_INVALID, msg);
  return FALSE;
}

static gboolean
is_robot(MgChatConnectorKind k)
{
  return k != MG_CHAT_CONNECTOR_CONSOLE && k != MG_CHAT_CONNECTOR_XMPP;
}

static gboolean
signs(MgChatConnectorKind k)
{
  return k == MG_CHAT_CONNECTOR_DINGTALK || k == MG_CHAT_CONNECTOR_FEISHU || k == MG_CHAT_CONNECTOR_GENERIC;
}

static gboolean
valid_key(const char *key)
{
  if (!key || !*key || strlen(key) > 64)
    return FALSE;
  for (const char *p = key; *p; p++)
    if (!g_ascii_isalnum(*p) && !strchr("-_.", *p))
      return FALSE;
  return TRUE;
}

gboolean
mg_chats_webhook_url_ok(const char *url)
{
  if (!url)
    return FALSE;
  g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
  if (!uri)
    return FALSE;
  const char *scheme = g_uri_get_scheme(uri);
  const char *host = g_uri_get_host(uri);
  return (!g_ascii_strcasecmp(scheme, "https") || !g_ascii_strcasecmp(scheme, "http")) && host && *host;
}

static gboolean
valid_jid(const char *jid, gboolean need_local)
{
  if (!jid || !*jid || strchr(jid, ' ') || strchr(jid, '/'))
    return FALSE;
  const char *at = strchr(jid, '@');
  if (need_local && (!at || at == jid))
    return FALSE;
  const char *domain = at ? at + 1 : jid;
  return *domain && !strchr(domain, '@');
}

static gboolean
validate_connector(const MgChat *c, GError **error)
{
  if (is_robot(c->connector) && !mg_chats_webhook_url_ok(c->webhook_url))
    return invalid(error, "webhook_url: the %s connector needs an http or https URL",
                   mg_chats_connector_name(c->connector));
  if (!is_robot(c->connector) && c->webhook_url)
    return invalid(error, "webhook_url: the %s connector has no webhook", mg_chats_connector_name(c->connector));
  if (c->secret && !*c->secret)
    return invalid(error, "secret: empty");
  if (c->connector == MG_CHAT_CONNECTOR_XMPP) {
    if (!valid_jid(c->xmpp_jid, TRUE))
      return invalid(error, "jid: the xmpp connector needs the account's JID, user@example.org");
    if (!c->secret)
      return invalid(error, "secret: the xmpp connector needs the account's password");
    if (!valid_jid(c->xmpp_room, TRUE))
      return invalid(error, "room: the xmpp connector needs the MUC's JID, room@conference.example.org");
    if (!c->xmpp_nick || !*c->xmpp_nick || strlen(c->xmpp_nick) > 64)
      return invalid(error, "nick: the xmpp connector needs a nickname (at most 64 bytes)");
    if (c->xmpp_host && !*c->xmpp_host)
      return invalid(error, "host: empty");
    return TRUE;
  }
  if (c->xmpp_jid || c->xmpp_room || c->xmpp_nick || c->xmpp_host || c->xmpp_port)
    return invalid(error, "jid, room, nick, host, port: only for the xmpp connector");
  if (c->secret && !signs(c->connector))
    return invalid(error, "secret: the %s connector does not sign (its secret is the webhook URL)",
                   mg_chats_connector_name(c->connector));
  return TRUE;
}

static gboolean
validate_rules(const MgChatRules *r, GError **error)
{
  const char *names[] = { "rules.departments", "rules.people", "rules.sources" };
  GStrv lists[] = { r->departments, r->people, r->sources };
  for (guint i = 0; i < G_N_ELEMENTS(lists); i++)
    for (char **p = lists[i]; p && *p; p++)
      if (!**p)
        return invalid(error, "%s: an empty string", names[i]);
  return TRUE;
}

gboolean
mg_chats_validate(const MgChat *c, GError **error)
{
  if (!valid_key(c->key))
    return invalid(error, "key: 1 to 64 characters from A-Z a-z 0-9 - _ .");
  if (!c->name || !*c->name)
    return invalid(error, "name: required");
  if (!mg_chats_connector_name(c->connector))
    return invalid(error, "connector: unknown");
  if (!validate_connector(c, error))
    return FALSE;
  if (c->timezone) {
    g_autoptr(GTimeZone) tz = g_time_zone_new_identifier(c->timezone);
    if (!tz)
      return invalid(error, "timezone: '%s' is not a known IANA time zone", c->timezone);
  }
  if (c->lang && strcmp(c->lang, "en") && strcmp(c->lang, "zh"))
    return invalid(error, "lang: \"en\" or \"zh\"");
  if (c->rate) {
    g_autoptr(GError) why = NULL;
    g_autoptr(MgRatelimit) rl = mg_ratelimit_new(c->rate, 0, &why);
    if (!rl || !*c->rate)
      return invalid(error, "rate: like \"20/min\" or \"5/s,100/min\": %s", why ? why->message : "empty");
  }
  return validate_rules(&c->rules, error);
}

/* ---- store ---- */

static sqlite3_stmt *
prepare(sqlite3 *db, const char *sql, GError **error)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    g_set_error(error, MG_CHATS_ERROR, MG_CHATS_ERROR_STORE, "%s", sqlite3_errmsg(db));
  return st;
}

static char *
col_dup(sqlite3_stmt *st, int i)
{
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? g_strdup((const char *)t) : NULL;
}

#define CHAT_COLUMNS                                                                                                   \
  "key, name, connector, settings, rules, is_default, timezone, lang, rate, created_at, updated_at, owner"

/* The settings (webhook URL, secrets) are sealed in the store (mg_store_seal). */
static MgChat *
chat_from_row(MgStore *store, sqlite3_stmt *st)
{
  MgChat *c = g_new0(MgChat, 1);
  c->key = col_dup(st, 0);
  c->name = col_dup(st, 1);
  const char *connector = (const char *)sqlite3_column_text(st, 2);
  if (!mg_chatmsg_connector_kind_from_name(connector, &c->connector))
    g_warning("chat %s: unknown connector '%s' in the store; treated as console", c->key, connector);
  g_autoptr(GError) seal_error = NULL;
  g_autofree char *settings = mg_store_unseal(store, (const char *)sqlite3_column_text(st, 3), &seal_error);
  if (!settings)
    g_warning("chat %s: %s", c->key, seal_error->message); /* its messages then fail with a clear error */
  mg_chats_settings_from_json(settings ? settings : "{}", c);
  mg_chats_rules_from_json((const char *)sqlite3_column_text(st, 4), &c->rules);
  c->is_default = sqlite3_column_int(st, 5) != 0;
  c->timezone = col_dup(st, 6);
  c->lang = col_dup(st, 7);
  c->rate = col_dup(st, 8);
  c->created_at = sqlite3_column_int64(st, 9);
  c->updated_at = sqlite3_column_int64(st, 10);
  c->owner = col_dup(st, 11);
  return c;
}

MgChat *
mg_chats_get(MgStore *store, const char *key)
{
  sqlite3 *db = mg_store_get_db(store);
  sqlite3_stmt *st = prepare(db, "SELECT " CHAT_COLUMNS " FROM chats WHERE key = ?", NULL);
  if (!st)
    return NULL;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
  MgChat *c = sqlite3_step(st) == SQLITE_ROW ? chat_from_row(store, st) : NULL;
  sqlite3_finalize(st);
  return c;
}

GPtrArray *
mg_chats_list(MgStore *store, GError **error)
{
  sqlite3 *db = mg_store_get_db(store);
  sqlite3_stmt *st = prepare(db, "SELECT " CHAT_COLUMNS " FROM chats ORDER BY key", error);
  if (!st)
    return NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)mg_chat_free);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    g_ptr_array_add(out, chat_from_row(store, st));
  if (rc != SQLITE_DONE) {
    g_set_error(error, MG_CHATS_ERROR, MG_CHATS_ERROR_STORE, "%s", sqlite3_errmsg(db));
    g_clear_pointer(&out, g_ptr_array_unref);
  }
  sqlite3_finalize(st);
  return out;
}

gint64
mg_chats_count(MgStore *store)
{
  sqlite3_stmt *st = prepare(mg_store_get_db(store), "SELECT count(*) FROM chats", NULL);
  if (!st)
    return 0;
  gint64 n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  return n;
}

gboolean
mg_chats_put(MgStore *store, const MgChat *c, gint64 now_s, gboolean *created, GError **error)
{
  if (!mg_chats_validate(c, error))
    return FALSE;
  sqlite3 *db = mg_store_get_db(store);
  g_autoptr(MgChat) old = mg_chats_get(store, c->key);
  sqlite3_stmt *st = prepare(db,
                             "INSERT INTO chats (" CHAT_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                             "ON CONFLICT (key) DO UPDATE SET name = excluded.name, connector = excluded.connector, "
                             "settings = excluded.settings, rules = excluded.rules, is_default = excluded.is_default, "
                             "timezone = excluded.timezone, lang = excluded.lang, rate = excluded.rate, "
                             "updated_at = excluded.updated_at",
                             error);
  if (!st)
    return FALSE;
  g_autofree char *plain = mg_chats_settings_to_json(c);
  g_autofree char *settings = mg_store_seal(store, plain);
  g_autofree char *rules = mg_chats_rules_to_json(&c->rules);
  sqlite3_bind_text(st, 1, c->key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, c->name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, mg_chats_connector_name(c->connector), -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, settings, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 5, rules, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int(st, 6, c->is_default ? 1 : 0);
  if (c->timezone)
    sqlite3_bind_text(st, 7, c->timezone, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 8, c->lang ? c->lang : "en", -1, SQLITE_TRANSIENT);
  if (c->rate)
    sqlite3_bind_text(st, 9, c->rate, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 10, old ? old->created_at : now_s);
  sqlite3_bind_int64(st, 11, now_s);
  if (c->owner) /* the owner never changes on replace (not in the update list) */
    sqlite3_bind_text(st, 12, c->owner, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  explicit_bzero(plain, strlen(plain));
  if (rc != SQLITE_DONE) {
    g_set_error(error, MG_CHATS_ERROR, MG_CHATS_ERROR_STORE, "%s", sqlite3_errmsg(db));
    return FALSE;
  }
  if (created)
    *created = old == NULL;
  return TRUE;
}

gboolean
mg_chats_remove(MgStore *store, const char *key, GError **error)
{
  sqlite3 *db = mg_store_get_db(store);
  sqlite3_stmt *st = prepare(db, "DELETE FROM chats WHERE key = ?", error);
  if (!st)
    return FALSE;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    g_set_error(error, MG_CHATS_ERROR, MG_CHATS_ERROR_STORE, "%s", sqlite3_errmsg(db));
    return FALSE;
  }
  if (sqlite3_changes(db) == 0) {
    g_set_error(error, MG_CHATS_ERROR, MG_CHATS_ERROR_NOT_FOUND, "no chat %s", key);
    return FALSE;
  }
  return TRUE;
}

/* SPDX-License-Identifier: MIT
 * Configuration store and its three sources: file, environment, command line. */
#define G_LOG_DOMAIN "config"
#include "gateway/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  char *value; /* NULL = unset */
  MgConfigSource source;
} MgConfigValue;

struct MgConfig {
  GHashTable *values; /* "section.key" -> MgConfigValue* */
};

G_DEFINE_QUARK(mg - config - error - quark, mg_config_error)

static void
value_free(gpointer p)
{
  MgConfigValue *v = p;
  g_free(v->value);
  g_free(v);
}

static const MgConfigKey *
find_key(const char *section, const char *key)
{
  for (const MgConfigKey *k = mg_config_keys; k->section; k++)
    if (g_str_equal(k->section, section) && g_str_equal(k->key, key))
      return k;
  return NULL;
}

static gboolean
section_exists(const char *section)
{
  for (const MgConfigKey *k = mg_config_keys; k->section; k++)
    if (g_str_equal(k->section, section))
      return TRUE;
  return FALSE;
}

static char *
keys_of_section(const char *section)
{
  GString *s = g_string_new(NULL);
  for (const MgConfigKey *k = mg_config_keys; k->section; k++) {
    if (!g_str_equal(k->section, section))
      continue;
    if (s->len)
      g_string_append(s, ", ");
    g_string_append(s, k->key);
  }
  return g_string_free(s, FALSE);
}

/* Sections are grouped in mg_config_keys, so a change of name starts a new one. */
static char *
all_sections(void)
{
  GString *s = g_string_new(NULL);
  const char *last = NULL;
  for (const MgConfigKey *k = mg_config_keys; k->section; k++) {
    if (last && g_str_equal(last, k->section))
      continue;
    g_string_append_printf(s, "%s[%s]", s->len ? ", " : "", k->section);
    last = k->section;
  }
  return g_string_free(s, FALSE);
}

MgConfig *
mg_config_new(void)
{
  MgConfig *cfg = g_new0(MgConfig, 1);
  cfg->values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, value_free);
  for (const MgConfigKey *k = mg_config_keys; k->section; k++) {
    MgConfigValue *v = g_new0(MgConfigValue, 1);
    v->value = g_strdup(k->def);
    v->source = MG_CONFIG_SOURCE_DEFAULT;
    g_hash_table_insert(cfg->values, g_strconcat(k->section, ".", k->key, NULL), v);
  }
  return cfg;
}

void
mg_config_free(MgConfig *cfg)
{
  if (!cfg)
    return;
  g_hash_table_unref(cfg->values);
  g_free(cfg);
}

gboolean
mg_config_parse_address(const char *text, char **host, guint16 *port)
{
  const char *colon, *h_start, *h_end;
  if (!text || !*text)
    return FALSE;
  if (text[0] == '[') {
    h_start = text + 1;
    h_end = strchr(text, ']');
    if (!h_end || h_end[1] != ':')
      return FALSE;
    colon = h_end + 1;
  } else {
    colon = strrchr(text, ':');
    if (!colon || memchr(text, ':', colon - text))
      return FALSE;
    h_start = text;
    h_end = colon;
  }
  if (h_end == h_start)
    return FALSE;
  char *end = NULL;
  errno = 0;
  long p = strtol(colon + 1, &end, 10);
  if (errno || !end || *end || end == colon + 1 || p < 0 || p > 65535)
    return FALSE;
  if (host)
    *host = g_strndup(h_start, h_end - h_start);
  if (port)
    *port = (guint16)p;
  return TRUE;
}

/* Checks value against k; on failure sets error with what is allowed. */
static gboolean
validate(const MgConfigKey *k, const char *value, const char *origin, GError **error)
{
  const char *why = NULL;
  g_autofree char *allowed = NULL;

  switch (k->type) {
  case MG_CONFIG_STRING:
    return TRUE;
  case MG_CONFIG_INT: {
    char *end = NULL;
    errno = 0;
    gint64 n = g_ascii_strtoll(value, &end, 10);
    if (errno || !end || *end || end == value || n < k->min || n > k->max)
      allowed = g_strdup_printf("a whole number from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT, k->min, k->max);
    break;
  }
  case MG_CONFIG_BOOL:
    if (g_ascii_strcasecmp(value, "true") && g_ascii_strcasecmp(value, "false"))
      allowed = g_strdup("true or false");
    break;
  case MG_CONFIG_ENUM: {
    g_auto(GStrv) choices = g_strsplit(k->choices, "|", -1);
    if (!g_strv_contains((const char *const *)choices, value))
      allowed = g_strdup_printf("one of %s", k->choices);
    break;
  }
  case MG_CONFIG_ADDRESS:
    if (!mg_config_parse_address(value, NULL, NULL))
      allowed = g_strdup("host:port or [ipv6]:port, port 0 to 65535");
    break;
  }
  if (!allowed)
    return TRUE;
  why = k->secret ? "(value hidden)" : value;
  g_set_error(error, MG_CONFIG_ERROR, 1, "%s: [%s] %s: '%s' is not allowed; expected %s", origin, k->section, k->key,
              why, allowed);
  return FALSE;
}

static gboolean
unknown_key_error(const char *section, const char *key, const char *origin, GError **error)
{
  if (!section_exists(section)) {
    g_autofree char *sections = all_sections();
    g_set_error(error, MG_CONFIG_ERROR, 2, "%s: unknown section [%s]; sections are %s", origin, section, sections);
  } else {
    g_autofree char *keys = keys_of_section(section);
    g_set_error(error, MG_CONFIG_ERROR, 2, "%s: [%s] %s: unknown key; keys in [%s] are %s", origin, section, key,
                section, keys);
  }
  return FALSE;
}

gboolean
mg_config_set(MgConfig *cfg, const char *section, const char *key, const char *value, MgConfigSource source,
              const char *origin, GError **error)
{
  const MgConfigKey *k = find_key(section, key);
  if (!k)
    return unknown_key_error(section, key, origin, error);
  if (value && *value && !validate(k, value, origin, error))
    return FALSE;
  g_autofree char *name = g_strconcat(section, ".", key, NULL);
  MgConfigValue *v = g_hash_table_lookup(cfg->values, name);
  g_free(v->value);
  /* An empty value means "unset": the documented default applies. */
  v->value = (value && *value) ? g_strdup(value) : g_strdup(k->def);
  v->source = source;
  return TRUE;
}

gboolean
mg_config_load_file(MgConfig *cfg, const char *path, GError **error)
{
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) local = NULL;

  if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &local)) {
    g_set_error(error, MG_CONFIG_ERROR, 3, "%s: %s", path, local->message);
    return FALSE;
  }
  g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
  for (char **g = groups; *g; g++) {
    g_auto(GStrv) keys = g_key_file_get_keys(kf, *g, NULL, NULL);
    if (!section_exists(*g))
      return unknown_key_error(*g, keys && keys[0] ? keys[0] : "", path, error);
    for (char **k = keys; k && *k; k++) {
      g_autofree char *value = g_key_file_get_string(kf, *g, *k, &local);
      if (!value) {
        g_set_error(error, MG_CONFIG_ERROR, 3, "%s: [%s] %s: %s", path, *g, *k, local->message);
        return FALSE;
      }
      g_strstrip(value);
      if (!mg_config_set(cfg, *g, *k, value, MG_CONFIG_SOURCE_FILE, path, error))
        return FALSE;
    }
  }
  return TRUE;
}

gboolean
mg_config_load_env(MgConfig *cfg, char **envp, GError **error)
{
  g_auto(GStrv) own = NULL;
  if (!envp)
    envp = own = g_get_environ();
  for (const MgConfigKey *k = mg_config_keys; k->section; k++) {
    g_autofree char *name = g_ascii_strup(k->section, -1);
    g_autofree char *kname = g_ascii_strup(k->key, -1);
    g_autofree char *var = g_strconcat("MEETGATE_", name, "_", kname, NULL);
    const char *value = g_environ_getenv(envp, var);
    if (!value)
      continue;
    g_autofree char *origin = g_strdup_printf("environment %s", var);
    if (!mg_config_set(cfg, k->section, k->key, value, MG_CONFIG_SOURCE_ENV, origin, error))
      return FALSE;
  }
  return TRUE;
}

gboolean
mg_config_set_arg(MgConfig *cfg, const char *arg, GError **error)
{
  const char *eq = strchr(arg, '=');
  const char *dot = eq ? memchr(arg, '.', eq - arg) : NULL;
  if (!eq || !dot || dot == arg || dot + 1 == eq) {
    g_set_error(error, MG_CONFIG_ERROR, 4, "command line: '%s': expected section.key=value", arg);
    return FALSE;
  }
  g_autofree char *section = g_strndup(arg, dot - arg);
  g_autofree char *key = g_strndup(dot + 1, eq - dot - 1);
  return mg_config_set(cfg, section, key, eq + 1, MG_CONFIG_SOURCE_CLI, "command line", error);
}

static const MgConfigValue *
lookup(const MgConfig *cfg, const char *section, const char *key)
{
  char name[128];
  g_snprintf(name, sizeof name, "%s.%s", section, key);
  const MgConfigValue *v = g_hash_table_lookup(cfg->values, name);
  if (!v)
    g_error("configuration key %s is not declared in config-keys.c", name);
  return v;
}

const char *
mg_config_get_string(const MgConfig *cfg, const char *section, const char *key)
{
  return lookup(cfg, section, key)->value;
}

gint64
mg_config_get_int(const MgConfig *cfg, const char *section, const char *key)
{
  const char *v = lookup(cfg, section, key)->value;
  return v ? g_ascii_strtoll(v, NULL, 10) : 0;
}

gboolean
mg_config_get_bool(const MgConfig *cfg, const char *section, const char *key)
{
  const char *v = lookup(cfg, section, key)->value;
  return v && !g_ascii_strcasecmp(v, "true");
}

MgConfigSource
mg_config_get_source(const MgConfig *cfg, const char *section, const char *key)
{
  return lookup(cfg, section, key)->source;
}

gboolean
mg_config_get_address(const MgConfig *cfg, const char *section, const char *key, char **host, guint16 *port)
{
  return mg_config_parse_address(lookup(cfg, section, key)->value, host, port);
}

static const char *
source_name(MgConfigSource s)
{
  static const char *const names[] = { "default", "file", "environment", "command line", "generated" };
  return names[s];
}

char *
mg_config_to_string(const MgConfig *cfg)
{
  GString *out = g_string_new(NULL);
  const char *section = NULL;
  for (const MgConfigKey *k = mg_config_keys; k->section; k++) {
    const MgConfigValue *v = lookup(cfg, k->section, k->key);
    if (!section || !g_str_equal(section, k->section)) {
      g_string_append_printf(out, "%s[%s]\n", section ? "\n" : "", k->section);
      section = k->section;
    }
    const char *shown = v->value ? (k->secret ? "********" : v->value) : "";
    g_string_append_printf(out, "%s = %s", k->key, shown);
    g_string_append_printf(out, "%*s# %s\n", (int)MAX(1, 28 - (int)strlen(k->key) - (int)strlen(shown)), "",
                           source_name(v->source));
  }
  return g_string_free(out, FALSE);
}

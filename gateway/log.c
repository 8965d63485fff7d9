/* SPDX-License-Identifier: MIT
 * The GLib log writer: level filter per domain, text or JSON lines, secret masking. */
#include "gateway/log.h"

#include <gio/gio.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

typedef struct {
  GMutex lock;
  MgLogFormat format;
  int level;           /* 0 error .. 3 debug */
  GHashTable *modules; /* domain -> GINT_TO_POINTER(level + 1) */
  GPtrArray *secrets;
  FILE *out;
} MgLog;

static MgLog log_state = { .level = 2 };

static const char *const level_names[] = { "error", "warning", "info", "debug" };

static int
level_from_name(const char *name)
{
  for (int i = 0; i < 4; i++)
    if (!g_ascii_strcasecmp(name, level_names[i]))
      return i;
  return -1;
}

static int
level_of(GLogLevelFlags flags)
{
  if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    return 0;
  if (flags & G_LOG_LEVEL_WARNING)
    return 1;
  if (flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
    return 2;
  return 3;
}

static char *
mask_secrets(const char *msg)
{
  char *out = g_strdup(msg);
  for (guint i = 0; log_state.secrets && i < log_state.secrets->len; i++) {
    const char *secret = g_ptr_array_index(log_state.secrets, i);
    if (!strstr(out, secret))
      continue;
    g_auto(GStrv) parts = g_strsplit(out, secret, -1);
    g_free(out);
    out = g_strjoinv("***", parts);
  }
  return out;
}

static void
write_line(const char *domain, int level, const char *msg)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *ts = g_date_time_format_iso8601(now);
  FILE *out = log_state.out ? log_state.out : stderr;

  if (log_state.format == MG_LOG_JSON) {
    json_t *obj =
        json_pack("{s:s, s:s, s:s, s:s}", "ts", ts, "level", level_names[level], "module", domain, "msg", msg);
    char *line = obj ? json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    if (line)
      fprintf(out, "%s\n", line);
    free(line);
    json_decref(obj);
  } else {
    fprintf(out, "%s %-7s %-9s %s\n", ts, level_names[level], domain, msg);
  }
  fflush(out);
}

static GLogWriterOutput
writer(GLogLevelFlags flags, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  const char *domain = "meetgate", *message = NULL;
  for (gsize i = 0; i < n_fields; i++) {
    if (!strcmp(fields[i].key, "GLIB_DOMAIN") && fields[i].value)
      domain = fields[i].value;
    else if (!strcmp(fields[i].key, "MESSAGE") && fields[i].value)
      message = fields[i].value;
  }
  if (!message)
    return G_LOG_WRITER_HANDLED;

  int level = level_of(flags);
  g_mutex_lock(&log_state.lock);
  int limit = log_state.level;
  gpointer per = log_state.modules ? g_hash_table_lookup(log_state.modules, domain) : NULL;
  if (per)
    limit = GPOINTER_TO_INT(per) - 1;
  if (level <= limit) {
    g_autofree char *masked = mask_secrets(message);
    write_line(domain, level, masked);
  }
  g_mutex_unlock(&log_state.lock);
  return G_LOG_WRITER_HANDLED;
}

MgLogFormat
mg_log_format_for(const char *config_value, int fd)
{
  if (config_value && !strcmp(config_value, "json"))
    return MG_LOG_JSON;
  if (config_value && !strcmp(config_value, "text"))
    return MG_LOG_TEXT;
  return isatty(fd) ? MG_LOG_TEXT : MG_LOG_JSON;
}

gboolean
mg_log_setup(MgLogFormat format, const char *level, const char *modules, FILE *out, GError **error)
{
  int lvl = level ? level_from_name(level) : 2;
  if (lvl < 0) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "log level '%s': expected error|warning|info|debug",
                level);
    return FALSE;
  }
  g_autoptr(GHashTable) per = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) items = g_strsplit(modules ? modules : "", ",", -1);
  for (char **it = items; *it; it++) {
    g_strstrip(*it);
    if (!**it)
      continue;
    char *eq = strchr(*it, '=');
    int l = eq ? level_from_name(eq + 1) : -1;
    if (!eq || eq == *it || l < 0) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                  "log modules '%s': expected name=level with level error|warning|info|debug", *it);
      return FALSE;
    }
    g_hash_table_insert(per, g_strndup(*it, eq - *it), GINT_TO_POINTER(l + 1));
  }

  g_mutex_lock(&log_state.lock);
  log_state.format = format;
  log_state.level = lvl;
  log_state.out = out;
  if (log_state.modules)
    g_hash_table_unref(log_state.modules);
  log_state.modules = g_steal_pointer(&per);
  g_mutex_unlock(&log_state.lock);

  /* GLib allows one writer per process; later calls only change the settings. */
  static gsize installed;
  if (g_once_init_enter(&installed)) {
    g_log_set_writer_func(writer, NULL, NULL);
    g_once_init_leave(&installed, 1);
  }
  return TRUE;
}

void
mg_log_add_secret(const char *secret)
{
  if (!secret || strlen(secret) < 6)
    return;
  g_mutex_lock(&log_state.lock);
  if (!log_state.secrets)
    log_state.secrets = g_ptr_array_new_with_free_func(g_free);
  gboolean known = FALSE;
  for (guint i = 0; i < log_state.secrets->len; i++)
    known |= !strcmp(g_ptr_array_index(log_state.secrets, i), secret);
  if (!known)
    g_ptr_array_add(log_state.secrets, g_strdup(secret));
  g_mutex_unlock(&log_state.lock);
}

void
mg_log_reset(void)
{
  g_mutex_lock(&log_state.lock);
  g_clear_pointer(&log_state.secrets, g_ptr_array_unref);
  g_clear_pointer(&log_state.modules, g_hash_table_unref);
  log_state.level = 2;
  log_state.out = NULL;
  g_mutex_unlock(&log_state.lock);
}

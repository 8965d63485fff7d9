/* SPDX-License-Identifier: MIT
 * The streams API's input checks: the start request's body, RTMP URLs and
 * the file names served under /live/; a stream's error made safe to show. */
#include <jansson.h>
#include <string.h>

#include "gateway/streams-api.h"

#define MAX_URL 2048

gboolean
mg_streams_valid_rtmp_url(const char *url)
{
  gsize len = url ? strlen(url) : 0;
  if (!len || len > MAX_URL || !g_utf8_validate(url, len, NULL))
    return FALSE;
  const char *rest = g_str_has_prefix(url, "rtmp://") ? url + 7 : g_str_has_prefix(url, "rtmps://") ? url + 8 : NULL;
  if (!rest || !*rest || *rest == '/')
    return FALSE;
  for (const char *p = url; *p; p++)
    if ((guchar)*p <= ' ' || *p == 0x7f)
      return FALSE;
  return TRUE;
}

char *
mg_streams_mask_url(const char *url)
{
  const char *scheme = strstr(url, "://");
  const char *path = scheme ? strchr(scheme + 3, '/') : NULL;
  if (!path)
    return g_strdup(url);
  if (!path[1])
    return g_strdup(url);
  const char *last = strrchr(path, '/');
  return g_strdup_printf("%.*s/***", (int)(last - url), url);
}

gboolean
mg_streams_valid_file(const char *name)
{
  if (!name || !*name || name[0] == '.' || strlen(name) > 128)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return g_str_has_suffix(name, ".m3u8") || g_str_has_suffix(name, ".ts");
}

gboolean
mg_streams_parse_request(const char *text, gsize len, char **kind, char **url, GError **error)
{
  *kind = *url = NULL;
  json_error_t jerr;
  json_t *body = len ? json_loadb(text, len, 0, &jerr) : json_object();
  gboolean ok = FALSE;
  const char *k = NULL;
  json_t *u = NULL;
  if (!json_is_object(body)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the body is not a JSON object");
    goto out;
  }
  k = json_string_value(json_object_get(body, "kind"));
  u = json_object_get(body, "url");
  if (!k || (strcmp(k, "rtmp") && strcmp(k, "hls"))) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "kind must be \"rtmp\" or \"hls\"");
    goto out;
  }
  if (u && !json_is_null(u) && !json_is_string(u)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "url must be a string");
    goto out;
  }
  if (!strcmp(k, "hls") && json_is_string(u)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "an HLS stream takes no url");
    goto out;
  }
  if (json_is_string(u) && !mg_streams_valid_rtmp_url(json_string_value(u))) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                "url must be an rtmp:// or rtmps:// URL with a host, without spaces, at most %d bytes", MAX_URL);
    goto out;
  }
  *kind = g_strdup(k);
  *url = json_is_string(u) ? g_strdup(json_string_value(u)) : NULL;
  ok = TRUE;
out:
  json_decref(body);
  return ok;
}

char *
mg_streams_public_error(const char *error, guint max)
{
  GString *out = g_string_new(NULL);
  const char *p = error ? error : "";
  const char *scheme;
  while ((scheme = strstr(p, "://"))) {
    const char *start = scheme;
    while (start > p && g_ascii_isalpha(start[-1]))
      start--;
    const char *end = scheme + 3;
    while (*end && !g_ascii_isspace(*end) && *end != '"' && *end != '\'' && *end != ')' && *end != '>')
      end++;
    g_string_append_len(out, p, start - p);
    g_autofree char *url = g_strndup(start, end - start);
    g_autofree char *masked = mg_streams_mask_url(url);
    g_string_append(out, masked);
    p = end;
  }
  g_string_append(out, p);
  g_autofree char *text = g_string_free(out, FALSE);
  g_autofree char *valid = g_utf8_make_valid(text, -1);
  g_strstrip(valid);
  if (max && g_utf8_strlen(valid, -1) > max) {
    g_autofree char *head = g_utf8_substring(valid, 0, max - 1);
    return g_strconcat(head, "…", NULL);
  }
  return g_steal_pointer(&valid);
}

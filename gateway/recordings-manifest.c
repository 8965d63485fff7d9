/* SPDX-License-Identifier: MIT
 * recording.json, read back: a recording's manifest checked field by field
 * (ids become paths and URLs again). */
#include "gateway/recordings-api.h"

#include <string.h>

gboolean
mg_recordings_valid_id(const char *id)
{
  if (!id || !*id || strlen(id) > 128)
    return FALSE;
  for (const char *p = id; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static gboolean
read_time(json_t *j, const char *key, gint64 *out, GError **error)
{
  json_t *v = json_object_get(j, key);
  *out = 0;
  if (!v || json_is_null(v))
    return TRUE;
  g_autoptr(GDateTime) t = json_is_string(v) ? g_date_time_new_from_iso8601(json_string_value(v), NULL) : NULL;
  if (!t) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "%s is not an ISO 8601 time", key);
    return FALSE;
  }
  *out = g_date_time_to_unix(t);
  return TRUE;
}

gboolean
mg_recordings_manifest_parse(const char *text, gsize len, MgRecordingManifest *m, GError **error)
{
  static const char *const states[] = { "recording", "stopping", "stopped", "failed", NULL };
  memset(m, 0, sizeof *m);
  json_error_t jerr;
  json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  gboolean ok = FALSE;
  if (!json_is_object(j)) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "not a JSON object (%s)", j ? "other value" : jerr.text);
    goto out;
  }
  const char *id = json_string_value(json_object_get(j, "id"));
  const char *room = json_string_value(json_object_get(j, "room"));
  const char *state = json_string_value(json_object_get(j, "state"));
  json_t *err = json_object_get(j, "error");
  if (!mg_recordings_valid_id(id) || !mg_recordings_valid_id(room)) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "id and room must be 1-128 of [A-Za-z0-9_-]");
    goto out;
  }
  if (!state || !g_strv_contains(states, state)) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "state must be recording, stopping, stopped or failed");
    goto out;
  }
  if (err && !json_is_null(err) && !json_is_string(err)) {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_INVAL, "error must be a string or null");
    goto out;
  }
  if (!read_time(j, "started", &m->started_s, error) || !read_time(j, "stopped", &m->stopped_s, error))
    goto out;
  m->id = g_strdup(id);
  m->room = g_strdup(room);
  m->state = g_strdup(state);
  m->error = g_strdup(json_string_value(err));
  ok = TRUE;
out:
  json_decref(j);
  return ok;
}

void
mg_recordings_manifest_clear(MgRecordingManifest *m)
{
  g_clear_pointer(&m->id, g_free);
  g_clear_pointer(&m->room, g_free);
  g_clear_pointer(&m->state, g_free);
  g_clear_pointer(&m->error, g_free);
}

/* SPDX-License-Identifier: MIT
 * The sample schedule: relative times ("day" and "time") to meetings. */
#define G_LOG_DOMAIN "meetings"
#include "gateway/sample-meetings.h"

#include <stdio.h>
#include <string.h>

#define RESOURCE "/meetgate/conf/sample-meetings.json"

/* "HH:MM" on day (0 today) in local time, or "+N" minutes after now rounded
 * up to 5 minutes. (transfer full) */
static GDateTime *
sample_start(GDateTime *now, json_int_t day, const char *time)
{
  int h, m;
  if (time && time[0] == '+') {
    gint64 t = g_date_time_to_unix(now) + g_ascii_strtoll(time + 1, NULL, 10) * 60;
    t = (t + 299) / 300 * 300;
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(t);
    return g_date_time_to_timezone(utc, g_date_time_get_timezone(now));
  }
  if (!time || sscanf(time, "%d:%d", &h, &m) != 2)
    return NULL;
  g_autoptr(GDateTime) d = g_date_time_add_days(now, (gint)day);
  return g_date_time_new(g_date_time_get_timezone(now), g_date_time_get_year(d), g_date_time_get_month(d),
                         g_date_time_get_day_of_month(d), h, m, 0);
}

static gboolean
load_one(MgStore *store, GDateTime *now, json_t *entry, GError **error)
{
  g_autoptr(GDateTime) start = sample_start(now, json_integer_value(json_object_get(entry, "day")),
                                            json_string_value(json_object_get(entry, "time")));
  if (!start) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "sample meeting: bad time");
    return FALSE;
  }
  g_autoptr(GDateTime) end =
      g_date_time_add_minutes(start, json_integer_value(json_object_get(entry, "duration_minutes")));
  json_t *body = json_deep_copy(entry);
  json_object_del(body, "day");
  json_object_del(body, "time");
  json_object_del(body, "duration_minutes");
  g_autofree char *start_text = g_date_time_format_iso8601(start), *end_text = g_date_time_format_iso8601(end);
  json_object_set_new(body, "start", json_string(start_text));
  json_object_set_new(body, "end", json_string(end_text));
  g_autofree char *field = NULL;
  g_autoptr(MgMeeting) m = mg_meetings_api_parse(body, MG_SAMPLE_SOURCE, &field, error);
  json_decref(body);
  MgMeetingsResult r;
  gboolean ok = m && mg_meetings_upsert(store, m, g_date_time_to_unix(now), &r, error);
  if (ok)
    mg_meetings_result_clear(&r);
  return ok;
}

guint
mg_sample_meetings_load(MgStore *store, GDateTime *now, GError **error)
{
  g_autoptr(GBytes) data = g_resources_lookup_data(RESOURCE, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (!data)
    return 0;
  json_error_t jerr;
  json_t *root = json_loadb(g_bytes_get_data(data, NULL), g_bytes_get_size(data), 0, &jerr);
  if (!root) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: %s", RESOURCE, jerr.text);
    return 0;
  }
  json_t *entry;
  size_t i;
  guint n = 0;
  json_array_foreach(json_object_get(root, "meetings"), i, entry)
  {
    if (!load_one(store, now, entry, error))
      break;
    n++;
  }
  json_decref(root);
  return n;
}

void
mg_sample_meetings_announce(MgMeetingsApi *api, MgStore *store, gint64 now_s)
{
  g_autoptr(GArray) occ = mg_meetings_list(store, MG_SAMPLE_SOURCE, now_s - 3600, now_s + 2 * 24 * 3600, NULL);
  gboolean first = TRUE;
  for (guint i = 0; occ && i < occ->len; i++) {
    const MgMeetingsOccurrence *o = &g_array_index(occ, MgMeetingsOccurrence, i);
    if (o->end < now_s)
      continue;
    json_t *j = mg_meetings_api_meeting_json(api, o->entry, now_s);
    const char *link = json_string_value(json_object_get(json_object_get(j, "links"), "organizer"));
    g_autoptr(GDateTime) at = g_date_time_new_from_unix_local(o->start);
    g_autofree char *when = g_date_time_format(at, "%a %H:%M");
    if (first)
      printf("Sample schedule (source \"sample\"; organizer links):\n");
    first = FALSE;
    printf("  %s  %s\n    %s\n", when, o->entry->meeting->title, link ? link : "");
    json_decref(j);
  }
  if (!first)
    printf("\n");
  fflush(stdout);
}

/* SPDX-License-Identifier: MIT
 * The meetings API's JSON body to an MgMeeting, every bad value reported
 * with the field that holds it; RFC 3339 times. */
#define G_LOG_DOMAIN "meetings"
#include <string.h>

#include "gateway/meetings-api.h"

#define MAX_TEXT 4096
#define MAX_ATTENDEES 1000
#define MAX_DATES 1000
#define MAX_DURATION_S (7 * 24 * 3600)

gboolean
mg_meetings_api_parse_time(const char *text, gint64 *out)
{
  gsize n = text ? strlen(text) : 0;
  if (n < 20 || n > 40 || (text[10] != 'T' && text[10] != 't'))
    return FALSE;
  g_autofree char *copy = g_strdup(text);
  /* A '+' in a query string may arrive decoded as a space. */
  if (copy[n - 6] == ' ')
    copy[n - 6] = '+';
  char last = copy[n - 1];
  gboolean offset = last == 'Z' || last == 'z' || ((copy[n - 6] == '+' || copy[n - 6] == '-') && copy[n - 3] == ':');
  if (!offset)
    return FALSE;
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(copy, NULL);
  if (!dt)
    return FALSE;
  *out = g_date_time_to_unix(dt);
  return TRUE;
}

char *
mg_meetings_api_format_time(gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
  return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("");
}

typedef struct {
  json_t *body;
  char *field;
  GError **error;
} Parser;

static gboolean G_GNUC_PRINTF(3, 4) fail(Parser *p, const char *field, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  p->field = g_strdup(field);
  g_set_error(p->error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s: %s", field, msg);
  return FALSE;
}

/* An optional string member (required: must be there and not empty). */
static gboolean
get_string(Parser *p, json_t *obj, const char *key, const char *field, gboolean required, char **out)
{
  json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) {
    if (required)
      return fail(p, field, "is required");
    return TRUE;
  }
  if (!json_is_string(v))
    return fail(p, field, "must be a string");
  if (required && !json_string_length(v))
    return fail(p, field, "must not be empty");
  if (json_string_length(v) > MAX_TEXT || strlen(json_string_value(v)) != json_string_length(v))
    return fail(p, field, "must be a string of at most %d bytes without NUL", MAX_TEXT);
  *out = g_strdup(json_string_value(v));
  return TRUE;
}

static gboolean
get_time(Parser *p, const char *key, gint64 *out)
{
  const char *text = json_string_value(json_object_get(p->body, key));
  if (!json_object_get(p->body, key))
    return fail(p, key, "is required");
  if (!mg_meetings_api_parse_time(text, out))
    return fail(p, key, "must be an RFC 3339 date-time with an offset, e.g. 2026-03-02T09:30:00+08:00");
  return TRUE;
}

static gboolean
get_times(Parser *p, const char *key, GArray *out)
{
  json_t *list = json_object_get(p->body, key), *v;
  size_t i;
  if (!list || json_is_null(list))
    return TRUE;
  if (!json_is_array(list) || json_array_size(list) > MAX_DATES)
    return fail(p, key, "must be a list of at most %d RFC 3339 date-times", MAX_DATES);
  json_array_foreach(list, i, v)
  {
    gint64 t;
    if (!mg_meetings_api_parse_time(json_string_value(v), &t)) {
      g_autofree char *field = g_strdup_printf("%s[%zu]", key, i);
      return fail(p, field, "must be an RFC 3339 date-time with an offset");
    }
    g_array_append_val(out, t);
  }
  return TRUE;
}

static gboolean
get_person(Parser *p, json_t *obj, const char *field, gboolean organizer, MgPerson *out)
{
  static const char *const keys[] = { "id", "name", "email", "department", "role" };
  if (!json_is_object(obj))
    return fail(p, field, "must be an object");
  char **slots[] = { &out->id, &out->name, &out->email, &out->department, &out->role };
  for (guint k = 0; k < G_N_ELEMENTS(keys); k++) {
    if ((organizer && k == 4) || (!organizer && k == 3))
      continue;
    g_autofree char *sub = g_strdup_printf("%s.%s", field, keys[k]);
    if (!get_string(p, obj, keys[k], sub, FALSE, slots[k]))
      return FALSE;
  }
  return TRUE;
}

static gboolean
get_people(Parser *p, MgMeeting *m)
{
  json_t *org = json_object_get(p->body, "organizer"), *list = json_object_get(p->body, "attendees"), *v;
  if (org && !json_is_null(org) && !get_person(p, org, "organizer", TRUE, &m->organizer))
    return FALSE;
  if (!list || json_is_null(list))
    return TRUE;
  if (!json_is_array(list) || json_array_size(list) > MAX_ATTENDEES)
    return fail(p, "attendees", "must be a list of at most %d objects", MAX_ATTENDEES);
  size_t i;
  json_array_foreach(list, i, v)
  {
    g_autofree char *field = g_strdup_printf("attendees[%zu]", i);
    MgPerson person = { 0 };
    gboolean ok = get_person(p, v, field, FALSE, &person);
    g_array_append_val(m->attendees, person); /* freed with m either way */
    if (!ok)
      return FALSE;
  }
  return TRUE;
}

static gboolean
get_options(Parser *p, MgMeeting *m)
{
  json_t *seq = json_object_get(p->body, "sequence");
  if (seq && !json_is_null(seq)) {
    if (!json_is_integer(seq) || json_integer_value(seq) < 0 || json_integer_value(seq) > G_MAXINT32)
      return fail(p, "sequence", "must be an integer from 0 to %d", G_MAXINT32);
    m->sequence = json_integer_value(seq);
  }
  json_t *record = json_object_get(p->body, "record");
  if (record && !json_is_null(record) && !json_is_boolean(record))
    return fail(p, "record", "must be true or false");
  m->record = json_is_true(record);
  if (!get_string(p, p->body, "policy", "policy", FALSE, &m->policy))
    return FALSE;
  if (!m->policy)
    m->policy = g_strdup("lobby");
  if (strcmp(m->policy, "open") && strcmp(m->policy, "lobby") && strcmp(m->policy, "invite-only"))
    return fail(p, "policy", "must be open, lobby or invite-only");
  if (!get_string(p, p->body, "timezone", "timezone", FALSE, &m->timezone))
    return FALSE;
  if (m->timezone) {
    GTimeZone *tz = g_time_zone_new_identifier(m->timezone);
    if (!tz)
      return fail(p, "timezone", "'%s' is not an IANA time zone name", m->timezone);
    g_time_zone_unref(tz);
  }
  if (!get_string(p, p->body, "recurrence", "recurrence", FALSE, &m->rrule))
    return FALSE;
  if (m->rrule && !g_ascii_strncasecmp(m->rrule, "RRULE:", 6))
    memmove(m->rrule, m->rrule + 6, strlen(m->rrule + 6) + 1);
  if (m->rrule && (!*m->rrule || strpbrk(m->rrule, "\r\n") || g_ascii_strncasecmp(m->rrule, "FREQ=", 5) != 0))
    return fail(p, "recurrence", "must be an RRULE value such as FREQ=WEEKLY;BYDAY=MO");
  return get_times(p, "exdates", m->exdates) && get_times(p, "rdates", m->rdates);
}

MgMeeting *
mg_meetings_api_parse(json_t *body, const char *source, char **field, GError **error)
{
  Parser p = { body, NULL, error };
  g_autoptr(MgMeeting) m = mg_meeting_new();
  m->source = g_strdup(source);
  gboolean ok = json_is_object(body) || fail(&p, "body", "must be a JSON object");
  ok = ok && get_string(&p, body, "external_id", "external_id", TRUE, &m->external_id) &&
       get_string(&p, body, "title", "title", TRUE, &m->title) &&
       get_string(&p, body, "description", "description", FALSE, &m->description) && get_time(&p, "start", &m->start) &&
       get_time(&p, "end", &m->end);
  if (ok && m->end <= m->start)
    ok = fail(&p, "end", "must be after start");
  if (ok && m->end - m->start > MAX_DURATION_S)
    ok = fail(&p, "end", "a meeting lasts at most 7 days");
  ok = ok && get_options(&p, m) && get_people(&p, m) && get_string(&p, body, "chat", "chat", FALSE, &m->chat);
  if (!ok) {
    *field = p.field;
    return NULL;
  }
  return g_steal_pointer(&m);
}

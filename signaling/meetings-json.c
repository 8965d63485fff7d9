/* SPDX-License-Identifier: MIT
 * A meeting's stored content: canonical JSON (sorted keys, compact) so that
 * the same meeting always gives the same text and "unchanged" is a string
 * comparison. */
#include <string.h>

#include "signaling/meetings-private.h"

static void
set_str(json_t *o, const char *key, const char *value)
{
  if (value)
    json_object_set_new(o, key, json_string(value));
}

static json_t *
person_json(const MgPerson *p)
{
  json_t *o = json_object();
  set_str(o, "id", p->id);
  set_str(o, "name", p->name);
  set_str(o, "email", p->email);
  set_str(o, "department", p->department);
  set_str(o, "role", p->role);
  set_str(o, "partstat", p->partstat);
  return o;
}

static json_t *
times_json(const GArray *times)
{
  json_t *a = json_array();
  for (guint i = 0; times && i < times->len; i++)
    json_array_append_new(a, json_integer(g_array_index(times, gint64, i)));
  return a;
}

json_t *
mg_meetings_content_json(const MgMeeting *m)
{
  json_t *o = json_object();
  set_str(o, "title", m->title);
  set_str(o, "description", m->description);
  json_object_set_new(o, "start", json_integer(m->start));
  json_object_set_new(o, "end", json_integer(m->end));
  set_str(o, "timezone", m->timezone);
  set_str(o, "rrule", m->rrule);
  json_object_set_new(o, "exdates", times_json(m->exdates));
  json_object_set_new(o, "rdates", times_json(m->rdates));
  json_object_set_new(o, "organizer", person_json(&m->organizer));
  json_t *att = json_array();
  for (guint i = 0; m->attendees && i < m->attendees->len; i++)
    json_array_append_new(att, person_json(&g_array_index(m->attendees, MgPerson, i)));
  json_object_set_new(o, "attendees", att);
  set_str(o, "chat", m->chat);
  set_str(o, "policy", m->policy ? m->policy : "lobby");
  json_object_set_new(o, "sequence", json_integer(m->sequence));
  json_object_set_new(o, "cancelled", json_boolean(m->cancelled));
  if (m->record) /* only when set: older meetings' content stays as it was */
    json_object_set_new(o, "record", json_true());
  return o;
}

char *
mg_meetings_content(const MgMeeting *m)
{
  json_t *o = mg_meetings_content_json(m);
  char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(o);
  return text;
}

static char *
dup_str(json_t *o, const char *key)
{
  return g_strdup(json_string_value(json_object_get(o, key)));
}

static void
person_read(json_t *o, MgPerson *p)
{
  p->id = dup_str(o, "id");
  p->name = dup_str(o, "name");
  p->email = dup_str(o, "email");
  p->department = dup_str(o, "department");
  p->role = dup_str(o, "role");
  p->partstat = dup_str(o, "partstat");
}

static void
times_read(json_t *a, GArray *out)
{
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v)
  {
    gint64 t = json_integer_value(v);
    g_array_append_val(out, t);
  }
}

MgMeeting *
mg_meetings_content_parse(const char *text)
{
  json_t *o = text ? json_loads(text, 0, NULL) : NULL;
  if (!json_is_object(o)) {
    json_decref(o);
    return NULL;
  }
  MgMeeting *m = mg_meeting_new();
  m->title = dup_str(o, "title");
  m->description = dup_str(o, "description");
  m->start = json_integer_value(json_object_get(o, "start"));
  m->end = json_integer_value(json_object_get(o, "end"));
  m->timezone = dup_str(o, "timezone");
  m->rrule = dup_str(o, "rrule");
  times_read(json_object_get(o, "exdates"), m->exdates);
  times_read(json_object_get(o, "rdates"), m->rdates);
  person_read(json_object_get(o, "organizer"), &m->organizer);
  size_t i;
  json_t *v;
  json_array_foreach(json_object_get(o, "attendees"), i, v)
  {
    MgPerson p = { 0 };
    person_read(v, &p);
    g_array_append_val(m->attendees, p);
  }
  m->chat = dup_str(o, "chat");
  m->policy = dup_str(o, "policy");
  m->sequence = json_integer_value(json_object_get(o, "sequence"));
  m->cancelled = json_is_true(json_object_get(o, "cancelled"));
  m->record = json_is_true(json_object_get(o, "record"));
  json_decref(o);
  return m;
}

MgMeeting *
mg_meetings_copy(const MgMeeting *m)
{
  g_autofree char *text = mg_meetings_content(m);
  MgMeeting *copy = mg_meetings_content_parse(text);
  copy->source = g_strdup(m->source);
  copy->external_id = g_strdup(m->external_id);
  copy->recurrence_id = m->recurrence_id;
  return copy;
}

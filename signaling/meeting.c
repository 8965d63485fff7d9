/* SPDX-License-Identifier: MIT
 * TEMPORARY stand-in for the meeting model until the libical one lands:
 * allocation, and expansion of meetings without an RRULE (DTSTART plus
 * RDATEs minus EXDATEs). An RRULE is refused. */
#define G_LOG_DOMAIN "meeting"
#include "signaling/meeting.h"

void
mg_person_clear(MgPerson *p)
{
  g_clear_pointer(&p->id, g_free);
  g_clear_pointer(&p->name, g_free);
  g_clear_pointer(&p->email, g_free);
  g_clear_pointer(&p->department, g_free);
  g_clear_pointer(&p->role, g_free);
  g_clear_pointer(&p->partstat, g_free);
}

static void
person_clear(gpointer p)
{
  mg_person_clear(p);
}

MgMeeting *
mg_meeting_new(void)
{
  MgMeeting *m = g_new0(MgMeeting, 1);
  m->exdates = g_array_new(FALSE, FALSE, sizeof(gint64));
  m->rdates = g_array_new(FALSE, FALSE, sizeof(gint64));
  m->attendees = g_array_new(FALSE, TRUE, sizeof(MgPerson));
  g_array_set_clear_func(m->attendees, person_clear);
  return m;
}

void
mg_meeting_free(MgMeeting *m)
{
  if (!m)
    return;
  g_free(m->source);
  g_free(m->external_id);
  g_free(m->title);
  g_free(m->description);
  g_free(m->timezone);
  g_free(m->rrule);
  g_clear_pointer(&m->exdates, g_array_unref);
  g_clear_pointer(&m->rdates, g_array_unref);
  mg_person_clear(&m->organizer);
  g_clear_pointer(&m->attendees, g_array_unref);
  g_free(m->chat);
  g_free(m->policy);
  g_free(m);
}

static gboolean
excluded(const MgMeeting *m, gint64 start)
{
  for (guint i = 0; m->exdates && i < m->exdates->len; i++)
    if (g_array_index(m->exdates, gint64, i) == start)
      return TRUE;
  return FALSE;
}

static gint
cmp_occurrence(gconstpointer a, gconstpointer b)
{
  const MgOccurrence *x = a, *y = b;
  return x->start < y->start ? -1 : x->start > y->start;
}

GArray *
mg_meeting_expand(const MgMeeting *m, gint64 from, gint64 to, guint max, GError **error)
{
  if (m->rrule && *m->rrule) {
    g_set_error(error, g_quark_from_static_string("mg-meeting-error-quark"), 0,
                "recurrence not supported in this build");
    return NULL;
  }
  gboolean series = m->rdates && m->rdates->len;
  gint64 duration = m->end - m->start;
  GArray *out = g_array_new(FALSE, FALSE, sizeof(MgOccurrence));
  for (guint i = 0; i <= (m->rdates ? m->rdates->len : 0); i++) {
    gint64 start = i ? g_array_index(m->rdates, gint64, i - 1) : m->start;
    if (start < from || start >= to || excluded(m, start))
      continue;
    MgOccurrence o = { start, start + duration, series ? start : 0 };
    g_array_append_val(out, o);
  }
  g_array_sort(out, cmp_occurrence);
  if (out->len > max)
    g_array_set_size(out, max);
  return out;
}

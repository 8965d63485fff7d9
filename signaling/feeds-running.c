/* SPDX-License-Identifier: MIT
 * A calendar change that removes the occurrence running now (an EXDATE added
 * to its series) cancels that occurrence, so that its room closes like a
 * cancel through the meetings API (docs/calendars.md). */
#define G_LOG_DOMAIN "feeds"
#include "signaling/feeds-private.h"
#include "signaling/meetings.h"

static gboolean
has_time(const GArray *times, gint64 t)
{
  for (guint i = 0; times && i < times->len; i++)
    if (g_array_index(times, gint64, i) == t)
      return TRUE;
  return FALSE;
}

/* The old series' occurrence with the original start t, if it runs at now. */
static gboolean
runs_at(const MgMeeting *series, gint64 t, gint64 lead, gint64 now)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) occ = mg_meeting_expand(series, t, t + 1, 1, &error);
  if (!occ || !occ->len)
    return FALSE;
  const MgOccurrence *o = &g_array_index(occ, MgOccurrence, 0);
  return o->recurrence_id == t && o->start - lead <= now && now < o->end;
}

guint
mg_feeds_cancel_running_exdates(MgStore *store, const MgMeeting *m, gint64 now_s)
{
  if (m->recurrence_id || m->cancelled || !m->exdates || !m->exdates->len)
    return 0;
  g_autoptr(MgMeetingsEntry) old = mg_meetings_find(store, m->source, m->external_id, 0);
  if (!old || old->meeting->cancelled)
    return 0;
  gint64 lead = mg_meetings_get_lead(store);
  guint n = 0;
  for (guint i = 0; i < m->exdates->len; i++) {
    gint64 t = g_array_index(m->exdates, gint64, i);
    if (has_time(old->meeting->exdates, t) || !runs_at(old->meeting, t, lead, now_s))
      continue;
    g_autoptr(GError) error = NULL;
    if (mg_meetings_cancel(store, m->source, m->external_id, t, now_s, &error)) {
      g_info("meeting %s: the running occurrence (%" G_GINT64_FORMAT ") was removed by an EXDATE: cancelled",
             m->external_id, t);
      n++;
    } else
      g_warning("meeting %s: cannot cancel the occurrence an EXDATE removed: %s", m->external_id, error->message);
  }
  return n;
}

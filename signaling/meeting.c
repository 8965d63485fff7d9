/* SPDX-License-Identifier: MIT
 * The meeting model: allocation, and recurrence expansion with libical's
 * RRULE iterator in the meeting's IANA time zone (local time kept across DST). */
#define G_LOG_DOMAIN "meeting"
#include "signaling/meeting.h"

#include <libical/ical.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(mg - meeting - error - quark, mg_meeting_error)

/* Iterator steps spent before giving up on a rule that yields nothing in the
 * window (BYMONTHDAY=30;BYMONTH=2 and the like). */
#define MAX_STEPS 1000000
/* Expansion ends here whatever the window (2242-01-01). */
#define FAR_FUTURE G_GINT64_CONSTANT(8541964800)

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

MgMeeting *
mg_meeting_new(void)
{
  MgMeeting *m = g_new0(MgMeeting, 1);
  m->exdates = g_array_new(FALSE, FALSE, sizeof(gint64));
  m->rdates = g_array_new(FALSE, FALSE, sizeof(gint64));
  m->attendees = g_array_new(FALSE, TRUE, sizeof(MgPerson));
  g_array_set_clear_func(m->attendees, (GDestroyNotify)mg_person_clear);
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

static icaltimezone *
zone_for(const char *name, GError **error)
{
  if (!name || !*name || !g_ascii_strcasecmp(name, "UTC") || !strcmp(name, "Etc/UTC") || !strcmp(name, "GMT"))
    return icaltimezone_get_utc_timezone();
  /* libical opens /usr/share/zoneinfo/<name>: no way out of that directory. */
  icaltimezone *tz = name[0] != '/' && !strstr(name, "..") ? icaltimezone_get_builtin_timezone(name) : NULL;
  if (!tz)
    g_set_error(error, MG_MEETING_ERROR, MG_MEETING_ERROR_TIMEZONE, "unknown time zone '%s'", name);
  return tz;
}

static gboolean
parse_rrule(const char *text, struct icalrecurrencetype *rule, GError **error)
{
  if (!g_ascii_strncasecmp(text, "RRULE:", 6))
    text += 6;
  icalerror_clear_errno();
  *rule = icalrecurrencetype_from_string(text);
  if (rule->freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
    icalerror_clear_errno();
    g_set_error(error, MG_MEETING_ERROR, MG_MEETING_ERROR_RRULE, "bad RRULE '%s'", text);
    return FALSE;
  }
  if (rule->freq == ICAL_SECONDLY_RECURRENCE || rule->freq == ICAL_MINUTELY_RECURRENCE) {
    g_set_error(error, MG_MEETING_ERROR, MG_MEETING_ERROR_RRULE, "RRULE '%s' recurs too often for a meeting", text);
    return FALSE;
  }
  return TRUE;
}

static int
cmp_gint64(gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *)a, y = *(const gint64 *)b;
  return x < y ? -1 : x > y;
}

static GArray *
sorted_copy(const GArray *a)
{
  GArray *s = g_array_new(FALSE, FALSE, sizeof(gint64));
  if (a && a->len)
    g_array_append_vals(s, a->data, a->len);
  g_array_sort(s, cmp_gint64);
  return s;
}

static gboolean
contains(const GArray *sorted, gint64 v)
{
  return sorted->len && bsearch(&v, sorted->data, sorted->len, sizeof(gint64), cmp_gint64) != NULL;
}

/* Merges the rule's starts, DTSTART and the RDATEs (ascending, duplicates
 * dropped), skipping EXDATEs; stops at `to` or `max`. */
typedef struct {
  icalrecur_iterator *it;
  icaltimezone *tz;
  gint64 next_rule; /* G_MAXINT64 once the rule is exhausted */
  GArray *extra;    /* DTSTART + RDATEs, sorted */
  guint extra_i;
  guint steps;
} Merge;

static void
merge_advance_rule(Merge *mg)
{
  if (!mg->it || ++mg->steps > MAX_STEPS) {
    mg->next_rule = G_MAXINT64;
    return;
  }
  struct icaltimetype t = icalrecur_iterator_next(mg->it);
  mg->next_rule = icaltime_is_null_time(t) ? G_MAXINT64 : (gint64)icaltime_as_timet_with_zone(t, mg->tz);
}

static gint64
merge_next(Merge *mg)
{
  gint64 e = mg->extra_i < mg->extra->len ? g_array_index(mg->extra, gint64, mg->extra_i) : G_MAXINT64;
  gint64 v = MIN(e, mg->next_rule);
  if (v == G_MAXINT64)
    return v;
  while (mg->extra_i < mg->extra->len && g_array_index(mg->extra, gint64, mg->extra_i) == v)
    mg->extra_i++;
  while (mg->next_rule == v)
    merge_advance_rule(mg);
  return v;
}

/* libical 3.0's icaltime_from_timet_with_zone() converts to the zone but
 * leaves the UTC zone attached; the iterator then compares UNTIL wrongly. */
static struct icaltimetype
local_time(gint64 t, icaltimezone *tz)
{
  struct icaltimetype lt = icaltime_from_timet_with_zone((time_t)t, 0, tz);
  lt.zone = tz;
  return lt;
}

/* Starts the rule iterator at `from` when the rule allows it (no COUNT), so a
 * window years after DTSTART costs no walk from the beginning, and ends it at
 * `to`: libical otherwise searches until the year 2582 for a rule that never
 * matches (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30), seconds per event. */
static icalrecur_iterator *
rule_iterator(struct icalrecurrencetype rule, icaltimezone *tz, gint64 start, gint64 from, gint64 to)
{
  struct icaltimetype dtstart = local_time(start, tz);
  struct icaltimetype end = local_time(MIN(to, FAR_FUTURE), tz);
  if (icaltime_is_null_time(rule.until) || icaltime_compare(rule.until, end) > 0)
    rule.until = end;
  icalrecur_iterator *it = icalrecur_iterator_new(rule, dtstart);
  if (it && rule.count == 0 && from > start) {
    if (!icalrecur_iterator_set_start(it, local_time(from, tz))) {
      icalrecur_iterator_free(it);
      it = icalrecur_iterator_new(rule, dtstart);
    }
  }
  return it;
}

GArray *
mg_meeting_expand(const MgMeeting *m, gint64 from, gint64 to, guint max, GError **error)
{
  g_return_val_if_fail(m != NULL, NULL);
  GArray *out = g_array_new(FALSE, TRUE, sizeof(MgOccurrence));
  gboolean series = m->rrule || (m->rdates && m->rdates->len);
  if (!series) {
    if (m->start >= from && m->start < to && max > 0)
      g_array_append_val(out, ((MgOccurrence){ m->start, m->end, 0, NULL }));
    return out;
  }
  icaltimezone *tz = zone_for(m->timezone, error);
  struct icalrecurrencetype rule;
  if (!tz || (m->rrule && !parse_rrule(m->rrule, &rule, error))) {
    g_array_unref(out);
    return NULL;
  }
  g_autoptr(GArray) ex = sorted_copy(m->exdates);
  Merge mg = { .tz = tz, .extra = sorted_copy(m->rdates) };
  g_array_append_val(mg.extra, m->start);
  g_array_sort(mg.extra, cmp_gint64);
  mg.it = m->rrule ? rule_iterator(rule, tz, m->start, from, to) : NULL;
  if (m->rrule && !mg.it) {
    g_set_error(error, MG_MEETING_ERROR, MG_MEETING_ERROR_RRULE, "RRULE '%s' cannot be expanded", m->rrule);
    g_array_unref(mg.extra);
    g_array_unref(out);
    return NULL;
  }
  merge_advance_rule(&mg);
  gint64 duration = m->end - m->start;
  for (gint64 s = merge_next(&mg); s < to && out->len < max; s = merge_next(&mg)) {
    if (s >= from && !contains(ex, s))
      g_array_append_val(out, ((MgOccurrence){ s, s + duration, s, NULL }));
  }
  if (mg.it)
    icalrecur_iterator_free(mg.it);
  g_array_unref(mg.extra);
  return out;
}

static gboolean
same_series(const MgMeeting *a, const MgMeeting *b)
{
  return g_strcmp0(a->source, b->source) == 0 && g_strcmp0(a->external_id, b->external_id) == 0;
}

static int
cmp_occurrence(gconstpointer a, gconstpointer b)
{
  const MgOccurrence *x = a, *y = b;
  return x->start < y->start ? -1 : x->start > y->start;
}

static const MgMeeting *
find_override(const MgMeeting *series, GPtrArray *overrides, gint64 recurrence_id)
{
  for (guint j = 0; overrides && j < overrides->len; j++) {
    const MgMeeting *ov = g_ptr_array_index(overrides, j);
    if (ov->recurrence_id && ov->recurrence_id == recurrence_id && same_series(series, ov))
      return ov;
  }
  return NULL;
}

GArray *
mg_meeting_expand_series(const MgMeeting *series, GPtrArray *overrides, gint64 from, gint64 to, guint max,
                         GError **error)
{
  g_return_val_if_fail(series != NULL, NULL);
  GArray *out = mg_meeting_expand(series, from, to, G_MAXUINT, error);
  if (!out)
    return NULL;
  /* Drop every occurrence an override replaces, then add the overrides that
   * (now) start in the window: one may move an occurrence into it. */
  for (guint i = out->len; i-- > 0;) {
    if (find_override(series, overrides, g_array_index(out, MgOccurrence, i).recurrence_id))
      g_array_remove_index(out, i);
  }
  for (guint j = 0; overrides && j < overrides->len; j++) {
    const MgMeeting *ov = g_ptr_array_index(overrides, j);
    if (!ov->recurrence_id || ov->cancelled || !same_series(series, ov) || ov->start < from || ov->start >= to)
      continue;
    if (find_override(series, overrides, ov->recurrence_id) != ov)
      continue; /* a duplicate: the first one wins */
    g_array_append_val(out, ((MgOccurrence){ ov->start, ov->end, ov->recurrence_id, ov }));
  }
  g_array_sort(out, cmp_occurrence);
  if (out->len > max)
    g_array_set_size(out, max);
  return out;
}

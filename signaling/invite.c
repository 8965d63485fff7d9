/* SPDX-License-Identifier: MIT
 * Calendar invites built with libical, so that what we send parses back in
 * libical (and in the calendar clients that share its grammar). */
#define G_LOG_DOMAIN "invite"
#include "signaling/invite.h"

#include <libical/ical.h>
#include <stdlib.h>
#include <string.h>

static const struct {
  const char *role, *ical;
} roles[] = {
  { "required", "REQ-PARTICIPANT" },
  { "optional", "OPT-PARTICIPANT" },
  { "chair", "CHAIR" },
  { "non-participant", "NON-PARTICIPANT" },
};

/* A time property: UTC ("...Z"), or local with TZID when the meeting has a zone. */
static icalproperty *
time_prop(icalproperty *p, gint64 t, icaltimezone *zone, const char *tzid,
          void (*set)(icalproperty *, struct icaltimetype))
{
  struct icaltimetype v;
  if (zone) {
    v = icaltime_from_timet_with_zone((time_t)t, 0, zone);
    v.zone = NULL; /* written as a local time; the TZID parameter names the zone */
    icalproperty_add_parameter(p, icalparameter_new_tzid(tzid));
  } else {
    v = icaltime_from_timet_with_zone((time_t)t, 0, icaltimezone_get_utc_timezone());
  }
  set(p, v);
  return p;
}

static void
add_time(icalcomponent *ev, icalproperty_kind kind, gint64 t, icaltimezone *zone, const char *tzid)
{
  icalproperty *p = icalproperty_new(kind);
  void (*set)(icalproperty *, struct icaltimetype) = NULL;
  switch (kind) {
  case ICAL_DTSTART_PROPERTY:
    set = icalproperty_set_dtstart;
    break;
  case ICAL_DTEND_PROPERTY:
    set = icalproperty_set_dtend;
    break;
  case ICAL_EXDATE_PROPERTY:
    set = icalproperty_set_exdate;
    break;
  default:
    set = icalproperty_set_recurrenceid;
    break;
  }
  icalcomponent_add_property(ev, time_prop(p, t, zone, tzid, set));
}

static void
add_rdate(icalcomponent *ev, gint64 t, icaltimezone *zone, const char *tzid)
{
  struct icaldatetimeperiodtype dp = { 0 };
  dp.period = icalperiodtype_null_period();
  dp.time = icaltime_from_timet_with_zone((time_t)t, 0, zone ? zone : icaltimezone_get_utc_timezone());
  icalproperty *p = icalproperty_new_rdate(dp);
  if (zone) {
    dp.time.zone = NULL;
    icalproperty_set_rdate(p, dp);
    icalproperty_add_parameter(p, icalparameter_new_tzid(tzid));
  }
  icalcomponent_add_property(ev, p);
}

static icalproperty *
person_prop(icalproperty *p, const MgPerson *who)
{
  if (who->name && *who->name)
    icalproperty_add_parameter(p, icalparameter_new_cn(who->name));
  return p;
}

static void
add_people(icalcomponent *ev, const MgMeeting *m, const char *organizer_email, gboolean cancel)
{
  const char *org = organizer_email ? organizer_email : m->organizer.email;
  if (org && *org) {
    g_autofree char *addr = g_strconcat("mailto:", org, NULL);
    icalcomponent_add_property(ev, person_prop(icalproperty_new_organizer(addr), &m->organizer));
  }
  for (guint i = 0; m->attendees && i < m->attendees->len; i++) {
    const MgPerson *a = &g_array_index(m->attendees, MgPerson, i);
    if (!a->email || !*a->email)
      continue;
    g_autofree char *addr = g_strconcat("mailto:", a->email, NULL);
    icalproperty *p = person_prop(icalproperty_new_attendee(addr), a);
    const char *role = "REQ-PARTICIPANT";
    for (guint r = 0; a->role && r < G_N_ELEMENTS(roles); r++) {
      if (!g_ascii_strcasecmp(a->role, roles[r].role))
        role = roles[r].ical;
    }
    icalproperty_set_parameter_from_string(p, "ROLE", role);
    icalproperty_set_parameter_from_string(p, "PARTSTAT", a->partstat && !cancel ? a->partstat : "NEEDS-ACTION");
    if (!cancel)
      icalproperty_set_parameter_from_string(p, "RSVP", "TRUE");
    icalcomponent_add_property(ev, p);
  }
}

static void
add_link(icalcomponent *ev, const MgMeeting *m, const char *join_link)
{
  g_autofree char *desc = m->description && *m->description
                              ? g_strdup_printf("%s\n\nJoin the meeting: %s", m->description, join_link)
                              : g_strdup_printf("Join the meeting: %s", join_link);
  icalcomponent_add_property(ev, icalproperty_new_description(desc));
  icalcomponent_add_property(ev, icalproperty_new_location(join_link));
  icalcomponent_add_property(ev, icalproperty_new_url(join_link));
  icalproperty *conf = icalproperty_new_conference(join_link);
  icalproperty_add_parameter(conf, icalparameter_new_value(ICAL_VALUE_URI));
  icalproperty_set_parameter_from_string(conf, "FEATURE", "AUDIO,VIDEO");
  icalproperty_set_parameter_from_string(conf, "LABEL", "Join the meeting");
  icalcomponent_add_property(ev, conf);
}

static void
add_recurrence(icalcomponent *ev, const MgMeeting *m, icaltimezone *zone, const char *tzid)
{
  if (m->recurrence_id) {
    add_time(ev, ICAL_RECURRENCEID_PROPERTY, m->recurrence_id, zone, tzid);
    return;
  }
  if (m->rrule) {
    struct icalrecurrencetype rule = icalrecurrencetype_from_string(m->rrule);
    if (rule.freq != ICAL_NO_RECURRENCE)
      icalcomponent_add_property(ev, icalproperty_new_rrule(rule));
    icalerror_clear_errno();
  }
  for (guint i = 0; m->exdates && i < m->exdates->len; i++)
    add_time(ev, ICAL_EXDATE_PROPERTY, g_array_index(m->exdates, gint64, i), zone, tzid);
  for (guint i = 0; m->rdates && i < m->rdates->len; i++)
    add_rdate(ev, g_array_index(m->rdates, gint64, i), zone, tzid);
}

static icalcomponent *
event_new(const MgMeeting *m, const char *join_link, const char *organizer_email, gboolean cancel, gint64 now_s,
          icaltimezone *zone)
{
  const char *tzid = m->timezone;
  icalcomponent *ev = icalcomponent_new_vevent();
  icalcomponent_add_property(ev, icalproperty_new_uid(m->external_id));
  icalcomponent_add_property(
      ev, icalproperty_new_dtstamp(icaltime_from_timet_with_zone((time_t)now_s, 0, icaltimezone_get_utc_timezone())));
  icalcomponent_add_property(ev, icalproperty_new_sequence((int)(cancel ? m->sequence + 1 : m->sequence)));
  icalcomponent_add_property(ev, icalproperty_new_status(cancel ? ICAL_STATUS_CANCELLED : ICAL_STATUS_CONFIRMED));
  add_time(ev, ICAL_DTSTART_PROPERTY, m->start, zone, tzid);
  add_time(ev, ICAL_DTEND_PROPERTY, m->end > m->start ? m->end : m->start, zone, tzid);
  add_recurrence(ev, m, zone, tzid);
  icalcomponent_add_property(ev, icalproperty_new_summary(m->title && *m->title ? m->title : "Meeting"));
  if (join_link && *join_link)
    add_link(ev, m, join_link);
  add_people(ev, m, organizer_email, cancel);
  return ev;
}

/* The zone's VTIMEZONE, with the IANA name as TZID (libical prefixes it). */
static icalcomponent *
vtimezone_new(icaltimezone *zone, const char *tzid)
{
  icalcomponent *vtz = icalcomponent_new_clone(icaltimezone_get_component(zone));
  icalproperty *p = icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY);
  if (p)
    icalproperty_set_tzid(p, tzid);
  return vtz;
}

/* libical quotes a parameter value holding a comma; RFC 7986 writes
 * FEATURE as a list (FEATURE=AUDIO,VIDEO), which is what clients expect. */
static void
unquote_feature(char *ics)
{
  char *q = strstr(ics, "FEATURE=\"AUDIO,VIDEO\"");
  if (q) {
    memmove(q + 8, q + 9, strlen(q + 9) + 1);
    char *close = strchr(q + 8, '"');
    memmove(close, close + 1, strlen(close + 1) + 1);
  }
}

char *
mg_invite_ics(const MgMeeting *m, const char *join_link, const char *organizer_email, gboolean cancel, gint64 now_s)
{
  g_return_val_if_fail(m != NULL, NULL);
  if (!m->external_id || !*m->external_id)
    return NULL;
  icaltimezone *zone = NULL;
  gboolean utc = !m->timezone || !strcmp(m->timezone, "UTC") || !strcmp(m->timezone, "Etc/UTC");
  if (!utc && !(zone = icaltimezone_get_builtin_timezone(m->timezone)))
    return NULL;
  icalcomponent *cal = icalcomponent_new_vcalendar();
  icalcomponent_add_property(cal, icalproperty_new_prodid("-//meetgate//meetgate " MG_VERSION "//EN"));
  icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
  icalcomponent_add_property(cal, icalproperty_new_calscale("GREGORIAN"));
  icalcomponent_add_property(cal, icalproperty_new_method(cancel ? ICAL_METHOD_CANCEL : ICAL_METHOD_REQUEST));
  if (zone)
    icalcomponent_add_component(cal, vtimezone_new(zone, m->timezone));
  icalcomponent_add_component(cal, event_new(m, join_link, organizer_email, cancel, now_s, zone));
  char *raw = icalcomponent_as_ical_string_r(cal);
  icalcomponent_free(cal);
  char *ics = g_strdup(raw);
  free(raw);
  unquote_feature(ics);
  return ics;
}

/* SPDX-License-Identifier: MIT
 * iCalendar import: a line scan for structure and line numbers, libical for
 * the parse, then each VEVENT turned into an MgMeeting (docs/calendars.md). */
#define G_LOG_DOMAIN "ical"
#include "signaling/ical.h"

#include <libical/ical.h>
#include <string.h>

G_DEFINE_QUARK(mg - ical - error - quark, mg_ical_error)

#define MAX_TEXT (64 * 1024 * 1024)
#define MAX_DEPTH 8
#define MIN_YEAR 1900
#define MAX_YEAR 2200

/* A logical (unfolded) line: its first physical line and its name. */
typedef struct {
  guint line;
  const char *name;
  guint name_len;
} Line;

/* A VEVENT directly inside a VCALENDAR: its lines, and the first line that
 * is not a content line. */
typedef struct {
  guint first, last; /* indices into the lines array, BEGIN and END */
  guint bad_line;
  char *bad_text;
} Span;

typedef struct {
  GArray *lines; /* Line */
  GArray *spans; /* Span */
} Scan;

typedef struct {
  const char *source;
  icalcomponent *vcal;
  const char *method;
  const char *default_tz; /* X-WR-TIMEZONE, for floating times */
  const Scan *scan;
  const Span *span;
  MgIcalResult *out;
} Ctx;

typedef struct {
  icaltimezone *zone; /* converts this calendar's local times to UTC */
  const char *iana;   /* NULL for UTC */
} Zone;

void
mg_ical_result_clear(MgIcalResult *r)
{
  g_clear_pointer(&r->method, g_free);
  g_clear_pointer(&r->meetings, g_ptr_array_unref);
  g_clear_pointer(&r->errors, g_array_unref);
  memset(r, 0, sizeof *r);
}

static void
event_error_clear(MgIcalEventError *e)
{
  g_free(e->uid);
  g_free(e->reason);
}

static void
span_clear(Span *s)
{
  g_free(s->bad_text);
}

/* ---- the line scan ---- */

static gboolean
name_is(const Line *l, const char *name)
{
  return l->name_len == strlen(name) && !g_ascii_strncasecmp(l->name, name, l->name_len);
}

/* "BEGIN:VEVENT" -> "VEVENT" (the value up to the end of the physical line). */
static char *
line_value(const Line *l)
{
  const char *v = l->name + l->name_len + 1, *e = v + strcspn(v, "\r\n");
  return g_ascii_strup(v, e - v);
}

static char *
line_excerpt(const char *p)
{
  gsize n = MIN(strcspn(p, "\r\n"), 40);
  return g_utf8_make_valid(p, n);
}

static gboolean refuse(GError **error, int code, guint line, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static gboolean
refuse(GError **error, int code, guint line, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error(error, MG_ICAL_ERROR, code, "line %u: %s", line, msg);
  return FALSE;
}

/* Splits text into logical lines; a line without ':' is recorded as the
 * current VEVENT's fault, or refuses the calendar outside any VEVENT. */
static gboolean
scan_lines(const char *text, Scan *s, GError **error)
{
  guint lineno = 0;
  Span *open_event = NULL;
  const char *p = text;
  GArray *stack = g_array_new(FALSE, FALSE, sizeof(guint)); /* indices of BEGIN lines */
  gboolean ok = TRUE;
  while (*p && ok) {
    const char *eol = p + strcspn(p, "\n");
    lineno++;
    gboolean folded = (*p == ' ' || *p == '\t') && s->lines->len > 0;
    gboolean blank = strspn(p, " \t\r") >= (gsize)(eol - p);
    if (!folded && !blank) {
      /* The colon may sit on a continuation line. */
      const char *end = eol;
      while (*end == '\n' && (end[1] == ' ' || end[1] == '\t'))
        end = end + 1 + strcspn(end + 1, "\n");
      gboolean has_colon = memchr(p, ':', end - p) != NULL;
      Line l = { lineno, p, strcspn(p, ":;\r\n") };
      if (!has_colon) {
        g_autofree char *ex = line_excerpt(p);
        if (!open_event)
          ok = refuse(error, stack->len ? MG_ICAL_ERROR_MALFORMED : MG_ICAL_ERROR_NOT_ICALENDAR, lineno,
                      "not an iCalendar content line: '%s'", ex);
        else if (!open_event->bad_line)
          open_event->bad_line = lineno, open_event->bad_text = g_strdup_printf("not a content line: '%s'", ex);
        p = *eol ? eol + 1 : eol;
        continue;
      }
      if (s->lines->len == 0 && (!name_is(&l, "BEGIN") || g_ascii_strncasecmp(p + 6, "VCALENDAR", 9))) {
        g_autofree char *ex = line_excerpt(p);
        ok = refuse(error, MG_ICAL_ERROR_NOT_ICALENDAR, lineno, "not iCalendar: expected BEGIN:VCALENDAR, found '%s'",
                    ex);
        break;
      }
      g_array_append_val(s->lines, l);
      guint idx = s->lines->len - 1;
      if (name_is(&l, "BEGIN")) {
        g_autofree char *what = line_value(&l);
        if (stack->len == 0 && strcmp(what, "VCALENDAR"))
          ok = refuse(error, MG_ICAL_ERROR_MALFORMED, lineno, "BEGIN:%s outside a VCALENDAR", what);
        else if (stack->len >= MAX_DEPTH)
          ok = refuse(error, MG_ICAL_ERROR_MALFORMED, lineno, "components nested too deep");
        else if (stack->len == 1 && !strcmp(what, "VEVENT")) {
          g_array_append_val(s->spans, ((Span){ idx, 0, 0, NULL }));
          open_event = &g_array_index(s->spans, Span, s->spans->len - 1);
        }
        g_array_append_val(stack, idx);
      } else if (name_is(&l, "END")) {
        g_autofree char *what = line_value(&l);
        if (!stack->len) {
          ok = refuse(error, MG_ICAL_ERROR_MALFORMED, lineno, "END:%s without a BEGIN", what);
        } else {
          const Line *b = &g_array_index(s->lines, Line, g_array_index(stack, guint, stack->len - 1));
          g_autofree char *opened = line_value(b);
          if (strcmp(what, opened))
            ok = refuse(error, MG_ICAL_ERROR_MALFORMED, lineno, "END:%s where BEGIN:%s of line %u is open", what,
                        opened, b->line);
          g_array_set_size(stack, stack->len - 1);
          if (open_event && stack->len == 1)
            open_event->last = idx, open_event = NULL;
        }
      } else if (stack->len == 0) {
        g_autofree char *ex = line_excerpt(p);
        ok = refuse(error, MG_ICAL_ERROR_MALFORMED, lineno, "'%s' after END:VCALENDAR", ex);
      }
    }
    p = *eol ? eol + 1 : eol;
  }
  if (ok && stack->len) {
    const Line *b = &g_array_index(s->lines, Line, g_array_index(stack, guint, stack->len - 1));
    g_autofree char *opened = line_value(b);
    ok = refuse(error, MG_ICAL_ERROR_MALFORMED, b->line, "BEGIN:%s is never ended", opened);
  }
  if (ok && s->lines->len == 0)
    ok = refuse(error, MG_ICAL_ERROR_NOT_ICALENDAR, 1, "empty, not an iCalendar text");
  g_array_unref(stack);
  return ok;
}

/* The line of the event's first property called name, or of BEGIN:VEVENT. */
static guint
prop_line(const Ctx *c, const char *name)
{
  for (guint i = c->span->first; name && i <= c->span->last; i++) {
    const Line *l = &g_array_index(c->scan->lines, Line, i);
    if (name_is(l, name))
      return l->line;
  }
  return g_array_index(c->scan->lines, Line, c->span->first).line;
}

/* ---- one event ---- */

static gboolean event_fail(const Ctx *c, icalcomponent *ev, guint line, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

static gboolean
event_fail(const Ctx *c, icalcomponent *ev, guint line, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  MgIcalEventError e = { line, g_strdup(icalcomponent_get_uid(ev)), g_strdup_vprintf(fmt, ap) };
  va_end(ap);
  g_array_append_val(c->out->errors, e);
  return FALSE;
}

/* libical records a value it could not parse as X-LIC-ERROR and drops the
 * property. Those of the properties a meeting is made of break the event. */
static gboolean
check_parse_errors(const Ctx *c, icalcomponent *ev)
{
  static const char *const vital[] = { "DTSTART", "DTEND",         "DURATION", "RRULE",  "RDATE",
                                       "EXDATE",  "RECURRENCE-ID", "SEQUENCE", "STATUS", "UID" };
  if (c->span->bad_line)
    return event_fail(c, ev, c->span->bad_line, "%s", c->span->bad_text);
  for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_XLICERROR_PROPERTY); p;
       p = icalcomponent_get_next_property(ev, ICAL_XLICERROR_PROPERTY)) {
    const char *msg = icalproperty_get_xlicerror(p);
    const char *in = msg ? strstr(msg, " value in ") : NULL;
    if (!in)
      continue; /* unknown property or parameter names: ignored, as RFC 5545 asks */
    g_autofree char *name = g_strndup(in + 10, strcspn(in + 10, " "));
    for (guint i = 0; i < G_N_ELEMENTS(vital); i++) {
      if (g_ascii_strcasecmp(name, vital[i]))
        continue;
      /* "Can't parse as DATE-TIME value in DTSTART property. Removing entire property: x" */
      const char *as = g_str_has_prefix(msg, "Can't parse as ") ? msg + 15 : NULL, *colon = strstr(msg, "property: ");
      g_autofree char *type = as ? g_strndup(as, strcspn(as, " ")) : NULL;
      if (type && colon)
        return event_fail(c, ev, prop_line(c, name), "%s: '%s' is not a valid %s", vital[i], colon + 10, type);
      return event_fail(c, ev, prop_line(c, name), "%s", msg);
    }
  }
  return TRUE;
}

/* Resolves a TZID: the calendar's own VTIMEZONE converts its times to UTC;
 * the IANA name (Windows names mapped) is what the meeting keeps. */
static gboolean
resolve_zone(const Ctx *c, const char *tzid, Zone *z)
{
  z->zone = NULL, z->iana = NULL;
  if (!tzid)
    return TRUE;
  icaltimezone *own = icalcomponent_get_timezone(c->vcal, tzid);
  z->iana = mg_ical_timezone_to_iana(tzid);
  if (!z->iana && own)
    z->iana = mg_ical_timezone_to_iana(icaltimezone_get_location(own));
  z->zone = own ? own : z->iana ? icaltimezone_get_builtin_timezone(z->iana) : NULL;
  if (z->iana && (!strcmp(z->iana, "UTC") || !strcmp(z->iana, "Etc/UTC")))
    z->iana = NULL;
  return z->zone != NULL;
}

/* A DATE-TIME property's value in UTC seconds. Floating times are in the
 * calendar's X-WR-TIMEZONE, else UTC. */
static gboolean
prop_utc(const Ctx *c, icalcomponent *ev, icalproperty *p, struct icaltimetype t, gint64 *utc, Zone *zone_out)
{
  icalparameter *tzp = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
  const char *tzid = tzp ? icalparameter_get_tzid(tzp) : NULL;
  Zone z = { NULL, NULL };
  if (!tzid && !icaltime_is_utc(t))
    tzid = c->default_tz;
  if (icaltime_is_utc(t))
    tzid = NULL;
  /* libical extends each zone's table of changes to the years it converts
   * and keeps it for the process: year 9999 in every zone costs memory. */
  if (t.year < MIN_YEAR || t.year > MAX_YEAR)
    return event_fail(c, ev, prop_line(c, icalproperty_get_property_name(p)), "%s: year %d is out of range (%d-%d)",
                      icalproperty_get_property_name(p), t.year, MIN_YEAR, MAX_YEAR);
  if (!resolve_zone(c, tzid, &z))
    return event_fail(c, ev, prop_line(c, icalproperty_get_property_name(p)), "unknown time zone '%s'", tzid);
  *utc = icaltime_as_timet_with_zone(t, z.zone ? z.zone : icaltimezone_get_utc_timezone());
  if (zone_out)
    *zone_out = z;
  return TRUE;
}

static gboolean
read_times(const Ctx *c, icalcomponent *ev, MgMeeting *m, gboolean need_start)
{
  icalproperty *ps = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
  if (!ps)
    return need_start ? event_fail(c, ev, prop_line(c, NULL), "no DTSTART") : TRUE;
  Zone z;
  struct icaltimetype s = icalproperty_get_dtstart(ps);
  if (!prop_utc(c, ev, ps, s, &m->start, &z))
    return FALSE;
  m->timezone = g_strdup(z.iana);
  m->end = m->start;
  icalproperty *pe = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY);
  icalproperty *pd = icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY);
  if (pe && !prop_utc(c, ev, pe, icalproperty_get_dtend(pe), &m->end, NULL))
    return FALSE;
  if (!pe && pd)
    m->end = m->start + icaldurationtype_as_int(icalproperty_get_duration(pd));
  if (m->end < m->start)
    return event_fail(c, ev, prop_line(c, pe ? "DTEND" : "DURATION"), "the event ends before it starts");
  return TRUE;
}

/* EXDATE and RDATE values (several per property or several properties).
 * A date-only value on a timed series means that day at DTSTART's time. */
static gboolean
read_dates(const Ctx *c, icalcomponent *ev, MgMeeting *m, icalproperty_kind kind, GArray *into)
{
  for (icalproperty *p = icalcomponent_get_first_property(ev, kind); p; p = icalcomponent_get_next_property(ev, kind)) {
    struct icaltimetype t;
    if (kind == ICAL_EXDATE_PROPERTY) {
      t = icalproperty_get_exdate(p);
    } else {
      struct icaldatetimeperiodtype dp = icalproperty_get_rdate(p);
      t = icaltime_is_null_time(dp.time) ? dp.period.start : dp.time;
    }
    gint64 v;
    if (icaltime_is_null_time(t))
      continue;
    if (t.is_date) {
      icaltimezone *tz = m->timezone ? icaltimezone_get_builtin_timezone(m->timezone) : NULL;
      tz = tz ? tz : icaltimezone_get_utc_timezone();
      struct icaltimetype start = icaltime_from_timet_with_zone((time_t)m->start, 0, tz);
      t.is_date = 0, t.hour = start.hour, t.minute = start.minute, t.second = start.second;
      v = icaltime_as_timet_with_zone(t, tz);
    } else if (!prop_utc(c, ev, p, t, &v, NULL)) {
      return FALSE;
    }
    g_array_append_val(into, v);
  }
  return TRUE;
}

static char *
mailto(const char *cal_address)
{
  if (!cal_address)
    return NULL;
  if (!g_ascii_strncasecmp(cal_address, "mailto:", 7))
    cal_address += 7;
  return *cal_address ? g_strdup(cal_address) : NULL;
}

static char *
param_string(icalproperty *p, const char *name)
{
  const char *v = icalproperty_get_parameter_as_string(p, name);
  return v && *v ? g_strdup(v) : NULL;
}

static const struct {
  const char *ical, *role;
} roles[] = {
  { "REQ-PARTICIPANT", "required" },
  { "OPT-PARTICIPANT", "optional" },
  { "CHAIR", "chair" },
  { "NON-PARTICIPANT", "non-participant" },
};

static void
read_person(icalproperty *p, MgPerson *who, gboolean attendee)
{
  const char *addr = attendee ? icalproperty_get_attendee(p) : icalproperty_get_organizer(p);
  who->email = mailto(addr);
  who->id = g_strdup(who->email);
  who->name = param_string(p, "CN");
  if (!attendee)
    return;
  g_autofree char *role = param_string(p, "ROLE");
  who->role = g_strdup(roles[0].role); /* RFC 5545's default */
  for (guint i = 0; role && i < G_N_ELEMENTS(roles); i++) {
    if (!g_ascii_strcasecmp(role, roles[i].ical))
      g_free(who->role), who->role = g_strdup(roles[i].role);
  }
  if (role && !strcmp(who->role, "required") && g_ascii_strcasecmp(role, roles[0].ical))
    g_free(who->role), who->role = g_ascii_strdown(role, -1); /* an X- or IANA role, as given */
  who->partstat = param_string(p, "PARTSTAT");
}

static void
read_people(icalcomponent *ev, MgMeeting *m)
{
  icalproperty *org = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY);
  if (org)
    read_person(org, &m->organizer, FALSE);
  for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY); p;
       p = icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY)) {
    MgPerson who = { 0 };
    read_person(p, &who, TRUE);
    g_array_append_val(m->attendees, who);
  }
}

/* The chat binding: X-MEETGATE-CHAT, else the first CATEGORIES value written
 * "chat:<key>" (plain categories such as "Red Category" are not chats). */
static void
read_bindings(icalcomponent *ev, MgMeeting *m)
{
  for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_X_PROPERTY); p;
       p = icalcomponent_get_next_property(ev, ICAL_X_PROPERTY)) {
    const char *name = icalproperty_get_x_name(p), *v = icalproperty_get_x(p);
    if (!name || !v || !*v)
      continue;
    if (!g_ascii_strcasecmp(name, "X-MEETGATE-CHAT") && !m->chat)
      m->chat = g_strdup(v);
    else if (!g_ascii_strcasecmp(name, "X-MEETGATE-POLICY") && !m->policy &&
             (!strcmp(v, "open") || !strcmp(v, "lobby") || !strcmp(v, "invite-only")))
      m->policy = g_strdup(v);
  }
  for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_CATEGORIES_PROPERTY); p && !m->chat;
       p = icalcomponent_get_next_property(ev, ICAL_CATEGORIES_PROPERTY)) {
    g_auto(GStrv) cats = g_strsplit(icalproperty_get_categories(p) ? icalproperty_get_categories(p) : "", ",", -1);
    for (guint i = 0; cats[i] && !m->chat; i++) {
      char *v = g_strstrip(cats[i]);
      if (!g_ascii_strncasecmp(v, "chat:", 5) && v[5])
        m->chat = g_strdup(v + 5);
    }
  }
}

static char *
text_of(const char *s)
{
  return s && *s ? g_utf8_make_valid(s, -1) : NULL;
}

static gboolean
read_recurrence(const Ctx *c, icalcomponent *ev, MgMeeting *m)
{
  icalproperty *rr = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY);
  if (rr) {
    struct icalrecurrencetype rule = icalproperty_get_rrule(rr);
    m->rrule = icalrecurrencetype_as_string_r(&rule);
  }
  if (!read_dates(c, ev, m, ICAL_EXDATE_PROPERTY, m->exdates) || !read_dates(c, ev, m, ICAL_RDATE_PROPERTY, m->rdates))
    return FALSE;
  icalproperty *rid = icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY);
  if (rid && !prop_utc(c, ev, rid, icalproperty_get_recurrenceid(rid), &m->recurrence_id, NULL))
    return FALSE;
  if (m->rrule && !m->recurrence_id) {
    /* Check now that the rule and the zone expand, not when the room is due. */
    g_autoptr(GError) error = NULL;
    g_autoptr(GArray) first = mg_meeting_expand(m, m->start, m->start + 1, 1, &error);
    if (!first)
      return event_fail(c, ev, prop_line(c, "RRULE"), "%s", error->message);
  }
  return TRUE;
}

static void
import_event(const Ctx *c, icalcomponent *ev)
{
  MgIcalResult *out = c->out;
  const char *uid = icalcomponent_get_uid(ev);
  gboolean cancel = c->method && !g_ascii_strcasecmp(c->method, "CANCEL");
  cancel = cancel || icalcomponent_get_status(ev) == ICAL_STATUS_CANCELLED;
  if (!check_parse_errors(c, ev))
    return;
  if (!uid || !*uid) {
    event_fail(c, ev, prop_line(c, NULL), "no UID");
    return;
  }
  icalproperty *ps = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
  if (ps && icalproperty_get_dtstart(ps).is_date) {
    out->skipped_all_day++;
    return;
  }
  g_autoptr(MgMeeting) m = mg_meeting_new();
  m->source = g_strdup(c->source);
  m->external_id = text_of(uid);
  m->cancelled = cancel;
  m->sequence = icalcomponent_get_sequence(ev);
  if (!read_times(c, ev, m, !cancel) || !read_recurrence(c, ev, m))
    return;
  m->title = text_of(icalcomponent_get_summary(ev));
  m->description = text_of(icalcomponent_get_description(ev));
  read_people(ev, m);
  read_bindings(ev, m);
  out->overrides += m->recurrence_id != 0;
  out->cancelled += m->cancelled;
  g_ptr_array_add(out->meetings, g_steal_pointer(&m));
}

/* ---- the calendar ---- */

static const char *
x_wr_timezone(icalcomponent *vcal)
{
  for (icalproperty *p = icalcomponent_get_first_property(vcal, ICAL_X_PROPERTY); p;
       p = icalcomponent_get_next_property(vcal, ICAL_X_PROPERTY)) {
    if (!g_ascii_strcasecmp(icalproperty_get_x_name(p), "X-WR-TIMEZONE"))
      return icalproperty_get_x(p);
  }
  return NULL;
}

static void
import_calendar(Ctx *c, icalcomponent *vcal, guint *span_i)
{
  c->vcal = vcal;
  icalproperty *mp = icalcomponent_get_first_property(vcal, ICAL_METHOD_PROPERTY);
  c->method = mp ? icalproperty_get_value_as_string(mp) : NULL;
  if (c->method && !c->out->method)
    c->out->method = g_strdup(c->method);
  c->default_tz = x_wr_timezone(vcal);
  for (icalcomponent *ev = icalcomponent_get_first_component(vcal, ICAL_VEVENT_COMPONENT); ev;
       ev = icalcomponent_get_next_component(vcal, ICAL_VEVENT_COMPONENT)) {
    c->out->events++;
    if (*span_i >= c->scan->spans->len) {
      break; /* libical saw an event our scan did not: cannot happen, but no line to give */
    }
    c->span = &g_array_index(c->scan->spans, Span, (*span_i)++);
    import_event(c, ev);
  }
}

gboolean
mg_ical_import(const char *text, const char *source, MgIcalResult *out, GError **error)
{
  g_return_val_if_fail(text != NULL && out != NULL, FALSE);
  memset(out, 0, sizeof *out);
  out->meetings = g_ptr_array_new_with_free_func((GDestroyNotify)mg_meeting_free);
  out->errors = g_array_new(FALSE, TRUE, sizeof(MgIcalEventError));
  g_array_set_clear_func(out->errors, (GDestroyNotify)event_error_clear);
  if (strlen(text) > MAX_TEXT)
    return refuse(error, MG_ICAL_ERROR_TOO_LARGE, 1, "calendar larger than %d bytes", MAX_TEXT);

  Scan scan = { g_array_new(FALSE, FALSE, sizeof(Line)), g_array_new(FALSE, FALSE, sizeof(Span)) };
  g_array_set_clear_func(scan.spans, (GDestroyNotify)span_clear);
  if (!strncmp(text, "\xEF\xBB\xBF", 3))
    text += 3; /* a UTF-8 byte-order mark, as Windows tools write */
  icalcomponent *root = NULL;
  gboolean ok = scan_lines(text, &scan, error);
  if (ok && !(root = icalparser_parse_string(text)))
    ok = refuse(error, MG_ICAL_ERROR_MALFORMED, 1, "libical cannot parse this calendar");
  if (ok) {
    Ctx c = { .source = source, .scan = &scan, .out = out };
    guint span_i = 0;
    if (icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT) {
      import_calendar(&c, root, &span_i);
    } else {
      for (icalcomponent *cal = icalcomponent_get_first_component(root, ICAL_VCALENDAR_COMPONENT); cal;
           cal = icalcomponent_get_next_component(root, ICAL_VCALENDAR_COMPONENT))
        import_calendar(&c, cal, &span_i);
    }
    out->imported = out->meetings->len;
  }
  if (root)
    icalcomponent_free(root);
  g_array_unref(scan.lines);
  g_array_unref(scan.spans);
  return ok;
}

/* SPDX-License-Identifier: MIT
 * A scheduled meeting as meetgate keeps it, whatever brought it in (the
 * meetings API's JSON, an iCalendar import or feed, a CalDAV calendar).
 * Times are UTC seconds since the epoch; the time zone is kept to expand
 * recurrences correctly across daylight-saving changes. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *id;         /* the OA's user id (token sub), may be NULL */
  char *name;
  char *email;
  char *department; /* organizer only */
  char *role;       /* attendee: "required" | "optional" | "chair" | ... as given */
  char *partstat;   /* iCalendar PARTSTAT when known */
} MgPerson;

typedef struct {
  /* Identity: (source, external_id) is unique; for iCalendar the external id
   * is the UID, and an override of one occurrence is UID + RECURRENCE-ID. */
  char *source;
  char *external_id;
  gint64 recurrence_id; /* 0 = the series (or a single meeting) */

  char *title;
  char *description;
  gint64 start, end;   /* UTC seconds; for a series, the first occurrence */
  char *timezone;      /* IANA name the series is defined in, or NULL (UTC) */
  char *rrule;         /* RFC 5545 RRULE value, or NULL */
  GArray *exdates;     /* gint64 UTC starts of excluded occurrences */
  GArray *rdates;      /* gint64 UTC starts of extra occurrences */
  MgPerson organizer;
  GArray *attendees;   /* MgPerson */
  char *chat;          /* chat binding key, or NULL */
  char *policy;        /* "open" | "lobby" | "invite-only" */
  gint64 sequence;
  gboolean cancelled;
  gboolean record;     /* record the room automatically while people are in it */
} MgMeeting;

void mg_person_clear(MgPerson *p);
MgMeeting *mg_meeting_new(void);
void mg_meeting_free(MgMeeting *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgMeeting, mg_meeting_free)

/* One occurrence of a meeting in a window. */
typedef struct {
  gint64 start, end; /* UTC seconds */
  gint64 recurrence_id; /* the occurrence's original start (its key), 0 for a single meeting */
  const MgMeeting *override; /* mg_meeting_expand_series(): the override that moved it, or NULL */
} MgOccurrence;

#define MG_MEETING_ERROR (mg_meeting_error_quark())
GQuark mg_meeting_error_quark(void);
typedef enum {
  MG_MEETING_ERROR_RRULE,    /* the RRULE does not parse */
  MG_MEETING_ERROR_TIMEZONE, /* the time zone is not an IANA name libical knows */
} MgMeetingError;

/* The occurrences of m that start in [from, to) (UTC seconds), in order,
 * following RRULE, RDATE and EXDATE in m's time zone (DST changes keep the
 * local time). At most max occurrences. (transfer full) GArray of MgOccurrence. */
GArray *mg_meeting_expand(const MgMeeting *m, gint64 from, gint64 to, guint max, GError **error);

/* Like mg_meeting_expand() for a series, then applies its overrides (meetings
 * with the same identity and a recurrence_id): a cancelled override removes
 * its occurrence, another one moves it (start, end and override set; it is kept
 * if its new start is in [from, to)). Overrides of other series are ignored.
 * (transfer full) GArray of MgOccurrence, sorted by start. */
GArray *mg_meeting_expand_series(const MgMeeting *series, GPtrArray *overrides, gint64 from, gint64 to, guint max,
                                 GError **error);

G_END_DECLS

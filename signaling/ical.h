/* SPDX-License-Identifier: MIT
 * iCalendar (RFC 5545) import into MgMeeting objects, with a report of what
 * was imported, skipped and refused (line numbers are the file's lines). */
#pragma once

#include <glib.h>

#include "signaling/meeting.h"

G_BEGIN_DECLS

#define MG_ICAL_ERROR (mg_ical_error_quark())
GQuark mg_ical_error_quark(void);
typedef enum {
  MG_ICAL_ERROR_NOT_ICALENDAR, /* does not start with BEGIN:VCALENDAR */
  MG_ICAL_ERROR_MALFORMED,     /* components do not nest, a line is not a content line, libical refuses it */
  MG_ICAL_ERROR_TOO_LARGE,
} MgIcalErrorCode;

/* One VEVENT that was skipped because it is broken. */
typedef struct {
  guint line;   /* 1-based line of the offending property, or of BEGIN:VEVENT */
  char *uid;    /* NULL when the event has none */
  char *reason; /* one sentence, no line number */
} MgIcalEventError;

typedef struct {
  char *method;          /* the calendar's METHOD (REQUEST, CANCEL, PUBLISH...), or NULL */
  GPtrArray *meetings;   /* MgMeeting *, in file order: series, single meetings, overrides, cancellations */
  guint events;          /* VEVENTs in the file */
  guint imported;        /* = meetings->len */
  guint overrides;       /* of the imported: RECURRENCE-ID overrides */
  guint cancelled;       /* of the imported: STATUS:CANCELLED or named by METHOD:CANCEL */
  guint skipped_all_day; /* all-day events (DTSTART;VALUE=DATE) are not meetings */
  GArray *errors;        /* MgIcalEventError: broken events, skipped */
} MgIcalResult;

/* Frees what mg_ical_import() put in r and zeroes it. */
void mg_ical_result_clear(MgIcalResult *r);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(MgIcalResult, mg_ical_result_clear)

/* Parses an iCalendar text (a feed, an .ics file, an emailed invite) into
 * out (zeroed first; the caller clears it). source is copied into every
 * meeting; each meeting's external_id is the event's UID. Broken events are
 * skipped and listed in out->errors; a text that is not a calendar, or one
 * whose structure is broken, is refused with FALSE and an error whose message
 * starts with "line N: ". */
gboolean mg_ical_import(const char *text, const char *source, MgIcalResult *out, GError **error);

/* The IANA name for a calendar's TZID: an IANA name itself, a Windows name
 * as Outlook and Exchange write them ("China Standard Time"), or an IANA name
 * behind a vendor prefix ("/freeassociation.sourceforge.net/Europe/Berlin").
 * NULL when unknown. The result is static or points into tzid. */
const char *mg_ical_timezone_to_iana(const char *tzid);

G_END_DECLS

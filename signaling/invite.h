/* SPDX-License-Identifier: MIT
 * Calendar invites for a meeting: iCalendar (RFC 5545, 5546 iTIP) with the
 * join link in URL, LOCATION, DESCRIPTION and RFC 7986 CONFERENCE. */
#pragma once

#include <glib.h>

#include "signaling/meeting.h"

G_BEGIN_DECLS

/* An iCalendar text (CRLF lines) inviting to m: METHOD:REQUEST, or with
 * cancel METHOD:CANCEL, STATUS:CANCELLED and SEQUENCE m->sequence + 1.
 * The event's UID is m->external_id; a series keeps its RRULE, EXDATE and
 * RDATE in m's time zone (with that zone's VTIMEZONE), an override carries
 * its RECURRENCE-ID. organizer_email NULL means m->organizer.email. now_s is
 * DTSTAMP. NULL if m has no external_id or m's time zone is unknown.
 * (transfer full) */
char *mg_invite_ics(const MgMeeting *m, const char *join_link, const char *organizer_email, gboolean cancel,
                    gint64 now_s);

G_END_DECLS

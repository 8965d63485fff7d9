/* SPDX-License-Identifier: MIT
 * Shared between meetings.c and meetings-json.c. */
#pragma once

#include <jansson.h>

#include "signaling/meetings.h"

/* Canonical JSON of everything but the identity (source, external id,
 * recurrence id). (transfer full) */
json_t *mg_meetings_content_json(const MgMeeting *m);
char *mg_meetings_content(const MgMeeting *m);
/* The meeting back from its content, identity unset, or NULL. (transfer full) */
MgMeeting *mg_meetings_content_parse(const char *text);
/* A deep copy. (transfer full) */
MgMeeting *mg_meetings_copy(const MgMeeting *m);

/* SPDX-License-Identifier: MIT
 * The sample schedule (conf/sample-meetings.json, built in): a few meetings
 * today and tomorrow, so that a first start outside production shows
 * scheduled rooms at once. */
#pragma once

#include "gateway/meetings-api.h"

G_BEGIN_DECLS

#define MG_SAMPLE_SOURCE "sample"

/* Stores the sample meetings (source "sample"), placed relative to now (the
 * server's local time). Returns how many were stored. */
guint mg_sample_meetings_load(MgStore *store, GDateTime *now, GError **error);
/* Prints the sample meetings still ahead, with their organizer links, for
 * the person at the terminal. */
void mg_sample_meetings_announce(MgMeetingsApi *api, MgStore *store, gint64 now_s);

G_END_DECLS

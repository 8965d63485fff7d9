/* SPDX-License-Identifier: MIT
 * Attendance: who was in a room, from when to when. The conference records
 * each stay (join to leave; a resume continues the same stay); the meetings
 * API reports them per occurrence. */
#pragma once

#include <jansson.h>

#include "signaling/store.h"

G_BEGIN_DECLS

/* A participant entered the room (admitted, not in the lobby). */
void mg_attendance_joined(MgStore *store, const char *room_id, const char *participant, const char *user,
                          const char *name, const char *role, gint64 now_s);
/* The participant left (or the room closed). */
void mg_attendance_left(MgStore *store, const char *room_id, const char *participant, gint64 now_s);

/* The stays in room_id that began in [from_s, to_s), oldest first, as
 * [{participant, user, name, role, joined_at, left_at, seconds}] (RFC 3339
 * times; left_at null while present, seconds counted to now_s). (transfer full) */
json_t *mg_attendance_list(MgStore *store, const char *room_id, gint64 from_s, gint64 to_s, gint64 now_s);

/* Each person's total seconds over stays (mg_attendance_list's), keyed by
 * user id, or by name for people without one. (transfer full) */
json_t *mg_attendance_totals(json_t *stays);

G_END_DECLS

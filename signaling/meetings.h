/* SPDX-License-Identifier: MIT
 * The meetings store: OA meetings by (source, external id, recurrence id),
 * each mapped to a room whose window follows the meeting; idempotent upserts
 * ruled by SEQUENCE, cancellations, and occurrences in a time window. */
#pragma once

#include <glib.h>

#include "signaling/meeting.h"
#include "signaling/store.h"

G_BEGIN_DECLS

#define MG_MEETINGS_ERROR (mg_meetings_error_quark())
GQuark mg_meetings_error_quark(void);

typedef enum {
  MG_MEETINGS_ERROR_INVALID,        /* the meeting itself is wrong (times, policy, recurrence) */
  MG_MEETINGS_ERROR_STALE_SEQUENCE, /* older than the stored sequence */
  MG_MEETINGS_ERROR_NOT_FOUND,
  MG_MEETINGS_ERROR_STORE,
} MgMeetingsError;

#define MG_MEETINGS_DEFAULT_LEAD_S (10 * 60)
#define MG_MEETINGS_DEFAULT_GRACE_S (15 * 60)
/* How far an unbounded series' room window reaches (refreshed by every upsert). */
#define MG_MEETINGS_HORIZON_S (366 * 24 * 3600)
/* At most this many occurrences per meeting in one listing. */
#define MG_MEETINGS_MAX_OCCURRENCES 2000

typedef enum {
  MG_MEETINGS_CREATED,
  MG_MEETINGS_UPDATED,
  MG_MEETINGS_UNCHANGED,
} MgMeetingsOutcome;

const char *mg_meetings_outcome_name(MgMeetingsOutcome outcome);

typedef struct {
  MgMeetingsOutcome outcome;
  char *id; /* meetgate's id of the meeting */
  char *room_id;
  gint64 stored_sequence; /* the sequence now stored (or that refused a stale one) */
} MgMeetingsResult;

void mg_meetings_result_clear(MgMeetingsResult *result);

/* A stored meeting (reference counted). */
typedef struct {
  char *id;
  char *room_id;
  MgMeeting *meeting;
  gint64 created_at, updated_at;
} MgMeetingsEntry;

MgMeetingsEntry *mg_meetings_entry_ref(MgMeetingsEntry *entry);
void mg_meetings_entry_unref(MgMeetingsEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgMeetingsEntry, mg_meetings_entry_unref)

/* One occurrence in a listing; holds a reference on entry. */
typedef struct {
  MgMeetingsEntry *entry;
  gint64 start, end;
  gint64 recurrence_id; /* the occurrence's original start; 0 for a single meeting */
} MgMeetingsOccurrence;

/* Sets the room window margins (opens lead_s before a meeting, closes grace_s
 * after it), kept in the store for every later upsert. */
gboolean mg_meetings_set_margins(MgStore *store, gint64 lead_s, gint64 grace_s, GError **error);
/* The lead the store keeps (how long before its start a meeting's room opens). */
gint64 mg_meetings_get_lead(MgStore *store);

/* Inserts or updates m (source, external_id and recurrence_id identify it)
 * and its room, in one durable transaction. The same content twice is
 * MG_MEETINGS_UNCHANGED and writes nothing; a sequence below the stored one,
 * or a cancelled meeting sent again without a higher sequence, is
 * MG_MEETINGS_ERROR_STALE_SEQUENCE with result->stored_sequence set. */
gboolean mg_meetings_upsert(MgStore *store, const MgMeeting *m, gint64 now_s, MgMeetingsResult *result, GError **error);

/* By meetgate's id, or NULL. (transfer full) */
MgMeetingsEntry *mg_meetings_get(MgStore *store, const char *id);
/* By identity, or NULL. (transfer full) */
MgMeetingsEntry *mg_meetings_find(MgStore *store, const char *source, const char *external_id, gint64 recurrence_id);

/* The meeting whose room is room_id, or NULL. (transfer full) */
MgMeetingsEntry *mg_meetings_find_by_room(MgStore *store, const char *room_id);

/* Occurrences starting in [from_s, to_s) of the meetings of source (NULL:
 * every source), in start order: series expanded, overridden occurrences
 * replaced by their override, cancelled ones left out.
 * (transfer full) GArray of MgMeetingsOccurrence. */
GArray *mg_meetings_list(MgStore *store, const char *source, gint64 from_s, gint64 to_s, GError **error);

/* Cancels a meeting (occurrence_start 0: the meeting or whole series, with
 * its room closed now) or one occurrence of a series, by its original start.
 * Cancelling what is already cancelled succeeds. */
gboolean mg_meetings_cancel(MgStore *store, const char *source, const char *external_id, gint64 occurrence_start,
                            gint64 now_s, GError **error);

/* TRUE when room_id's meeting was cancelled as a whole, or when one of its
 * occurrences whose window (start - lead to end) holds now_s was cancelled:
 * a room people should be sent out of. */
gboolean mg_meetings_room_cancelled_at(MgStore *store, const char *room_id, gint64 now_s);

/* Called inside the transaction of every write of a meeting row (upserts
 * from any path, cancellations) with the row before (NULL: a new row) and
 * after the change, so what it writes to the store (the chat outbox)
 * commits or rolls back with the change. Returning FALSE (error set) fails
 * the whole write. */
typedef gboolean (*MgMeetingsObserver)(MgStore *store, const MgMeetingsEntry *before, const MgMeetingsEntry *after,
                                       gint64 now_s, gpointer user_data, GError **error);
/* Sets (observer NULL: clears) the observer of store's meetings; user_data is borrowed. */
void mg_meetings_set_observer(MgStore *store, MgMeetingsObserver observer, gpointer user_data);

/* How many meetings (rows) source has; NULL: every source. */
gint64 mg_meetings_count(MgStore *store, const char *source);

G_END_DECLS

/* SPDX-License-Identifier: MIT
 * The meetings table: upsert by identity and SEQUENCE, rooms that follow
 * their meeting, cancellations, occurrences in a window. */
#define G_LOG_DOMAIN "meetings"
#include <sqlite3.h>
#include <string.h>

#include "signaling/meetings-private.h"
#include "signaling/rooms.h"

G_DEFINE_QUARK(mg - meetings - error - quark, mg_meetings_error)

#define COLUMNS "id, source, external_id, recurrence_id, content, room_id, created_at, updated_at"

static const char *const outcome_names[] = { "created", "updated", "unchanged" };

const char *
mg_meetings_outcome_name(MgMeetingsOutcome outcome)
{
  return outcome < G_N_ELEMENTS(outcome_names) ? outcome_names[outcome] : "unchanged";
}

void
mg_meetings_result_clear(MgMeetingsResult *result)
{
  g_clear_pointer(&result->id, g_free);
  g_clear_pointer(&result->room_id, g_free);
}

static void
entry_clear(gpointer p)
{
  MgMeetingsEntry *e = p;
  g_free(e->id);
  g_free(e->room_id);
  mg_meeting_free(e->meeting);
}

MgMeetingsEntry *
mg_meetings_entry_ref(MgMeetingsEntry *entry)
{
  return g_rc_box_acquire(entry);
}

void
mg_meetings_entry_unref(MgMeetingsEntry *entry)
{
  if (entry)
    g_rc_box_release_full(entry, entry_clear);
}

/* ---- small SQL helpers ---- */

/* A store failure: MG_STORE_ERROR_FULL when the disk is full (callers answer
 * that differently), else MG_MEETINGS_ERROR_STORE. */
static void
set_store_error(sqlite3 *db, GError **error)
{
  if (mg_store_error_code(db) == MG_STORE_ERROR_FULL)
    g_set_error(error, MG_STORE_ERROR, MG_STORE_ERROR_FULL, "%s", sqlite3_errmsg(db));
  else
    g_set_error(error, MG_MEETINGS_ERROR, MG_MEETINGS_ERROR_STORE, "%s", sqlite3_errmsg(db));
}

static sqlite3_stmt *
prepare(sqlite3 *db, const char *sql, GError **error)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
    set_store_error(db, error);
  return st;
}

static gboolean
step_done(sqlite3 *db, sqlite3_stmt *st, GError **error)
{
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc == SQLITE_DONE)
    return TRUE;
  set_store_error(db, error);
  return FALSE;
}

static gint64
meta_int(sqlite3 *db, const char *key, gint64 def)
{
  sqlite3_stmt *st = prepare(db, "SELECT value FROM meta WHERE key = ?", NULL);
  gint64 v = def;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  if (st && sqlite3_step(st) == SQLITE_ROW)
    v = g_ascii_strtoll((const char *)sqlite3_column_text(st, 0), NULL, 10);
  sqlite3_finalize(st);
  return v;
}

gboolean
mg_meetings_set_margins(MgStore *store, gint64 lead_s, gint64 grace_s, GError **error)
{
  sqlite3 *db = mg_store_get_db(store);
  const char *keys[] = { "meetings.lead_s", "meetings.grace_s" };
  gint64 values[] = { lead_s, grace_s };
  for (guint i = 0; i < 2; i++) {
    sqlite3_stmt *st = prepare(db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", error);
    if (!st)
      return FALSE;
    g_autofree char *text = g_strdup_printf("%" G_GINT64_FORMAT, values[i]);
    sqlite3_bind_text(st, 1, keys[i], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
    if (!step_done(db, st, error))
      return FALSE;
  }
  return TRUE;
}

/* ---- spans and rooms ---- */

typedef struct {
  gint64 first_start;
  gint64 last_end;    /* within the horizon for an unbounded series */
  gboolean unbounded; /* an RRULE without COUNT or UNTIL */
} Span;

static gboolean
is_series(const MgMeeting *m)
{
  return (m->rrule && *m->rrule) || (m->rdates && m->rdates->len);
}

static gboolean
meeting_span(const MgMeeting *m, gint64 now_s, Span *span, GError **error)
{
  *span = (Span){ m->start, m->end, FALSE };
  if (!is_series(m))
    return TRUE;
  g_autofree char *rule = m->rrule ? g_ascii_strup(m->rrule, -1) : NULL;
  span->unbounded = rule && !strstr(rule, "COUNT=") && !strstr(rule, "UNTIL=");
  gint64 from = m->start;
  for (guint i = 0; i < m->rdates->len; i++)
    from = MIN(from, g_array_index(m->rdates, gint64, i));
  gint64 to = MAX(m->start, now_s) + MG_MEETINGS_HORIZON_S;
  if (!span->unbounded) /* a bounded series may run longer than the horizon: look far enough */
    to = MAX(to, m->start + 50 * MG_MEETINGS_HORIZON_S);
  GError *local = NULL;
  g_autoptr(GArray) occ = mg_meeting_expand(m, from, to, G_MAXUINT16, &local);
  if (!occ) {
    g_set_error(error, MG_MEETINGS_ERROR, MG_MEETINGS_ERROR_INVALID, "recurrence: %s", local->message);
    g_error_free(local);
    return FALSE;
  }
  if (!occ->len) {
    g_set_error(error, MG_MEETINGS_ERROR, MG_MEETINGS_ERROR_INVALID, "recurrence: the series has no occurrence");
    return FALSE;
  }
  span->first_start = g_array_index(occ, MgOccurrence, 0).start;
  span->last_end = g_array_index(occ, MgOccurrence, occ->len - 1).end;
  return TRUE;
}

static char **
room_attendees(const MgMeeting *m)
{
  GPtrArray *ids = g_ptr_array_new();
  if (m->organizer.id && *m->organizer.id)
    g_ptr_array_add(ids, g_strdup(m->organizer.id));
  for (guint i = 0; m->attendees && i < m->attendees->len; i++) {
    const MgPerson *p = &g_array_index(m->attendees, MgPerson, i);
    if (p->id && *p->id)
      g_ptr_array_add(ids, g_strdup(p->id));
  }
  g_ptr_array_add(ids, NULL);
  return (char **)g_ptr_array_free(ids, FALSE);
}

static MgPolicy
meeting_policy(const MgMeeting *m)
{
  MgPolicy p = MG_POLICY_LOBBY;
  if (m->policy)
    mg_policy_parse(m->policy, &p);
  return p;
}

static GPtrArray *load_rows(MgStore *store, const char *where, const char *source, const char *external_id,
                            gint64 recurrence_id);

/* Brings room_id in line with every row of (source, external_id): the
 * series (or first row) gives title, policy and attendees; the window covers
 * every occurrence that is not cancelled, or ends now when none is left. */
static gboolean
refresh_room(MgStore *store, const char *source, const char *external_id, const char *room_id, gint64 now_s,
             GError **error)
{
  sqlite3 *db = mg_store_get_db(store);
  gint64 lead = meta_int(db, "meetings.lead_s", MG_MEETINGS_DEFAULT_LEAD_S);
  gint64 grace = meta_int(db, "meetings.grace_s", MG_MEETINGS_DEFAULT_GRACE_S);
  g_autoptr(MgRoomDef) room = mg_rooms_find(store, room_id);
  g_autoptr(GPtrArray) rows = load_rows(store, "source = ? AND external_id = ?", source, external_id, -1);
  if (!room || !rows) {
    g_set_error(error, MG_MEETINGS_ERROR, MG_MEETINGS_ERROR_STORE, "room %s of meeting %s is missing", room_id,
                external_id);
    return FALSE;
  }
  gint64 opens = G_MAXINT64, closes = 0;
  const MgMeeting *head = NULL;
  for (guint i = 0; i < rows->len; i++) {
    const MgMeetingsEntry *e = g_ptr_array_index(rows, i);
    Span span;
    if (e->meeting->cancelled || !meeting_span(e->meeting, now_s, &span, NULL))
      continue;
    head = head ? head : e->meeting;
    opens = MIN(opens, span.first_start - lead);
    closes = MAX(closes, span.last_end + grace);
  }
  if (head) {
    g_free(room->title);
    room->title = g_strdup(head->title);
    room->policy = meeting_policy(head);
    g_strfreev(room->attendees);
    room->attendees = room_attendees(head);
    room->opens_at = opens;
    room->closes_at = closes;
  } else { /* everything cancelled: the room ends now (or never opens) */
    room->closes_at = room->closes_at ? MIN(room->closes_at, now_s) : now_s;
    room->opens_at = MIN(room->opens_at, room->closes_at);
  }
  return mg_rooms_update(store, room, error);
}

/* ---- the observer ---- */

typedef struct {
  MgMeetingsObserver fn;
  gpointer user_data;
} Observer;

#define OBSERVER_KEY "mg-meetings-observer"

void
mg_meetings_set_observer(MgStore *store, MgMeetingsObserver observer, gpointer user_data)
{
  Observer *o = NULL;
  if (observer) {
    o = g_new0(Observer, 1);
    o->fn = observer;
    o->user_data = user_data;
  }
  mg_store_set_data(store, OBSERVER_KEY, o, g_free);
}

/* Tells the observer about the row id now holds; before as it was. */
static gboolean
notify(MgStore *store, const MgMeetingsEntry *before, const char *id, gint64 now_s, GError **error)
{
  Observer *o = mg_store_get_data(store, OBSERVER_KEY);
  if (!o)
    return TRUE;
  g_autoptr(MgMeetingsEntry) after = mg_meetings_get(store, id);
  if (!after) {
    g_set_error(error, MG_MEETINGS_ERROR, MG_MEETINGS_ERROR_STORE, "meeting %s vanished while being written", id);
    return FALSE;
  }
  return o->fn(store, before, after, now_s, o->user_data, error);
}

/* ---- reading rows ---- */

static MgMeetingsEntry *
row_entry(sqlite3_stmt *st)
{
  MgMeeting *m = mg_meetings_content_parse((const char *)sqlite3_column_text(st, 4));
  if (!m)
    return NULL;
  MgMeetingsEntry *e = g_rc_box_new0(MgMeetingsEntry);
  e->id = g_strdup((const char *)sqlite3_column_text(st, 0));
  m->source = g_strdup((const char *)sqlite3_column_text(st, 1));
  m->external_id = g_strdup((const char *)sqlite3_column_text(st, 2));
  m->recurrence_id = sqlite3_column_int64(st, 3);
  e->meeting = m;
  e->room_id = g_strdup((const char *)sqlite3_column_text(st, 5));
  e->created_at = sqlite3_column_int64(st, 6);
  e->updated_at = sqlite3_column_int64(st, 7);
  return e;
}

/* Rows matching where, whose parameters are bound in order: source,
 * external_id, then recurrence_id when it is not -1. Ordered series first. */
static GPtrArray *
load_rows(MgStore *store, const char *where, const char *a, const char *b, gint64 c)
{
  sqlite3 *db = mg_store_get_db(store);
  g_autofree char *sql =
      g_strdup_printf("SELECT " COLUMNS " FROM meetings WHERE %s ORDER BY source, external_id, recurrence_id", where);
  sqlite3_stmt *st = prepare(db, sql, NULL);
  if (!st)
    return NULL;
  sqlite3_bind_text(st, 1, a, -1, SQLITE_TRANSIENT);
  if (b)
    sqlite3_bind_text(st, 2, b, -1, SQLITE_TRANSIENT);
  if (c != -1)
    sqlite3_bind_int64(st, 3, c);
  GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)mg_meetings_entry_unref);
  while (sqlite3_step(st) == SQLITE_ROW) {
    MgMeetingsEntry *e = row_entry(st);
    if (e)
      g_ptr_array_add(rows, e);
  }
  sqlite3_finalize(st);
  return rows;
}

static MgMeetingsEntry *
first_row(GPtrArray *rows)
{
  MgMeetingsEntry *e = rows && rows->len ? mg_meetings_entry_ref(g_ptr_array_index(rows, 0)) : NULL;
  if (rows)
    g_ptr_array_unref(rows);
  return e;
}

MgMeetingsEntry *
mg_meetings_get(MgStore *store, const char *id)
{
  return first_row(load_rows(store, "id = ?", id, NULL, -1));
}

MgMeetingsEntry *
mg_meetings_find(MgStore *store, const char *source, const char *external_id, gint64 recurrence_id)
{
  return first_row(
      load_rows(store, "source = ? AND external_id = ? AND recurrence_id = ?", source, external_id, recurrence_id));
}

MgMeetingsEntry *
mg_meetings_find_by_room(MgStore *store, const char *room_id)
{
  return first_row(load_rows(store, "room_id = ?", room_id, NULL, -1));
}

gint64
mg_meetings_count(MgStore *store, const char *source)
{
  sqlite3 *db = mg_store_get_db(store);
  sqlite3_stmt *st = prepare(db, "SELECT count(*) FROM meetings WHERE ?1 IS NULL OR source = ?1", NULL);
  gint64 n = 0;
  if (!st)
    return 0;
  sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

/* ---- writing rows ---- */

static gboolean
write_row(sqlite3 *db, gboolean insert, const char *id, const MgMeeting *m, const char *content, const Span *span,
          const char *room_id, gint64 now_s, GError **error)
{
  /* The list columns repeat parts of the content, for people reading the table. */
  json_t *c = json_loads(content, 0, NULL);
  g_autofree char *exdates = json_dumps(json_object_get(c, "exdates"), JSON_COMPACT);
  g_autofree char *rdates = json_dumps(json_object_get(c, "rdates"), JSON_COMPACT);
  g_autofree char *attendees = json_dumps(json_object_get(c, "attendees"), JSON_COMPACT);
  g_autofree char *organizer = json_dumps(json_object_get(c, "organizer"), JSON_COMPACT);
  json_decref(c);
  sqlite3_stmt *st = prepare(
      db,
      insert
          ? "INSERT INTO meetings (title, description, start_at, end_at, timezone, rrule, exdates, rdates, organizer, "
            "attendees, chat, policy, sequence, cancelled, content, span_start, span_end, updated_at, room_id, "
            "created_at, source, external_id, recurrence_id, id) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?18, "
            "?20, ?21, ?22, ?23)"
          : "UPDATE meetings SET title = ?1, description = ?2, start_at = ?3, end_at = ?4, timezone = ?5, "
            "rrule = ?6, exdates = ?7, rdates = ?8, organizer = ?9, attendees = ?10, chat = ?11, policy = ?12, "
            "sequence = ?13, cancelled = ?14, content = ?15, span_start = ?16, span_end = ?17, updated_at = ?18 "
            "WHERE id = ?23",
      error);
  if (!st)
    return FALSE;
  sqlite3_bind_text(st, 1, m->title ? m->title : "", -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, m->description, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, m->start);
  sqlite3_bind_int64(st, 4, m->end);
  sqlite3_bind_text(st, 5, m->timezone, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, m->rrule, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 7, exdates, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 8, rdates, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 9, organizer, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 10, attendees, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 11, m->chat, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 12, mg_policy_name(meeting_policy(m)), -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 13, m->sequence);
  sqlite3_bind_int(st, 14, m->cancelled);
  sqlite3_bind_text(st, 15, content, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 16, span->first_start);
  sqlite3_bind_int64(st, 17, span->unbounded ? G_MAXINT64 : span->last_end);
  sqlite3_bind_int64(st, 18, now_s);
  sqlite3_bind_text(st, 19, room_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 20, m->source, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 21, m->external_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 22, m->recurrence_id);
  sqlite3_bind_text(st, 23, id, -1, SQLITE_STATIC);
  return step_done(db, st, error);
}

static gboolean
validate(const MgMeeting *m, GError **error)
{
  MgPolicy p;
  const char *why = NULL;
  if (!m->source || !*m->source || !m->external_id || !*m->external_id)
    why = "a meeting needs a source and an external id";
  else if (m->end <= m->start)
    why = "end must be after start";
  else if (m->policy && !mg_policy_parse(m->policy, &p))
    why = "policy must be open, lobby or invite-only";
  if (why)
    g_set_error_literal(error, MG_MEETINGS_ERROR, MG_MEETINGS_ERROR_INVALID, why);
  return why == NULL;
}

/* A room for a new row: an override shares its series' room. (transfer full) */
static char *
room_for(MgStore *store, const MgMeeting *m, gint64 now_s, GError **error)
{
  if (m->recurrence_id) {
    g_autoptr(MgMeetingsEntry) series = mg_meetings_find(store, m->source, m->external_id, 0);
    if (series)
      return g_strdup(series->room_id);
  }
  g_auto(GStrv) attendees = room_attendees(m);
  MgRoomDef def = { .title = m->title, .policy = meeting_policy(m), .attendees = attendees };
  g_autoptr(MgRoomDef) room = mg_rooms_create(store, &def, now_s, error);
  return room ? g_strdup(room->id) : NULL;
}

static gboolean
stale(const MgMeetingsEntry *old, const MgMeeting *m, MgMeetingsResult *result, GError **error)
{
  result->stored_sequence = old->meeting->sequence;
  if (m->sequence < old->meeting->sequence) {
    g_set_error(error, MG_MEETINGS_ERROR, MG_MEETINGS_ERROR_STALE_SEQUENCE,
                "sequence %" G_GINT64_FORMAT " is older than the stored sequence %" G_GINT64_FORMAT, m->sequence,
                old->meeting->sequence);
    return TRUE;
  }
  if (old->meeting->cancelled && !m->cancelled && m->sequence <= old->meeting->sequence) {
    g_set_error(error, MG_MEETINGS_ERROR, MG_MEETINGS_ERROR_STALE_SEQUENCE,
                "the meeting was cancelled at the stored sequence %" G_GINT64_FORMAT
                "; send a higher sequence to restore it",
                old->meeting->sequence);
    return TRUE;
  }
  return FALSE;
}

static gboolean
upsert_locked(MgStore *store, const MgMeeting *m, const char *content, const Span *span, gint64 now_s,
              MgMeetingsResult *result, GError **error)
{
  sqlite3 *db = mg_store_get_db(store);
  g_autoptr(MgMeetingsEntry) old = mg_meetings_find(store, m->source, m->external_id, m->recurrence_id);
  if (old) {
    if (stale(old, m, result, error))
      return FALSE;
    result->id = g_strdup(old->id);
    result->room_id = g_strdup(old->room_id);
    g_autofree char *old_content = mg_meetings_content(old->meeting);
    if (!strcmp(old_content, content)) {
      result->outcome = MG_MEETINGS_UNCHANGED;
      return TRUE;
    }
    result->outcome = MG_MEETINGS_UPDATED;
  } else {
    result->id = g_uuid_string_random();
    result->room_id = room_for(store, m, now_s, error);
    if (!result->room_id)
      return FALSE;
    result->outcome = MG_MEETINGS_CREATED;
  }
  result->stored_sequence = m->sequence;
  return write_row(db, !old, result->id, m, content, span, result->room_id, now_s, error) &&
         refresh_room(store, m->source, m->external_id, result->room_id, now_s, error) &&
         notify(store, old, result->id, now_s, error);
}

gboolean
mg_meetings_upsert(MgStore *store, const MgMeeting *m, gint64 now_s, MgMeetingsResult *result, GError **error)
{
  Span span;
  *result = (MgMeetingsResult){ 0 };
  if (!validate(m, error) || !meeting_span(m, now_s, &span, error))
    return FALSE;
  g_autofree char *content = mg_meetings_content(m);
  /* Acknowledged to an OA that will not send it again: durable (docs/meetings.md). */
  if (!mg_store_begin(store, TRUE, error))
    return FALSE;
  gboolean ok = upsert_locked(store, m, content, &span, now_s, result, error);
  /* Unchanged wrote nothing: roll back rather than pay a synced commit. */
  gboolean write = ok && result->outcome != MG_MEETINGS_UNCHANGED;
  if (!mg_store_end(store, write, error))
    ok = FALSE;
  if (!ok && (!error || !*error || (*error)->code != MG_MEETINGS_ERROR_STALE_SEQUENCE))
    mg_meetings_result_clear(result);
  return ok;
}

/* ---- cancel ---- */

static gboolean
cancel_row(MgStore *store, MgMeetingsEntry *e, gint64 now_s, GError **error)
{
  if (e->meeting->cancelled)
    return TRUE;
  g_autoptr(MgMeetingsEntry) before = mg_meetings_get(store, e->id);
  e->meeting->cancelled = TRUE;
  g_autofree char *content = mg_meetings_content(e->meeting);
  Span span = { e->meeting->start, e->meeting->end, FALSE };
  meeting_span(e->meeting, now_s, &span, NULL);
  return write_row(mg_store_get_db(store), FALSE, e->id, e->meeting, content, &span, e->room_id, now_s, error) &&
         notify(store, before, e->id, now_s, error);
}

/* A cancelled override for the occurrence of series that starts at occurrence. */
static gboolean
cancel_occurrence(MgStore *store, MgMeetingsEntry *series, gint64 occurrence, gint64 now_s, GError **error)
{
  GError *local = NULL;
  g_autoptr(GArray) occ = mg_meeting_expand(series->meeting, occurrence, occurrence + 1, 1, &local);
  if (!occ || !occ->len) {
    g_set_error(error, MG_MEETINGS_ERROR, MG_MEETINGS_ERROR_NOT_FOUND, "no occurrence starts at that time%s%s",
                local ? ": " : "", local ? local->message : "");
    g_clear_error(&local);
    return FALSE;
  }
  const MgOccurrence *o = &g_array_index(occ, MgOccurrence, 0);
  g_autoptr(MgMeeting) m = mg_meetings_copy(series->meeting);
  m->recurrence_id = occurrence;
  m->start = o->start;
  m->end = o->end;
  g_clear_pointer(&m->rrule, g_free);
  g_array_set_size(m->exdates, 0);
  g_array_set_size(m->rdates, 0);
  m->cancelled = TRUE;
  g_autofree char *content = mg_meetings_content(m);
  g_autofree char *id = g_uuid_string_random();
  Span span = { m->start, m->end, FALSE };
  return write_row(mg_store_get_db(store), TRUE, id, m, content, &span, series->room_id, now_s, error) &&
         notify(store, NULL, id, now_s, error);
}

static gboolean
cancel_locked(MgStore *store, const char *source, const char *external_id, gint64 occurrence, gint64 now_s,
              GError **error)
{
  g_autoptr(GPtrArray) rows = load_rows(store, "source = ? AND external_id = ?", source, external_id, -1);
  MgMeetingsEntry *series = NULL, *override = NULL;
  for (guint i = 0; rows && i < rows->len; i++) {
    MgMeetingsEntry *e = g_ptr_array_index(rows, i);
    if (!e->meeting->recurrence_id)
      series = e;
    else if (e->meeting->recurrence_id == occurrence)
      override = e;
  }
  if (!rows || !rows->len) {
    g_set_error(error, MG_MEETINGS_ERROR, MG_MEETINGS_ERROR_NOT_FOUND, "no meeting %s from %s", external_id, source);
    return FALSE;
  }
  /* A single meeting's only occurrence is the meeting. */
  if (series && occurrence && !is_series(series->meeting) && occurrence == series->meeting->start)
    occurrence = 0;
  gboolean ok = TRUE;
  if (!occurrence) {
    for (guint i = 0; ok && i < rows->len; i++)
      ok = cancel_row(store, g_ptr_array_index(rows, i), now_s, error);
  } else if (override) {
    ok = cancel_row(store, override, now_s, error);
  } else if (series) {
    ok = cancel_occurrence(store, series, occurrence, now_s, error);
  } else {
    g_set_error(error, MG_MEETINGS_ERROR, MG_MEETINGS_ERROR_NOT_FOUND, "no occurrence starts at that time");
    ok = FALSE;
  }
  MgMeetingsEntry *any = g_ptr_array_index(rows, 0);
  return ok && refresh_room(store, source, external_id, any->room_id, now_s, error);
}

gboolean
mg_meetings_cancel(MgStore *store, const char *source, const char *external_id, gint64 occurrence_start, gint64 now_s,
                   GError **error)
{
  if (!mg_store_begin(store, TRUE, error))
    return FALSE;
  gboolean ok = cancel_locked(store, source, external_id, occurrence_start, now_s, error);
  return mg_store_end(store, ok, ok ? error : NULL) && ok;
}

/* ---- listing ---- */

static void
occurrence_clear(gpointer p)
{
  MgMeetingsOccurrence *o = p;
  mg_meetings_entry_unref(o->entry);
}

static gint
cmp_occurrence(gconstpointer a, gconstpointer b)
{
  const MgMeetingsOccurrence *x = a, *y = b;
  if (x->start != y->start)
    return x->start < y->start ? -1 : 1;
  return strcmp(x->entry->id, y->entry->id);
}

static gboolean
overridden(GPtrArray *rows, const MgMeeting *series, gint64 recurrence_id)
{
  for (guint i = 0; i < rows->len; i++) {
    const MgMeeting *m = ((MgMeetingsEntry *)g_ptr_array_index(rows, i))->meeting;
    if (m->recurrence_id == recurrence_id && !strcmp(m->source, series->source) &&
        !strcmp(m->external_id, series->external_id))
      return TRUE;
  }
  return FALSE;
}

static void
add_series(GArray *out, GPtrArray *overrides, MgMeetingsEntry *e, gint64 from, gint64 to)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) occ = mg_meeting_expand(e->meeting, from, to, MG_MEETINGS_MAX_OCCURRENCES, &error);
  if (!occ) {
    g_warning("meeting %s: cannot expand: %s", e->id, error->message);
    return;
  }
  for (guint i = 0; i < occ->len; i++) {
    const MgOccurrence *o = &g_array_index(occ, MgOccurrence, i);
    if (o->recurrence_id && overridden(overrides, e->meeting, o->recurrence_id))
      continue;
    MgMeetingsOccurrence item = { mg_meetings_entry_ref(e), o->start, o->end, o->recurrence_id };
    g_array_append_val(out, item);
  }
}

GArray *
mg_meetings_list(MgStore *store, const char *source, gint64 from_s, gint64 to_s, GError **error)
{
  sqlite3 *db = mg_store_get_db(store);
  /* Every override of a series in the window counts, even one moved out of it. */
  sqlite3_stmt *st = prepare(db,
                             "SELECT " COLUMNS " FROM meetings m WHERE (?1 IS NULL OR source = ?1) AND ("
                             "(span_start < ?3 AND span_end >= ?2) OR (recurrence_id != 0 AND EXISTS ("
                             "SELECT 1 FROM meetings s WHERE s.source = m.source AND s.external_id = m.external_id "
                             "AND s.recurrence_id = 0 AND s.span_start < ?3 AND s.span_end >= ?2)))",
                             error);
  if (!st)
    return NULL;
  sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, from_s);
  sqlite3_bind_int64(st, 3, to_s);
  g_autoptr(GPtrArray) series = g_ptr_array_new_with_free_func((GDestroyNotify)mg_meetings_entry_unref);
  g_autoptr(GPtrArray) overrides = g_ptr_array_new_with_free_func((GDestroyNotify)mg_meetings_entry_unref);
  while (sqlite3_step(st) == SQLITE_ROW) {
    MgMeetingsEntry *e = row_entry(st);
    if (e)
      g_ptr_array_add(e->meeting->recurrence_id ? overrides : series, e);
  }
  sqlite3_finalize(st);

  GArray *out = g_array_new(FALSE, FALSE, sizeof(MgMeetingsOccurrence));
  g_array_set_clear_func(out, occurrence_clear);
  for (guint i = 0; i < series->len; i++) {
    MgMeetingsEntry *e = g_ptr_array_index(series, i);
    if (!e->meeting->cancelled)
      add_series(out, overrides, e, from_s, to_s);
  }
  for (guint i = 0; i < overrides->len; i++) {
    MgMeetingsEntry *e = g_ptr_array_index(overrides, i);
    const MgMeeting *m = e->meeting;
    if (m->cancelled || m->start < from_s || m->start >= to_s)
      continue;
    MgMeetingsOccurrence item = { mg_meetings_entry_ref(e), m->start, m->end, m->recurrence_id };
    g_array_append_val(out, item);
  }
  g_array_sort(out, cmp_occurrence);
  return out;
}

gint64
mg_meetings_get_lead(MgStore *store)
{
  return meta_int(mg_store_get_db(store), "meetings.lead_s", MG_MEETINGS_DEFAULT_LEAD_S);
}

gboolean
mg_meetings_room_cancelled_at(MgStore *store, const char *room_id, gint64 now_s)
{
  sqlite3 *db = mg_store_get_db(store);
  gint64 lead = mg_meetings_get_lead(store);
  /* The master row (recurrence id 0) cancelled, or a cancelled occurrence
   * row spanning now; a live occurrence of the same room keeps it. */
  sqlite3_stmt *st = prepare(db,
                             "SELECT"
                             " EXISTS (SELECT 1 FROM meetings WHERE room_id = ?1 AND cancelled = 1 AND"
                             "  (recurrence_id = 0 OR (start_at - ?2 <= ?3 AND ?3 < end_at)))"
                             " AND NOT EXISTS (SELECT 1 FROM meetings WHERE room_id = ?1 AND cancelled = 0 AND"
                             "  recurrence_id != 0 AND start_at - ?2 <= ?3 AND ?3 < end_at)",
                             NULL);
  gboolean cancelled = FALSE;
  if (!st)
    return FALSE;
  sqlite3_bind_text(st, 1, room_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, lead);
  sqlite3_bind_int64(st, 3, now_s);
  if (sqlite3_step(st) == SQLITE_ROW)
    cancelled = sqlite3_column_int(st, 0) != 0;
  sqlite3_finalize(st);
  return cancelled;
}

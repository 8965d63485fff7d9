/* SPDX-License-Identifier: MIT
 * The meetings store: idempotent upserts, SEQUENCE rules, rooms that follow
 * their meeting, cancellations, occurrences in a window. */
#include <string.h>

#include <sqlite3.h>

#include "tests/unit/tmp-store.h"
#include "signaling/meetings.h"
#include "signaling/rooms.h"

#define T0 1767261600 /* 2026-01-01 10:00 UTC */
#define HOUR 3600
#define DAY (24 * HOUR)

typedef struct {
  char *dir;
  char *path;
  MgStore *store;
} Fixture;

static void
setup(Fixture *f, gconstpointer data)
{
  f->store = tmp_store_open("mg-meetings-XXXXXX", &f->dir, &f->path);
}

static void
teardown(Fixture *f, gconstpointer data)
{
  tmp_store_remove(f->store, f->dir, f->path);
}

static MgMeeting *
meeting(const char *external_id, gint64 start, gint64 minutes)
{
  MgMeeting *m = mg_meeting_new();
  m->source = g_strdup("hr");
  m->external_id = g_strdup(external_id);
  m->title = g_strdup("Budget review");
  m->start = start;
  m->end = start + minutes * 60;
  m->policy = g_strdup("lobby");
  m->organizer.id = g_strdup("boss");
  m->organizer.name = g_strdup("Boss");
  MgPerson p = { .id = g_strdup("u1"), .name = g_strdup("Ada"), .role = g_strdup("required") };
  g_array_append_val(m->attendees, p);
  return m;
}

static void
upsert_ok(Fixture *f, const MgMeeting *m, gint64 now, MgMeetingsOutcome want, MgMeetingsResult *r)
{
  g_autoptr(GError) error = NULL;
  g_assert_true(mg_meetings_upsert(f->store, m, now, r, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(mg_meetings_outcome_name(r->outcome), ==, mg_meetings_outcome_name(want));
}

static void
test_idempotent(Fixture *f, gconstpointer data)
{
  g_autoptr(MgMeeting) m = meeting("m1", T0, 60);
  MgMeetingsResult a, b;
  upsert_ok(f, m, T0 - DAY, MG_MEETINGS_CREATED, &a);
  upsert_ok(f, m, T0 - DAY + 5, MG_MEETINGS_UNCHANGED, &b);
  g_assert_cmpstr(a.id, ==, b.id);
  g_assert_cmpstr(a.room_id, ==, b.room_id);
  g_autoptr(MgRoomDef) room = mg_rooms_find(f->store, a.room_id);
  g_assert_cmpstr(room->title, ==, "Budget review");
  g_assert_cmpint(room->policy, ==, MG_POLICY_LOBBY);
  g_assert_cmpint(room->opens_at, ==, T0 - MG_MEETINGS_DEFAULT_LEAD_S);
  g_assert_cmpint(room->closes_at, ==, T0 + HOUR + MG_MEETINGS_DEFAULT_GRACE_S);
  g_assert_true(mg_room_def_is_attendee(room, "u1"));
  g_assert_true(mg_room_def_is_attendee(room, "boss"));
  g_assert_cmpint(mg_meetings_count(f->store, "hr"), ==, 1);
  g_assert_cmpint(mg_meetings_count(f->store, "other"), ==, 0);

  /* The meeting moves: same room and code, new window. */
  g_autoptr(MgMeeting) moved = meeting("m1", T0 + 2 * HOUR, 30);
  MgMeetingsResult c;
  upsert_ok(f, moved, T0 - DAY + 10, MG_MEETINGS_UPDATED, &c);
  g_assert_cmpstr(c.room_id, ==, a.room_id);
  g_autoptr(MgRoomDef) after = mg_rooms_find(f->store, a.room_id);
  g_assert_cmpstr(after->code, ==, room->code);
  g_assert_cmpint(after->opens_at, ==, T0 + 2 * HOUR - MG_MEETINGS_DEFAULT_LEAD_S);
  g_assert_cmpint(after->closes_at, ==, T0 + 2 * HOUR + 30 * 60 + MG_MEETINGS_DEFAULT_GRACE_S);
  g_autoptr(MgMeetingsEntry) e = mg_meetings_get(f->store, a.id);
  g_assert_cmpint(e->meeting->start, ==, T0 + 2 * HOUR);
  g_assert_cmpint(e->created_at, ==, T0 - DAY);
  g_assert_cmpint(e->updated_at, ==, T0 - DAY + 10);
  g_assert_cmpstr(e->meeting->organizer.name, ==, "Boss");
  g_assert_cmpstr(g_array_index(e->meeting->attendees, MgPerson, 0).name, ==, "Ada");
  g_assert_false(e->meeting->record);
  mg_meetings_result_clear(&a);
  mg_meetings_result_clear(&b);
  mg_meetings_result_clear(&c);
}

/* record: true is kept with the meeting (in its content), found by room, and
 * turning it on is a change. */
static void
test_record(Fixture *f, gconstpointer data)
{
  g_autoptr(MgMeeting) m = meeting("m1", T0, 60);
  MgMeetingsResult a, b;
  upsert_ok(f, m, T0 - DAY, MG_MEETINGS_CREATED, &a);
  m->record = TRUE;
  upsert_ok(f, m, T0 - DAY + 5, MG_MEETINGS_UPDATED, &b);
  g_autoptr(MgMeetingsEntry) e = mg_meetings_find_by_room(f->store, a.room_id);
  g_assert_nonnull(e);
  g_assert_true(e->meeting->record);
  mg_meetings_result_clear(&a);
  mg_meetings_result_clear(&b);
}

static void
test_margins(Fixture *f, gconstpointer data)
{
  g_assert_true(mg_meetings_set_margins(f->store, 5 * 60, 0, NULL));
  g_autoptr(MgMeeting) m = meeting("m1", T0, 60);
  MgMeetingsResult r;
  upsert_ok(f, m, T0 - DAY, MG_MEETINGS_CREATED, &r);
  g_autoptr(MgRoomDef) room = mg_rooms_find(f->store, r.room_id);
  g_assert_cmpint(room->opens_at, ==, T0 - 5 * 60);
  g_assert_cmpint(room->closes_at, ==, T0 + HOUR);
  mg_meetings_result_clear(&r);
}

static void
test_sequence(Fixture *f, gconstpointer data)
{
  g_autoptr(MgMeeting) m = meeting("m1", T0, 60);
  m->sequence = 2;
  MgMeetingsResult r;
  upsert_ok(f, m, T0 - DAY, MG_MEETINGS_CREATED, &r);
  mg_meetings_result_clear(&r);

  g_autoptr(GError) error = NULL;
  m->sequence = 1;
  g_free(m->title);
  m->title = g_strdup("An old version");
  g_assert_false(mg_meetings_upsert(f->store, m, T0 - DAY, &r, &error));
  g_assert_error(error, MG_MEETINGS_ERROR, MG_MEETINGS_ERROR_STALE_SEQUENCE);
  g_assert_nonnull(strstr(error->message, "stored sequence 2"));
  g_assert_cmpint(r.stored_sequence, ==, 2);
  mg_meetings_result_clear(&r);

  m->sequence = 2; /* same sequence, new content: accepted (many OAs never bump it) */
  upsert_ok(f, m, T0 - DAY, MG_MEETINGS_UPDATED, &r);
  mg_meetings_result_clear(&r);
  m->sequence = 3;
  upsert_ok(f, m, T0 - DAY, MG_MEETINGS_UPDATED, &r);
  g_assert_cmpint(r.stored_sequence, ==, 3);
  mg_meetings_result_clear(&r);
  g_autoptr(MgMeetingsEntry) e = mg_meetings_find(f->store, "hr", "m1", 0);
  g_assert_cmpstr(e->meeting->title, ==, "An old version");
}

static void
test_invalid(Fixture *f, gconstpointer data)
{
  g_autoptr(MgMeeting) m = meeting("m1", T0, 60);
  MgMeetingsResult r;
  g_autoptr(GError) error = NULL;
  m->end = m->start;
  g_assert_false(mg_meetings_upsert(f->store, m, T0, &r, &error));
  g_assert_error(error, MG_MEETINGS_ERROR, MG_MEETINGS_ERROR_INVALID);
  g_clear_error(&error);
  m->end = m->start + 60;
  g_free(m->policy);
  m->policy = g_strdup("sometimes");
  g_assert_false(mg_meetings_upsert(f->store, m, T0, &r, &error));
  g_assert_error(error, MG_MEETINGS_ERROR, MG_MEETINGS_ERROR_INVALID);
  g_assert_cmpint(mg_meetings_count(f->store, NULL), ==, 0);
}

static guint
count_in(Fixture *f, gint64 from, gint64 to)
{
  g_autoptr(GArray) occ = mg_meetings_list(f->store, "hr", from, to, NULL);
  return occ->len;
}

static void
test_cancel_single(Fixture *f, gconstpointer data)
{
  g_autoptr(MgMeeting) m = meeting("m1", T0, 60);
  MgMeetingsResult r;
  upsert_ok(f, m, T0 - DAY, MG_MEETINGS_CREATED, &r);
  g_assert_cmpuint(count_in(f, T0 - DAY, T0 + DAY), ==, 1);
  g_autoptr(GError) error = NULL;
  g_assert_true(mg_meetings_cancel(f->store, "hr", "m1", 0, T0 - HOUR, &error));
  g_assert_true(mg_meetings_cancel(f->store, "hr", "m1", 0, T0 - HOUR, &error)); /* again: fine */
  g_assert_no_error(error);
  g_assert_cmpuint(count_in(f, T0 - DAY, T0 + DAY), ==, 0);
  g_autoptr(MgRoomDef) room = mg_rooms_find(f->store, r.room_id);
  g_assert_cmpint(room->closes_at, ==, T0 - HOUR); /* links stop working */

  /* The same body again does not bring it back; a higher sequence does. */
  MgMeetingsResult again;
  g_assert_false(mg_meetings_upsert(f->store, m, T0 - HOUR, &again, &error));
  g_assert_error(error, MG_MEETINGS_ERROR, MG_MEETINGS_ERROR_STALE_SEQUENCE);
  g_clear_error(&error);
  mg_meetings_result_clear(&again);
  m->sequence = 1;
  upsert_ok(f, m, T0 - HOUR, MG_MEETINGS_UPDATED, &again);
  g_assert_cmpuint(count_in(f, T0 - DAY, T0 + DAY), ==, 1);
  g_assert_false(mg_meetings_cancel(f->store, "hr", "nope", 0, T0, &error));
  g_assert_error(error, MG_MEETINGS_ERROR, MG_MEETINGS_ERROR_NOT_FOUND);
  mg_meetings_result_clear(&r);
  mg_meetings_result_clear(&again);
}

/* A weekly series written as RDATEs (this works with or without RRULE
 * support): four Thursdays, the second excluded, the third moved an hour
 * later by an override, the fourth cancelled. */
static void
test_list_series(Fixture *f, gconstpointer data)
{
  g_autoptr(MgMeeting) s = meeting("weekly", T0, 30);
  for (int w = 1; w < 4; w++) {
    gint64 t = T0 + w * 7 * DAY;
    g_array_append_val(s->rdates, t);
  }
  gint64 ex = T0 + 7 * DAY;
  g_array_append_val(s->exdates, ex);
  MgMeetingsResult r, o;
  upsert_ok(f, s, T0 - DAY, MG_MEETINGS_CREATED, &r);
  g_autoptr(MgRoomDef) room = mg_rooms_find(f->store, r.room_id);
  g_assert_cmpint(room->opens_at, ==, T0 - MG_MEETINGS_DEFAULT_LEAD_S);
  g_assert_cmpint(room->closes_at, ==, T0 + 21 * DAY + 30 * 60 + MG_MEETINGS_DEFAULT_GRACE_S);

  g_autoptr(MgMeeting) moved = meeting("weekly", T0 + 14 * DAY + HOUR, 30);
  moved->recurrence_id = T0 + 14 * DAY;
  g_free(moved->title);
  moved->title = g_strdup("Budget review (later)");
  upsert_ok(f, moved, T0 - DAY, MG_MEETINGS_CREATED, &o);
  g_assert_cmpstr(o.room_id, ==, r.room_id); /* an override shares its series' room */
  g_assert_true(mg_meetings_cancel(f->store, "hr", "weekly", T0 + 21 * DAY, T0 - DAY, NULL));
  g_autoptr(GError) error = NULL;
  g_assert_false(mg_meetings_cancel(f->store, "hr", "weekly", T0 + 3 * DAY, T0 - DAY, &error));
  g_assert_error(error, MG_MEETINGS_ERROR, MG_MEETINGS_ERROR_NOT_FOUND);

  g_autoptr(GArray) occ = mg_meetings_list(f->store, NULL, T0 - DAY, T0 + 30 * DAY, NULL);
  g_assert_cmpuint(occ->len, ==, 2);
  MgMeetingsOccurrence *a = &g_array_index(occ, MgMeetingsOccurrence, 0);
  MgMeetingsOccurrence *b = &g_array_index(occ, MgMeetingsOccurrence, 1);
  g_assert_cmpint(a->start, ==, T0);
  g_assert_cmpint(a->recurrence_id, ==, T0);
  g_assert_cmpstr(a->entry->id, ==, r.id);
  g_assert_cmpint(b->start, ==, T0 + 14 * DAY + HOUR);
  g_assert_cmpint(b->recurrence_id, ==, T0 + 14 * DAY);
  g_assert_cmpstr(b->entry->meeting->title, ==, "Budget review (later)");

  /* A window holding only the moved occurrence's original time: nothing. */
  g_assert_cmpuint(count_in(f, T0 + 14 * DAY - 60, T0 + 14 * DAY + 60), ==, 0);
  /* Re-sending the series leaves the override and the cancellation alone. */
  MgMeetingsResult again;
  upsert_ok(f, s, T0 - DAY, MG_MEETINGS_UNCHANGED, &again);
  g_assert_cmpuint(count_in(f, T0 - DAY, T0 + 30 * DAY), ==, 2);
  mg_meetings_result_clear(&r);
  mg_meetings_result_clear(&o);
  mg_meetings_result_clear(&again);
}

static gboolean
rrule_supported(void)
{
  g_autoptr(MgMeeting) m = meeting("probe", T0, 30);
  m->rrule = g_strdup("FREQ=WEEKLY;COUNT=2");
  g_autoptr(GArray) occ = mg_meeting_expand(m, T0, T0 + 30 * DAY, 10, NULL);
  return occ != NULL;
}

static void
test_list_rrule(Fixture *f, gconstpointer data)
{
  if (!rrule_supported()) {
    g_test_skip("mg_meeting_expand of this build does not do RRULE");
    return;
  }
  g_autoptr(MgMeeting) s = meeting("weekly", T0, 30);
  s->rrule = g_strdup("FREQ=WEEKLY");
  gint64 ex = T0 + 7 * DAY;
  g_array_append_val(s->exdates, ex);
  MgMeetingsResult r;
  upsert_ok(f, s, T0 - DAY, MG_MEETINGS_CREATED, &r);
  g_assert_true(mg_meetings_cancel(f->store, "hr", "weekly", T0 + 14 * DAY, T0 - DAY, NULL));
  /* Weeks 0..4: week 1 excluded, week 2 cancelled. */
  g_assert_cmpuint(count_in(f, T0 - DAY, T0 + 29 * DAY), ==, 3);
  /* Unbounded: listed far ahead, and its room stays open a horizon ahead. */
  g_assert_cmpuint(count_in(f, T0 + 700 * DAY, T0 + 707 * DAY), ==, 1);
  g_autoptr(MgRoomDef) room = mg_rooms_find(f->store, r.room_id);
  g_assert_cmpint(room->closes_at, >, T0 + 300 * DAY);
  mg_meetings_result_clear(&r);
}

static void
test_durable(Fixture *f, gconstpointer data)
{
  g_autoptr(MgMeeting) m = meeting("m1", T0, 60);
  MgMeetingsResult r;
  upsert_ok(f, m, T0 - DAY, MG_MEETINGS_CREATED, &r);
  mg_store_close(f->store);
  f->store = mg_store_open(f->path, NULL);
  g_autoptr(MgMeetingsEntry) e = mg_meetings_get(f->store, r.id);
  g_assert_nonnull(e);
  g_assert_cmpstr(e->room_id, ==, r.room_id);
  g_assert_null(mg_meetings_get(f->store, "no-such-id"));
  mg_meetings_result_clear(&r);
}

/* A full store (here its page limit, as a full disk would be): the upsert
 * fails with MG_STORE_ERROR_FULL, stores nothing, and works once there is room. */
static void
test_store_full(Fixture *f, gconstpointer data)
{
  sqlite3 *db = mg_store_get_db(f->store);
  g_autoptr(MgMeeting) first = meeting("first", T0, 60);
  MgMeetingsResult r;
  upsert_ok(f, first, T0 - DAY, MG_MEETINGS_CREATED, &r);
  mg_meetings_result_clear(&r);
  g_assert_cmpint(sqlite3_exec(db, "PRAGMA max_page_count = 1", NULL, NULL, NULL), ==, SQLITE_OK);
  gboolean full = FALSE;
  g_autofree char *big = g_strnfill(4000, 'x');
  for (int i = 0; i < 100 && !full; i++) {
    g_autofree char *id = g_strdup_printf("m%d", i);
    g_autoptr(MgMeeting) m = meeting(id, T0 + i * HOUR, 30);
    m->description = g_strdup(big);
    g_autoptr(GError) error = NULL;
    MgMeetingsResult r2 = { 0 };
    if (!mg_meetings_upsert(f->store, m, T0 - DAY, &r2, &error)) {
      g_assert_error(error, MG_STORE_ERROR, MG_STORE_ERROR_FULL);
      g_assert_null(mg_meetings_find(f->store, "hr", id, 0));
      full = TRUE;
    }
    mg_meetings_result_clear(&r2);
  }
  g_assert_true(full);
  g_assert_cmpint(sqlite3_exec(db, "PRAGMA max_page_count = 1073741823", NULL, NULL, NULL), ==, SQLITE_OK);
  g_autoptr(MgMeeting) later = meeting("later", T0, 60);
  later->description = g_strdup(big);
  upsert_ok(f, later, T0 - DAY, MG_MEETINGS_CREATED, &r);
  mg_meetings_result_clear(&r);
}

/* Which live rooms a cancellation closes: a cancelled meeting's room, and a
 * series' room while a cancelled occurrence (from its lead time to its end)
 * is current; not the series' room at another time. */
static void
test_room_cancelled(Fixture *f, gconstpointer data)
{
  g_autoptr(MgMeeting) single = meeting("one", T0, 60);
  g_autoptr(MgMeeting) s = meeting("weekly", T0, 30);
  gint64 t = T0 + 7 * DAY;
  g_array_append_val(s->rdates, t);
  MgMeetingsResult a, b;
  upsert_ok(f, single, T0 - DAY, MG_MEETINGS_CREATED, &a);
  upsert_ok(f, s, T0 - DAY, MG_MEETINGS_CREATED, &b);
  g_assert_false(mg_meetings_room_cancelled_at(f->store, a.room_id, T0));
  g_assert_false(mg_meetings_room_cancelled_at(f->store, b.room_id, T0));
  g_assert_false(mg_meetings_room_cancelled_at(f->store, "no-such-room", T0));

  g_assert_true(mg_meetings_cancel(f->store, "hr", "one", 0, T0 + 10, NULL));
  g_assert_true(mg_meetings_room_cancelled_at(f->store, a.room_id, T0 + 10));

  g_assert_true(mg_meetings_cancel(f->store, "hr", "weekly", T0, T0 + 10, NULL));
  g_assert_true(mg_meetings_room_cancelled_at(f->store, b.room_id, T0 + 10));
  g_assert_true(mg_meetings_room_cancelled_at(f->store, b.room_id, T0 - MG_MEETINGS_DEFAULT_LEAD_S));
  g_assert_false(mg_meetings_room_cancelled_at(f->store, b.room_id, T0 + 30 * 60)); /* it would have ended */
  g_assert_false(mg_meetings_room_cancelled_at(f->store, b.room_id, t));            /* next week's is on */
  mg_meetings_result_clear(&a);
  mg_meetings_result_clear(&b);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/meetings/idempotent", Fixture, NULL, setup, test_idempotent, teardown);
  g_test_add("/meetings/record", Fixture, NULL, setup, test_record, teardown);
  g_test_add("/meetings/margins", Fixture, NULL, setup, test_margins, teardown);
  g_test_add("/meetings/sequence", Fixture, NULL, setup, test_sequence, teardown);
  g_test_add("/meetings/store-full", Fixture, NULL, setup, test_store_full, teardown);
  g_test_add("/meetings/invalid", Fixture, NULL, setup, test_invalid, teardown);
  g_test_add("/meetings/cancel-single", Fixture, NULL, setup, test_cancel_single, teardown);
  g_test_add("/meetings/list-series", Fixture, NULL, setup, test_list_series, teardown);
  g_test_add("/meetings/list-rrule", Fixture, NULL, setup, test_list_rrule, teardown);
  g_test_add("/meetings/room-cancelled", Fixture, NULL, setup, test_room_cancelled, teardown);
  g_test_add("/meetings/durable", Fixture, NULL, setup, test_durable, teardown);
  return g_test_run();
}

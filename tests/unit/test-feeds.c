/* SPDX-License-Identifier: MIT
 * Tests for subscribed calendars: the calendars table and the apply step of
 * a sync, on hand-built fetches (tests/integration/test_caldav.py runs the
 * HTTP against a real Radicale). */
#include "tests/unit/tmp-store.h"
#include "signaling/feeds.h"

#include <string.h>

#include "signaling/meetings.h"

#define NOW 1772409600 /* 2026-03-02T00:00:00Z */

typedef struct {
  char *dir;
  char *path;
  MgStore *store;
  char *id;
} Fixture;

static void
setup(Fixture *f, gconstpointer data)
{
  f->store = tmp_store_open("mg-feeds-XXXXXX", &f->dir, &f->path);
  g_autoptr(GError) error = NULL;
  MgFeedsCalendar in = { .url = "http://127.0.0.1:1/alice/work/",
                         .kind = GPOINTER_TO_INT(data),
                         .username = "alice",
                         .password = "s3cret",
                         .interval_s = 60,
                         .source = "cal" };
  g_autoptr(MgFeedsCalendar) c = mg_feeds_add(f->store, &in, NOW, &error);
  g_assert_no_error(error);
  f->id = g_strdup(c->id);
}

static void
teardown(Fixture *f, gconstpointer data)
{
  tmp_store_remove(f->store, f->dir, f->path);
  g_free(f->id);
}

static char *
vevent(const char *uid, const char *summary, const char *start)
{
  return g_strdup_printf("BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20260301T000000Z\r\nDTSTART:%s\r\n"
                         "DURATION:PT1H\r\nSUMMARY:%s\r\nEND:VEVENT\r\n",
                         uid, start, summary);
}

static char *
vcalendar(const char *events)
{
  return g_strdup_printf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n%sEND:VCALENDAR\r\n", events);
}

/* A multistatus member with its calendar-data (escaped for XML). */
static char *
member(const char *href, const char *etag, const char *uid, const char *summary, const char *start)
{
  g_autofree char *ev = vevent(uid, summary, start);
  g_autofree char *cal = vcalendar(ev);
  g_autofree char *esc = g_markup_escape_text(cal, -1);
  return g_strdup_printf("<response><href>%s</href><propstat><prop><getetag>%s</getetag>"
                         "<C:calendar-data>%s</C:calendar-data></prop><status>HTTP/1.1 200 OK</status></propstat>"
                         "</response>",
                         href, etag, esc);
}

static char *
multistatus(const char *body, const char *token)
{
  return g_strdup_printf("<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">%s"
                         "%s%s%s</multistatus>",
                         body, token ? "<sync-token>" : "", token ? token : "", token ? "</sync-token>" : "");
}

static void
apply_caldav(Fixture *f, const char *xml, gboolean sync, gboolean complete, MgFeedsCounts *counts)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MgFeedsFetch) fetch = mg_feeds_fetch_new_caldav(xml, sync, complete, NOW - 86400, NOW + 90 * 86400, &error);
  g_assert_no_error(error);
  g_assert_true(mg_feeds_apply(f->store, f->id, fetch, NOW, counts, &error));
  g_assert_no_error(error);
}

static gboolean
cancelled(Fixture *f, const char *uid)
{
  g_autoptr(MgMeetingsEntry) e = mg_meetings_find(f->store, "cal", uid, 0);
  g_assert_nonnull(e);
  return e->meeting->cancelled;
}

static void
test_add_validates(Fixture *f, gconstpointer data)
{
  MgFeedsCalendar bad[] = {
    { .url = "ftp://x/", .interval_s = 60, .source = "s" },
    { .url = "http://x/", .interval_s = 29, .source = "s" },
    { .url = "http://x/", .interval_s = 60, .source = "" },
    { .url = "http://x/", .interval_s = 60, .source = "s", .password = "p" },
    { .url = "http://u:p@x/", .interval_s = 60, .source = "s" },
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(GError) error = NULL;
    g_assert_null(mg_feeds_add(f->store, &bad[i], NOW, &error));
    g_assert_error(error, MG_FEEDS_ERROR, MG_FEEDS_ERROR_INVALID);
  }
  g_autoptr(GPtrArray) all = mg_feeds_list(f->store, NULL);
  g_assert_cmpuint(all->len, ==, 1);
  const MgFeedsCalendar *c = g_ptr_array_index(all, 0);
  g_assert_cmpstr(c->password, ==, "s3cret");
  g_assert_cmpint(c->kind, ==, MG_FEEDS_CALDAV);
  g_autoptr(GError) error = NULL;
  g_assert_true(mg_feeds_remove(f->store, f->id, &error));
  g_assert_false(mg_feeds_remove(f->store, f->id, &error));
  g_assert_error(error, MG_FEEDS_ERROR, MG_FEEDS_ERROR_NOT_FOUND);
}

static void
test_sync_collection(Fixture *f, gconstpointer data)
{
  g_autofree char *a = member("/alice/work/a.ics", "\"1\"", "uid-a", "Standup", "20260303T010000Z");
  g_autofree char *b = member("/alice/work/b.ics", "\"1\"", "uid-b", "Review", "20260304T010000Z");
  g_autofree char *both = g_strconcat(a, b, NULL);
  g_autofree char *first = multistatus(both, "tok-1");
  MgFeedsCounts n;
  apply_caldav(f, first, TRUE, TRUE, &n);
  g_assert_cmpstr(n.mode, ==, "sync-collection");
  g_assert_cmpuint(n.fetched, ==, 2);
  g_assert_cmpuint(n.created, ==, 2);
  g_autoptr(MgFeedsCalendar) c = mg_feeds_get(f->store, f->id);
  g_assert_cmpstr(c->sync_token, ==, "tok-1");
  g_assert_cmpint(c->last_sync_at, ==, NOW);

  /* a edited and moved, b removed. */
  g_autofree char *a2 = member("/alice/work/a.ics", "\"2\"", "uid-a", "Standup (moved)", "20260303T020000Z");
  g_autofree char *gone = g_strconcat(a2,
                                      "<response><href>/alice/work/b.ics</href>"
                                      "<status>HTTP/1.1 404 Not Found</status></response>",
                                      NULL);
  g_autofree char *second = multistatus(gone, "tok-2");
  apply_caldav(f, second, TRUE, FALSE, &n);
  g_assert_cmpuint(n.updated, ==, 1);
  g_assert_cmpuint(n.cancelled, ==, 1);
  g_autoptr(MgMeetingsEntry) e = mg_meetings_find(f->store, "cal", "uid-a", 0);
  g_assert_cmpstr(e->meeting->title, ==, "Standup (moved)");
  g_assert_cmpint(e->meeting->start, ==, NOW + 26 * 3600);
  g_assert_true(cancelled(f, "uid-b"));
  g_assert_cmpint(mg_meetings_count(f->store, "cal"), ==, 2);

  /* The same ETag again changes nothing. */
  g_autofree char *third = multistatus(a2, "tok-3");
  apply_caldav(f, third, TRUE, FALSE, &n);
  g_assert_cmpuint(n.created + n.updated + n.unchanged + n.cancelled, ==, 0);
}

static void
test_calendar_query_window(Fixture *f, gconstpointer data)
{
  g_autofree char *a = member("/c/a.ics", "\"1\"", "uid-a", "Soon", "20260303T010000Z");
  g_autofree char *far = member("/c/far.ics", "\"1\"", "uid-far", "Far away", "20261201T010000Z");
  g_autofree char *both = g_strconcat(a, far, NULL);
  g_autofree char *first = multistatus(both, "tok-1");
  MgFeedsCounts n;
  apply_caldav(f, first, TRUE, TRUE, &n);
  g_assert_cmpuint(n.created, ==, 2);
  /* The query lists neither: a is gone, far is only outside the window. */
  g_autofree char *empty = multistatus("", NULL);
  apply_caldav(f, empty, FALSE, TRUE, &n);
  g_assert_cmpstr(n.mode, ==, "calendar-query");
  g_assert_cmpuint(n.cancelled, ==, 1);
  g_assert_true(cancelled(f, "uid-a"));
  g_assert_false(cancelled(f, "uid-far"));
  g_autoptr(MgFeedsCalendar) c = mg_feeds_get(f->store, f->id);
  g_assert_null(c->sync_token);
}

static void
apply_ics(Fixture *f, const char *events, MgFeedsCounts *n)
{
  g_autofree char *text = vcalendar(events);
  g_autoptr(MgFeedsFetch) fetch = mg_feeds_fetch_new_ics(text);
  g_autoptr(GError) error = NULL;
  g_assert_true(mg_feeds_apply(f->store, f->id, fetch, NOW, n, &error));
  g_assert_no_error(error);
}

static void
test_ics(Fixture *f, gconstpointer data)
{
  g_autofree char *a = vevent("uid-a", "One", "20260303T010000Z");
  g_autofree char *b = vevent("uid-b", "Two", "20260304T010000Z");
  g_autofree char *both = g_strconcat(a, b, NULL);
  MgFeedsCounts n;
  apply_ics(f, both, &n);
  g_assert_cmpstr(n.mode, ==, "ics");
  g_assert_cmpuint(n.created, ==, 2);
  apply_ics(f, both, &n);
  g_assert_cmpuint(n.unchanged, ==, 2);
  g_assert_cmpuint(n.cancelled, ==, 0);
  apply_ics(f, a, &n);
  g_assert_cmpuint(n.cancelled, ==, 1);
  g_assert_true(cancelled(f, "uid-b"));
  g_assert_false(cancelled(f, "uid-a"));
  g_assert_cmpint(mg_meetings_count(f->store, "cal"), ==, 2);
}

typedef struct {
  Fixture *f;
  gboolean done;
} Wait;

static void
on_synced(GObject *source, GAsyncResult *res, gpointer data)
{
  Wait *w = data;
  MgFeedsCounts n;
  g_autoptr(GError) error = NULL;
  g_assert_false(mg_feeds_sync_finish(w->f->store, res, &n, &error));
  g_assert_nonnull(error);
  w->done = TRUE;
}

static void
test_sync_records_error(Fixture *f, gconstpointer data)
{
  /* Port 1 on loopback refuses: the error lands on the calendar. */
  GMainContext *ctx = g_main_context_default();
  Wait w = { f, FALSE };
  mg_feeds_sync(f->store, f->id, NOW, NULL, on_synced, &w);
  while (!w.done)
    g_main_context_iteration(ctx, TRUE);
  g_autoptr(MgFeedsCalendar) c = mg_feeds_get(f->store, f->id);
  g_assert_nonnull(c->last_error);
  g_assert_null(strstr(c->last_error, "s3cret"));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/feeds/add-validates", Fixture, GINT_TO_POINTER(MG_FEEDS_CALDAV), setup, test_add_validates, teardown);
  g_test_add("/feeds/sync-collection", Fixture, GINT_TO_POINTER(MG_FEEDS_CALDAV), setup, test_sync_collection,
             teardown);
  g_test_add("/feeds/calendar-query-window", Fixture, GINT_TO_POINTER(MG_FEEDS_CALDAV), setup,
             test_calendar_query_window, teardown);
  g_test_add("/feeds/ics", Fixture, GINT_TO_POINTER(MG_FEEDS_ICS), setup, test_ics, teardown);
  g_test_add("/feeds/sync-records-error", Fixture, GINT_TO_POINTER(MG_FEEDS_CALDAV), setup, test_sync_records_error,
             teardown);
  return g_test_run();
}

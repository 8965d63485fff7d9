/* SPDX-License-Identifier: MIT
 * Tests for the CalDAV REPORT bodies and the multistatus parser, on
 * responses recorded from Radicale 3.1 and written as RFC 6578/4791 show. */
#include "signaling/caldav.h"

#include <string.h>

/* Radicale's answer to a sync-collection: one changed member, one removed. */
static const char sync_response[] =
    "<?xml version='1.0' encoding='utf-8'?>\n"
    "<multistatus xmlns=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">"
    "<response><href>/alice/work/ev1.ics</href><propstat><prop>"
    "<getetag>\"a1b2\"</getetag><C:calendar-data>BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n</C:calendar-data>"
    "</prop><status>HTTP/1.1 200 OK</status></propstat></response>"
    "<response><href>/alice/work/gone.ics</href><status>HTTP/1.1 404 Not Found</status></response>"
    "<sync-token>http://radicale.org/ns/sync/abc123</sync-token>"
    "</multistatus>";

/* A calendar-query answer with a prefixed namespace, a 404 propstat for a
 * property the server lacks, and an ETag only. */
static const char query_response[] =
    "<D:multistatus xmlns:D=\"DAV:\" xmlns:cal=\"urn:ietf:params:xml:ns:caldav\">\n"
    "  <D:response>\n"
    "    <D:href>/cal/a%40b.ics</D:href>\n"
    "    <D:propstat><D:prop><cal:calendar-data/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>\n"
    "    <D:propstat><D:prop><D:getetag>W/\"7\"</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>\n"
    "  </D:response>\n"
    "</D:multistatus>\n";

static void
test_sync_body(void)
{
  g_autofree char *b = mg_caldav_sync_collection_body("http://x/sync/<1>&");
  g_assert_nonnull(strstr(b, "<D:sync-collection xmlns:D=\"DAV:\""));
  g_assert_nonnull(strstr(b, "<D:sync-token>http://x/sync/&lt;1&gt;&amp;</D:sync-token>"));
  g_assert_nonnull(strstr(b, "<D:sync-level>1</D:sync-level>"));
  g_assert_nonnull(strstr(b, "<C:calendar-data/>"));
  g_autofree char *initial = mg_caldav_sync_collection_body(NULL);
  g_assert_nonnull(strstr(initial, "<D:sync-token></D:sync-token>"));
}

static void
test_query_body(void)
{
  g_autofree char *b = mg_caldav_calendar_query_body(1772409600, 1772496000, TRUE);
  g_assert_nonnull(strstr(b, "<C:calendar-query"));
  g_assert_nonnull(strstr(b, "<C:comp-filter name=\"VEVENT\">"));
  g_assert_nonnull(strstr(b, "<C:time-range start=\"20260302T000000Z\" end=\"20260303T000000Z\"/>"));
  g_assert_nonnull(strstr(b, "<C:calendar-data/>"));
  g_autofree char *etags = mg_caldav_calendar_query_body(0, 86400, FALSE);
  g_assert_null(strstr(etags, "calendar-data"));
}

static void
test_parse_sync(void)
{
  g_auto(MgCaldavMultistatus) ms = { 0 };
  g_autoptr(GError) error = NULL;
  g_assert_true(mg_caldav_parse_multistatus(sync_response, strlen(sync_response), &ms, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(ms.sync_token, ==, "http://radicale.org/ns/sync/abc123");
  g_assert_cmpuint(ms.items->len, ==, 2);
  const MgCaldavItem *a = &g_array_index(ms.items, MgCaldavItem, 0);
  g_assert_cmpstr(a->href, ==, "/alice/work/ev1.ics");
  g_assert_cmpstr(a->etag, ==, "\"a1b2\"");
  g_assert_cmpuint(a->status, ==, 200);
  g_assert_true(g_str_has_prefix(a->calendar_data, "BEGIN:VCALENDAR"));
  const MgCaldavItem *b = &g_array_index(ms.items, MgCaldavItem, 1);
  g_assert_cmpstr(b->href, ==, "/alice/work/gone.ics");
  g_assert_cmpuint(b->status, ==, 404);
  g_assert_null(b->etag);
  g_assert_null(b->calendar_data);
}

static void
test_parse_query(void)
{
  g_auto(MgCaldavMultistatus) ms = { 0 };
  g_assert_true(mg_caldav_parse_multistatus(query_response, strlen(query_response), &ms, NULL));
  g_assert_null(ms.sync_token);
  g_assert_cmpuint(ms.items->len, ==, 1);
  const MgCaldavItem *a = &g_array_index(ms.items, MgCaldavItem, 0);
  g_assert_cmpstr(a->href, ==, "/cal/a%40b.ics");
  g_assert_cmpstr(a->etag, ==, "W/\"7\"");
  g_assert_cmpuint(a->status, ==, 200);
  g_assert_null(a->calendar_data);
}

static void
test_parse_malformed(void)
{
  const char *bad[] = {
    "",
    "<multistatus xmlns=\"DAV:\"><response>",
    "not xml at all",
    "<multistatus><response/></multistatus>",                    /* no DAV: namespace */
    "<D:error xmlns:D=\"DAV:\"><D:valid-sync-token/></D:error>", /* an error body, not a multistatus */
  };
  for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_auto(MgCaldavMultistatus) ms = { 0 };
    g_autoptr(GError) error = NULL;
    g_assert_false(mg_caldav_parse_multistatus(bad[i], strlen(bad[i]), &ms, &error));
    g_assert_error(error, MG_CALDAV_ERROR, MG_CALDAV_ERROR_MALFORMED);
    g_assert_nonnull(ms.items);
  }
}

static void
test_parse_entities_not_expanded(void)
{
  const char xxe[] = "<?xml version=\"1.0\"?>\n"
                     "<!DOCTYPE m [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
                     "<multistatus xmlns=\"DAV:\"><response><href>&x;</href>"
                     "<status>HTTP/1.1 404 Not Found</status></response></multistatus>";
  g_auto(MgCaldavMultistatus) ms = { 0 };
  if (mg_caldav_parse_multistatus(xxe, strlen(xxe), &ms, NULL))
    for (guint i = 0; i < ms.items->len; i++)
      g_assert_null(strstr(g_array_index(ms.items, MgCaldavItem, i).href, "root:"));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/caldav/sync-body", test_sync_body);
  g_test_add_func("/caldav/query-body", test_query_body);
  g_test_add_func("/caldav/parse-sync", test_parse_sync);
  g_test_add_func("/caldav/parse-query", test_parse_query);
  g_test_add_func("/caldav/parse-malformed", test_parse_malformed);
  g_test_add_func("/caldav/parse-entities", test_parse_entities_not_expanded);
  return g_test_run();
}

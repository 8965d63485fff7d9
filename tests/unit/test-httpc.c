/* SPDX-License-Identifier: MIT
 * The async HTTP client against a loopback receiver with canned answers:
 * 200, 500, 429 + Retry-After, a slow answer past the timeout, a refused
 * connection, cancellation, a capped body, no redirects. */
#include "loopback-httpd.h"
#include "signaling/httpc.h"

typedef struct {
  gboolean done;
  int calls;
  int status;
  char *error;
  char *body;
  gsize body_len;
  gboolean truncated;
  gint64 retry_after;
  char *location;
} Result;

static void
on_done(guint64 id, const MgHttpcResponse *r, gpointer data)
{
  (void)id;
  Result *res = data;
  res->done = TRUE;
  res->calls++;
  res->status = r->status;
  res->error = g_strdup(r->error);
  res->body = g_strdup(r->body);
  res->body_len = r->body_len;
  res->truncated = r->truncated;
  res->retry_after = r->retry_after_s;
  res->location = g_strdup(r->location);
}

static void
result_clear(Result *r)
{
  g_free(r->error);
  g_free(r->body);
  g_free(r->location);
  *r = (Result){ 0 };
}

static void
wait_for(gboolean *flag)
{
  while (!*flag)
    g_main_context_iteration(NULL, TRUE);
}

static void
post(MgHttpc *c, const char *url, GPtrArray *headers, const char *body, guint timeout_ms, Result *res)
{
  result_clear(res);
  mg_httpc_post(c, url, headers, body, timeout_ms, on_done, res);
  wait_for(&res->done);
  g_assert_cmpint(res->calls, ==, 1);
}

static void
test_answers(void)
{
  Loopback *lb = loopback_new(200, "fallback");
  g_autoptr(MgHttpc) c = mg_httpc_new(NULL);
  g_autofree char *url = loopback_url(lb, "/hook?key=1");
  g_autoptr(GPtrArray) headers = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(headers, g_strdup("Content-Type: application/json"));
  g_ptr_array_add(headers, g_strdup("X-Meetgate-Idempotency-Key: k-1"));
  Result res = { 0 };

  loopback_push(lb, 200, NULL, "{\"errcode\":0}", 0);
  post(c, url, headers, "{\"a\":1}", 5000, &res);
  g_assert_cmpint(res.status, ==, 200);
  g_assert_null(res.error);
  g_assert_cmpstr(res.body, ==, "{\"errcode\":0}");
  g_assert_cmpint(res.retry_after, ==, -1);
  LoopArrival *a = loopback_arrival(lb, 0);
  g_assert_cmpstr(a->path, ==, "/hook?key=1");
  g_assert_cmpstr(a->body, ==, "{\"a\":1}");
  g_assert_true(g_str_has_prefix(a->headers, "POST "));
  g_assert_nonnull(strstr(a->headers, "\r\nX-Meetgate-Idempotency-Key: k-1\r\n"));
  g_assert_nonnull(strstr(a->headers, "\r\nContent-Type: application/json\r\n"));
  g_assert_null(strstr(a->headers, "Expect:"));

  loopback_push(lb, 500, NULL, "oops", 0);
  post(c, url, NULL, "x", 5000, &res);
  g_assert_cmpint(res.status, ==, 500);
  g_assert_cmpstr(res.body, ==, "oops");

  loopback_push(lb, 429, "Retry-After: 7\r\n", "slow down", 0);
  post(c, url, NULL, "x", 5000, &res);
  g_assert_cmpint(res.status, ==, 429);
  g_assert_cmpint(res.retry_after, ==, 7);

  /* An HTTP-date counts from the answer's own Date. */
  loopback_push(lb, 503, "Date: Wed, 21 Oct 2026 07:28:00 GMT\r\nRetry-After: Wed, 21 Oct 2026 07:30:00 GMT\r\n", "",
                0);
  post(c, url, NULL, "x", 5000, &res);
  g_assert_cmpint(res.status, ==, 503);
  g_assert_cmpint(res.retry_after, ==, 120);

  /* Redirects are answers, not followed. */
  loopback_push(lb, 302, "Location: http://127.0.0.1:1/elsewhere\r\n", "", 0);
  post(c, url, NULL, "x", 5000, &res);
  g_assert_cmpint(res.status, ==, 302);
  g_assert_cmpuint(loopback_count(lb), ==, 5);
  result_clear(&res);
  loopback_free(lb);
}

static void
test_big_body(void)
{
  char *big = g_malloc(MG_HTTPC_BODY_MAX + 1001);
  memset(big, 'x', MG_HTTPC_BODY_MAX + 1000);
  big[MG_HTTPC_BODY_MAX + 1000] = 0;
  Loopback *lb = loopback_new(200, big);
  g_free(big);
  g_autoptr(MgHttpc) c = mg_httpc_new(NULL);
  g_autofree char *url = loopback_url(lb, "/");
  Result res = { 0 };
  post(c, url, NULL, "x", 5000, &res);
  g_assert_cmpint(res.status, ==, 200);
  g_assert_cmpuint(res.body_len, ==, MG_HTTPC_BODY_MAX);
  g_assert_cmpuint(strlen(res.body), ==, MG_HTTPC_BODY_MAX);
  g_assert_true(res.truncated);
  result_clear(&res);
  loopback_free(lb);
}

static void
test_timeout(void)
{
  Loopback *lb = loopback_new(200, "ok");
  loopback_push(lb, 200, NULL, "late", 1500);
  g_autoptr(MgHttpc) c = mg_httpc_new(NULL);
  g_autofree char *url = loopback_url(lb, "/slow");
  Result res = { 0 };
  post(c, url, NULL, "x", 200, &res);
  g_assert_cmpint(res.status, ==, 0);
  g_assert_nonnull(res.error);
  g_assert_nonnull(strstr(res.error, "imeout") ? res.error : strstr(res.error, "timed out"));
  g_assert_cmpuint(mg_httpc_running(c), ==, 0);
  result_clear(&res);
  loopback_free(lb);
}

static void
test_refused(void)
{
  g_autoptr(MgHttpc) c = mg_httpc_new(NULL);
  g_autofree char *url = g_strdup_printf("http://127.0.0.1:%u/", loopback_closed_port());
  Result res = { 0 };
  post(c, url, NULL, "x", 5000, &res);
  g_assert_cmpint(res.status, ==, 0);
  g_assert_nonnull(res.error);
  /* Other schemes are refused by curl, through the callback too. */
  post(c, "file:///etc/passwd", NULL, "x", 5000, &res);
  g_assert_cmpint(res.status, ==, 0);
  g_assert_nonnull(res.error);
  g_assert_null(strstr(res.body, "root:"));
  post(c, "gopher://127.0.0.1/", NULL, "x", 5000, &res);
  g_assert_cmpint(res.status, ==, 0);
  result_clear(&res);
}

static gboolean
quit_soon(gpointer data)
{
  *(gboolean *)data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
test_cancel(void)
{
  Loopback *lb = loopback_new(200, "ok");
  loopback_push(lb, 200, NULL, "late", 300);
  loopback_push(lb, 200, NULL, "late", 300);
  MgHttpc *c = mg_httpc_new(NULL);
  g_autofree char *url = loopback_url(lb, "/");
  Result res = { 0 }, res2 = { 0 };
  guint64 id = mg_httpc_post(c, url, NULL, "x", 5000, on_done, &res);
  mg_httpc_post(c, url, NULL, "y", 5000, on_done, &res2);
  g_assert_cmpuint(mg_httpc_running(c), ==, 2);
  g_assert_true(mg_httpc_cancel(c, id));
  g_assert_false(mg_httpc_cancel(c, id));
  g_assert_cmpuint(mg_httpc_running(c), ==, 1);
  /* Freeing the client with one running request: no callback afterwards. */
  gboolean later = FALSE;
  g_timeout_add(50, quit_soon, &later);
  wait_for(&later);
  mg_httpc_free(c);
  later = FALSE;
  g_timeout_add(600, quit_soon, &later);
  wait_for(&later);
  g_assert_cmpint(res.calls, ==, 0);
  g_assert_cmpint(res2.calls, ==, 0);
  loopback_free(lb);
}

/* WHIP's exchange: POST answered 201 with a Location, then DELETE of it with no body. */
static void
test_location_and_delete(void)
{
  Loopback *lb = loopback_new(200, "fallback");
  g_autoptr(MgHttpc) c = mg_httpc_new(NULL);
  g_autofree char *url = loopback_url(lb, "/whip/room");
  Result res = { 0 };
  loopback_push(lb, 201, "Location: /whip/room/abc\r\n", "v=0\r\n", 0);
  post(c, url, NULL, "offer", 5000, &res);
  g_assert_cmpint(res.status, ==, 201);
  g_assert_cmpstr(res.location, ==, "/whip/room/abc");
  g_assert_cmpstr(res.body, ==, "v=0\r\n");

  result_clear(&res);
  g_autofree char *resource = loopback_url(lb, "/whip/room/abc");
  mg_httpc_request(c, "DELETE", resource, NULL, NULL, 5000, on_done, &res);
  wait_for(&res.done);
  g_assert_cmpint(res.status, ==, 200);
  g_assert_null(res.location);
  LoopArrival *a = loopback_arrival(lb, 1);
  g_assert_true(g_str_has_prefix(a->headers, "DELETE /whip/room/abc "));
  g_assert_cmpstr(a->body, ==, "");
  result_clear(&res);
  loopback_free(lb);
}

static void
test_retry_after(void)
{
  gint64 now = 1792567680; /* Wed, 21 Oct 2026 07:28:00 GMT */
  g_assert_cmpint(mg_httpc_parse_retry_after("120", now), ==, 120);
  g_assert_cmpint(mg_httpc_parse_retry_after("0", now), ==, 0);
  g_assert_cmpint(mg_httpc_parse_retry_after("Wed, 21 Oct 2026 07:30:00 GMT", now), ==, 120);
  g_assert_cmpint(mg_httpc_parse_retry_after("Wed, 21 Oct 2026 07:00:00 GMT", now), ==, 0);
  g_assert_cmpint(mg_httpc_parse_retry_after("99999999999999999999", now), ==, G_MAXINT32);
  g_assert_cmpint(mg_httpc_parse_retry_after("", now), ==, -1);
  g_assert_cmpint(mg_httpc_parse_retry_after(NULL, now), ==, -1);
  g_assert_cmpint(mg_httpc_parse_retry_after("soon", now), ==, -1);
  g_assert_cmpint(mg_httpc_parse_retry_after("-5", now), ==, -1);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/httpc/answers", test_answers);
  g_test_add_func("/httpc/big-body", test_big_body);
  g_test_add_func("/httpc/timeout", test_timeout);
  g_test_add_func("/httpc/refused", test_refused);
  g_test_add_func("/httpc/cancel", test_cancel);
  g_test_add_func("/httpc/retry-after", test_retry_after);
  g_test_add_func("/httpc/location-and-delete", test_location_and_delete);
  return g_test_run();
}

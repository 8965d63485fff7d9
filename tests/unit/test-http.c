/* SPDX-License-Identifier: MIT
 * The HTTP server in-process: the loop runs on this thread, a client thread
 * speaks raw HTTP/1.1 over a socket. */
#include <gio/gio.h>
#include <string.h>

#include "gateway/http.h"

typedef struct {
  GMainLoop *loop;
  MgHttpServer *server;
  guint16 port;
  GThread *client;
  void (*body)(gpointer);
} Fixture;

static void
on_echo(MgHttpRequest *req, gpointer data)
{
  g_autoptr(GBytes) body = mg_http_request_get_body(req);
  const char *q = mg_http_request_get_query(req, "q");
  const char *sig = mg_http_request_get_header(req, "x-meetgate-signature");
  mg_http_request_add_header(req, "x-echo-query", q ? q : "-");
  mg_http_request_add_header(req, "x-echo-sig", sig ? sig : "-");
  mg_http_request_respond(req, 200, "text/plain", body);
}

static gboolean
answer_later(gpointer p)
{
  MgHttpRequest *req = p;
  mg_http_request_respond_json(req, 202, json_pack("{s:s}", "later", mg_http_request_get_tail(req)));
  mg_http_request_unref(req);
  return G_SOURCE_REMOVE;
}

static void
on_async(MgHttpRequest *req, gpointer data)
{
  g_timeout_add(50, answer_later, mg_http_request_ref(req));
}

static void
on_big(MgHttpRequest *req, gpointer data)
{
  gsize n = 200000;
  char *big = g_malloc(n);
  for (gsize i = 0; i < n; i++)
    big[i] = 'a' + i % 26;
  g_autoptr(GBytes) body = g_bytes_new_take(big, n);
  mg_http_request_respond(req, 200, "text/plain", body);
}

static const MgHttpRoute routes[] = {
  { "POST", "/echo", MG_HTTP_EXACT, on_echo },
  { "PATCH", "/echo", MG_HTTP_EXACT, on_echo },
  { "GET", "/async/", MG_HTTP_PREFIX, on_async },
  { "GET", "/big", MG_HTTP_EXACT, on_big },
};

/* Sends raw request bytes, returns everything read until the server closes or
 * a full response (by Content-Length) arrived. */
static char *
roundtrip(guint16 port, const char *raw, gsize raw_len)
{
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host(client, "127.0.0.1", port, NULL, NULL);
  g_assert_nonnull(conn);
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
  GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
  g_output_stream_write_all(out, raw, raw_len, NULL, NULL, NULL);
  GString *resp = g_string_new(NULL);
  char buf[65536];
  for (;;) {
    gssize n = g_input_stream_read(in, buf, sizeof buf, NULL, NULL);
    if (n <= 0)
      break;
    g_string_append_len(resp, buf, n);
    const char *hend = strstr(resp->str, "\r\n\r\n");
    const char *cl = hend ? strcasestr(resp->str, "content-length: ") : NULL;
    if (cl && cl < hend && resp->len >= (gsize)(hend + 4 - resp->str) + g_ascii_strtoull(cl + 16, NULL, 10))
      break;
  }
  return g_string_free(resp, FALSE);
}

static char *
request(guint16 port, const char *raw)
{
  return roundtrip(port, raw, strlen(raw));
}

static void
expect(const char *resp, const char *status, const char *needle)
{
  if (!g_str_has_prefix(resp, status) || (needle && !strstr(resp, needle)))
    g_error("expected '%s' with '%s', got:\n%s", status, needle ? needle : "", resp);
}

static gpointer
client_main(gpointer p)
{
  Fixture *f = p;
  f->body(f);
  g_main_loop_quit(f->loop);
  return NULL;
}

static void
run_with_server(void (*body)(gpointer), gsize max_body)
{
  Fixture f = { .loop = g_main_loop_new(NULL, FALSE), .body = body };
  MgHttpSettings s = { .host = "127.0.0.1",
                       .port = 0,
                       .max_body = max_body,
                       .max_header = 4096,
                       .max_ws_message = 4096,
                       .idle_timeout_s = 5 };
  g_autoptr(GError) error = NULL;
  f.server = mg_http_server_new(f.loop, &s, &error);
  g_assert_no_error(error);
  mg_http_server_add_routes(f.server, routes, G_N_ELEMENTS(routes), NULL);
  f.port = mg_http_server_get_port(f.server);
  g_assert_cmpuint(f.port, >, 0);
  f.client = g_thread_new("client", client_main, &f);
  g_main_loop_run(f.loop);
  g_thread_join(f.client);
  mg_http_server_free(f.server);
  g_main_loop_unref(f.loop);
}

static void
routes_body(gpointer p)
{
  Fixture *f = p;
  g_autofree char *r1 = request(f->port, "GET /nosuch HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(r1, "HTTP/1.1 404", "\"code\":\"not_found\"");
  g_autofree char *r2 = request(f->port, "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(r2, "HTTP/1.1 405", "\"code\":\"method_not_allowed\"");
  g_autofree char *r3 = request(f->port, "POST /echo?q=a%20b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                                         "X-Meetgate-Signature: sha256=ab\r\n\r\nhello");
  expect(r3, "HTTP/1.1 200", "\r\n\r\nhello");
  g_assert_nonnull(strcasestr(r3, "x-echo-query: a b"));
  g_assert_nonnull(strcasestr(r3, "x-echo-sig: sha256=ab"));
  g_autofree char *r4 = request(f->port, "PATCH /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
  expect(r4, "HTTP/1.1 200", "\r\n\r\nabc");
  g_autofree char *r5 = request(f->port, "GET /async/tail HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(r5, "HTTP/1.1 202", "{\"later\":\"tail\"}");
  g_autofree char *r6 = request(f->port, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
  expect(r6, "HTTP/1.1 200", "content-length: 200000");
  g_assert_cmpuint(strlen(strstr(r6, "\r\n\r\n") + 4), ==, 200000);
}

static void
limits_body(gpointer p)
{
  Fixture *f = p;
  g_autofree char *r1 = request(f->port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
  expect(r1, "HTTP/1.1 413", "\"code\":\"body_too_large\"");
  GString *huge = g_string_new("GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ");
  for (int i = 0; i < 8000; i++)
    g_string_append_c(huge, 'p');
  g_string_append(huge, "\r\n\r\n");
  g_autofree char *r2 = request(f->port, huge->str);
  g_assert_false(g_str_has_prefix(r2, "HTTP/1.1 200"));
  g_string_free(huge, TRUE);
  g_autofree char *r3 = request(f->port, "\x01\x02garbage\r\n\r\n");
  g_assert_false(g_str_has_prefix(r3, "HTTP/1.1 200"));
  /* Still serving. */
  g_autofree char *r4 = request(f->port, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok");
  expect(r4, "HTTP/1.1 200", "\r\n\r\nok");
}

static void
test_routes(void)
{
  run_with_server(routes_body, 1 << 20);
}

static void
test_limits(void)
{
  run_with_server(limits_body, 1024);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/http/routes", test_routes);
  g_test_add_func("/http/limits", test_limits);
  return g_test_run();
}

/* SPDX-License-Identifier: MIT
 * HTTP server on libwebsockets with its GLib event loop: request parsing,
 * routing through a table, and (possibly asynchronous) responses. */
#define G_LOG_DOMAIN "http"
#include "gateway/http-private.h"

#include <openssl/crypto.h>
#include <stdarg.h>
#include <string.h>

typedef struct {
  MgHttpRoute route;
  gpointer user_data;
} MgRouteEntry;

struct MgHttpRequest {
  gint ref;
  MgHttpServer *server;
  struct lws *wsi; /* NULL once the client is gone */
  char *method;
  char *path;
  const char *tail;
  GHashTable *query;
  GHashTable *headers;
  GByteArray *body;
  gsize expected_body;
  char peer[64];
  gboolean dispatched;

  /* The answer, filled by mg_http_request_respond(). */
  gboolean responded;
  gboolean headers_sent;
  gboolean close_after;
  gboolean bad_path; /* the decoded path held a NUL byte */
  guint body_completions;
  guint status;
  char *content_type;
  GPtrArray *out_headers; /* "name:" then value, pairs */
  GBytes *out_body;
  gsize out_sent;
};

/* Headers lws does not know by index that handlers read. */
static const char *const custom_headers[] = {
  "x-meetgate-timestamp:", "x-meetgate-signature:", "x-request-id:", "if-match:", "x-forwarded-for:",
};

#define MAX_CHUNK 16384

static void
lws_log_emit(int level, const char *line)
{
  g_autofree char *copy = g_strchomp(g_strdup(line));
  /* lws reports a client's bad request as an error too: keep it out of warnings. */
  if (level & LLL_ERR)
    g_info("lws: %s", copy);
  else
    g_debug("lws: %s", copy);
}

/* ---- requests ---- */

MgHttpRequest *
mg_http_request_ref(MgHttpRequest *req)
{
  g_atomic_int_inc(&req->ref);
  return req;
}

void
mg_http_request_unref(MgHttpRequest *req)
{
  if (!req || !g_atomic_int_dec_and_test(&req->ref))
    return;
  g_free(req->method);
  g_free(req->path);
  g_clear_pointer(&req->query, g_hash_table_unref);
  g_clear_pointer(&req->headers, g_hash_table_unref);
  g_clear_pointer(&req->body, g_byte_array_unref);
  g_free(req->content_type);
  g_clear_pointer(&req->out_headers, g_ptr_array_unref);
  g_clear_pointer(&req->out_body, g_bytes_unref);
  g_free(req);
}

const char *
mg_http_request_get_method(MgHttpRequest *req)
{
  return req->method;
}
const char *
mg_http_request_get_path(MgHttpRequest *req)
{
  return req->path;
}
const char *
mg_http_request_get_tail(MgHttpRequest *req)
{
  return req->tail ? req->tail : "";
}
const char *
mg_http_request_get_peer(MgHttpRequest *req)
{
  return req->peer;
}
gboolean
mg_http_request_is_gone(MgHttpRequest *req)
{
  return req->wsi == NULL;
}

const char *
mg_http_request_get_query(MgHttpRequest *req, const char *name)
{
  return req->query ? g_hash_table_lookup(req->query, name) : NULL;
}

const char *
mg_http_request_get_header(MgHttpRequest *req, const char *name)
{
  return g_hash_table_lookup(req->headers, name);
}

const char *
mg_http_request_get_bearer(MgHttpRequest *req)
{
  const char *auth = mg_http_request_get_header(req, "authorization");
  return auth && !g_ascii_strncasecmp(auth, "Bearer ", 7) && auth[7] ? auth + 7 : NULL;
}

gboolean
mg_http_secret_equal(const char *given, const char *key)
{
  gsize n = given ? strlen(given) : 0;
  return given && key && strlen(key) == n && !CRYPTO_memcmp(given, key, n);
}

GBytes *
mg_http_request_get_body(MgHttpRequest *req)
{
  if (!req->body)
    return g_bytes_new_static("", 0);
  return g_bytes_new(req->body->data, req->body->len);
}

void
mg_http_request_add_header(MgHttpRequest *req, const char *name, const char *value)
{
  if (!req->out_headers)
    req->out_headers = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(req->out_headers, g_strconcat(name, ":", NULL));
  g_ptr_array_add(req->out_headers, g_strdup(value));
}

void
mg_http_request_respond(MgHttpRequest *req, guint status, const char *content_type, GBytes *body)
{
  g_return_if_fail(!req->responded);
  req->responded = TRUE;
  req->status = status;
  req->content_type = g_strdup(content_type ? content_type : "application/octet-stream");
  req->out_body = body ? g_bytes_ref(body) : g_bytes_new_static("", 0);
  if (req->wsi)
    lws_callback_on_writable(req->wsi);
}

void
mg_http_request_respond_json(MgHttpRequest *req, guint status, json_t *json)
{
  char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;
  json_decref(json);
  if (!text) { /* a value jansson refused (e.g. not UTF-8): never a crash, never garbage */
    g_warning("%s %s: the answer could not be written as JSON", req->method, req->path);
    static const char fallback[] = "{\"error\":{\"code\":\"internal\",\"message\":\"the answer could not be encoded\"}}";
    g_autoptr(GBytes) body = g_bytes_new_static(fallback, sizeof fallback - 1);
    mg_http_request_respond(req, 500, "application/json", body);
    return;
  }
  gsize len = strlen(text);
  g_autoptr(GBytes) body = g_bytes_new_with_free_func(text, len, free, text);
  mg_http_request_respond(req, status, "application/json", body);
}

void
mg_http_request_respond_error(MgHttpRequest *req, guint status, const char *code, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *raw = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  /* Messages quote what the client sent (a path, a field), which may not be UTF-8. */
  g_autofree char *message = g_utf8_make_valid(raw, -1);
  if (status >= 400 && status < 500)
    req->server->bad_requests++;
  mg_http_request_respond_json(req, status, json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", message));
}

/* ---- reading a request from lws ---- */

GHashTable *
mg_http_read_query(struct lws *wsi)
{
  GHashTable *query = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  char buf[2048];
  for (int i = 0;; i++) {
    int n = lws_hdr_copy_fragment(wsi, buf, sizeof buf, WSI_TOKEN_HTTP_URI_ARGS, i);
    if (n < 0)
      break;
    char *eq = strchr(buf, '=');
    if (eq)
      g_hash_table_replace(query, g_strndup(buf, eq - buf), g_strdup(eq + 1));
    else if (*buf)
      g_hash_table_replace(query, g_strdup(buf), g_strdup(""));
  }
  return query;
}

static GHashTable *
read_headers(struct lws *wsi)
{
  GHashTable *headers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  for (int t = 0; t < WSI_TOKEN_COUNT; t++) {
    if (t == WSI_TOKEN_HTTP_URI_ARGS)
      continue;
    int len = lws_hdr_total_length(wsi, t);
    const char *name = (const char *)lws_token_to_string(t);
    if (len <= 0 || !name || name[strlen(name) - 1] != ':')
      continue;
    char *value = g_malloc(len + 1);
    if (lws_hdr_copy(wsi, value, len + 1, t) < 0) {
      g_free(value);
      continue;
    }
    g_hash_table_replace(headers, g_ascii_strdown(name, strlen(name) - 1), value);
  }
  for (gsize i = 0; i < G_N_ELEMENTS(custom_headers); i++) {
    const char *name = custom_headers[i];
    int len = lws_hdr_custom_length(wsi, name, strlen(name));
    if (len < 0)
      continue;
    char *value = g_malloc(len + 1);
    if (lws_hdr_custom_copy(wsi, value, len + 1, name, strlen(name)) < 0) {
      g_free(value);
      continue;
    }
    g_hash_table_replace(headers, g_strndup(name, strlen(name) - 1), value);
  }
  return headers;
}

static const char *
method_name(int m)
{
  static const char *const names[] = {
    [LWSHUMETH_GET] = "GET",         [LWSHUMETH_POST] = "POST",   [LWSHUMETH_OPTIONS] = "OPTIONS",
    [LWSHUMETH_PUT] = "PUT",         [LWSHUMETH_PATCH] = "PATCH", [LWSHUMETH_DELETE] = "DELETE",
    [LWSHUMETH_CONNECT] = "CONNECT", [LWSHUMETH_HEAD] = "HEAD",
  };
  if (m < 0 || m >= (int)G_N_ELEMENTS(names) || !names[m])
    return NULL;
  return names[m];
}

static MgHttpRequest *
request_new(MgHttpServer *server, struct lws *wsi)
{
  char *uri = NULL;
  int uri_len = 0;
  const char *method = method_name(lws_http_get_uri_and_method(wsi, &uri, &uri_len));
  MgHttpRequest *req = g_new0(MgHttpRequest, 1);
  req->ref = 1;
  req->server = server;
  req->wsi = wsi;
  req->method = g_strdup(method ? method : "UNKNOWN");
  req->path = g_strndup(uri ? uri : "/", uri ? uri_len : 1);
  req->bad_path = uri && memchr(uri, '\0', uri_len) != NULL; /* "%00": refused, never truncated */
  /* One request per connection: libwebsockets 4.1 mishandles a request with a
   * body pipelined behind another (it loops, or reads freed memory: found by
   * fuzz-http), and a connection that never carries a second request cannot
   * pipeline. docs/http.md, "Connections". */
  req->close_after = TRUE;
  req->query = mg_http_read_query(wsi);
  req->headers = read_headers(wsi);
  lws_get_peer_simple(wsi, req->peer, sizeof req->peer);
  return req;
}

static gboolean
route_matches(const MgHttpRoute *r, const char *path)
{
  if (r->match == MG_HTTP_EXACT)
    return g_str_equal(r->pattern, path);
  return g_str_has_prefix(path, r->pattern);
}

/* Routes with a method are tried first; a path they know with another method
 * is a 405. Routes for any method ("*") are the fallback, e.g. static files. */
static MgRouteEntry *
find_route(MgHttpServer *server, MgHttpRequest *req, gboolean *path_known)
{
  for (int any = 0; any < 2; any++) {
    for (guint i = 0; i < server->routes->len; i++) {
      MgRouteEntry *e = &g_array_index(server->routes, MgRouteEntry, i);
      gboolean is_any = !strcmp(e->route.method, "*");
      if (is_any != any || !route_matches(&e->route, req->path))
        continue;
      if (is_any || !strcmp(e->route.method, req->method))
        return e;
      *path_known = TRUE;
    }
    if (*path_known)
      return NULL;
  }
  return NULL;
}

static void
dispatch(MgHttpRequest *req)
{
  gboolean path_known = FALSE;

  req->dispatched = TRUE;
  if (!g_str_has_prefix(req->path, "/")) {
    mg_http_request_respond_error(req, 400, "bad_request", "request target must be an absolute path");
    return;
  }
  MgRouteEntry *e = find_route(req->server, req, &path_known);
  if (e) {
    if (e->route.match == MG_HTTP_PREFIX)
      req->tail = req->path + strlen(e->route.pattern);
    g_debug("%s %s from %s", req->method, req->path, req->peer);
    e->route.handler(req, e->user_data);
  } else if (path_known) {
    mg_http_request_respond_error(req, 405, "method_not_allowed", "%s is not allowed on %s", req->method, req->path);
  } else {
    mg_http_request_respond_error(req, 404, "not_found", "no such resource: %s", req->path);
  }
}

/* Returns -1 when the connection must close. */
static int
on_http(MgHttpServer *server, struct lws *wsi, MgHttpSession *pss)
{
  g_clear_pointer(&pss->req, mg_http_request_unref);
  MgHttpRequest *req = pss->req = request_new(server, wsi);
  const char *cl = mg_http_request_get_header(req, "content-length");
  const char *te = mg_http_request_get_header(req, "transfer-encoding");
  gint64 length = cl ? g_ascii_strtoll(cl, NULL, 10) : 0;

  if (req->bad_path) {
    req->close_after = TRUE;
    mg_http_request_respond_error(req, 400, "bad_request", "the path holds a NUL byte");
  } else if (te) {
    req->close_after = TRUE;
    mg_http_request_respond_error(req, 411, "length_required", "send a Content-Length, not chunked bodies");
  } else if (length < 0) {
    req->close_after = TRUE;
    mg_http_request_respond_error(req, 400, "bad_request", "bad Content-Length");
  } else if ((gsize)length > server->settings.max_body) {
    req->close_after = TRUE;
    mg_http_request_respond_error(req, 413, "body_too_large",
                                  "request body of %" G_GINT64_FORMAT " bytes is over the limit of %zu", length,
                                  server->settings.max_body);
  } else if (length > 0) {
    req->expected_body = length;
    req->body = g_byte_array_sized_new(length);
  } else {
    dispatch(req);
  }
  return 0;
}

static int
on_body(MgHttpServer *server, MgHttpSession *pss, const void *in, size_t len)
{
  MgHttpRequest *req = pss->req;
  if (!req || req->responded)
    return 0;
  if (!req->body || req->body->len + len > req->expected_body) {
    req->close_after = TRUE;
    mg_http_request_respond_error(req, 413, "body_too_large", "request body is longer than its Content-Length");
    return 0;
  }
  g_byte_array_append(req->body, in, len);
  return 0;
}

static int
write_headers(struct lws *wsi, MgHttpRequest *req)
{
  gsize extra = 0;
  for (guint i = 0; req->out_headers && i < req->out_headers->len; i++)
    extra += strlen(g_ptr_array_index(req->out_headers, i)) + 4;
  gsize size = LWS_PRE + 1024 + extra;
  g_autofree unsigned char *buf = g_malloc(size);
  unsigned char *start = buf + LWS_PRE, *p = start, *end = buf + size - 1;

  if (lws_add_http_common_headers(wsi, req->status, req->content_type, g_bytes_get_size(req->out_body), &p, end))
    return -1;
  for (guint i = 0; req->out_headers && i + 1 < req->out_headers->len; i += 2) {
    const char *name = g_ptr_array_index(req->out_headers, i);
    const char *value = g_ptr_array_index(req->out_headers, i + 1);
    if (lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)value, strlen(value), &p,
                                    end))
      return -1;
  }
  if (req->close_after &&
      lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5, &p, end))
    return -1;
  if (lws_finalize_write_http_header(wsi, start, &p, end))
    return -1;
  req->headers_sent = TRUE;
  return 0;
}

static int
on_writable(struct lws *wsi, MgHttpSession *pss)
{
  MgHttpRequest *req = pss->req;
  if (!req || !req->responded)
    return 0;
  if (!req->headers_sent) {
    if (write_headers(wsi, req))
      return -1;
    if (g_bytes_get_size(req->out_body)) {
      lws_callback_on_writable(wsi);
      return 0;
    }
  } else {
    gsize total;
    const guint8 *data = g_bytes_get_data(req->out_body, &total);
    gsize n = MIN(total - req->out_sent, MAX_CHUNK);
    g_autofree unsigned char *buf = g_malloc(LWS_PRE + n);
    memcpy(buf + LWS_PRE, data + req->out_sent, n);
    gboolean last = req->out_sent + n == total;
    if (lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != (int)n)
      return -1;
    req->out_sent += n;
    if (!last) {
      lws_callback_on_writable(wsi);
      return 0;
    }
  }
  gboolean close = req->close_after;
  g_clear_pointer(&pss->req, mg_http_request_unref);
  if (close || lws_http_transaction_completed(wsi))
    return -1;
  return 0;
}

static void
request_gone(MgHttpSession *pss)
{
  if (!pss || !pss->req)
    return;
  pss->req->wsi = NULL;
  g_clear_pointer(&pss->req, mg_http_request_unref);
}

/* libwebsockets' GLib plugin gives each connection a GSource of its own.
 * Around the dispatch of a source that may not recurse, GLib takes its fds out
 * of the context's poll list and puts them back, and each is a walk along
 * that list, which holds every connection: with 1,000 WebSocket clients that
 * was a fifth of the control loop's CPU (docs/hardening.md, signaling load).
 * Nothing called from these callbacks iterates the loop, so the source of the
 * one dispatching now (our caller) may be marked as recursive, which skips it. */
static void
skip_source_blocking(void)
{
  GSource *src = g_main_current_source();
  if (src && !g_source_get_can_recurse(src))
    g_source_set_can_recurse(src, TRUE);
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
  MgHttpSession *pss = user;
  struct lws_context *ctx = lws_get_context(wsi);
  MgHttpServer *server = ctx ? lws_context_user(ctx) : NULL;

  skip_source_blocking();

  switch (reason) {
  case LWS_CALLBACK_HTTP:
    return pss ? on_http(server, wsi, pss) : -1;
  case LWS_CALLBACK_HTTP_BODY:
    return pss ? on_body(server, pss, in, len) : -1;
  case LWS_CALLBACK_HTTP_BODY_COMPLETION:
    if (!pss || !pss->req)
      return 0;
    /* A second call for the same request (libwebsockets 4.1 loops on this
     * for a pipelined request with a body): close. */
    if (pss->req->body_completions++)
      return -1;
    if (!pss->req->dispatched && !pss->req->responded)
      dispatch(pss->req);
    return 0;
  case LWS_CALLBACK_HTTP_WRITEABLE:
    return pss ? on_writable(wsi, pss) : -1;
  case LWS_CALLBACK_CLOSED_HTTP:
  case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    request_gone(pss);
    return 0;
  case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
    return mg_http_ws_filter(server, wsi) ? 0 : -1;
  default:
    return mg_http_ws_callback(wsi, reason, pss, in, len);
  }
}

/* ---- the server ---- */

/* Tries the address first: lws's own message for a busy port is vague, and it
 * leaks on that path. */
static gboolean
check_bindable(const char *host, guint16 port, GError **error)
{
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(host);
  if (!addr) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "cannot serve HTTP on %s: not an IP address", host);
    return FALSE;
  }
  g_autoptr(GSocket) sock =
      g_socket_new(g_inet_address_get_family(addr), G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, error);
  if (!sock)
    return FALSE;
  g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(addr, port);
  g_autoptr(GError) local = NULL;
  if (!g_socket_bind(sock, sa, TRUE, &local)) {
    g_set_error(error, G_IO_ERROR, local->code, "cannot serve HTTP on %s:%u: %s", host, port, local->message);
    return FALSE;
  }
  return TRUE;
}

MgHttpServer *
mg_http_server_new(GMainLoop *loop, const MgHttpSettings *settings, GError **error)
{
  struct lws_context_creation_info info;
  if (!check_bindable(settings->host, settings->port, error))
    return NULL;
  MgHttpServer *server = g_new0(MgHttpServer, 1);
  void *foreign_loops[1] = { loop };

  server->loop = g_main_loop_ref(loop);
  server->settings = *settings;
  server->settings.host = g_strdup(settings->host);
  server->settings.tls_cert = g_strdup(settings->tls_cert);
  server->settings.tls_key = g_strdup(settings->tls_key);
  server->routes = g_array_new(FALSE, TRUE, sizeof(MgRouteEntry));
  server->endpoints = g_ptr_array_new();
  server->ws_conns = g_hash_table_new(NULL, NULL);
  server->protocols[0] = (struct lws_protocols){
    .name = "meetgate",
    .callback = callback,
    .per_session_data_size = sizeof(MgHttpSession),
    .rx_buffer_size = 16384,
  };

  lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
  memset(&info, 0, sizeof info);
  info.port = settings->port;
  info.iface = server->settings.host;
  info.protocols = server->protocols;
  info.user = server;
  info.options = LWS_SERVER_OPTION_GLIB | LWS_SERVER_OPTION_VALIDATE_UTF8;
  if (!strchr(settings->host, ':'))
    info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  info.foreign_loops = foreign_loops;
  info.max_http_header_data = settings->max_header;
  info.keepalive_timeout = settings->idle_timeout_s;
  info.timeout_secs = 20;
  info.server_string = "meetgate";
  if (settings->tls_cert && settings->tls_key) {
    info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = server->settings.tls_cert;
    info.ssl_private_key_filepath = server->settings.tls_key;
  }

  server->ctx = lws_create_context(&info);
  if (!server->ctx) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                "cannot serve HTTP on %s:%u (check the TLS certificate and key files)", settings->host, settings->port);
    mg_http_server_free(server);
    return NULL;
  }
  server->vhost = lws_get_vhost_by_name(server->ctx, "default");
  return server;
}

void
mg_http_server_free(MgHttpServer *server)
{
  if (!server)
    return;
  if (server->ctx) {
    mg_http_server_close_websockets(server);
    lws_context_destroy(server->ctx);
  }
  for (guint i = 0; i < server->endpoints->len; i++) {
    MgWsEndpoint *ep = g_ptr_array_index(server->endpoints, i);
    g_free(ep->path);
    g_free(ep);
  }
  g_ptr_array_unref(server->endpoints);
  g_hash_table_unref(server->ws_conns);
  g_array_unref(server->routes);
  g_free(server->settings.host);
  g_free(server->settings.tls_cert);
  g_free(server->settings.tls_key);
  g_main_loop_unref(server->loop);
  g_free(server);
}

guint16
mg_http_server_get_port(MgHttpServer *server)
{
  return server->vhost ? lws_get_vhost_listen_port(server->vhost) : 0;
}

gboolean
mg_http_server_is_tls(MgHttpServer *server)
{
  return server->settings.tls_cert && server->settings.tls_key;
}

void
mg_http_server_add_routes(MgHttpServer *server, const MgHttpRoute *routes, gsize n, gpointer user_data)
{
  for (gsize i = 0; i < n; i++) {
    MgRouteEntry e = { routes[i], user_data };
    g_array_append_val(server->routes, e);
  }
}

guint64
mg_http_server_get_bad_requests(MgHttpServer *server)
{
  return server->bad_requests;
}

guint
mg_http_server_get_ws_count(MgHttpServer *server)
{
  return g_hash_table_size(server->ws_conns);
}

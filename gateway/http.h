/* SPDX-License-Identifier: MIT
 * The HTTP and WebSocket server: libwebsockets on the GLib main loop, with
 * routes and WebSocket endpoints dispatched through tables. */
#pragma once

#include <gio/gio.h>
#include <jansson.h>

G_BEGIN_DECLS

typedef struct MgHttpServer MgHttpServer;
typedef struct MgHttpRequest MgHttpRequest;
typedef struct MgWsConn MgWsConn;

typedef void (*MgHttpHandler)(MgHttpRequest *req, gpointer user_data);

typedef enum {
  MG_HTTP_EXACT,  /* path equals pattern */
  MG_HTTP_PREFIX, /* path starts with pattern; the rest is mg_http_request_get_tail() */
} MgHttpMatch;

typedef struct {
  const char *method; /* "GET", "POST", ...; "*" for any */
  const char *pattern;
  MgHttpMatch match;
  MgHttpHandler handler;
} MgHttpRoute;

typedef struct {
  /* Called when a connection is established; return user data for the others. */
  gpointer (*opened)(MgWsConn *conn, gpointer endpoint_data);
  void (*message)(MgWsConn *conn, const char *data, gsize len, gpointer conn_data);
  /* The connection is gone; free conn_data. conn must not be used afterwards. */
  void (*closed)(MgWsConn *conn, gpointer conn_data);
} MgWsHandler;

typedef struct {
  char *host;     /* bind address */
  guint16 port;   /* 0 = any free port */
  char *tls_cert; /* NULL = plain HTTP */
  char *tls_key;
  gsize max_body;
  gsize max_header;
  gsize max_ws_message;
  guint idle_timeout_s;
} MgHttpSettings;

/* Starts listening on the thread-default GMainContext's loop. (transfer full) */
MgHttpServer *mg_http_server_new(GMainLoop *loop, const MgHttpSettings *settings, GError **error);
/* Closes every connection and the listener. */
void mg_http_server_free(MgHttpServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgHttpServer, mg_http_server_free)

/* The port actually bound (useful with port 0). */
guint16 mg_http_server_get_port(MgHttpServer *server);
gboolean mg_http_server_is_tls(MgHttpServer *server);
/* Adds n routes; the first match in order of addition wins. */
void mg_http_server_add_routes(MgHttpServer *server, const MgHttpRoute *routes, gsize n, gpointer user_data);
void mg_http_server_add_websocket(MgHttpServer *server, const char *path, const MgWsHandler *handler,
                                  gpointer endpoint_data);
/* Sends every WebSocket client a "going away" close; the caller then runs
 * the loop until mg_http_server_get_ws_count() is 0 or it stops waiting. */
void mg_http_server_close_websockets(MgHttpServer *server);
/* Counters for /metrics and tests. */
guint64 mg_http_server_get_bad_requests(MgHttpServer *server);
guint mg_http_server_get_ws_count(MgHttpServer *server);

/* Requests. A handler answers at once or later: it takes a reference and
 * calls one of the respond functions once. If the client has gone, the
 * answer is dropped. */
MgHttpRequest *mg_http_request_ref(MgHttpRequest *req);
void mg_http_request_unref(MgHttpRequest *req);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgHttpRequest, mg_http_request_unref)

const char *mg_http_request_get_method(MgHttpRequest *req);
const char *mg_http_request_get_path(MgHttpRequest *req);
/* The part of the path after a MG_HTTP_PREFIX pattern. */
const char *mg_http_request_get_tail(MgHttpRequest *req);
/* A query parameter, URL-decoded, or NULL. */
const char *mg_http_request_get_query(MgHttpRequest *req, const char *name);
/* A header by lower-case name, or NULL. */
const char *mg_http_request_get_header(MgHttpRequest *req, const char *name);
GBytes *mg_http_request_get_body(MgHttpRequest *req);
/* The credential of "Authorization: Bearer <credential>", or NULL. */
const char *mg_http_request_get_bearer(MgHttpRequest *req);
/* Compares a presented secret with a configured one in constant time. */
gboolean mg_http_secret_equal(const char *given, const char *key);
const char *mg_http_request_get_peer(MgHttpRequest *req);
gboolean mg_http_request_is_gone(MgHttpRequest *req);

void mg_http_request_add_header(MgHttpRequest *req, const char *name, const char *value);
void mg_http_request_respond(MgHttpRequest *req, guint status, const char *content_type, GBytes *body);
/* Steals json. */
void mg_http_request_respond_json(MgHttpRequest *req, guint status, json_t *json);
/* { "error": { "code": code, "message": message } } */
void mg_http_request_respond_error(MgHttpRequest *req, guint status, const char *code, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

/* WebSocket connections (owned by the server; valid until closed() runs). */
void mg_ws_conn_send(MgWsConn *conn, const char *text, gsize len);
void mg_ws_conn_send_json(MgWsConn *conn, json_t *json); /* steals json */
/* Sends a close frame with code and reason, then drops the connection. */
void mg_ws_conn_close(MgWsConn *conn, guint16 code, const char *reason);
const char *mg_ws_conn_get_peer(MgWsConn *conn);
/* The User-Agent of the upgrade request, or NULL. */
const char *mg_ws_conn_get_user_agent(MgWsConn *conn);
const char *mg_ws_conn_get_query(MgWsConn *conn, const char *name);

G_END_DECLS

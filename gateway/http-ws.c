/* SPDX-License-Identifier: MIT
 * WebSocket endpoints on the HTTP server: message assembly with a size limit,
 * a send queue per connection, and clean closes. */
#define G_LOG_DOMAIN "http"
#include "gateway/http-private.h"

#include <string.h>

void
mg_http_server_add_websocket(MgHttpServer *server, const char *path, const MgWsHandler *handler, gpointer endpoint_data)
{
  MgWsEndpoint *ep = g_new0(MgWsEndpoint, 1);
  ep->path = g_strdup(path);
  ep->handler = *handler;
  ep->data = endpoint_data;
  g_ptr_array_add(server->endpoints, ep);
}

static MgWsEndpoint *
find_endpoint(MgHttpServer *server, struct lws *wsi)
{
  char path[256];
  if (lws_hdr_copy(wsi, path, sizeof path, WSI_TOKEN_GET_URI) <= 0)
    return NULL;
  for (guint i = 0; i < server->endpoints->len; i++) {
    MgWsEndpoint *ep = g_ptr_array_index(server->endpoints, i);
    if (g_str_equal(ep->path, path))
      return ep;
  }
  return NULL;
}

gboolean
mg_http_ws_filter(MgHttpServer *server, struct lws *wsi)
{
  if (find_endpoint(server, wsi))
    return TRUE;
  server->bad_requests++;
  return FALSE;
}

static void
conn_free(MgWsConn *conn)
{
  g_queue_clear_full(&conn->out, (GDestroyNotify)g_bytes_unref);
  g_clear_pointer(&conn->in, g_byte_array_unref);
  g_clear_pointer(&conn->query, g_hash_table_unref);
  g_free(conn->close_reason);
  g_free(conn->user_agent);
  g_free(conn);
}

void
mg_ws_conn_send(MgWsConn *conn, const char *text, gsize len)
{
  if (!conn->wsi || conn->close_code)
    return;
  g_queue_push_tail(&conn->out, g_bytes_new(text, len));
  lws_callback_on_writable(conn->wsi);
}

void
mg_ws_conn_send_json(MgWsConn *conn, json_t *json)
{
  char *text = json_dumps(json, JSON_COMPACT);
  json_decref(json);
  if (text)
    mg_ws_conn_send(conn, text, strlen(text));
  free(text);
}

void
mg_ws_conn_close(MgWsConn *conn, guint16 code, const char *reason)
{
  if (!conn->wsi || conn->close_code)
    return;
  conn->close_code = code;
  conn->close_reason = g_strdup(reason ? reason : "");
  lws_callback_on_writable(conn->wsi);
}

const char *
mg_ws_conn_get_peer(MgWsConn *conn)
{
  return conn->peer;
}

const char *
mg_ws_conn_get_user_agent(MgWsConn *conn)
{
  return conn->user_agent;
}

const char *
mg_ws_conn_get_query(MgWsConn *conn, const char *name)
{
  return conn->query ? g_hash_table_lookup(conn->query, name) : NULL;
}

void
mg_http_server_close_websockets(MgHttpServer *server)
{
  GHashTableIter it;
  gpointer key;
  g_hash_table_iter_init(&it, server->ws_conns);
  while (g_hash_table_iter_next(&it, &key, NULL))
    mg_ws_conn_close(key, LWS_CLOSE_STATUS_GOINGAWAY, "server shutting down");
}

/* Closes at once with code; returns the -1 lws wants from the callback. */
static int
refuse(MgWsConn *conn, guint16 code, const char *reason)
{
  conn->server->bad_requests++;
  g_debug("websocket %s closed: %s", conn->peer, reason);
  lws_close_reason(conn->wsi, code, (unsigned char *)reason, strlen(reason));
  return -1;
}

static int
on_receive(MgWsConn *conn, const char *in, size_t len)
{
  struct lws *wsi = conn->wsi;
  gsize max = conn->server->settings.max_ws_message;

  if (lws_frame_is_binary(wsi))
    return refuse(conn, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE, "binary messages are not accepted");
  if (lws_is_first_fragment(wsi))
    g_byte_array_set_size(conn->in, 0);
  if (conn->in->len + len > max)
    return refuse(conn, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too large");
  g_byte_array_append(conn->in, (const guint8 *)in, len);
  if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
    return 0;
  if (conn->endpoint->handler.message)
    conn->endpoint->handler.message(conn, (const char *)conn->in->data, conn->in->len, conn->data);
  g_byte_array_set_size(conn->in, 0);
  return 0;
}

/* Messages written per writable callback at most, so that one busy
 * connection does not hold the loop. */
#define WRITES_PER_CALLBACK 16

static int
on_writable(MgWsConn *conn)
{
  /* Several queued messages in one go while the socket takes them: one per
   * callback costs a whole loop iteration (a poll over every connection)
   * per message, and a join answer queued behind a burst of room events
   * waited for all of them (docs/hardening.md, signaling load). */
  guint written = 0;
  GBytes *msg;
  while (written < WRITES_PER_CALLBACK && (written == 0 || !lws_send_pipe_choked(conn->wsi)) &&
         (msg = g_queue_pop_head(&conn->out))) {
    gsize len;
    const char *data = g_bytes_get_data(msg, &len);
    g_autofree unsigned char *buf = g_malloc(LWS_PRE + len);
    memcpy(buf + LWS_PRE, data, len);
    int n = lws_write(conn->wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT);
    g_bytes_unref(msg);
    if (n < (int)len)
      return -1;
    written++;
  }
  if (written) {
    if (!g_queue_is_empty(&conn->out) || conn->close_code)
      lws_callback_on_writable(conn->wsi);
    return 0;
  }
  if (conn->close_code) {
    lws_close_reason(conn->wsi, conn->close_code, (unsigned char *)conn->close_reason, strlen(conn->close_reason));
    return -1;
  }
  return 0;
}

int
mg_http_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, MgHttpSession *pss, void *in, size_t len)
{
  struct lws_context *ctx = lws_get_context(wsi);
  MgHttpServer *server = ctx ? lws_context_user(ctx) : NULL;
  MgWsConn *conn = pss ? pss->ws : NULL;

  switch (reason) {
  case LWS_CALLBACK_ESTABLISHED: {
    MgWsEndpoint *ep = find_endpoint(server, wsi);
    if (!ep)
      return -1;
    conn = pss->ws = g_new0(MgWsConn, 1);
    conn->server = server;
    conn->wsi = wsi;
    conn->endpoint = ep;
    conn->in = g_byte_array_new();
    conn->query = mg_http_read_query(wsi);
    g_queue_init(&conn->out);
    lws_get_peer_simple(wsi, conn->peer, sizeof conn->peer);
    int ua_len = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_USER_AGENT);
    if (ua_len > 0) {
      conn->user_agent = g_malloc(ua_len + 1);
      if (lws_hdr_copy(wsi, conn->user_agent, ua_len + 1, WSI_TOKEN_HTTP_USER_AGENT) < 0)
        g_clear_pointer(&conn->user_agent, g_free);
    }
    g_hash_table_add(server->ws_conns, conn);
    if (ep->handler.opened)
      conn->data = ep->handler.opened(conn, ep->data);
    return 0;
  }
  case LWS_CALLBACK_RECEIVE:
    return conn ? on_receive(conn, in, len) : -1;
  case LWS_CALLBACK_SERVER_WRITEABLE:
    return conn ? on_writable(conn) : 0;
  case LWS_CALLBACK_CLOSED:
    if (!conn)
      return 0;
    pss->ws = NULL;
    conn->wsi = NULL;
    g_hash_table_remove(server->ws_conns, conn);
    if (conn->endpoint->handler.closed)
      conn->endpoint->handler.closed(conn, conn->data);
    conn_free(conn);
    return 0;
  default:
    return 0;
  }
}

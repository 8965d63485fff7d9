/* SPDX-License-Identifier: MIT
 * Internals shared by http.c (server, requests) and http-ws.c (WebSocket). */
#pragma once

#include <libwebsockets.h>

#include "gateway/http.h"

typedef struct {
  char *path;
  MgWsHandler handler;
  gpointer data;
} MgWsEndpoint;

struct MgHttpServer {
  struct lws_context *ctx;
  struct lws_vhost *vhost;
  GMainLoop *loop;
  MgHttpSettings settings;
  GArray *routes;       /* MgRouteEntry */
  GPtrArray *endpoints; /* MgWsEndpoint* */
  GHashTable *ws_conns; /* MgWsConn* set, for shutdown and counting */
  guint64 bad_requests;
  struct lws_protocols protocols[2];
};

struct MgWsConn {
  MgHttpServer *server;
  struct lws *wsi;
  MgWsEndpoint *endpoint;
  gpointer data;
  GQueue out;          /* GBytes* to send */
  GByteArray *in;      /* message being assembled */
  gboolean discarding; /* rest of an oversized message */
  guint16 close_code;  /* != 0: close once the queue is sent */
  char *close_reason;
  char peer[64];
  char *user_agent;
  GHashTable *query;
};

/* The per-connection data lws keeps for us (HTTP and WebSocket). */
typedef struct {
  MgHttpRequest *req;
  MgWsConn *ws;
} MgHttpSession;

int mg_http_ws_callback(struct lws *wsi, enum lws_callback_reasons reason, MgHttpSession *pss, void *in, size_t len);
gboolean mg_http_ws_filter(MgHttpServer *server, struct lws *wsi);
GHashTable *mg_http_read_query(struct lws *wsi);

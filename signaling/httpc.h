/* SPDX-License-Identifier: MIT
 * An asynchronous HTTP client on a GMainContext (libcurl multi driven by
 * GLib fd watches and one timer): no thread, no blocking call on the loop.
 * For webhooks (POST) and bridges (WHIP/WHEP: POST, DELETE): http/https
 * only, redirects not followed. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct MgHttpc MgHttpc;

/* The largest answer body kept; the rest is read and dropped. */
#define MG_HTTPC_BODY_MAX (64 * 1024)

typedef struct {
  int status;        /* HTTP status; 0 when no answer came (error says why) */
  const char *error; /* transport error text, NULL when an answer came */
  const char *body;  /* NUL-terminated, at most MG_HTTPC_BODY_MAX bytes; never NULL */
  gsize body_len;
  gboolean truncated;   /* the body was longer than MG_HTTPC_BODY_MAX */
  gint64 retry_after_s; /* Retry-After as seconds from the answer, -1 when absent or unreadable */
  const char *location; /* the Location header, or NULL */
} MgHttpcResponse;

/* Called once per request on the client's context, unless it was cancelled.
 * The response and its strings live until the callback returns. The callback
 * may start or cancel requests, but must not free the client. */
typedef void (*MgHttpcCallback)(guint64 id, const MgHttpcResponse *response, gpointer user_data);

/* (transfer full) A client whose sockets and timer run on ctx (NULL: the default context). */
MgHttpc *mg_httpc_new(GMainContext *ctx);
/* Cancels every request without calling their callbacks, then frees the client. */
void mg_httpc_free(MgHttpc *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgHttpc, mg_httpc_free)

/* Starts a POST of body to url with headers ("Name: value" strings, may be
 * NULL) that must finish within timeout_ms. Returns the request's id (> 0);
 * an URL curl refuses is reported through the callback like any failure. */
guint64 mg_httpc_post(MgHttpc *c, const char *url, GPtrArray *headers, const char *body, guint timeout_ms,
                      MgHttpcCallback callback, gpointer user_data);
/* The same with another method ("DELETE", "PATCH", ...); body may be NULL
 * (none is sent then, unless method is POST). */
guint64 mg_httpc_request(MgHttpc *c, const char *method, const char *url, GPtrArray *headers, const char *body,
                         guint timeout_ms, MgHttpcCallback callback, gpointer user_data);
/* Cancels request id: its callback is not called. FALSE when it is not running. */
gboolean mg_httpc_cancel(MgHttpc *c, guint64 id);
/* How many requests are running. */
guint mg_httpc_running(MgHttpc *c);

/* A Retry-After value (delta-seconds or an HTTP-date) as seconds from now_s;
 * -1 when it is neither. A date in the past gives 0. */
gint64 mg_httpc_parse_retry_after(const char *value, gint64 now_s);

G_END_DECLS

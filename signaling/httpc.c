/* SPDX-License-Identifier: MIT
 * libcurl's multi-socket API on a GMainContext: curl says which sockets to
 * watch (socket callback) and when to wake (timer callback); GLib sources do
 * that and hand the events back with curl_multi_socket_action. */
#define G_LOG_DOMAIN "httpc"
#include "signaling/httpc.h"

#include <curl/curl.h>
#include <glib-unix.h>
#include <string.h>

struct MgHttpc {
  GMainContext *ctx;
  CURLM *multi;
  GSource *timer;
  GHashTable *requests; /* id -> Request */
  GHashTable *watches;  /* Watch set: what curl did not remove is freed with the client */
  guint64 next_id;
  int still_running;
};

typedef struct {
  MgHttpc *c;
  guint64 id;
  CURL *easy;
  struct curl_slist *headers;
  GString *body;
  gboolean truncated;
  char *retry_after; /* the header's value */
  char *date;        /* the answer's Date header, the base of an HTTP-date Retry-After */
  char *location;    /* the answer's Location header */
  char errbuf[CURL_ERROR_SIZE];
  GSource *refused; /* reports a request curl would not take */
  MgHttpcCallback callback;
  gpointer user_data;
} Request;

/* One watched socket; curl keeps it with curl_multi_assign. */
typedef struct {
  MgHttpc *c;
  curl_socket_t fd;
  GSource *source;
} Watch;

static void check_done(MgHttpc *c);

static void
request_free(Request *r)
{
  if (r->easy) {
    curl_multi_remove_handle(r->c->multi, r->easy);
    curl_easy_cleanup(r->easy);
  }
  if (r->refused) {
    g_source_destroy(r->refused);
    g_source_unref(r->refused);
  }
  curl_slist_free_all(r->headers);
  g_string_free(r->body, TRUE);
  g_free(r->retry_after);
  g_free(r->date);
  g_free(r->location);
  g_free(r);
}

/* ---- curl -> GLib ---- */

static gboolean
on_fd(gint fd, GIOCondition cond, gpointer data)
{
  Watch *w = data;
  MgHttpc *c = w->c;
  int action = 0;
  if (cond & G_IO_IN)
    action |= CURL_CSELECT_IN;
  if (cond & G_IO_OUT)
    action |= CURL_CSELECT_OUT;
  if (cond & (G_IO_ERR | G_IO_HUP))
    action |= CURL_CSELECT_ERR;
  /* w may be freed inside this call (curl removes the socket). */
  curl_multi_socket_action(c->multi, fd, action, &c->still_running);
  check_done(c);
  return G_SOURCE_CONTINUE;
}

static void
watch_free(Watch *w)
{
  g_hash_table_remove(w->c->watches, w);
  if (w->source) {
    g_source_destroy(w->source);
    g_source_unref(w->source);
  }
  g_free(w);
}

static int
on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
  (void)easy;
  MgHttpc *c = userp;
  Watch *w = socketp;
  if (what == CURL_POLL_REMOVE) {
    if (w) {
      curl_multi_assign(c->multi, fd, NULL);
      watch_free(w);
    }
    return 0;
  }
  if (!w) {
    w = g_new0(Watch, 1);
    w->c = c;
    w->fd = fd;
    g_hash_table_add(c->watches, w);
    curl_multi_assign(c->multi, fd, w);
  } else if (w->source) {
    g_source_destroy(w->source);
    g_source_unref(w->source);
  }
  GIOCondition cond = G_IO_ERR | G_IO_HUP;
  if (what & CURL_POLL_IN)
    cond |= G_IO_IN;
  if (what & CURL_POLL_OUT)
    cond |= G_IO_OUT;
  w->source = g_unix_fd_source_new(fd, cond);
  g_source_set_callback(w->source, G_SOURCE_FUNC(on_fd), w, NULL);
  g_source_attach(w->source, c->ctx);
  return 0;
}

static gboolean
on_timer(gpointer data)
{
  MgHttpc *c = data;
  g_source_unref(c->timer);
  c->timer = NULL;
  curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &c->still_running);
  check_done(c);
  return G_SOURCE_REMOVE;
}

static void
clear_timer(MgHttpc *c)
{
  if (c->timer) {
    g_source_destroy(c->timer);
    g_source_unref(c->timer);
    c->timer = NULL;
  }
}

static int
on_timer_change(CURLM *multi, long timeout_ms, void *userp)
{
  (void)multi;
  MgHttpc *c = userp;
  clear_timer(c);
  if (timeout_ms < 0)
    return 0;
  /* Not curl_multi_socket_action from here: curl asks us not to recurse. */
  c->timer = g_timeout_source_new((guint)timeout_ms);
  g_source_set_callback(c->timer, on_timer, c, NULL);
  g_source_attach(c->timer, c->ctx);
  return 0;
}

/* ---- answers ---- */

static size_t
on_body(char *data, size_t size, size_t n, void *userp)
{
  Request *r = userp;
  gsize len = size * n, room = MG_HTTPC_BODY_MAX - MIN(r->body->len, MG_HTTPC_BODY_MAX);
  if (len > room)
    r->truncated = TRUE;
  g_string_append_len(r->body, data, (gssize)MIN(len, room));
  return len;
}

/* A header's value if line is that header ("Name: value\r\n"). */
static char *
header_value(const char *line, gsize len, const char *name)
{
  gsize n = strlen(name);
  if (len <= n || g_ascii_strncasecmp(line, name, n) || line[n] != ':')
    return NULL;
  char *v = g_strndup(line + n + 1, len - n - 1);
  return g_strstrip(v);
}

static size_t
on_header(char *data, size_t size, size_t n, void *userp)
{
  Request *r = userp;
  gsize len = size * n;
  char *v;
  /* A new status line (after a 100 Continue): forget the earlier headers. */
  if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
    g_clear_pointer(&r->retry_after, g_free);
    g_clear_pointer(&r->date, g_free);
    g_clear_pointer(&r->location, g_free);
  } else if ((v = header_value(data, len, "Location"))) {
    g_free(r->location);
    r->location = v;
  } else if ((v = header_value(data, len, "Retry-After"))) {
    g_free(r->retry_after);
    r->retry_after = v;
  } else if ((v = header_value(data, len, "Date"))) {
    g_free(r->date);
    r->date = v;
  }
  return len;
}

gint64
mg_httpc_parse_retry_after(const char *value, gint64 now_s)
{
  if (!value || !*value)
    return -1;
  gboolean digits = TRUE;
  for (const char *p = value; *p; p++)
    digits = digits && g_ascii_isdigit(*p);
  if (digits) {
    guint64 v = g_ascii_strtoull(value, NULL, 10);
    return (gint64)MIN(v, (guint64)G_MAXINT32);
  }
  time_t t = curl_getdate(value, NULL);
  if (t == -1)
    return -1;
  return MAX(0, (gint64)t - now_s);
}

static void
finish(MgHttpc *c, Request *r, CURLcode result)
{
  long status = 0;
  curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
  gint64 now_s = -1;
  if (r->date)
    now_s = curl_getdate(r->date, NULL);
  if (now_s < 0)
    now_s = g_get_real_time() / G_USEC_PER_SEC;
  MgHttpcResponse resp = {
    .status = result == CURLE_OK ? (int)status : 0,
    .error = NULL,
    .body = r->body->str,
    .body_len = r->body->len,
    .truncated = r->truncated,
    .retry_after_s = mg_httpc_parse_retry_after(r->retry_after, now_s),
    .location = r->location,
  };
  if (result != CURLE_OK)
    resp.error = r->errbuf[0] ? r->errbuf : curl_easy_strerror(result);
  g_hash_table_steal(c->requests, &r->id);
  r->callback(r->id, &resp, r->user_data);
  request_free(r);
}

static void
check_done(MgHttpc *c)
{
  CURLMsg *msg;
  int left;
  while ((msg = curl_multi_info_read(c->multi, &left))) {
    if (msg->msg != CURLMSG_DONE)
      continue;
    Request *r = NULL;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
    if (r)
      finish(c, r, msg->data.result);
  }
}

/* ---- the client ---- */

MgHttpc *
mg_httpc_new(GMainContext *ctx)
{
  static gsize inited = 0;
  if (g_once_init_enter(&inited)) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    g_once_init_leave(&inited, 1);
  }
  MgHttpc *c = g_new0(MgHttpc, 1);
  c->ctx = ctx ? g_main_context_ref(ctx) : g_main_context_ref(g_main_context_default());
  c->multi = curl_multi_init();
  c->requests = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, (GDestroyNotify)request_free);
  c->watches = g_hash_table_new(NULL, NULL);
  curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
  curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer_change);
  curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
  return c;
}

void
mg_httpc_free(MgHttpc *c)
{
  if (!c)
    return;
  /* Removing the handles lets curl close their sockets (socket callbacks). */
  g_hash_table_destroy(c->requests);
  curl_multi_cleanup(c->multi);
  clear_timer(c);
  GList *left = g_hash_table_get_keys(c->watches);
  g_list_free_full(left, (GDestroyNotify)watch_free);
  g_hash_table_destroy(c->watches);
  g_main_context_unref(c->ctx);
  g_free(c);
}

static void
set_options(Request *r, const char *method, const char *url, GPtrArray *headers, const char *body, guint timeout_ms)
{
  CURL *e = r->easy;
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
  if (!strcmp(method, "POST") || body)
    curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body ? body : "");
  if (strcmp(method, "POST"))
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(e, CURLOPT_PRIVATE, r);
  curl_easy_setopt(e, CURLOPT_USERAGENT, "meetgate");
  for (guint i = 0; headers && i < headers->len; i++)
    r->headers = curl_slist_append(r->headers, g_ptr_array_index(headers, i));
  /* No "Expect: 100-continue" round trip. */
  r->headers = curl_slist_append(r->headers, "Expect:");
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
}

/* Reports a request curl would not start, from an idle source (never from inside post). */
static gboolean
on_refused(gpointer data)
{
  Request *r = data;
  MgHttpcResponse resp = { .status = 0, .error = r->errbuf, .body = "", .retry_after_s = -1 };
  g_source_unref(r->refused);
  r->refused = NULL;
  g_hash_table_steal(r->c->requests, &r->id);
  r->callback(r->id, &resp, r->user_data);
  request_free(r);
  return G_SOURCE_REMOVE;
}

guint64
mg_httpc_post(MgHttpc *c, const char *url, GPtrArray *headers, const char *body, guint timeout_ms,
              MgHttpcCallback callback, gpointer user_data)
{
  return mg_httpc_request(c, "POST", url, headers, body, timeout_ms, callback, user_data);
}

guint64
mg_httpc_request(MgHttpc *c, const char *method, const char *url, GPtrArray *headers, const char *body,
                 guint timeout_ms, MgHttpcCallback callback, gpointer user_data)
{
  Request *r = g_new0(Request, 1);
  r->c = c;
  r->id = ++c->next_id;
  r->body = g_string_new("");
  r->callback = callback;
  r->user_data = user_data;
  r->easy = curl_easy_init();
  set_options(r, method, url, headers, body, timeout_ms);
  g_hash_table_insert(c->requests, &r->id, r);
  CURLMcode rc = curl_multi_add_handle(c->multi, r->easy);
  if (rc != CURLM_OK) {
    g_strlcpy(r->errbuf, curl_multi_strerror(rc), sizeof r->errbuf);
    curl_easy_cleanup(r->easy);
    r->easy = NULL;
    r->refused = g_idle_source_new();
    g_source_set_callback(r->refused, on_refused, r, NULL);
    g_source_attach(r->refused, c->ctx);
  }
  return r->id;
}

gboolean
mg_httpc_cancel(MgHttpc *c, guint64 id)
{
  return g_hash_table_remove(c->requests, &id);
}

guint
mg_httpc_running(MgHttpc *c)
{
  return g_hash_table_size(c->requests);
}

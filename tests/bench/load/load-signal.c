/* SPDX-License-Identifier: MIT
 * meetgate-load's signaling: WHIP/WHEP POSTs to meetgate, or Janus
 * VideoRoom's HTTP API (session, attach, join, long poll). Blocking libcurl
 * calls on a thread pool; results go back to the media thread. */
#include <curl/curl.h>
#include <gio/gio.h>
#include <jansson.h>
#include <string.h>

#include "tests/bench/load/load.h"

#define JANUS_WAIT_US (20 * G_USEC_PER_SEC)

typedef struct {
  long status;
  GString *body;
  char *location;
} HttpReply;

static size_t
on_body(char *data, size_t size, size_t n, void *user)
{
  g_string_append_len(((HttpReply *)user)->body, data, size * n);
  return size * n;
}

static size_t
on_header(char *data, size_t size, size_t n, void *user)
{
  HttpReply *r = user;
  if (size * n > 9 && !g_ascii_strncasecmp(data, "location:", 9)) {
    g_free(r->location);
    r->location = g_strstrip(g_strndup(data + 9, size * n - 9));
  }
  return size * n;
}

/* One HTTP exchange; FALSE with error when nothing came back. */
static gboolean
http(const char *method, const char *url, const char *type, const char *auth, const char *body, HttpReply *r,
     GError **error)
{
  CURL *curl = curl_easy_init();
  struct curl_slist *headers = NULL;
  g_autofree char *ct = type ? g_strdup_printf("Content-Type: %s", type) : NULL;
  g_autofree char *bearer = auth ? g_strdup_printf("Authorization: Bearer %s", auth) : NULL;
  if (ct)
    headers = curl_slist_append(headers, ct);
  if (bearer)
    headers = curl_slist_append(headers, bearer);
  r->body = g_string_new(NULL);
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
  if (body)
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s %s: %s", method, url, curl_easy_strerror(rc));
    return FALSE;
  }
  return TRUE;
}

static void
reply_clear(HttpReply *r)
{
  if (r->body)
    g_string_free(r->body, TRUE);
  g_free(r->location);
}

static gboolean
fail_cb(gpointer data)
{
  LoadClient *c = data;
  if (!c->failed)
    g_atomic_int_inc(&c->load->n_failed);
  c->failed = TRUE;
  return G_SOURCE_REMOVE;
}

static void
fail(LoadClient *c, const char *what, GError *error)
{
  g_printerr("%s %u: %s: %s\n", c->publisher ? "publisher" : "subscriber", c->index, what,
             error ? error->message : "failed");
  g_main_context_invoke(c->load->ctx, fail_cb, c);
}

static gboolean
remote_ready_cb(gpointer data)
{
  LoadClient *c = data;
  g_autoptr(GError) error = NULL;
  if (!load_client_apply_remote(c, &error)) {
    g_printerr("client %u: %s\n", c->index, error->message);
    return fail_cb(c);
  }
  if (c->load->target == LOAD_TARGET_JANUS && !c->publisher) {
    if (!load_client_make_answer(c, &error)) {
      g_printerr("client %u: answer: %s\n", c->index, error->message);
      return fail_cb(c);
    }
    LoadJob *job = g_new0(LoadJob, 1);
    job->kind = LOAD_JOB_ANSWER;
    job->client = c;
    g_thread_pool_push(c->load->http, job, NULL);
  }
  return G_SOURCE_REMOVE;
}

static void
meetgate_connect(LoadClient *c)
{
  Load *load = c->load;
  g_autofree char *url = g_strdup_printf("%s/%s/%s", load->url, c->publisher ? "whip" : "whep", load->room);
  g_autoptr(GError) error = NULL;
  HttpReply r = { 0 };
  if (!http("POST", url, "application/sdp", load->token, c->local_sdp, &r, &error)) {
    fail(c, "POST", error);
  } else if (r.status != 201) {
    g_printerr("%s: HTTP %ld: %s\n", url, r.status, r.body->str);
    fail(c, "POST", NULL);
  } else {
    c->resource = r.location ? g_strconcat(load->url, r.location, NULL) : NULL;
    c->remote_sdp = g_strdup(r.body->str);
    g_main_context_invoke(load->ctx, remote_ready_cb, c);
  }
  reply_clear(&r);
}

/* POSTs a Janus request and returns its parsed answer. (transfer full) */
static json_t *
janus_post(Load *load, const char *path, json_t *req, GError **error)
{
  g_autofree char *tx = g_strdup_printf("%08x", g_random_int());
  json_object_set_new(req, "transaction", json_string(tx));
  g_autofree char *body = json_dumps(req, JSON_COMPACT);
  g_autofree char *url = g_strconcat(load->url, path, NULL);
  json_decref(req);
  HttpReply r = { 0 };
  json_t *out = NULL;
  if (http("POST", url, "application/json", NULL, body, &r, error)) {
    out = json_loads(r.body->str, 0, NULL);
    const char *kind = json_string_value(json_object_get(out, "janus"));
    if (!out || !g_strcmp0(kind, "error")) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "Janus %s: %s", path, r.body->str);
      g_clear_pointer(&out, json_decref);
    }
  }
  reply_clear(&r);
  return out;
}

static guint64
janus_new_id(Load *load, const char *path, json_t *req, GError **error)
{
  json_t *a = janus_post(load, path, req, error);
  guint64 id = (guint64)json_integer_value(json_object_get(json_object_get(a, "data"), "id"));
  if (a && !id)
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "Janus %s: no id", path);
  json_decref(a);
  return id;
}

/* Session and VideoRoom handle for c; FALSE with error. */
static gboolean
janus_attach(Load *load, guint64 *session, guint64 *handle, GError **error)
{
  *session = janus_new_id(load, "", json_pack("{ss}", "janus", "create"), error);
  if (!*session)
    return FALSE;
  g_autofree char *path = g_strdup_printf("/%" G_GUINT64_FORMAT, *session);
  *handle = janus_new_id(load, path, json_pack("{ssss}", "janus", "attach", "plugin", "janus.plugin.videoroom"), error);
  return *handle != 0;
}

static json_t *
janus_message(Load *load, guint64 session, guint64 handle, json_t *body, json_t *jsep, GError **error)
{
  g_autofree char *path = g_strdup_printf("/%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT, session, handle);
  json_t *req = json_pack("{ssso}", "janus", "message", "body", body);
  if (jsep)
    json_object_set_new(req, "jsep", jsep);
  return janus_post(load, path, req, error);
}

/* Long-polls the session until an event of kind ("event" with a jsep when
 * want_jsep, or e.g. "webrtcup") arrives. (transfer full) the event */
static json_t *
janus_wait(Load *load, guint64 session, const char *kind, gboolean want_jsep, GError **error)
{
  g_autofree char *url = g_strdup_printf("%s/%" G_GUINT64_FORMAT "?maxev=1", load->url, session);
  gint64 deadline = g_get_monotonic_time() + JANUS_WAIT_US;
  while (g_get_monotonic_time() < deadline) {
    HttpReply r = { 0 };
    if (!http("GET", url, NULL, NULL, NULL, &r, error)) {
      reply_clear(&r);
      return NULL;
    }
    json_t *ev = json_loads(r.body->str, 0, NULL);
    json_t *data = json_object_get(json_object_get(ev, "plugindata"), "data");
    if (json_object_get(data, "error")) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "Janus: %s", r.body->str);
      json_decref(ev);
      reply_clear(&r);
      return NULL;
    }
    reply_clear(&r);
    if (!g_strcmp0(json_string_value(json_object_get(ev, "janus")), kind) &&
        (!want_jsep || json_object_get(ev, "jsep")))
      return ev;
    json_decref(ev);
  }
  g_set_error(error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "Janus: no %s event", kind);
  return NULL;
}

static gboolean
janus_publish(LoadClient *c, GError **error)
{
  Load *load = c->load;
  if (!janus_attach(load, &c->janus_session, &c->janus_handle, error))
    return FALSE;
  json_t *body = json_pack("{sssIsssbsb}", "request", "joinandconfigure", "room", (json_int_t)load->janus_room, "ptype",
                           "publisher", "audio", 1, "video", 1);
  json_t *jsep = json_pack("{ssss}", "type", "offer", "sdp", c->local_sdp);
  json_t *ack = janus_message(load, c->janus_session, c->janus_handle, body, jsep, error);
  if (!ack)
    return FALSE;
  json_decref(ack);
  json_t *ev = janus_wait(load, c->janus_session, "event", TRUE, error);
  if (!ev)
    return FALSE;
  json_t *data = json_object_get(json_object_get(ev, "plugindata"), "data");
  c->janus_feed = (guint64)json_integer_value(json_object_get(data, "id"));
  c->remote_sdp = g_strdup(json_string_value(json_object_get(json_object_get(ev, "jsep"), "sdp")));
  json_decref(ev);
  g_main_context_invoke(load->ctx, remote_ready_cb, c);
  ev = janus_wait(load, c->janus_session, "webrtcup", FALSE, error);
  if (!ev)
    return FALSE;
  json_decref(ev);
  g_atomic_int_set(&c->janus_up, TRUE);
  return TRUE;
}

static gboolean
janus_subscribe(LoadClient *c, GError **error)
{
  Load *load = c->load;
  if (!janus_attach(load, &c->janus_session, &c->janus_handle, error))
    return FALSE;
  json_t *streams = json_array();
  for (guint i = 0; i < load->pubs->len; i++) {
    LoadClient *p = g_ptr_array_index(load->pubs, i);
    json_array_append_new(streams, json_pack("{sI}", "feed", (json_int_t)p->janus_feed));
  }
  json_t *body = json_pack("{sssIssso}", "request", "join", "room", (json_int_t)load->janus_room, "ptype", "subscriber",
                           "streams", streams);
  json_t *ack = janus_message(load, c->janus_session, c->janus_handle, body, NULL, error);
  if (!ack)
    return FALSE;
  json_decref(ack);
  json_t *ev = janus_wait(load, c->janus_session, "event", TRUE, error);
  if (!ev)
    return FALSE;
  c->remote_sdp = g_strdup(json_string_value(json_object_get(json_object_get(ev, "jsep"), "sdp")));
  json_decref(ev);
  g_main_context_invoke(load->ctx, remote_ready_cb, c);
  return TRUE;
}

static gboolean
janus_answer(LoadClient *c, GError **error)
{
  Load *load = c->load;
  json_t *body = json_pack("{sssI}", "request", "start", "room", (json_int_t)load->janus_room);
  json_t *jsep = json_pack("{ssss}", "type", "answer", "sdp", c->local_sdp);
  json_t *ack = janus_message(load, c->janus_session, c->janus_handle, body, jsep, error);
  json_decref(ack);
  return ack != NULL;
}

gboolean
load_janus_create_room(Load *load, GError **error)
{
  guint64 session, handle;
  if (!janus_attach(load, &session, &handle, error))
    return FALSE;
  json_t *body = json_pack("{sssIsIsIsIssss}", "request", "create", "room", (json_int_t)load->janus_room, "publishers",
                           (json_int_t)load->publishers + 1, "bitrate", (json_int_t)0, "fir_freq", (json_int_t)0,
                           "audiocodec", "opus", "videocodec", "vp8");
  json_t *a = janus_message(load, session, handle, body, NULL, error);
  const char *what =
      json_string_value(json_object_get(json_object_get(json_object_get(a, "plugindata"), "data"), "videoroom"));
  gboolean ok = a && !g_strcmp0(what, "created");
  if (a && !ok)
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "Janus did not create room %" G_GUINT64_FORMAT, load->janus_room);
  json_decref(a);
  return ok;
}

void
load_signal_job(gpointer data, gpointer user_data)
{
  LoadJob *job = data;
  LoadClient *c = job->client;
  g_autoptr(GError) error = NULL;
  gboolean janus = c->load->target == LOAD_TARGET_JANUS;
  switch (job->kind) {
  case LOAD_JOB_PUBLISH:
  case LOAD_JOB_SUBSCRIBE:
    if (!janus)
      meetgate_connect(c);
    else if (!(c->publisher ? janus_publish(c, &error) : janus_subscribe(c, &error)))
      fail(c, "Janus", error);
    break;
  case LOAD_JOB_ANSWER:
    if (!janus_answer(c, &error))
      fail(c, "Janus start", error);
    break;
  case LOAD_JOB_LEAVE:
    break;
  }
  g_free(job);
}

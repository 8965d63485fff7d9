/* SPDX-License-Identifier: MIT
 * The calendars API: subscribe, list, remove and sync calendars, each owned
 * by the [oa] source that added it; and the poll the daemon runs. */
#define G_LOG_DOMAIN "calendars"
#include "gateway/calendars-api.h"

#include <string.h>

struct MgCalendarsApi {
  MgStore *store;
  MgMeetingsApi *meetings_api;
  GCancellable *cancellable; /* cancelled by free: pending syncs then touch nothing */
};

/* One sync in flight: from the API (req set) or from the poll. */
typedef struct {
  MgCalendarsApi *api;
  GCancellable *cancellable;
  MgHttpRequest *req;
  char *id;
  char *source;
} SyncCall;

static gint64
now_s(void)
{
  return g_get_real_time() / G_USEC_PER_SEC;
}

static json_t *
time_json(gint64 t)
{
  if (!t)
    return json_null();
  g_autofree char *s = mg_meetings_api_format_time(t);
  return json_string(s);
}

/* The password is never answered: only whether there is one. */
static json_t *
calendar_json(const MgFeedsCalendar *c)
{
  return json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:I, s:s, s:o, s:s?, s:o}", "id", c->id, "url", c->url, "kind",
                   mg_feeds_kind_name(c->kind), "username", c->username, "password", c->password ? "********" : NULL,
                   "interval_s", (json_int_t)c->interval_s, "source", c->source, "last_sync_at",
                   time_json(c->last_sync_at), "last_error", c->last_error, "created_at", time_json(c->created_at));
}

static json_t *
counts_json(const MgFeedsCounts *n)
{
  return json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "status", "synced", "mode", n->mode, "fetched",
                   (int)n->fetched, "created", (int)n->created, "updated", (int)n->updated, "unchanged",
                   (int)n->unchanged, "cancelled", (int)n->cancelled, "refused", (int)n->refused, "errors",
                   (int)n->errors);
}

static void
invalid(MgHttpRequest *req, const char *field, const char *message)
{
  mg_http_request_respond_json(
      req, 400, json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "invalid_field", "message", message, "field", field));
}

/* POST /api/v1/calendars {url, kind, username, password, interval_s, source} */
static void
on_add(MgHttpRequest *req, gpointer data)
{
  MgCalendarsApi *api = data;
  const char *source = mg_meetings_api_authenticate(api->meetings_api, req);
  if (!source)
    return;
  g_autoptr(GBytes) body = mg_http_request_get_body(req);
  json_error_t jerr;
  json_t *j = json_loadb(g_bytes_get_data(body, NULL), g_bytes_get_size(body), JSON_REJECT_DUPLICATES, &jerr);
  if (!json_is_object(j)) {
    json_decref(j);
    mg_http_request_respond_error(req, 400, "bad_json", "the body must be a JSON object");
    return;
  }
  MgFeedsCalendar in = { 0 };
  const char *kind = NULL, *src = NULL;
  json_int_t interval = 0;
  if (json_unpack_ex(j, &jerr, JSON_STRICT, "{s:s, s:s, s?s, s?s, s:I, s?s}", "url", &in.url, "kind", &kind, "username",
                     &in.username, "password", &in.password, "interval_s", &interval, "source", &src)) {
    invalid(req, "body", jerr.text);
  } else if (!mg_feeds_kind_parse(kind, &in.kind)) {
    invalid(req, "kind", "kind must be \"ics\" or \"caldav\"");
  } else if (src && strcmp(src, source)) {
    mg_http_request_respond_error(req, 403, "forbidden", "a source adds calendars for itself only");
  } else {
    in.interval_s = interval;
    in.source = (char *)source;
    g_autoptr(GError) error = NULL;
    g_autoptr(MgFeedsCalendar) c = mg_feeds_add(api->store, &in, now_s(), &error);
    if (c) {
      g_info("calendar %s (%s, %s) added by %s", c->id, mg_feeds_kind_name(c->kind), c->url, source);
      mg_http_request_respond_json(req, 201, json_pack("{s:o}", "calendar", calendar_json(c)));
    } else if (g_error_matches(error, MG_FEEDS_ERROR, MG_FEEDS_ERROR_INVALID)) {
      invalid(req,
              strstr(error->message, "interval") ? "interval_s"
              : strstr(error->message, "url")    ? "url"
                                                 : "body",
              error->message);
    } else {
      mg_http_request_respond_error(req, 500, "store", "%s", error->message);
    }
  }
  json_decref(j);
}

static void
on_list(MgHttpRequest *req, gpointer data)
{
  MgCalendarsApi *api = data;
  const char *source = mg_meetings_api_authenticate(api->meetings_api, req);
  if (!source)
    return;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = mg_feeds_list(api->store, &error);
  if (!all) {
    mg_http_request_respond_error(req, 500, "store", "%s", error->message);
    return;
  }
  json_t *list = json_array();
  for (guint i = 0; i < all->len; i++) {
    const MgFeedsCalendar *c = g_ptr_array_index(all, i);
    if (!strcmp(c->source, source))
      json_array_append_new(list, calendar_json(c));
  }
  mg_http_request_respond_json(req, 200, json_pack("{s:o}", "calendars", list));
}

/* The calendar the path names, if the source owns it; NULL after answering 404. */
static MgFeedsCalendar *
own_calendar(MgCalendarsApi *api, MgHttpRequest *req, const char *source, const char *id)
{
  MgFeedsCalendar *c = *id ? mg_feeds_get(api->store, id) : NULL;
  if (c && strcmp(c->source, source))
    g_clear_pointer(&c, mg_feeds_calendar_free);
  if (!c)
    mg_http_request_respond_error(req, 404, "not_found", "no calendar %s", id);
  return c;
}

static void
on_delete(MgHttpRequest *req, gpointer data)
{
  MgCalendarsApi *api = data;
  const char *source = mg_meetings_api_authenticate(api->meetings_api, req);
  const char *id = mg_http_request_get_tail(req);
  g_autoptr(MgFeedsCalendar) c = source ? own_calendar(api, req, source, id) : NULL;
  if (!c)
    return;
  g_autoptr(GError) error = NULL;
  if (!mg_feeds_remove(api->store, c->id, &error)) {
    mg_http_request_respond_error(req, 500, "store", "%s", error->message);
    return;
  }
  g_info("calendar %s removed by %s (its meetings stay)", c->id, source);
  mg_http_request_respond(req, 204, NULL, NULL);
}

static void
sync_call_free(SyncCall *call)
{
  g_object_unref(call->cancellable);
  if (call->req)
    mg_http_request_unref(call->req);
  g_free(call->id);
  g_free(call->source);
  g_free(call);
}

static void
on_synced(GObject *unused, GAsyncResult *res, gpointer data)
{
  SyncCall *call = data;
  if (g_cancellable_is_cancelled(call->cancellable)) {
    sync_call_free(call); /* the API is gone, and maybe the store */
    return;
  }
  MgCalendarsApi *api = call->api;
  MgFeedsCounts n;
  g_autoptr(GError) error = NULL;
  gboolean ok = mg_feeds_sync_finish(api->store, res, &n, &error);
  if (ok) {
    g_info("calendar %s synced (%s): %u fetched, %u created, %u updated, %u unchanged, %u cancelled, %u refused, "
           "%u errors",
           call->id, n.mode, n.fetched, n.created, n.updated, n.unchanged, n.cancelled, n.refused, n.errors);
    if (n.created + n.updated + n.cancelled)
      mg_meetings_api_notify_changed(api->meetings_api);
  } else {
    g_message("calendar %s: sync failed: %s", call->id, error->message);
  }
  if (call->req) {
    if (ok)
      mg_http_request_respond_json(call->req, 200, counts_json(&n));
    else if (g_error_matches(error, MG_FEEDS_ERROR, MG_FEEDS_ERROR_BUSY))
      mg_http_request_respond_error(call->req, 409, "busy", "%s", error->message);
    else if (g_error_matches(error, MG_FEEDS_ERROR, MG_FEEDS_ERROR_NOT_FOUND))
      mg_http_request_respond_error(call->req, 404, "not_found", "%s", error->message);
    else
      mg_http_request_respond_error(call->req, 502, "sync_failed", "%s", error->message);
  }
  sync_call_free(call);
}

static void
start_sync(MgCalendarsApi *api, const char *id, MgHttpRequest *req, gint64 now)
{
  SyncCall *call = g_new0(SyncCall, 1);
  call->api = api;
  call->cancellable = g_object_ref(api->cancellable);
  call->req = req ? mg_http_request_ref(req) : NULL;
  call->id = g_strdup(id);
  mg_feeds_sync(api->store, id, now, NULL, on_synced, call);
}

/* POST /api/v1/calendars/<id>/sync: answers when the sync is done. */
static void
on_sync(MgHttpRequest *req, gpointer data)
{
  MgCalendarsApi *api = data;
  const char *source = mg_meetings_api_authenticate(api->meetings_api, req);
  if (!source)
    return;
  const char *tail = mg_http_request_get_tail(req);
  const char *slash = strchr(tail, '/');
  if (!slash || strcmp(slash, "/sync")) {
    mg_http_request_respond_error(req, 404, "not_found", "POST /api/v1/calendars/<id>/sync");
    return;
  }
  g_autofree char *id = g_strndup(tail, slash - tail);
  g_autoptr(MgFeedsCalendar) c = own_calendar(api, req, source, id);
  if (c)
    start_sync(api, c->id, req, now_s());
}

static const MgHttpRoute routes[] = {
  { "POST", "/api/v1/calendars", MG_HTTP_EXACT, on_add },
  { "GET", "/api/v1/calendars", MG_HTTP_EXACT, on_list },
  { "DELETE", "/api/v1/calendars/", MG_HTTP_PREFIX, on_delete },
  { "POST", "/api/v1/calendars/", MG_HTTP_PREFIX, on_sync },
};

void
mg_calendars_api_poll(MgCalendarsApi *api, gint64 now)
{
  g_autoptr(GPtrArray) all = mg_feeds_list(api->store, NULL);
  for (guint i = 0; all && i < all->len; i++) {
    const MgFeedsCalendar *c = g_ptr_array_index(all, i);
    if (c->last_sync_at + c->interval_s <= now)
      start_sync(api, c->id, NULL, now);
  }
}

MgCalendarsApi *
mg_calendars_api_new(MgHttpServer *server, MgStore *store, MgMeetingsApi *meetings_api)
{
  MgCalendarsApi *api = g_new0(MgCalendarsApi, 1);
  api->store = store;
  api->meetings_api = meetings_api;
  api->cancellable = g_cancellable_new();
  if (server)
    mg_http_server_add_routes(server, routes, G_N_ELEMENTS(routes), api);
  return api;
}

void
mg_calendars_api_free(MgCalendarsApi *api)
{
  if (!api)
    return;
  g_cancellable_cancel(api->cancellable);
  g_object_unref(api->cancellable);
  g_free(api);
}

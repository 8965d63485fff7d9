/* SPDX-License-Identifier: MIT
 * Admin actions (operator keys only) on live rooms, each recorded in the
 * audit log with the key's name, and the audit log's query endpoint. */
#define G_LOG_DOMAIN "admin"
#include "gateway/admin-private.h"

#include <string.h>

#include "signaling/audit.h"

#define DEFAULT_AUDIT_LIMIT 100
#define MAX_MESSAGE_LEN 500

typedef struct {
  const char *room;
  const char *participant; /* NULL for room actions */
  json_t *body;            /* the request's JSON object (may be empty) */
} MgActionArgs;

/* An action; returns FALSE with error set when it cannot be done. detail_out:
 * what to record besides the target (borrowed from args). */
typedef gboolean (*MgActionFunc)(MgConference *conf, const MgActionArgs *args, const char **detail_out, GError **error);

static gboolean
act_remove(MgConference *conf, const MgActionArgs *a, const char **detail, GError **error)
{
  return mg_conference_admin_remove(conf, a->room, a->participant, error);
}

static gboolean
act_mute(MgConference *conf, const MgActionArgs *a, const char **detail, GError **error)
{
  const char *what = json_string_value(json_object_get(a->body, "track"));
  if (!what)
    what = json_string_value(json_object_get(a->body, "source"));
  *detail = what ? what : "microphone";
  return mg_conference_admin_mute(conf, a->room, a->participant, *detail, error);
}

static gboolean
act_admit(MgConference *conf, const MgActionArgs *a, const char **detail, GError **error)
{
  return mg_conference_admin_admit(conf, a->room, a->participant, error);
}

static gboolean
act_close(MgConference *conf, const MgActionArgs *a, const char **detail, GError **error)
{
  const char *message = json_string_value(json_object_get(a->body, "message"));
  if (message && strlen(message) > MAX_MESSAGE_LEN) {
    g_set_error(error, MG_CONFERENCE_ERROR, MG_CONFERENCE_ERROR_BAD_REQUEST, "message is longer than %d bytes",
                MAX_MESSAGE_LEN);
    return FALSE;
  }
  *detail = message;
  return mg_conference_admin_close(conf, a->room, message, error);
}

static gboolean
act_lock(MgConference *conf, const MgActionArgs *a, const char **detail, GError **error)
{
  return mg_conference_admin_lock(conf, a->room, TRUE, error);
}

static gboolean
act_unlock(MgConference *conf, const MgActionArgs *a, const char **detail, GError **error)
{
  return mg_conference_admin_lock(conf, a->room, FALSE, error);
}

static const struct {
  const char *name;
  gboolean on_participant;
  MgActionFunc func;
} actions[] = {
  { "remove", TRUE, act_remove }, { "mute", TRUE, act_mute },  { "admit", TRUE, act_admit },
  { "close", FALSE, act_close },  { "lock", FALSE, act_lock }, { "unlock", FALSE, act_unlock },
};

void
mg_admin_record(MgAdmin *admin, MgHttpRequest *req, const char *key_name, const char *action, const char *target,
                const char *detail, const char *result, const char *message)
{
  g_autoptr(GError) error = NULL;
  MgAuditEntry e = { g_get_real_time() / 1000,     key_name, action, target, detail, result, message,
                     req ? mg_http_request_get_peer(req) : NULL };
  if (!admin->store || !mg_audit_record(admin->store, &e, &error))
    g_warning("audit log: %s: %s by %s not recorded: %s", target, action, key_name,
              error ? error->message : "no store");
  g_message("admin %s: %s %s%s%s: %s", key_name, action, target, detail ? " " : "", detail ? detail : "", result);
}

/* POST /api/v1/admin/rooms/<room>/<action> or
 *      /api/v1/admin/rooms/<room>/participants/<participant>/<action> */
static void
on_action(MgHttpRequest *req, gpointer data)
{
  MgAdmin *admin = data;
  const MgAdminKey *key = mg_admin_find_key(admin, mg_http_request_get_bearer(req));
  if (!key) {
    mg_admin_check(admin, req, MG_ADMIN_VIEWER); /* answers the 401 */
    return;
  }
  g_auto(GStrv) parts = g_strsplit(mg_http_request_get_tail(req), "/", 5);
  guint n = g_strv_length(parts);
  for (guint i = 0; n >= 2 && *parts[0] && i < admin->extra->len; i++) {
    const MgAdminExtraAction *x = &g_array_index(admin->extra, MgAdminExtraAction, i);
    if (!strcmp(x->name, parts[1])) {
      x->handler(req, x->data);
      return;
    }
  }
  if (!strcmp(mg_http_request_get_method(req), "DELETE")) { /* only other modules' resources */
    mg_http_request_respond_error(req, 404, "not_found", "no such resource: %s", mg_http_request_get_path(req));
    return;
  }
  gboolean on_participant = n == 4 && !strcmp(parts[1], "participants");
  const char *name = n == 2 ? parts[1] : on_participant ? parts[3] : NULL;
  int found = -1;
  for (guint i = 0; name && *parts[0] && i < G_N_ELEMENTS(actions); i++)
    if (!strcmp(actions[i].name, name) && actions[i].on_participant == on_participant)
      found = i;
  if (found < 0) {
    mg_http_request_respond_error(req, 404, "not_found", "no such action: %s", mg_http_request_get_path(req));
    return;
  }
  g_autofree char *target = on_participant ? g_strdup_printf("room/%s/participant/%s", parts[0], parts[2])
                                           : g_strdup_printf("room/%s", parts[0]);
  if (key->role < MG_ADMIN_OPERATOR) {
    mg_admin_record(admin, req, key->name, name, target, NULL, "forbidden", "viewer key");
    mg_http_request_respond_error(req, 403, "forbidden", "the key %s may only read", key->name);
    return;
  }
  g_autoptr(GBytes) raw = mg_http_request_get_body(req);
  json_t *body =
      g_bytes_get_size(raw) ? json_loadb(g_bytes_get_data(raw, NULL), g_bytes_get_size(raw), 0, NULL) : json_object();
  if (!json_is_object(body)) {
    json_decref(body);
    mg_admin_record(admin, req, key->name, name, target, NULL, "bad_request", "body is not a JSON object");
    mg_http_request_respond_error(req, 400, "bad_request", "the body must be a JSON object (or empty)");
    return;
  }
  MgActionArgs args = { parts[0], on_participant ? parts[2] : NULL, body };
  const char *detail = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok = admin->conf && actions[found].func(admin->conf, &args, &detail, &error);
  if (!ok && !error)
    g_set_error(&error, MG_CONFERENCE_ERROR, MG_CONFERENCE_ERROR_NOT_FOUND, "no live rooms");
  const char *code = ok                                                                           ? "ok"
                     : g_error_matches(error, MG_CONFERENCE_ERROR, MG_CONFERENCE_ERROR_NOT_FOUND) ? "not_found"
                                                                                                  : "bad_request";
  g_autofree char *detail_copy = g_strdup(detail); /* detail may point into body */
  mg_admin_record(admin, req, key->name, name, target, detail_copy, code, ok ? NULL : error->message);
  json_decref(body);
  if (ok)
    mg_http_request_respond_json(req, 200, json_pack("{s:b, s:s, s:s}", "ok", TRUE, "action", name, "target", target));
  else
    mg_http_request_respond_error(req, !strcmp(code, "not_found") ? 404 : 409, code, "%s", error->message);
}

/* GET /api/v1/admin/audit?since=<ISO 8601 or ms>&action=&limit= */
static void
on_audit(MgHttpRequest *req, gpointer data)
{
  MgAdmin *admin = data;
  if (!mg_admin_check(admin, req, MG_ADMIN_VIEWER))
    return;
  const char *since = mg_http_request_get_query(req, "since");
  const char *action = mg_http_request_get_query(req, "action");
  const char *limit_s = mg_http_request_get_query(req, "limit");
  gint64 since_ms = 0, limit = DEFAULT_AUDIT_LIMIT;
  if (since && *since) {
    g_autoptr(GDateTime) t = g_date_time_new_from_iso8601(since, NULL);
    char *end = NULL;
    if (t)
      since_ms = g_date_time_to_unix(t) * 1000 + g_date_time_get_microsecond(t) / 1000;
    else if ((since_ms = g_ascii_strtoll(since, &end, 10)) < 0 || !end || *end) {
      mg_http_request_respond_error(req, 400, "bad_request",
                                    "since must be an ISO 8601 time with a zone or milliseconds since the epoch");
      return;
    }
  }
  if (limit_s) {
    char *end = NULL;
    limit = g_ascii_strtoll(limit_s, &end, 10);
    if (!end || *end || limit < 1 || limit > 1000) {
      mg_http_request_respond_error(req, 400, "bad_request", "limit must be 1 to 1000");
      return;
    }
  }
  g_autoptr(GError) error = NULL;
  json_t *list = admin->store ? mg_audit_list(admin->store, since_ms, action && *action ? action : NULL, limit, &error)
                              : json_array();
  if (!list) {
    g_warning("%s", error->message);
    mg_http_request_respond_error(req, 500, "store_failed", "the audit log cannot be read");
    return;
  }
  mg_http_request_respond_json(req, 200, json_pack("{s:o}", "entries", list));
}

const MgHttpRoute mg_admin_action_routes[] = {
  { "POST", "/api/v1/admin/rooms/", MG_HTTP_PREFIX, on_action },
  { "DELETE", "/api/v1/admin/rooms/", MG_HTTP_PREFIX, on_action },
  { "GET", "/api/v1/admin/audit", MG_HTTP_EXACT, on_audit },
};
const gsize mg_admin_n_action_routes = G_N_ELEMENTS(mg_admin_action_routes);

/* SPDX-License-Identifier: MIT
 * The outbox in the admin API: messages by state (viewer) and an operator's
 * retry of a dead message (audited). Answers name a message's target
 * ("slack-rd", "hook:monitor", "callback:crm"), never a secret or a URL. */
#define G_LOG_DOMAIN "admin"
#include "gateway/admin-private.h"

#include <string.h>

#include "signaling/chats.h"
#include "signaling/outbox.h"

#define DEFAULT_LIMIT 100
#define MAX_LIMIT 1000

static json_t *
time_or_null(gint64 ms)
{
  if (ms <= 0)
    return json_null();
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(ms / 1000);
  if (!t)
    return json_null();
  g_autofree char *s = g_date_time_format(t, "%Y-%m-%dT%H:%M:%S");
  return json_sprintf("%s.%03dZ", s, (int)(ms % 1000));
}

static gboolean
mask_url(const GMatchInfo *info, GString *out, gpointer data)
{
  g_autofree char *url = g_match_info_fetch(info, 0);
  g_autofree char *masked = mg_chats_mask_url(url);
  g_string_append(out, masked ? masked : "****");
  return FALSE;
}

/* An error text with any URL in it masked (a peer's answer may quote one). */
static json_t *
safe_error(const char *text)
{
  if (!text)
    return json_null();
  static GRegex *url_re;
  if (!url_re)
    url_re = g_regex_new("https?://[^\\s\"'<>]+", G_REGEX_OPTIMIZE, 0, NULL);
  g_autofree char *masked = g_regex_replace_eval(url_re, text, -1, 0, 0, mask_url, NULL, NULL);
  return json_string(masked ? masked : "");
}

static json_t *
message_json(const MgOutboxMessage *m)
{
  return json_pack(
      "{s:I, s:s, s:s, s:s, s:s, s:I, s:i, s:o, s:o, s:o, s:o}", "id", (json_int_t)m->id, "target", m->chat_key, "kind",
      m->kind_name ? m->kind_name : "", "state", mg_outbox_state_name(m->state), "meeting_id",
      m->meeting_id ? m->meeting_id : "", "occurrence", (json_int_t)m->occurrence, "attempts", m->attempts, "next_at",
      m->state == MG_OUTBOX_PENDING ? time_or_null(m->next_at_ms) : json_null(), "last_error",
      safe_error(m->last_error), "created", time_or_null(m->created_at_ms), "sent_at", time_or_null(m->sent_at_ms));
}

/* GET /api/v1/admin/outbox?state=pending|sending|sent|dead|withdrawn&limit= */
static void
on_list(MgHttpRequest *req, gpointer data)
{
  MgAdmin *admin = data;
  if (!mg_admin_check(admin, req, MG_ADMIN_VIEWER))
    return;
  const char *state_s = mg_http_request_get_query(req, "state");
  const char *limit_s = mg_http_request_get_query(req, "limit");
  MgOutboxState state = MG_OUTBOX_PENDING;
  gboolean known = FALSE;
  for (MgOutboxState st = MG_OUTBOX_PENDING; st <= MG_OUTBOX_WITHDRAWN; st++)
    if (!g_strcmp0(state_s && *state_s ? state_s : "pending", mg_outbox_state_name(st)))
      state = st, known = TRUE;
  if (!known) {
    mg_http_request_respond_error(req, 400, "bad_request", "state must be pending, sending, sent, dead or withdrawn");
    return;
  }
  gint64 limit = DEFAULT_LIMIT;
  if (limit_s) {
    char *end = NULL;
    limit = g_ascii_strtoll(limit_s, &end, 10);
    if (!end || *end || limit < 1 || limit > MAX_LIMIT) {
      mg_http_request_respond_error(req, 400, "bad_request", "limit must be 1 to %d", MAX_LIMIT);
      return;
    }
  }
  if (!admin->store) {
    mg_http_request_respond_error(req, 503, "unavailable", "the store is not attached");
    return;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = mg_outbox_list(admin->store, state, (guint)limit, &error);
  if (!list) {
    g_warning("%s", error->message);
    mg_http_request_respond_error(req, 500, "store_failed", "the outbox cannot be read");
    return;
  }
  json_t *messages = json_array();
  for (guint i = 0; i < list->len; i++)
    json_array_append_new(messages, message_json(list->pdata[i]));
  json_t *counts = json_object();
  for (MgOutboxState st = MG_OUTBOX_PENDING; st <= MG_OUTBOX_WITHDRAWN; st++)
    json_object_set_new(counts, mg_outbox_state_name(st), json_integer(mg_outbox_count(admin->store, st)));
  mg_http_request_respond_json(
      req, 200,
      json_pack("{s:s, s:o, s:o}", "state", mg_outbox_state_name(state), "counts", counts, "messages", messages));
}

/* POST /api/v1/admin/outbox/<id>/retry: a dead (or waiting) message goes out again now. */
static void
on_retry(MgHttpRequest *req, gpointer data)
{
  MgAdmin *admin = data;
  const MgAdminKey *key = mg_admin_find_key(admin, mg_http_request_get_bearer(req));
  if (!key) {
    mg_admin_check(admin, req, MG_ADMIN_VIEWER); /* answers the 401 */
    return;
  }
  g_auto(GStrv) parts = g_strsplit(mg_http_request_get_tail(req), "/", 3);
  char *end = NULL;
  gint64 id = g_strv_length(parts) == 2 && !strcmp(parts[1], "retry") ? g_ascii_strtoll(parts[0], &end, 10) : 0;
  if (id <= 0 || !end || *end || end == parts[0]) {
    mg_http_request_respond_error(req, 404, "not_found", "no such action: %s", mg_http_request_get_path(req));
    return;
  }
  g_autofree char *target = g_strdup_printf("outbox/%" G_GINT64_FORMAT, id);
  if (key->role < MG_ADMIN_OPERATOR) {
    mg_admin_record(admin, req, key->name, "outbox_retry", target, NULL, "forbidden", "viewer key");
    mg_http_request_respond_error(req, 403, "forbidden", "the key %s may only read", key->name);
    return;
  }
  g_autoptr(MgOutboxMessage) m = admin->store ? mg_outbox_get(admin->store, id) : NULL;
  if (!m) {
    mg_admin_record(admin, req, key->name, "outbox_retry", target, NULL, "not_found", "no such message");
    mg_http_request_respond_error(req, 404, "not_found", "no outbox message %" G_GINT64_FORMAT, id);
    return;
  }
  g_autoptr(GError) error = NULL;
  if (m->state != MG_OUTBOX_DEAD && m->state != MG_OUTBOX_PENDING) {
    g_autofree char *why =
        g_strdup_printf("the message is %s; only dead or pending ones can be retried", mg_outbox_state_name(m->state));
    mg_admin_record(admin, req, key->name, "outbox_retry", target, m->chat_key, "bad_request", why);
    mg_http_request_respond_error(req, 409, "bad_request", "%s", why);
    return;
  }
  if (!mg_outbox_requeue(admin->store, id, g_get_real_time() / 1000, &error)) {
    mg_admin_record(admin, req, key->name, "outbox_retry", target, m->chat_key, "bad_request", error->message);
    mg_http_request_respond_error(req, 409, "bad_request", "%s", error->message);
    return;
  }
  mg_admin_record(admin, req, key->name, "outbox_retry", target, m->chat_key, "ok", NULL);
  if (admin->outbox_changed)
    admin->outbox_changed(admin->outbox_changed_data);
  g_autoptr(MgOutboxMessage) now = mg_outbox_get(admin->store, id);
  mg_http_request_respond_json(req, 200,
                               json_pack("{s:b, s:s, s:s, s:o}", "ok", TRUE, "action", "outbox_retry", "target", target,
                                         "message", now ? message_json(now) : json_null()));
}

const MgHttpRoute mg_admin_outbox_routes[] = {
  { "GET", "/api/v1/admin/outbox", MG_HTTP_EXACT, on_list },
  { "POST", "/api/v1/admin/outbox/", MG_HTTP_PREFIX, on_retry },
};
const gsize mg_admin_n_outbox_routes = G_N_ELEMENTS(mg_admin_outbox_routes);

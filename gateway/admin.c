/* SPDX-License-Identifier: MIT
 * Admin API: admin keys and their roles, the route table, start and stop.
 * Views are in admin-rooms.c, actions and the audit log in admin-actions.c,
 * the dashboard's live WebSocket in admin-live.c. */
#define G_LOG_DOMAIN "admin"
#include "gateway/admin-private.h"

#include <string.h>

#include "gateway/log.h"

#define MIN_KEY_LEN 16

static void
key_clear(gpointer p)
{
  MgAdminKey *k = p;
  g_free(k->name);
  g_free(k->key);
}

const MgAdminKey *
mg_admin_find_key(MgAdmin *admin, const char *given)
{
  const MgAdminKey *found = NULL;
  /* Every key is compared, so the time taken does not say which matched. */
  for (guint i = 0; given && i < admin->keys->len; i++)
    if (mg_http_secret_equal(given, g_array_index(admin->keys, MgAdminKey, i).key))
      found = &g_array_index(admin->keys, MgAdminKey, i);
  return found;
}

/* The key named by "Authorization: Bearer", or NULL after answering 401 —
 * the same answer for a missing and a wrong key. */
const MgAdminKey *
mg_admin_check(MgAdmin *admin, MgHttpRequest *req, MgAdminRole need)
{
  const MgAdminKey *found = mg_admin_find_key(admin, mg_http_request_get_bearer(req));
  if (!found) {
    mg_http_request_add_header(req, "www-authenticate", "Bearer realm=\"meetgate admin\"");
    mg_http_request_respond_error(req, 401, "unauthorized", "an admin key is required");
    return NULL;
  }
  if (found->role < need) {
    mg_http_request_respond_error(req, 403, "forbidden", "the key %s may only read", found->name);
    return NULL;
  }
  return found;
}

gboolean
mg_admin_authenticate(MgAdmin *admin, MgHttpRequest *req, MgAdminRole role, const char **name_out)
{
  const MgAdminKey *k = mg_admin_check(admin, req, role);
  if (k && name_out)
    *name_out = k->name;
  return k != NULL;
}

static void
on_page(MgHttpRequest *req, gpointer data)
{
  g_autoptr(GBytes) body = g_resources_lookup_data("/meetgate/web/admin.html", G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (!body) {
    mg_http_request_respond_error(req, 404, "not_found", "the dashboard is not built in");
    return;
  }
  mg_http_request_add_header(req, "cache-control", "no-cache");
  mg_http_request_add_header(req, "x-content-type-options", "nosniff");
  mg_http_request_add_header(req, "x-frame-options", "DENY");
  mg_http_request_add_header(req, "referrer-policy", "no-referrer");
  mg_http_request_add_header(req, "content-security-policy",
                             "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
                             "frame-ancestors 'none'");
  mg_http_request_respond(req, 200, "text/html; charset=utf-8", body);
}

static const MgHttpRoute page_routes[] = {
  { "GET", "/admin", MG_HTTP_EXACT, on_page },
  { "GET", "/admin/", MG_HTTP_EXACT, on_page },
};

static gboolean
parse_keys(MgAdmin *admin, const char *spec, GError **error)
{
  g_auto(GStrv) entries = g_strsplit(spec ? spec : "", ",", -1);
  for (guint i = 0; entries[i]; i++) {
    g_strstrip(entries[i]);
    if (!*entries[i])
      continue;
    g_auto(GStrv) f = g_strsplit(entries[i], ":", 3);
    if (g_strv_length(f) != 3 || !*f[0] || (strcmp(f[1], "viewer") && strcmp(f[1], "operator")) ||
        strlen(f[2]) < MIN_KEY_LEN) {
      g_set_error(error, MG_CONFIG_ERROR, 12,
                  "[admin] keys: entry %u (%s) must be name:role:key with role viewer or operator and a key of "
                  "%d or more characters",
                  i + 1, f[0] && *f[0] ? f[0] : "unnamed", MIN_KEY_LEN);
      return FALSE;
    }
    MgAdminKey k = { g_strdup(f[0]), strcmp(f[1], "operator") ? MG_ADMIN_VIEWER : MG_ADMIN_OPERATOR, g_strdup(f[2]) };
    mg_log_add_secret(k.key);
    g_array_append_val(admin->keys, k);
  }
  return TRUE;
}

MgAdmin *
mg_admin_new(MgHttpServer *server, MgMediaEngine *engine, const char *keys, GError **error)
{
  MgAdmin *admin = g_new0(MgAdmin, 1);
  admin->engine = engine;
  admin->keys = g_array_new(FALSE, TRUE, sizeof(MgAdminKey));
  admin->extra = g_array_new(FALSE, TRUE, sizeof(MgAdminExtraAction));
  admin->details = g_array_new(FALSE, TRUE, sizeof(MgAdminDetail));
  g_array_set_clear_func(admin->keys, key_clear);
  admin->live = g_ptr_array_new();
  if (!parse_keys(admin, keys, error)) {
    mg_admin_free(admin);
    return NULL;
  }
  if (!admin->keys->len)
    g_message("no [admin] keys configured: the admin API refuses every request");
  mg_http_server_add_routes(server, mg_admin_action_routes, mg_admin_n_action_routes, admin);
  mg_http_server_add_routes(server, mg_admin_view_routes, mg_admin_n_view_routes, admin);
  mg_http_server_add_routes(server, mg_admin_outbox_routes, mg_admin_n_outbox_routes, admin);
  mg_http_server_add_routes(server, page_routes, G_N_ELEMENTS(page_routes), admin);
  mg_admin_live_start(admin, server);
  return admin;
}

void
mg_admin_attach(MgAdmin *admin, MgConference *conf, MgStore *store, gint64 lead_s)
{
  admin->conf = conf;
  admin->store = store;
  admin->lead_s = lead_s;
}

void
mg_admin_set_outbox_changed(MgAdmin *admin, void (*changed)(gpointer data), gpointer data)
{
  admin->outbox_changed = changed;
  admin->outbox_changed_data = data;
}

void
mg_admin_free(MgAdmin *admin)
{
  if (!admin)
    return;
  mg_admin_live_stop(admin);
  g_ptr_array_unref(admin->live);
  g_array_unref(admin->keys);
  g_array_unref(admin->extra);
  g_array_unref(admin->details);
  g_free(admin);
}

void
mg_admin_add_room_action(MgAdmin *admin, const char *name, MgHttpHandler handler, gpointer data)
{
  MgAdminExtraAction a = { name, handler, data };
  g_array_append_val(admin->extra, a);
}

#define FIELD(entry, offset, type) G_STRUCT_MEMBER(type, (gpointer)(entry), (offset))

static gint
by_start(gconstpointer a, gconstpointer b, gpointer data)
{
  const MgAdminListShape *shape = data;
  gconstpointer x = *(gconstpointer const *)a, y = *(gconstpointer const *)b;
  gint64 sx = FIELD(x, shape->started_s, gint64), sy = FIELD(y, shape->started_s, gint64);
  return sx < sy ? -1 : sx > sy ? 1 : strcmp(FIELD(x, shape->id, char *), FIELD(y, shape->id, char *));
}

json_t *
mg_admin_list_json(GHashTable *entries, const char *room_id, const MgAdminListShape *shape)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new();
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, entries);
  while (g_hash_table_iter_next(&it, NULL, &value))
    if (!room_id || !strcmp(FIELD(value, shape->room, char *), room_id))
      g_ptr_array_add(all, value);
  g_ptr_array_sort_with_data(all, by_start, (gpointer)shape);
  json_t *list = json_array();
  for (guint i = 0; i < all->len; i++)
    json_array_append_new(list, shape->to_json(g_ptr_array_index(all, i)));
  return list;
}

void
mg_admin_add_room_detail(MgAdmin *admin, const char *name, MgAdminDetailFunc func, gpointer data)
{
  MgAdminDetail d = { name, func, data };
  g_array_append_val(admin->details, d);
}

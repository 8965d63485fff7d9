/* SPDX-License-Identifier: MIT
 * Admin API: key check and the room endpoints. */
#define G_LOG_DOMAIN "admin"
#include "gateway/admin.h"

#include <string.h>

#include "gateway/log.h"

#define MIN_KEY_LEN 16

typedef struct {
  char *name;
  MgAdminRole role;
  char *key;
} MgAdminKey;

struct MgAdmin {
  MgMediaEngine *engine;
  GArray *keys; /* MgAdminKey */
};

static void
key_clear(gpointer p)
{
  MgAdminKey *k = p;
  g_free(k->name);
  g_free(k->key);
}

/* The key named by "Authorization: Bearer", or NULL after answering 401 —
 * the same answer for a missing and a wrong key. */
static const MgAdminKey *
authenticate(MgAdmin *admin, MgHttpRequest *req, MgAdminRole need)
{
  const char *given = mg_http_request_get_bearer(req);
  const MgAdminKey *found = NULL;
  for (guint i = 0; given && i < admin->keys->len; i++)
    if (mg_http_secret_equal(given, g_array_index(admin->keys, MgAdminKey, i).key))
      found = &g_array_index(admin->keys, MgAdminKey, i);
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
  const MgAdminKey *k = authenticate(admin, req, role);
  if (k && name_out)
    *name_out = k->name;
  return k != NULL;
}

static void
on_rooms(MgHttpRequest *req, gpointer data)
{
  MgAdmin *admin = data;
  if (!authenticate(admin, req, MG_ADMIN_VIEWER))
    return;
  mg_http_request_respond_json(req, 200, json_pack("{s:o}", "rooms", mg_media_engine_get_stats(admin->engine)));
}

static void
on_room(MgHttpRequest *req, gpointer data)
{
  MgAdmin *admin = data;
  if (!authenticate(admin, req, MG_ADMIN_VIEWER))
    return;
  json_t *room = mg_media_engine_get_room_stats(admin->engine, mg_http_request_get_tail(req));
  if (!room) {
    mg_http_request_respond_error(req, 404, "not_found", "no room %s has media", mg_http_request_get_tail(req));
    return;
  }
  mg_http_request_respond_json(req, 200, room);
}

static const MgHttpRoute routes[] = {
  { "GET", "/api/v1/admin/rooms", MG_HTTP_EXACT, on_rooms },
  { "GET", "/api/v1/admin/rooms/", MG_HTTP_PREFIX, on_room },
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
  g_array_set_clear_func(admin->keys, key_clear);
  if (!parse_keys(admin, keys, error)) {
    mg_admin_free(admin);
    return NULL;
  }
  if (!admin->keys->len)
    g_message("no [admin] keys configured: the admin API refuses every request");
  mg_http_server_add_routes(server, routes, G_N_ELEMENTS(routes), admin);
  return admin;
}

void
mg_admin_free(MgAdmin *admin)
{
  if (!admin)
    return;
  g_array_unref(admin->keys);
  g_free(admin);
}

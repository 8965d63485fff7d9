/* SPDX-License-Identifier: MIT
 * /healthz and static files served from the compiled-in GResource bundle. */
#define G_LOG_DOMAIN "http"
#include "gateway/web.h"

#include <string.h>

#include "signaling/store.h"

#define RESOURCE_ROOT "/meetgate/web"

static const struct {
  const char *ext;
  const char *type;
} content_types[] = {
  { ".html", "text/html; charset=utf-8" },
  { ".css", "text/css; charset=utf-8" },
  { ".js", "text/javascript; charset=utf-8" },
  { ".json", "application/json" },
  { ".svg", "image/svg+xml" },
  { ".png", "image/png" },
  { ".ico", "image/x-icon" },
  { ".txt", "text/plain; charset=utf-8" },
};

const char *
mg_web_content_type(const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS(content_types); i++)
    if (g_str_has_suffix(name, content_types[i].ext))
      return content_types[i].type;
  return "application/octet-stream";
}

static void
on_health(MgHttpRequest *req, gpointer data)
{
  MgWebState *st = data;
  gboolean store_ok = st->store && mg_store_ping(st->store);
  gint64 uptime = (g_get_monotonic_time() - st->started_us) / G_USEC_PER_SEC;
  mg_http_request_respond_json(req, store_ok ? 200 : 503,
                               json_pack("{s:s, s:s, s:I, s:s}", "status", store_ok ? "ok" : "degraded", "version",
                                         MG_VERSION, "uptime_s", (json_int_t)uptime, "store",
                                         store_ok ? "ok" : "failed"));
}

static void
on_static(MgHttpRequest *req, gpointer data)
{
  const char *path = mg_http_request_get_path(req);
  if (g_str_has_suffix(path, "/"))
    path = "/index.html";
  /* Resource names are looked up, never opened as files; still refuse dot segments. */
  if (strstr(path, "/.") || strchr(path, '\\')) {
    mg_http_request_respond_error(req, 404, "not_found", "no such resource: %s", mg_http_request_get_path(req));
    return;
  }
  g_autofree char *name = g_strconcat(RESOURCE_ROOT, path, NULL);
  g_autoptr(GBytes) body = g_resources_lookup_data(name, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  if (!body) {
    mg_http_request_respond_error(req, 404, "not_found", "no such resource: %s", mg_http_request_get_path(req));
    return;
  }
  if (strcmp(mg_http_request_get_method(req), "GET")) {
    mg_http_request_respond_error(req, 405, "method_not_allowed", "%s is not allowed on %s",
                                  mg_http_request_get_method(req), mg_http_request_get_path(req));
    return;
  }
  mg_http_request_add_header(req, "cache-control", "no-cache");
  mg_http_request_add_header(req, "x-content-type-options", "nosniff");
  mg_http_request_respond(req, 200, mg_web_content_type(name), body);
}

static const MgHttpRoute health_routes[] = {
  { "GET", "/healthz", MG_HTTP_EXACT, on_health },
};

static const MgHttpRoute static_routes[] = {
  { "*", "/", MG_HTTP_PREFIX, on_static },
};

void
mg_web_add_health(MgHttpServer *server, MgWebState *state)
{
  mg_http_server_add_routes(server, health_routes, G_N_ELEMENTS(health_routes), state);
}

void
mg_web_add_static(MgHttpServer *server)
{
  mg_http_server_add_routes(server, static_routes, G_N_ELEMENTS(static_routes), NULL);
}

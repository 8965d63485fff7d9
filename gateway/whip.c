/* SPDX-License-Identifier: MIT
 * WHIP/WHEP over the HTTP server: token check, offer in, answer out, trickle
 * by PATCH, DELETE to leave, CORS for browser clients. */
#define G_LOG_DOMAIN "whip"
#include "gateway/whip.h"

#include <string.h>

#include "signaling/token.h"

struct MgWhip {
  MgMediaEngine *engine;
  MgConference *conference;
  const char *secret;
};

typedef struct {
  MgHttpRequest *req;
  MgWhip *whip;
  char *base; /* "/whip/<room>" */
  /* a WHIP publisher: who it is, to list it as a participant */
  char *room, *party, *name, *role, *user;
} MgWhipPending;

/* Roles that may send media into a room. */
static const char *const publish_roles[] = { "host", "attendee", "guest", "ingest", "bridge", NULL };

static void
pending_free(MgWhipPending *p)
{
  mg_http_request_unref(p->req);
  g_free(p->base);
  g_free(p->room);
  g_free(p->party);
  g_free(p->name);
  g_free(p->role);
  g_free(p->user);
  g_free(p);
}

static void
add_cors(MgHttpRequest *req)
{
  mg_http_request_add_header(req, "access-control-allow-origin", "*");
  mg_http_request_add_header(req, "access-control-expose-headers", "Location, ETag, Link");
}

static gboolean
is_whep(MgHttpRequest *req)
{
  return g_str_has_prefix(mg_http_request_get_path(req), "/whep/");
}

/* Splits the tail "<room>[/<resource>]"; FALSE when it is not of that form. */
static gboolean
split_tail(MgHttpRequest *req, char **room, char **resource)
{
  g_auto(GStrv) parts = g_strsplit(mg_http_request_get_tail(req), "/", -1);
  guint n = g_strv_length(parts);
  if (n < 1 || n > 2 || !*parts[0] || (n == 2 && !*parts[1]))
    return FALSE;
  *room = g_strdup(parts[0]);
  *resource = n == 2 ? g_strdup(parts[1]) : NULL;
  return TRUE;
}

/* Checks the bearer token for room; answers the refusal itself. */
static MgToken *
authorize(MgWhip *whip, MgHttpRequest *req, const char *room)
{
  const char *auth = mg_http_request_get_header(req, "authorization");
  g_autoptr(GError) error = NULL;
  gint64 nbf = 0;

  if (!auth || g_ascii_strncasecmp(auth, "Bearer ", 7)) {
    mg_http_request_add_header(req, "www-authenticate", "Bearer");
    mg_http_request_respond_error(req, 401, "unauthorized", "send Authorization: Bearer <join token>");
    return NULL;
  }
  MgToken *t = mg_token_verify(auth + 7, whip->secret, room, g_get_real_time() / G_USEC_PER_SEC, &nbf, &error);
  if (t)
    return t;
  const char *code = mg_token_error_code(error);
  if (g_error_matches(error, MG_TOKEN_ERROR, MG_TOKEN_ERROR_NOT_YET)) {
    g_autoptr(GDateTime) at = g_date_time_new_from_unix_utc(nbf);
    g_autofree char *when = g_date_time_format_iso8601(at);
    mg_http_request_respond_error(req, 403, code, "%s; it opens at %s", error->message, when);
  } else if (g_error_matches(error, MG_TOKEN_ERROR, MG_TOKEN_ERROR_WRONG_ROOM)) {
    mg_http_request_respond_error(req, 403, code, "%s", error->message);
  } else {
    mg_http_request_add_header(req, "www-authenticate", "Bearer error=\"invalid_token\"");
    mg_http_request_respond_error(req, 401, code, "%s", error->message);
  }
  return NULL;
}

static gboolean
content_type_is(MgHttpRequest *req, const char *want)
{
  const char *ct = mg_http_request_get_header(req, "content-type");
  if (ct && !g_ascii_strncasecmp(ct, want, strlen(want)) && (!ct[strlen(want)] || ct[strlen(want)] == ';'))
    return TRUE;
  mg_http_request_respond_error(req, 415, "unsupported_media_type", "the body must be %s", want);
  return FALSE;
}

static void
on_answer(const char *peer, const char *answer, const GError *error, gpointer data)
{
  MgWhipPending *p = data;
  if (!answer) {
    mg_http_request_respond_error(p->req, error && error->code == MG_MEDIA_ERROR_SDP ? 400 : 500,
                                  error && error->code == MG_MEDIA_ERROR_SDP ? "bad_offer" : "internal", "%s",
                                  error ? error->message : "no answer");
  } else if (mg_http_request_is_gone(p->req)) {
    mg_media_engine_close_peer(p->whip->engine, peer); /* nobody will ever use it */
  } else {
    g_autofree char *location = g_strdup_printf("%s/%s", p->base, peer);
    g_autofree char *etag = g_strdup_printf("\"%s\"", peer);
    g_autoptr(GBytes) body = g_bytes_new(answer, strlen(answer));
    mg_http_request_add_header(p->req, "location", location);
    mg_http_request_add_header(p->req, "etag", etag);
    mg_http_request_respond(p->req, 201, "application/sdp", body);
    /* In a room of the store, a publisher is a participant the meeting page shows. */
    if (p->party && p->whip->conference)
      mg_conference_add_whip(p->whip->conference, p->room, p->party, p->name, p->role, p->user, peer);
  }
  pending_free(p);
}

static void
on_post(MgHttpRequest *req, gpointer data)
{
  MgWhip *whip = data;
  g_autofree char *room = NULL, *resource = NULL;
  gboolean whep = is_whep(req);

  add_cors(req);
  if (!split_tail(req, &room, &resource) || resource) {
    mg_http_request_respond_error(req, 404, "not_found", "POST to /%s/<room>", whep ? "whep" : "whip");
    return;
  }
  g_autoptr(MgToken) token = authorize(whip, req, room);
  if (!token)
    return;
  if (!whep && !g_strv_contains(publish_roles, token->role)) {
    mg_http_request_respond_error(req, 403, "not_allowed", "the role %s may not publish", token->role);
    return;
  }
  if (!content_type_is(req, "application/sdp"))
    return;

  g_autoptr(GBytes) body = mg_http_request_get_body(req);
  g_autofree char *offer = g_strndup(g_bytes_get_data(body, NULL), g_bytes_get_size(body));
  MgWhipPending *p = g_new0(MgWhipPending, 1);
  p->req = mg_http_request_ref(req);
  p->whip = whip;
  p->base = g_strdup_printf("/%s/%s", whep ? "whep" : "whip", room);
  g_info("%s %s as %s (%s)", whep ? "WHEP play" : "WHIP publish", room, token->sub ? token->sub : "", token->role);
  gboolean bridge = !strcmp(token->role, "bridge");
  if (whep && !bridge) {
    mg_media_engine_connect(whip->engine, room, MG_MEDIA_SUBSCRIBE, offer, on_answer, p);
    return;
  }
  /* Publishers and bridges carry a party: publishers become participants,
   * and a bridge's WHEP gets no bridge's tracks (no echo, docs/bridge.md). */
  g_autofree char *party =
      g_strdup_printf("%s%08x%08x", bridge ? MG_MEDIA_BRIDGE_PARTY_PREFIX : "whip-", g_random_int(), g_random_int());
  if (!whep) {
    p->room = g_strdup(room);
    p->party = g_strdup(party);
    p->name = g_strndup(token->name && *token->name ? token->name
                        : token->sub && *token->sub ? token->sub
                        : bridge                    ? "Bridge"
                                                    : "WHIP",
                        64);
    p->role = g_strdup(token->role);
    p->user = g_strdup(token->sub);
  }
  mg_media_engine_connect_party(whip->engine, room, whep ? MG_MEDIA_SUBSCRIBE : MG_MEDIA_PUBLISH, party, offer,
                                on_answer, p);
}

/* The peer named by /whip/<room>/<peer>, or NULL after answering 404. The
 * unguessable resource URL is the capability (RFC 9725 section 4.3). */
static char *
resource_peer(MgWhip *whip, MgHttpRequest *req)
{
  g_autofree char *room = NULL, *resource = NULL;
  if (!split_tail(req, &room, &resource) || !resource || !mg_media_engine_has_peer(whip->engine, resource) ||
      g_strcmp0(mg_media_engine_peer_room(whip->engine, resource), room)) {
    mg_http_request_respond_error(req, 404, "not_found", "no such session");
    return NULL;
  }
  return g_steal_pointer(&resource);
}

static void
on_restarted(const char *peer, const char *frag, const GError *error, gpointer data)
{
  MgWhipPending *p = data;
  if (!frag) {
    mg_http_request_respond_error(p->req, error && error->code == MG_MEDIA_ERROR_NO_PEER ? 404 : 400, "bad_restart",
                                  "%s", error ? error->message : "ICE restart failed");
  } else {
    g_autofree char *etag = g_strdup_printf("\"%s-%08x\"", peer, g_random_int());
    g_autoptr(GBytes) body = g_bytes_new(frag, strlen(frag));
    mg_http_request_add_header(p->req, "etag", etag);
    mg_http_request_respond(p->req, 200, "application/trickle-ice-sdpfrag", body);
  }
  pending_free(p);
}

static void
on_patch(MgHttpRequest *req, gpointer data)
{
  MgWhip *whip = data;
  add_cors(req);
  g_autofree char *peer = resource_peer(whip, req);
  if (!peer || !content_type_is(req, "application/trickle-ice-sdpfrag"))
    return;

  g_autoptr(GBytes) body = mg_http_request_get_body(req);
  MgWhipSdpFrag frag = { 0 };
  const char *why = NULL;
  if (!mg_whip_parse_sdpfrag(g_bytes_get_data(body, NULL), g_bytes_get_size(body), &frag, &why)) {
    mg_http_request_respond_error(req, 400, "bad_sdpfrag", "%s", why);
    mg_whip_sdpfrag_clear(&frag);
    return;
  }
  GPtrArray *cands = frag.candidates;
  const char *ufrag = frag.ufrag, *pwd = frag.pwd;
  gboolean end = frag.end;

  /* RFC 9725 4.3.2: If-Match: * asks for an ICE restart. */
  if (!g_strcmp0(mg_http_request_get_header(req, "if-match"), "*")) {
    g_ptr_array_add(cands, NULL);
    MgWhipPending *p = g_new0(MgWhipPending, 1);
    p->req = mg_http_request_ref(req);
    p->whip = whip;
    mg_media_engine_restart_ice(whip->engine, peer, ufrag, pwd, (char **)cands->pdata, on_restarted, p);
    mg_whip_sdpfrag_clear(&frag);
    return;
  }
  guint added = 0;
  for (guint i = 0; i < cands->len; i++) {
    const char *c = g_ptr_array_index(cands, i);
    if (!mg_media_engine_add_candidate(whip->engine, peer, c)) {
      mg_http_request_respond_error(req, 400, "bad_candidate", "cannot use candidate: %.80s", c);
      mg_whip_sdpfrag_clear(&frag);
      return;
    }
    added++;
  }
  if (end)
    mg_media_engine_add_candidate(whip->engine, peer, NULL);
  g_debug("%u candidates for %s", added, peer);
  mg_whip_sdpfrag_clear(&frag);
  mg_http_request_respond(req, 204, "text/plain", NULL);
}

static void
on_delete(MgHttpRequest *req, gpointer data)
{
  MgWhip *whip = data;
  add_cors(req);
  g_autofree char *peer = resource_peer(whip, req);
  if (!peer)
    return;
  mg_media_engine_close_peer(whip->engine, peer);
  mg_http_request_respond(req, 200, "text/plain", NULL);
}

/* Whether a session is still there (bridges ask when its media is quiet,
 * docs/bridge.md): 204, or 404 for an unknown or closed one. Like DELETE,
 * the resource URL is the capability. */
static void
on_get(MgHttpRequest *req, gpointer data)
{
  MgWhip *whip = data;
  add_cors(req);
  g_autofree char *peer = resource_peer(whip, req);
  if (peer)
    mg_http_request_respond(req, 204, "text/plain", NULL);
}

static void
on_options(MgHttpRequest *req, gpointer data)
{
  add_cors(req);
  mg_http_request_add_header(req, "access-control-allow-methods", "GET, POST, PATCH, DELETE, OPTIONS");
  mg_http_request_add_header(req, "access-control-allow-headers", "Authorization, Content-Type, If-Match");
  mg_http_request_add_header(req, "access-control-max-age", "86400");
  mg_http_request_add_header(req, "accept-post", "application/sdp");
  mg_http_request_respond(req, 204, "text/plain", NULL);
}

static const MgHttpRoute routes[] = {
  { "POST", "/whip/", MG_HTTP_PREFIX, on_post },       { "POST", "/whep/", MG_HTTP_PREFIX, on_post },
  { "PATCH", "/whip/", MG_HTTP_PREFIX, on_patch },     { "PATCH", "/whep/", MG_HTTP_PREFIX, on_patch },
  { "DELETE", "/whip/", MG_HTTP_PREFIX, on_delete },   { "DELETE", "/whep/", MG_HTTP_PREFIX, on_delete },
  { "OPTIONS", "/whip/", MG_HTTP_PREFIX, on_options }, { "OPTIONS", "/whep/", MG_HTTP_PREFIX, on_options },
  { "GET", "/whip/", MG_HTTP_PREFIX, on_get },         { "GET", "/whep/", MG_HTTP_PREFIX, on_get },
};

MgWhip *
mg_whip_new(MgHttpServer *server, MgMediaEngine *engine, const char *secret)
{
  MgWhip *whip = g_new0(MgWhip, 1);
  whip->engine = engine;
  whip->secret = secret;
  mg_http_server_add_routes(server, routes, G_N_ELEMENTS(routes), whip);
  return whip;
}

void
mg_whip_set_conference(MgWhip *whip, MgConference *conference)
{
  whip->conference = conference;
}

void
mg_whip_free(MgWhip *whip)
{
  g_free(whip);
}

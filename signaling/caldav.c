/* SPDX-License-Identifier: MIT
 * CalDAV: REPORT bodies, the multistatus parser (libxml2) and one blocking
 * HTTP exchange (libcurl). docs/calendars.md has how a sync uses them. */
#define G_LOG_DOMAIN "caldav"
#include "signaling/caldav.h"

#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#define NS_DAV "DAV:"
#define NS_CALDAV "urn:ietf:params:xml:ns:caldav"

G_DEFINE_QUARK(mg - caldav - error - quark, mg_caldav_error)

static void
item_clear(gpointer p)
{
  MgCaldavItem *it = p;
  g_free(it->href);
  g_free(it->etag);
  g_free(it->calendar_data);
}

void
mg_caldav_multistatus_clear(MgCaldavMultistatus *ms)
{
  g_clear_pointer(&ms->items, g_array_unref);
  g_clear_pointer(&ms->sync_token, g_free);
}

/* ---- REPORT bodies ---- */

char *
mg_caldav_sync_collection_body(const char *sync_token)
{
  g_autofree char *token = g_markup_escape_text(sync_token ? sync_token : "", -1);
  return g_strdup_printf("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                         "<D:sync-collection xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\n"
                         "  <D:sync-token>%s</D:sync-token>\n"
                         "  <D:sync-level>1</D:sync-level>\n"
                         "  <D:prop><D:getetag/><C:calendar-data/></D:prop>\n"
                         "</D:sync-collection>\n",
                         token);
}

static char *
utc_stamp(gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
  return dt ? g_date_time_format(dt, "%Y%m%dT%H%M%SZ") : g_strdup("19700101T000000Z");
}

char *
mg_caldav_calendar_query_body(gint64 from_s, gint64 to_s, gboolean with_data)
{
  g_autofree char *from = utc_stamp(from_s);
  g_autofree char *to = utc_stamp(to_s);
  return g_strdup_printf("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                         "<C:calendar-query xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">\n"
                         "  <D:prop><D:getetag/>%s</D:prop>\n"
                         "  <C:filter>\n"
                         "    <C:comp-filter name=\"VCALENDAR\">\n"
                         "      <C:comp-filter name=\"VEVENT\">\n"
                         "        <C:time-range start=\"%s\" end=\"%s\"/>\n"
                         "      </C:comp-filter>\n"
                         "    </C:comp-filter>\n"
                         "  </C:filter>\n"
                         "</C:calendar-query>\n",
                         with_data ? "<C:calendar-data/>" : "", from, to);
}

/* ---- multistatus ---- */

static gboolean
is(const xmlNode *n, const char *ns, const char *name)
{
  return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href && !strcmp((const char *)n->ns->href, ns) &&
         !strcmp((const char *)n->name, name);
}

static const xmlNode *
child(const xmlNode *parent, const char *ns, const char *name)
{
  for (const xmlNode *c = parent->children; c; c = c->next)
    if (is(c, ns, name))
      return c;
  return NULL;
}

/* The node's text, stripped, or NULL when empty. (transfer full) */
static char *
text_of(const xmlNode *n)
{
  if (!n)
    return NULL;
  xmlChar *raw = xmlNodeGetContent(n);
  char *s = raw ? g_strstrip(g_strdup((const char *)raw)) : NULL;
  xmlFree(raw);
  if (s && !*s)
    g_clear_pointer(&s, g_free);
  return s;
}

/* "HTTP/1.1 404 Not Found" → 404; 0 when unreadable. */
static guint
status_code(const xmlNode *n)
{
  g_autofree char *s = text_of(n);
  const char *sp = s ? strchr(s, ' ') : NULL;
  guint64 code = 0;
  char digits[4] = { 0 };
  if (!sp)
    return 0;
  g_strlcpy(digits, sp + 1, sizeof digits);
  if (!g_ascii_string_to_unsigned(digits, 10, 100, 599, &code, NULL))
    return 0;
  return (guint)code;
}

static void
parse_response(const xmlNode *resp, GArray *items)
{
  MgCaldavItem it = { 0 };
  it.href = text_of(child(resp, NS_DAV, "href"));
  if (!it.href)
    return; /* a response without an href names nothing */
  it.status = status_code(child(resp, NS_DAV, "status"));
  for (const xmlNode *ps = resp->children; ps; ps = ps->next) {
    if (!is(ps, NS_DAV, "propstat"))
      continue;
    guint st = status_code(child(ps, NS_DAV, "status"));
    const xmlNode *prop = child(ps, NS_DAV, "prop");
    if (st < 200 || st >= 300 || !prop)
      continue;
    if (!it.status)
      it.status = st;
    if (!it.etag)
      it.etag = text_of(child(prop, NS_DAV, "getetag"));
    if (!it.calendar_data)
      it.calendar_data = text_of(child(prop, NS_CALDAV, "calendar-data"));
  }
  if (!it.status)
    it.status = it.etag || it.calendar_data ? 200 : 0;
  g_array_append_val(items, it);
}

/* libxml2 reports some errors (encodings, I/O) through the generic handler,
 * which prints to stderr whatever XML_PARSE_NOERROR says: the peer's bytes
 * must not reach the log that way. The handler is per thread. */
static void G_GNUC_PRINTF(2, 3) quiet(void *ctx, const char *fmt, ...)
{
}

gboolean
mg_caldav_parse_multistatus(const char *xml, gsize len, MgCaldavMultistatus *out, GError **error)
{
  memset(out, 0, sizeof *out);
  out->items = g_array_new(FALSE, TRUE, sizeof(MgCaldavItem));
  g_array_set_clear_func(out->items, item_clear);
  if (len > MG_CALDAV_MAX_RESPONSE || len > G_MAXINT) {
    g_set_error(error, MG_CALDAV_ERROR, MG_CALDAV_ERROR_TOO_LARGE, "the multistatus response is over %d bytes",
                MG_CALDAV_MAX_RESPONSE);
    return FALSE;
  }
  xmlSetGenericErrorFunc(NULL, quiet);
  /* No network, no entity substitution, no DTD loading: the text is the peer's. */
  xmlDoc *doc = len ? xmlReadMemory(xml, (int)len, "multistatus.xml", NULL,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)
                    : NULL;
  const xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
  gboolean ok = FALSE;
  if (!doc) {
    const xmlError *e = xmlGetLastError();
    g_autofree char *why = e && e->message ? g_strstrip(g_strdup(e->message)) : NULL;
    if (why)
      g_set_error(error, MG_CALDAV_ERROR, MG_CALDAV_ERROR_MALFORMED, "the multistatus response is not XML: line %d: %s",
                  e->line, why);
    else
      g_set_error(error, MG_CALDAV_ERROR, MG_CALDAV_ERROR_MALFORMED, "the multistatus response is empty");
  } else if (!root || !is(root, NS_DAV, "multistatus")) {
    g_set_error(error, MG_CALDAV_ERROR, MG_CALDAV_ERROR_MALFORMED,
                "the response's root element is not DAV:multistatus");
  } else {
    for (const xmlNode *c = root->children; c; c = c->next) {
      if (is(c, NS_DAV, "response"))
        parse_response(c, out->items);
      else if (is(c, NS_DAV, "sync-token") && !out->sync_token)
        out->sync_token = text_of(c);
    }
    ok = TRUE;
  }
  xmlFreeDoc(doc);
  xmlResetLastError();
  return ok;
}

/* ---- HTTP ---- */

static size_t
on_write(char *data, size_t size, size_t n, void *user)
{
  GByteArray *buf = user;
  size_t len = size * n;
  if (buf->len + len > MG_CALDAV_MAX_RESPONSE)
    return 0; /* aborts the transfer */
  g_byte_array_append(buf, (const guint8 *)data, len);
  return len;
}

static gsize curl_ready;

gboolean
mg_caldav_http(const char *method, const char *url, const char *username, const char *password, const char *depth,
               const char *body, guint timeout_s, guint *status, GBytes **response, GError **error)
{
  if (g_once_init_enter(&curl_ready)) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    g_once_init_leave(&curl_ready, 1);
  }
  CURL *c = curl_easy_init();
  struct curl_slist *headers = NULL;
  g_autoptr(GByteArray) buf = g_byte_array_new();
  g_autofree char *depth_h = depth ? g_strdup_printf("Depth: %s", depth) : NULL;
  char errbuf[CURL_ERROR_SIZE] = "";
  gboolean ok = FALSE;
  if (!c) {
    g_set_error(error, MG_CALDAV_ERROR, MG_CALDAV_ERROR_HTTP, "libcurl could not start a transfer");
    goto out;
  }
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)(timeout_s ? timeout_s : 60));
  /* A published feed (GET) often redirects (http -> https, a CDN); the
   * credentials go only to the first host (curl's default). WebDAV methods
   * are not re-sent elsewhere. */
  if (!strcmp(method, "GET")) {
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  }
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(c, CURLOPT_USERAGENT, "meetgate/" MG_VERSION);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, buf);
  if (username) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)(CURLAUTH_BASIC | CURLAUTH_DIGEST));
    curl_easy_setopt(c, CURLOPT_USERNAME, username);
    curl_easy_setopt(c, CURLOPT_PASSWORD, password ? password : "");
  }
  if (depth_h)
    headers = curl_slist_append(headers, depth_h);
  if (body) {
    headers = curl_slist_append(headers, "Content-Type: application/xml; charset=utf-8");
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    /* curl_easy_strerror, not errbuf: errbuf may quote the URL with its userinfo. */
    g_set_error(error, MG_CALDAV_ERROR, MG_CALDAV_ERROR_HTTP, "%s %s failed: %s", method,
                rc == CURLE_WRITE_ERROR ? "(response too large)" : "request", curl_easy_strerror(rc));
    goto out;
  }
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  *status = (guint)code;
  *response = g_byte_array_free_to_bytes(g_steal_pointer(&buf));
  ok = TRUE;
out:
  curl_slist_free_all(headers);
  if (c)
    curl_easy_cleanup(c);
  return ok;
}

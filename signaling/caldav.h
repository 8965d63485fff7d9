/* SPDX-License-Identifier: MIT
 * CalDAV client pieces: the REPORT bodies (RFC 6578 sync-collection, RFC 4791
 * calendar-query), the multistatus parser, and a blocking HTTP exchange
 * (libcurl) meant to run in a worker thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MG_CALDAV_ERROR (mg_caldav_error_quark())
GQuark mg_caldav_error_quark(void);
typedef enum {
  MG_CALDAV_ERROR_MALFORMED, /* not well-formed XML, or not a DAV:multistatus */
  MG_CALDAV_ERROR_TOO_LARGE,
  MG_CALDAV_ERROR_HTTP,          /* transport failure, or an unexpected HTTP status */
  MG_CALDAV_ERROR_INVALID_TOKEN, /* the server refused the sync token or sync-collection */
} MgCaldavErrorCode;

/* Responses larger than this are refused. */
#define MG_CALDAV_MAX_RESPONSE (32 * 1024 * 1024)

/* One DAV:response of a multistatus. */
typedef struct {
  char *href;          /* as the server wrote it */
  char *etag;          /* NULL when absent */
  char *calendar_data; /* NULL when absent (a removed member, or only the ETag asked) */
  guint status;        /* 200 for a present member, 404 for a removed one (RFC 6578) */
} MgCaldavItem;

typedef struct {
  GArray *items;    /* MgCaldavItem */
  char *sync_token; /* the new DAV:sync-token, or NULL */
} MgCaldavMultistatus;

void mg_caldav_multistatus_clear(MgCaldavMultistatus *ms);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(MgCaldavMultistatus, mg_caldav_multistatus_clear)

/* A sync-collection REPORT body asking for getetag and calendar-data;
 * sync_token NULL or "" starts an initial sync. (transfer full) */
char *mg_caldav_sync_collection_body(const char *sync_token);

/* A calendar-query REPORT body for the VEVENTs overlapping [from_s, to_s),
 * asking for getetag and, when with_data, calendar-data. (transfer full) */
char *mg_caldav_calendar_query_body(gint64 from_s, gint64 to_s, gboolean with_data);

/* Parses a 207 multistatus body into out (zeroed first; the caller clears
 * it). Text that is not well-formed XML or whose root is not
 * DAV:multistatus is MG_CALDAV_ERROR_MALFORMED. */
gboolean mg_caldav_parse_multistatus(const char *xml, gsize len, MgCaldavMultistatus *out, GError **error);

/* One HTTP exchange (blocking: call it from a worker thread). username NULL:
 * no authentication. depth NULL: no Depth header. body NULL: no body. On a
 * transport failure FALSE with MG_CALDAV_ERROR_HTTP; otherwise TRUE with
 * *status and *response (transfer full) set, whatever the status. Neither
 * the password nor the URL's userinfo is ever put in an error message. */
gboolean mg_caldav_http(const char *method, const char *url, const char *username, const char *password,
                        const char *depth, const char *body, guint timeout_s, guint *status, GBytes **response,
                        GError **error);

G_END_DECLS

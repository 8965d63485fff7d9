/* SPDX-License-Identifier: MIT
 * Subscribed calendars: ICS feeds and CalDAV collections kept in the store,
 * synced into meetings. The HTTP runs in a worker thread; the results are
 * applied to the store on the loop that called mg_feeds_sync(). */
#pragma once

#include <gio/gio.h>

#include "signaling/store.h"

G_BEGIN_DECLS

#define MG_FEEDS_ERROR (mg_feeds_error_quark())
GQuark mg_feeds_error_quark(void);
typedef enum {
  MG_FEEDS_ERROR_INVALID, /* a calendar's fields are wrong */
  MG_FEEDS_ERROR_NOT_FOUND,
  MG_FEEDS_ERROR_BUSY,  /* a sync of that calendar is running */
  MG_FEEDS_ERROR_FETCH, /* the server failed or answered something unusable */
  MG_FEEDS_ERROR_STORE,
} MgFeedsError;

#define MG_FEEDS_MIN_INTERVAL_S 30
/* The calendar-query window used when sync-collection is refused. */
#define MG_FEEDS_WINDOW_BEFORE_S (24 * 3600)
#define MG_FEEDS_WINDOW_AFTER_S (90 * 24 * 3600)

typedef enum {
  MG_FEEDS_ICS,
  MG_FEEDS_CALDAV,
} MgFeedsKind;

const char *mg_feeds_kind_name(MgFeedsKind kind);
gboolean mg_feeds_kind_parse(const char *name, MgFeedsKind *out);

typedef struct {
  char *id;
  char *url;
  MgFeedsKind kind;
  char *username; /* NULL: no authentication */
  char *password; /* never logged, never answered; sealed in the store (mg_store_seal) */
  gboolean password_unreadable; /* sealed under another server secret: set it again */
  gint64 interval_s;
  char *source; /* the meetings' source */
  char *sync_token;
  char *last_error;
  gint64 last_sync_at, created_at;
} MgFeedsCalendar;

void mg_feeds_calendar_free(MgFeedsCalendar *cal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgFeedsCalendar, mg_feeds_calendar_free)

/* Validates cal (url http(s), interval, source) and stores it under a new
 * id. (transfer full) the stored calendar, or NULL with an error. */
MgFeedsCalendar *mg_feeds_add(MgStore *store, const MgFeedsCalendar *cal, gint64 now_s, GError **error);
/* (transfer full) or NULL. */
MgFeedsCalendar *mg_feeds_get(MgStore *store, const char *id);
/* (transfer full) MgFeedsCalendar *, in creation order. */
GPtrArray *mg_feeds_list(MgStore *store, GError **error);
/* Removes a calendar and its item map (its meetings stay). */
gboolean mg_feeds_remove(MgStore *store, const char *id, GError **error);

/* What one sync did. */
typedef struct {
  const char *mode; /* "ics", "sync-collection" or "calendar-query" (static) */
  guint fetched;    /* members (CalDAV) or events (ICS) the server sent */
  guint created, updated, unchanged, cancelled, refused, errors;
} MgFeedsCounts;

/* What the worker thread fetched, applied by mg_feeds_apply(). Opaque. */
typedef struct MgFeedsFetch MgFeedsFetch;
void mg_feeds_fetch_free(MgFeedsFetch *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgFeedsFetch, mg_feeds_fetch_free)

/* Fetches what changed in cal since its sync token (blocking, HTTP: for a
 * worker thread; touches no store). now_s sets the fallback window. */
MgFeedsFetch *mg_feeds_fetch(const MgFeedsCalendar *cal, gint64 now_s, GError **error);
/* Builds a fetch by hand (tests, and the ICS path): an ICS text. */
MgFeedsFetch *mg_feeds_fetch_new_ics(const char *text);
/* A CalDAV multistatus text, as answered to sync-collection (complete: an
 * initial sync, whose absent members were removed) or to calendar-query
 * over [from_s, to_s). */
MgFeedsFetch *mg_feeds_fetch_new_caldav(const char *multistatus, gboolean sync_collection, gboolean complete,
                                        gint64 from_s, gint64 to_s, GError **error);

/* Applies a fetch to calendar id on the store: upserts changed events,
 * cancels the meetings of removed members, keeps the new token and item map,
 * and records the sync time. */
gboolean mg_feeds_apply(MgStore *store, const char *id, MgFeedsFetch *fetch, gint64 now_s, MgFeedsCounts *counts,
                        GError **error);
/* Records a failed sync's error on the calendar (and the attempt's time). */
void mg_feeds_set_error(MgStore *store, const char *id, const char *message, gint64 now_s);

/* Syncs calendar id: the fetch in a GTask thread, then, on the calling
 * thread's main context, mg_feeds_sync_finish() applies it. */
void mg_feeds_sync(MgStore *store, const char *id, gint64 now_s, GCancellable *cancellable,
                   GAsyncReadyCallback callback, gpointer user_data);
/* Applies the fetch (on the loop), or records the error on the calendar. */
gboolean mg_feeds_sync_finish(MgStore *store, GAsyncResult *result, MgFeedsCounts *counts, GError **error);

G_END_DECLS

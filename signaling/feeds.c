/* SPDX-License-Identifier: MIT
 * Subscribed calendars: the calendars tables, the fetch (worker thread) and
 * the apply (control loop). docs/calendars.md, "Subscribed calendars". */
#define G_LOG_DOMAIN "feeds"
#include "signaling/feeds.h"

#include <sqlite3.h>
#include <string.h>

#include "signaling/caldav.h"
#include "signaling/feeds-private.h"
#include "signaling/ical.h"
#include "signaling/meetings.h"

#define HTTP_TIMEOUT_S 60

G_DEFINE_QUARK(mg - feeds - error - quark, mg_feeds_error)

typedef enum {
  FETCH_ICS,
  FETCH_SYNC_COLLECTION,
  FETCH_CALENDAR_QUERY,
} FetchMode;

struct MgFeedsFetch {
  FetchMode mode;
  char *ics;              /* FETCH_ICS */
  MgCaldavMultistatus ms; /* CalDAV */
  gboolean complete;      /* every member is listed (initial sync, or query within the window) */
  gint64 from_s, to_s;    /* FETCH_CALENDAR_QUERY's window */
};

static const char *const kind_names[] = { "ics", "caldav" };

const char *
mg_feeds_kind_name(MgFeedsKind kind)
{
  return kind_names[kind];
}

gboolean
mg_feeds_kind_parse(const char *name, MgFeedsKind *out)
{
  for (guint i = 0; name && i < G_N_ELEMENTS(kind_names); i++)
    if (!strcmp(name, kind_names[i])) {
      *out = i;
      return TRUE;
    }
  return FALSE;
}

void
mg_feeds_calendar_free(MgFeedsCalendar *cal)
{
  if (!cal)
    return;
  g_free(cal->id);
  g_free(cal->url);
  g_free(cal->username);
  if (cal->password)
    memset(cal->password, 0, strlen(cal->password));
  g_free(cal->password);
  g_free(cal->source);
  g_free(cal->sync_token);
  g_free(cal->last_error);
  g_free(cal);
}

static MgFeedsCalendar *
calendar_copy(const MgFeedsCalendar *c)
{
  MgFeedsCalendar *d = g_new0(MgFeedsCalendar, 1);
  *d = *c;
  d->id = g_strdup(c->id);
  d->url = g_strdup(c->url);
  d->username = g_strdup(c->username);
  d->password = g_strdup(c->password);
  d->source = g_strdup(c->source);
  d->sync_token = g_strdup(c->sync_token);
  d->last_error = g_strdup(c->last_error);
  return d;
}

/* ---- the calendars table ---- */

static gboolean
store_error(sqlite3 *db, GError **error)
{
  g_set_error(error, MG_FEEDS_ERROR, MG_FEEDS_ERROR_STORE, "calendars store: %s", sqlite3_errmsg(db));
  return FALSE;
}

static char *
column_text(sqlite3_stmt *st, int i)
{
  const unsigned char *t = sqlite3_column_text(st, i);
  return t ? g_strdup((const char *)t) : NULL;
}

#define CALENDAR_COLUMNS                                                                                               \
  "id, url, kind, username, password, interval_s, source, sync_token, last_error, last_sync_at, created_at"

/* The stored password is sealed (mg_store_seal); one that cannot be opened
 * (the server secret changed) leaves the calendar without one and says so. */
static MgFeedsCalendar *
calendar_from_row(MgStore *store, sqlite3_stmt *st)
{
  MgFeedsCalendar *c = g_new0(MgFeedsCalendar, 1);
  c->id = column_text(st, 0);
  c->url = column_text(st, 1);
  g_autofree char *kind = column_text(st, 2);
  mg_feeds_kind_parse(kind, &c->kind);
  c->username = column_text(st, 3);
  g_autoptr(GError) seal_error = NULL;
  g_autofree char *sealed = column_text(st, 4);
  c->password = mg_store_unseal(store, sealed, &seal_error);
  c->interval_s = sqlite3_column_int64(st, 5);
  c->source = column_text(st, 6);
  c->sync_token = column_text(st, 7);
  c->last_error = column_text(st, 8);
  c->last_sync_at = sqlite3_column_int64(st, 9);
  c->created_at = sqlite3_column_int64(st, 10);
  if (seal_error) {
    c->password_unreadable = TRUE;
    g_free(c->last_error);
    c->last_error = g_strdup(seal_error->message);
  }
  return c;
}

static gboolean
has_userinfo(const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
  return !uri || g_uri_get_userinfo(uri) != NULL;
}

static gboolean
validate(const MgFeedsCalendar *c, GError **error)
{
  const char *why = NULL;
  if (!c->url || !(g_str_has_prefix(c->url, "http://") || g_str_has_prefix(c->url, "https://")) ||
      !g_uri_is_valid(c->url, G_URI_FLAGS_NONE, NULL))
    why = "url must be an http:// or https:// URL";
  else if (has_userinfo(c->url))
    why = "url must not carry credentials: give username and password";
  else if (c->interval_s < MG_FEEDS_MIN_INTERVAL_S)
    why = "interval_s must be 30 or more";
  else if (!c->source || !*c->source || strlen(c->source) > 64)
    why = "source must be a name of 1 to 64 characters";
  else if (c->password && !c->username)
    why = "a password needs a username";
  if (why)
    g_set_error(error, MG_FEEDS_ERROR, MG_FEEDS_ERROR_INVALID, "%s", why);
  return why == NULL;
}

MgFeedsCalendar *
mg_feeds_add(MgStore *store, const MgFeedsCalendar *cal, gint64 now_s, GError **error)
{
  g_autoptr(MgFeedsCalendar) c = calendar_copy(cal);
  /* webcal:// (what Outlook and iCloud publish) is https:// by convention. */
  if (c->url && (g_str_has_prefix(c->url, "webcal://") || g_str_has_prefix(c->url, "webcals://"))) {
    char *https = g_strconcat("https://", strstr(c->url, "://") + 3, NULL);
    g_free(c->url);
    c->url = https;
  }
  if (!validate(c, error))
    return NULL;
  g_free(c->id);
  g_autofree char *uuid = g_uuid_string_random();
  c->id = g_strconcat("cal-", uuid, NULL);
  g_clear_pointer(&c->sync_token, g_free);
  g_clear_pointer(&c->last_error, g_free);
  c->last_sync_at = 0;
  c->created_at = now_s;
  sqlite3 *db = mg_store_get_db(store);
  sqlite3_stmt *st = NULL;
  g_autofree char *sealed = mg_store_seal(store, c->password);
  gboolean ok = sqlite3_prepare_v2(db,
                                   "INSERT INTO calendars (id, url, kind, username, password, interval_s, source, "
                                   "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                   -1, &st, NULL) == SQLITE_OK;
  if (ok) {
    sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, c->url, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, mg_feeds_kind_name(c->kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, c->username, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, sealed, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, c->interval_s);
    sqlite3_bind_text(st, 7, c->source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, now_s);
    ok = sqlite3_step(st) == SQLITE_DONE;
  }
  if (!ok)
    store_error(db, error);
  sqlite3_finalize(st);
  return ok ? g_steal_pointer(&c) : NULL;
}

MgFeedsCalendar *
mg_feeds_get(MgStore *store, const char *id)
{
  sqlite3 *db = mg_store_get_db(store);
  sqlite3_stmt *st = NULL;
  MgFeedsCalendar *c = NULL;
  if (sqlite3_prepare_v2(db, "SELECT " CALENDAR_COLUMNS " FROM calendars WHERE id = ?", -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
      c = calendar_from_row(store, st);
  }
  sqlite3_finalize(st);
  return c;
}

GPtrArray *
mg_feeds_list(MgStore *store, GError **error)
{
  sqlite3 *db = mg_store_get_db(store);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT " CALENDAR_COLUMNS " FROM calendars ORDER BY created_at, id", -1, &st, NULL) !=
      SQLITE_OK) {
    store_error(db, error);
    return NULL;
  }
  GPtrArray *all = g_ptr_array_new_with_free_func((GDestroyNotify)mg_feeds_calendar_free);
  while (sqlite3_step(st) == SQLITE_ROW)
    g_ptr_array_add(all, calendar_from_row(store, st));
  sqlite3_finalize(st);
  return all;
}

static gboolean
exec_id(sqlite3 *db, const char *sql, const char *id, const char *text, gint64 n, GError **error)
{
  sqlite3_stmt *st = NULL;
  gboolean ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;
  if (ok) {
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, n);
    ok = sqlite3_step(st) == SQLITE_DONE;
  }
  if (!ok)
    store_error(db, error);
  sqlite3_finalize(st);
  return ok;
}

gboolean
mg_feeds_remove(MgStore *store, const char *id, GError **error)
{
  sqlite3 *db = mg_store_get_db(store);
  if (!exec_id(db, "DELETE FROM calendars WHERE id = ?1 AND ?2 IS NULL AND ?3 = 0", id, NULL, 0, error))
    return FALSE;
  if (sqlite3_changes(db) == 0) {
    g_set_error(error, MG_FEEDS_ERROR, MG_FEEDS_ERROR_NOT_FOUND, "no calendar %s", id);
    return FALSE;
  }
  return TRUE;
}

void
mg_feeds_set_error(MgStore *store, const char *id, const char *message, gint64 now_s)
{
  g_autoptr(GError) error = NULL;
  if (!exec_id(mg_store_get_db(store), "UPDATE calendars SET last_error = ?2, last_sync_at = ?3 WHERE id = ?1", id,
               message, now_s, &error))
    g_warning("%s", error->message);
}

/* ---- the item map: what each member held at the last sync ---- */

typedef struct {
  char *etag;
  GStrv uids;
} Item;

static void
item_free(gpointer p)
{
  Item *it = p;
  g_free(it->etag);
  g_strfreev(it->uids);
  g_free(it);
}

/* href → Item. (transfer full) */
static GHashTable *
load_items(sqlite3 *db, const char *id)
{
  GHashTable *map = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, item_free);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT href, etag, uids FROM calendar_items WHERE calendar_id = ?", -1, &st, NULL) ==
      SQLITE_OK) {
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
      Item *it = g_new0(Item, 1);
      it->etag = column_text(st, 1);
      const char *uids = (const char *)sqlite3_column_text(st, 2);
      it->uids = uids && *uids ? g_strsplit(uids, "\n", -1) : g_new0(char *, 1);
      g_hash_table_insert(map, column_text(st, 0), it);
    }
  }
  sqlite3_finalize(st);
  return map;
}

static gboolean
save_item(sqlite3 *db, const char *id, const char *href, const char *etag, GStrv uids, GError **error)
{
  g_autofree char *joined = g_strjoinv("\n", uids);
  sqlite3_stmt *st = NULL;
  gboolean ok = sqlite3_prepare_v2(db,
                                   "INSERT INTO calendar_items (calendar_id, href, etag, uids) VALUES (?, ?, ?, ?) "
                                   "ON CONFLICT (calendar_id, href) DO UPDATE SET etag = excluded.etag, "
                                   "uids = excluded.uids",
                                   -1, &st, NULL) == SQLITE_OK;
  if (ok) {
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, href, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, etag, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, joined, -1, SQLITE_STATIC);
    ok = sqlite3_step(st) == SQLITE_DONE;
  }
  if (!ok)
    store_error(db, error);
  sqlite3_finalize(st);
  return ok;
}

static gboolean
delete_item(sqlite3 *db, const char *id, const char *href, GError **error)
{
  return exec_id(db, "DELETE FROM calendar_items WHERE calendar_id = ?1 AND href = ?2 AND ?3 = 0", id, href, 0, error);
}

/* ---- apply ---- */

typedef struct {
  MgStore *store;
  sqlite3 *db;
  const MgFeedsCalendar *cal;
  GHashTable *map; /* href → Item */
  MgFeedsCounts *counts;
  gint64 now;
} Apply;

static gboolean
contains(GStrv v, const char *s)
{
  return v && g_strv_contains((const char *const *)v, s);
}

static void
cancel_uid(Apply *a, const char *uid)
{
  g_autoptr(MgMeetingsEntry) e = mg_meetings_find(a->store, a->cal->source, uid, 0);
  if (!e || e->meeting->cancelled)
    return;
  g_autoptr(GError) error = NULL;
  if (mg_meetings_cancel(a->store, a->cal->source, uid, 0, a->now, &error))
    a->counts->cancelled++;
  else
    g_warning("calendar %s: cancelling %s: %s", a->cal->id, uid, error->message);
}

/* Imports one iCalendar text and upserts its meetings. (transfer full) the
 * UIDs it holds, or NULL when it is not a calendar. */
static GStrv
import_text(Apply *a, const char *text)
{
  g_auto(MgIcalResult) res = { 0 };
  g_autoptr(GError) error = NULL;
  if (!mg_ical_import(text, a->cal->source, &res, &error)) {
    a->counts->errors++;
    g_info("calendar %s: a member is not a calendar: %s", a->cal->id, error->message);
    return NULL;
  }
  a->counts->errors += res.errors->len;
  g_autoptr(GStrvBuilder) uids = g_strv_builder_new();
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < res.meetings->len; i++) {
    const MgMeeting *m = g_ptr_array_index(res.meetings, i);
    MgMeetingsResult r = { 0 };
    g_autoptr(GError) e = NULL;
    /* An EXDATE that removes the running occurrence closes its room. */
    a->counts->cancelled += mg_feeds_cancel_running_exdates(a->store, m, a->now);
    if (mg_meetings_upsert(a->store, m, a->now, &r, &e)) {
      if (r.outcome == MG_MEETINGS_CREATED)
        a->counts->created++;
      else if (r.outcome == MG_MEETINGS_UPDATED)
        a->counts->updated++;
      else
        a->counts->unchanged++;
    } else {
      a->counts->refused++;
      g_info("calendar %s: event %s refused: %s", a->cal->id, m->external_id, e->message);
    }
    mg_meetings_result_clear(&r);
    if (g_hash_table_add(seen, m->external_id))
      g_strv_builder_add(uids, m->external_id);
  }
  /* A broken event keeps its meeting: it is not gone, only unreadable now. */
  for (guint i = 0; i < res.errors->len; i++) {
    const char *uid = g_array_index(res.errors, MgIcalEventError, i).uid;
    if (uid && g_hash_table_add(seen, (gpointer)uid))
      g_strv_builder_add(uids, uid);
  }
  return g_strv_builder_end(uids);
}

static void
remove_member(Apply *a, const char *href, GError **error)
{
  Item *old = g_hash_table_lookup(a->map, href);
  if (!old)
    return;
  for (guint i = 0; old->uids[i]; i++)
    cancel_uid(a, old->uids[i]);
  delete_item(a->db, a->cal->id, href, error);
}

/* A member with new content: upsert it, cancel the UIDs it no longer holds. */
static void
update_member(Apply *a, const char *href, const char *etag, const char *text, GError **error)
{
  g_auto(GStrv) uids = import_text(a, text);
  if (!uids)
    return;
  Item *old = g_hash_table_lookup(a->map, href);
  for (guint i = 0; old && old->uids[i]; i++)
    if (!contains(uids, old->uids[i]))
      cancel_uid(a, old->uids[i]);
  save_item(a->db, a->cal->id, href, etag, uids, error);
}

static void
apply_ics(Apply *a, const char *text, GHashTable *present, GError **error)
{
  g_auto(GStrv) uids = import_text(a, text);
  for (guint i = 0; uids && uids[i]; i++) {
    a->counts->fetched++;
    g_hash_table_add(present, g_strdup(uids[i]));
    if (!g_hash_table_contains(a->map, uids[i])) {
      char *one[] = { uids[i], NULL };
      save_item(a->db, a->cal->id, uids[i], NULL, one, error);
    }
  }
}

/* Outside a calendar-query's window a member is not listed, yet not gone. */
static gboolean
in_window(Apply *a, const Item *it, const MgFeedsFetch *f)
{
  if (f->mode != FETCH_CALENDAR_QUERY)
    return TRUE;
  for (guint i = 0; it->uids[i]; i++) {
    g_autoptr(MgMeetingsEntry) e = mg_meetings_find(a->store, a->cal->source, it->uids[i], 0);
    if (e && (e->meeting->rrule || (e->meeting->end > f->from_s && e->meeting->start < f->to_s)))
      return TRUE;
  }
  return FALSE;
}

static void
apply_caldav(Apply *a, const MgFeedsFetch *f, GHashTable *present, GError **error)
{
  for (guint i = 0; i < f->ms.items->len; i++) {
    const MgCaldavItem *it = &g_array_index(f->ms.items, MgCaldavItem, i);
    if (it->status == 404) {
      remove_member(a, it->href, error);
      continue;
    }
    if (it->status < 200 || it->status >= 300)
      continue;
    /* The collection itself is listed too by some servers: no data, no ETag. */
    if (!it->calendar_data && !it->etag)
      continue;
    a->counts->fetched++;
    g_hash_table_add(present, g_strdup(it->href));
    const Item *old = g_hash_table_lookup(a->map, it->href);
    if (old && it->etag && old->etag && !strcmp(old->etag, it->etag))
      continue; /* unchanged since the last sync */
    if (!it->calendar_data) {
      a->counts->errors++;
      continue;
    }
    update_member(a, it->href, it->etag, it->calendar_data, error);
  }
}

gboolean
mg_feeds_apply(MgStore *store, const char *id, MgFeedsFetch *fetch, gint64 now_s, MgFeedsCounts *counts, GError **error)
{
  static const char *const modes[] = { "ics", "sync-collection", "calendar-query" };
  memset(counts, 0, sizeof *counts);
  counts->mode = modes[fetch->mode];
  g_autoptr(MgFeedsCalendar) cal = mg_feeds_get(store, id);
  if (!cal) {
    g_set_error(error, MG_FEEDS_ERROR, MG_FEEDS_ERROR_NOT_FOUND, "no calendar %s", id);
    return FALSE;
  }
  sqlite3 *db = mg_store_get_db(store);
  g_autoptr(GHashTable) map = load_items(db, id);
  g_autoptr(GHashTable) present = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  Apply a = { store, db, cal, map, counts, now_s };
  g_autoptr(GError) local = NULL;
  if (fetch->mode == FETCH_ICS)
    apply_ics(&a, fetch->ics, present, &local);
  else
    apply_caldav(&a, fetch, present, &local);
  if (fetch->complete) {
    GHashTableIter iter;
    gpointer href, item;
    g_hash_table_iter_init(&iter, map);
    while (g_hash_table_iter_next(&iter, &href, &item))
      if (!g_hash_table_contains(present, href) && in_window(&a, item, fetch))
        remove_member(&a, href, &local);
  }
  const char *token = fetch->mode == FETCH_SYNC_COLLECTION ? fetch->ms.sync_token : NULL;
  sqlite3_stmt *st = NULL;
  gboolean ok = sqlite3_prepare_v2(db,
                                   "UPDATE calendars SET sync_token = ?, last_error = NULL, last_sync_at = ? "
                                   "WHERE id = ?",
                                   -1, &st, NULL) == SQLITE_OK;
  if (ok) {
    sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_s);
    sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
    ok = sqlite3_step(st) == SQLITE_DONE;
  }
  if (!ok)
    store_error(db, &local);
  sqlite3_finalize(st);
  if (local) {
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
  }
  return TRUE;
}

/* ---- fetch (worker thread: no store, no loop) ---- */

void
mg_feeds_fetch_free(MgFeedsFetch *f)
{
  if (!f)
    return;
  g_free(f->ics);
  mg_caldav_multistatus_clear(&f->ms);
  g_free(f);
}

MgFeedsFetch *
mg_feeds_fetch_new_ics(const char *text)
{
  MgFeedsFetch *f = g_new0(MgFeedsFetch, 1);
  f->mode = FETCH_ICS;
  f->ics = g_strdup(text);
  f->complete = TRUE;
  return f;
}

MgFeedsFetch *
mg_feeds_fetch_new_caldav(const char *multistatus, gboolean sync_collection, gboolean complete, gint64 from_s,
                          gint64 to_s, GError **error)
{
  g_autoptr(MgFeedsFetch) f = g_new0(MgFeedsFetch, 1);
  f->mode = sync_collection ? FETCH_SYNC_COLLECTION : FETCH_CALENDAR_QUERY;
  f->complete = complete;
  f->from_s = from_s;
  f->to_s = to_s;
  if (!mg_caldav_parse_multistatus(multistatus, strlen(multistatus), &f->ms, error))
    return NULL;
  return g_steal_pointer(&f);
}

static char *
body_text(GBytes *b)
{
  gsize n = 0;
  const char *d = g_bytes_get_data(b, &n);
  return g_strndup(d ? d : "", n);
}

static gboolean
http(const MgFeedsCalendar *cal, const char *method, const char *depth, const char *body, guint *status, char **text,
     GError **error)
{
  g_autoptr(GBytes) resp = NULL;
  if (!mg_caldav_http(method, cal->url, cal->username, cal->password, depth, body, HTTP_TIMEOUT_S, status, &resp,
                      error))
    return FALSE;
  *text = body_text(resp);
  return TRUE;
}

static MgFeedsFetch *
fetch_ics(const MgFeedsCalendar *cal, GError **error)
{
  guint status = 0;
  g_autofree char *text = NULL;
  if (!http(cal, "GET", NULL, NULL, &status, &text, error))
    return NULL;
  if (status != 200) {
    g_set_error(error, MG_FEEDS_ERROR, MG_FEEDS_ERROR_FETCH, "the feed answered HTTP %u", status);
    return NULL;
  }
  return mg_feeds_fetch_new_ics(text);
}

static MgFeedsFetch *
fetch_caldav(const MgFeedsCalendar *cal, gint64 now_s, GError **error)
{
  guint status = 0;
  g_autofree char *text = NULL;
  g_autofree char *sync = mg_caldav_sync_collection_body(cal->sync_token);
  gboolean initial = !cal->sync_token || !*cal->sync_token;
  if (!http(cal, "REPORT", "0", sync, &status, &text, error))
    return NULL;
  if (status == 207)
    return mg_feeds_fetch_new_caldav(text, TRUE, initial, 0, 0, error);
  if (status == 401) {
    g_set_error(error, MG_FEEDS_ERROR, MG_FEEDS_ERROR_FETCH, "the server refused the credentials (HTTP 401)");
    return NULL;
  }
  /* sync-collection refused (not supported, or the token is no longer valid):
   * list the window instead, and diff by ETag. */
  g_debug("calendar %s: sync-collection answered HTTP %u, falling back to calendar-query", cal->id, status);
  gint64 from = now_s - MG_FEEDS_WINDOW_BEFORE_S, to = now_s + MG_FEEDS_WINDOW_AFTER_S;
  g_autofree char *query = mg_caldav_calendar_query_body(from, to, TRUE);
  g_clear_pointer(&text, g_free);
  if (!http(cal, "REPORT", "1", query, &status, &text, error))
    return NULL;
  if (status != 207) {
    g_set_error(error, MG_FEEDS_ERROR, MG_FEEDS_ERROR_FETCH, "the server answered HTTP %u to calendar-query", status);
    return NULL;
  }
  return mg_feeds_fetch_new_caldav(text, FALSE, TRUE, from, to, error);
}

MgFeedsFetch *
mg_feeds_fetch(const MgFeedsCalendar *cal, gint64 now_s, GError **error)
{
  if (cal->password_unreadable) {
    g_set_error(error, MG_FEEDS_ERROR, MG_FEEDS_ERROR_FETCH,
                "the stored password was sealed under another server secret: add the calendar again");
    return NULL;
  }
  return cal->kind == MG_FEEDS_ICS ? fetch_ics(cal, error) : fetch_caldav(cal, now_s, error);
}

/* ---- async glue ---- */

typedef struct {
  MgFeedsCalendar *cal;
  gint64 now;
} SyncData;

static void
sync_data_free(gpointer p)
{
  SyncData *d = p;
  mg_feeds_calendar_free(d->cal);
  g_free(d);
}

/* Calendars with a sync running; touched on the control loop only. */
static GHashTable *busy;

static void
sync_thread(GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  SyncData *d = data;
  GError *error = NULL;
  MgFeedsFetch *f = mg_feeds_fetch(d->cal, d->now, &error);
  if (f)
    g_task_return_pointer(task, f, (GDestroyNotify)mg_feeds_fetch_free);
  else
    g_task_return_error(task, error);
}

void
mg_feeds_sync(MgStore *store, const char *id, gint64 now_s, GCancellable *cancellable, GAsyncReadyCallback callback,
              gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new(NULL, cancellable, callback, user_data);
  g_task_set_source_tag(task, mg_feeds_sync);
  MgFeedsCalendar *cal = mg_feeds_get(store, id);
  if (!busy)
    busy = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  if (!cal) {
    g_task_return_new_error(task, MG_FEEDS_ERROR, MG_FEEDS_ERROR_NOT_FOUND, "no calendar %s", id);
    return;
  }
  if (g_hash_table_contains(busy, id)) {
    mg_feeds_calendar_free(cal);
    g_task_return_new_error(task, MG_FEEDS_ERROR, MG_FEEDS_ERROR_BUSY, "calendar %s is syncing already", id);
    return;
  }
  g_hash_table_add(busy, g_strdup(id));
  SyncData *d = g_new0(SyncData, 1);
  d->cal = cal;
  d->now = now_s;
  g_task_set_task_data(task, d, sync_data_free);
  g_task_run_in_thread(task, sync_thread);
}

gboolean
mg_feeds_sync_finish(MgStore *store, GAsyncResult *result, MgFeedsCounts *counts, GError **error)
{
  GTask *task = G_TASK(result);
  SyncData *d = g_task_get_task_data(task);
  memset(counts, 0, sizeof *counts);
  g_autoptr(GError) local = NULL;
  g_autoptr(MgFeedsFetch) f = g_task_propagate_pointer(task, &local);
  if (!d) { /* refused before any fetch: not found, or busy */
    g_propagate_error(error, g_steal_pointer(&local));
    return FALSE;
  }
  g_hash_table_remove(busy, d->cal->id);
  if (f && mg_feeds_apply(store, d->cal->id, f, d->now, counts, &local))
    return TRUE;
  if (!g_error_matches(local, MG_FEEDS_ERROR, MG_FEEDS_ERROR_NOT_FOUND))
    mg_feeds_set_error(store, d->cal->id, local->message, d->now);
  g_propagate_error(error, g_steal_pointer(&local));
  return FALSE;
}

/* SPDX-License-Identifier: MIT
 * The durable chat outbox: one row per message in the store (SQLite), a small
 * state machine over it, and the frozen event as JSON. See docs/chat.md. */
#define G_LOG_DOMAIN "outbox"
#include "signaling/outbox.h"

#include <jansson.h>
#include <sqlite3.h>
#include <string.h>

G_DEFINE_QUARK(mg - outbox - error - quark, mg_outbox_error)

static const char *const state_names[] = {
  [MG_OUTBOX_PENDING] = "pending", [MG_OUTBOX_SENDING] = "sending",     [MG_OUTBOX_SENT] = "sent",
  [MG_OUTBOX_DEAD] = "dead",       [MG_OUTBOX_WITHDRAWN] = "withdrawn",
};

const char *
mg_outbox_state_name(MgOutboxState state)
{
  return (guint)state < G_N_ELEMENTS(state_names) ? state_names[state] : NULL;
}

static gboolean
state_from_name(const char *name, MgOutboxState *state)
{
  for (guint i = 0; name && i < G_N_ELEMENTS(state_names); i++) {
    if (!strcmp(name, state_names[i])) {
      *state = (MgOutboxState)i;
      return TRUE;
    }
  }
  return FALSE;
}

static gboolean
kind_from_name(const char *name, MgChatEventKind *kind)
{
  for (int k = MG_CHAT_EVENT_SCHEDULED; name && k <= MG_CHAT_EVENT_SUMMARY; k++) {
    if (!g_strcmp0(name, mg_chatmsg_event_kind_name((MgChatEventKind)k))) {
      *kind = (MgChatEventKind)k;
      return TRUE;
    }
  }
  return FALSE;
}

void
mg_outbox_message_free(MgOutboxMessage *m)
{
  if (!m)
    return;
  g_free(m->idem_key);
  g_free(m->chat_key);
  g_free(m->meeting_id);
  g_free(m->kind_name);
  g_free(m->event_json);
  g_free(m->last_error);
  g_free(m);
}

/* ---- the frozen event ---- */

typedef struct {
  json_t *root;           /* the strings of ev point into it */
  const char **attendees; /* NULL-terminated, borrowed strings */
} EventPriv;

static json_t *
opt_string(const char *s)
{
  return s ? json_string(s) : json_null();
}

char *
mg_outbox_event_to_json(const MgChatEvent *ev)
{
  json_t *attendees = json_null();
  if (ev->attendees) {
    attendees = json_array();
    for (guint i = 0; ev->attendees[i]; i++)
      json_array_append_new(attendees, json_string(ev->attendees[i]));
  }
  const char *kind = mg_chatmsg_event_kind_name(ev->kind);
  json_t *o =
      json_pack("{s:i, s:s?, s:o, s:o, s:I, s:I, s:o, s:o, s:o, s:o, s:i, s:I, s:o, s:o, s:o}", "v", 1, "kind", kind,
                "meeting_id", opt_string(ev->meeting_id), "title", opt_string(ev->title), "start",
                (json_int_t)ev->start, "end", (json_int_t)ev->end, "timezone", opt_string(ev->timezone), "organizer",
                opt_string(ev->organizer), "join_url", opt_string(ev->join_url), "changes", opt_string(ev->changes),
                "minutes_until", ev->minutes_until, "duration_s", (json_int_t)ev->duration_s, "attendees", attendees,
                "recording_url", opt_string(ev->recording_url), "lang", opt_string(ev->lang));
  if (!o)
    return NULL;
  char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
  char *out = g_strdup(s);
  free(s);
  json_decref(o);
  return out;
}

void
mg_outbox_event_free(MgOutboxEvent *e)
{
  if (!e)
    return;
  EventPriv *p = e->priv;
  if (p) {
    json_decref(p->root);
    g_free(p->attendees);
    g_free(p);
  }
  g_free(e);
}

/* A string member or null; FALSE for another type. */
static gboolean
get_string(json_t *root, const char *name, const char **out)
{
  json_t *v = json_object_get(root, name);
  *out = NULL;
  if (!v || json_is_null(v))
    return TRUE;
  if (!json_is_string(v))
    return FALSE;
  *out = json_string_value(v);
  return TRUE;
}

static gboolean
get_int(json_t *root, const char *name, gint64 *out)
{
  json_t *v = json_object_get(root, name);
  *out = 0;
  if (!v)
    return TRUE;
  if (!json_is_integer(v))
    return FALSE;
  *out = json_integer_value(v);
  return TRUE;
}

static gboolean
parse_fields(json_t *root, MgOutboxEvent *e, const char **bad)
{
  MgChatEvent *ev = &e->ev;
  const char *kind = NULL;
  gint64 minutes = 0;
  static const struct {
    const char *name;
    gsize offset;
  } strings[] = {
    { "meeting_id", G_STRUCT_OFFSET(MgChatEvent, meeting_id) },
    { "title", G_STRUCT_OFFSET(MgChatEvent, title) },
    { "timezone", G_STRUCT_OFFSET(MgChatEvent, timezone) },
    { "organizer", G_STRUCT_OFFSET(MgChatEvent, organizer) },
    { "join_url", G_STRUCT_OFFSET(MgChatEvent, join_url) },
    { "changes", G_STRUCT_OFFSET(MgChatEvent, changes) },
    { "recording_url", G_STRUCT_OFFSET(MgChatEvent, recording_url) },
    { "lang", G_STRUCT_OFFSET(MgChatEvent, lang) },
  };
  if (!get_string(root, "kind", &kind) || !kind_from_name(kind, &ev->kind))
    return (*bad = "kind", FALSE);
  for (guint i = 0; i < G_N_ELEMENTS(strings); i++)
    if (!get_string(root, strings[i].name, (const char **)G_STRUCT_MEMBER_P(ev, strings[i].offset)))
      return (*bad = strings[i].name, FALSE);
  if (!get_int(root, "start", &ev->start))
    return (*bad = "start", FALSE);
  if (!get_int(root, "end", &ev->end))
    return (*bad = "end", FALSE);
  if (!get_int(root, "duration_s", &ev->duration_s))
    return (*bad = "duration_s", FALSE);
  if (!get_int(root, "minutes_until", &minutes) || minutes < G_MININT || minutes > G_MAXINT)
    return (*bad = "minutes_until", FALSE);
  ev->minutes_until = (int)minutes;
  json_t *a = json_object_get(root, "attendees");
  if (a && !json_is_null(a)) {
    if (!json_is_array(a))
      return (*bad = "attendees", FALSE);
    EventPriv *p = e->priv;
    p->attendees = g_new0(const char *, json_array_size(a) + 1);
    for (gsize i = 0; i < json_array_size(a); i++) {
      json_t *s = json_array_get(a, i);
      if (!json_is_string(s))
        return (*bad = "attendees", FALSE);
      p->attendees[i] = json_string_value(s);
    }
    ev->attendees = p->attendees;
  }
  return TRUE;
}

MgOutboxEvent *
mg_outbox_event_parse(const char *json, GError **error)
{
  json_error_t jerr;
  json_t *root = json ? json_loads(json, JSON_REJECT_DUPLICATES, &jerr) : NULL;
  if (!root || !json_is_object(root)) {
    g_set_error(error, MG_OUTBOX_ERROR, MG_OUTBOX_ERROR_INVALID, "stored event is not a JSON object: %s",
                root   ? "another JSON value"
                : json ? jerr.text
                       : "no text");
    json_decref(root);
    return NULL;
  }
  g_autoptr(MgOutboxEvent) e = g_new0(MgOutboxEvent, 1);
  EventPriv *p = g_new0(EventPriv, 1);
  p->root = root;
  e->priv = p;
  const char *bad = NULL;
  if (!parse_fields(root, e, &bad)) {
    g_set_error(error, MG_OUTBOX_ERROR, MG_OUTBOX_ERROR_INVALID, "stored event: bad field \"%s\"", bad);
    return NULL;
  }
  return g_steal_pointer(&e);
}

/* ---- statements ---- */

static sqlite3_stmt *
prepare(MgStore *store, const char *sql, GError **error)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(mg_store_get_db(store), sql, -1, &st, NULL) != SQLITE_OK) {
    g_set_error(error, MG_OUTBOX_ERROR, MG_OUTBOX_ERROR_STORE, "outbox: %s", sqlite3_errmsg(mg_store_get_db(store)));
    return NULL;
  }
  return st;
}

/* Steps st to completion and finalizes it; the number of rows changed, or -1. */
static int
finish(MgStore *store, sqlite3_stmt *st, GError **error)
{
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    g_set_error(error, MG_OUTBOX_ERROR, MG_OUTBOX_ERROR_STORE, "outbox: %s", sqlite3_errmsg(mg_store_get_db(store)));
    return -1;
  }
  return sqlite3_changes(mg_store_get_db(store));
}

/* A transition of one message: FALSE with NOT_FOUND when no row in an allowed state changed. */
static gboolean
transition(MgStore *store, sqlite3_stmt *st, gint64 id, const char *what, GError **error)
{
  if (!st)
    return FALSE;
  int n = finish(store, st, error);
  if (n < 0)
    return FALSE;
  if (n == 0) {
    g_set_error(error, MG_OUTBOX_ERROR, MG_OUTBOX_ERROR_NOT_FOUND,
                "outbox message %" G_GINT64_FORMAT ": no such message in a state that allows %s", id, what);
    return FALSE;
  }
  return TRUE;
}

/* Inserts one row; joins the caller's transaction, otherwise the statement commits on its own. */
static gboolean
insert(MgStore *store, const char *idem_key, const char *chat_key, const char *meeting_id, gint64 occurrence,
       const char *kind, const char *json, gint64 now_ms, gboolean *queued, GError **error)
{
  sqlite3_stmt *st = prepare(store,
                             "INSERT INTO outbox (idem_key, chat_key, meeting_id, occurrence, kind, event, state, "
                             "next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) "
                             "ON CONFLICT (idem_key) DO NOTHING",
                             error);
  if (!st)
    return FALSE;
  sqlite3_bind_text(st, 1, idem_key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, chat_key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, meeting_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, occurrence);
  sqlite3_bind_text(st, 5, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, json, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 7, now_ms);
  sqlite3_bind_int64(st, 8, now_ms);
  int n = finish(store, st, error);
  if (n < 0)
    return FALSE;
  if (queued)
    *queued = n > 0;
  return TRUE;
}

gboolean
mg_outbox_enqueue(MgStore *store, const char *idem_key, const char *chat_key, const char *meeting_id, gint64 occurrence,
                  const MgChatEvent *ev, gint64 now_ms, gboolean *queued, GError **error)
{
  if (queued)
    *queued = FALSE;
  const char *kind = ev ? mg_chatmsg_event_kind_name(ev->kind) : NULL;
  if (!idem_key || !*idem_key || !chat_key || !*chat_key || !meeting_id || !*meeting_id || !kind) {
    g_set_error_literal(error, MG_OUTBOX_ERROR, MG_OUTBOX_ERROR_INVALID,
                        "a message needs an idempotency key, a chat, a meeting and a known event kind");
    return FALSE;
  }
  g_autofree char *json = mg_outbox_event_to_json(ev);
  if (!json) {
    g_set_error_literal(error, MG_OUTBOX_ERROR, MG_OUTBOX_ERROR_INVALID, "the event has text that is not UTF-8");
    return FALSE;
  }
  return insert(store, idem_key, chat_key, meeting_id, occurrence, kind, json, now_ms, queued, error);
}

static gboolean
raw_kind_ok(const char *name)
{
  MgChatEventKind k;
  if (!name || !*name || strlen(name) > 64 || kind_from_name(name, &k))
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_islower(*p) && *p != '_')
      return FALSE;
  return TRUE;
}

gboolean
mg_outbox_enqueue_raw(MgStore *store, const char *idem_key, const char *target, const char *meeting_id,
                      gint64 occurrence, const char *kind_name, const char *body_json, gint64 now_ms, gboolean *queued,
                      GError **error)
{
  if (queued)
    *queued = FALSE;
  if (!idem_key || !*idem_key || !target || !*target || !meeting_id || !raw_kind_ok(kind_name)) {
    g_set_error_literal(error, MG_OUTBOX_ERROR, MG_OUTBOX_ERROR_INVALID,
                        "a raw message needs an idempotency key, a target and a kind of lower-case letters and '_' "
                        "that is not a chat event's");
    return FALSE;
  }
  json_error_t jerr;
  json_t *root = body_json ? json_loads(body_json, JSON_REJECT_DUPLICATES, &jerr) : NULL;
  gboolean object = json_is_object(root);
  json_decref(root);
  if (!object) {
    g_set_error_literal(error, MG_OUTBOX_ERROR, MG_OUTBOX_ERROR_INVALID, "a raw message's body must be a JSON object");
    return FALSE;
  }
  return insert(store, idem_key, target, meeting_id, occurrence, kind_name, body_json, now_ms, queued, error);
}

#define COLUMNS                                                                                                        \
  "id, idem_key, chat_key, meeting_id, occurrence, kind, event, state, attempts, next_at, last_error, created_at, "    \
  "sent_at"

static char *
column_dup(sqlite3_stmt *st, int i)
{
  return g_strdup((const char *)sqlite3_column_text(st, i));
}

static MgOutboxMessage *
row(sqlite3_stmt *st)
{
  MgOutboxMessage *m = g_new0(MgOutboxMessage, 1);
  m->id = sqlite3_column_int64(st, 0);
  m->idem_key = column_dup(st, 1);
  m->chat_key = column_dup(st, 2);
  m->meeting_id = column_dup(st, 3);
  m->occurrence = sqlite3_column_int64(st, 4);
  m->kind_name = column_dup(st, 5);
  /* A chat event's kind, or a raw message's (mg_outbox_enqueue_raw refuses chat kinds' names). */
  m->raw = !kind_from_name(m->kind_name, &m->kind);
  if (m->raw)
    m->kind = MG_CHAT_EVENT_SCHEDULED;
  m->event_json = column_dup(st, 6);
  if (!state_from_name((const char *)sqlite3_column_text(st, 7), &m->state))
    m->state = MG_OUTBOX_DEAD; /* the CHECK constraint makes this unreachable */
  m->attempts = sqlite3_column_int(st, 8);
  m->next_at_ms = sqlite3_column_int64(st, 9);
  m->last_error = column_dup(st, 10);
  m->created_at_ms = sqlite3_column_int64(st, 11);
  m->sent_at_ms = sqlite3_column_int64(st, 12);
  return m;
}

static GPtrArray *
rows(MgStore *store, sqlite3_stmt *st, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)mg_outbox_message_free);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    g_ptr_array_add(out, row(st));
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    g_set_error(error, MG_OUTBOX_ERROR, MG_OUTBOX_ERROR_STORE, "outbox: %s", sqlite3_errmsg(mg_store_get_db(store)));
    return NULL;
  }
  return g_steal_pointer(&out);
}

GPtrArray *
mg_outbox_due(MgStore *store, const char *chat_key, gint64 now_ms, guint limit, GError **error)
{
  sqlite3_stmt *st = prepare(store,
                             "SELECT " COLUMNS " FROM outbox WHERE state = 'pending' AND next_at <= ?1 "
                             "AND (?2 IS NULL OR chat_key = ?2) ORDER BY next_at, id LIMIT ?3",
                             error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, now_ms);
  if (chat_key)
    sqlite3_bind_text(st, 2, chat_key, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, limit);
  return rows(store, st, error);
}

/* A chat's head: its oldest unfinished (pending or sending) message. */
#define HEAD_SQL                                                                                                       \
  "state = 'pending' AND NOT EXISTS (SELECT 1 FROM outbox o2 WHERE o2.chat_key = outbox.chat_key "                     \
  "AND o2.state IN ('pending', 'sending') AND o2.id < outbox.id)"

GPtrArray *
mg_outbox_due_heads(MgStore *store, gint64 now_ms, guint limit, GError **error)
{
  sqlite3_stmt *st = prepare(store,
                             "SELECT " COLUMNS " FROM outbox WHERE " HEAD_SQL " AND next_at <= ?1 "
                             "ORDER BY next_at, id LIMIT ?2",
                             error);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, now_ms);
  sqlite3_bind_int64(st, 2, limit);
  return rows(store, st, error);
}

static gint64
scalar(MgStore *store, const char *sql, const char *text, gint64 number)
{
  sqlite3_stmt *st = prepare(store, sql, NULL);
  gint64 v = 0;
  if (!st)
    return 0;
  if (text)
    sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
  else
    sqlite3_bind_int64(st, 1, number);
  if (sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

gint64
mg_outbox_next_at(MgStore *store)
{
  return scalar(store, "SELECT coalesce(min(next_at), 0) FROM outbox WHERE state = 'pending' AND ?1 = 0", NULL, 0);
}

gint64
mg_outbox_next_head_at(MgStore *store)
{
  return scalar(store, "SELECT coalesce(min(next_at), 0) FROM outbox WHERE " HEAD_SQL " AND ?1 = 0", NULL, 0);
}

gboolean
mg_outbox_mark_sending(MgStore *store, gint64 id, gint64 now_ms, GError **error)
{
  (void)now_ms;
  /* Durable: once this returns, a crash cannot forget that the request may have gone out. */
  gboolean own = sqlite3_get_autocommit(mg_store_get_db(store));
  if (own && !mg_store_begin(store, TRUE, error))
    return FALSE;
  sqlite3_stmt *st = prepare(store, "UPDATE outbox SET state = 'sending' WHERE id = ? AND state = 'pending'", error);
  if (st)
    sqlite3_bind_int64(st, 1, id);
  gboolean ok = transition(store, st, id, "sending", error);
  if (own)
    ok = mg_store_end(store, ok, ok ? error : NULL) && ok;
  return ok;
}

gboolean
mg_outbox_mark_sent(MgStore *store, gint64 id, gint64 now_ms, GError **error)
{
  sqlite3_stmt *st =
      prepare(store, "UPDATE outbox SET state = 'sent', sent_at = ?2 WHERE id = ?1 AND state = 'sending'", error);
  if (st) {
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now_ms);
  }
  return transition(store, st, id, "sent", error);
}

gboolean
mg_outbox_mark_retry(MgStore *store, gint64 id, gint64 next_at_ms, const char *error_text, GError **error)
{
  sqlite3_stmt *st = prepare(store,
                             "UPDATE outbox SET state = 'pending', attempts = attempts + 1, next_at = ?2, "
                             "last_error = ?3 WHERE id = ?1 AND state = 'sending'",
                             error);
  if (st) {
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, next_at_ms);
    sqlite3_bind_text(st, 3, error_text, -1, SQLITE_STATIC);
  }
  return transition(store, st, id, "a retry", error);
}

gboolean
mg_outbox_mark_dead(MgStore *store, gint64 id, const char *error_text, GError **error)
{
  /* A failed attempt (from sending) counts; a message given up before any attempt does not. */
  sqlite3_stmt *st = prepare(store,
                             "UPDATE outbox SET state = 'dead', attempts = attempts + (state = 'sending'), "
                             "last_error = ?2 WHERE id = ?1 AND state IN ('sending', 'pending')",
                             error);
  if (st) {
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, error_text, -1, SQLITE_STATIC);
  }
  return transition(store, st, id, "dead", error);
}

gboolean
mg_outbox_defer(MgStore *store, gint64 id, gint64 next_at_ms, GError **error)
{
  sqlite3_stmt *st = prepare(store, "UPDATE outbox SET next_at = ?2 WHERE id = ?1 AND state = 'pending'", error);
  if (st) {
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, next_at_ms);
  }
  return transition(store, st, id, "a defer", error);
}

gboolean
mg_outbox_requeue(MgStore *store, gint64 id, gint64 now_ms, GError **error)
{
  sqlite3_stmt *st = prepare(store,
                             "UPDATE outbox SET state = 'pending', attempts = 0, next_at = ?2 "
                             "WHERE id = ?1 AND state IN ('dead', 'pending')",
                             error);
  if (st) {
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, now_ms);
  }
  return transition(store, st, id, "a requeue", error);
}

guint
mg_outbox_withdraw(MgStore *store, const char *meeting_id, gint64 occurrence, const MgChatEventKind *kinds,
                   guint n_kinds)
{
  if (!meeting_id || !n_kinds)
    return 0;
  GString *sql = g_string_new("UPDATE outbox SET state = 'withdrawn' WHERE state = 'pending' AND meeting_id = ?1 "
                              "AND (?2 = 0 OR occurrence = ?2) AND kind IN (");
  for (guint i = 0; i < n_kinds; i++)
    g_string_append_printf(sql, "%s?%u", i ? ", " : "", i + 3);
  g_string_append(sql, ")");
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *st = prepare(store, sql->str, &error);
  g_string_free(sql, TRUE);
  if (!st) {
    g_warning("%s", error->message);
    return 0;
  }
  sqlite3_bind_text(st, 1, meeting_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, occurrence);
  for (guint i = 0; i < n_kinds; i++)
    sqlite3_bind_text(st, i + 3, mg_chatmsg_event_kind_name(kinds[i]) ?: "?", -1, SQLITE_STATIC);
  int n = finish(store, st, &error);
  if (n < 0)
    g_warning("%s", error->message);
  return n > 0 ? (guint)n : 0;
}

guint
mg_outbox_recover(MgStore *store, gint64 now_ms)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *st = prepare(store, "UPDATE outbox SET state = 'pending', next_at = ? WHERE state = 'sending'", &error);
  if (!st) {
    g_warning("%s", error->message);
    return 0;
  }
  sqlite3_bind_int64(st, 1, now_ms);
  int n = finish(store, st, &error);
  if (n < 0)
    g_warning("%s", error->message);
  return n > 0 ? (guint)n : 0;
}

GPtrArray *
mg_outbox_list(MgStore *store, MgOutboxState state, guint limit, GError **error)
{
  const char *name = mg_outbox_state_name(state);
  if (!name) {
    g_set_error_literal(error, MG_OUTBOX_ERROR, MG_OUTBOX_ERROR_INVALID, "unknown outbox state");
    return NULL;
  }
  sqlite3_stmt *st = prepare(store, "SELECT " COLUMNS " FROM outbox WHERE state = ? ORDER BY id DESC LIMIT ?", error);
  if (!st)
    return NULL;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, limit);
  return rows(store, st, error);
}

MgOutboxMessage *
mg_outbox_get(MgStore *store, gint64 id)
{
  sqlite3_stmt *st = prepare(store, "SELECT " COLUMNS " FROM outbox WHERE id = ?", NULL);
  if (!st)
    return NULL;
  sqlite3_bind_int64(st, 1, id);
  g_autoptr(GPtrArray) found = rows(store, st, NULL);
  return found && found->len ? g_ptr_array_steal_index(found, 0) : NULL;
}

gint64
mg_outbox_count(MgStore *store, MgOutboxState state)
{
  const char *name = mg_outbox_state_name(state);
  return name ? scalar(store, "SELECT count(*) FROM outbox WHERE state = ?", name, 0) : 0;
}

/* SPDX-License-Identifier: MIT
 * The meetings API: source keys, webhook signatures, and the routes. */
#define G_LOG_DOMAIN "meetings"
#include "gateway/meetings-api.h"

#include <openssl/crypto.h>
#include <string.h>

#include "gateway/config.h"
#include "gateway/log.h"
#include "signaling/attendance.h"
#include "signaling/ical.h"
#include "signaling/invite.h"
#include "signaling/replay.h"

#define MIN_KEY_LEN 16
#define SIGNATURE_WINDOW_S 300
#define DEFAULT_LIST_S (7 * 24 * 3600)
#define MAX_LIST_S (366 * 24 * 3600)

typedef struct {
  char *name;
  char *key;
  char *webhook_secret; /* NULL: requests are not signed */
} MgOaSource;

struct MgMeetingsApi {
  MgStore *store;
  MgRoomsApi *rooms_api;
  const char *public_url;
  GArray *sources; /* MgOaSource */
  MgMeetingsApiChanged changed;
  gpointer changed_data;
  MgHttpHandler chats_handler; /* GET /api/v1/meetings/<id>/chats */
  gpointer chats_data;
  guint64 refused;
};

/* At most this many signed requests remembered (10 minutes at 330 per second). */
#define SEEN_MAX 200000

static void
source_clear(gpointer p)
{
  MgOaSource *s = p;
  g_free(s->name);
  g_free(s->key);
  g_free(s->webhook_secret);
}

static gint64
now_s(void)
{
  return g_get_real_time() / G_USEC_PER_SEC;
}

static void G_GNUC_PRINTF(5, 6)
    refuse(MgMeetingsApi *api, MgHttpRequest *req, guint status, const char *code, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  api->refused++;
  g_info("%s %s from %s refused: %s (%s)", mg_http_request_get_method(req), mg_http_request_get_path(req),
         mg_http_request_get_peer(req), code, msg);
  mg_http_request_respond_error(req, status, code, "%s", msg);
}

/* ---- authentication ---- */

/* The source whose key the request bears, or NULL after answering 401. */
static const MgOaSource *
authenticate(MgMeetingsApi *api, MgHttpRequest *req)
{
  const char *given = mg_http_request_get_bearer(req);
  const MgOaSource *found = NULL;
  for (guint i = 0; given && i < api->sources->len; i++)
    if (mg_http_secret_equal(given, g_array_index(api->sources, MgOaSource, i).key))
      found = &g_array_index(api->sources, MgOaSource, i);
  if (!found) {
    mg_http_request_add_header(req, "www-authenticate", "Bearer realm=\"meetgate meetings\"");
    refuse(api, req, 401, "unauthorized", "an OA source key ([oa] sources) is required");
  }
  return found;
}

static void respond_stored_error(MgMeetingsApi *api, MgHttpRequest *req, const GError *error, gint64 stored_sequence);

/* A valid signed request is accepted once: the same signature again within
 * the window (when its timestamp is still fresh) is a replay. The signatures
 * are kept in the store (signaling/replay.h), so a restart does not open the
 * window again. Answers 409, 429 or 507 itself. */
static gboolean
remember_signature(MgMeetingsApi *api, MgHttpRequest *req, const MgOaSource *src, const char *sig, gint64 now)
{
  g_autoptr(GError) error = NULL;
  /* Past any timestamp that could still pass. */
  switch (mg_replay_remember(api->store, src->name, sig, now + 2 * SIGNATURE_WINDOW_S + 1, now, SEEN_MAX, &error)) {
  case MG_REPLAY_NEW:
    return TRUE;
  case MG_REPLAY_SEEN:
    refuse(api, req, 409, "replayed",
           "this signed request was already received; a retry must be signed again with a fresh timestamp");
    return FALSE;
  case MG_REPLAY_FULL:
    refuse(api, req, 429, "too_many_requests", "too many signed requests in the last %d s", 2 * SIGNATURE_WINDOW_S);
    return FALSE;
  case MG_REPLAY_ERROR:
  default:
    respond_stored_error(api, req, error, 0);
    return FALSE;
  }
}

/* For a source with a webhook secret: X-Meetgate-Signature is
 * sha256=hex(HMAC-SHA256(secret, timestamp "." body)) and the timestamp is
 * within five minutes. Answers 401 itself when it does not hold. */
static gboolean
check_signature(MgMeetingsApi *api, MgHttpRequest *req, const MgOaSource *src, GBytes *body)
{
  if (!src->webhook_secret)
    return TRUE;
  const char *ts = mg_http_request_get_header(req, "x-meetgate-timestamp");
  const char *sig = mg_http_request_get_header(req, "x-meetgate-signature");
  gint64 when;
  if (!ts || !sig || !g_ascii_string_to_signed(ts, 10, 0, G_MAXINT64, &when, NULL)) {
    refuse(api, req, 401, "bad_signature",
           "source %s signs its requests: X-Meetgate-Timestamp (unix seconds) and "
           "X-Meetgate-Signature (sha256=<hex>) are required",
           src->name);
    return FALSE;
  }
  g_autoptr(GHmac) hmac =
      g_hmac_new(G_CHECKSUM_SHA256, (const guchar *)src->webhook_secret, strlen(src->webhook_secret));
  g_hmac_update(hmac, (const guchar *)ts, strlen(ts));
  g_hmac_update(hmac, (const guchar *)".", 1);
  gsize n = 0;
  const guchar *data = g_bytes_get_data(body, &n);
  if (n)
    g_hmac_update(hmac, data, n);
  g_autofree char *want = g_strconcat("sha256=", g_hmac_get_string(hmac), NULL);
  gsize len = strlen(want);
  if (strlen(sig) != len || CRYPTO_memcmp(want, sig, len)) {
    refuse(api, req, 401, "bad_signature", "the X-Meetgate-Signature does not match the body");
    return FALSE;
  }
  gint64 now = now_s(), skew = now - when;
  if (skew > SIGNATURE_WINDOW_S || skew < -SIGNATURE_WINDOW_S) {
    refuse(api, req, 401, "stale_timestamp", "X-Meetgate-Timestamp is %" G_GINT64_FORMAT " s from now (at most %d)",
           skew, SIGNATURE_WINDOW_S);
    return FALSE;
  }
  return remember_signature(api, req, src, sig, now);
}

/* ---- answers ---- */

static json_t *
str_or_null(const char *s)
{
  return s ? json_string(s) : json_null();
}

static json_t *
time_json(gint64 t)
{
  g_autofree char *text = mg_meetings_api_format_time(t);
  return json_string(text);
}

static json_t *
times_json(const GArray *times)
{
  json_t *a = json_array();
  for (guint i = 0; times && i < times->len; i++)
    json_array_append_new(a, time_json(g_array_index(times, gint64, i)));
  return a;
}

static json_t *
person_json(const MgPerson *p, gboolean organizer)
{
  json_t *o = json_pack("{s:o, s:o, s:o}", "id", str_or_null(p->id), "name", str_or_null(p->name), "email",
                        str_or_null(p->email));
  json_object_set_new(o, organizer ? "department" : "role", str_or_null(organizer ? p->department : p->role));
  return o;
}

/* Group link: open rooms let it in as an attendee; lobby rooms as a guest
 * who waits for a host; invite-only rooms have none (docs/meetings.md). */
static json_t *
links_json(MgMeetingsApi *api, const MgMeeting *m, const MgRoomDef *room, gint64 now)
{
  json_t *personal = json_object();
  const char *group_role = room->policy == MG_POLICY_OPEN ? "attendee" : "guest";
  g_autofree char *group = room->policy == MG_POLICY_INVITE_ONLY
                               ? NULL
                               : mg_rooms_api_link(api->rooms_api, room, group_role, NULL, NULL, now);
  g_autofree char *host = mg_rooms_api_link(api->rooms_api, room, "host", m->organizer.id,
                                            m->organizer.name ? m->organizer.name : "Organizer", now);
  for (guint i = 0; i < m->attendees->len; i++) {
    const MgPerson *p = &g_array_index(m->attendees, MgPerson, i);
    if (!p->id || !*p->id || (m->organizer.id && !strcmp(p->id, m->organizer.id)))
      continue;
    g_autofree char *link = mg_rooms_api_link(api->rooms_api, room, "attendee", p->id, p->name, now);
    json_object_set_new(personal, p->id, json_string(link));
  }
  return json_pack("{s:o, s:s, s:o}", "group", str_or_null(group), "organizer", host, "attendees", personal);
}

json_t *
mg_meetings_api_meeting_json(MgMeetingsApi *api, const MgMeetingsEntry *e, gint64 now)
{
  const MgMeeting *m = e->meeting;
  json_t *attendees = json_array();
  for (guint i = 0; i < m->attendees->len; i++)
    json_array_append_new(attendees, person_json(&g_array_index(m->attendees, MgPerson, i), FALSE));
  json_t *o =
      json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:I, s:b}", "id", e->id,
                "source", m->source, "external_id", m->external_id, "title", str_or_null(m->title), "description",
                str_or_null(m->description), "start", time_json(m->start), "end", time_json(m->end), "timezone",
                str_or_null(m->timezone), "recurrence", str_or_null(m->rrule), "exdates", times_json(m->exdates),
                "rdates", times_json(m->rdates), "organizer", person_json(&m->organizer, TRUE), "attendees", attendees,
                "chat", str_or_null(m->chat), "policy", m->policy ? m->policy : "lobby", "sequence",
                (json_int_t)m->sequence, "cancelled", m->cancelled);
  json_object_set_new(o, "record", json_boolean(m->record));
  json_object_set_new(o, "recurrence_id", m->recurrence_id ? time_json(m->recurrence_id) : json_null());
  json_object_set_new(o, "created_at", time_json(e->created_at));
  json_object_set_new(o, "updated_at", time_json(e->updated_at));
  g_autoptr(MgRoomDef) room = mg_rooms_find(api->store, e->room_id);
  if (room) {
    json_object_set_new(o, "room",
                        json_pack("{s:s, s:s, s:o, s:o}", "id", room->id, "code", room->code, "opens_at",
                                  time_json(room->opens_at), "closes_at", time_json(room->closes_at)));
    json_object_set_new(o, "links", links_json(api, m, room, now));
  }
  json_object_set_new(o, "invite", json_sprintf("%s/api/v1/meetings/%s/invite.ics", api->public_url, e->id));
  return o;
}

/* ---- routes ---- */

static void
notify(MgMeetingsApi *api)
{
  if (api->changed)
    api->changed(api->changed_data);
}

/* 507: the store's disk is full. The transaction was rolled back, so nothing
 * of this request was stored; the sender should retry later. */
static void
respond_full(MgHttpRequest *req, const GError *error, const char *what)
{
  g_warning("meetings store: %s", error->message);
  mg_http_request_respond_error(req, 507, "storage_full", "the server's storage is full: %s", what);
}

static void
respond_stored_error(MgMeetingsApi *api, MgHttpRequest *req, const GError *error, gint64 stored_sequence)
{
  if (g_error_matches(error, MG_MEETINGS_ERROR, MG_MEETINGS_ERROR_STALE_SEQUENCE)) {
    api->refused++;
    mg_http_request_respond_json(req, 409,
                                 json_pack("{s:{s:s, s:s, s:I}}", "error", "code", "stale_sequence", "message",
                                           error->message, "stored_sequence", (json_int_t)stored_sequence));
  } else if (g_error_matches(error, MG_MEETINGS_ERROR, MG_MEETINGS_ERROR_INVALID)) {
    api->refused++;
    const char *field = g_str_has_prefix(error->message, "recurrence") ? "recurrence" : "body";
    mg_http_request_respond_json(
        req, 400,
        json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "invalid_field", "message", error->message, "field", field));
  } else if (g_error_matches(error, MG_MEETINGS_ERROR, MG_MEETINGS_ERROR_NOT_FOUND)) {
    mg_http_request_respond_error(req, 404, "not_found", "%s", error->message);
  } else if (g_error_matches(error, MG_STORE_ERROR, MG_STORE_ERROR_FULL)) {
    respond_full(req, error, "nothing of this request was stored; retry later");
  } else {
    g_warning("meetings store: %s", error->message);
    mg_http_request_respond_error(req, 500, "store", "%s", error->message);
  }
}

static void
on_post(MgHttpRequest *req, gpointer data)
{
  MgMeetingsApi *api = data;
  const MgOaSource *src = authenticate(api, req);
  g_autoptr(GBytes) body = mg_http_request_get_body(req);
  if (!src || !check_signature(api, req, src, body))
    return;
  json_error_t jerr;
  json_t *j = json_loadb(g_bytes_get_data(body, NULL), g_bytes_get_size(body), JSON_REJECT_DUPLICATES, &jerr);
  gboolean parsed = j != NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *field = NULL;
  g_autoptr(MgMeeting) m = parsed ? mg_meetings_api_parse(j, src->name, &field, &error) : NULL;
  json_decref(j);
  if (!m) {
    api->refused++;
    mg_http_request_respond_json(req, 400,
                                 json_pack("{s:{s:s, s:s, s:s}}", "error", "code",
                                           parsed ? "invalid_field" : "bad_json", "message",
                                           parsed ? error->message : jerr.text, "field", parsed ? field : "body"));
    return;
  }
  gint64 now = now_s();
  MgMeetingsResult r;
  if (!mg_meetings_upsert(api->store, m, now, &r, &error)) {
    respond_stored_error(api, req, error, r.stored_sequence);
    mg_meetings_result_clear(&r);
    return;
  }
  g_autoptr(MgMeetingsEntry) e = mg_meetings_get(api->store, r.id);
  g_info("meeting %s (%s/%s) %s", r.id, src->name, m->external_id, mg_meetings_outcome_name(r.outcome));
  if (r.outcome != MG_MEETINGS_UNCHANGED)
    notify(api);
  mg_http_request_respond_json(req, r.outcome == MG_MEETINGS_CREATED ? 201 : 200,
                               json_pack("{s:s, s:o}", "status", mg_meetings_outcome_name(r.outcome), "meeting",
                                         mg_meetings_api_meeting_json(api, e, now)));
  mg_meetings_result_clear(&r);
}

static gboolean
window_param(MgMeetingsApi *api, MgHttpRequest *req, const char *name, gint64 def, gint64 *out)
{
  const char *text = mg_http_request_get_query(req, name);
  *out = def;
  if (!text || mg_meetings_api_parse_time(text, out))
    return TRUE;
  api->refused++;
  mg_http_request_respond_json(req, 400,
                               json_pack("{s:{s:s, s:s, s:s}}", "error", "code", "invalid_field", "message",
                                         "must be an RFC 3339 date-time with an offset (encode + as %2B)", "field",
                                         name));
  return FALSE;
}

static void
on_list(MgHttpRequest *req, gpointer data)
{
  MgMeetingsApi *api = data;
  const MgOaSource *src = authenticate(api, req);
  gint64 now = now_s(), from, to;
  if (!src || !window_param(api, req, "from", now, &from) || !window_param(api, req, "to", from + DEFAULT_LIST_S, &to))
    return;
  if (to <= from || to - from > MAX_LIST_S) {
    refuse(api, req, 400, "invalid_field", "to must be after from, by at most 366 days");
    return;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) occ = mg_meetings_list(api->store, src->name, from, to, &error);
  if (!occ) {
    respond_stored_error(api, req, error, 0);
    return;
  }
  g_autoptr(GHashTable) codes = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)mg_room_def_free);
  json_t *list = json_array();
  for (guint i = 0; i < occ->len; i++) {
    const MgMeetingsOccurrence *o = &g_array_index(occ, MgMeetingsOccurrence, i);
    MgRoomDef *room = g_hash_table_lookup(codes, o->entry->room_id);
    if (!room && (room = mg_rooms_find(api->store, o->entry->room_id)))
      g_hash_table_insert(codes, room->id, room);
    json_array_append_new(list, json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:s, s:b}", "meeting_id", o->entry->id,
                                          "external_id", o->entry->meeting->external_id, "title",
                                          str_or_null(o->entry->meeting->title), "start", time_json(o->start), "end",
                                          time_json(o->end), "recurrence_id",
                                          o->recurrence_id ? time_json(o->recurrence_id) : json_null(), "room_code",
                                          str_or_null(room ? room->code : NULL), "policy",
                                          o->entry->meeting->policy ? o->entry->meeting->policy : "lobby", "override",
                                          o->entry->meeting->recurrence_id != 0));
  }
  mg_http_request_respond_json(
      req, 200, json_pack("{s:o, s:o, s:o}", "from", time_json(from), "to", time_json(to), "occurrences", list));
}

/* The meeting the path's tail names ("<id>", or "<id><suffix>" with a suffix
 * such as "/invite.ics"), if it belongs to src; else answers 404. */
static MgMeetingsEntry *
tail_entry(MgMeetingsApi *api, MgHttpRequest *req, const MgOaSource *src, const char *suffix)
{
  const char *tail = mg_http_request_get_tail(req);
  const char *slash = strchr(tail, '/');
  if (suffix ? !slash || strcmp(slash, suffix) : slash != NULL) {
    mg_http_request_respond_error(req, 404, "not_found", "no such resource");
    return NULL;
  }
  g_autofree char *id = g_strndup(tail, slash ? (gsize)(slash - tail) : strlen(tail));
  MgMeetingsEntry *e = mg_meetings_get(api->store, id);
  if (e && strcmp(e->meeting->source, src->name))
    g_clear_pointer(&e, mg_meetings_entry_unref);
  if (!e)
    mg_http_request_respond_error(req, 404, "not_found", "no meeting %s", id);
  return e;
}

static void
on_get(MgHttpRequest *req, gpointer data)
{
  MgMeetingsApi *api = data;
  const MgOaSource *src = authenticate(api, req);
  g_autoptr(MgMeetingsEntry) e = src ? tail_entry(api, req, src, NULL) : NULL;
  if (e)
    mg_http_request_respond_json(req, 200,
                                 json_pack("{s:o}", "meeting", mg_meetings_api_meeting_json(api, e, now_s())));
}

static void
on_delete(MgHttpRequest *req, gpointer data)
{
  MgMeetingsApi *api = data;
  const MgOaSource *src = authenticate(api, req);
  g_autoptr(GBytes) body = mg_http_request_get_body(req);
  if (!src || !check_signature(api, req, src, body))
    return;
  g_autoptr(MgMeetingsEntry) e = tail_entry(api, req, src, NULL);
  if (!e)
    return;
  const char *occ_text = mg_http_request_get_query(req, "occurrence");
  gint64 occurrence = e->meeting->recurrence_id; /* an override's id names its occurrence */
  if (occ_text && !mg_meetings_api_parse_time(occ_text, &occurrence)) {
    refuse(api, req, 400, "invalid_field",
           "occurrence must be the RFC 3339 start of one occurrence (encode + as %%2B)");
    return;
  }
  g_autoptr(GError) error = NULL;
  if (!mg_meetings_cancel(api->store, src->name, e->meeting->external_id, occurrence, now_s(), &error)) {
    respond_stored_error(api, req, error, 0);
    return;
  }
  g_autofree char *when = occurrence ? mg_meetings_api_format_time(occurrence) : g_strdup("all occurrences");
  g_info("meeting %s (%s/%s) cancelled: %s", e->id, src->name, e->meeting->external_id, when);
  notify(api);
  mg_http_request_respond_json(req, 200,
                               json_pack("{s:s, s:s, s:o}", "status", "cancelled", "id", e->id, "occurrence",
                                         occurrence ? time_json(occurrence) : json_null()));
}

static void on_get(MgHttpRequest *req, gpointer data);

/* GET /api/v1/meetings/<id>/invite.ics[?attendee=<id>]: an iCalendar invite
 * with the group link, or the attendee's personal link; METHOD:CANCEL once
 * the meeting is cancelled. */
static void
on_invite(MgHttpRequest *req, gpointer data)
{
  MgMeetingsApi *api = data;
  const MgOaSource *src = authenticate(api, req);
  if (!src)
    return;
  g_autoptr(MgMeetingsEntry) e = tail_entry(api, req, src, "/invite.ics");
  if (!e)
    return;
  g_autoptr(MgRoomDef) room = mg_rooms_find(api->store, e->room_id);
  const char *who = mg_http_request_get_query(req, "attendee");
  const MgMeeting *m = e->meeting;
  const MgPerson *person = NULL;
  for (guint i = 0; who && i < m->attendees->len; i++)
    if (!g_strcmp0(g_array_index(m->attendees, MgPerson, i).id, who))
      person = &g_array_index(m->attendees, MgPerson, i);
  if (!room || (who && !person)) {
    mg_http_request_respond_error(req, 404, "not_found", who ? "no attendee %s in this meeting" : "no room", who);
    return;
  }
  gint64 now = now_s();
  g_autofree char *link =
      person ? mg_rooms_api_link(api->rooms_api, room, "attendee", person->id, person->name, now)
      : room->policy == MG_POLICY_INVITE_ONLY
          ? NULL
          : mg_rooms_api_link(api->rooms_api, room, room->policy == MG_POLICY_OPEN ? "attendee" : "guest", NULL, NULL,
                              now);
  if (!link) {
    mg_http_request_respond_error(req, 400, "personal_only",
                                  "an invite-only meeting has personal invites only: add ?attendee=<id>");
    return;
  }
  char *ics = mg_invite_ics(m, link, m->organizer.email, m->cancelled, now);
  gsize len = strlen(ics);
  g_autoptr(GBytes) body = g_bytes_new_take(ics, len);
  mg_http_request_add_header(req, "content-disposition", "attachment; filename=\"invite.ics\"");
  mg_http_request_respond(req, 200, "text/calendar; charset=utf-8", body);
}

/* POST /api/v1/calendars/import: an iCalendar text (an OA's export, a feed
 * snapshot, an emailed invite or cancel) upserted meeting by meeting. A
 * calendar that is not one is refused with its line; a broken event is
 * skipped and reported, the rest imported. */
static void
on_import(MgHttpRequest *req, gpointer data)
{
  MgMeetingsApi *api = data;
  const MgOaSource *src = authenticate(api, req);
  g_autoptr(GBytes) body = mg_http_request_get_body(req);
  if (!src || !check_signature(api, req, src, body))
    return;
  const char *ct = mg_http_request_get_header(req, "content-type");
  if (!ct || g_ascii_strncasecmp(ct, "text/calendar", 13)) {
    mg_http_request_respond_error(req, 415, "unsupported_media_type", "the body must be text/calendar");
    return;
  }
  g_autofree char *text = g_strndup(g_bytes_get_data(body, NULL), g_bytes_get_size(body));
  g_auto(MgIcalResult) res = { 0 };
  g_autoptr(GError) error = NULL;
  if (!mg_ical_import(text, src->name, &res, &error)) {
    api->refused++;
    mg_http_request_respond_error(req, 400, "bad_calendar", "%s", error->message);
    return;
  }
  guint counts[4] = { 0 }; /* created, updated, unchanged, refused */
  json_t *errors = json_array();
  gint64 now = now_s();
  for (guint i = 0; i < res.meetings->len; i++) {
    const MgMeeting *m = g_ptr_array_index(res.meetings, i);
    MgMeetingsResult r = { 0 };
    g_autoptr(GError) e = NULL;
    if (mg_meetings_upsert(api->store, m, now, &r, &e))
      counts[r.outcome == MG_MEETINGS_CREATED ? 0 : r.outcome == MG_MEETINGS_UNCHANGED ? 2 : 1]++;
    else if (g_error_matches(e, MG_STORE_ERROR, MG_STORE_ERROR_FULL)) {
      /* Not a 200 listing events as refused: the whole import is to be sent
       * again (what was stored before comes back unchanged). */
      json_decref(errors);
      if (counts[0] + counts[1])
        notify(api);
      g_autofree char *what = g_strdup_printf("the import stopped after %u of %u events; send it again later "
                                              "(what was stored comes back unchanged)",
                                              i, res.meetings->len);
      respond_full(req, e, what);
      return;
    } else {
      counts[3]++;
      json_array_append_new(
          errors, json_pack("{s:o, s:s?, s:s}", "line", json_null(), "uid", m->external_id, "reason", e->message));
    }
    mg_meetings_result_clear(&r);
  }
  for (guint i = 0; i < res.errors->len; i++) {
    const MgIcalEventError *ee = &g_array_index(res.errors, MgIcalEventError, i);
    json_array_append_new(errors,
                          json_pack("{s:i, s:s?, s:s}", "line", (int)ee->line, "uid", ee->uid, "reason", ee->reason));
  }
  if (counts[0] + counts[1])
    notify(api);
  g_info("calendar import from %s: %u events, %u created, %u updated, %u unchanged, %u refused, %u errors", src->name,
         res.events, counts[0], counts[1], counts[2], counts[3], res.errors->len);
  mg_http_request_respond_json(req, 200,
                               json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:o}", "events", (int)res.events,
                                         "created", (int)counts[0], "updated", (int)counts[1], "unchanged",
                                         (int)counts[2], "refused", (int)counts[3], "overrides", (int)res.overrides,
                                         "cancelled", (int)res.cancelled, "skipped_all_day", (int)res.skipped_all_day,
                                         "errors", errors));
}

/* GET /api/v1/meetings/<id>/attendance: every stay in the meeting's room
 * (who, from when to when, how long), and each person's total. */
static void
on_attendance(MgHttpRequest *req, gpointer data)
{
  MgMeetingsApi *api = data;
  const MgOaSource *src = authenticate(api, req);
  if (!src)
    return;
  g_autoptr(MgMeetingsEntry) e = tail_entry(api, req, src, "/attendance");
  if (!e)
    return;
  gint64 now = now_s();
  json_t *stays = mg_attendance_list(api->store, e->room_id, 0, G_MAXINT64, now);
  json_t *totals = mg_attendance_totals(stays);
  mg_http_request_respond_json(req, 200,
                               json_pack("{s:s, s:o, s:o}", "meeting", e->id, "stays", stays, "seconds", totals));
}

static void
on_get_or_invite(MgHttpRequest *req, gpointer data)
{
  const char *slash = strchr(mg_http_request_get_tail(req), '/');
  if (!slash)
    on_get(req, data);
  else if (!strcmp(slash, "/attendance"))
    on_attendance(req, data);
  else if (!strcmp(slash, "/chats") && ((MgMeetingsApi *)data)->chats_handler)
    ((MgMeetingsApi *)data)->chats_handler(req, ((MgMeetingsApi *)data)->chats_data);
  else
    on_invite(req, data); /* which answers 404 for anything but /invite.ics */
}

static const MgHttpRoute routes[] = {
  { "POST", "/api/v1/meetings", MG_HTTP_EXACT, on_post },
  { "POST", "/api/v1/calendars/import", MG_HTTP_EXACT, on_import },
  { "GET", "/api/v1/meetings", MG_HTTP_EXACT, on_list },
  { "GET", "/api/v1/meetings/", MG_HTTP_PREFIX, on_get_or_invite },
  { "DELETE", "/api/v1/meetings/", MG_HTTP_PREFIX, on_delete },
};

/* ---- set-up ---- */

static gboolean
parse_sources(MgMeetingsApi *api, const char *spec, GError **error)
{
  g_auto(GStrv) entries = g_strsplit(spec ? spec : "", ",", -1);
  for (guint i = 0; entries[i]; i++) {
    g_strstrip(entries[i]);
    if (!*entries[i])
      continue;
    g_auto(GStrv) f = g_strsplit(entries[i], ":", 3);
    guint n = g_strv_length(f);
    if (n < 2 || !*f[0] || strlen(f[1]) < MIN_KEY_LEN || (n == 3 && strlen(f[2]) < MIN_KEY_LEN)) {
      g_set_error(error, MG_CONFIG_ERROR, 13,
                  "[oa] sources: entry %u (%s) must be name:apikey[:webhook-secret] with a key and secret of %d or "
                  "more characters",
                  i + 1, f[0] && *f[0] ? f[0] : "unnamed", MIN_KEY_LEN);
      return FALSE;
    }
    MgOaSource s = { g_strdup(f[0]), g_strdup(f[1]), n == 3 ? g_strdup(f[2]) : NULL };
    mg_log_add_secret(s.key);
    if (s.webhook_secret)
      mg_log_add_secret(s.webhook_secret);
    g_array_append_val(api->sources, s);
  }
  return TRUE;
}

MgMeetingsApi *
mg_meetings_api_new(MgHttpServer *server, MgStore *store, MgRoomsApi *rooms_api, const char *public_url,
                    const char *sources, GError **error)
{
  MgMeetingsApi *api = g_new0(MgMeetingsApi, 1);
  api->store = store;
  api->rooms_api = rooms_api;
  api->public_url = public_url;
  api->sources = g_array_new(FALSE, TRUE, sizeof(MgOaSource));
  g_array_set_clear_func(api->sources, source_clear);
  if (!parse_sources(api, sources, error)) {
    mg_meetings_api_free(api);
    return NULL;
  }
  if (!api->sources->len)
    g_message("no [oa] sources configured: the meetings API refuses every request");
  if (server)
    mg_http_server_add_routes(server, routes, G_N_ELEMENTS(routes), api);
  return api;
}

void
mg_meetings_api_free(MgMeetingsApi *api)
{
  if (!api)
    return;
  g_array_unref(api->sources);
  g_free(api);
}

void
mg_meetings_api_set_changed(MgMeetingsApi *api, MgMeetingsApiChanged changed, gpointer user_data)
{
  api->changed = changed;
  api->changed_data = user_data;
}

const char *
mg_meetings_api_authenticate(MgMeetingsApi *api, MgHttpRequest *req)
{
  const MgOaSource *src = authenticate(api, req);
  return src ? src->name : NULL;
}

const char *
mg_meetings_api_source_for_key(MgMeetingsApi *api, const char *key)
{
  for (guint i = 0; key && i < api->sources->len; i++)
    if (mg_http_secret_equal(key, g_array_index(api->sources, MgOaSource, i).key))
      return g_array_index(api->sources, MgOaSource, i).name;
  return NULL;
}

gboolean
mg_meetings_api_source_secret(MgMeetingsApi *api, const char *name, const char **secret)
{
  for (guint i = 0; name && i < api->sources->len; i++) {
    const MgOaSource *src = &g_array_index(api->sources, MgOaSource, i);
    if (!strcmp(src->name, name)) {
      if (secret)
        *secret = src->webhook_secret;
      return TRUE;
    }
  }
  return FALSE;
}

void
mg_meetings_api_set_chats_handler(MgMeetingsApi *api, MgHttpHandler handler, gpointer user_data)
{
  api->chats_handler = handler;
  api->chats_data = user_data;
}

void
mg_meetings_api_notify_changed(MgMeetingsApi *api)
{
  notify(api);
}

guint64
mg_meetings_api_get_refused(MgMeetingsApi *api)
{
  return api->refused;
}

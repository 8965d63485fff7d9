/* SPDX-License-Identifier: MIT
 * Event webhooks and attendance callbacks: parsing their settings, building
 * their JSON bodies and queueing them in the outbox as raw messages. */
#define G_LOG_DOMAIN "webhooks"
#include "signaling/webhooks.h"

#include <string.h>

#include "signaling/attendance.h"
#include "signaling/chats.h"
#include "signaling/meetings.h"
#include "signaling/outbox.h"
#include "signaling/rooms.h"

G_DEFINE_QUARK(mg - webhooks - error - quark, mg_webhooks_error)

const char *const mg_webhooks_types[] = {
  "room_started",      "room_finished",      "participant_joined",
  "participant_left",  "track_published",    "track_unpublished",
  "recording_started", "recording_finished", NULL,
};
#define N_TYPES (G_N_ELEMENTS(mg_webhooks_types) - 1)

typedef struct {
  char *name;   /* the hook's name or the callback's source */
  char *target; /* "hook:<name>" or "callback:<source>" */
  char *url;
  char *secret;
  MgChatsendTarget t;
} Hook;

struct MgWebhooks {
  MgStore *store;
  gint64 lead_s;
  GPtrArray *hooks;     /* Hook *: event webhooks */
  GPtrArray *callbacks; /* Hook *: attendance callbacks */
  GHashTable *targets;  /* target -> Hook * (borrowed) */
  GPtrArray *secrets;   /* char * */
  gboolean wanted[N_TYPES];
};

static void
hook_free(Hook *h)
{
  g_free(h->name);
  g_free(h->target);
  g_free(h->url);
  g_free(h->secret);
  g_free(h);
}

static int
type_index(const char *type)
{
  for (guint i = 0; type && i < N_TYPES; i++)
    if (!strcmp(type, mg_webhooks_types[i]))
      return (int)i;
  return -1;
}

static gboolean
name_ok(const char *name)
{
  if (!*name || strlen(name) > 64)
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

static gboolean
url_ok(const char *url)
{
  return (g_str_has_prefix(url, "http://") || g_str_has_prefix(url, "https://")) && g_uri_is_valid(url, 0, NULL);
}

static void
add_secrets(MgWebhooks *w, const char *secret, const char *url)
{
  if (secret)
    g_ptr_array_add(w->secrets, g_strdup(secret));
  g_auto(GStrv) parts = mg_chats_url_secrets(url);
  for (guint i = 0; parts && parts[i]; i++)
    g_ptr_array_add(w->secrets, g_strdup(parts[i]));
}

static Hook *
hook_new(MgWebhooks *w, const char *prefix, const char *name, const char *secret, const char *url,
         const char *connector)
{
  Hook *h = g_new0(Hook, 1);
  h->name = g_strdup(name);
  h->target = g_strconcat(prefix, name, NULL);
  h->url = g_strdup(url);
  h->secret = g_strdup(secret);
  h->t = (MgChatsendTarget){ .url = h->url, .secret = h->secret, .rate = NULL, .connector = connector };
  g_hash_table_insert(w->targets, h->target, h);
  add_secrets(w, secret, url);
  return h;
}

/* [events] webhooks: name:secret:url,... */
static gboolean
parse_hooks(MgWebhooks *w, const char *spec, GError **error)
{
  g_auto(GStrv) entries = g_strsplit(spec ? spec : "", ",", -1);
  for (guint i = 0; entries[i]; i++) {
    g_strstrip(entries[i]);
    if (!*entries[i])
      continue;
    g_auto(GStrv) f = g_strsplit(entries[i], ":", 3);
    guint n = g_strv_length(f);
    const char *name = n ? f[0] : "";
    if (n != 3 || !name_ok(name) || strlen(f[1]) < MG_WEBHOOKS_MIN_SECRET || !url_ok(f[2])) {
      g_set_error(error, MG_WEBHOOKS_ERROR, MG_WEBHOOKS_ERROR_CONFIG,
                  "[events] webhooks: entry %u (%s) must be name:secret:url with a name of letters, digits, '-', "
                  "'_' or '.', a secret of %d or more characters and an http(s) URL",
                  i + 1, name_ok(name) ? name : "unnamed", MG_WEBHOOKS_MIN_SECRET);
      return FALSE;
    }
    g_autofree char *target = g_strconcat("hook:", name, NULL);
    if (g_hash_table_contains(w->targets, target)) {
      g_set_error(error, MG_WEBHOOKS_ERROR, MG_WEBHOOKS_ERROR_CONFIG, "[events] webhooks: the name %s is used twice",
                  name);
      return FALSE;
    }
    g_ptr_array_add(w->hooks, hook_new(w, "hook:", name, f[1], f[2], "webhook"));
  }
  return TRUE;
}

/* [events] types: type,... */
static gboolean
parse_types(MgWebhooks *w, const char *spec, GError **error)
{
  g_auto(GStrv) entries = g_strsplit(spec ? spec : "", ",", -1);
  gboolean any = FALSE;
  for (guint i = 0; entries[i]; i++) {
    g_strstrip(entries[i]);
    if (!*entries[i])
      continue;
    int t = type_index(entries[i]);
    if (t < 0) {
      g_autofree char *known = g_strjoinv(", ", (char **)mg_webhooks_types);
      g_set_error(error, MG_WEBHOOKS_ERROR, MG_WEBHOOKS_ERROR_CONFIG, "[events] types: unknown type \"%s\" (known: %s)",
                  entries[i], known);
      return FALSE;
    }
    w->wanted[t] = any = TRUE;
  }
  if (!any)
    for (guint i = 0; i < N_TYPES; i++)
      w->wanted[i] = TRUE;
  return TRUE;
}

/* [oa] callbacks: source=url,... */
static gboolean
parse_callbacks(MgWebhooks *w, const MgWebhooksSettings *s, GError **error)
{
  g_auto(GStrv) entries = g_strsplit(s->callbacks ? s->callbacks : "", ",", -1);
  for (guint i = 0; entries[i]; i++) {
    g_strstrip(entries[i]);
    if (!*entries[i])
      continue;
    g_auto(GStrv) f = g_strsplit(entries[i], "=", 2);
    const char *source = f[0] ? g_strstrip(f[0]) : "";
    if (g_strv_length(f) != 2 || !*source || !url_ok(g_strstrip(f[1]))) {
      g_set_error(error, MG_WEBHOOKS_ERROR, MG_WEBHOOKS_ERROR_CONFIG,
                  "[oa] callbacks: entry %u (%s) must be source=url with an http(s) URL", i + 1,
                  *source ? source : "unnamed");
      return FALSE;
    }
    const char *secret = NULL;
    if (!s->source_lookup || !s->source_lookup(source, &secret, s->source_data)) {
      g_set_error(error, MG_WEBHOOKS_ERROR, MG_WEBHOOKS_ERROR_CONFIG,
                  "[oa] callbacks: source %s is not in [oa] sources", source);
      return FALSE;
    }
    if (!secret || !*secret) {
      g_set_error(error, MG_WEBHOOKS_ERROR, MG_WEBHOOKS_ERROR_CONFIG,
                  "[oa] callbacks: source %s has no webhook secret in [oa] sources (name:apikey:webhook-secret); "
                  "its attendance callback is signed with it",
                  source);
      return FALSE;
    }
    g_autofree char *target = g_strconcat("callback:", source, NULL);
    if (g_hash_table_contains(w->targets, target)) {
      g_set_error(error, MG_WEBHOOKS_ERROR, MG_WEBHOOKS_ERROR_CONFIG, "[oa] callbacks: source %s is given twice",
                  source);
      return FALSE;
    }
    g_ptr_array_add(w->callbacks, hook_new(w, "callback:", source, secret, f[1], "callback"));
  }
  return TRUE;
}

MgWebhooks *
mg_webhooks_new(MgStore *store, const MgWebhooksSettings *settings, GError **error)
{
  g_autoptr(MgWebhooks) w = g_new0(MgWebhooks, 1);
  w->store = store;
  w->lead_s = settings->lead_s;
  w->hooks = g_ptr_array_new_with_free_func((GDestroyNotify)hook_free);
  w->callbacks = g_ptr_array_new_with_free_func((GDestroyNotify)hook_free);
  w->targets = g_hash_table_new(g_str_hash, g_str_equal);
  w->secrets = g_ptr_array_new_with_free_func(g_free);
  if (!parse_hooks(w, settings->webhooks, error) || !parse_types(w, settings->types, error) ||
      !parse_callbacks(w, settings, error))
    return NULL;
  return g_steal_pointer(&w);
}

void
mg_webhooks_free(MgWebhooks *w)
{
  if (!w)
    return;
  if (w->targets)
    g_hash_table_destroy(w->targets);
  if (w->hooks)
    g_ptr_array_unref(w->hooks);
  if (w->callbacks)
    g_ptr_array_unref(w->callbacks);
  if (w->secrets)
    g_ptr_array_unref(w->secrets);
  g_free(w);
}

GPtrArray *
mg_webhooks_get_secrets(MgWebhooks *w)
{
  return w->secrets;
}

guint
mg_webhooks_count(MgWebhooks *w)
{
  return w->hooks->len + w->callbacks->len;
}

const MgChatsendTarget *
mg_webhooks_target(const char *target, gpointer data)
{
  MgWebhooks *w = data;
  Hook *h = target ? g_hash_table_lookup(w->targets, target) : NULL;
  return h ? &h->t : NULL;
}

gboolean
mg_webhooks_wants(MgWebhooks *w, const char *type)
{
  int t = type_index(type);
  return t >= 0 && w->wanted[t];
}

/* ---- bodies ---- */

/* UTC milliseconds as RFC 3339 with milliseconds ("2026-03-02T02:00:00.123Z"). */
static char *
time_ms(gint64 ms)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(ms / 1000);
  if (!t)
    return g_strdup("1970-01-01T00:00:00.000Z");
  g_autofree char *s = g_date_time_format(t, "%Y-%m-%dT%H:%M:%S");
  return g_strdup_printf("%s.%03dZ", s, (int)(ms % 1000));
}

static char *
time_s(gint64 s)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(s);
  return t ? g_date_time_format(t, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("1970-01-01T00:00:00Z");
}

static json_t *
room_json(MgStore *store, const char *room_id)
{
  g_autoptr(MgRoomDef) room = mg_rooms_find(store, room_id);
  if (!room)
    return json_pack("{s:s}", "id", room_id);
  return json_pack("{s:s, s:s, s:s?, s:s}", "id", room->id, "code", room->code, "title", room->title, "policy",
                   mg_policy_name(room->policy));
}

static char *
dumps(json_t *o)
{
  char *s = json_dumps(o, JSON_COMPACT);
  char *out = g_strdup(s);
  free(s);
  return out;
}

int
mg_webhooks_emit(MgWebhooks *w, const char *type, const char *room_id, json_t *data, gint64 now_ms, GError **error)
{
  if (type_index(type) < 0 || !room_id) {
    g_set_error(error, MG_WEBHOOKS_ERROR, MG_WEBHOOKS_ERROR_CONFIG, "unknown event type %s or no room",
                type ? type : "(none)");
    return -1;
  }
  if (!w->hooks->len || !mg_webhooks_wants(w, type))
    return 0;
  g_autofree char *id = g_uuid_string_random();
  g_autofree char *when = time_ms(now_ms);
  json_t *body =
      json_pack("{s:s, s:s, s:s, s:o}", "id", id, "type", type, "time", when, "room", room_json(w->store, room_id));
  if (data)
    json_object_update_missing(body, data);
  g_autofree char *text = dumps(body);
  json_decref(body);
  int n = 0;
  for (guint i = 0; i < w->hooks->len; i++) {
    Hook *h = w->hooks->pdata[i];
    g_autofree char *key = g_strdup_printf("%s:%s", h->target, id);
    gboolean queued = FALSE;
    if (!mg_outbox_enqueue_raw(w->store, key, h->target, "", 0, type, text, now_ms, &queued, error))
      return -1;
    n += queued;
  }
  return n;
}

static json_t *
participant_json(const MgConferenceEvent *ev)
{
  return json_pack("{s:s, s:s?, s:s?, s:s?}", "id", ev->participant, "name", ev->name, "role", ev->role, "user",
                   ev->user && *ev->user ? ev->user : NULL);
}

int
mg_webhooks_emit_conference(MgWebhooks *w, const MgConferenceEvent *ev, gint64 now_ms, GError **error)
{
  const char *type = mg_conference_event_name(ev->type);
  if (!w->hooks->len || !mg_webhooks_wants(w, type))
    return 0;
  json_t *data = json_object();
  if (ev->participant)
    json_object_set_new(data, "participant", participant_json(ev));
  if (ev->track)
    json_object_set_new(data, "track",
                        json_pack("{s:s, s:s?, s:s?}", "id", ev->track, "kind", ev->kind, "source", ev->source));
  if ((ev->type == MG_CONFERENCE_PARTICIPANT_LEFT || ev->type == MG_CONFERENCE_TRACK_UNPUBLISHED) && ev->reason)
    json_object_set_new(data, "reason", json_string(ev->reason));
  int n = mg_webhooks_emit(w, type, ev->room, data, now_ms, error);
  json_decref(data);
  return n;
}

int
mg_webhooks_emit_recording(MgWebhooks *w, const char *room_id, gboolean finished, json_t *recording, gint64 now_ms,
                           GError **error)
{
  json_t *data = json_object();
  if (recording)
    json_object_set(data, "recording", recording);
  int n = mg_webhooks_emit(w, finished ? "recording_finished" : "recording_started", room_id, data, now_ms, error);
  json_decref(data);
  return n;
}

/* ---- attendance callbacks ---- */

json_t *
mg_webhooks_attendance_body(MgStore *store, const char *meeting_id, const MgMeetingsEntry *entry, gint64 start,
                            gint64 end, gint64 from_s, gint64 to_s, gint64 now_s)
{
  json_t *stays = mg_attendance_list(store, entry->room_id, from_s, to_s, now_s);
  g_autofree char *s = time_s(start), *e = time_s(end);
  return json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:o, s:o}", "type", "attendance", "meeting_id", meeting_id,
                   "source", entry->meeting->source, "external_id", entry->meeting->external_id, "occurrence", "start",
                   s, "end", e, "room_id", entry->room_id, "seconds", mg_attendance_totals(stays), "attendees", stays);
}

int
mg_webhooks_on_schedule(MgWebhooks *w, const MgScheduleEvent *ev, const char *recording_url, gint64 now_s,
                        GError **error)
{
  if (ev->kind != MG_SCHEDULE_CLOSE)
    return 0;
  const MgMeeting *m = ev->entry->meeting;
  g_autofree char *target = g_strconcat("callback:", m->source, NULL);
  if (!g_hash_table_contains(w->targets, target))
    return 0;
  /* An override's callback names its series, like the chat messages do. */
  g_autofree char *meeting_id = NULL;
  if (m->recurrence_id) {
    g_autoptr(MgMeetingsEntry) series = mg_meetings_find(w->store, m->source, m->external_id, 0);
    meeting_id = g_strdup(series ? series->id : ev->entry->id);
  } else {
    meeting_id = g_strdup(ev->entry->id);
  }
  gint64 occurrence = ev->recurrence_id ? ev->recurrence_id : ev->start;
  json_t *body = mg_webhooks_attendance_body(w->store, meeting_id, ev->entry, ev->start, ev->end, ev->start - w->lead_s,
                                             ev->at + 1, now_s);
  g_autofree char *id = g_uuid_string_random();
  g_autofree char *when = time_ms(now_s * 1000);
  json_object_set_new(body, "id", json_string(id));
  json_object_set_new(body, "time", json_string(when));
  json_object_set_new(body, "recording_url", recording_url ? json_string(recording_url) : json_null());
  g_autofree char *text = dumps(body);
  json_decref(body);
  g_autofree char *key = g_strdup_printf("%s:%s:%" G_GINT64_FORMAT, target, meeting_id, occurrence);
  gboolean queued = FALSE;
  if (!mg_outbox_enqueue_raw(w->store, key, target, meeting_id, ev->recurrence_id, "attendance", text, now_s * 1000,
                             &queued, error))
    return -1;
  return queued ? 1 : 0;
}

/* SPDX-License-Identifier: MIT
 * Meeting events into the chat outbox, inside the transaction of their
 * cause: the meetings observer (scheduled, changed, cancelled) and the
 * scheduler's handler (reminder, open_now, summary). See docs/chat.md. */
#define G_LOG_DOMAIN "chatevents"
#include "signaling/chatevents.h"

#include <jansson.h>
#include <string.h>

#include "signaling/attendance.h"
#include "signaling/outbox.h"

struct MgChatevents {
  MgStore *store;
  MgChateventsSettings s;
};

GPtrArray *
mg_chatevents_match(MgStore *store, const MgMeeting *m, gboolean console_default, GError **error)
{
  GPtrArray *matches = mg_chats_match(store, m, error);
  if (matches && !matches->len && console_default && mg_chats_count(store) == 0) {
    MgChatMatch *mt = g_new0(MgChatMatch, 1);
    mt->chat = mg_chats_builtin_console();
    mt->reasons = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(mt->reasons, g_strdup("no chat configured: the built-in console chat"));
    g_ptr_array_add(matches, mt);
  }
  return matches;
}

/* What one message is about; the chat fills in zone and language. */
typedef struct {
  MgChatEventKind kind;
  const MgMeetingsEntry *entry; /* the row (an override for one occurrence) */
  const char *meeting_id;       /* the series' id: what withdraw and the API use */
  gint64 occurrence;            /* original start of an occurrence; 0: the meeting */
  gint64 start, end;
  const char *variant;          /* of the idempotency key */
  const MgMeeting *before;      /* changed: for the sentence */
  int minutes_until;            /* reminder */
  gint64 duration_s;            /* summary */
  const char *const *attendees; /* summary */
  const char *recording_url;    /* summary */
  gboolean only_new_chats;      /* scheduled after a change: chats not matched before */
  GHashTable *skip;             /* chat keys to leave out, or NULL */
} Message;

static char *
join_url(MgChatevents *ce, const Message *msg, gint64 now_s)
{
  const MgMeeting *m = msg->entry->meeting;
  if (msg->kind == MG_CHAT_EVENT_CANCELLED || msg->kind == MG_CHAT_EVENT_SUMMARY)
    return NULL;
  if (!g_strcmp0(m->policy, "invite-only") || !ce->s.link)
    return NULL;
  return ce->s.link(ce->store, msg->entry->room_id, now_s, ce->s.link_data);
}

/* Queues msg to every chat the meeting matches. Returns how many were queued, -1 on error. */
static int
post(MgChatevents *ce, const Message *msg, gint64 now_s, GError **error)
{
  const MgMeeting *m = msg->entry->meeting;
  g_autoptr(GPtrArray) matches = mg_chatevents_match(ce->store, m, ce->s.console_default, error);
  if (!matches)
    return -1;
  g_autofree char *url = matches->len ? join_url(ce, msg, now_s) : NULL;
  int queued_n = 0;
  for (guint i = 0; i < matches->len; i++) {
    const MgChat *chat = ((MgChatMatch *)matches->pdata[i])->chat;
    if (msg->skip && g_hash_table_contains(msg->skip, chat->key))
      continue;
    g_autofree char *changes =
        msg->before ? mg_chatevents_describe_changes(msg->before, m, chat->timezone, chat->lang) : NULL;
    MgChatEvent ev = {
      .kind = msg->kind,
      .meeting_id = msg->meeting_id,
      .title = m->title ? m->title : "",
      .start = msg->start,
      .end = msg->end,
      .timezone = chat->timezone,
      .organizer = m->organizer.name ? m->organizer.name : m->organizer.id,
      .join_url = url,
      .changes = changes,
      .minutes_until = msg->minutes_until,
      .duration_s = msg->duration_s,
      .attendees = msg->attendees,
      .recording_url = msg->recording_url,
      .lang = chat->lang ? chat->lang : "en",
    };
    g_autofree char *key =
        mg_chatmsg_idempotency_key(msg->meeting_id, msg->occurrence, msg->kind, msg->variant, chat->key);
    gboolean queued = FALSE;
    if (!mg_outbox_enqueue(ce->store, key, chat->key, msg->meeting_id, msg->occurrence, &ev, now_s * 1000, &queued,
                           error))
      return -1;
    if (queued) {
      queued_n++;
      g_info("queued %s of meeting %s for chat %s", mg_chatmsg_event_kind_name(msg->kind), msg->meeting_id, chat->key);
    }
  }
  if (queued_n && ce->s.queued)
    ce->s.queued(ce->s.queued_data);
  return queued_n;
}

/* The id of the series an override belongs to (the row's own id otherwise). (transfer full) */
static char *
series_id(MgStore *store, const MgMeetingsEntry *e)
{
  if (e->meeting->recurrence_id) {
    g_autoptr(MgMeetingsEntry) series = mg_meetings_find(store, e->meeting->source, e->meeting->external_id, 0);
    if (series)
      return g_strdup(series->id);
  }
  return g_strdup(e->id);
}

/* The occurrence a whole-meeting message shows: the next one not over at
 * now_s for a series, the meeting itself otherwise. */
static void
shown_time(const MgMeeting *m, gint64 now_s, gint64 *start, gint64 *end)
{
  *start = m->start;
  *end = m->end;
  if (!m->rrule && (!m->rdates || !m->rdates->len))
    return;
  gint64 from = MAX(m->start, now_s - (m->end - m->start));
  g_autoptr(GArray) occ = mg_meeting_expand(m, from, from + MG_MEETINGS_HORIZON_S, 1, NULL);
  if (occ && occ->len) {
    *start = g_array_index(occ, MgOccurrence, 0).start;
    *end = g_array_index(occ, MgOccurrence, 0).end;
  }
}

/* A revision of the visible content: tells two changes of one meeting apart. (transfer full) */
static char *
revision(const MgMeetingsEntry *after)
{
  const MgMeeting *m = after->meeting;
  g_autofree char *material = g_strdup_printf(
      "%s|%" G_GINT64_FORMAT "|%" G_GINT64_FORMAT "|%s|%s|%s|%s|%d|%" G_GINT64_FORMAT, m->title ? m->title : "",
      m->start, m->end, m->rrule ? m->rrule : "", m->policy ? m->policy : "", m->organizer.id ? m->organizer.id : "",
      m->organizer.name ? m->organizer.name : "", m->cancelled, m->sequence);
  g_autofree char *sum = g_compute_checksum_for_string(G_CHECKSUM_SHA256, material, -1);
  return g_strdup_printf("%" G_GINT64_FORMAT "-%.12s", after->updated_at, sum);
}

static const MgChatEventKind withdrawn_kinds[] = { MG_CHAT_EVENT_REMINDER, MG_CHAT_EVENT_OPEN_NOW };

static int
post_cancelled(MgChatevents *ce, const MgMeetingsEntry *after, const char *id, gint64 occurrence, gint64 start,
               gint64 end, gint64 now_s, GError **error)
{
  guint n = mg_outbox_withdraw(ce->store, id, occurrence, withdrawn_kinds, G_N_ELEMENTS(withdrawn_kinds));
  if (n)
    g_info("withdrew %u pending message(s) of meeting %s", n, id);
  Message msg = { .kind = MG_CHAT_EVENT_CANCELLED,
                  .entry = after,
                  .meeting_id = id,
                  .occurrence = occurrence,
                  .start = start,
                  .end = end };
  return post(ce, &msg, now_s, error);
}

/* Occurrences a series change excluded (EXDATEs added): each is cancelled. */
static int
post_excluded(MgChatevents *ce, const MgMeetingsEntry *before, const MgMeetingsEntry *after, const char *id,
              gint64 now_s, GError **error)
{
  const MgMeeting *a = before->meeting, *b = after->meeting;
  int total = 0;
  for (guint i = 0; b->exdates && i < b->exdates->len; i++) {
    gint64 t = g_array_index(b->exdates, gint64, i);
    gboolean known = FALSE;
    for (guint j = 0; a->exdates && j < a->exdates->len && !known; j++)
      known = g_array_index(a->exdates, gint64, j) == t;
    if (known || t + (b->end - b->start) <= now_s)
      continue;
    int n = post_cancelled(ce, after, id, t, t, t + (b->end - b->start), now_s, error);
    if (n < 0)
      return -1;
    total += n;
  }
  return total;
}

/* The chat keys a meeting matched before a change. (transfer full) */
static GHashTable *
matched_keys(MgChatevents *ce, const MgMeeting *m, GError **error)
{
  g_autoptr(GPtrArray) matches = mg_chatevents_match(ce->store, m, ce->s.console_default, error);
  if (!matches)
    return NULL;
  GHashTable *keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < matches->len; i++)
    g_hash_table_add(keys, g_strdup(((MgChatMatch *)matches->pdata[i])->chat->key));
  return keys;
}

static int
post_changed(MgChatevents *ce, const MgMeeting *was, const MgMeetingsEntry *after, const char *id, gint64 now_s,
             GError **error)
{
  const MgMeeting *m = after->meeting;
  g_autofree char *rev = revision(after);
  Message msg = { .kind = MG_CHAT_EVENT_CHANGED,
                  .entry = after,
                  .meeting_id = id,
                  .occurrence = m->recurrence_id,
                  .variant = rev,
                  .before = was };
  shown_time(m, now_s, &msg.start, &msg.end);
  /* Chats the change brings in hear of the meeting as scheduled. */
  g_autoptr(GHashTable) old_chats = matched_keys(ce, was, error);
  if (!old_chats)
    return -1;
  g_autofree char *en = mg_chatevents_describe_changes(was, m, NULL, "en");
  int changed = 0;
  if (en) {
    /* Only the chats that saw it before get `changed`. */
    g_autoptr(GHashTable) new_chats = matched_keys(ce, m, error);
    if (!new_chats)
      return -1;
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, new_chats);
    while (g_hash_table_iter_next(&it, &key, NULL))
      if (g_hash_table_contains(old_chats, key))
        g_hash_table_iter_remove(&it);
    msg.skip = new_chats;
    changed = post(ce, &msg, now_s, error);
    msg.skip = NULL;
    if (changed < 0)
      return -1;
  }
  Message fresh = msg;
  fresh.kind = MG_CHAT_EVENT_SCHEDULED;
  fresh.before = NULL;
  fresh.skip = old_chats;
  int scheduled = post(ce, &fresh, now_s, error);
  return scheduled < 0 ? -1 : changed + scheduled;
}

/* An override row (one occurrence) appeared or changed. */
static int
on_override(MgChatevents *ce, const MgMeetingsEntry *before, const MgMeetingsEntry *after, const char *id, gint64 now_s,
            GError **error)
{
  const MgMeeting *m = after->meeting;
  g_autoptr(MgMeetingsEntry) series = mg_meetings_find(ce->store, m->source, m->external_id, 0);
  if (series && series->meeting->cancelled)
    return 0; /* the whole series' cancellation says it all */
  if (m->cancelled)
    return before && before->meeting->cancelled
               ? 0
               : post_cancelled(ce, after, id, m->recurrence_id, m->start, m->end, now_s, error);
  if (before)
    return post_changed(ce, before->meeting, after, id, now_s, error);
  if (!series)
    return 0;
  /* The occurrence as the series had it. */
  g_autoptr(MgMeeting) was = mg_meeting_new();
  const MgMeeting *s = series->meeting;
  was->title = g_strdup(s->title);
  was->policy = g_strdup(s->policy);
  was->organizer.id = g_strdup(s->organizer.id);
  was->organizer.name = g_strdup(s->organizer.name);
  was->organizer.department = g_strdup(s->organizer.department);
  was->source = g_strdup(s->source);
  was->chat = g_strdup(s->chat);
  was->timezone = g_strdup(s->timezone);
  was->start = m->recurrence_id;
  was->end = m->recurrence_id + (s->end - s->start);
  for (guint i = 0; s->attendees && i < s->attendees->len; i++) {
    const MgPerson *p = &g_array_index(s->attendees, MgPerson, i);
    MgPerson copy = { .id = g_strdup(p->id), .name = g_strdup(p->name) };
    g_array_append_val(was->attendees, copy);
  }
  return post_changed(ce, was, after, id, now_s, error);
}

static gboolean
on_meeting_written(MgStore *store, const MgMeetingsEntry *before, const MgMeetingsEntry *after, gint64 now_s,
                   gpointer data, GError **error)
{
  MgChatevents *ce = data;
  const MgMeeting *m = after->meeting;
  g_autofree char *id = series_id(store, after);
  int n = 0;
  if (m->recurrence_id) {
    n = on_override(ce, before, after, id, now_s, error);
  } else if (m->cancelled) {
    if (before && !before->meeting->cancelled) {
      gint64 start, end;
      shown_time(m, now_s, &start, &end);
      n = post_cancelled(ce, after, id, 0, start, end, now_s, error);
    }
  } else if (!before) {
    Message msg = { .kind = MG_CHAT_EVENT_SCHEDULED, .entry = after, .meeting_id = id };
    shown_time(m, now_s, &msg.start, &msg.end);
    n = post(ce, &msg, now_s, error);
  } else {
    n = post_excluded(ce, before, after, id, now_s, error);
    if (n >= 0) {
      int c = post_changed(ce, before->meeting, after, id, now_s, error);
      n = c < 0 ? -1 : n + c;
    }
  }
  return n >= 0;
}

MgChatevents *
mg_chatevents_new(MgStore *store, const MgChateventsSettings *settings)
{
  MgChatevents *ce = g_new0(MgChatevents, 1);
  ce->store = store;
  ce->s = *settings;
  mg_meetings_set_observer(store, on_meeting_written, ce);
  return ce;
}

void
mg_chatevents_free(MgChatevents *ce)
{
  if (!ce)
    return;
  mg_meetings_set_observer(ce->store, NULL, NULL);
  g_free(ce);
}

/* ---- scheduler events ---- */

/* Who attended the occurrence and for how long (first join to last leave). */
static GPtrArray *
attendance(MgChatevents *ce, const MgScheduleEvent *ev, gint64 now_s, gint64 *duration_s)
{
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  *duration_s = 0;
  json_t *stays = mg_attendance_list(ce->store, ev->entry->room_id, ev->start - ce->s.lead_s, ev->at + 1, now_s);
  gint64 first = 0, last = 0;
  size_t i;
  json_t *stay;
  json_array_foreach(stays, i, stay)
  {
    const char *name = json_string_value(json_object_get(stay, "name"));
    const char *joined = json_string_value(json_object_get(stay, "joined_at"));
    g_autoptr(GDateTime) j = joined ? g_date_time_new_from_iso8601(joined, NULL) : NULL;
    if (!j)
      continue;
    gint64 from = g_date_time_to_unix(j), to = from + json_integer_value(json_object_get(stay, "seconds"));
    first = first && first < from ? first : from;
    last = MAX(last, to);
    if (name && *name && !g_ptr_array_find_with_equal_func(names, name, g_str_equal, NULL))
      g_ptr_array_add(names, g_strdup(name));
  }
  json_decref(stays);
  *duration_s = last > first ? last - first : 0;
  g_ptr_array_add(names, NULL);
  return names;
}

int
mg_chatevents_on_schedule(MgChatevents *ce, const MgScheduleEvent *sev, gint64 now_s, GError **error)
{
  g_autofree char *id = series_id(ce->store, sev->entry);
  g_autofree char *variant = NULL;
  Message msg = {
    .entry = sev->entry, .meeting_id = id, .occurrence = sev->recurrence_id, .start = sev->start, .end = sev->end
  };
  g_autoptr(GPtrArray) names = NULL;
  g_autofree char *recording_url = NULL;
  switch (sev->kind) {
  case MG_SCHEDULE_REMINDER:
    msg.kind = MG_CHAT_EVENT_REMINDER;
    /* From the clock, not the offset: a reminder fired late (meetgate was
     * down at its time) says how long is really left. */
    msg.minutes_until = (int)(MAX(0, MIN(sev->offset_s, sev->start - now_s) + 30) / 60);
    msg.variant = variant = g_strdup_printf("%" G_GINT64_FORMAT, sev->offset_s);
    break;
  case MG_SCHEDULE_OPEN:
    msg.kind = MG_CHAT_EVENT_OPEN_NOW;
    break;
  case MG_SCHEDULE_CLOSE:
    msg.kind = MG_CHAT_EVENT_SUMMARY;
    names = attendance(ce, sev, now_s, &msg.duration_s);
    msg.attendees = (const char *const *)names->pdata;
    if (ce->s.recording)
      msg.recording_url = recording_url = ce->s.recording(ce->store, sev->entry->room_id, now_s, ce->s.recording_data);
    break;
  default:
    return 0;
  }
  return post(ce, &msg, now_s, error);
}

/* SPDX-License-Identifier: MIT
 * Meeting events into the chat outbox: scheduled, changed and cancelled from
 * every meeting write (the meetings observer), reminder, open_now and summary
 * from the scheduler, each queued in the transaction of its cause. */
#pragma once

#include <glib.h>

#include "signaling/chats.h"
#include "signaling/scheduler.h"

G_BEGIN_DECLS

/* The group link of room_id bound to its window, or NULL (invite-only, no
 * such room). (transfer full) */
typedef char *(*MgChateventsLinkFunc)(MgStore *store, const char *room_id, gint64 now_s, gpointer data);

typedef struct {
  /* When no chat is configured at all, meetings go to a built-in console
   * chat (key MG_CHATS_CONSOLE_KEY): the posts show in the log. */
  gboolean console_default;
  gint64 lead_s; /* the room opens this long before a start: the summary counts stays from then */
  MgChateventsLinkFunc link;
  gpointer link_data;
  /* The room's latest recording's URL for the summary, or NULL. May be NULL. */
  MgChateventsLinkFunc recording;
  gpointer recording_data;
  /* Called when a message was queued, inside the transaction that queues it
   * (so: schedule work, do not send); the daemon arms a delivery kick. May be NULL. */
  void (*queued)(gpointer data);
  gpointer queued_data;
} MgChateventsSettings;

typedef struct MgChatevents MgChatevents;

/* Observes store's meetings (mg_meetings_set_observer) until freed; store
 * and the settings' data are borrowed. (transfer full) */
MgChatevents *mg_chatevents_new(MgStore *store, const MgChateventsSettings *settings);
void mg_chatevents_free(MgChatevents *ce);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgChatevents, mg_chatevents_free)

/* For the scheduler's handler (inside its transaction): REMINDER ->
 * reminder, OPEN -> open_now, CLOSE -> summary, to each matched chat.
 * Returns how many messages were queued; -1 and error set on a failure. */
int mg_chatevents_on_schedule(MgChatevents *ce, const MgScheduleEvent *event, gint64 now_s, GError **error);

/* The chats a meeting goes to, as mg_chats_match(), with the built-in
 * console chat when console_default is set and no chat is configured.
 * (transfer full) GPtrArray of MgChatMatch. */
GPtrArray *mg_chatevents_match(MgStore *store, const MgMeeting *m, gboolean console_default, GError **error);

/* The visible changes from before to after ("new time (was ...)", ...) in
 * lang, times in tz; NULL when only invisible fields changed. (transfer full) */
char *mg_chatevents_describe_changes(const MgMeeting *before, const MgMeeting *after, const char *tz, const char *lang);

G_END_DECLS

/* SPDX-License-Identifier: MIT
 * Event webhooks and OA attendance callbacks: their configuration, and the
 * signed JSON bodies they get, queued in the durable outbox as raw messages
 * (targets "hook:<name>" and "callback:<source>") for the deliverer. See
 * docs/admin.md (event webhooks) and docs/meetings.md (attendance callbacks). */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "signaling/chatsend.h"
#include "signaling/conference.h"
#include "signaling/scheduler.h"
#include "signaling/store.h"

G_BEGIN_DECLS

#define MG_WEBHOOKS_ERROR (mg_webhooks_error_quark())
GQuark mg_webhooks_error_quark(void);
typedef enum {
  MG_WEBHOOKS_ERROR_CONFIG, /* a malformed [events] or [oa] callbacks entry */
} MgWebhooksError;

/* The smallest webhook secret accepted. */
#define MG_WEBHOOKS_MIN_SECRET 16

/* Whether source is an [oa] source, and its webhook secret (borrowed, NULL when it has none). */
typedef gboolean (*MgWebhooksSourceLookup)(const char *source, const char **secret, gpointer data);

typedef struct {
  const char *webhooks;  /* [events] webhooks: name:secret:url,... */
  const char *types;     /* [events] types: type,...; NULL or "": every type */
  const char *callbacks; /* [oa] callbacks: source=url,... */
  MgWebhooksSourceLookup source_lookup;
  gpointer source_data;
  gint64 lead_s; /* a room opens this long before its meeting: the attendance window starts there */
} MgWebhooksSettings;

typedef struct MgWebhooks MgWebhooks;

/* Parses the settings; a malformed entry is an error naming it (never its
 * secret). A callback needs an [oa] source with a webhook secret (it is signed
 * with it). store is borrowed. (transfer full) */
MgWebhooks *mg_webhooks_new(MgStore *store, const MgWebhooksSettings *settings, GError **error);
void mg_webhooks_free(MgWebhooks *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgWebhooks, mg_webhooks_free)

/* Every secret the log must mask: the webhook secrets and the token-like
 * parts of every URL. (transfer none) char *. */
GPtrArray *mg_webhooks_get_secrets(MgWebhooks *w);
/* How many event webhooks and callbacks are configured. */
guint mg_webhooks_count(MgWebhooks *w);

/* The deliverer's lookup (mg_chatsend_set_targets, data = w). */
const MgChatsendTarget *mg_webhooks_target(const char *target, gpointer w);

/* The event types ("room_started", ..., "recording_finished"), NULL-terminated. */
extern const char *const mg_webhooks_types[];
/* Whether events of type go out (configured in [events] types). */
gboolean mg_webhooks_wants(MgWebhooks *w, const char *type);

/* Queues event type about room_id for every webhook: {id, type, time, room,
 * ...data's members} (data borrowed, may be NULL). Joins the caller's store
 * transaction when one is open. Returns how many were queued, -1 on error. */
int mg_webhooks_emit(MgWebhooks *w, const char *type, const char *room_id, json_t *data, gint64 now_ms, GError **error);
/* A conference event as its webhook (participant, track and reason as data). */
int mg_webhooks_emit_conference(MgWebhooks *w, const MgConferenceEvent *ev, gint64 now_ms, GError **error);
/* recording_started (finished FALSE) or recording_finished for room_id;
 * recording (borrowed, may be NULL) is the event's "recording" member
 * (e.g. {id, started_at, duration_s, bytes}). For the recording code. */
int mg_webhooks_emit_recording(MgWebhooks *w, const char *room_id, gboolean finished, json_t *recording, gint64 now_ms,
                               GError **error);

/* The attendance of an occurrence: {type: "attendance", meeting_id, source,
 * external_id, occurrence: {start, end}, room_id, attendees, seconds}
 * (attendees: mg_attendance_list over [from_s, to_s)). (transfer full) */
json_t *mg_webhooks_attendance_body(MgStore *store, const char *meeting_id, const MgMeetingsEntry *entry, gint64 start,
                                    gint64 end, gint64 from_s, gint64 to_s, gint64 now_s);
/* A scheduler event: on a close, the occurrence's attendance goes to its
 * source's callback (if one is configured), inside the scheduler's
 * transaction, with recording_url (the room's latest recording, or NULL:
 * JSON null). Returns how many were queued (0 or 1), -1 on error. */
int mg_webhooks_on_schedule(MgWebhooks *w, const MgScheduleEvent *ev, const char *recording_url, gint64 now_s,
                            GError **error);

G_END_DECLS

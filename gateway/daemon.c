/* SPDX-License-Identifier: MIT
 * Daemon start-up, the signaling WebSocket glue, and graceful shutdown. */
#define G_LOG_DOMAIN "daemon"
#include "gateway/daemon.h"

#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gateway/admin.h"
#include "gateway/bridge-api.h"
#include "gateway/ingest-api.h"
#include "gateway/recordings-api.h"
#include "gateway/streams-api.h"
#include "gateway/http.h"
#include "gateway/log.h"
#include "gateway/calendars-api.h"
#include "gateway/chat-xmpp.h"
#include "gateway/chats-api.h"
#include "gateway/meetings-api.h"
#include "gateway/memtrim.h"
#include "gateway/metrics.h"
#include "gateway/sample-meetings.h"
#include "gateway/rooms-api.h"
#include "gateway/web.h"
#include "gateway/whip.h"
#include "media/engine.h"
#include "media/worker.h"
#include "signaling/chatevents.h"
#include "signaling/chatsend.h"
#include "signaling/conference.h"
#include "signaling/scheduler.h"
#include "signaling/outbox.h"
#include "signaling/session.h"
#include "signaling/store.h"
#include "signaling/webhooks.h"

#define SHUTDOWN_CHAT_GRACE_MS 2000
#define SHUTDOWN_WS_GRACE_US (1 * G_USEC_PER_SEC)
/* The scheduler sleeps at most this long, so a wall-clock jump is noticed. */
#define SCHEDULER_MAX_SLEEP_S 300
/* Free heap back to the kernel (gateway/memtrim.h). */
#define MEMTRIM_INTERVAL_S 30

struct MgDaemon {
  MgConfig *cfg;
  GMainLoop *loop;
  MgStore *store;
  MgWorkerPool *workers;
  MgMediaEngine *media;
  MgWhip *whip;
  MgAdmin *admin;
  MgMetrics *metrics;
  MgConference *conference;
  MgRoomsApi *rooms_api;
  MgRecordingsApi *recordings_api;
  MgStreamsApi *streams_api;
  MgIngestApi *ingest_api;
  MgBridgeApi *bridge_api;
  MgMeetingsApi *meetings_api;
  MgCalendarsApi *calendars_api;
  MgChatsApi *chats_api;
  MgChatevents *chatevents;
  guint chat_kick;
  guint calendars_timer;
  guint memtrim_timer;
  MgScheduler *scheduler;
  guint scheduler_timer;
  MgChatsend *chatsend;
  MgWebhooks *webhooks;
  MgChatXmpp *chat_xmpp;
  gint64 scheduler_due_s; /* when the armed timer should fire; 0 = at once */
  MgHttpServer *http;
  MgWebState web;
  MgSessionStats session_stats;
  char *public_url;
  guint sig_int, sig_term;
};

/* ---- signaling WebSocket glue ---- */

static void
ws_send(json_t *msg, gpointer conn)
{
  mg_ws_conn_send_json(conn, json_incref(msg));
}

static void
ws_close(guint16 code, const char *reason, gpointer conn)
{
  mg_ws_conn_close(conn, code, reason);
}

static const MgSessionTransport ws_transport = { ws_send, ws_close };

static gpointer
ws_opened(MgWsConn *conn, gpointer data)
{
  MgDaemon *d = data;
  MgSession *s = mg_session_new(&ws_transport, conn, &d->session_stats, d->conference);
  mg_session_set_client(s, mg_ws_conn_get_peer(conn), mg_ws_conn_get_user_agent(conn));
  return s;
}

static void
ws_message(MgWsConn *conn, const char *text, gsize len, gpointer session)
{
  mg_session_handle(session, text, len, g_get_real_time());
}

static void
ws_closed(MgWsConn *conn, gpointer session)
{
  mg_session_free(session);
}

static const MgWsHandler signaling_ws = { ws_opened, ws_message, ws_closed };

/* ---- start-up ---- */

static void on_chat_queued(gpointer data);

/* Room, participant and track events from the conference: counted for the
 * metrics and queued in the outbox for the event webhooks. */
static void
on_conference_event(const MgConferenceEvent *ev, gpointer data)
{
  MgDaemon *d = data;
  if (d->metrics)
    mg_metrics_on_conference_event(d->metrics, ev->type);
  g_autoptr(GError) error = NULL;
  int n = d->webhooks ? mg_webhooks_emit_conference(d->webhooks, ev, g_get_real_time() / 1000, &error) : 0;
  if (n < 0)
    g_warning("room %s: %s not queued for the webhooks: %s", ev->room, mg_conference_event_name(ev->type),
              error->message);
  else if (n > 0)
    on_chat_queued(d);
  if (d->recordings_api)
    mg_recordings_api_on_conference_event(d->recordings_api, ev);
  if (d->streams_api && ev->type == MG_CONFERENCE_ROOM_STARTED)
    mg_streams_api_on_room_live(d->streams_api, ev->room);
  if (d->bridge_api && ev->type == MG_CONFERENCE_ROOM_STARTED)
    mg_bridge_api_on_room_live(d->bridge_api, ev->room);
  g_debug("room %s: %s%s%s%s%s", ev->room, mg_conference_event_name(ev->type), ev->participant ? " " : "",
          ev->participant ? ev->participant : "", ev->track ? " " : "", ev->track ? ev->track : "");
}

static void
on_media_event(const MgMediaEvent *ev, gpointer data)
{
  MgDaemon *d = data;
  if (d->metrics)
    mg_metrics_on_media_event(d->metrics, ev);
  if (d->metrics && d->conference && ev->type == MG_MEDIA_EVENT_CONNECTED && ev->party) {
    gint64 since = mg_conference_take_join_wait(d->conference, ev->party, ev->peer);
    if (since)
      mg_metrics_observe_join(d->metrics, MAX(g_get_real_time() - since, 0) / (gdouble)G_USEC_PER_SEC);
  }
  if (d->conference)
    mg_conference_on_media_event(d->conference, ev);
  if (d->streams_api && ev->type == MG_MEDIA_EVENT_TRACK_ADDED) /* WHIP rooms have no conference */
    mg_streams_api_on_room_live(d->streams_api, ev->room);
  if (d->bridge_api && ev->type == MG_MEDIA_EVENT_TRACK_ADDED)
    mg_bridge_api_on_room_live(d->bridge_api, ev->room);
  if (d->recordings_api && ev->type == MG_MEDIA_EVENT_ACTIVE_SPEAKER)
    mg_recordings_api_on_speaker(d->recordings_api, ev->room, ev->track, ev->party, g_get_monotonic_time());
  static const char *const names[] = {
    [MG_MEDIA_EVENT_CONNECTED] = "connected",
    [MG_MEDIA_EVENT_FAILED] = "failed",
    [MG_MEDIA_EVENT_CLOSED] = "closed",
    [MG_MEDIA_EVENT_TRACK_ADDED] = "track added",
    [MG_MEDIA_EVENT_TRACK_REMOVED] = "track removed",
    [MG_MEDIA_EVENT_ACTIVE_SPEAKER] = "active speaker",
  };
  G_STATIC_ASSERT(G_N_ELEMENTS(names) == MG_MEDIA_EVENT_ACTIVE_SPEAKER + 1);
  g_info("room %s: peer %s %s%s%s%s%s", ev->room, ev->peer ? ev->peer : "-", names[ev->type], ev->track ? " " : "",
         ev->track ? ev->track : "", ev->reason ? ": " : "", ev->reason ? ev->reason : "");
}

static gboolean
start_media(MgDaemon *d, GError **error)
{
  MgConfig *cfg = d->cfg;
  const char *addresses = mg_config_get_string(cfg, "media", "addresses");
  g_auto(GStrv) list = addresses ? g_strsplit_set(addresses, ", ", -1) : NULL;
  g_autoptr(GPtrArray) addrs = g_ptr_array_new();
  for (char **a = list; a && *a; a++)
    if (**a)
      g_ptr_array_add(addrs, *a);
  g_ptr_array_add(addrs, NULL);
  MgMediaSettings s = {
    .ice_addresses = addrs->len > 1 ? (char **)addrs->pdata : NULL,
    .ice_advertised = (char *)mg_config_get_string(cfg, "media", "advertised_address"),
    .port_min = mg_config_get_int(cfg, "media", "port_min"),
    .port_max = mg_config_get_int(cfg, "media", "port_max"),
    .ice_tcp = mg_config_get_bool(cfg, "media", "ice_tcp"),
    .dtls_timeout_ms = mg_config_get_int(cfg, "media", "dtls_timeout") * 1000,
  };
  if (s.port_min > s.port_max) {
    g_set_error(error, MG_CONFIG_ERROR, 11, "[media] port_min %u is above port_max %u", s.port_min, s.port_max);
    return FALSE;
  }
  d->workers = mg_worker_pool_new(mg_config_get_int(cfg, "media", "workers"));
  d->media = mg_media_engine_new(d->workers, &s, on_media_event, d, error);
  return d->media != NULL;
}

/* Recordings starting and finishing become recording_started / recording_finished webhooks. */
static void
on_recording(const char *room, gboolean finished, json_t *recording, gpointer data)
{
  mg_daemon_emit_recording(data, room, finished, recording);
}

/* The console chat writes group join links to the log: the embedded default
 * for trying meetgate, but in production only when asked for explicitly. */
static gboolean
console_chat_wanted(MgConfig *cfg)
{
  if (!mg_config_get_bool(cfg, "server", "production"))
    return mg_config_get_bool(cfg, "chat", "console_default");
  return mg_config_get_source(cfg, "chat", "console_default") != MG_CONFIG_SOURCE_DEFAULT &&
         mg_config_get_bool(cfg, "chat", "console_default");
}

static gboolean
start_http(MgDaemon *d, GError **error)
{
  MgConfig *cfg = d->cfg;
  MgHttpSettings s = {
    .tls_cert = (char *)mg_config_get_string(cfg, "server", "tls_cert"),
    .tls_key = (char *)mg_config_get_string(cfg, "server", "tls_key"),
    .max_body = mg_config_get_int(cfg, "server", "max_body"),
    .max_header = mg_config_get_int(cfg, "server", "max_header"),
    .max_ws_message = mg_config_get_int(cfg, "server", "max_ws_message"),
    .idle_timeout_s = mg_config_get_int(cfg, "server", "idle_timeout"),
  };
  g_autofree char *host = NULL;
  if (!s.tls_cert != !s.tls_key) {
    g_set_error(error, MG_CONFIG_ERROR, 11, "[server] tls_cert and tls_key go together; set both or neither");
    return FALSE;
  }
  mg_config_get_address(cfg, "server", "listen", &host, &s.port);
  s.host = host;
  d->http = mg_http_server_new(d->loop, &s, error);
  if (!d->http)
    return FALSE;

  mg_web_add_health(d->http, &d->web);
  d->whip = mg_whip_new(d->http, d->media, mg_config_get_string(cfg, "server", "secret"));
  d->admin = mg_admin_new(d->http, d->media, mg_config_get_string(cfg, "admin", "keys"), error);
  if (!d->admin)
    return FALSE;
  const char *public_url = mg_config_get_string(cfg, "server", "public_url");
  gboolean v6 = strchr(host, ':') != NULL;
  d->public_url = public_url ? g_strdup(public_url)
                             : g_strdup_printf("%s://%s%s%s:%u", mg_http_server_is_tls(d->http) ? "https" : "http",
                                               v6 ? "[" : "", host, v6 ? "]" : "", mg_http_server_get_port(d->http));
  MgConferenceConfig cc = { d->store, d->media, mg_config_get_string(cfg, "server", "secret"), 0 };
  d->conference = mg_conference_new(&cc);
  mg_admin_attach(d->admin, d->conference, d->store, mg_config_get_int(cfg, "schedule", "lead_minutes") * 60);
  MgMetricsSources ms = { d->media, d->workers,        d->conference,
                          d->http,  &d->session_stats, mg_config_get_string(cfg, "metrics", "token") };
  d->metrics = mg_metrics_new(d->http, &ms);
  mg_conference_set_event_func(d->conference, on_conference_event, d);
  mg_whip_set_conference(d->whip, d->conference);
  d->rooms_api =
      mg_rooms_api_new(d->http, d->admin, d->store, d->public_url, mg_config_get_string(cfg, "server", "secret"));
  d->meetings_api = mg_meetings_api_new(d->http, d->store, d->rooms_api, d->public_url,
                                        mg_config_get_string(cfg, "oa", "sources"), error);
  if (!d->meetings_api)
    return FALSE;
  d->calendars_api = mg_calendars_api_new(d->http, d->store, d->meetings_api);
  d->chats_api = mg_chats_api_new(d->http, d->store, d->admin, d->meetings_api,
                                  console_chat_wanted(cfg));
  g_autofree char *data_dir = mg_daemon_data_dir(cfg);
  const char *rec_dir = mg_config_get_string(cfg, "recording", "dir");
  g_autofree char *default_rec_dir = g_build_filename(data_dir, "recordings", NULL);
  d->recordings_api = mg_recordings_api_new(d->http, d->admin, d->media, d->conference, d->store,
                                            rec_dir ? rec_dir : default_rec_dir,
                                            mg_config_get_string(cfg, "recording", "composite"),
                                            g_get_real_time() / G_USEC_PER_SEC);
  d->ingest_api = mg_ingest_api_new(d->http, d->admin, d->media, d->conference, d->store);
  d->bridge_api = mg_bridge_api_new(d->http, d->admin, d->media, d->conference, d->store,
                                    mg_config_get_string(cfg, "server", "secret"), d->public_url);
  mg_recordings_api_set_notify(d->recordings_api, on_recording, d);
  const char *live_dir = mg_config_get_string(cfg, "streaming", "dir");
  g_autofree char *default_live_dir = g_build_filename(data_dir, "live", NULL);
  d->streams_api = mg_streams_api_new(d->http, d->admin, d->media, d->store, live_dir ? live_dir : default_live_dir,
                                      mg_config_get_string(cfg, "streaming", "rtmp_url"),
                                      mg_config_get_string(cfg, "server", "secret"));
  mg_streams_api_set_conference(d->streams_api, d->conference, d->public_url);
  mg_http_server_add_websocket(d->http, "/ws", &signaling_ws, d);
  mg_web_add_static(d->http); /* last: it answers every other GET */
  return TRUE;
}

/* Outside production, a room to try at once: made on the first start, its
 * links printed on every start. */
static void
announce_demo_room(MgDaemon *d, const char *data_dir)
{
  g_autofree char *path = g_build_filename(data_dir, "demo-room", NULL);
  g_autofree char *id = NULL;
  g_autoptr(MgRoomDef) room = NULL;
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  if (g_file_get_contents(path, &id, NULL, NULL))
    room = mg_rooms_find(d->store, g_strstrip(id));
  if (!room) {
    MgRoomDef def = { .title = "Demo room", .policy = MG_POLICY_OPEN };
    room = mg_rooms_create(d->store, &def, now, NULL);
    if (!room || !g_file_set_contents(path, room->id, -1, NULL))
      return;
  }
  /* Links carry tokens: they go to the person at the terminal, never into the log. */
  if (!isatty(STDOUT_FILENO)) {
    g_message("demo room %s ready; its links are printed when meetgate runs in a terminal", room->code);
    return;
  }
  g_autofree char *host = mg_rooms_api_link(d->rooms_api, room, "host", "demo-host", "Host", now);
  g_autofree char *guest = mg_rooms_api_link(d->rooms_api, room, "guest", NULL, NULL, now);
  printf("\nmeetgate is running. Try the demo room %s:\n  as host:   %s\n  as guest:  %s\n\n", room->code, host, guest);
  fflush(stdout);
}

/* ---- scheduler glue: one timeout that sleeps until the next event ---- */

static gint64
wall_s(void)
{
  return g_get_real_time() / G_USEC_PER_SEC;
}

/* The recording link of the chat summary and the attendance callback: the room's latest recording. */
static char *
chat_recording_link(MgStore *store, const char *room_id, gint64 now_s, gpointer data)
{
  MgDaemon *d = data;
  return d->recordings_api ? mg_recordings_latest_for_room(d->recordings_api, room_id, d->public_url) : NULL;
}

/* Scheduled events: logged, queued for the chats, and a close's attendance for the OA callback. */
static void
on_schedule_event(const MgScheduleEvent *ev, gpointer data)
{
  const MgMeeting *m = ev->entry->meeting;
  g_autoptr(GDateTime) start = g_date_time_new_from_unix_utc(ev->start);
  g_autofree char *when = g_date_time_format_iso8601(start);
  if (ev->kind == MG_SCHEDULE_REMINDER)
    g_message("meeting %s \"%s\" (%s) starting %s: reminder %" G_GINT64_FORMAT " min before", ev->entry->id, m->title,
              m->source, when, ev->offset_s / 60);
  else
    g_message("meeting %s \"%s\" (%s) starting %s: room %s %s", ev->entry->id, m->title, m->source, when,
              ev->entry->room_id, ev->kind == MG_SCHEDULE_OPEN ? "opens" : "closes");
  MgDaemon *d = data;
  /* Inside the scheduler's transaction: the messages commit with the event's record. */
  g_autoptr(GError) error = NULL;
  if (d->chatevents && mg_chatevents_on_schedule(d->chatevents, ev, wall_s(), &error) < 0)
    g_warning("meeting %s: %s not queued for its chats: %s", ev->entry->id, mg_schedule_kind_name(ev->kind),
              error->message);
  g_clear_error(&error);
  g_autofree char *recording = NULL;
  if (d->webhooks && ev->kind == MG_SCHEDULE_CLOSE)
    recording = chat_recording_link(d->store, ev->entry->room_id, wall_s(), d);
  int queued = d->webhooks ? mg_webhooks_on_schedule(d->webhooks, ev, recording, wall_s(), &error) : 0;
  if (queued < 0)
    g_warning("meeting %s: attendance callback not queued: %s", ev->entry->id, error->message);
  else if (queued > 0) {
    g_message("meeting %s: attendance queued for the callback of source %s", ev->entry->id, m->source);
    on_chat_queued(d);
  }
  if (ev->kind == MG_SCHEDULE_CLOSE && d->conference) {
    guint n = mg_conference_overtime(d->conference, ev->entry->room_id);
    if (n)
      g_message("room %s runs over: %u people stay; they were told", ev->entry->room_id, n);
  }
}

static void arm_scheduler(MgDaemon *d, gboolean now);

static gboolean
on_scheduler_timer(gpointer data)
{
  MgDaemon *d = data;
  d->scheduler_timer = 0;
  if (d->scheduler_due_s && d->metrics)
    mg_metrics_set_scheduler_lag(d->metrics, MAX(g_get_real_time() - d->scheduler_due_s * G_USEC_PER_SEC, 0) /
                                                 (gdouble)G_USEC_PER_SEC);
  mg_scheduler_run_until(d->scheduler, wall_s());
  arm_scheduler(d, FALSE);
  return G_SOURCE_REMOVE;
}

static void
arm_scheduler(MgDaemon *d, gboolean now)
{
  if (d->scheduler_timer)
    g_source_remove(d->scheduler_timer);
  if (now) {
    d->scheduler_due_s = 0;
    d->scheduler_timer = g_idle_add(on_scheduler_timer, d);
    return;
  }
  gint64 t = wall_s(), next = mg_scheduler_next_at(d->scheduler, t);
  gint64 wait = next ? CLAMP(next - t, 1, SCHEDULER_MAX_SLEEP_S) : SCHEDULER_MAX_SLEEP_S;
  d->scheduler_due_s = t + wait;
  d->scheduler_timer = g_timeout_add_seconds(wait, on_scheduler_timer, d);
}

/* A live room whose meeting (or running occurrence) was cancelled closes:
 * its people are told and disconnected. */
static void
close_cancelled_rooms(MgDaemon *d)
{
  if (!d->conference)
    return;
  g_autoptr(GPtrArray) ids = mg_conference_live_room_ids(d->conference);
  for (guint i = 0; i < ids->len; i++) {
    const char *id = g_ptr_array_index(ids, i);
    if (!mg_meetings_room_cancelled_at(d->store, id, wall_s()))
      continue;
    guint n = mg_conference_close(d->conference, id, "cancelled");
    g_message("room %s closed: its meeting was cancelled (%u people were told)", id, n);
  }
}

static void
on_meetings_changed(gpointer data)
{
  close_cancelled_rooms(data);
  arm_scheduler(data, TRUE);
}

/* ---- subscribed calendars: a poll tick; each calendar keeps its own interval ---- */

#define CALENDARS_TICK_S 5

static gboolean
on_calendars_timer(gpointer data)
{
  MgDaemon *d = data;
  mg_calendars_api_poll(d->calendars_api, wall_s());
  return G_SOURCE_CONTINUE;
}

/* ---- chat messages: queued in the outbox with their cause ---- */

/* The group link a chat message carries: the room's, bound to its window;
 * none for invite-only rooms (docs/chat.md). */
static char *
chat_group_link(MgStore *store, const char *room_id, gint64 now_s, gpointer data)
{
  MgDaemon *d = data;
  g_autoptr(MgRoomDef) room = mg_rooms_find(store, room_id);
  if (!room || room->policy == MG_POLICY_INVITE_ONLY)
    return NULL;
  return mg_rooms_api_link(d->rooms_api, room, room->policy == MG_POLICY_OPEN ? "attendee" : "guest", NULL, NULL,
                           now_s);
}

static gboolean
on_chat_kick(gpointer data)
{
  MgDaemon *d = data;
  d->chat_kick = 0;
  if (d->chatsend)
    mg_chatsend_kick(d->chatsend);
  return G_SOURCE_REMOVE;
}

/* Called inside the transaction that queued a message: the kick runs after it commits. */
static void
on_chat_queued(gpointer data)
{
  MgDaemon *d = data;
  if (!d->chat_kick)
    d->chat_kick = g_idle_add(on_chat_kick, d);
}

static void
start_chats(MgDaemon *d)
{
  MgChateventsSettings s = {
    .console_default = console_chat_wanted(d->cfg),
    .lead_s = mg_config_get_int(d->cfg, "schedule", "lead_minutes") * 60,
    .link = chat_group_link,
    .link_data = d,
    .recording = chat_recording_link,
    .recording_data = d,
    .queued = on_chat_queued,
    .queued_data = d,
  };
  d->chatevents = mg_chatevents_new(d->store, &s);
}

static gboolean
start_scheduler(MgDaemon *d, GError **error)
{
  MgConfig *cfg = d->cfg;
  MgSchedulerSettings s = {
    .lead_s = mg_config_get_int(cfg, "schedule", "lead_minutes") * 60,
    .grace_s = mg_config_get_int(cfg, "schedule", "grace_minutes") * 60,
  };
  g_autoptr(GError) local = NULL;
  if (!mg_scheduler_parse_reminders(mg_config_get_string(cfg, "schedule", "reminders"), &s, &local)) {
    g_set_error(error, MG_CONFIG_ERROR, 11, "[schedule] %s", local->message);
    return FALSE;
  }
  if (!mg_meetings_set_margins(d->store, s.lead_s, s.grace_s, error))
    return FALSE;
  start_chats(d); /* before the first meeting write, the sample schedule's included */
  if (!mg_config_get_bool(cfg, "server", "production") && !mg_meetings_count(d->store, NULL)) {
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    guint n = mg_sample_meetings_load(d->store, now, &local);
    if (local)
      g_warning("sample schedule: %s", local->message);
    else
      g_message("no meetings yet: loaded %u sample meetings (source \"%s\")", n, MG_SAMPLE_SOURCE);
  }
  d->scheduler = mg_scheduler_new(d->store, &s, on_schedule_event, d);
  mg_meetings_api_set_changed(d->meetings_api, on_meetings_changed, d);
  arm_scheduler(d, TRUE);
  d->calendars_timer = g_timeout_add_seconds(CALENDARS_TICK_S, on_calendars_timer, d);
  d->memtrim_timer = mg_memtrim_start(MEMTRIM_INTERVAL_S);
  return TRUE;
}

/* ---- event webhooks and attendance callbacks: raw messages in the same outbox ---- */

static gboolean
webhooks_source(const char *source, const char **secret, gpointer data)
{
  MgDaemon *d = data;
  return mg_meetings_api_source_secret(d->meetings_api, source, secret);
}

static gboolean
start_webhooks(MgDaemon *d, GError **error)
{
  MgWebhooksSettings s = {
    .webhooks = mg_config_get_string(d->cfg, "events", "webhooks"),
    .types = mg_config_get_string(d->cfg, "events", "types"),
    .callbacks = mg_config_get_string(d->cfg, "oa", "callbacks"),
    .source_lookup = webhooks_source,
    .source_data = d,
    .lead_s = mg_config_get_int(d->cfg, "schedule", "lead_minutes") * 60,
  };
  g_autoptr(GError) local = NULL;
  d->webhooks = mg_webhooks_new(d->store, &s, &local);
  if (!d->webhooks) {
    g_set_error(error, MG_CONFIG_ERROR, 14, "%s", local->message);
    return FALSE;
  }
  GPtrArray *secrets = mg_webhooks_get_secrets(d->webhooks);
  for (guint i = 0; i < secrets->len; i++)
    mg_log_add_secret(secrets->pdata[i]);
  mg_chatsend_set_targets(d->chatsend, mg_webhooks_target, d->webhooks);
  if (mg_webhooks_count(d->webhooks))
    g_message("%u event webhook(s) and attendance callback(s) configured", mg_webhooks_count(d->webhooks));
  return TRUE;
}

void
mg_daemon_emit_recording(MgDaemon *d, const char *room_id, gboolean finished, json_t *recording)
{
  g_autoptr(GError) error = NULL;
  int n = d->webhooks
              ? mg_webhooks_emit_recording(d->webhooks, room_id, finished, recording, g_get_real_time() / 1000, &error)
              : 0;
  if (n < 0)
    g_warning("room %s: recording event not queued for the webhooks: %s", room_id, error->message);
  else if (n > 0)
    on_chat_queued(d);
}

/* /metrics: the outbox's messages per state and the failed attempts per connector. */
static void
write_outbox_metrics(GString *out, gpointer data)
{
  MgDaemon *d = data;
  g_string_append(out,
                  "# HELP meetgate_outbox_messages Outbox messages (chat messages, webhooks, callbacks) by state.\n"
                  "# TYPE meetgate_outbox_messages gauge\n");
  for (MgOutboxState st = MG_OUTBOX_PENDING; st <= MG_OUTBOX_WITHDRAWN; st++)
    g_string_append_printf(out, "meetgate_outbox_messages{state=\"%s\"} %" G_GINT64_FORMAT "\n",
                           mg_outbox_state_name(st), mg_outbox_count(d->store, st));
  g_string_append(out, "# HELP meetgate_outbox_failures_total Failed delivery attempts by connector.\n"
                       "# TYPE meetgate_outbox_failures_total counter\n");
  if (!d->chatsend)
    return;
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, mg_chatsend_get_failures(d->chatsend));
  while (g_hash_table_iter_next(&it, &k, &v))
    g_string_append_printf(out, "meetgate_outbox_failures_total{connector=\"%s\"} %" G_GUINT64_FORMAT "\n",
                           (const char *)k, *(guint64 *)v);
}

static void
on_admin_outbox_requeued(gpointer data)
{
  on_chat_queued(data);
}

/* ---- chat delivery: the outbox's deliverer; messages a crash left 'sending' go again ---- */

static void
start_chatsend(MgDaemon *d)
{
  MgChatsendConfig c = {
    .max_attempts = (guint)mg_config_get_int(d->cfg, "chat", "max_attempts"),
    .max_in_flight = (guint)mg_config_get_int(d->cfg, "chat", "max_in_flight"),
    .request_timeout_ms = (guint)mg_config_get_int(d->cfg, "chat", "request_timeout_ms"),
  };
  guint recovered = mg_outbox_recover(d->store, g_get_real_time() / 1000);
  if (recovered)
    g_message("chat outbox: %u message(s) interrupted during delivery are sent again", recovered);
  d->chatsend = mg_chatsend_new(d->store, NULL, &c);
  d->chat_xmpp = mg_chat_xmpp_new(d->chatsend, mg_config_get_bool(d->cfg, "chat", "xmpp_require_tls"));
  mg_chatsend_kick(d->chatsend);
}

static gboolean
on_signal(gpointer data)
{
  MgDaemon *d = data;
  g_message("shutting down");
  g_main_loop_quit(d->loop);
  return G_SOURCE_CONTINUE;
}

MgDaemon *
mg_daemon_new(MgConfig *cfg, GError **error)
{
  g_autoptr(MgDaemon) d = g_new0(MgDaemon, 1);
  d->cfg = cfg;
  d->loop = g_main_loop_new(NULL, FALSE);
  d->web.started_us = g_get_monotonic_time();

  g_autofree char *data_dir = mg_daemon_data_dir(cfg);
  if (g_mkdir_with_parents(data_dir, 0700) < 0) {
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: cannot create the data folder: %s", data_dir,
                g_strerror(errno));
    return NULL;
  }
  if (!mg_daemon_prepare_secret(cfg, data_dir, error))
    return NULL;

  const char *store_path = mg_config_get_string(cfg, "store", "path");
  g_autofree char *default_store = g_build_filename(data_dir, "meetgate.db", NULL);
  d->store = d->web.store = mg_store_open(store_path ? store_path : default_store, error);
  if (!d->store)
    return NULL;
  mg_store_set_seal_key(d->store, mg_config_get_string(cfg, "server", "secret"));

  start_chatsend(d);
  if (!start_media(d, error) || !start_http(d, error) || !start_webhooks(d, error) || !start_scheduler(d, error))
    return NULL;
  mg_metrics_add_writer(d->metrics, write_outbox_metrics, d);
  mg_admin_set_outbox_changed(d->admin, on_admin_outbox_requeued, d);

  signal(SIGPIPE, SIG_IGN);
  d->sig_int = g_unix_signal_add(SIGINT, on_signal, d);
  d->sig_term = g_unix_signal_add(SIGTERM, on_signal, d);
  g_message("meetgate %s listening on %s/ (data in %s)", MG_VERSION, d->public_url, data_dir);
  if (!mg_config_get_bool(cfg, "server", "production")) {
    announce_demo_room(d, data_dir);
    if (isatty(STDOUT_FILENO))
      mg_sample_meetings_announce(d->meetings_api, d->store, wall_s());
  }
  return g_steal_pointer(&d);
}

int
mg_daemon_run(MgDaemon *d)
{
  g_main_loop_run(d->loop);

  /* Tell WebSocket clients we are going, give them a moment, then stop. */
  mg_http_server_close_websockets(d->http);
  gint64 deadline = g_get_monotonic_time() + SHUTDOWN_WS_GRACE_US;
  while (mg_http_server_get_ws_count(d->http) && g_get_monotonic_time() < deadline)
    if (!g_main_context_iteration(NULL, FALSE))
      g_usleep(2000);
  /* Chat and webhook requests in flight get a moment to be answered, so a
   * clean stop does not send them again at the next start. */
  if (d->chatsend) {
    guint left = mg_chatsend_drain(d->chatsend, SHUTDOWN_CHAT_GRACE_MS);
    if (left)
      g_message("%u chat request(s) still unanswered at shutdown: sent again at the next start", left);
  }
  return 0;
}

void
mg_daemon_free(MgDaemon *d)
{
  if (!d)
    return;
  if (d->sig_int)
    g_source_remove(d->sig_int);
  if (d->sig_term)
    g_source_remove(d->sig_term);
  if (d->scheduler_timer)
    g_source_remove(d->scheduler_timer);
  if (d->calendars_timer)
    g_source_remove(d->calendars_timer);
  if (d->memtrim_timer)
    g_source_remove(d->memtrim_timer);
  g_clear_pointer(&d->http, mg_http_server_free);
  g_clear_pointer(&d->streams_api, mg_streams_api_free);
  g_clear_pointer(&d->recordings_api, mg_recordings_api_free);
  g_clear_pointer(&d->ingest_api, mg_ingest_api_free);
  g_clear_pointer(&d->bridge_api, mg_bridge_api_free);
  if (d->whip)
    mg_whip_set_conference(d->whip, NULL);
  /* Rooms closing now still queue their events (sent at the next start). */
  g_clear_pointer(&d->conference, mg_conference_free);
  if (d->chat_kick)
    g_source_remove(d->chat_kick);
  g_clear_pointer(&d->scheduler, mg_scheduler_free);
  /* Requests in flight are cancelled; their messages stay 'sending' for the next start. */
  g_clear_pointer(&d->chat_xmpp, mg_chat_xmpp_free);
  g_clear_pointer(&d->chatsend, mg_chatsend_free);
  g_clear_pointer(&d->webhooks, mg_webhooks_free);
  g_clear_pointer(&d->calendars_api, mg_calendars_api_free);
  g_clear_pointer(&d->chats_api, mg_chats_api_free);
  g_clear_pointer(&d->chatevents, mg_chatevents_free);
  g_clear_pointer(&d->meetings_api, mg_meetings_api_free);
  g_clear_pointer(&d->rooms_api, mg_rooms_api_free);
  g_clear_pointer(&d->whip, mg_whip_free);
  g_clear_pointer(&d->admin, mg_admin_free);
  g_clear_pointer(&d->media, mg_media_engine_free);
  g_clear_pointer(&d->workers, mg_worker_pool_free);
  g_clear_pointer(&d->metrics, mg_metrics_free); /* after the workers: their probes write into it */
  g_clear_pointer(&d->store, mg_store_close);
  g_free(d->public_url);
  g_main_loop_unref(d->loop);
  mg_config_free(d->cfg);
  g_free(d);
}

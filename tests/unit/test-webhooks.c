/* SPDX-License-Identifier: MIT
 * Event webhooks and attendance callbacks with a real store (temp file): the
 * settings' rules and errors, the secrets to mask, the bodies queued per
 * webhook, the types filter, and the attendance callback of a close event,
 * queued once. */
#include <jansson.h>
#include <string.h>

#include "tests/unit/tmp-store.h"
#include "signaling/attendance.h"
#include "signaling/outbox.h"
#include "signaling/webhooks.h"

#define NOW_MS G_GINT64_CONSTANT(1767261600123)
#define SECRET_A "hook-secret-aaaaaaaaaaaa"
#define SECRET_B "hook-secret-bbbbbbbbbbbb"
#define CRM_SECRET "crm-webhook-secret-0123456789"

typedef struct {
  char *dir, *path;
  MgStore *store;
} Fixture;

static void
setup(Fixture *f, gconstpointer data)
{
  f->store = tmp_store_open("mg-webhooks-XXXXXX", &f->dir, &f->path);
}

static void
teardown(Fixture *f, gconstpointer data)
{
  tmp_store_remove(f->store, f->dir, f->path);
}

/* Sources: crm (with a webhook secret) and hr (without). */
static gboolean
lookup(const char *source, const char **secret, gpointer data)
{
  if (!strcmp(source, "crm")) {
    *secret = CRM_SECRET;
    return TRUE;
  }
  if (!strcmp(source, "hr")) {
    *secret = NULL;
    return TRUE;
  }
  return FALSE;
}

static MgWebhooks *
make(Fixture *f, const char *hooks, const char *types, const char *callbacks, GError **error)
{
  MgWebhooksSettings s = {
    .webhooks = hooks, .types = types, .callbacks = callbacks, .source_lookup = lookup, .lead_s = 600
  };
  return mg_webhooks_new(f->store, &s, error);
}

static void
refused(Fixture *f, const char *hooks, const char *types, const char *callbacks, const char *words)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MgWebhooks) w = make(f, hooks, types, callbacks, &error);
  g_assert_null(w);
  g_assert_error(error, MG_WEBHOOKS_ERROR, MG_WEBHOOKS_ERROR_CONFIG);
  if (!strstr(error->message, words))
    g_error("\"%s\" does not say \"%s\"", error->message, words);
  g_assert_null(strstr(error->message, "short-secret"));
}

static void
test_settings(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MgWebhooks) w =
      make(f, " a:" SECRET_A ":https://h.example/in?token=tok123456789, b:" SECRET_B ":http://127.0.0.1:9/x:y ", NULL,
           "crm=https://crm.example/att", &error);
  g_assert_no_error(error);
  g_assert_cmpuint(mg_webhooks_count(w), ==, 3);
  const MgChatsendTarget *a = mg_webhooks_target("hook:a", w);
  g_assert_cmpstr(a->url, ==, "https://h.example/in?token=tok123456789");
  g_assert_cmpstr(a->secret, ==, SECRET_A);
  g_assert_cmpstr(a->connector, ==, "webhook");
  /* The URL is everything after the second colon. */
  g_assert_cmpstr(mg_webhooks_target("hook:b", w)->url, ==, "http://127.0.0.1:9/x:y");
  const MgChatsendTarget *c = mg_webhooks_target("callback:crm", w);
  g_assert_cmpstr(c->secret, ==, CRM_SECRET);
  g_assert_cmpstr(c->connector, ==, "callback");
  g_assert_null(mg_webhooks_target("hook:c", w));
  g_assert_null(mg_webhooks_target("callback:hr", w));
  /* Every type by default. */
  for (guint i = 0; mg_webhooks_types[i]; i++)
    g_assert_true(mg_webhooks_wants(w, mg_webhooks_types[i]));
  g_assert_false(mg_webhooks_wants(w, "scheduled"));
  /* The secrets and the URL's token go to the log's mask. */
  GPtrArray *secrets = mg_webhooks_get_secrets(w);
  gboolean has_a = FALSE, has_token = FALSE, has_crm = FALSE;
  for (guint i = 0; i < secrets->len; i++) {
    has_a |= !strcmp(secrets->pdata[i], SECRET_A);
    has_token |= !strcmp(secrets->pdata[i], "tok123456789");
    has_crm |= !strcmp(secrets->pdata[i], CRM_SECRET);
  }
  g_assert_true(has_a && has_token && has_crm);

  g_autoptr(MgWebhooks) t = make(f, NULL, "room_started, participant_left", NULL, &error);
  g_assert_no_error(error);
  g_assert_true(mg_webhooks_wants(t, "participant_left"));
  g_assert_false(mg_webhooks_wants(t, "participant_joined"));
  g_assert_cmpuint(mg_webhooks_count(t), ==, 0);

  refused(f, "a:short-secret:https://h/x", NULL, NULL, "entry 1 (a)");
  refused(f, "a:" SECRET_A ":ftp://h/x", NULL, NULL, "name:secret:url");
  refused(f, "a:" SECRET_A, NULL, NULL, "entry 1");
  refused(f, "a b:" SECRET_A ":https://h/x", NULL, NULL, "(unnamed)");
  refused(f, "a:" SECRET_A ":https://h/x,a:" SECRET_B ":https://h/y", NULL, NULL, "the name a is used twice");
  refused(f, NULL, "room_started,nonsense", NULL, "unknown type \"nonsense\"");
  refused(f, NULL, NULL, "hr=https://hr.example/att", "source hr has no webhook secret");
  refused(f, NULL, NULL, "erp=https://erp.example/att", "source erp is not in [oa] sources");
  refused(f, NULL, NULL, "crm", "entry 1 (crm) must be source=url");
  refused(f, NULL, NULL, "crm=https://a.example/x,crm=https://b.example/y", "source crm is given twice");
}

static json_t *
body_of(const MgOutboxMessage *m)
{
  json_t *o = json_loads(m->event_json, 0, NULL);
  g_assert_nonnull(o);
  return o;
}

static void
test_emit(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MgWebhooks) w = make(f, "a:" SECRET_A ":https://a.example/in,b:" SECRET_B ":https://b.example/in",
                                 "participant_joined,participant_left,recording_finished", NULL, &error);
  g_assert_no_error(error);
  MgConferenceEvent ev = { .type = MG_CONFERENCE_PARTICIPANT_JOINED,
                           .room = "room-1",
                           .participant = "p1",
                           .name = "Ada",
                           .role = "attendee",
                           .user = "u1" };
  g_assert_cmpint(mg_webhooks_emit_conference(w, &ev, NOW_MS, &error), ==, 2);
  g_assert_no_error(error);
  /* Not a configured type: nothing. */
  ev.type = MG_CONFERENCE_ROOM_STARTED;
  g_assert_cmpint(mg_webhooks_emit_conference(w, &ev, NOW_MS, &error), ==, 0);
  g_autoptr(GPtrArray) list = mg_outbox_list(f->store, MG_OUTBOX_PENDING, 10, &error);
  g_assert_cmpuint(list->len, ==, 2);
  MgOutboxMessage *mb = list->pdata[0], *ma = list->pdata[1]; /* newest first */
  g_assert_cmpstr(ma->chat_key, ==, "hook:a");
  g_assert_cmpstr(mb->chat_key, ==, "hook:b");
  g_assert_true(ma->raw);
  g_assert_cmpstr(ma->kind_name, ==, "participant_joined");
  g_assert_cmpstr(ma->event_json, ==, mb->event_json); /* one event, one body, one id */
  json_t *o = body_of(ma);
  const char *id = json_string_value(json_object_get(o, "id"));
  g_assert_true(g_uuid_string_is_valid(id));
  g_autofree char *key = g_strdup_printf("hook:a:%s", id);
  g_assert_cmpstr(ma->idem_key, ==, key);
  g_assert_cmpstr(json_string_value(json_object_get(o, "type")), ==, "participant_joined");
  g_assert_cmpstr(json_string_value(json_object_get(o, "time")), ==, "2026-01-01T10:00:00.123Z");
  g_assert_cmpstr(json_string_value(json_object_get(json_object_get(o, "room"), "id")), ==, "room-1");
  json_t *p = json_object_get(o, "participant");
  g_assert_cmpstr(json_string_value(json_object_get(p, "id")), ==, "p1");
  g_assert_cmpstr(json_string_value(json_object_get(p, "name")), ==, "Ada");
  g_assert_cmpstr(json_string_value(json_object_get(p, "user")), ==, "u1");
  g_assert_null(json_object_get(o, "reason"));
  json_decref(o);

  ev.type = MG_CONFERENCE_PARTICIPANT_LEFT;
  ev.reason = "left";
  g_assert_cmpint(mg_webhooks_emit_conference(w, &ev, NOW_MS + 1000, &error), ==, 2);
  json_t *rec = json_pack("{s:s, s:i}", "id", "rec-1", "duration_s", 60);
  g_assert_cmpint(mg_webhooks_emit_recording(w, "room-1", TRUE, rec, NOW_MS + 2000, &error), ==, 2);
  g_assert_cmpint(mg_webhooks_emit_recording(w, "room-1", FALSE, rec, NOW_MS + 2000, &error), ==, 0);
  json_decref(rec);
  g_autoptr(GPtrArray) all = mg_outbox_list(f->store, MG_OUTBOX_PENDING, 10, &error);
  g_assert_cmpuint(all->len, ==, 6);
  json_t *r = body_of(all->pdata[0]);
  g_assert_cmpstr(json_string_value(json_object_get(r, "type")), ==, "recording_finished");
  g_assert_cmpstr(json_string_value(json_object_get(json_object_get(r, "recording"), "id")), ==, "rec-1");
  json_decref(r);
  json_t *l = body_of(all->pdata[2]);
  g_assert_cmpstr(json_string_value(json_object_get(l, "type")), ==, "participant_left");
  g_assert_cmpstr(json_string_value(json_object_get(l, "reason")), ==, "left");
  json_decref(l);

  /* Without webhooks nothing is queued. */
  g_autoptr(MgWebhooks) none = make(f, NULL, NULL, NULL, &error);
  g_assert_cmpint(mg_webhooks_emit_conference(none, &ev, NOW_MS, &error), ==, 0);
  g_assert_cmpint(mg_webhooks_emit(none, "bogus", "room-1", NULL, NOW_MS, &error), ==, -1);
  g_assert_error(error, MG_WEBHOOKS_ERROR, MG_WEBHOOKS_ERROR_CONFIG);
}

static void
test_attendance(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MgWebhooks) w = make(f, NULL, NULL, "crm=https://crm.example/att", &error);
  g_assert_no_error(error);
  gint64 start = NOW_MS / 1000, end = start + 1800;
  /* Ada stays 20 minutes, Bob joined before the window (another occurrence) and is not counted. */
  mg_attendance_joined(f->store, "room-9", "p1", "u1", "Ada", "attendee", start - 60);
  mg_attendance_left(f->store, "room-9", "p1", start + 1140);
  mg_attendance_joined(f->store, "room-9", "p0", "u2", "Bob", "attendee", start - 7200);
  mg_attendance_left(f->store, "room-9", "p0", start - 7000);
  MgMeeting m = { .source = (char *)"crm", .external_id = (char *)"crm-42" };
  MgMeetingsEntry e = { .id = (char *)"meeting-1", .room_id = (char *)"room-9", .meeting = &m };
  MgScheduleEvent ev = { .kind = MG_SCHEDULE_CLOSE, .at = end + 900, .entry = &e, .start = start, .end = end };
  /* Only the close sends. */
  ev.kind = MG_SCHEDULE_OPEN;
  g_assert_cmpint(mg_webhooks_on_schedule(w, &ev, NULL, end + 900, &error), ==, 0);
  ev.kind = MG_SCHEDULE_CLOSE;
  g_assert_cmpint(mg_webhooks_on_schedule(w, &ev, "https://meet.example/api/v1/recordings/r1", end + 900, &error), ==, 1);
  g_assert_no_error(error);
  /* A second close of the same occurrence (a restart) queues nothing more. */
  g_assert_cmpint(mg_webhooks_on_schedule(w, &ev, NULL, end + 901, &error), ==, 0);
  g_autoptr(GPtrArray) list = mg_outbox_list(f->store, MG_OUTBOX_PENDING, 10, &error);
  g_assert_cmpuint(list->len, ==, 1);
  MgOutboxMessage *msg = list->pdata[0];
  g_assert_cmpstr(msg->chat_key, ==, "callback:crm");
  g_assert_cmpstr(msg->kind_name, ==, "attendance");
  g_assert_cmpstr(msg->meeting_id, ==, "meeting-1");
  g_autofree char *key = g_strdup_printf("callback:crm:meeting-1:%" G_GINT64_FORMAT, start);
  g_assert_cmpstr(msg->idem_key, ==, key);
  json_t *o = body_of(msg);
  g_assert_cmpstr(json_string_value(json_object_get(o, "type")), ==, "attendance");
  g_assert_cmpstr(json_string_value(json_object_get(o, "source")), ==, "crm");
  g_assert_cmpstr(json_string_value(json_object_get(o, "external_id")), ==, "crm-42");
  g_assert_cmpstr(json_string_value(json_object_get(o, "room_id")), ==, "room-9");
  g_assert_cmpstr(json_string_value(json_object_get(o, "recording_url")), ==, "https://meet.example/api/v1/recordings/r1");
  g_assert_cmpstr(json_string_value(json_object_get(json_object_get(o, "occurrence"), "start")), ==,
                  "2026-01-01T10:00:00Z");
  g_assert_cmpstr(json_string_value(json_object_get(json_object_get(o, "occurrence"), "end")), ==,
                  "2026-01-01T10:30:00Z");
  json_t *att = json_object_get(o, "attendees");
  g_assert_cmpuint(json_array_size(att), ==, 1);
  g_assert_cmpstr(json_string_value(json_object_get(json_array_get(att, 0), "name")), ==, "Ada");
  g_assert_cmpint(json_integer_value(json_object_get(json_array_get(att, 0), "seconds")), ==, 1200);
  g_assert_cmpint(json_integer_value(json_object_get(json_object_get(o, "seconds"), "u1")), ==, 1200);
  json_decref(o);

  /* A source without a callback: nothing. */
  m.source = (char *)"hr";
  g_assert_cmpint(mg_webhooks_on_schedule(w, &ev, NULL, end + 900, &error), ==, 0);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/webhooks/settings", Fixture, NULL, setup, test_settings, teardown);
  g_test_add("/webhooks/emit", Fixture, NULL, setup, test_emit, teardown);
  g_test_add("/webhooks/attendance", Fixture, NULL, setup, test_attendance, teardown);
  return g_test_run();
}

/* SPDX-License-Identifier: MIT
 * A bridge's life on the control loop: its attempts (webrtcbin legs, the
 * WHIP/WHEP exchange over libcurl), the retries (bridge-fsm.c), the probes of
 * a quiet far side, and its row in the store (live_pipelines, token sealed). */
#define G_LOG_DOMAIN "bridge"
#include "gateway/bridge-private.h"

#include <string.h>

#include "signaling/pipelines.h"

#define HTTP_TIMEOUT_MS 10000

static const char *
leg_url(MgBridgeLeg *leg)
{
  return leg->pull ? leg->b->spec.whep : leg->b->spec.whip;
}

static const char *
leg_name(MgBridgeLeg *leg)
{
  return leg->pull ? "WHEP" : "WHIP";
}

static GPtrArray *
auth_headers(MgBridge *b, gboolean sdp)
{
  GPtrArray *h = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(h, g_strdup_printf("Authorization: Bearer %s", b->spec.token));
  if (sdp)
    g_ptr_array_add(h, g_strdup("Content-Type: application/sdp"));
  return h;
}

static void
on_deleted(guint64 id, const MgHttpcResponse *resp, gpointer data)
{
  g_debug("bridge: DELETE answered %d%s%s", resp->status, resp->error ? ": " : "", resp->error ? resp->error : "");
}

static void
leg_stop(MgBridgeLeg *leg)
{
  MgBridge *b = leg->b;
  if (leg->request)
    mg_httpc_cancel(b->api->http, leg->request);
  if (leg->probe)
    mg_httpc_cancel(b->api->http, leg->probe);
  leg->request = leg->probe = 0;
  if (leg->rtc) {
    b->packets[leg->pull] += mg_bridge_rtc_get_packets(leg->rtc);
    g_clear_pointer(&leg->rtc, mg_bridge_rtc_free);
  }
  if (leg->resource) {
    /* The far side's session ends now, not when it notices. */
    g_autoptr(GPtrArray) h = auth_headers(b, FALSE);
    mg_httpc_request(b->api->http, "DELETE", leg->resource, h, NULL, HTTP_TIMEOUT_MS, on_deleted, NULL);
    g_clear_pointer(&leg->resource, g_free);
  }
  leg->up = FALSE;
}

/* Kept in the store (the token sealed) until stopped or failed, to come back
 * after a restart with its id; the body of the POST that started it, and
 * restarts so far. */
static void
save(MgBridge *b)
{
  if (!b->api->store)
    return;
  json_t *j = json_pack("{s:s?, s:s?, s:s, s:s, s:i, s:i, s:i}", "whip", b->spec.whip, "whep", b->spec.whep, "token",
                        b->spec.token, "name", b->spec.name, "video", (int)b->spec.video, "audio", (int)b->spec.audio,
                        "restarts", (int)b->fsm.restarts);
  char *spec = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  g_autoptr(GError) error = NULL;
  if (!mg_pipelines_put(b->api->store, b->id, "bridge", b->room, spec, b->started_s, &error))
    g_warning("bridge %s of room %s will not come back after a restart: %s", b->id, b->room, error->message);
  memset(spec, 0, strlen(spec)); /* it holds the token */
  free(spec);
}

void
mg_bridge_forget(MgBridgeApi *api, const char *id)
{
  g_autoptr(GError) error = NULL;
  if (api->store && !mg_pipelines_delete(api->store, id, &error))
    g_warning("bridge %s: cannot remove it from the store: %s", id, error->message);
}

static void
remove_participant(MgBridge *b)
{
  if (b->api->conference)
    mg_conference_remove_ingest(b->api->conference, b->room, b->party);
  if (b->local) {
    mg_media_engine_remove_local(b->api->engine, b->local);
    b->local = NULL;
  }
}

static void
bridge_fail(MgBridge *b, gboolean fatal, const char *reason)
{
  for (guint i = 0; i < 2; i++)
    leg_stop(&b->legs[i]);
  gint64 delay = mg_bridge_fsm_fail(&b->fsm, g_get_monotonic_time() / 1000, fatal, reason);
  if (delay >= 0) {
    g_warning("bridge %s of room %s: %s; retrying in %" G_GINT64_FORMAT " ms", b->id, b->room, reason, delay);
  } else {
    g_warning("bridge %s of room %s failed: %s", b->id, b->room, reason);
    remove_participant(b);
    mg_bridge_forget(b->api, b->id); /* a refusal does not get better after a restart */
  }
}

/* Text of the far side's refusal: its JSON error message, or the start of its body. */
static char *
refusal_text(const MgHttpcResponse *resp)
{
  json_t *j = json_loads(resp->body, 0, NULL);
  json_t *m = json_object_get(json_object_get(j, "error"), "message");
  g_autofree char *raw = g_strndup(json_is_string(m) ? json_string_value(m) : resp->body, 200);
  json_decref(j);
  for (char *p = raw; *p; p++)
    if ((guchar)*p < 0x20)
      *p = ' ';
  return g_utf8_make_valid(g_strstrip(raw), -1);
}

static void
on_posted(guint64 id, const MgHttpcResponse *resp, gpointer data)
{
  MgBridgeLeg *leg = data;
  MgBridge *b = leg->b;
  leg->request = 0;
  MgBridgeHttpClass cls = mg_bridge_http_class(resp->status);
  if (!resp->status) {
    g_autofree char *why = g_strdup_printf("%s %s", leg_name(leg), resp->error ? resp->error : "no answer");
    bridge_fail(b, FALSE, why);
    return;
  }
  if (cls != MG_BRIDGE_HTTP_OK) {
    g_autofree char *text = refusal_text(resp);
    g_autofree char *why = g_strdup_printf("%s answered %d: %s", leg_name(leg), resp->status, text);
    bridge_fail(b, cls == MG_BRIDGE_HTTP_FATAL, why);
    return;
  }
  if (resp->location)
    leg->resource = g_uri_resolve_relative(leg_url(leg), resp->location, G_URI_FLAGS_ENCODED, NULL);
  g_autoptr(GError) error = NULL;
  if (!mg_bridge_rtc_set_answer(leg->rtc, resp->body, &error)) {
    g_autofree char *why = g_strdup_printf("%s: %s", leg_name(leg), error->message);
    bridge_fail(b, FALSE, why);
  }
}

static void
on_offer(MgBridgeRtc *rtc, const char *sdp, gpointer data)
{
  MgBridgeLeg *leg = data;
  g_autoptr(GPtrArray) h = auth_headers(leg->b, TRUE);
  leg->request = mg_httpc_post(leg->b->api->http, leg_url(leg), h, sdp, HTTP_TIMEOUT_MS, on_posted, leg);
}

static void
on_rtc_state(MgBridgeRtc *rtc, gboolean connected, const char *reason, gpointer data)
{
  MgBridgeLeg *leg = data;
  MgBridge *b = leg->b;
  if (!connected) {
    g_autofree char *why = g_strdup_printf("%s: %s", leg_name(leg), reason);
    bridge_fail(b, FALSE, why);
    return;
  }
  leg->up = TRUE;
  mg_bridge_liveness_init(&leg->live, mg_bridge_rtc_get_heard(rtc), g_get_monotonic_time() / 1000);
  g_debug("bridge %s of room %s: %s is up", b->id, b->room, leg_name(leg));
  for (guint i = 0; i < 2; i++)
    if (leg_url(&b->legs[i]) && !b->legs[i].up)
      return;
  g_info("bridge %s of room %s: connected", b->id, b->room);
  mg_bridge_fsm_connected(&b->fsm);
}

static const MgBridgeRtcCallbacks rtc_callbacks = { on_offer, on_rtc_state };

static void
attempt_start(MgBridge *b)
{
  for (guint i = 0; i < 2; i++) {
    MgBridgeLeg *leg = &b->legs[i];
    if (!leg_url(leg))
      continue;
    MgBridgeRtcConfig cfg = {
      .dir = leg->pull ? MG_BRIDGE_RTC_PULL : MG_BRIDGE_RTC_PUSH,
      .room = b->room,
      .skip_party = b->party,
      .local = b->local,
      .n_video = b->spec.video,
      .n_audio = b->spec.audio,
    };
    g_autoptr(GError) error = NULL;
    leg->rtc = mg_bridge_rtc_new(b->api->engine, &cfg, &rtc_callbacks, leg, &error);
    if (!leg->rtc) {
      bridge_fail(b, TRUE, error->message); /* a missing plugin does not come back by retrying */
      return;
    }
  }
}

void
mg_bridge_stop(MgBridge *b, const char *reason)
{
  for (guint i = 0; i < 2; i++)
    leg_stop(&b->legs[i]);
  mg_bridge_fsm_stop(&b->fsm, reason);
  remove_participant(b);
}

void
mg_bridge_free(gpointer p)
{
  MgBridge *b = p;
  mg_bridge_stop(b, NULL);
  mg_bridge_fsm_clear(&b->fsm);
  mg_bridge_spec_clear(&b->spec);
  g_free(b->id);
  g_free(b->room);
  g_free(b->party);
  g_free(b);
}

/* The answer to a probe of a quiet leg's session (docs/bridge.md). */
static void
on_probed(guint64 id, const MgHttpcResponse *resp, gpointer data)
{
  MgBridgeLeg *leg = data;
  leg->probe = 0;
  if (!mg_bridge_probe_is_dead(resp->status)) {
    g_debug("bridge %s: %s session answered %d: alive", leg->b->id, leg_name(leg), resp->status);
    mg_bridge_liveness_alive(&leg->live, g_get_monotonic_time() / 1000);
    return;
  }
  g_autofree char *why =
      resp->status
          ? g_strdup_printf("%s session gone (the far side answered %d)", leg_name(leg), resp->status)
          : g_strdup_printf("%s session unreachable: %s", leg_name(leg), resp->error ? resp->error : "no answer");
  bridge_fail(leg->b, FALSE, why);
}

/* A leg that is up and hears nothing from the far side asks it whether its
 * session is still there. */
static void
watch_legs(MgBridge *b, gint64 now_ms)
{
  for (guint i = 0; i < 2; i++) {
    MgBridgeLeg *leg = &b->legs[i];
    if (!leg->up || !leg->rtc || !leg->resource)
      continue;
    if (!mg_bridge_liveness_tick(&leg->live, mg_bridge_rtc_get_heard(leg->rtc), now_ms))
      continue;
    g_autoptr(GPtrArray) h = auth_headers(b, FALSE);
    leg->probe =
        mg_httpc_request(b->api->http, "GET", leg->resource, h, NULL, MG_BRIDGE_PROBE_TIMEOUT_MS, on_probed, leg);
  }
}

gboolean
mg_bridge_tick(gpointer data)
{
  MgBridgeApi *api = data;
  gint64 now_ms = g_get_monotonic_time() / 1000;
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, api->bridges);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    MgBridge *b = value;
    if (b->local && mg_media_local_is_gone(b->local)) {
      g_info("bridge %s: its participant left room %s", b->id, b->room);
      mg_bridge_stop(b, "removed from the room");
      mg_bridge_forget(api, b->id);
      continue;
    }
    switch (mg_bridge_fsm_tick(&b->fsm, now_ms)) {
    case MG_BRIDGE_FSM_START:
      g_info("bridge %s of room %s: attempt %u", b->id, b->room, b->fsm.restarts + 1);
      save(b); /* restarts count on after a restart of meetgate */
      attempt_start(b);
      break;
    case MG_BRIDGE_FSM_TIMEOUT:
      bridge_fail(b, FALSE, "not connected within 15 s");
      break;
    default:
      if (b->fsm.state == MG_BRIDGE_CONNECTED)
        watch_legs(b, now_ms);
      break;
    }
  }
  return G_SOURCE_CONTINUE;
}

MgBridge *
mg_bridge_launch(MgBridgeApi *api, const char *room, MgBridgeSpec *spec, const char *id, gint64 started_s,
                 guint restarts)
{
  MgBridge *b = g_new0(MgBridge, 1);
  b->api = api;
  b->id = id ? g_strdup(id) : g_strdup_printf("%08x%08x", g_random_int(), g_random_int());
  b->room = g_strdup(room);
  b->party = g_strdup_printf("%s%s", MG_MEDIA_BRIDGE_PARTY_PREFIX, b->id);
  b->spec = *spec;
  memset(spec, 0, sizeof *spec);
  b->started_s = started_s;
  b->legs[0] = (MgBridgeLeg){ .b = b, .pull = FALSE };
  b->legs[1] = (MgBridgeLeg){ .b = b, .pull = TRUE };
  mg_bridge_fsm_init(&b->fsm, g_get_monotonic_time() / 1000, 0);
  b->fsm.restarts = restarts;
  g_hash_table_insert(api->bridges, b->id, b);
  if (b->spec.whep) {
    g_autofree MgMediaLocalTrack *tracks = mg_bridge_rtc_local_tracks(b->spec.video, b->spec.audio);
    b->local = mg_media_engine_add_local(api->engine, room, b->party, tracks, b->spec.video + b->spec.audio);
    if (api->conference)
      mg_conference_add_bridge(api->conference, room, b->party, b->spec.name, mg_media_local_get_peer(b->local));
  }
  save(b);
  attempt_start(b);
  return b;
}

/* SPDX-License-Identifier: MIT
 * /metrics: totals from the rooms' stats snapshots, kept monotonic across
 * peers and rooms that end, and the control loop's own counts. */
#define G_LOG_DOMAIN "metrics"
#include "gateway/metrics.h"

#include <string.h>

#define SAMPLE_INTERVAL_MS 1000

enum {
  C_PACKETS_IN,
  C_BYTES_IN,
  C_PACKETS_OUT,
  C_BYTES_OUT,
  C_LOST,
  C_NACKS,
  C_PLIS,
  C_KEYFRAMES,
  C_RETRANSMITS,
  C_SRTP_ERRORS,
  C_DTLS_ERRORS,
  N_COUNTERS,
};

static const struct {
  const char *name, *help;
} counter_info[N_COUNTERS] = {
  [C_PACKETS_IN] = { "meetgate_media_packets_received_total", "RTP and RTCP packets received from peers" },
  [C_BYTES_IN] = { "meetgate_media_bytes_received_total", "Bytes received from peers" },
  [C_PACKETS_OUT] = { "meetgate_media_packets_sent_total", "Packets sent to peers" },
  [C_BYTES_OUT] = { "meetgate_media_bytes_sent_total", "Bytes sent to peers" },
  [C_LOST] = { "meetgate_media_packets_lost_total", "Published packets lost for good (NACKs gave up)" },
  [C_NACKS] = { "meetgate_media_nacks_received_total", "NACKs received from subscribers" },
  [C_PLIS] = { "meetgate_media_plis_received_total", "PLIs received from subscribers" },
  [C_KEYFRAMES] = { "meetgate_media_keyframes_received_total", "Keyframes received from publishers" },
  [C_RETRANSMITS] = { "meetgate_media_retransmits_total", "Packets retransmitted to subscribers" },
  [C_SRTP_ERRORS] = { "meetgate_media_srtp_errors_total", "Packets that failed SRTP checks" },
  [C_DTLS_ERRORS] = { "meetgate_media_dtls_errors_total", "DTLS records that failed" },
};

static const double join_buckets[] = { 0.1, 0.25, 0.5, 1, 2, 5, 10, 30 };

typedef struct {
  guint worker;
  guint64 v[N_COUNTERS];
  guint gen;
} MgPeerTotals;

typedef struct {
  guint64 packets; /* in + out, for the rate */
  guint64 last_packets;
  gdouble rate;
  gint lag_us; /* atomic: written by the worker's probe */
  gint64 last_probe_us;
} MgWorkerMetrics;

typedef struct {
  MgMetricsWriter writer;
  gpointer data;
} MgWriter;

struct MgMetrics {
  MgMetricsSources src;
  GHashTable *peers; /* "room/peer" -> MgPeerTotals* */
  guint64 retired[N_COUNTERS];
  guint gen;
  guint n_workers;
  MgWorkerMetrics *workers;
  guint64 *worker_retired; /* packets per worker of peers that are gone */
  gint64 last_rate_us;
  guint64 dtls_connected, dtls_failed;
  guint64 join_counts[G_N_ELEMENTS(join_buckets) + 1];
  gdouble join_sum;
  guint64 join_count;
  gdouble scheduler_lag;
  guint64 conference_events[MG_CONFERENCE_TRACK_UNPUBLISHED + 1];
  GArray *writers; /* MgWriter */
  guint timer;
};

static guint64
ival(json_t *o, const char *key)
{
  json_int_t v = json_integer_value(json_object_get(o, key));
  return v > 0 ? (guint64)v : 0;
}

static void
peer_counters(json_t *peer, guint64 *v)
{
  json_t *t, *l;
  size_t i, j;
  v[C_PACKETS_IN] = ival(peer, "packets_in");
  v[C_BYTES_IN] = ival(peer, "bytes_in");
  v[C_PACKETS_OUT] = ival(peer, "packets_out");
  v[C_BYTES_OUT] = ival(peer, "bytes_out");
  v[C_SRTP_ERRORS] = ival(peer, "srtp_errors");
  v[C_DTLS_ERRORS] = ival(peer, "dtls_errors");
  json_array_foreach(json_object_get(peer, "tracks"), i, t)
  {
    json_array_foreach(json_object_get(t, "layers"), j, l)
    {
      v[C_LOST] += ival(l, "lost");
      v[C_KEYFRAMES] += ival(l, "keyframes");
    }
  }
  json_array_foreach(json_object_get(peer, "streams"), i, t)
  {
    v[C_NACKS] += ival(t, "nacks");
    v[C_PLIS] += ival(t, "plis");
    v[C_RETRANSMITS] += ival(t, "retransmits");
  }
}

void
mg_metrics_sample(MgMetrics *m, gint64 now_us)
{
  m->gen++;
  json_t *rooms = mg_media_engine_get_stats(m->src.engine), *room, *peer;
  size_t i, j;
  json_array_foreach(rooms, i, room)
  {
    const char *rid = json_string_value(json_object_get(room, "room"));
    guint worker = ival(room, "worker");
    json_array_foreach(json_object_get(room, "peers"), j, peer)
    {
      g_autofree char *key = g_strdup_printf("%s/%s", rid, json_string_value(json_object_get(peer, "id")));
      MgPeerTotals *pt = g_hash_table_lookup(m->peers, key);
      if (!pt) {
        pt = g_new0(MgPeerTotals, 1);
        g_hash_table_insert(m->peers, g_steal_pointer(&key), pt);
      }
      guint64 v[N_COUNTERS] = { 0 };
      peer_counters(peer, v);
      /* Counters only grow; a snapshot never takes one back. */
      for (int c = 0; c < N_COUNTERS; c++)
        pt->v[c] = MAX(pt->v[c], v[c]);
      pt->worker = worker;
      pt->gen = m->gen;
    }
  }
  json_decref(rooms);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, m->peers);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    MgPeerTotals *pt = value;
    if (pt->gen == m->gen)
      continue;
    for (int c = 0; c < N_COUNTERS; c++)
      m->retired[c] += pt->v[c];
    if (pt->worker < m->n_workers)
      m->worker_retired[pt->worker] += pt->v[C_PACKETS_IN] + pt->v[C_PACKETS_OUT];
    g_hash_table_iter_remove(&it);
  }
  for (guint w = 0; w < m->n_workers; w++)
    m->workers[w].packets = m->worker_retired[w];
  g_hash_table_iter_init(&it, m->peers);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    MgPeerTotals *pt = value;
    if (pt->worker < m->n_workers)
      m->workers[pt->worker].packets += pt->v[C_PACKETS_IN] + pt->v[C_PACKETS_OUT];
  }
}

typedef struct {
  MgMetrics *metrics;
  guint index;
  gint64 posted_us;
} MgProbe;

static gpointer
probe_run(MgWorker *worker, gpointer data)
{
  MgProbe *p = data;
  gint64 lag = g_get_monotonic_time() - p->posted_us;
  g_atomic_int_set(&p->metrics->workers[p->index].lag_us, (gint)MIN(lag, G_MAXINT));
  g_free(p);
  return NULL;
}

static gboolean
on_timer(gpointer data)
{
  MgMetrics *m = data;
  gint64 mono = g_get_monotonic_time();
  mg_metrics_sample(m, g_get_real_time());
  gdouble dt = m->last_rate_us ? (mono - m->last_rate_us) / (gdouble)G_USEC_PER_SEC : 0;
  for (guint w = 0; w < m->n_workers; w++) {
    MgWorkerMetrics *wm = &m->workers[w];
    if (dt > 0)
      wm->rate = (wm->packets - MIN(wm->last_packets, wm->packets)) / dt;
    wm->last_packets = wm->packets;
    MgProbe *p = g_new0(MgProbe, 1);
    *p = (MgProbe){ m, w, mono };
    mg_worker_post(mg_worker_pool_get(m->src.workers, w), probe_run, p, NULL, NULL);
  }
  m->last_rate_us = mono;
  return G_SOURCE_CONTINUE;
}

static void
family(GString *out, const char *name, const char *type, const char *help)
{
  g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
write_media(MgMetrics *m, GString *out)
{
  guint rooms = 0, tracks = 0, peers = 0;
  json_t *all = mg_media_engine_get_stats(m->src.engine), *room;
  size_t i;
  json_array_foreach(all, i, room)
  {
    rooms++;
    tracks += ival(room, "tracks");
    peers += json_array_size(json_object_get(room, "peers"));
  }
  json_decref(all);
  family(out, "meetgate_media_rooms", "gauge", "Rooms with media on the workers");
  g_string_append_printf(out, "meetgate_media_rooms %u\n", rooms);
  family(out, "meetgate_media_peers", "gauge", "WebRTC peer connections");
  g_string_append_printf(out, "meetgate_media_peers %u\n", peers);
  family(out, "meetgate_tracks", "gauge", "Published tracks");
  g_string_append_printf(out, "meetgate_tracks %u\n", tracks);
  for (int c = 0; c < N_COUNTERS; c++) {
    guint64 sum = m->retired[c];
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, m->peers);
    while (g_hash_table_iter_next(&it, NULL, &value))
      sum += ((MgPeerTotals *)value)->v[c];
    family(out, counter_info[c].name, "counter", counter_info[c].help);
    g_string_append_printf(out, "%s %" G_GUINT64_FORMAT "\n", counter_info[c].name, sum);
  }
  family(out, "meetgate_dtls_handshakes_total", "counter", "DTLS handshakes that completed (peers connected)");
  g_string_append_printf(out, "meetgate_dtls_handshakes_total %" G_GUINT64_FORMAT "\n", m->dtls_connected);
  family(out, "meetgate_dtls_failures_total", "counter", "Peers whose ICE or DTLS failed");
  g_string_append_printf(out, "meetgate_dtls_failures_total %" G_GUINT64_FORMAT "\n", m->dtls_failed);
}

static void
write_workers(MgMetrics *m, GString *out)
{
  family(out, "meetgate_worker_loop_lag_seconds", "gauge", "How late the latest probe ran on each media worker");
  for (guint w = 0; w < m->n_workers; w++)
    g_string_append_printf(out, "meetgate_worker_loop_lag_seconds{worker=\"%u\"} %.6f\n", w,
                           g_atomic_int_get(&m->workers[w].lag_us) / 1e6);
  family(out, "meetgate_worker_packet_rate", "gauge", "Packets per second in and out on each media worker");
  for (guint w = 0; w < m->n_workers; w++)
    g_string_append_printf(out, "meetgate_worker_packet_rate{worker=\"%u\"} %.1f\n", w, m->workers[w].rate);
}

static void
write_control(MgMetrics *m, GString *out)
{
  json_t *rooms = m->src.conf ? mg_conference_list_rooms(m->src.conf) : json_array(), *r;
  size_t i;
  guint lobby = 0;
  json_array_foreach(rooms, i, r) lobby += ival(r, "lobby");
  family(out, "meetgate_rooms", "gauge", "Live rooms (someone joined or waits)");
  g_string_append_printf(out, "meetgate_rooms %zu\n", json_array_size(rooms));
  json_decref(rooms);
  family(out, "meetgate_participants", "gauge", "Participants in rooms (joined and in lobbies)");
  g_string_append_printf(out, "meetgate_participants %u\n",
                         m->src.conf ? mg_conference_get_participant_count(m->src.conf) : 0);
  family(out, "meetgate_lobby_participants", "gauge", "Participants waiting in lobbies");
  g_string_append_printf(out, "meetgate_lobby_participants %u\n", lobby);
  family(out, "meetgate_signaling_sessions", "gauge", "Open signaling sessions");
  g_string_append_printf(out, "meetgate_signaling_sessions %u\n", m->src.sessions ? m->src.sessions->active : 0);
  family(out, "meetgate_signaling_sessions_total", "counter", "Signaling sessions opened");
  g_string_append_printf(out, "meetgate_signaling_sessions_total %" G_GUINT64_FORMAT "\n",
                         m->src.sessions ? m->src.sessions->opened : 0);
  family(out, "meetgate_signaling_messages_total", "counter", "Signaling messages received");
  g_string_append_printf(out, "meetgate_signaling_messages_total %" G_GUINT64_FORMAT "\n",
                         m->src.sessions ? m->src.sessions->messages : 0);
  family(out, "meetgate_signaling_errors_total", "counter", "Malformed or unknown signaling messages");
  g_string_append_printf(out, "meetgate_signaling_errors_total %" G_GUINT64_FORMAT "\n",
                         m->src.sessions ? m->src.sessions->errors : 0);
  family(out, "meetgate_http_bad_requests_total", "counter", "HTTP requests answered with a 4xx");
  g_string_append_printf(out, "meetgate_http_bad_requests_total %" G_GUINT64_FORMAT "\n",
                         mg_http_server_get_bad_requests(m->src.http));
  family(out, "meetgate_websocket_connections", "gauge", "Open WebSocket connections (signaling and dashboards)");
  g_string_append_printf(out, "meetgate_websocket_connections %u\n", mg_http_server_get_ws_count(m->src.http));
  family(out, "meetgate_conference_events_total", "counter", "Rooms started and finished, joins, leaves, tracks");
  for (int e = 0; e < (int)G_N_ELEMENTS(m->conference_events); e++)
    g_string_append_printf(out, "meetgate_conference_events_total{event=\"%s\"} %" G_GUINT64_FORMAT "\n",
                           mg_conference_event_name(e), m->conference_events[e]);
  family(out, "meetgate_join_latency_seconds", "histogram",
         "From a participant's join message to its publish connection being up");
  guint64 cum = 0;
  for (gsize b = 0; b < G_N_ELEMENTS(join_buckets); b++) {
    cum += m->join_counts[b];
    g_string_append_printf(out, "meetgate_join_latency_seconds_bucket{le=\"%g\"} %" G_GUINT64_FORMAT "\n",
                           join_buckets[b], cum);
  }
  g_string_append_printf(out, "meetgate_join_latency_seconds_bucket{le=\"+Inf\"} %" G_GUINT64_FORMAT "\n",
                         m->join_count);
  g_string_append_printf(out, "meetgate_join_latency_seconds_sum %.6f\n", m->join_sum);
  g_string_append_printf(out, "meetgate_join_latency_seconds_count %" G_GUINT64_FORMAT "\n", m->join_count);
  family(out, "meetgate_scheduler_lag_seconds", "gauge", "How late the scheduler's latest wake-up was");
  g_string_append_printf(out, "meetgate_scheduler_lag_seconds %.3f\n", m->scheduler_lag);
  family(out, "meetgate_build_info", "gauge", "The running build");
  g_string_append_printf(out, "meetgate_build_info{version=\"%s\"} 1\n", MG_VERSION);
}

static void
on_metrics(MgHttpRequest *req, gpointer data)
{
  MgMetrics *m = data;
  if (m->src.token && !mg_http_secret_equal(mg_http_request_get_bearer(req), m->src.token)) {
    mg_http_request_add_header(req, "www-authenticate", "Bearer realm=\"meetgate metrics\"");
    mg_http_request_respond_error(req, 401, "unauthorized", "a metrics token is required");
    return;
  }
  mg_metrics_sample(m, g_get_real_time());
  GString *out = g_string_sized_new(8192);
  write_control(m, out);
  write_media(m, out);
  write_workers(m, out);
  /* Hook: the chat outbox's depth and failures per connector go here (a writer
   * added by the daemon once the outbox is merged). */
  for (guint i = 0; i < m->writers->len; i++) {
    MgWriter *w = &g_array_index(m->writers, MgWriter, i);
    w->writer(out, w->data);
  }
  gsize len = out->len;
  g_autoptr(GBytes) body = g_bytes_new_take(g_string_free(out, FALSE), len);
  mg_http_request_add_header(req, "cache-control", "no-store");
  mg_http_request_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", body);
}

static const MgHttpRoute routes[] = {
  { "GET", "/metrics", MG_HTTP_EXACT, on_metrics },
};

MgMetrics *
mg_metrics_new(MgHttpServer *server, const MgMetricsSources *sources)
{
  MgMetrics *m = g_new0(MgMetrics, 1);
  m->src = *sources;
  m->peers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  m->n_workers = sources->workers ? mg_worker_pool_get_size(sources->workers) : 0;
  m->workers = g_new0(MgWorkerMetrics, MAX(m->n_workers, 1));
  m->worker_retired = g_new0(guint64, MAX(m->n_workers, 1));
  m->writers = g_array_new(FALSE, FALSE, sizeof(MgWriter));
  mg_http_server_add_routes(server, routes, G_N_ELEMENTS(routes), m);
  if (m->n_workers)
    m->timer = g_timeout_add(SAMPLE_INTERVAL_MS, on_timer, m);
  return m;
}

void
mg_metrics_free(MgMetrics *m)
{
  if (!m)
    return;
  if (m->timer)
    g_source_remove(m->timer);
  g_hash_table_unref(m->peers);
  g_array_unref(m->writers);
  g_free(m->workers);
  g_free(m->worker_retired);
  g_free(m);
}

void
mg_metrics_on_media_event(MgMetrics *m, const MgMediaEvent *ev)
{
  if (ev->type == MG_MEDIA_EVENT_CONNECTED)
    m->dtls_connected++;
  else if (ev->type == MG_MEDIA_EVENT_FAILED)
    m->dtls_failed++;
}

void
mg_metrics_on_conference_event(MgMetrics *m, MgConferenceEventType type)
{
  if (type < G_N_ELEMENTS(m->conference_events))
    m->conference_events[type]++;
}

void
mg_metrics_observe_join(MgMetrics *m, gdouble seconds)
{
  gsize b = 0;
  while (b < G_N_ELEMENTS(join_buckets) && seconds > join_buckets[b])
    b++;
  m->join_counts[b]++;
  m->join_sum += seconds;
  m->join_count++;
}

void
mg_metrics_set_scheduler_lag(MgMetrics *m, gdouble seconds)
{
  m->scheduler_lag = seconds;
}

void
mg_metrics_add_writer(MgMetrics *m, MgMetricsWriter writer, gpointer user_data)
{
  MgWriter w = { writer, user_data };
  g_array_append_val(m->writers, w);
}

/* SPDX-License-Identifier: MIT
 * meetgate-load: options, the run's phases (publishers, subscribers, the
 * measurement window, ramp steps), server-side accounting from /proc, and
 * the report (a human table and one JSON line). */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "signaling/token.h"
#include "tests/bench/load/load.h"

#define SETUP_WAIT_US (30 * G_USEC_PER_SEC)
#define GRACE_US (1500 * 1000)

typedef struct {
  double cpu_s;
  double rss_kib;
  gboolean ok;
} ServerSample;

typedef struct {
  guint subs, joined, failed;
  double window_s;
  guint64 expected, delivered;
  double delivered_ratio, lat_p50_ms, lat_p99_ms;
  double fwd_pps, cpu_us_per_pkt, cpu_util, rss_kib, rss_per_sub_kib;
  double join_ms_p50, join_ms_p99, keyframe_wait_ms_p50, joins_per_s, join_cpu_ms;
} Result;

/* On-CPU time of all the process's threads from /proc/<pid>/task/<tid>/schedstat,
 * or 0 when unavailable. */
static double
task_cpu_ns(int pid)
{
  g_autofree char *dir = g_strdup_printf("/proc/%d/task", pid);
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  double total = 0;
  for (const char *tid = d ? g_dir_read_name(d) : NULL; tid; tid = g_dir_read_name(d)) {
    g_autofree char *path = g_strdup_printf("%s/%s/schedstat", dir, tid), *text = NULL;
    if (g_file_get_contents(path, &text, NULL, NULL))
      total += g_ascii_strtod(text, NULL);
  }
  return total;
}

static ServerSample
server_sample(int pid)
{
  ServerSample s = { 0 };
  if (pid <= 0)
    return s;
  g_autofree char *path = g_strdup_printf("/proc/%d/stat", pid), *stat = NULL, *status = NULL;
  if (!g_file_get_contents(path, &stat, NULL, NULL))
    return s;
  const char *p = strrchr(stat, ')');
  g_auto(GStrv) f = g_strsplit(p ? p + 2 : "", " ", -1);
  if (g_strv_length(f) < 13)
    return s;
  double tck = sysconf(_SC_CLK_TCK);
  s.cpu_s = (g_ascii_strtod(f[11], NULL) + g_ascii_strtod(f[12], NULL)) / tck;
  double ns = task_cpu_ns(pid);
  if (ns > 0)
    s.cpu_s = ns / 1e9; /* the same user+system time, in ns rather than clock ticks */
  g_free(path);
  path = g_strdup_printf("/proc/%d/status", pid);
  if (g_file_get_contents(path, &status, NULL, NULL)) {
    const char *r = strstr(status, "VmRSS:");
    if (r)
      s.rss_kib = g_ascii_strtod(r + 6, NULL);
  }
  s.ok = TRUE;
  return s;
}

/* Runs fn(data) on the media thread and waits for it. */
typedef struct {
  GSourceFunc fn;
  gpointer data;
  GMutex lock;
  GCond cond;
  gboolean done;
} SyncCall;

static gboolean
sync_cb(gpointer data)
{
  SyncCall *s = data;
  s->fn(s->data);
  g_mutex_lock(&s->lock);
  s->done = TRUE;
  g_cond_signal(&s->cond);
  g_mutex_unlock(&s->lock);
  return G_SOURCE_REMOVE;
}

static void
run_sync(Load *load, GSourceFunc fn, gpointer data)
{
  SyncCall s = { fn, data };
  g_mutex_init(&s.lock);
  g_cond_init(&s.cond);
  g_main_context_invoke(load->ctx, sync_cb, &s);
  g_mutex_lock(&s.lock);
  while (!s.done)
    g_cond_wait(&s.cond, &s.lock);
  g_mutex_unlock(&s.lock);
  g_mutex_clear(&s.lock);
  g_cond_clear(&s.cond);
}

static gboolean
tick_cb(gpointer data)
{
  Load *load = data;
  gint64 now = g_get_monotonic_time();
  if (!load->pubs)
    return G_SOURCE_CONTINUE; /* shutting down: the clients are gone */
  for (guint i = 0; i < load->pubs->len; i++)
    load_client_tick(g_ptr_array_index(load->pubs, i), now);
  for (guint i = 0; i < load->subs->len; i++)
    load_client_tick(g_ptr_array_index(load->subs, i), now);
  return G_SOURCE_CONTINUE;
}

static GMainLoop *media_loop;

static gpointer
media_thread(gpointer data)
{
  Load *load = data;
  GMainLoop *loop = g_main_loop_new(load->ctx, FALSE);
  g_main_context_push_thread_default(load->ctx);
  GSource *tick = g_timeout_source_new(2);
  g_source_set_callback(tick, tick_cb, load, NULL);
  g_source_attach(tick, load->ctx);
  g_source_unref(tick);
  g_atomic_pointer_set(&media_loop, loop);
  g_main_loop_run(loop);
  g_main_context_pop_thread_default(load->ctx);
  g_main_loop_unref(loop);
  return NULL;
}

static gboolean
quit_cb(gpointer data)
{
  g_main_loop_quit(data);
  return G_SOURCE_REMOVE;
}

static gboolean
start_client_cb(gpointer data)
{
  LoadClient *c = data;
  c->t_join_us = g_get_monotonic_time();
  load_client_make_offer(c);
  LoadJob *job = g_new0(LoadJob, 1);
  job->kind = c->publisher ? LOAD_JOB_PUBLISH : LOAD_JOB_SUBSCRIBE;
  job->client = c;
  /* Janus subscribers get Janus's offer first: ours is never sent. */
  g_thread_pool_push(c->load->http, job, NULL);
  return G_SOURCE_REMOVE;
}

typedef struct {
  Load *load;
  gboolean publisher;
  guint n;
} AddReq;

static gboolean
add_clients_cb(gpointer data)
{
  AddReq *r = data;
  Load *load = r->load;
  GPtrArray *list = r->publisher ? load->pubs : load->subs;
  for (guint i = 0; i < r->n; i++) {
    g_autoptr(GError) error = NULL;
    LoadClient *c = load_client_new(load, list->len, r->publisher, &error);
    if (!c) {
      g_printerr("cannot create a client: %s\n", error->message);
      g_atomic_int_inc(&load->n_failed);
      continue;
    }
    g_ptr_array_add(list, c);
    start_client_cb(c);
  }
  return G_SOURCE_REMOVE;
}

static void
add_clients(Load *load, gboolean publisher, guint n)
{
  AddReq r = { load, publisher, n };
  run_sync(load, add_clients_cb, &r);
}

/* Waits until *counter + failures reach want, or the setup deadline. */
static gboolean
wait_for(Load *load, gint *counter, guint want, gint failed_before)
{
  gint64 deadline = g_get_monotonic_time() + SETUP_WAIT_US;
  while (g_get_monotonic_time() < deadline) {
    guint done = g_atomic_int_get(counter) + g_atomic_int_get(&load->n_failed) - failed_before;
    if (done >= want)
      return g_atomic_int_get(&load->n_failed) == failed_before;
    g_usleep(10000);
  }
  return FALSE;
}

static gboolean
janus_pubs_up(Load *load)
{
  gint64 deadline = g_get_monotonic_time() + SETUP_WAIT_US;
  while (g_get_monotonic_time() < deadline) {
    guint up = 0;
    for (guint i = 0; i < load->pubs->len; i++)
      up += g_atomic_int_get(&((LoadClient *)g_ptr_array_index(load->pubs, i))->janus_up) ? 1 : 0;
    if (up == load->pubs->len)
      return TRUE;
    g_usleep(10000);
  }
  return FALSE;
}

static gboolean
window_start_cb(gpointer data)
{
  Load *load = data;
  double pps = load->bitrate / (8.0 * 1200) + 50;
  load->window_cap = (gint64)(pps * (load->duration_s + 10) * 1.2) + 1000;
  memset(load->hist, 0, sizeof(guint64) * (LOAD_HIST_N + 1));
  load->hist_n = 0;
  for (guint i = 0; i < load->pubs->len; i++)
    load_client_window_start(g_ptr_array_index(load->pubs, i));
  for (guint i = 0; i < load->subs->len; i++) {
    LoadClient *c = g_ptr_array_index(load->subs, i);
    if (c->connected && !c->bitmaps)
      load_client_window_start(c);
  }
  load->measuring = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
window_end_cb(gpointer data)
{
  Load *load = data;
  for (guint i = 0; i < load->pubs->len; i++)
    load_client_window_end(g_ptr_array_index(load->pubs, i));
  load->measuring = FALSE;
  return G_SOURCE_REMOVE;
}

static double
hist_quantile(Load *load, double q)
{
  if (!load->hist_n)
    return 0;
  guint64 want = (guint64)(q * load->hist_n), seen = 0;
  for (guint i = 0; i <= LOAD_HIST_N; i++) {
    seen += load->hist[i];
    if (seen > want)
      return (i + 0.5) * LOAD_HIST_BUCKET_US / 1000.0;
  }
  return LOAD_HIST_N * LOAD_HIST_BUCKET_US / 1000.0;
}

static int
cmp_double(gconstpointer a, gconstpointer b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double
quantile(GArray *v, double q)
{
  if (!v->len)
    return 0;
  g_array_sort(v, cmp_double);
  return g_array_index(v, double, MIN((guint)(q * v->len), v->len - 1));
}

typedef struct {
  Load *load;
  Result *res;
  guint first_new; /* join figures cover subscribers from this index */
} Collect;

/* Counts what each subscriber got of each publisher's window, then drops the
 * bitmaps (the next ramp step starts a new window). */
static gboolean
collect_cb(gpointer data)
{
  Collect *co = data;
  Load *load = co->load;
  Result *res = co->res;
  g_autoptr(GArray) join = g_array_new(FALSE, FALSE, sizeof(double));
  g_autoptr(GArray) kwait = g_array_new(FALSE, FALSE, sizeof(double));
  gint64 first_join = G_MAXINT64, last_conn = 0;
  for (guint i = 0; i < load->subs->len; i++) {
    LoadClient *c = g_ptr_array_index(load->subs, i);
    res->subs++;
    if (c->connected && i >= co->first_new) {
      first_join = MIN(first_join, c->t_join_us);
      last_conn = MAX(last_conn, c->t_connected_us);
    }
    res->joined += c->connected;
    res->failed += !c->connected;
    if (c->t_first_frame_us && i >= co->first_new) {
      double j = (c->t_first_frame_us - c->t_join_us) / 1000.0, k = (c->t_first_frame_us - c->t_connected_us) / 1000.0;
      g_array_append_val(join, j);
      g_array_append_val(kwait, k);
    }
    for (guint p = 0; p < load->pubs->len; p++) {
      LoadClient *pub = g_ptr_array_index(load->pubs, p);
      guint64 n = MIN((gint64)(guint32)(pub->win_end - pub->win_start), load->window_cap);
      res->expected += n;
      for (guint64 b = 0; c->bitmaps && b < n; b++)
        res->delivered += (c->bitmaps[p][b / 8] >> (b % 8)) & 1;
    }
    if (c->bitmaps) {
      for (guint p = 0; p < load->pubs->len; p++)
        g_free(c->bitmaps[p]);
      g_clear_pointer(&c->bitmaps, g_free);
    }
  }
  res->delivered_ratio = res->expected ? (double)res->delivered / res->expected : 0;
  res->lat_p50_ms = hist_quantile(load, 0.5);
  res->lat_p99_ms = hist_quantile(load, 0.99);
  res->join_ms_p50 = quantile(join, 0.5);
  res->join_ms_p99 = quantile(join, 0.99);
  res->keyframe_wait_ms_p50 = quantile(kwait, 0.5);
  guint new_joined = 0;
  for (guint i = co->first_new; i < load->subs->len; i++)
    new_joined += ((LoadClient *)g_ptr_array_index(load->subs, i))->connected;
  if (last_conn > first_join && new_joined)
    res->joins_per_s = new_joined / ((last_conn - first_join) / 1e6);
  return G_SOURCE_REMOVE;
}

/* Adds n subscribers, waits for them, measures one window. */
static void
step(Load *load, guint n, Result *res)
{
  memset(res, 0, sizeof *res);
  guint first_new = load->subs->len;
  gint failed_before = g_atomic_int_get(&load->n_failed);
  gint frames_before = g_atomic_int_get(&load->n_first_frame);
  gint connected_before = g_atomic_int_get(&load->n_connected_subs);
  ServerSample j0 = server_sample(load->server_pid);
  add_clients(load, FALSE, n);
  wait_for(load, &load->n_connected_subs, connected_before + n, failed_before);
  ServerSample j1 = server_sample(load->server_pid);
  wait_for(load, &load->n_first_frame, frames_before + n, failed_before);
  res->join_cpu_ms = j1.ok ? (j1.cpu_s - j0.cpu_s) * 1000.0 : 0;

  run_sync(load, window_start_cb, load);
  ServerSample s0 = server_sample(load->server_pid);
  gint64 t0 = g_get_monotonic_time();
  /* A join storm measures the joins only: a one-second window follows. */
  g_usleep(load->join_storm ? G_USEC_PER_SEC : (gulong)load->duration_s * G_USEC_PER_SEC);
  ServerSample s1 = server_sample(load->server_pid);
  gint64 t1 = g_get_monotonic_time();
  run_sync(load, window_end_cb, load);
  g_usleep(GRACE_US);
  Collect co = { load, res, first_new };
  run_sync(load, collect_cb, &co);
  res->window_s = (t1 - t0) / 1e6;
  res->fwd_pps = res->delivered / res->window_s;
  if (s0.ok && s1.ok) {
    double cpu = s1.cpu_s - s0.cpu_s;
    res->cpu_util = cpu / res->window_s;
    res->cpu_us_per_pkt = res->delivered ? cpu * 1e6 / res->delivered : 0;
    res->rss_kib = s1.rss_kib;
  }
}

static json_t *
result_json(Load *load, const Result *r, double rss_base)
{
  json_t *o =
      json_pack("{sssisisisisfsIsIsfsfsfsfsfsf}", "target", load->target == LOAD_TARGET_JANUS ? "janus" : "meetgate",
                "publishers", (int)load->pubs->len, "subscribers", (int)r->subs, "joined", (int)r->joined, "failed",
                (int)r->failed, "window_s", r->window_s, "expected", (json_int_t)r->expected, "delivered",
                (json_int_t)r->delivered, "delivered_ratio", r->delivered_ratio, "latency_p50_ms", r->lat_p50_ms,
                "latency_p99_ms", r->lat_p99_ms, "forwarded_pps", r->fwd_pps, "join_to_first_frame_p50_ms",
                r->join_ms_p50, "join_to_first_frame_p99_ms", r->join_ms_p99);
  json_object_set_new(o, "keyframe_wait_p50_ms", json_real(r->keyframe_wait_ms_p50));
  json_object_set_new(o, "joins_per_s", json_real(r->joins_per_s));
  json_object_set_new(o, "srtp_profile", json_string(load->profile[0] ? load->profile : "none"));
  json_object_set_new(o, "bitrate", json_integer(load->bitrate));
  if (load->server_pid > 0) {
    json_object_set_new(o, "server_cpu_util", json_real(r->cpu_util));
    json_object_set_new(o, "cpu_us_per_forwarded_packet", json_real(r->cpu_us_per_pkt));
    json_object_set_new(o, "server_rss_kib", json_real(r->rss_kib));
    json_object_set_new(o, "rss_per_subscriber_kib", json_real(r->subs ? (r->rss_kib - rss_base) / r->subs : 0));
    json_object_set_new(o, "join_cpu_ms_per_join", json_real(r->joined ? r->join_cpu_ms / MAX(1, r->joined) : 0));
  }
  return o;
}

static void
print_header(void)
{
  printf("%-8s %5s %6s %9s %8s %8s %9s %7s %7s %8s %8s %8s %7s\n", "target", "subs", "joined", "delivered", "lat p50",
         "lat p99", "fwd pps", "cpu %", "us/pkt", "KiB/sub", "1st fr", "kf wait", "joins/s");
}

static void
print_row(Load *load, const Result *r, double rss_base)
{
  printf("%-8s %5u %6u %8.4f%% %6.2fms %6.2fms %9.0f %6.1f%% %7.2f %8.1f %6.0fms %6.0fms %7.1f\n",
         load->target == LOAD_TARGET_JANUS ? "janus" : "meetgate", r->subs, r->joined, 100 * r->delivered_ratio,
         r->lat_p50_ms, r->lat_p99_ms, r->fwd_pps, 100 * r->cpu_util, r->cpu_us_per_pkt,
         r->subs ? (r->rss_kib - rss_base) / r->subs : 0, r->join_ms_p50, r->keyframe_wait_ms_p50, r->joins_per_s);
}

static gboolean
free_all_cb(gpointer data)
{
  Load *load = data;
  g_ptr_array_free(load->subs, TRUE);
  g_ptr_array_free(load->pubs, TRUE);
  load->subs = load->pubs = NULL;
  return G_SOURCE_REMOVE;
}

static char *
sign_token(const char *secret, const char *room)
{
  gint64 now = g_get_real_time() / G_USEC_PER_SEC;
  MgToken t = { "meetgate-load", "load", "load", (char *)room, "attendee", now - 60, now + 86400 };
  return mg_token_sign(&t, secret);
}

/* Publishers up and media flowing; FALSE when they could not connect. */
static gboolean
start_publishers(Load *load)
{
  g_autoptr(GError) error = NULL;
  if (load->target == LOAD_TARGET_JANUS && !load_janus_create_room(load, &error)) {
    g_printerr("meetgate-load: %s\n", error->message);
    return FALSE;
  }
  add_clients(load, TRUE, load->publishers);
  if (!wait_for(load, &load->n_connected_pubs, load->publishers, 0) ||
      (load->target == LOAD_TARGET_JANUS && !janus_pubs_up(load))) {
    g_printerr("meetgate-load: publishers did not connect\n");
    return FALSE;
  }
  g_usleep(G_USEC_PER_SEC); /* let the server see a keyframe and settle */
  return TRUE;
}

static int
run(Load *load)
{
  if (!start_publishers(load))
    return 1;
  double rss_base = server_sample(load->server_pid).rss_kib;
  Result r;
  int rc = 0;
  print_header();
  if (!load->ramp) {
    step(load, load->subscribers, &r);
    print_row(load, &r, rss_base);
    json_t *o = result_json(load, &r, rss_base);
    json_object_set_new(o, "mode", json_string(load->join_storm ? "join-storm" : "steady"));
    g_autofree char *line = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
    printf("%s\n", line);
    json_decref(o);
    return r.delivered ? 0 : 2;
  }
  json_t *steps = json_array();
  Result best = { 0 };
  for (;;) {
    step(load, load->ramp_step, &r);
    print_row(load, &r, rss_base);
    json_array_append_new(steps, result_json(load, &r, rss_base));
    gboolean lossy = r.delivered_ratio < 0.999 || r.failed;
    gboolean saturated = load->server_pid > 0 && r.cpu_util > 0.95;
    if (lossy || saturated) {
      printf("ramp stops at %u subscribers: %s\n", r.subs, lossy ? "loss > 0.1% or failed joins" : "server CPU > 95%");
      break;
    }
    best = r;
    if (load->subscribers && r.subs >= load->subscribers)
      break;
  }
  json_t *o = json_pack("{sssisiso}", "target", load->target == LOAD_TARGET_JANUS ? "janus" : "meetgate",
                        "max_subscribers_lossless", (int)best.subs, "publishers", (int)load->pubs->len, "steps", steps);
  json_object_set_new(o, "mode", json_string("ramp"));
  g_autofree char *line = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(6));
  printf("%s\n", line);
  json_decref(o);
  return rc;
}

int
main(int argc, char **argv)
{
  Load load = { 0 };
  g_autofree char *target = NULL, *secret = NULL;
  gint publishers = 1, subscribers = 10, duration = 20, bitrate = 1500000, ramp_step = 50, pid = 0;
  gint64 janus_room = 0;
  gboolean ramp = FALSE, storm = FALSE;
  GOptionEntry entries[] = {
    { "target", 0, 0, G_OPTION_ARG_STRING, &target, "meetgate (WHIP/WHEP) or janus (VideoRoom HTTP API)", "T" },
    { "url", 0, 0, G_OPTION_ARG_STRING, &load.url, "server base URL (meetgate) or Janus API URL (.../janus)", "URL" },
    { "room", 0, 0, G_OPTION_ARG_STRING, &load.room, "meetgate room (default: load)", "ROOM" },
    { "token", 0, 0, G_OPTION_ARG_STRING, &load.token, "meetgate join token", "JWT" },
    { "secret", 0, 0, G_OPTION_ARG_STRING, &secret, "meetgate server.secret: sign a token", "S" },
    { "janus-room", 0, 0, G_OPTION_ARG_INT64, &janus_room, "VideoRoom id to create (default random)", "N" },
    { "publishers", 0, 0, G_OPTION_ARG_INT, &publishers, "publishers (default 1)", "P" },
    { "subscribers", 0, 0, G_OPTION_ARG_INT, &subscribers, "subscribers (ramp: the most to try)", "S" },
    { "duration", 0, 0, G_OPTION_ARG_INT, &duration, "measurement window, seconds (default 20)", "S" },
    { "bitrate", 0, 0, G_OPTION_ARG_INT, &bitrate, "video bit/s per publisher (default 1500000)", "B" },
    { "ramp", 0, 0, G_OPTION_ARG_NONE, &ramp, "add subscribers until loss > 0.1% or the server saturates", NULL },
    { "ramp-step", 0, 0, G_OPTION_ARG_INT, &ramp_step, "subscribers added per ramp step (default 50)", "N" },
    { "join-storm", 0, 0, G_OPTION_ARG_NONE, &storm, "measure only the joins (all subscribers join at once)", NULL },
    { "server-pid", 0, 0, G_OPTION_ARG_INT, &pid, "server process for CPU and RSS accounting", "PID" },
    { NULL },
  };
  g_autoptr(GOptionContext) oc = g_option_context_new("- WebRTC load for meetgate and Janus");
  g_autoptr(GError) error = NULL;
  g_option_context_add_main_entries(oc, entries, NULL);
  if (!g_option_context_parse(oc, &argc, &argv, &error) || !load.url || publishers < 1 || subscribers < 0 ||
      duration < 1 || bitrate < 100000 || ramp_step < 1 ||
      (target && g_strcmp0(target, "meetgate") && g_strcmp0(target, "janus"))) {
    g_printerr("meetgate-load: %s\n", error ? error->message : "bad options (see --help; --url is required)");
    return 64;
  }
  load.target = !g_strcmp0(target, "janus") ? LOAD_TARGET_JANUS : LOAD_TARGET_MEETGATE;
  load.publishers = publishers;
  load.subscribers = subscribers;
  load.duration_s = duration;
  load.bitrate = bitrate;
  load.ramp = ramp;
  load.ramp_step = ramp_step;
  load.join_storm = storm;
  load.server_pid = pid;
  load.janus_room = janus_room ? (guint64)janus_room : 1000 + (guint64)g_random_int_range(0, 1 << 30);
  if (!load.room)
    load.room = g_strdup("load");
  if (load.target == LOAD_TARGET_MEETGATE && !load.token && secret)
    load.token = sign_token(secret, load.room);
  if (load.target == LOAD_TARGET_MEETGATE && !load.token) {
    g_printerr("meetgate-load: meetgate needs --token or --secret\n");
    return 64;
  }
  curl_global_init(CURL_GLOBAL_DEFAULT);
  load.cert = mg_dtls_cert_new(&error);
  if (!load.cert) {
    g_printerr("meetgate-load: %s\n", error->message);
    return 1;
  }
  load.ctx = g_main_context_new();
  load.http = g_thread_pool_new(load_signal_job, &load, 64, FALSE, NULL);
  load.pubs = g_ptr_array_new_with_free_func((GDestroyNotify)load_client_free);
  load.subs = g_ptr_array_new_with_free_func((GDestroyNotify)load_client_free);
  load.hist = g_new0(guint64, LOAD_HIST_N + 1);
  load.epoll_fd = -1;
  GThread *thread = g_thread_new("media", media_thread, &load);

  int rc = run(&load);
  fflush(stdout);

  g_thread_pool_free(load.http, FALSE, TRUE); /* let running jobs finish */
  run_sync(&load, free_all_cb, &load);
  GMainLoop *loop;
  while (!(loop = g_atomic_pointer_get(&media_loop)))
    g_usleep(1000);
  g_main_context_invoke(load.ctx, quit_cb, loop);
  g_thread_join(thread);
  g_main_context_unref(load.ctx);
  mg_dtls_cert_unref(load.cert);
  if (load.epoll_fd >= 0)
    close(load.epoll_fd);
  g_free(load.hist);
  g_free(load.url);
  g_free(load.room);
  g_free(load.token);
  curl_global_cleanup();
  return rc;
}

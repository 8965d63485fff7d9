/* SPDX-License-Identifier: MIT
 * Prometheus /metrics (text exposition format 0.0.4): counters summed from
 * the media workers' stats snapshots (no lock per packet), gauges from the
 * control loop, a join latency histogram, per-worker loop lag probes. */
#pragma once

#include "gateway/http.h"
#include "media/engine.h"
#include "media/worker.h"
#include "signaling/conference.h"
#include "signaling/session.h"

G_BEGIN_DECLS

typedef struct MgMetrics MgMetrics;

typedef struct {
  MgMediaEngine *engine;
  MgWorkerPool *workers;
  MgConference *conf;
  MgHttpServer *http;
  const MgSessionStats *sessions;
  const char *token; /* NULL: /metrics is open; else it needs "Authorization: Bearer <token>" */
} MgMetricsSources;

/* Registers GET /metrics. Everything in sources is borrowed; free the
 * metrics after the worker pool (its probes write into it). (transfer full) */
MgMetrics *mg_metrics_new(MgHttpServer *server, const MgMetricsSources *sources);
void mg_metrics_free(MgMetrics *metrics);

/* Counts DTLS handshakes (connected) and failures from the engine's events. */
void mg_metrics_on_media_event(MgMetrics *metrics, const MgMediaEvent *event);
/* Counts a conference event (room_started, participant_joined, ...). */
void mg_metrics_on_conference_event(MgMetrics *metrics, MgConferenceEventType type);
/* One participant's join latency: from its join message to its publish connection being up. */
void mg_metrics_observe_join(MgMetrics *metrics, gdouble seconds);
/* How late the scheduler's timer fired, in seconds. */
void mg_metrics_set_scheduler_lag(MgMetrics *metrics, gdouble seconds);

/* Extra families written at the end of /metrics: the hook for the chat
 * outbox's depth and failures per connector (added with the outbox). */
typedef void (*MgMetricsWriter)(GString *out, gpointer user_data);
void mg_metrics_add_writer(MgMetrics *metrics, MgMetricsWriter writer, gpointer user_data);

/* Folds the current snapshots into the totals; the timer and /metrics call it. For tests. */
void mg_metrics_sample(MgMetrics *metrics, gint64 now_us);

G_END_DECLS

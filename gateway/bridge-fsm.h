/* SPDX-License-Identifier: MIT
 * A bridge's state machine (docs/bridge.md), pure and driven with injected
 * time: connecting -> connected; a failure -> retrying after 1 s, doubling to
 * 30 s; a refusal (401, 403, 404) -> failed; stopped. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  MG_BRIDGE_CONNECTING, /* the first attempt */
  MG_BRIDGE_CONNECTED,  /* every leg is up */
  MG_BRIDGE_RETRYING,   /* an attempt failed; the next one is waiting or under way */
  MG_BRIDGE_FAILED,     /* the far side refused; no more attempts */
  MG_BRIDGE_STOPPED,    /* deleted, or its room closed */
} MgBridgeState;

typedef enum {
  MG_BRIDGE_FSM_NOTHING,
  MG_BRIDGE_FSM_START,   /* start an attempt now */
  MG_BRIDGE_FSM_TIMEOUT, /* the attempt took too long: tear it down, call mg_bridge_fsm_fail() */
} MgBridgeFsmAction;

typedef enum {
  MG_BRIDGE_HTTP_OK,    /* 201 (or another 2xx): the answer came */
  MG_BRIDGE_HTTP_FATAL, /* 401, 403, 404: a wrong token or room; not retried */
  MG_BRIDGE_HTTP_RETRY, /* no answer, 5xx, 429, ...: retried with backoff */
} MgBridgeHttpClass;

typedef struct {
  MgBridgeState state;
  gboolean attempting; /* an attempt is under way */
  gint64 attempt_ms;   /* when it started */
  gint64 retry_at_ms;  /* RETRYING without an attempt: when the next one starts */
  guint backoff_ms;    /* the delay after the next failure */
  guint restarts;      /* attempts after the first */
  guint timeout_ms;    /* an attempt that is not connected by then failed */
  char *error;         /* the latest failure, NULL once connected */
} MgBridgeFsm;

#define MG_BRIDGE_BACKOFF_MIN_MS 1000
#define MG_BRIDGE_BACKOFF_MAX_MS 30000

/* CONNECTING, the first attempt starting at now_ms (the caller starts it).
 * timeout_ms 0 = 15 s. */
void mg_bridge_fsm_init(MgBridgeFsm *f, gint64 now_ms, guint timeout_ms);
void mg_bridge_fsm_clear(MgBridgeFsm *f);
/* The attempt is up: CONNECTED, and the backoff starts over at 1 s. */
void mg_bridge_fsm_connected(MgBridgeFsm *f);
/* The attempt failed with reason. fatal: FAILED for good; otherwise
 * RETRYING, the next attempt in the returned delay (ms). Returns -1 when
 * nothing follows (fatal, or the bridge is stopped or failed already). */
gint64 mg_bridge_fsm_fail(MgBridgeFsm *f, gint64 now_ms, gboolean fatal, const char *reason);
/* What to do at now_ms. START marks the attempt under way. */
MgBridgeFsmAction mg_bridge_fsm_tick(MgBridgeFsm *f, gint64 now_ms);
/* STOPPED (with reason, may be NULL); nothing follows. */
void mg_bridge_fsm_stop(MgBridgeFsm *f, const char *reason);

/* Liveness of a connected leg whose far side may send nothing (nobody
 * publishes there): when nothing (RTP nor RTCP) has arrived for
 * MG_BRIDGE_QUIET_MS, the caller probes the far side's session URL;
 * a live answer starts the quiet time over. */
typedef struct {
  guint64 heard;         /* the far side's packets counted so far */
  gint64 quiet_since_ms; /* when that count last changed (or the watch began) */
  gboolean probing;      /* a probe is out */
} MgBridgeLiveness;

#define MG_BRIDGE_QUIET_MS 5000
#define MG_BRIDGE_PROBE_TIMEOUT_MS 5000

/* Starts watching at now_ms (the leg is up). */
void mg_bridge_liveness_init(MgBridgeLiveness *l, guint64 heard, gint64 now_ms);
/* heard: the far side's packets so far. TRUE when a probe must go out now
 * (it is then marked as out). */
gboolean mg_bridge_liveness_tick(MgBridgeLiveness *l, guint64 heard, gint64 now_ms);
/* The probe's answer said the session is alive: quiet again from now_ms. */
void mg_bridge_liveness_alive(MgBridgeLiveness *l, gint64 now_ms);
/* Whether a probe's answer (status, 0 = no answer) means the far side's
 * session is gone: no answer (refused, timed out), 404 or 410. Any other
 * answer (2xx; 405 from a server without GET on sessions; 5xx) is alive. */
gboolean mg_bridge_probe_is_dead(int status);

const char *mg_bridge_state_name(MgBridgeState state);
MgBridgeHttpClass mg_bridge_http_class(int status);

G_END_DECLS

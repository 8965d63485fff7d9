/* SPDX-License-Identifier: MIT
 * The bridge's state machine: pure, time injected (unit tested). */
#include "gateway/bridge-fsm.h"

#define DEFAULT_TIMEOUT_MS 15000

void
mg_bridge_fsm_init(MgBridgeFsm *f, gint64 now_ms, guint timeout_ms)
{
  *f = (MgBridgeFsm){ 0 };
  f->state = MG_BRIDGE_CONNECTING;
  f->attempting = TRUE;
  f->attempt_ms = now_ms;
  f->backoff_ms = MG_BRIDGE_BACKOFF_MIN_MS;
  f->timeout_ms = timeout_ms ? timeout_ms : DEFAULT_TIMEOUT_MS;
}

void
mg_bridge_fsm_clear(MgBridgeFsm *f)
{
  g_clear_pointer(&f->error, g_free);
}

static gboolean
ended(const MgBridgeFsm *f)
{
  return f->state == MG_BRIDGE_FAILED || f->state == MG_BRIDGE_STOPPED;
}

void
mg_bridge_fsm_connected(MgBridgeFsm *f)
{
  if (ended(f) || !f->attempting)
    return;
  f->state = MG_BRIDGE_CONNECTED;
  f->attempting = FALSE;
  f->backoff_ms = MG_BRIDGE_BACKOFF_MIN_MS;
  g_clear_pointer(&f->error, g_free);
}

gint64
mg_bridge_fsm_fail(MgBridgeFsm *f, gint64 now_ms, gboolean fatal, const char *reason)
{
  if (ended(f))
    return -1;
  g_free(f->error);
  f->error = g_strdup(reason);
  f->attempting = FALSE;
  if (fatal) {
    f->state = MG_BRIDGE_FAILED;
    return -1;
  }
  guint delay = f->backoff_ms;
  f->backoff_ms = MIN(f->backoff_ms * 2, MG_BRIDGE_BACKOFF_MAX_MS);
  f->state = MG_BRIDGE_RETRYING;
  f->retry_at_ms = now_ms + delay;
  return delay;
}

MgBridgeFsmAction
mg_bridge_fsm_tick(MgBridgeFsm *f, gint64 now_ms)
{
  if (ended(f))
    return MG_BRIDGE_FSM_NOTHING;
  if (f->attempting)
    return now_ms - f->attempt_ms >= f->timeout_ms ? MG_BRIDGE_FSM_TIMEOUT : MG_BRIDGE_FSM_NOTHING;
  if (f->state != MG_BRIDGE_RETRYING || now_ms < f->retry_at_ms)
    return MG_BRIDGE_FSM_NOTHING;
  f->attempting = TRUE;
  f->attempt_ms = now_ms;
  f->restarts++;
  return MG_BRIDGE_FSM_START;
}

void
mg_bridge_fsm_stop(MgBridgeFsm *f, const char *reason)
{
  if (f->state == MG_BRIDGE_STOPPED)
    return;
  f->state = MG_BRIDGE_STOPPED;
  f->attempting = FALSE;
  if (reason) {
    g_free(f->error);
    f->error = g_strdup(reason);
  }
}

const char *
mg_bridge_state_name(MgBridgeState state)
{
  static const char *const names[] = { "connecting", "connected", "retrying", "failed", "stopped" };
  return state < G_N_ELEMENTS(names) ? names[state] : "unknown";
}

MgBridgeHttpClass
mg_bridge_http_class(int status)
{
  if (status >= 200 && status < 300)
    return MG_BRIDGE_HTTP_OK;
  if (status == 401 || status == 403 || status == 404)
    return MG_BRIDGE_HTTP_FATAL;
  return MG_BRIDGE_HTTP_RETRY;
}

void
mg_bridge_liveness_init(MgBridgeLiveness *l, guint64 heard, gint64 now_ms)
{
  *l = (MgBridgeLiveness){ .heard = heard, .quiet_since_ms = now_ms };
}

gboolean
mg_bridge_liveness_tick(MgBridgeLiveness *l, guint64 heard, gint64 now_ms)
{
  if (heard != l->heard) {
    l->heard = heard;
    l->quiet_since_ms = now_ms;
    return FALSE;
  }
  if (l->probing || now_ms - l->quiet_since_ms < MG_BRIDGE_QUIET_MS)
    return FALSE;
  l->probing = TRUE;
  return TRUE;
}

void
mg_bridge_liveness_alive(MgBridgeLiveness *l, gint64 now_ms)
{
  l->probing = FALSE;
  l->quiet_since_ms = now_ms;
}

gboolean
mg_bridge_probe_is_dead(int status)
{
  return status == 0 || status == 404 || status == 410;
}

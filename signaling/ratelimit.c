/* SPDX-License-Identifier: MIT
 * Token buckets, kept in integer "token milliseconds" so refills are exact:
 * a bucket of N per P ms holds up to N * P units, one token costs P units and
 * every elapsed millisecond adds N units. */
#define G_LOG_DOMAIN "ratelimit"
#include "signaling/ratelimit.h"

#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(mg - ratelimit - error - quark, mg_ratelimit_error)

typedef struct {
  gint64 n;      /* tokens per period */
  gint64 period; /* ms */
  gint64 units;  /* 0 .. n * period */
} Bucket;

struct MgRatelimit {
  GArray *buckets; /* Bucket */
  gint64 last_ms;
};

static const struct {
  const char *name;
  gint64 ms;
} units[] = {
  { "s", 1000 },       { "sec", 1000 },  { "second", 1000 },  { "min", 60000 },
  { "minute", 60000 }, { "h", 3600000 }, { "hour", 3600000 },
};

static gboolean
parse_one(const char *text, Bucket *b)
{
  char *end = NULL;
  const char *slash = strchr(text, '/');
  if (!slash || !g_ascii_isdigit(*text))
    return FALSE;
  guint64 n = g_ascii_strtoull(text, &end, 10);
  if (end != slash || n < 1 || n > 1000000)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS(units); i++) {
    if (!strcmp(slash + 1, units[i].name)) {
      *b = (Bucket){ .n = (gint64)n, .period = units[i].ms, .units = (gint64)n * units[i].ms };
      return TRUE;
    }
  }
  return FALSE;
}

MgRatelimit *
mg_ratelimit_new(const char *spec, gint64 now_ms, GError **error)
{
  g_autoptr(MgRatelimit) rl = g_new0(MgRatelimit, 1);
  rl->buckets = g_array_new(FALSE, FALSE, sizeof(Bucket));
  rl->last_ms = now_ms;
  g_autofree char *copy = g_strstrip(g_strdup(spec ? spec : ""));
  if (!*copy || !strcmp(copy, "unlimited"))
    return g_steal_pointer(&rl);
  g_auto(GStrv) parts = g_strsplit(copy, ",", -1);
  for (guint i = 0; parts[i]; i++) {
    Bucket b;
    if (!parse_one(g_strstrip(parts[i]), &b)) {
      g_set_error(error, MG_RATELIMIT_ERROR, MG_RATELIMIT_ERROR_INVALID,
                  "rate \"%s\": \"%s\" is not N/s, N/min or N/h (N from 1 to 1000000)", copy, parts[i]);
      return NULL;
    }
    g_array_append_val(rl->buckets, b);
  }
  return g_steal_pointer(&rl);
}

void
mg_ratelimit_free(MgRatelimit *rl)
{
  if (!rl)
    return;
  if (rl->buckets)
    g_array_unref(rl->buckets);
  g_free(rl);
}

gint64
mg_ratelimit_take(MgRatelimit *rl, gint64 now_ms)
{
  gint64 elapsed = MAX(0, now_ms - rl->last_ms), wait = 0;
  rl->last_ms = MAX(rl->last_ms, now_ms);
  for (guint i = 0; i < rl->buckets->len; i++) {
    Bucket *b = &g_array_index(rl->buckets, Bucket, i);
    gint64 cap = b->n * b->period;
    /* elapsed * n cannot overflow before it passes cap: clamp elapsed first. */
    b->units = MIN(cap, b->units + MIN(elapsed, b->period) * b->n);
    if (b->units < b->period)
      wait = MAX(wait, (b->period - b->units + b->n - 1) / b->n);
  }
  if (wait)
    return wait;
  for (guint i = 0; i < rl->buckets->len; i++)
    g_array_index(rl->buckets, Bucket, i).units -= g_array_index(rl->buckets, Bucket, i).period;
  return 0;
}

const char *
mg_ratelimit_default(MgChatConnectorKind kind)
{
  switch (kind) {
  case MG_CHAT_CONNECTOR_DINGTALK:
  case MG_CHAT_CONNECTOR_WECOM:
    return "20/min";
  case MG_CHAT_CONNECTOR_FEISHU:
    return "5/s,100/min";
  case MG_CHAT_CONNECTOR_SLACK:
    return "1/s";
  case MG_CHAT_CONNECTOR_TEAMS:
    return "4/s";
  case MG_CHAT_CONNECTOR_MATTERMOST:
    return "10/s";
  case MG_CHAT_CONNECTOR_GENERIC:
    return "10/s";
  case MG_CHAT_CONNECTOR_CONSOLE:
    return NULL;
  default:
    return "5/s"; /* XMPP and any later connector */
  }
}

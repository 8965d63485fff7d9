/* SPDX-License-Identifier: MIT
 * Token buckets for a chat's send rate ("20/min", "5/s,100/min"): a message
 * goes out only when every bucket of its chat has a token. Time injected. */
#pragma once

#include <glib.h>

#include "signaling/chatmsg.h"

G_BEGIN_DECLS

typedef struct MgRatelimit MgRatelimit;

#define MG_RATELIMIT_ERROR (mg_ratelimit_error_quark())
GQuark mg_ratelimit_error_quark(void);
typedef enum {
  MG_RATELIMIT_ERROR_INVALID,
} MgRatelimitError;

/* Parses a comma-separated list of N/unit (unit: s, sec, second, min, minute,
 * h, hour; N 1..1000000); "unlimited" (or NULL or "") is no limit. Every
 * bucket starts full at now_ms (a burst of N is allowed). (transfer full), or
 * NULL with an error that quotes the bad part. */
MgRatelimit *mg_ratelimit_new(const char *spec, gint64 now_ms, GError **error);
void mg_ratelimit_free(MgRatelimit *rl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgRatelimit, mg_ratelimit_free)

/* Takes one token from every bucket: 0 when it could, else the milliseconds
 * until it can (nothing taken then). */
gint64 mg_ratelimit_take(MgRatelimit *rl, gint64 now_ms);

/* The documented (or our chosen) default rate of a connector; NULL: unlimited.
 * See docs/chat.md. */
const char *mg_ratelimit_default(MgChatConnectorKind kind);

G_END_DECLS

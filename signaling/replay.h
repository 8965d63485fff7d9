/* SPDX-License-Identifier: MIT
 * Replay protection for signed requests, kept in the store so that it holds
 * across restarts: each accepted signature is remembered (as a SHA-256
 * digest) until it expires, and a second one is refused. */
#pragma once

#include <glib.h>

#include "signaling/store.h"

G_BEGIN_DECLS

typedef enum {
  MG_REPLAY_NEW,  /* first time: remembered until its expiry */
  MG_REPLAY_SEEN, /* already remembered and not expired: a replay */
  MG_REPLAY_FULL, /* max_kept signatures are remembered: refuse for now */
  MG_REPLAY_ERROR /* the store failed (error set; MG_STORE_ERROR_FULL on a full disk) */
} MgReplayResult;

/* Remembers the signature sig of scope (e.g. the OA source's name) until
 * expires_s, in one transaction that first forgets every signature expired
 * at now_s; at most max_kept are kept. The commit is not synced by itself:
 * the next durable commit of the store (the write the request makes) syncs
 * it with its own, and a process crash loses nothing committed. */
MgReplayResult mg_replay_remember(MgStore *store, const char *scope, const char *sig, gint64 expires_s, gint64 now_s,
                                  guint max_kept, GError **error);
/* Signatures remembered, expired or not (-1 on a store error). */
gint64 mg_replay_count(MgStore *store);

G_END_DECLS

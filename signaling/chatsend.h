/* SPDX-License-Identifier: MIT
 * The chat deliverer: on the control loop, sends the outbox's due messages
 * (one in flight per chat, a bounded number overall) through their chat's
 * connector, honours each chat's rate limit, retries with backoff and
 * dead-letters what cannot be delivered. See docs/chat.md. */
#pragma once

#include <glib.h>

#include "signaling/chatresp.h"
#include "signaling/chats.h"
#include "signaling/store.h"

G_BEGIN_DECLS

typedef struct MgChatsend MgChatsend;

/* UTC milliseconds; the default reads g_get_real_time(). */
typedef gint64 (*MgChatsendClock)(gpointer data);
/* A number in [0, 1) for the backoff's jitter; the default is g_random_double(). */
typedef double (*MgChatsendRandom)(gpointer data);

typedef struct {
  guint max_attempts;       /* attempts before a message is dead (default 8) */
  guint max_in_flight;      /* requests at once over all chats (default 32) */
  guint request_timeout_ms; /* one HTTP request (default 10000) */
  guint backoff_base_ms;    /* the first retry's ceiling (default 1000), doubled per attempt */
  guint backoff_cap_ms;     /* the largest ceiling (default 600000) */
  MgChatsendClock clock;    /* NULL: real time */
  gpointer clock_data;
  MgChatsendRandom random; /* NULL: g_random_double */
  gpointer random_data;
} MgChatsendConfig;

/* A transport the daemon plugs in for a connector (XMPP): it gets the chat
 * and the built request (mg_chatmsg_build's) and, now or later on the same
 * loop, reports with mg_chatsend_done(s, token, ...). It must not call
 * mg_chatsend_done after mg_chatsend_free. */
typedef void (*MgChatsendTransport)(MgChatsend *s, guint64 token, const MgChat *chat, const MgChatRequest *req,
                                    const char *idem_key, gpointer data);

/* (transfer full) A deliverer for store's outbox whose timer and HTTP client
 * run on ctx (NULL: the default context). Zero fields of config take their
 * defaults. Nothing is sent until mg_chatsend_kick() or the first timer. */
MgChatsend *mg_chatsend_new(MgStore *store, GMainContext *ctx, const MgChatsendConfig *config);
/* Cancels the requests in flight (their messages stay 'sending' and are
 * recovered at the next start) and frees s. */
void mg_chatsend_free(MgChatsend *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgChatsend, mg_chatsend_free)

/* Routes connector kind's messages to fn instead of the built-in transport. */
void mg_chatsend_set_transport(MgChatsend *s, MgChatConnectorKind kind, MgChatsendTransport fn, gpointer data);
/* A target that is not a chat (event webhooks "hook:<name>", attendance
 * callbacks "callback:<source>"): where its raw messages go. */
typedef struct {
  const char *url;
  const char *secret;    /* signs the requests (X-Meetgate-Signature); NULL: unsigned */
  const char *rate;      /* "10/s", ...; NULL: the generic connector's default */
  const char *connector; /* the name failures are counted under ("webhook", "callback") */
} MgChatsendTarget;

/* Looks up a raw message's target; NULL: there is none (the message is dead,
 * "no such webhook"). The answer is borrowed and must stay valid while the
 * deliverer runs. */
typedef const MgChatsendTarget *(*MgChatsendTargets)(const char *target, gpointer data);
/* Sets the lookup for raw messages' targets (mg_outbox_enqueue_raw); without
 * one every raw message is dead. Raw messages are built with
 * mg_chatmsg_build_raw and sent over HTTP like the generic connector's. */
void mg_chatsend_set_targets(MgChatsend *s, MgChatsendTargets fn, gpointer data);

/* Failed attempts (retried or dead) per connector name ("slack", ...,
 * "webhook", "callback") since start. (transfer none) char * -> guint64 *. */
GHashTable *mg_chatsend_get_failures(MgChatsend *s);

/* A transport's answer for token: verdict, the wait the peer asked for
 * (seconds, -1: none) and the error text for a retry or a failure. */
void mg_chatsend_done(MgChatsend *s, guint64 token, MgChatrespVerdict verdict, gint64 retry_after_s,
                      const char *error_text);

/* Looks at the outbox soon (from an idle source): after an enqueue. */
void mg_chatsend_kick(MgChatsend *s);
/* Sends what is due now, at once (tests and the idle source). */
void mg_chatsend_run(MgChatsend *s);
/* Shutdown: sends nothing new and runs ctx until the requests in flight are
 * answered (so they are not sent again at the next start) or timeout_ms
 * passed. Returns how many are still in flight. */
guint mg_chatsend_drain(MgChatsend *s, guint timeout_ms);
/* Requests in flight. */
guint mg_chatsend_in_flight(MgChatsend *s);

/* The backoff before retry number attempt (1 = the first retry): a random
 * wait below min(cap, base * 2^(attempt-1)) (full jitter), at least
 * retry_after_s when the peer asked for one. r in [0, 1). */
gint64 mg_chatsend_backoff_ms(const MgChatsendConfig *config, guint attempt, double r, gint64 retry_after_s);

G_END_DECLS

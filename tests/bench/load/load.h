/* SPDX-License-Identifier: MIT
 * meetgate-load: WebRTC publishers and subscribers (libnice full ICE,
 * media/dtls.c as DTLS client, media/srtp.c) against meetgate (WHIP/WHEP)
 * or Janus VideoRoom (HTTP API), for benchmarks. Shared types. */
#pragma once

#include <glib.h>

#include "media/dtls.h"
#include "media/srtp.h"

typedef enum { LOAD_TARGET_MEETGATE, LOAD_TARGET_JANUS } LoadTarget;

/* What every payload carries right after the VP8 descriptor (video) or at
 * the start (audio): who sent it, a sequence over both kinds, when. */
#define LOAD_MAGIC 0x4d474c31u /* "MGL1" */
typedef struct {
  guint32 magic;
  guint16 publisher;
  guint8 kind; /* 0 audio, 1 video */
  guint8 keyframe;
  guint32 seq;
  gint64 sent_us; /* g_get_monotonic_time() of the sender */
} __attribute__((packed)) LoadMark;

/* Latency histogram: 2 µs buckets up to 200 ms, then one overflow bucket. */
#define LOAD_HIST_BUCKET_US 2
#define LOAD_HIST_N 100000

typedef struct LoadClient LoadClient;

typedef struct {
  /* options */
  LoadTarget target;
  char *url;
  char *room;
  char *token; /* meetgate bearer token */
  guint64 janus_room;
  guint publishers, subscribers;
  guint duration_s;
  guint bitrate;
  gboolean ramp, join_storm;
  guint ramp_step;
  int server_pid;

  GMainContext *ctx; /* the media thread's */
  GThreadPool *http; /* blocking signaling jobs */
  MgDtlsCert *cert;
  GPtrArray *pubs; /* LoadClient * */
  GPtrArray *subs; /* LoadClient * */

  /* Measurement window, written by the media thread only. */
  gboolean measuring;
  gint64 window_cap; /* bitmap bits per subscriber per publisher */
  guint64 *hist;     /* LOAD_HIST_N + 1 */
  guint64 hist_n;

  /* Counters shared with the orchestrating main thread (atomics). */
  gint n_connected_pubs, n_connected_subs, n_failed, n_first_frame;
  int epoll_fd;     /* connected subscribers' sockets, or -1 */
  char profile[64]; /* negotiated SRTP profile name (first seen) */
} Load;

struct LoadClient {
  Load *load;
  guint index;
  gboolean publisher;
  /* transport, owned by the media thread */
  gpointer agent; /* NiceAgent * */
  guint stream;
  gboolean controlling;
  MgDtls *dtls;
  MgSrtp *tx, *rx;
  gboolean connected, failed, ice_up;
  gpointer sock; /* GSocket * of the selected pair, read through epoll */
  int fd;
  gint64 next_rr_us;
  char *local_sdp, *remote_sdp;
  char *remote_ufrag, *remote_pwd;
  /* signaling state, owned by whichever side runs the job */
  char *resource; /* WHIP/WHEP session URL for DELETE */
  guint64 janus_session, janus_handle, janus_feed;
  char **mids; /* remote offer's mids, in order (Janus subscriber) */
  char **kinds;
  char **pts;
  /* publisher */
  guint32 seq, win_start, win_end;
  guint32 video_ssrc, audio_ssrc;
  guint16 video_rtp_seq, audio_rtp_seq, picture_id;
  guint32 frame;
  gint64 next_frame_us, next_audio_us, start_us;
  gboolean want_keyframe;
  guint64 sent, pli_in;
  gboolean janus_up;
  /* subscriber */
  gint64 t_join_us, t_connected_us, t_first_frame_us;
  guint64 received, bad, unknown;
  guint8 **bitmaps; /* one per publisher, window_cap bits */
};

/* load-client.c: runs on the media thread. */
/* Creates the agent and our offer (publisher: sendonly audio+video;
 * subscriber: recvonly, n_pubs of each kind). (transfer full) */
LoadClient *load_client_new(Load *load, guint index, gboolean publisher, GError **error);
/* Builds client->local_sdp as an offer. */
void load_client_make_offer(LoadClient *c);
/* Builds client->local_sdp as an answer to client->remote_sdp (Janus subscriber). */
gboolean load_client_make_answer(LoadClient *c, GError **error);
/* Applies client->remote_sdp: ICE credentials, candidates, fingerprint. */
gboolean load_client_apply_remote(LoadClient *c, GError **error);
void load_client_free(LoadClient *c);
/* Sends due media (publishers) and runs DTLS timers; every few ms. */
void load_client_tick(LoadClient *c, gint64 now_us);
void load_client_window_start(LoadClient *c);
void load_client_window_end(LoadClient *c);
void load_record_latency(Load *load, gint64 us);

/* load-signal.c: blocking HTTP, run on the thread pool; each job ends by
 * invoking the next step on the media thread. */
typedef enum { LOAD_JOB_PUBLISH, LOAD_JOB_SUBSCRIBE, LOAD_JOB_ANSWER, LOAD_JOB_LEAVE } LoadJobKind;
typedef struct {
  LoadJobKind kind;
  LoadClient *client;
} LoadJob;
void load_signal_job(gpointer job, gpointer load);
/* Creates the Janus room (blocking); FALSE with error. */
gboolean load_janus_create_room(Load *load, GError **error);

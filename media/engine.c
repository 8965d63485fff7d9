/* SPDX-License-Identifier: MIT
 * The media engine on the control loop: room placement on workers, peer ids,
 * and the hand-off of calls and events between the control loop and workers. */
#define G_LOG_DOMAIN "media"
#include "media/engine.h"

#include "media/dtls.h"
#include "media/local-private.h"
#include "media/peer.h"
#include "media/room.h"
#include "media/srtp.h"
#include "media/tap.h"

G_DEFINE_QUARK(mg - media - error - quark, mg_media_error)

typedef struct {
  char *id;
  MgWorker *worker;
  MgRoom *room; /* owned by the worker's loop */
  guint peers;
  guint taps;
  MgMediaEngine *engine;
} MgEngineRoom;

struct MgMediaEngine {
  MgWorkerPool *pool;
  MgMediaSettings settings;
  MgDtlsCert *cert;
  char *fingerprint;
  GHashTable *rooms; /* id -> MgEngineRoom* */
  GHashTable *peers; /* peer id -> MgEngineRoom* */
  GHashTable *stats; /* room id -> json_t* snapshot */
  MgMediaEventFunc events;
  gpointer user_data;
  GMainContext *control;
};

/* ---- events: worker -> control ---- */

typedef struct {
  MgMediaEngine *engine;
  MgMediaEventType type;
  char *room, *peer, *track, *kind, *reason, *party;
} MgEventMsg;

static void
event_msg_free(MgEventMsg *m)
{
  g_free(m->room);
  g_free(m->peer);
  g_free(m->track);
  g_free(m->kind);
  g_free(m->reason);
  g_free(m->party);
  g_free(m);
}

static void forget_peer(MgMediaEngine *engine, const char *peer);

static gboolean
deliver_event(gpointer p)
{
  MgEventMsg *m = p;
  MgMediaEvent ev = { m->type, m->room, m->peer, m->track, m->kind, m->reason, m->party };
  if (m->type == MG_MEDIA_EVENT_CLOSED && m->peer)
    forget_peer(m->engine, m->peer);
  if (m->engine->events)
    m->engine->events(&ev, m->engine->user_data);
  return G_SOURCE_REMOVE;
}

/* Room callbacks run on the room's worker and get the engine, never the
 * MgEngineRoom: the control loop may release that while the room still
 * ticks on its way to being freed. The engine outlives every room. */
static void
on_room_event(MgRoom *room, const MgMediaEvent *ev, gpointer data)
{
  MgMediaEngine *engine = data;
  MgEventMsg *m = g_new0(MgEventMsg, 1);
  m->engine = engine;
  m->type = ev->type;
  m->room = g_strdup(ev->room);
  m->peer = g_strdup(ev->peer);
  m->track = g_strdup(ev->track);
  m->kind = g_strdup(ev->kind);
  m->reason = g_strdup(ev->reason);
  m->party = g_strdup(ev->party);
  g_main_context_invoke_full(engine->control, G_PRIORITY_DEFAULT, deliver_event, m, (GDestroyNotify)event_msg_free);
}

/* ---- stats: worker -> control ---- */

typedef struct {
  MgMediaEngine *engine;
  char *room;
  json_t *snapshot;
} MgStatsMsg;

static void
stats_msg_free(MgStatsMsg *m)
{
  g_free(m->room);
  json_decref(m->snapshot);
  g_free(m);
}

static gboolean
deliver_stats(gpointer p)
{
  MgStatsMsg *m = p;
  if (g_hash_table_contains(m->engine->rooms, m->room))
    g_hash_table_replace(m->engine->stats, g_strdup(m->room), json_incref(m->snapshot));
  return G_SOURCE_REMOVE;
}

static void
on_room_stats(MgRoom *room, json_t *snapshot, gpointer data)
{
  MgMediaEngine *engine = data;
  MgStatsMsg *m = g_new0(MgStatsMsg, 1);
  MgWorker *self = mg_worker_self();
  m->engine = engine;
  m->room = g_strdup(mg_room_get_id(room));
  m->snapshot = snapshot;
  if (self)
    json_object_set_new(snapshot, "worker", json_integer(mg_worker_get_index(self)));
  g_main_context_invoke_full(engine->control, G_PRIORITY_DEFAULT, deliver_stats, m, (GDestroyNotify)stats_msg_free);
}

json_t *
mg_media_engine_get_room_stats(MgMediaEngine *engine, const char *room)
{
  json_t *j = g_hash_table_lookup(engine->stats, room);
  return j ? json_incref(j) : NULL;
}

json_t *
mg_media_engine_get_stats(MgMediaEngine *engine)
{
  json_t *all = json_array();
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, engine->stats);
  while (g_hash_table_iter_next(&it, NULL, &value))
    json_array_append(all, value);
  return all;
}

/* ---- rooms ---- */

static MgEngineRoom *
room_get(MgMediaEngine *engine, const char *id)
{
  MgEngineRoom *er = g_hash_table_lookup(engine->rooms, id);
  if (er)
    return er;
  er = g_new0(MgEngineRoom, 1);
  er->id = g_strdup(id);
  er->engine = engine;
  er->worker = mg_worker_pool_pick(engine->pool);
  mg_worker_pin(er->worker);
  MgRoomConfig cfg = {
    .ctx = mg_worker_get_context(er->worker),
    .ice = {
      .addresses = engine->settings.ice_addresses,
      .advertised = engine->settings.ice_advertised,
      .port_min = engine->settings.port_min,
      .port_max = engine->settings.port_max,
      .tcp = engine->settings.ice_tcp,
    },
    .cert = engine->cert,
    .dtls_timeout_ms = engine->settings.dtls_timeout_ms,
    .events = on_room_event,
    .stats = on_room_stats,
    .user_data = engine,
  };
  /* Built here, then only touched on its worker. */
  er->room = mg_room_new(id, &cfg);
  g_hash_table_insert(engine->rooms, er->id, er);
  g_debug("room %s placed on worker %u", id, mg_worker_get_index(er->worker));
  return er;
}

static gpointer
room_free_job(MgWorker *w, gpointer data)
{
  mg_room_free(data);
  return NULL;
}

static void
room_release(MgMediaEngine *engine, MgEngineRoom *er)
{
  g_hash_table_steal(engine->rooms, er->id);
  g_hash_table_remove(engine->stats, er->id);
  mg_worker_post(er->worker, room_free_job, er->room, NULL, NULL);
  mg_worker_unpin(er->worker);
  g_free(er->id);
  g_free(er);
}

static void
forget_peer(MgMediaEngine *engine, const char *peer)
{
  MgEngineRoom *er = g_hash_table_lookup(engine->peers, peer);
  if (!er)
    return;
  g_hash_table_remove(engine->peers, peer);
  if (--er->peers == 0 && !er->taps)
    room_release(engine, er);
}

/* ---- taps ---- */

typedef struct {
  MgRoom *room;
  MgTap *tap;
} MgTapJob;

static gpointer
add_tap_job(MgWorker *w, gpointer data)
{
  MgTapJob *job = data;
  mg_room_add_tap(job->room, job->tap);
  mg_tap_unref(job->tap);
  g_free(job);
  return NULL;
}

static gpointer
remove_tap_job(MgWorker *w, gpointer data)
{
  MgTapJob *job = data;
  mg_room_remove_tap(job->room, job->tap);
  mg_tap_unref(job->tap);
  g_free(job);
  return NULL;
}

static void
post_tap_job(MgEngineRoom *er, MgTap *tap, MgWorkerFunc func)
{
  MgTapJob *job = g_new0(MgTapJob, 1);
  job->room = er->room;
  job->tap = mg_tap_ref(tap);
  mg_worker_post(er->worker, func, job, NULL, NULL);
}

void
mg_media_engine_add_tap(MgMediaEngine *engine, const char *room, MgTap *tap)
{
  MgEngineRoom *er = room_get(engine, room);
  er->taps++;
  post_tap_job(er, tap, add_tap_job);
}

void
mg_media_engine_remove_tap(MgMediaEngine *engine, const char *room, MgTap *tap)
{
  MgEngineRoom *er = g_hash_table_lookup(engine->rooms, room);
  if (!er || !er->taps) {
    mg_tap_stop(tap);
    return;
  }
  post_tap_job(er, tap, remove_tap_job);
  if (--er->taps == 0 && !er->peers)
    room_release(engine, er);
}

/* ---- local publishers ---- */

typedef struct {
  MgRoom *room; /* worker side: freed only by a job posted after this one */
  MgMediaLocal *local;
  char *party;
} MgLocalJob;

static gpointer
add_local_job(MgWorker *w, gpointer data)
{
  MgLocalJob *job = data;
  mg_room_add_local(job->room, job->local, job->party);
  mg_media_local_unref(job->local);
  g_free(job->party);
  g_free(job);
  return NULL;
}

static char *new_peer_id(void);

MgMediaLocal *
mg_media_engine_add_local(MgMediaEngine *engine, const char *room, const char *party,
                          const MgMediaLocalTrack *tracks, guint n)
{
  g_autofree char *peer = new_peer_id();
  MgMediaLocal *local = mg_media_local_new(peer, tracks, n);
  MgEngineRoom *er = room_get(engine, room);
  /* Counted as a peer: the room lives until its CLOSED event. */
  g_hash_table_insert(engine->peers, g_strdup(peer), er);
  er->peers++;
  MgLocalJob *job = g_new0(MgLocalJob, 1);
  job->room = er->room;
  job->local = mg_media_local_ref(local);
  job->party = g_strdup(party);
  mg_worker_post(er->worker, add_local_job, job, NULL, NULL);
  return local;
}

void
mg_media_engine_remove_local(MgMediaEngine *engine, MgMediaLocal *local)
{
  if (!local)
    return;
  mg_media_engine_close_peer(engine, mg_media_local_get_peer(local));
  mg_media_local_unref(local);
}

/* ---- connect ---- */

typedef struct {
  MgEngineRoom *er; /* control side; may be released before the job runs */
  MgRoom *room;     /* worker side: freed only by a job posted after this one */
  char *peer;
  char *party;
  MgMediaDirection dir;
  gboolean silence_check; /* keep it on although party is set */
  char *offer;
  char *answer;
  GError *error;
  MgMediaAnswerFunc done;
  gpointer user_data;
} MgConnectJob;

static gpointer
connect_job(MgWorker *w, gpointer data)
{
  MgConnectJob *job = data;
  job->answer = mg_room_connect(job->room, job->peer, job->party, job->dir, job->offer, &job->error);
  if (job->answer && job->silence_check && mg_room_get_peer(job->room, job->peer))
    mg_peer_set_silence_check(mg_room_get_peer(job->room, job->peer), TRUE);
  return job;
}

static void
connect_done(gpointer result, gpointer data)
{
  MgConnectJob *job = result;
  MgMediaEngine *engine = job->er->engine;
  if (!job->answer)
    forget_peer(engine, job->peer);
  job->done(job->peer, job->answer, job->error, job->user_data);
  g_clear_error(&job->error);
  g_free(job->peer);
  g_free(job->party);
  g_free(job->offer);
  g_free(job->answer);
  g_free(job);
}

static char *
new_peer_id(void)
{
  GString *s = g_string_new(NULL);
  for (int i = 0; i < 4; i++)
    g_string_append_printf(s, "%08x", g_random_int());
  return g_string_free(s, FALSE);
}

static void
connect_peer(MgMediaEngine *engine, const char *room, const char *party, MgMediaDirection dir, const char *offer,
             MgMediaAnswerFunc done, gpointer user_data, gboolean silence_check)
{
  MgConnectJob *job = g_new0(MgConnectJob, 1);
  job->party = g_strdup(party);
  job->silence_check = silence_check;
  job->er = room_get(engine, room);
  job->room = job->er ? job->er->room : NULL;
  job->peer = new_peer_id();
  job->dir = dir;
  job->offer = g_strdup(offer);
  job->done = done;
  job->user_data = user_data;
  /* Known from now on, so that trickle and DELETE can follow at once. */
  g_hash_table_insert(engine->peers, g_strdup(job->peer), job->er);
  job->er->peers++;
  mg_worker_post(job->er->worker, connect_job, job, connect_done, NULL);
}

void
mg_media_engine_connect(MgMediaEngine *engine, const char *room, MgMediaDirection dir, const char *offer,
                        MgMediaAnswerFunc done, gpointer user_data)
{
  connect_peer(engine, room, NULL, dir, offer, done, user_data, FALSE);
}

void
mg_media_engine_connect_party(MgMediaEngine *engine, const char *room, MgMediaDirection dir, const char *party,
                              const char *offer, MgMediaAnswerFunc done, gpointer user_data)
{
  connect_peer(engine, room, party, dir, offer, done, user_data, TRUE);
}

void
mg_media_engine_publish(MgMediaEngine *engine, const char *room, const char *party, const char *offer,
                        MgMediaAnswerFunc done, gpointer user_data)
{
  connect_peer(engine, room, party, MG_MEDIA_PUBLISH, offer, done, user_data, FALSE);
}

static gpointer
republish_job(MgWorker *w, gpointer data)
{
  MgConnectJob *job = data;
  job->answer = mg_room_renegotiate(job->room, job->peer, job->offer, &job->error);
  return job;
}

static void
republish_done(gpointer result, gpointer data)
{
  MgConnectJob *job = result;
  job->done(job->peer, job->answer, job->error, job->user_data);
  g_clear_error(&job->error);
  g_free(job->peer);
  g_free(job->offer);
  g_free(job->answer);
  g_free(job);
}

void
mg_media_engine_republish(MgMediaEngine *engine, const char *peer, const char *offer, MgMediaAnswerFunc done,
                          gpointer user_data)
{
  MgEngineRoom *er = g_hash_table_lookup(engine->peers, peer);
  if (!er) {
    g_autoptr(GError) error = g_error_new(MG_MEDIA_ERROR, MG_MEDIA_ERROR_NO_PEER, "no such peer");
    done(peer, NULL, error, user_data);
    return;
  }
  MgConnectJob *job = g_new0(MgConnectJob, 1);
  job->er = er;
  job->room = job->er ? job->er->room : NULL;
  job->peer = g_strdup(peer);
  job->offer = g_strdup(offer);
  job->done = done;
  job->user_data = user_data;
  mg_worker_post(er->worker, republish_job, job, republish_done, NULL);
}

/* ---- server-offered subscribers ---- */

typedef struct {
  MgEngineRoom *er; /* control side; may be released before the job runs */
  MgRoom *room;     /* worker side: freed only by a job posted after this one */
  char *peer, *party, *sdp;
  gboolean created;
  json_t *tracks;
  char *result;
  gboolean ok;
  GError *error;
  MgMediaOfferFunc offer_done;
  MgMediaAnswerFunc answer_done;
  gpointer user_data;
} MgSubscribeJob;

static void
subscribe_job_free(MgSubscribeJob *job)
{
  g_clear_error(&job->error);
  g_free(job->peer);
  g_free(job->party);
  g_free(job->sdp);
  g_free(job->result);
  json_decref(job->tracks);
  g_free(job);
}

static gpointer
subscribe_offer_job(MgWorker *w, gpointer data)
{
  MgSubscribeJob *job = data;
  job->result = mg_room_subscribe_offer(job->room, job->peer, job->party, &job->tracks, &job->error);
  return job;
}

static void
subscribe_offer_done(gpointer result, gpointer data)
{
  MgSubscribeJob *job = result;
  if (!job->result && job->created)
    forget_peer(job->er->engine, job->peer);
  job->offer_done(job->peer, job->result, job->tracks, job->error, job->user_data);
  subscribe_job_free(job);
}

void
mg_media_engine_subscribe_offer(MgMediaEngine *engine, const char *room, const char *peer, const char *party,
                                MgMediaOfferFunc done, gpointer user_data)
{
  MgSubscribeJob *job = g_new0(MgSubscribeJob, 1);
  job->party = g_strdup(party);
  job->offer_done = done;
  job->user_data = user_data;
  if (peer) {
    job->er = g_hash_table_lookup(engine->peers, peer);
    job->room = job->er ? job->er->room : NULL;
    job->peer = g_strdup(peer);
    if (!job->er) {
      job->error = g_error_new(MG_MEDIA_ERROR, MG_MEDIA_ERROR_NO_PEER, "no such peer");
      done(peer, NULL, NULL, job->error, user_data);
      subscribe_job_free(job);
      return;
    }
  } else {
    job->er = room_get(engine, room);
    job->room = job->er ? job->er->room : NULL;
    job->peer = new_peer_id();
    job->created = TRUE;
    g_hash_table_insert(engine->peers, g_strdup(job->peer), job->er);
    job->er->peers++;
  }
  mg_worker_post(job->er->worker, subscribe_offer_job, job, subscribe_offer_done, NULL);
}

static gpointer
subscribe_answer_job(MgWorker *w, gpointer data)
{
  MgSubscribeJob *job = data;
  job->ok = mg_room_subscribe_answer(job->room, job->peer, job->sdp, &job->error);
  return job;
}

static void
subscribe_answer_done(gpointer result, gpointer data)
{
  MgSubscribeJob *job = result;
  job->answer_done(job->peer, NULL, job->ok ? NULL : job->error, job->user_data);
  subscribe_job_free(job);
}

void
mg_media_engine_subscribe_answer(MgMediaEngine *engine, const char *peer, const char *answer, MgMediaAnswerFunc done,
                                 gpointer user_data)
{
  MgSubscribeJob *job = g_new0(MgSubscribeJob, 1);
  job->er = g_hash_table_lookup(engine->peers, peer);
  job->room = job->er ? job->er->room : NULL;
  job->peer = g_strdup(peer);
  job->sdp = g_strdup(answer);
  job->answer_done = done;
  job->user_data = user_data;
  if (!job->er) {
    job->error = g_error_new(MG_MEDIA_ERROR, MG_MEDIA_ERROR_NO_PEER, "no such peer");
    done(peer, NULL, job->error, user_data);
    subscribe_job_free(job);
    return;
  }
  mg_worker_post(job->er->worker, subscribe_answer_job, job, subscribe_answer_done, NULL);
}

/* ---- ICE restart ---- */

typedef struct {
  MgEngineRoom *er; /* control side; may be released before the job runs */
  MgRoom *room;     /* worker side: freed only by a job posted after this one */
  char *peer, *ufrag, *pwd;
  char **candidates;
  char *answer;
  GError *error;
  MgMediaAnswerFunc done;
  gpointer user_data;
} MgRestartJob;

static gpointer
restart_job(MgWorker *w, gpointer data)
{
  MgRestartJob *job = data;
  job->answer = mg_room_restart_ice(job->room, job->peer, job->ufrag, job->pwd, &job->error);
  for (char **c = job->candidates; job->answer && c && *c; c++)
    mg_room_add_candidate(job->room, job->peer, *c);
  return job;
}

static void
restart_done(gpointer result, gpointer data)
{
  MgRestartJob *job = result;
  job->done(job->peer, job->answer, job->error, job->user_data);
  g_clear_error(&job->error);
  g_free(job->peer);
  g_free(job->ufrag);
  g_free(job->pwd);
  g_strfreev(job->candidates);
  g_free(job->answer);
  g_free(job);
}

void
mg_media_engine_restart_ice(MgMediaEngine *engine, const char *peer, const char *ufrag, const char *pwd,
                            char **candidates, MgMediaAnswerFunc done, gpointer user_data)
{
  MgEngineRoom *er = g_hash_table_lookup(engine->peers, peer);
  if (!er) {
    g_autoptr(GError) error = g_error_new(MG_MEDIA_ERROR, MG_MEDIA_ERROR_NO_PEER, "no such peer");
    done(peer, NULL, error, user_data);
    return;
  }
  MgRestartJob *job = g_new0(MgRestartJob, 1);
  job->er = er;
  job->room = job->er ? job->er->room : NULL;
  job->peer = g_strdup(peer);
  job->ufrag = g_strdup(ufrag);
  job->pwd = g_strdup(pwd);
  job->candidates = g_strdupv(candidates);
  job->done = done;
  job->user_data = user_data;
  mg_worker_post(er->worker, restart_job, job, restart_done, NULL);
}

/* ---- per-peer calls ---- */

typedef struct {
  MgRoom *room;
  char *peer;
  char *arg;
} MgPeerCall;

static void
peer_call_free(MgPeerCall *c)
{
  g_free(c->peer);
  g_free(c->arg);
  g_free(c);
}

static gpointer
candidate_job(MgWorker *w, gpointer data)
{
  MgPeerCall *c = data;
  mg_room_add_candidate(c->room, c->peer, c->arg);
  peer_call_free(c);
  return NULL;
}

static gpointer
layer_job(MgWorker *w, gpointer data)
{
  MgPeerCall *c = data;
  g_auto(GStrv) args = g_strsplit(c->arg, " ", 2);
  mg_room_set_layer(c->room, c->peer, g_ascii_strtoull(args[0], NULL, 10), g_ascii_strtoll(args[1], NULL, 10));
  peer_call_free(c);
  return NULL;
}

static gpointer
close_job(MgWorker *w, gpointer data)
{
  MgPeerCall *c = data;
  mg_room_remove_peer(c->room, c->peer, c->arg);
  peer_call_free(c);
  return NULL;
}

static gboolean
post_peer_call(MgMediaEngine *engine, const char *peer, const char *arg, MgWorkerFunc func)
{
  MgEngineRoom *er = peer ? g_hash_table_lookup(engine->peers, peer) : NULL;
  if (!er)
    return FALSE;
  MgPeerCall *c = g_new0(MgPeerCall, 1);
  c->room = er->room;
  c->peer = g_strdup(peer);
  c->arg = g_strdup(arg);
  mg_worker_post(er->worker, func, c, NULL, NULL);
  return TRUE;
}

static gpointer
keyframe_job(MgWorker *w, gpointer data)
{
  MgPeerCall *c = data;
  mg_room_request_keyframe(c->room, c->arg, g_get_monotonic_time());
  peer_call_free(c);
  return NULL;
}

void
mg_media_engine_request_keyframe(MgMediaEngine *engine, const char *room, const char *track)
{
  MgEngineRoom *er = g_hash_table_lookup(engine->rooms, room);
  if (!er || !er->room)
    return;
  MgPeerCall *c = g_new0(MgPeerCall, 1);
  c->room = er->room;
  c->arg = g_strdup(track);
  mg_worker_post(er->worker, keyframe_job, c, NULL, NULL);
}

gboolean
mg_media_engine_add_candidate(MgMediaEngine *engine, const char *peer, const char *candidate)
{
  if (candidate && !g_str_has_prefix(candidate, "candidate:"))
    return FALSE;
  return post_peer_call(engine, peer, candidate, candidate_job);
}

gboolean
mg_media_engine_set_layer(MgMediaEngine *engine, const char *peer, guint mline, gint layer)
{
  g_autofree char *arg = g_strdup_printf("%u %d", mline, layer);
  return post_peer_call(engine, peer, arg, layer_job);
}

gboolean
mg_media_engine_close_peer(MgMediaEngine *engine, const char *peer)
{
  return post_peer_call(engine, peer, "closed by the server", close_job);
}

gboolean
mg_media_engine_has_peer(MgMediaEngine *engine, const char *peer)
{
  return g_hash_table_contains(engine->peers, peer);
}

const char *
mg_media_engine_peer_room(MgMediaEngine *engine, const char *peer)
{
  MgEngineRoom *er = g_hash_table_lookup(engine->peers, peer);
  return er ? er->id : NULL;
}

const char *
mg_media_engine_fingerprint(MgMediaEngine *engine)
{
  return engine->fingerprint;
}

/* ---- life ---- */

MgMediaEngine *
mg_media_engine_new(MgWorkerPool *pool, const MgMediaSettings *settings, MgMediaEventFunc events, gpointer user_data,
                    GError **error)
{
  mg_srtp_init();
  MgDtlsCert *cert = mg_dtls_cert_new(error);
  if (!cert)
    return NULL;
  MgMediaEngine *engine = g_new0(MgMediaEngine, 1);
  engine->pool = pool;
  engine->settings = *settings;
  engine->settings.ice_addresses = g_strdupv(settings->ice_addresses);
  engine->settings.ice_advertised = g_strdup(settings->ice_advertised);
  engine->cert = cert;
  engine->fingerprint = g_strdup_printf("sha-256 %s", mg_dtls_cert_get_fingerprint(cert));
  engine->rooms = g_hash_table_new(g_str_hash, g_str_equal);
  engine->peers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  engine->stats = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)json_decref);
  engine->events = events;
  engine->user_data = user_data;
  engine->control = g_main_context_ref_thread_default();
  return engine;
}

typedef struct {
  GMutex lock;
  GCond cond;
  guint pending;
} MgSyncCounter;

typedef struct {
  MgSyncCounter *counter;
  MgRoom *room;
} MgSyncFree;

static gpointer
room_free_sync_job(MgWorker *w, gpointer data)
{
  MgSyncFree *f = data;
  mg_room_free(f->room);
  g_mutex_lock(&f->counter->lock);
  f->counter->pending--;
  g_cond_signal(&f->counter->cond);
  g_mutex_unlock(&f->counter->lock);
  g_free(f);
  return NULL;
}

void
mg_media_engine_free(MgMediaEngine *engine)
{
  if (!engine)
    return;
  /* Rooms are freed on their workers; wait for them all, so that no worker
   * still uses the certificate or calls back into the engine. */
  MgSyncCounter counter = { 0 };
  g_mutex_init(&counter.lock);
  g_cond_init(&counter.cond);
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, engine->rooms);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    MgEngineRoom *er = value;
    MgSyncFree *f = g_new0(MgSyncFree, 1);
    f->counter = &counter;
    f->room = er->room;
    g_mutex_lock(&counter.lock);
    counter.pending++;
    g_mutex_unlock(&counter.lock);
    mg_worker_post(er->worker, room_free_sync_job, f, NULL, NULL);
    mg_worker_unpin(er->worker);
    g_free(er->id);
    g_free(er);
  }
  g_mutex_lock(&counter.lock);
  while (counter.pending)
    g_cond_wait(&counter.cond, &counter.lock);
  g_mutex_unlock(&counter.lock);
  g_mutex_clear(&counter.lock);
  g_cond_clear(&counter.cond);

  g_hash_table_unref(engine->rooms);
  g_hash_table_unref(engine->peers);
  g_hash_table_unref(engine->stats);
  g_strfreev(engine->settings.ice_addresses);
  g_free(engine->settings.ice_advertised);
  g_free(engine->fingerprint);
  mg_dtls_cert_unref(engine->cert);
  g_main_context_unref(engine->control);
  g_free(engine);
}

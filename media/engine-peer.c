/* SPDX-License-Identifier: MIT
 * The media engine's calls on one peer, run on its room's worker: connect,
 * renegotiate, server-offered subscriptions, ICE restarts, trickle, layers
 * and closing. */
#define G_LOG_DOMAIN "media"
#include "media/engine-private.h"

#include "media/peer.h"

/* ---- calls that answer back on the control loop ---- */

/* One call on a peer; which inputs are set depends on the call. The worker
 * function fills result (and tracks) or error. */
typedef struct {
  MgMediaEngine *engine;
  MgRoom *room; /* worker side: freed only by a job posted after this one */
  char *peer;
  gboolean created; /* the peer id was made for this call: forgotten if it fails */
  char *party, *sdp, *ufrag, *pwd;
  char **candidates;
  MgMediaDirection dir;
  gboolean silence_check; /* keep it on although party is set */
  char *result;
  json_t *tracks;
  GError *error;
  MgMediaAnswerFunc answer_done;
  MgMediaOfferFunc offer_done; /* set instead of answer_done for an offer */
  gpointer user_data;
} MgPeerJob;

static MgPeerJob *
peer_job_new(MgMediaEngine *engine, const char *peer, const char *party, const char *sdp, MgMediaAnswerFunc done,
             gpointer user_data)
{
  MgPeerJob *job = g_new0(MgPeerJob, 1);
  job->engine = engine;
  job->peer = g_strdup(peer);
  job->party = g_strdup(party);
  job->sdp = g_strdup(sdp);
  job->answer_done = done;
  job->user_data = user_data;
  return job;
}

static void
peer_job_free(MgPeerJob *job)
{
  g_clear_error(&job->error);
  g_free(job->peer);
  g_free(job->party);
  g_free(job->sdp);
  g_free(job->ufrag);
  g_free(job->pwd);
  g_strfreev(job->candidates);
  g_free(job->result);
  json_decref(job->tracks);
  g_free(job);
}

static void
peer_job_done(gpointer result, gpointer data)
{
  MgPeerJob *job = result;
  if (!job->result && job->created)
    mg_media_engine_forget_peer(job->engine, job->peer);
  if (job->offer_done)
    job->offer_done(job->peer, job->result, job->tracks, job->error, job->user_data);
  else
    job->answer_done(job->peer, job->result, job->error, job->user_data);
  peer_job_free(job);
}

/* Posts func for a new peer in room, or, when room is NULL, for the job's
 * existing peer; when that peer is unknown the job answers NO_PEER at once. */
static void
peer_job_post(MgPeerJob *job, const char *room, MgWorkerFunc func)
{
  MgEngineRoom *er;
  if (room) {
    er = mg_media_engine_room_get(job->engine, room);
    job->peer = mg_media_engine_add_peer(job->engine, er);
    job->created = TRUE;
  } else if (!(er = g_hash_table_lookup(job->engine->peers, job->peer))) {
    job->error = g_error_new(MG_MEDIA_ERROR, MG_MEDIA_ERROR_NO_PEER, "no such peer");
    peer_job_done(job, NULL);
    return;
  }
  job->room = er->room;
  mg_worker_post(er->worker, func, job, peer_job_done, NULL);
}

static gpointer
connect_job(MgWorker *w, gpointer data)
{
  MgPeerJob *job = data;
  job->result = mg_room_connect(job->room, job->peer, job->party, job->dir, job->sdp, &job->error);
  if (job->result && job->silence_check && mg_room_get_peer(job->room, job->peer))
    mg_peer_set_silence_check(mg_room_get_peer(job->room, job->peer), TRUE);
  return job;
}

static void
connect_peer(MgMediaEngine *engine, const char *room, const char *party, MgMediaDirection dir, const char *offer,
             MgMediaAnswerFunc done, gpointer user_data, gboolean silence_check)
{
  MgPeerJob *job = peer_job_new(engine, NULL, party, offer, done, user_data);
  job->dir = dir;
  job->silence_check = silence_check;
  peer_job_post(job, room, connect_job);
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
  MgPeerJob *job = data;
  job->result = mg_room_renegotiate(job->room, job->peer, job->sdp, &job->error);
  return job;
}

void
mg_media_engine_republish(MgMediaEngine *engine, const char *peer, const char *offer, MgMediaAnswerFunc done,
                          gpointer user_data)
{
  peer_job_post(peer_job_new(engine, peer, NULL, offer, done, user_data), NULL, republish_job);
}

/* Server-offered subscribers: the server offers, the client answers. */

static gpointer
subscribe_offer_job(MgWorker *w, gpointer data)
{
  MgPeerJob *job = data;
  job->result = mg_room_subscribe_offer(job->room, job->peer, job->party, &job->tracks, &job->error);
  return job;
}

void
mg_media_engine_subscribe_offer(MgMediaEngine *engine, const char *room, const char *peer, const char *party,
                                MgMediaOfferFunc done, gpointer user_data)
{
  MgPeerJob *job = peer_job_new(engine, peer, party, NULL, NULL, user_data);
  job->offer_done = done;
  peer_job_post(job, peer ? NULL : room, subscribe_offer_job);
}

static gpointer
subscribe_answer_job(MgWorker *w, gpointer data)
{
  MgPeerJob *job = data;
  /* Success answers with neither an SDP nor an error. */
  if (mg_room_subscribe_answer(job->room, job->peer, job->sdp, &job->error))
    g_clear_error(&job->error);
  return job;
}

void
mg_media_engine_subscribe_answer(MgMediaEngine *engine, const char *peer, const char *answer, MgMediaAnswerFunc done,
                                 gpointer user_data)
{
  peer_job_post(peer_job_new(engine, peer, NULL, answer, done, user_data), NULL, subscribe_answer_job);
}

static gpointer
restart_job(MgWorker *w, gpointer data)
{
  MgPeerJob *job = data;
  job->result = mg_room_restart_ice(job->room, job->peer, job->ufrag, job->pwd, &job->error);
  for (char **c = job->candidates; job->result && c && *c; c++)
    mg_room_add_candidate(job->room, job->peer, *c);
  return job;
}

void
mg_media_engine_restart_ice(MgMediaEngine *engine, const char *peer, const char *ufrag, const char *pwd,
                            char **candidates, MgMediaAnswerFunc done, gpointer user_data)
{
  MgPeerJob *job = peer_job_new(engine, peer, NULL, NULL, done, user_data);
  job->ufrag = g_strdup(ufrag);
  job->pwd = g_strdup(pwd);
  job->candidates = g_strdupv(candidates);
  peer_job_post(job, NULL, restart_job);
}

/* ---- calls without an answer ---- */

static void
candidate_call(MgRoomCall *c)
{
  mg_room_add_candidate(c->room, c->peer, c->arg);
}

static void
layer_call(MgRoomCall *c)
{
  g_auto(GStrv) args = g_strsplit(c->arg, " ", 2);
  mg_room_set_layer(c->room, c->peer, g_ascii_strtoull(args[0], NULL, 10), g_ascii_strtoll(args[1], NULL, 10));
}

static void
close_call(MgRoomCall *c)
{
  mg_room_remove_peer(c->room, c->peer, c->arg);
}

static gboolean
post_peer_call(MgMediaEngine *engine, const char *peer, const char *arg, MgRoomCallFunc func)
{
  MgEngineRoom *er = peer ? g_hash_table_lookup(engine->peers, peer) : NULL;
  if (!er)
    return FALSE;
  mg_media_engine_post_call(er, func, peer, arg, NULL, NULL);
  return TRUE;
}

gboolean
mg_media_engine_add_candidate(MgMediaEngine *engine, const char *peer, const char *candidate)
{
  if (candidate && !g_str_has_prefix(candidate, "candidate:"))
    return FALSE;
  return post_peer_call(engine, peer, candidate, candidate_call);
}

gboolean
mg_media_engine_set_layer(MgMediaEngine *engine, const char *peer, guint mline, gint layer)
{
  g_autofree char *arg = g_strdup_printf("%u %d", mline, layer);
  return post_peer_call(engine, peer, arg, layer_call);
}

gboolean
mg_media_engine_close_peer(MgMediaEngine *engine, const char *peer)
{
  return post_peer_call(engine, peer, "closed by the server", close_call);
}

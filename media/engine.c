/* SPDX-License-Identifier: MIT
 * The media engine on the control loop: room placement on workers, peer ids,
 * events and stats from the workers, and the hand-off of calls to a room's
 * worker. Peer calls are in engine-peer.c, room-wide ones in engine-room.c. */
#define G_LOG_DOMAIN "media"
#include "media/engine-private.h"

#include "media/dtls.h"
#include "media/srtp.h"

G_DEFINE_QUARK(mg - media - error - quark, mg_media_error)

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

static gboolean
deliver_event(gpointer p)
{
  MgEventMsg *m = p;
  MgMediaEvent ev = { m->type, m->room, m->peer, m->track, m->kind, m->reason, m->party };
  if (m->type == MG_MEDIA_EVENT_CLOSED && m->peer)
    mg_media_engine_forget_peer(m->engine, m->peer);
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

MgEngineRoom *
mg_media_engine_room_get(MgMediaEngine *engine, const char *id)
{
  MgEngineRoom *er = g_hash_table_lookup(engine->rooms, id);
  if (er)
    return er;
  er = g_new0(MgEngineRoom, 1);
  er->id = g_strdup(id);
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

static void
free_room_call(MgRoomCall *c)
{
  mg_room_free(c->room);
}

void
mg_media_engine_room_release(MgMediaEngine *engine, MgEngineRoom *er)
{
  g_hash_table_steal(engine->rooms, er->id);
  g_hash_table_remove(engine->stats, er->id);
  mg_media_engine_post_call(er, free_room_call, NULL, NULL, NULL, NULL);
  mg_worker_unpin(er->worker);
  g_free(er->id);
  g_free(er);
}

char *
mg_media_engine_add_peer(MgMediaEngine *engine, MgEngineRoom *er)
{
  GString *s = g_string_new(NULL);
  for (int i = 0; i < 4; i++)
    g_string_append_printf(s, "%08x", g_random_int());
  g_hash_table_insert(engine->peers, g_strdup(s->str), er);
  er->peers++;
  return g_string_free(s, FALSE);
}

void
mg_media_engine_forget_peer(MgMediaEngine *engine, const char *peer)
{
  MgEngineRoom *er = g_hash_table_lookup(engine->peers, peer);
  if (!er)
    return;
  g_hash_table_remove(engine->peers, peer);
  if (--er->peers == 0 && !er->taps)
    mg_media_engine_room_release(engine, er);
}

/* ---- calls to a room's worker ---- */

static gpointer
room_call_job(MgWorker *w, gpointer data)
{
  MgRoomCall *c = data;
  c->func(c);
  if (c->obj_unref)
    c->obj_unref(c->obj);
  g_free(c->peer);
  g_free(c->arg);
  g_free(c);
  return NULL;
}

void
mg_media_engine_post_call(MgEngineRoom *er, MgRoomCallFunc func, const char *peer, const char *arg, gpointer obj,
                          GDestroyNotify obj_unref)
{
  MgRoomCall *c = g_new0(MgRoomCall, 1);
  c->func = func;
  c->room = er->room;
  c->peer = g_strdup(peer);
  c->arg = g_strdup(arg);
  c->obj = obj;
  c->obj_unref = obj_unref;
  mg_worker_post(er->worker, room_call_job, c, NULL, NULL);
}

/* ---- lookups ---- */

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

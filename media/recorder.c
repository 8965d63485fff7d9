/* SPDX-License-Identifier: MIT
 * Per-track recording: one depayload-and-mux pipeline per track behind a
 * router tap; the first pipeline error stops the whole recording. */
#define G_LOG_DOMAIN "recorder"
#include "media/recorder.h"

#include <errno.h>
#include <gst/gst.h>
#include <string.h>

#include "media/composite.h"
#include "media/tap.h"

struct MgRecorder {
  MgMediaEngine *engine;
  char *room;
  char *dir;
  MgTap *tap;
  MgRecorderState state;
  char *error;
  gboolean detached;
  MgRecorderFunc finished;
  gpointer user_data;
  guint64 dropped;
  char *composite;              /* format, or NULL */
  struct MgComposeJob *compose; /* while composing */
  gint64 start_us;
  GMainContext *control;
  struct MgRecorderInbox *inbox; /* tracks started on the tap's thread come through it */
  GPtrArray *tracks;             /* MgRecorderTrack*, as they started */
  GPtrArray *speakers;           /* MgRecorderSpeaker*, by time */
  MgRecorderNameFunc names;
  MgRecorderFunc changed;
  gpointer observer_data;
};

typedef struct {
  char *file, *kind, *track, *party, *name;
  gint64 start_ms;
} MgRecorderTrack;

typedef struct {
  gint64 at_ms;
  char *track, *party, *name;
} MgRecorderSpeaker;

/* Outlives the recorder while messages from the tap's thread are on their
 * way; rec is NULL once the recorder is gone (control loop only). */
typedef struct MgRecorderInbox {
  gint ref;
  MgRecorder *rec;
} MgRecorderInbox;

typedef struct {
  MgRecorderInbox *inbox;
  MgRecorderTrack *track;
} MgRecorderMessage;

/* The composite runs on a thread of its own after the tracks are done; the
 * job outlives the recorder if that is freed first (the thread is then
 * cancelled and joined). */
typedef struct MgComposeJob {
  gint ref;
  gint cancel;
  MgRecorder *rec; /* control loop; NULL once the recorder is gone */
  GMainContext *control;
  char *dir, *format, *out;
  MgCompositePlan plan; /* owns its strings */
  GError *error;
  GThread *thread;
} MgComposeJob;

static const struct {
  const char *encoding, *description, *extension;
} formats[] = {
  { "VP8",
    "appsrc name=src ! rtpjitterbuffer latency=300 ! rtpvp8depay wait-for-keyframe=true ! webmmux ! filesink name=sink",
    "webm" },
  { "VP9", "appsrc name=src ! rtpjitterbuffer latency=300 ! rtpvp9depay ! webmmux ! filesink name=sink", "webm" },
  { "OPUS", "appsrc name=src ! rtpjitterbuffer latency=300 ! rtpopusdepay ! opusparse ! webmmux ! filesink name=sink",
    "webm" },
  { "H264",
    "appsrc name=src ! rtpjitterbuffer latency=300 ! rtph264depay wait-for-keyframe=true ! h264parse ! "
    "matroskamux ! filesink name=sink",
    "mkv" },
};

gboolean
mg_recorder_describe(const char *encoding, const char **description, const char **extension)
{
  for (gsize i = 0; i < G_N_ELEMENTS(formats); i++) {
    if (!g_ascii_strcasecmp(formats[i].encoding, encoding)) {
      *description = formats[i].description;
      *extension = formats[i].extension;
      return TRUE;
    }
  }
  return FALSE;
}

char *
mg_recorder_file_name(const char *kind, const char *track, const char *extension)
{
  GString *s = g_string_new(kind);
  g_string_append_c(s, '-');
  for (const char *p = track; *p; p++)
    g_string_append_c(s, g_ascii_isalnum(*p) || *p == '-' || *p == '_' ? *p : '_');
  g_string_append_printf(s, ".%s", extension);
  return g_string_free(s, FALSE);
}

static void
track_free(gpointer p)
{
  MgRecorderTrack *t = p;
  g_free(t->file);
  g_free(t->kind);
  g_free(t->track);
  g_free(t->party);
  g_free(t->name);
  g_free(t);
}

static void
speaker_free(gpointer p)
{
  MgRecorderSpeaker *s = p;
  g_free(s->track);
  g_free(s->party);
  g_free(s->name);
  g_free(s);
}

static void
inbox_unref(MgRecorderInbox *inbox)
{
  if (g_atomic_int_dec_and_test(&inbox->ref))
    g_free(inbox);
}

static void
message_free(gpointer p)
{
  MgRecorderMessage *m = p;
  if (m->track)
    track_free(m->track);
  inbox_unref(m->inbox);
  g_free(m);
}

static char *
name_of(MgRecorder *rec, const char *party)
{
  return party && rec->names ? rec->names(party, rec->observer_data) : NULL;
}

/* On the control loop: a track's file has started. */
static gboolean
on_track_message(gpointer p)
{
  MgRecorderMessage *m = p;
  MgRecorder *rec = m->inbox->rec;
  if (!rec)
    return G_SOURCE_REMOVE;
  MgRecorderTrack *t = g_steal_pointer(&m->track);
  t->name = name_of(rec, t->party);
  g_ptr_array_add(rec->tracks, t);
  if (rec->changed)
    rec->changed(rec, rec->observer_data);
  return G_SOURCE_REMOVE;
}

char *
mg_recorder_track_source(const char *track)
{
  const char *dash = strrchr(track, '-');
  return dash && dash != track ? g_strndup(track, dash - track) : g_strdup(track);
}

/* On the tap's thread: tells the control loop about a track's file. */
static void
post_track(MgRecorder *rec, const MgTapTrack *track, const char *file)
{
  MgRecorderTrack *t = g_new0(MgRecorderTrack, 1);
  t->file = g_strdup(file);
  t->kind = g_strdup(track->kind);
  t->track = g_strdup(track->track);
  t->party = g_strdup(track->party);
  t->start_ms = track->start_us > rec->start_us ? (track->start_us - rec->start_us) / 1000 : 0;
  MgRecorderMessage *m = g_new0(MgRecorderMessage, 1);
  m->inbox = rec->inbox;
  g_atomic_int_inc(&m->inbox->ref);
  m->track = t;
  g_main_context_invoke_full(rec->control, G_PRIORITY_DEFAULT, on_track_message, m, message_free);
}

/* On the tap's thread; reads only rec->dir, rec->start_us, rec->inbox and
 * rec->control, which do not change. */
static GstElement *
make_pipeline(const MgTapTrack *track, gpointer data, GError **error)
{
  MgRecorder *rec = data;
  const char *description, *extension;
  if (!mg_recorder_describe(track->encoding, &description, &extension)) {
    g_info("recording %s: track %s is %s, which is not recorded", rec->room, track->track, track->encoding);
    return NULL;
  }
  GstElement *p = gst_parse_launch(description, error);
  if (!p)
    return NULL;
  g_autofree char *name = mg_recorder_file_name(track->kind, track->track, extension);
  g_autofree char *path = g_build_filename(rec->dir, name, NULL);
  g_autoptr(GstElement) sink = gst_bin_get_by_name(GST_BIN(p), "sink");
  g_object_set(sink, "location", path, NULL);
  post_track(rec, track, name);
  return p;
}

static void
on_tap_error(MgTap *tap, const char *track, const char *message, gpointer data)
{
  MgRecorder *rec = data;
  g_autofree char *error = g_strdup_printf("track %s: %s", track ? track : "?", message);
  mg_recorder_stop(rec, error, g_get_monotonic_time());
}

static void
finish(MgRecorder *rec)
{
  rec->state = rec->error ? MG_RECORDER_FAILED : MG_RECORDER_STOPPED;
  g_info("recording of %s %s%s%s", rec->room, rec->error ? "failed: " : "stopped", rec->error ? rec->error : "",
         rec->dropped ? " (packets dropped)" : "");
  if (rec->finished)
    rec->finished(rec, rec->user_data);
}

static void
plan_clear(MgCompositePlan *plan)
{
  MgCompositeTrack *tracks = (MgCompositeTrack *)plan->tracks;
  for (guint i = 0; i < plan->n_tracks; i++) {
    g_free((char *)tracks[i].file);
    g_free((char *)tracks[i].label);
    g_free((char *)tracks[i].source);
  }
  g_free(tracks);
  MgCompositeSpeaker *speakers = (MgCompositeSpeaker *)plan->speakers;
  for (guint i = 0; i < plan->n_speakers; i++)
    g_free((char *)speakers[i].source);
  g_free(speakers);
  memset(plan, 0, sizeof *plan);
}

static void
compose_job_unref(gpointer p)
{
  MgComposeJob *job = p;
  if (!g_atomic_int_dec_and_test(&job->ref))
    return;
  g_clear_error(&job->error);
  g_main_context_unref(job->control);
  g_free(job->dir);
  g_free(job->format);
  g_free(job->out);
  plan_clear(&job->plan);
  g_free(job);
}

static gboolean
compose_done(gpointer p)
{
  MgComposeJob *job = p;
  MgRecorder *rec = job->rec;
  if (!rec)
    return G_SOURCE_REMOVE;
  g_thread_join(job->thread);
  rec->compose = NULL;
  if (job->error && !rec->error)
    rec->error = g_strdup_printf("composite: %s", job->error->message);
  compose_job_unref(job); /* the recorder's reference */
  finish(rec);
  return G_SOURCE_REMOVE;
}

static gpointer
compose_main(gpointer p)
{
  MgComposeJob *job = p;
  mg_composite_run(job->dir, &job->plan, job->format, job->out, &job->cancel, &job->error);
  g_main_context_invoke_full(job->control, G_PRIORITY_DEFAULT, compose_done, job, compose_job_unref);
  return NULL;
}

/* The track files, by name (the composite output and the manifest aside). */
static char **
track_files(const char *dir)
{
  GPtrArray *names = g_ptr_array_new();
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d)))
    if (g_str_has_prefix(name, "video-") || g_str_has_prefix(name, "audio-"))
      g_ptr_array_add(names, g_strdup(name));
  g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
  g_ptr_array_add(names, NULL);
  return (char **)g_ptr_array_free(names, FALSE);
}

static MgRecorderTrack *
find_track(MgRecorder *rec, const char *file)
{
  for (guint i = 0; i < rec->tracks->len; i++) {
    MgRecorderTrack *t = g_ptr_array_index(rec->tracks, i);
    if (!strcmp(t->file, file))
      return t;
  }
  return NULL;
}

static gint64
start_of(MgRecorder *rec, const char *file)
{
  MgRecorderTrack *t = find_track(rec, file);
  return t ? t->start_ms : 0;
}

/* The files on disk in the order their tracks started (the tiles' order),
 * with names and publishers, and the speaker changes. */
static void
make_plan(MgRecorder *rec, char **files, MgCompositePlan *plan)
{
  guint n = g_strv_length(files);
  for (guint i = 1; i < n; i++) /* insertion sort, stable: files come sorted by name */
    for (guint k = i; k > 0 && start_of(rec, files[k - 1]) > start_of(rec, files[k]); k--) {
      char *x = files[k];
      files[k] = files[k - 1];
      files[k - 1] = x;
    }
  MgCompositeTrack *tracks = g_new0(MgCompositeTrack, n);
  for (guint i = 0; i < n; i++) {
    MgRecorderTrack *t = find_track(rec, files[i]);
    tracks[i].file = g_strdup(files[i]);
    tracks[i].label = t ? g_strdup(t->name) : NULL;
    tracks[i].source = t ? mg_recorder_track_source(t->track) : NULL;
    tracks[i].start_ms = t ? t->start_ms : -1;
  }
  MgCompositeSpeaker *speakers = g_new0(MgCompositeSpeaker, rec->speakers->len);
  for (guint i = 0; i < rec->speakers->len; i++) {
    MgRecorderSpeaker *s = g_ptr_array_index(rec->speakers, i);
    speakers[i].at_ms = s->at_ms;
    speakers[i].source = mg_recorder_track_source(s->track);
  }
  *plan = (MgCompositePlan){ tracks, n, speakers, rec->speakers->len };
}

static gboolean
start_compose(MgRecorder *rec)
{
  char **files = track_files(rec->dir);
  if (!files[0]) {
    g_strfreev(files);
    return FALSE;
  }
  MgComposeJob *job = g_new0(MgComposeJob, 1);
  make_plan(rec, files, &job->plan);
  job->ref = 2; /* the recorder and the thread */
  job->rec = rec;
  job->control = g_main_context_ref_thread_default();
  job->dir = g_strdup(rec->dir);
  job->format = g_strdup(rec->composite);
  job->out = g_strdup_printf("composite.%s", rec->composite);
  rec->compose = job;
  job->thread = g_thread_new("mg-composite", compose_main, job);
  g_info("recording of %s: composing %u files into %s", rec->room, g_strv_length(files), job->out);
  g_strfreev(files);
  return TRUE;
}

static void
on_tap_done(MgTap *tap, gpointer data)
{
  MgRecorder *rec = data;
  rec->dropped = mg_tap_get_dropped(tap);
  if (!rec->detached) { /* the room went away */
    rec->detached = TRUE;
    mg_media_engine_remove_tap(rec->engine, rec->room, rec->tap);
  }
  g_clear_pointer(&rec->tap, mg_tap_free); /* its thread has ended */
  if (rec->error || !rec->composite || !start_compose(rec))
    finish(rec);
}

MgRecorder *
mg_recorder_start(MgMediaEngine *engine, const char *room, const char *dir, const char *composite, gint64 now_us,
                  MgRecorderFunc finished, gpointer user_data, GError **error)
{
  if (g_mkdir_with_parents(dir, 0750) < 0) {
    int e = errno;
    g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "cannot make the directory %s: %s", dir,
                g_strerror(e));
    return NULL;
  }
  MgRecorder *rec = g_new0(MgRecorder, 1);
  rec->engine = engine;
  rec->room = g_strdup(room);
  rec->dir = g_strdup(dir);
  rec->composite = g_strdup(composite);
  rec->finished = finished;
  rec->user_data = user_data;
  rec->start_us = now_us;
  rec->control = g_main_context_ref_thread_default();
  rec->inbox = g_new0(MgRecorderInbox, 1);
  rec->inbox->ref = 1;
  rec->inbox->rec = rec;
  rec->tracks = g_ptr_array_new_with_free_func(track_free);
  rec->speakers = g_ptr_array_new_with_free_func(speaker_free);
  MgTapConfig cfg = { make_pipeline, on_tap_error, on_tap_done, rec, 0, now_us };
  rec->tap = mg_tap_new(&cfg);
  mg_media_engine_add_tap(engine, room, rec->tap);
  g_info("recording %s into %s", room, dir);
  return rec;
}

void
mg_recorder_stop(MgRecorder *rec, const char *error, gint64 now_us)
{
  if (error && !rec->error)
    rec->error = g_strdup(error);
  if (rec->state != MG_RECORDER_RECORDING)
    return;
  rec->state = MG_RECORDER_STOPPING;
  rec->detached = TRUE;
  mg_tap_set_end(rec->tap, now_us);
  mg_media_engine_remove_tap(rec->engine, rec->room, rec->tap);
}

void
mg_recorder_free(MgRecorder *rec)
{
  if (!rec)
    return;
  if (rec->tap && rec->state == MG_RECORDER_RECORDING)
    mg_media_engine_remove_tap(rec->engine, rec->room, rec->tap);
  g_clear_pointer(&rec->tap, mg_tap_free);
  if (rec->compose) {
    MgComposeJob *job = g_steal_pointer(&rec->compose);
    job->rec = NULL;
    g_atomic_int_set(&job->cancel, 1);
    g_thread_join(job->thread);
    compose_job_unref(job);
  }
  rec->inbox->rec = NULL;
  inbox_unref(rec->inbox);
  g_main_context_unref(rec->control);
  g_ptr_array_unref(rec->tracks);
  g_ptr_array_unref(rec->speakers);
  g_free(rec->composite);
  g_free(rec->room);
  g_free(rec->dir);
  g_free(rec->error);
  g_free(rec);
}

MgRecorderState
mg_recorder_get_state(MgRecorder *rec)
{
  return rec->state;
}

const char *
mg_recorder_state_name(MgRecorderState state)
{
  static const char *names[] = { "recording", "stopping", "stopped", "failed" };
  return names[state];
}

const char *
mg_recorder_get_room(MgRecorder *rec)
{
  return rec->room;
}

const char *
mg_recorder_get_dir(MgRecorder *rec)
{
  return rec->dir;
}

const char *
mg_recorder_get_error(MgRecorder *rec)
{
  return rec->error;
}

guint64
mg_recorder_get_dropped(MgRecorder *rec)
{
  return rec->tap ? mg_tap_get_dropped(rec->tap) : rec->dropped;
}

void
mg_recorder_set_observer(MgRecorder *rec, MgRecorderNameFunc names, MgRecorderFunc changed, gpointer user_data)
{
  rec->names = names;
  rec->changed = changed;
  rec->observer_data = user_data;
}

void
mg_recorder_speaker(MgRecorder *rec, const char *track, const char *party, gint64 now_us)
{
  if (rec->state != MG_RECORDER_RECORDING || !track)
    return;
  if (rec->speakers->len) {
    MgRecorderSpeaker *last = g_ptr_array_index(rec->speakers, rec->speakers->len - 1);
    if (!strcmp(last->track, track))
      return;
  }
  MgRecorderSpeaker *s = g_new0(MgRecorderSpeaker, 1);
  s->at_ms = now_us > rec->start_us ? (now_us - rec->start_us) / 1000 : 0;
  s->track = g_strdup(track);
  s->party = g_strdup(party);
  s->name = name_of(rec, party);
  g_ptr_array_add(rec->speakers, s);
  if (rec->changed)
    rec->changed(rec, rec->observer_data);
}

json_t *
mg_recorder_get_manifest(MgRecorder *rec)
{
  json_t *tracks = json_array(), *speakers = json_array();
  for (guint i = 0; i < rec->tracks->len; i++) {
    MgRecorderTrack *t = g_ptr_array_index(rec->tracks, i);
    json_array_append_new(tracks, json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:I}", "file", t->file, "kind", t->kind,
                                            "track", t->track, "participant", t->party, "name", t->name, "start_ms",
                                            (json_int_t)t->start_ms));
  }
  for (guint i = 0; i < rec->speakers->len; i++) {
    MgRecorderSpeaker *s = g_ptr_array_index(rec->speakers, i);
    json_array_append_new(speakers, json_pack("{s:I, s:s, s:s?, s:s?}", "at_ms", (json_int_t)s->at_ms, "track",
                                              s->track, "participant", s->party, "name", s->name));
  }
  return json_pack("{s:o, s:o}", "tracks", tracks, "speakers", speakers);
}

gint64
mg_recorder_get_start(MgRecorder *rec)
{
  return rec->start_us;
}

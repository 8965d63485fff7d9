/* SPDX-License-Identifier: MIT
 * The retransmission ring and the NACK loss tracker. Both index slots by
 * seq & (size - 1); since the size divides 65536, that survives the 16-bit
 * wrap, and an extended (64-bit) seq tells a current slot from a stale one. */
#include "media/nack.h"

#include <errno.h>
#include <string.h>

typedef struct {
  guint64 ext_seq;
  gint64 stored_us;
  guint16 len;
  gboolean used;
  guint8 data[MG_NACK_MAX_PACKET];
} Slot;

struct MgNackBuffer {
  guint mask;
  gboolean started;
  guint64 highest; /* extended seq of the newest packet stored */
  Slot *slots;
};

/* Extends seq to 64 bits around ref (the newest extended seq seen). */
static inline guint64
extend(guint64 ref, guint16 seq)
{
  gint16 diff = (gint16)(seq - (guint16)ref);
  if (diff < 0 && ref < (guint64)-diff)
    return seq; /* before the start: keep it small, it is out of any window */
  return ref + diff;
}

MgNackBuffer *
mg_nack_buffer_new(guint size)
{
  g_return_val_if_fail(size >= 16 && size <= 32768 && (size & (size - 1)) == 0, NULL);
  MgNackBuffer *buf = g_new0(MgNackBuffer, 1);
  buf->mask = size - 1;
  buf->slots = g_new0(Slot, size);
  return buf;
}

void
mg_nack_buffer_free(MgNackBuffer *buf)
{
  if (!buf)
    return;
  g_free(buf->slots);
  g_free(buf);
}

void
mg_nack_buffer_reset(MgNackBuffer *buf)
{
  buf->started = FALSE;
  buf->highest = 0;
  for (guint i = 0; i <= buf->mask; i++)
    buf->slots[i].used = FALSE;
}

int
mg_nack_buffer_store(MgNackBuffer *buf, guint16 seq, const guint8 *data, size_t len, gint64 now_us)
{
  if (len > MG_NACK_MAX_PACKET)
    return -EMSGSIZE;
  /* Start at 2^32 so that seqs a little before the first stay positive. */
  guint64 ext = buf->started ? extend(buf->highest, seq) : ((guint64)1 << 32) + seq;
  if (buf->started && ext < buf->highest && buf->highest - ext > buf->mask)
    return -ESTALE; /* would evict a newer packet */
  if (!buf->started || ext > buf->highest) {
    buf->highest = ext;
    buf->started = TRUE;
  }
  Slot *s = &buf->slots[seq & buf->mask];
  s->ext_seq = ext;
  s->stored_us = now_us;
  s->len = (guint16)len;
  s->used = TRUE;
  memcpy(s->data, data, len);
  return 0;
}

int
mg_nack_buffer_lookup(MgNackBuffer *buf, guint16 seq, const guint8 **data, size_t *len, gint64 *stored_us)
{
  if (!buf->started)
    return -ENOENT;
  guint64 ext = extend(buf->highest, seq);
  const Slot *s = &buf->slots[seq & buf->mask];
  if (!s->used || s->ext_seq != ext || ext > buf->highest || buf->highest - ext > buf->mask)
    return -ENOENT;
  *data = s->data;
  *len = s->len;
  if (stored_us)
    *stored_us = s->stored_us;
  return 0;
}

typedef struct {
  guint64 ext_seq;
  gint64 lost_us; /* when the gap was seen */
  gint64 due_us;  /* next NACK */
  guint8 tries;
  gboolean missing;
} Loss;

struct MgNackTracker {
  MgNackTrackerConfig cfg;
  guint mask;
  gboolean started;
  guint64 highest;
  guint n_missing;
  guint64 given_up;
  guint64 reordered;
  /* Adaptive first-NACK delay: the largest reordering lateness seen in the
   * current and the previous epoch (REORDER_EPOCH_US each). */
  gint64 delay_us;
  gint64 epoch_us;
  gint64 late_cur_us, late_prev_us;
  Loss *slots;
};

#define REORDER_EPOCH_US (2 * G_USEC_PER_SEC)

MgNackTracker *
mg_nack_tracker_new(const MgNackTrackerConfig *cfg)
{
  static const MgNackTrackerConfig defaults = {
    .window = 512,
    .max_tries = 10,
    .delay_us = 5000,
    .retry_us = 40000,
    .max_age_us = G_USEC_PER_SEC,
  };
  if (!cfg)
    cfg = &defaults;
  g_return_val_if_fail(cfg->window >= 16 && cfg->window <= 32768 && (cfg->window & (cfg->window - 1)) == 0, NULL);
  MgNackTracker *t = g_new0(MgNackTracker, 1);
  t->cfg = *cfg;
  t->mask = cfg->window - 1;
  t->slots = g_new0(Loss, cfg->window);
  t->delay_us = cfg->delay_us;
  return t;
}

void
mg_nack_tracker_free(MgNackTracker *t)
{
  if (!t)
    return;
  g_free(t->slots);
  g_free(t);
}

static inline void
loss_clear(MgNackTracker *t, Loss *l)
{
  if (l->missing) {
    l->missing = FALSE;
    t->n_missing--;
  }
}

/* The slot is reused for a seq window later: its loss, if any, is given up. */
static inline void
loss_expire(MgNackTracker *t, Loss *l)
{
  if (l->missing)
    t->given_up++;
  loss_clear(t, l);
}

static void
restart(MgNackTracker *t, guint64 ext)
{
  for (guint i = 0; i <= t->mask; i++)
    t->slots[i].missing = FALSE;
  t->n_missing = 0;
  t->highest = ext;
}

/* Rolls the reordering epochs and sets the delay from their peak. */
static void
adapt_delay(MgNackTracker *t, gint64 now_us)
{
  if (t->cfg.max_delay_us <= t->cfg.delay_us)
    return;
  if (now_us - t->epoch_us >= REORDER_EPOCH_US) {
    /* Two epochs without a sample forget both. */
    t->late_prev_us = now_us - t->epoch_us >= 2 * REORDER_EPOCH_US ? 0 : t->late_cur_us;
    t->late_cur_us = 0;
    t->epoch_us = now_us;
  }
  gint64 peak = MAX(t->late_cur_us, t->late_prev_us);
  t->delay_us = CLAMP(peak + peak / 2, t->cfg.delay_us, t->cfg.max_delay_us);
}

int
mg_nack_tracker_on_packet(MgNackTracker *t, guint16 seq, gint64 now_us)
{
  adapt_delay(t, now_us);
  if (!t->started) {
    t->started = TRUE;
    restart(t, ((guint64)1 << 32) + seq);
    return 0;
  }
  guint64 ext = extend(t->highest, seq);
  if (ext <= t->highest) { /* late or retransmitted */
    Loss *l = &t->slots[ext & t->mask];
    if (l->ext_seq != ext || !l->missing)
      return 0;
    if (l->tries == 0) { /* not NACKed yet: reordered, not lost */
      t->reordered++;
      t->late_cur_us = MAX(t->late_cur_us, now_us - l->lost_us);
      adapt_delay(t, now_us);
    }
    loss_clear(t, l);
    return 1;
  }
  if (ext - t->highest > t->mask) {
    restart(t, ext);
    return 0;
  }
  for (guint64 s = t->highest + 1; s < ext; s++) {
    Loss *l = &t->slots[s & t->mask];
    loss_expire(t, l);
    *l = (Loss){ .ext_seq = s, .lost_us = now_us, .due_us = now_us + t->delay_us, .missing = TRUE };
    t->n_missing++;
  }
  loss_expire(t, &t->slots[ext & t->mask]);
  t->slots[ext & t->mask].ext_seq = ext;
  t->highest = ext;
  return 0;
}

guint
mg_nack_tracker_collect(MgNackTracker *t, gint64 now_us, guint16 *seqs, guint max)
{
  guint n = 0;
  if (t->n_missing == 0)
    return 0;
  for (guint64 s = t->highest - t->mask; s < t->highest && n < max; s++) {
    Loss *l = &t->slots[s & t->mask];
    if (!l->missing || l->ext_seq != s)
      continue;
    if (l->tries >= t->cfg.max_tries || now_us - l->lost_us > t->cfg.max_age_us) {
      loss_clear(t, l);
      t->given_up++;
      continue;
    }
    if (now_us < l->due_us)
      continue;
    seqs[n++] = (guint16)s;
    l->tries++;
    l->due_us = now_us + t->cfg.retry_us;
  }
  return n;
}

guint
mg_nack_tracker_get_missing(MgNackTracker *t)
{
  return t->n_missing;
}

guint64
mg_nack_tracker_get_given_up(MgNackTracker *t)
{
  return t->given_up;
}

guint64
mg_nack_tracker_get_reordered(MgNackTracker *t)
{
  return t->reordered;
}

gint64
mg_nack_tracker_get_delay(MgNackTracker *t)
{
  return t->delay_us;
}

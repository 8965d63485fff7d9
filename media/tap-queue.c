/* SPDX-License-Identifier: MIT
 * The tap's bounded queue: the media worker pushes without ever waiting;
 * when the pipelines fall behind, packets are dropped and counted. */
#include "media/tap.h"

typedef struct {
  gpointer item;
  gboolean control;
} MgTapQueueEntry;

struct MgTapQueue {
  GMutex lock;
  GCond cond;
  GQueue items; /* MgTapQueueEntry* */
  guint max, packets;
  guint64 dropped;
  GDestroyNotify free_item;
};

MgTapQueue *
mg_tap_queue_new(guint max, GDestroyNotify free_item)
{
  MgTapQueue *q = g_new0(MgTapQueue, 1);
  g_mutex_init(&q->lock);
  g_cond_init(&q->cond);
  g_queue_init(&q->items);
  q->max = MAX(max, 1);
  q->free_item = free_item;
  return q;
}

void
mg_tap_queue_free(MgTapQueue *q)
{
  if (!q)
    return;
  MgTapQueueEntry *e;
  while ((e = g_queue_pop_head(&q->items))) {
    if (q->free_item)
      q->free_item(e->item);
    g_free(e);
  }
  g_mutex_clear(&q->lock);
  g_cond_clear(&q->cond);
  g_free(q);
}

static void
append(MgTapQueue *q, gpointer item, gboolean control)
{
  MgTapQueueEntry *e = g_new(MgTapQueueEntry, 1);
  e->item = item;
  e->control = control;
  g_queue_push_tail(&q->items, e);
  g_cond_signal(&q->cond);
}

gboolean
mg_tap_queue_push(MgTapQueue *q, gpointer item)
{
  g_mutex_lock(&q->lock);
  gboolean room = q->packets < q->max;
  if (room) {
    q->packets++;
    append(q, item, FALSE);
  } else {
    q->dropped++;
  }
  g_mutex_unlock(&q->lock);
  if (!room && q->free_item)
    q->free_item(item);
  return room;
}

void
mg_tap_queue_push_control(MgTapQueue *q, gpointer item)
{
  g_mutex_lock(&q->lock);
  append(q, item, TRUE);
  g_mutex_unlock(&q->lock);
}

gpointer
mg_tap_queue_pop(MgTapQueue *q, gint64 timeout_us, gboolean *is_control)
{
  gint64 until = g_get_monotonic_time() + MAX(timeout_us, 0);
  gpointer item = NULL;
  g_mutex_lock(&q->lock);
  while (!q->items.length && timeout_us > 0 && g_cond_wait_until(&q->cond, &q->lock, until))
    ;
  MgTapQueueEntry *e = g_queue_pop_head(&q->items);
  if (e) {
    item = e->item;
    if (!e->control)
      q->packets--;
    if (is_control)
      *is_control = e->control;
    g_free(e);
  }
  g_mutex_unlock(&q->lock);
  return item;
}

guint
mg_tap_queue_get_length(MgTapQueue *q)
{
  g_mutex_lock(&q->lock);
  guint n = q->items.length;
  g_mutex_unlock(&q->lock);
  return n;
}

guint64
mg_tap_queue_get_dropped(MgTapQueue *q)
{
  g_mutex_lock(&q->lock);
  guint64 n = q->dropped;
  g_mutex_unlock(&q->lock);
  return n;
}

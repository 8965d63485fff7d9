/* SPDX-License-Identifier: MIT */
#include "media/nack.h"

#include <errno.h>
#include <string.h>

static void
fill(guint8 *p, size_t len, guint16 seq)
{
  for (size_t i = 0; i < len; i++)
    p[i] = (guint8)(seq + i);
}

static void
test_buffer_wrap(void)
{
  g_autoptr(MgNackBuffer) buf = mg_nack_buffer_new(64);
  guint8 pkt[200];
  const guint8 *data;
  size_t len;
  gint64 at;
  g_assert_cmpint(mg_nack_buffer_lookup(buf, 0, &data, &len, &at), ==, -ENOENT);
  /* 65500 .. 65535, 0 .. 39: 76 packets across the wrap. */
  for (guint i = 0; i < 76; i++) {
    guint16 seq = (guint16)(65500 + i);
    fill(pkt, 100 + i, seq);
    g_assert_cmpint(mg_nack_buffer_store(buf, seq, pkt, 100 + i, 1000 * i), ==, 0);
  }
  /* The last 64 are there, with their own bytes and time. */
  for (guint i = 12; i < 76; i++) {
    guint16 seq = (guint16)(65500 + i);
    g_assert_cmpint(mg_nack_buffer_lookup(buf, seq, &data, &len, &at), ==, 0);
    g_assert_cmpuint(len, ==, 100 + i);
    g_assert_cmpint(at, ==, 1000 * i);
    fill(pkt, len, seq);
    g_assert_cmpmem(data, len, pkt, len);
  }
  /* Evicted, and never stored (ahead of the newest). */
  for (guint i = 0; i < 12; i++)
    g_assert_cmpint(mg_nack_buffer_lookup(buf, (guint16)(65500 + i), &data, &len, NULL), ==, -ENOENT);
  g_assert_cmpint(mg_nack_buffer_lookup(buf, 40, &data, &len, NULL), ==, -ENOENT);
  g_assert_cmpint(mg_nack_buffer_lookup(buf, 30000, &data, &len, NULL), ==, -ENOENT);
  /* Too old to store: would evict seq 39's neighbours. */
  g_assert_cmpint(mg_nack_buffer_store(buf, 65500, pkt, 10, 0), ==, -ESTALE);
  g_assert_cmpint(mg_nack_buffer_lookup(buf, 28, &data, &len, NULL), ==, 0);
  g_assert_cmpint(mg_nack_buffer_store(buf, 1, pkt, MG_NACK_MAX_PACKET + 1, 0), ==, -EMSGSIZE);
  mg_nack_buffer_reset(buf);
  g_assert_cmpint(mg_nack_buffer_lookup(buf, 39, &data, &len, NULL), ==, -ENOENT);
}

static void
test_buffer_gap(void)
{
  g_autoptr(MgNackBuffer) buf = mg_nack_buffer_new(16);
  guint8 pkt[4] = { 1, 2, 3, 4 };
  const guint8 *data;
  size_t len;
  g_assert_cmpint(mg_nack_buffer_store(buf, 10, pkt, 4, 0), ==, 0);
  /* With 16 slots, seq 26 reuses seq 10's slot. */
  g_assert_cmpint(mg_nack_buffer_store(buf, 20, pkt, 4, 0), ==, 0);
  g_assert_cmpint(mg_nack_buffer_lookup(buf, 10, &data, &len, NULL), ==, 0);
  g_assert_cmpint(mg_nack_buffer_store(buf, 26, pkt, 2, 0), ==, 0);
  g_assert_cmpint(mg_nack_buffer_lookup(buf, 10, &data, &len, NULL), ==, -ENOENT);
  g_assert_cmpint(mg_nack_buffer_lookup(buf, 26, &data, &len, NULL), ==, 0);
  g_assert_cmpuint(len, ==, 2);
  /* A late packet still inside the window is stored and found. */
  g_assert_cmpint(mg_nack_buffer_store(buf, 15, pkt, 3, 0), ==, 0);
  g_assert_cmpint(mg_nack_buffer_lookup(buf, 15, &data, &len, NULL), ==, 0);
  g_assert_cmpuint(len, ==, 3);
}

static const MgNackTrackerConfig cfg = {
  .window = 64,
  .max_tries = 3,
  .delay_us = 1000,
  .retry_us = 10000,
  .max_age_us = 100000,
};

static void
test_tracker_basic(void)
{
  g_autoptr(MgNackTracker) t = mg_nack_tracker_new(&cfg);
  guint16 out[32];
  gint64 now = 1000000;
  /* 65533, 65534, [65535, 0 lost], 1, [2 lost], 3 */
  mg_nack_tracker_on_packet(t, 65533, now);
  mg_nack_tracker_on_packet(t, 65534, now);
  mg_nack_tracker_on_packet(t, 1, now);
  mg_nack_tracker_on_packet(t, 3, now);
  g_assert_cmpuint(mg_nack_tracker_get_missing(t), ==, 3);
  /* Not before the reorder delay. */
  g_assert_cmpuint(mg_nack_tracker_collect(t, now + 999, out, 32), ==, 0);
  g_assert_cmpuint(mg_nack_tracker_collect(t, now + 1000, out, 32), ==, 3);
  g_assert_cmpuint(out[0], ==, 65535);
  g_assert_cmpuint(out[1], ==, 0);
  g_assert_cmpuint(out[2], ==, 2);
  /* Not again before the retry interval. */
  g_assert_cmpuint(mg_nack_tracker_collect(t, now + 5000, out, 32), ==, 0);
  /* 0 arrives (retransmitted): no longer asked for. */
  g_assert_cmpint(mg_nack_tracker_on_packet(t, 0, now + 6000), ==, 1);
  g_assert_cmpint(mg_nack_tracker_on_packet(t, 0, now + 6000), ==, 0);      /* duplicate */
  g_assert_cmpuint(mg_nack_tracker_collect(t, now + 11000, out, 1), ==, 1); /* max honoured */
  g_assert_cmpuint(out[0], ==, 65535);
  g_assert_cmpuint(mg_nack_tracker_collect(t, now + 11000, out, 32), ==, 1);
  g_assert_cmpuint(out[0], ==, 2);
  /* Third and last try, then given up. */
  g_assert_cmpuint(mg_nack_tracker_collect(t, now + 21000, out, 32), ==, 2);
  g_assert_cmpuint(mg_nack_tracker_collect(t, now + 31000, out, 32), ==, 0);
  g_assert_cmpuint(mg_nack_tracker_get_missing(t), ==, 0);
  g_assert_cmpuint(mg_nack_tracker_get_given_up(t), ==, 2);
}

static void
test_tracker_age_and_window(void)
{
  MgNackTrackerConfig c = cfg;
  c.max_tries = 100;
  g_autoptr(MgNackTracker) t = mg_nack_tracker_new(&c);
  guint16 out[128];
  gint64 now = 0;
  mg_nack_tracker_on_packet(t, 100, now);
  mg_nack_tracker_on_packet(t, 102, now); /* 101 lost */
  g_assert_cmpuint(mg_nack_tracker_collect(t, now + 1000, out, 128), ==, 1);
  /* Past max age: given up without another NACK. */
  g_assert_cmpuint(mg_nack_tracker_collect(t, now + 100001, out, 128), ==, 0);
  g_assert_cmpuint(mg_nack_tracker_get_given_up(t), ==, 1);

  /* A loss that falls out of the 64-seq window is dropped. */
  mg_nack_tracker_on_packet(t, 104, now); /* 103 lost */
  for (guint16 s = 105; s < 105 + 64; s++)
    mg_nack_tracker_on_packet(t, s, now);
  g_assert_cmpuint(mg_nack_tracker_get_missing(t), ==, 0);
  g_assert_cmpuint(mg_nack_tracker_collect(t, now + 2000, out, 128), ==, 0);
  g_assert_cmpuint(mg_nack_tracker_get_given_up(t), ==, 2);

  /* A jump of a whole window restarts: nothing to NACK. */
  mg_nack_tracker_on_packet(t, 1000, now);
  g_assert_cmpuint(mg_nack_tracker_get_missing(t), ==, 0);
  /* A gap just inside the window marks all of it. */
  mg_nack_tracker_on_packet(t, 1063, now);
  g_assert_cmpuint(mg_nack_tracker_get_missing(t), ==, 62);
  g_assert_cmpuint(mg_nack_tracker_collect(t, now + 1000, out, 128), ==, 62);
  g_assert_cmpuint(out[0], ==, 1001);
  g_assert_cmpuint(out[61], ==, 1062);
  /* Very old packets are ignored. */
  g_assert_cmpint(mg_nack_tracker_on_packet(t, 500, now), ==, 0);
  g_assert_cmpuint(mg_nack_tracker_get_missing(t), ==, 62);
}

static void
test_tracker_defaults(void)
{
  g_autoptr(MgNackTracker) t = mg_nack_tracker_new(NULL);
  guint16 out[8];
  gint64 now = 5;
  /* A day of 50 pps with one loss every 1000 packets, in milliseconds. */
  guint lost = 0, nacked = 0;
  for (guint i = 0; i < 50 * 86400; i++, now += 20000) {
    if (i % 1000 == 999) {
      lost++;
      continue;
    }
    mg_nack_tracker_on_packet(t, (guint16)i, now);
    nacked += mg_nack_tracker_collect(t, now, out, 8);
  }
  g_assert_cmpuint(lost, ==, 4320);
  /* Each loss is asked for 10 times, 40 ms apart, then given up; the very
   * last one is never seen as lost (no packet follows it). */
  g_assert_cmpuint(nacked, ==, (lost - 1) * 10);
  g_assert_cmpuint(mg_nack_tracker_get_given_up(t), ==, lost - 1);
}

typedef struct {
  guint16 seq;
  gint64 at;
} Arrival;

static gint
by_arrival(gconstpointer a, gconstpointer b)
{
  const Arrival *x = a, *y = b;
  return x->at < y->at ? -1 : x->at > y->at;
}

/* n packets sent every 5 ms (200 per second, a 1-2 Mbit/s video), each held
 * a random 0..jitter_us (netem-like jitter: they overtake each other); lost
 * ones (every lose_every-th, 0: none) never arrive. The tracker sees them in
 * arrival order and collects at each arrival, as the router does. Returns
 * the seqs NACKed that were not lost, from packet `from` on; *lost_nacked
 * counts the lost ones NACKed at least once. */
static guint
run_jitter(MgNackTracker *t, guint n, gint64 jitter_us, guint lose_every, guint from, guint *lost_nacked)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed(20261126);
  g_autoptr(GArray) arr = g_array_new(FALSE, FALSE, sizeof(Arrival));
  g_autoptr(GHashTable) nacked = g_hash_table_new(NULL, NULL);
  for (guint i = 0; i < n; i++) {
    Arrival a = { (guint16)(1000 + i), 1000000 + (gint64)i * 5000 + g_rand_int_range(rng, 0, (gint32)jitter_us + 1) };
    if (!lose_every || i % lose_every != lose_every - 1)
      g_array_append_val(arr, a);
  }
  g_array_sort(arr, by_arrival);
  guint spurious = 0;
  for (guint i = 0; i < arr->len; i++) {
    const Arrival *a = &g_array_index(arr, Arrival, i);
    guint16 out[64];
    mg_nack_tracker_on_packet(t, a->seq, a->at);
    guint k = mg_nack_tracker_collect(t, a->at, out, G_N_ELEMENTS(out));
    for (guint j = 0; j < k; j++) {
      guint idx = (guint16)(out[j] - 1000);
      gboolean lost = lose_every && idx % lose_every == lose_every - 1;
      if (g_hash_table_contains(nacked, GUINT_TO_POINTER(out[j] + 1)))
        continue;
      g_hash_table_add(nacked, GUINT_TO_POINTER(out[j] + 1));
      if (lost)
        (*lost_nacked)++;
      else if (idx >= from)
        spurious++;
    }
  }
  return spurious;
}

/* Under 0-50 ms jitter a fixed 5 ms wait NACKs many packets that are only
 * late; the adaptive wait learns the reordering and stops doing so, while
 * real losses are still all NACKed. Without reordering it stays at 5 ms. */
static void
test_tracker_reordering(void)
{
  MgNackTrackerConfig c = { .window = 512, .max_tries = 5, .delay_us = 5000, .retry_us = 50000, .max_age_us = 1000000 };
  guint lost_fixed = 0, lost_adaptive = 0;
  g_autoptr(MgNackTracker) fixed = mg_nack_tracker_new(&c);
  guint spurious_fixed = run_jitter(fixed, 4000, 50000, 20, 1000, &lost_fixed);
  c.max_delay_us = 150000;
  g_autoptr(MgNackTracker) adaptive = mg_nack_tracker_new(&c);
  guint spurious_adaptive = run_jitter(adaptive, 4000, 50000, 20, 1000, &lost_adaptive);
  g_test_message("4000 packets, 5%% lost, 0-50 ms jitter: NACKed %u late (not lost) packets after the first "
                 "1000 with a fixed 5 ms wait, %u adaptive (wait now %" G_GINT64_FORMAT " us); %u and %u of "
                 "the 199 lost ones NACKed",
                 spurious_fixed, spurious_adaptive, mg_nack_tracker_get_delay(adaptive), lost_fixed, lost_adaptive);
  g_assert_cmpuint(spurious_fixed, >, 100);
  g_assert_cmpuint(spurious_adaptive, ==, 0);
  /* Every lost one but the last packet (no later one shows it missing). */
  g_assert_cmpuint(lost_fixed, ==, 199);
  g_assert_cmpuint(lost_adaptive, ==, 199);
  g_assert_cmpuint(mg_nack_tracker_get_reordered(adaptive), >, 0);
  /* The wait covers the 50 ms of reordering, and not the cap. */
  g_assert_cmpint(mg_nack_tracker_get_delay(adaptive), >, 50000);
  g_assert_cmpint(mg_nack_tracker_get_delay(adaptive), <, 150000);

  /* In order again: after two quiet epochs the wait is back to 5 ms. */
  gint64 now = 1000000 + 4000 * 5000 + 100000;
  for (guint i = 0; i < 1000; i++)
    mg_nack_tracker_on_packet(adaptive, (guint16)(5000 + i), now + (gint64)i * 5000);
  g_assert_cmpint(mg_nack_tracker_get_delay(adaptive), ==, 5000);

  /* No reordering at all: never adapts. */
  guint lost = 0;
  g_autoptr(MgNackTracker) calm = mg_nack_tracker_new(&c);
  g_assert_cmpuint(run_jitter(calm, 2000, 0, 20, 0, &lost), ==, 0);
  g_assert_cmpuint(lost, ==, 99);
  g_assert_cmpint(mg_nack_tracker_get_delay(calm), ==, 5000);
  g_assert_cmpuint(mg_nack_tracker_get_reordered(calm), ==, 0);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/nack/buffer-wrap", test_buffer_wrap);
  g_test_add_func("/nack/buffer-gap", test_buffer_gap);
  g_test_add_func("/nack/tracker-basic", test_tracker_basic);
  g_test_add_func("/nack/tracker-age-and-window", test_tracker_age_and_window);
  g_test_add_func("/nack/tracker-defaults", test_tracker_defaults);
  g_test_add_func("/nack/tracker-reordering", test_tracker_reordering);
  return g_test_run();
}

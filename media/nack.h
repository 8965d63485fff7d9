/* SPDX-License-Identifier: MIT
 * Retransmission for one stream: the sender-side ring of recent packets that
 * answers NACKs, and the receiver-side loss tracker that decides what to NACK.
 * Both preallocate at creation and take time as an argument. */
#pragma once

#include <glib.h>
#include <stddef.h>

G_BEGIN_DECLS

#define MG_NACK_MAX_PACKET 1500

typedef struct MgNackBuffer MgNackBuffer;
typedef struct MgNackTracker MgNackTracker;

/* A ring of the last size packets (a power of two, 16..32768). (transfer full) */
MgNackBuffer *mg_nack_buffer_new(guint size);
void mg_nack_buffer_free(MgNackBuffer *buf);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgNackBuffer, mg_nack_buffer_free)

/* Copies a packet in, replacing the one size seqs ago. Returns 0, -EMSGSIZE
 * above MG_NACK_MAX_PACKET, or -ESTALE for a seq size or more behind the newest. */
int mg_nack_buffer_store(MgNackBuffer *buf, guint16 seq, const guint8 *data, size_t len, gint64 now_us);
/* Finds seq among the last size packets stored. data stays valid until the
 * slot is reused by a later store. Returns 0 or -ENOENT. */
int mg_nack_buffer_lookup(MgNackBuffer *buf, guint16 seq, const guint8 **data, size_t *len, gint64 *stored_us);
/* Forgets every packet (new SSRC, or the stream restarted). */
void mg_nack_buffer_reset(MgNackBuffer *buf);

typedef struct {
  guint window;      /* seqs behind the newest that may still be NACKed; power of two */
  guint max_tries;   /* NACKs per lost packet before giving up */
  gint64 delay_us;   /* wait before the first NACK, to absorb reordering */
  gint64 retry_us;   /* between NACKs of the same packet (about one RTT) */
  gint64 max_age_us; /* give up on a packet missing for longer */
  /* Above 0, the wait before the first NACK adapts to the reordering seen:
   * 1.5 x the longest a packet arrived after a gap showed it missing (and
   * before any NACK for it) in the last 2-4 s, between delay_us and this. */
  gint64 max_delay_us;
} MgNackTrackerConfig;

/* cfg NULL takes the defaults: window 512, 10 tries, 5 ms delay, 40 ms
 * retry, 1 s max age, no adaptation. (transfer full) */
MgNackTracker *mg_nack_tracker_new(const MgNackTrackerConfig *cfg);
void mg_nack_tracker_free(MgNackTracker *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgNackTracker, mg_nack_tracker_free)

/* Records an arriving seq: a gap marks the seqs in between missing, a late or
 * retransmitted one stops being missing. Returns 1 when seq filled a gap, 0
 * otherwise; a jump of window seqs or more restarts tracking from seq. */
int mg_nack_tracker_on_packet(MgNackTracker *t, guint16 seq, gint64 now_us);
/* Writes up to max seqs due for a NACK at now_us, oldest first, and counts
 * the try; seqs past their tries, age or window are dropped. Returns the count. */
guint mg_nack_tracker_collect(MgNackTracker *t, gint64 now_us, guint16 *seqs, guint max);
/* Seqs currently missing and still being tracked. */
guint mg_nack_tracker_get_missing(MgNackTracker *t);
/* Lost seqs given up on since creation. */
guint64 mg_nack_tracker_get_given_up(MgNackTracker *t);
/* Seqs that arrived after a later one, before they were NACKed (reordered,
 * not lost), since creation. */
guint64 mg_nack_tracker_get_reordered(MgNackTracker *t);
/* The wait before a first NACK now (delay_us, or more while adapting). */
gint64 mg_nack_tracker_get_delay(MgNackTracker *t);

G_END_DECLS

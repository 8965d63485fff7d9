/* SPDX-License-Identifier: MIT
 * The room's data structures, shared by room.c (peers, negotiation, life)
 * and router.c (per-packet forwarding and RTCP). */
#pragma once

#include "media/nack.h"
#include "media/peer.h"
#include "media/rewrite.h"
#include "media/room.h"
#include "media/rtcp.h"
#include "media/rtp.h"

#define MG_MAX_LAYERS 3
#define MG_PLI_INTERVAL_US (300 * 1000)
#define MG_RTCP_INTERVAL_US (1000 * 1000)
#define MG_NACK_BUFFER 512
#define MG_MAX_NACKS 64

typedef struct MgRoomPeer MgRoomPeer;
typedef struct MgTrack MgTrack;
typedef struct MgDownTrack MgDownTrack;

typedef struct {
  char rid[16];
  guint32 ssrc; /* 0 until the first packet names it */
  guint32 rtx_ssrc;
  MgNackBuffer *nack;
  MgNackTracker *loss;
  guint64 packets, bytes;
  guint64 keyframes; /* video packets that start a keyframe */
  gint64 last_us;
  /* The last sender report, for our own SRs to subscribers. */
  guint64 sr_ntp;
  guint32 sr_rtp_ts;
  gint64 sr_at_us;
  /* Bitrate over the last second, for layer choice. */
  guint64 window_bytes;
  gint64 window_start_us;
  guint32 bitrate;
} MgLayer;

/* One published m-line. */
struct MgTrack {
  char *id; /* "<peer>-<mid>" */
  MgRoomPeer *owner;
  char *mid;
  MgSdpKind kind;
  MgSdpCodecId codec;
  guint8 pt;
  gint rtx_pt;
  guint clock_rate;
  guint8 ext_mid, ext_rid, ext_rrid, ext_level, ext_abs;
  guint n_layers; /* 1 without simulcast */
  MgLayer layers[MG_MAX_LAYERS];
  GPtrArray *downs; /* MgDownTrack* that follow this track */
  gint64 last_pli_us;
  gboolean announced;
  guint8 level; /* last audio level, -dBov */
  gboolean voice;
  gdouble loudness;  /* smoothed, 0 silence .. 127 loudest */
  guint local_index; /* a local publisher's track: its index there */
};

/* One sendonly m-line of a subscriber. */
struct MgDownTrack {
  MgRoomPeer *sub;
  guint mline;
  char *track_id; /* server-offered: the one track this m-line carries */
  gboolean ended; /* that track is gone; the m-line stays, inactive */
  MgSdpCodecId codec;
  MgSdpKind kind;
  guint8 pt;
  gint rtx_pt;
  guint8 ext_abs, ext_level; /* the subscriber's ids for what we pass on */
  guint32 ssrc, rtx_ssrc;
  guint16 rtx_seq;
  MgTrack *source;
  guint layer;       /* layer forwarded now */
  gint target_layer; /* switch to this layer at its next keyframe, or -1 */
  gint want_layer;   /* explicit choice, or -1 for automatic */
  MgRewriter *rw;
  gboolean need_keyframe;
  /* out seq = source seq + seq_delta since out seq epoch_seq (for NACK). */
  gboolean mapped;
  guint16 seq_delta, epoch_seq;
  guint32 ts_delta;
  guint64 packets, bytes, nacks, plis, retransmits;
  guint32 remb; /* the subscriber's bandwidth estimate, bit/s */
  guint32 rr_jitter;
  guint8 rr_fraction_lost;
  gint32 rr_cumulative_lost;
  /* Our last sender reports (middle 32 bits of NTP, when sent) for RTT. */
  guint32 sr_lsr[4];
  gint64 sr_sent_us[4];
  guint sr_next;
  gint64 rtt_us;
  /* Bitrate over the last second. */
  guint64 window_bytes;
  gint64 window_start_us;
  guint32 bitrate;
};

struct MgRoomPeer {
  MgRoom *room;
  MgPeer *peer;
  MgMediaDirection dir;
  char *party;       /* the participant this connection belongs to, or NULL */
  gboolean offerer;  /* we offer: a subscriber of our signaling */
  GPtrArray *tracks; /* publisher: MgTrack* */
  GPtrArray *downs;  /* subscriber: MgDownTrack* */
  guint32 rtcp_ssrc; /* our sender SSRC in feedback to this peer */
  gboolean closing;
  gint64 last_rtcp_us;
  /* A local publisher (room-local.c) has no peer: its id, queue and wake-up. */
  char *local_id;
  MgMediaLocal *local;
  GSource *local_wake;
};

/* The connection's id (a local publisher's too). */
static inline const char *
mg_room_peer_id(const MgRoomPeer *rp)
{
  return rp->peer ? mg_peer_get_id(rp->peer) : rp->local_id;
}

struct MgRoom {
  char *id;
  MgRoomConfig cfg;
  GHashTable *peers; /* id -> MgRoomPeer* */
  GPtrArray *tracks; /* every MgTrack, in order of publication */
  GSource *tick;
  gint64 last_stats_us;
  GPtrArray *taps;  /* MgTap* (references) */
  MgTrack *speaker; /* active speaker's audio track */
  MgTrack *speaker_candidate;
  gint64 candidate_since_us;
  guint8 buf[1500 + MG_PEER_HEADROOM]; /* scratch for forwarding, one at a time */
};

/* router.c */
void mg_router_on_rtp(MgPeer *peer, guint8 *buf, gsize len, gpointer user_data);
void mg_router_on_rtcp(MgPeer *peer, guint8 *buf, gsize len, gpointer user_data);
void mg_router_request_keyframe(MgTrack *track, gint64 now_us, gboolean force);
void mg_router_send_reports(MgRoom *room, MgRoomPeer *rp, gint64 now_us);
void mg_router_update_layers(MgRoom *room, gint64 now_us);
/* Routes one packet of a local publisher's track t (router.c). */
void mg_router_on_local_rtp(MgRoomPeer *rp, MgTrack *t, guint8 *buf, gsize len);
/* room-stats.c */
void mg_room_update_speaker(MgRoom *room, gint64 now_us);
void mg_room_emit(MgRoom *room, MgMediaEventType type, const char *peer, const MgTrack *track, const char *reason);
/* room-taps.c */
void mg_room_taps_track_started(MgRoom *room, MgTrack *t);
void mg_room_taps_track_removed(MgRoom *room, MgTrack *t);
void mg_room_taps_packet(MgRoom *room, MgTrack *t, guint layer, const guint8 *buf, gsize len, gint64 now_us);
void mg_room_taps_close(MgRoom *room);
/* room-local.c: detaches a local publisher's queue (from room_peer_free). */
void mg_room_local_detach(MgRoomPeer *rp);
/* room.c */
void mg_room_bind(MgRoom *room, MgDownTrack *down, MgTrack *source, gint64 now_us);
void mg_room_track_started(MgRoom *room, MgTrack *track);

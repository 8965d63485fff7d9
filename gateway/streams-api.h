/* SPDX-License-Identifier: MIT
 * Live streams over HTTP: start and stop a room's live stream out (RTMP or
 * HLS, media/streamer.h) through the admin API, list them, and serve the HLS
 * playlists and segments under /live/<room>/. */
#pragma once

#include "gateway/admin.h"
#include "gateway/http.h"
#include "media/engine.h"
#include "signaling/store.h"

G_BEGIN_DECLS

typedef struct MgStreamsApi MgStreamsApi;

/* live_dir: where HLS goes (<live_dir>/<room>/); rtmp_url: the URL used
 * when a request names none (NULL or "" for none); secret: the join tokens'
 * signing secret. Borrowed pointers outlive the API. (transfer full) */
MgStreamsApi *mg_streams_api_new(MgHttpServer *server, MgAdmin *admin, MgMediaEngine *engine, MgStore *store,
                                 const char *live_dir, const char *rtmp_url, const char *secret);
/* Stops every stream. */
void mg_streams_api_free(MgStreamsApi *api);
/* Room has media again (a participant joined or a track arrived): the
 * streams of it that ran when meetgate last stopped start again, with their
 * ids (they are kept in the store until stopped). */
void mg_streams_api_on_room_live(MgStreamsApi *api, const char *room);
/* The live rooms (borrowed, outlives the API): each room's live state goes
 * to mg_conference_set_live() as its streams start and stop (HLS with its
 * playlist's URL under public_url), and hosts start and stop the room's
 * stream with their `live` message, audited as the admin API's
 * stream_start / stream_stop under the key name "host:<participant id>". */
void mg_streams_api_set_conference(MgStreamsApi *api, MgConference *conference, const char *public_url);

/* A start request's body (streams-parse.c): {"kind": "rtmp", "url": ...} or
 * {"kind": "hls"}. *url is NULL when the body names none. FALSE with error
 * for anything else. (transfer full: *kind and *url) */
gboolean mg_streams_parse_request(const char *text, gsize len, char **kind, char **url, GError **error);
/* An RTMP URL we pass on: rtmp:// or rtmps://, a host, no spaces or control
 * characters, at most 2048 bytes. */
gboolean mg_streams_valid_rtmp_url(const char *url);
/* The URL without its stream key (the last path segment, and any query):
 * safe to show. (transfer full) */
char *mg_streams_mask_url(const char *url);
/* A stream's error as the people in its room may see it: every URL in it
 * masked like mg_streams_mask_url(), valid UTF-8, at most max characters
 * (0: no limit; the last one an ellipsis when clipped). (transfer full) */
char *mg_streams_public_error(const char *error, guint max);
/* A file name under /live/<room>/ that may be served: [A-Za-z0-9_-.], not
 * starting with a dot, ending in .m3u8 or .ts. */
gboolean mg_streams_valid_file(const char *name);

G_END_DECLS

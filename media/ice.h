/* SPDX-License-Identifier: MIT
 * ICE for one peer connection: a libnice agent (lite mode on the server side,
 * full mode when meetgate is the client) with one stream and one component
 * (BUNDLE and rtcp-mux are required). Runs on the context it is created with. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct MgIce MgIce;

typedef enum {
  MG_ICE_NEW,
  MG_ICE_CHECKING,
  MG_ICE_CONNECTED,
  MG_ICE_FAILED,
} MgIceState;

typedef struct {
  /* A datagram that is not STUN (libnice answers STUN itself). data is only
   * valid during the call, but writable: callers may decrypt in place. */
  void (*recv)(guint8 *data, gsize len, gpointer user_data);
  void (*state)(MgIceState state, gpointer user_data);
} MgIceCallbacks;

typedef struct {
  char **addresses;           /* local addresses to gather on; NULL = all non-loopback, else loopback */
  char *advertised;           /* 1:1 NAT public address added as an extra host candidate, or NULL */
  guint16 port_min, port_max; /* 0 = any */
  gboolean tcp;               /* also offer ICE-TCP passive candidates */
  gboolean controlling;       /* full agent (client side); FALSE = lite, controlled */
} MgIceSettings;

/* Creates the agent on ctx and gathers host candidates. (transfer full) */
MgIce *mg_ice_new(GMainContext *ctx, const MgIceSettings *settings, const MgIceCallbacks *cb, gpointer user_data,
                  GError **error);
void mg_ice_free(MgIce *ice);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgIce, mg_ice_free)

const char *mg_ice_get_ufrag(MgIce *ice);
const char *mg_ice_get_pwd(MgIce *ice);
/* Local candidates as SDP attribute values ("candidate:1 1 udp ..."), (transfer full). */
GPtrArray *mg_ice_get_local_candidates(MgIce *ice);
gboolean mg_ice_set_remote_credentials(MgIce *ice, const char *ufrag, const char *pwd);
/* Adds one remote candidate given as "candidate:..." or "a=candidate:..."; FALSE if unparsable. */
gboolean mg_ice_add_remote_candidate(MgIce *ice, const char *candidate);
void mg_ice_end_of_candidates(MgIce *ice);
/* New local credentials and a fresh check list (ICE restart). */
gboolean mg_ice_restart(MgIce *ice);
/* Sends one datagram on the selected pair; 0 or -errno. */
int mg_ice_send(MgIce *ice, const guint8 *data, gsize len);
MgIceState mg_ice_get_state(MgIce *ice);
/* "udp 127.0.0.1:40000 <-> 127.0.0.1:51000" for stats, (transfer full), or NULL. */
char *mg_ice_describe_pair(MgIce *ice);

G_END_DECLS

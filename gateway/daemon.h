/* SPDX-License-Identifier: MIT
 * The daemon: wires configuration, store, media workers and the HTTP server
 * together on the control loop, and shuts them down in order. */
#pragma once

#include <jansson.h>

#include "gateway/config.h"

G_BEGIN_DECLS

typedef struct MgDaemon MgDaemon;

/* Takes ownership of cfg. Fails with a message fit for the operator. */
MgDaemon *mg_daemon_new(MgConfig *cfg, GError **error);
/* Serves until SIGINT or SIGTERM, then shuts down gracefully. Returns the exit status. */
int mg_daemon_run(MgDaemon *daemon);
void mg_daemon_free(MgDaemon *daemon);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgDaemon, mg_daemon_free)

/* A recording of room_id started (finished FALSE) or finished: queues the
 * recording_started / recording_finished event webhook (recording, borrowed,
 * may be NULL, is the body's "recording" member) and wakes the deliverer. */
void mg_daemon_emit_recording(MgDaemon *daemon, const char *room_id, gboolean finished, json_t *recording);

/* Resolves [server] data_dir and [server] secret (reading or generating
 * <data_dir>/secret), and applies the production rules. Exposed for tests. */
gboolean mg_daemon_prepare_secret(MgConfig *cfg, const char *data_dir, GError **error);
/* The data folder: [server] data_dir, or $XDG_STATE_HOME/meetgate. (transfer full) */
char *mg_daemon_data_dir(const MgConfig *cfg);

G_END_DECLS

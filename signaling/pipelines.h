/* SPDX-License-Identifier: MIT
 * Running live streams, ingests and bridges kept in the store, so that they come back
 * after meetgate restarts. Their settings (RTMP URLs with stream keys, RTSP
 * passwords, bridge tokens) are sealed (mg_store_seal). */
#pragma once

#include <glib.h>

#include "signaling/store.h"

G_BEGIN_DECLS

typedef struct {
  char *id;
  char *kind; /* "stream" | "ingest" | "bridge" */
  char *room;
  char *spec; /* the owner's settings (JSON), unsealed */
  gint64 started_s;
} MgPipelineRow;

void mg_pipeline_row_free(MgPipelineRow *row);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgPipelineRow, mg_pipeline_row_free)

/* Saves (or replaces) a running pipeline. */
gboolean mg_pipelines_put(MgStore *store, const char *id, const char *kind, const char *room, const char *spec,
                          gint64 started_s, GError **error);
/* Forgets a pipeline (stopped or ended); no error when it was not there. */
gboolean mg_pipelines_delete(MgStore *store, const char *id, GError **error);
/* The saved pipelines of kind, oldest first (MgPipelineRow*). A row whose
 * settings cannot be unsealed (another server secret) is left out with a
 * warning and kept. (transfer full) */
GPtrArray *mg_pipelines_list(MgStore *store, const char *kind, GError **error);

G_END_DECLS

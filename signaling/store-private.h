/* SPDX-License-Identifier: MIT */
#pragma once

#include "signaling/store.h"

extern const char *const mg_store_migrations[];

#include <sqlite3.h>

struct MgStore {
  sqlite3 *db;
  char *path;
  gboolean durable; /* the open transaction runs with synchronous=FULL */
  GData *data;      /* mg_store_set_data() */
  gboolean has_seal_key;
  guint8 seal_key[32]; /* AES-256-GCM key for credentials at rest */
};

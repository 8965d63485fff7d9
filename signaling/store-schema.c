/* SPDX-License-Identifier: MIT
 * The schema, as an append-only list of migrations: never edit a released
 * entry, add a new one. The database's user_version is the count applied. */
#include "signaling/store-private.h"

const char *const mg_store_migrations[] = {
  /* 1: bookkeeping for the store itself. */
  "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "INSERT INTO meta (key, value) VALUES ('created', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));",
  NULL,
};

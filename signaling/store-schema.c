/* SPDX-License-Identifier: MIT
 * The schema, as an append-only list of migrations: never edit a released
 * entry, add a new one. The database's user_version is the count applied. */
#include "signaling/store-private.h"

const char *const mg_store_migrations[] = {
  /* 1: bookkeeping for the store itself. */
  "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "INSERT INTO meta (key, value) VALUES ('created', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));",
  /* 2: room definitions (ad hoc from the API, scheduled from OA meetings). */
  "CREATE TABLE rooms ("
  "  id TEXT PRIMARY KEY,"
  "  code TEXT NOT NULL UNIQUE,"
  "  title TEXT NOT NULL,"
  "  policy TEXT NOT NULL CHECK (policy IN ('open', 'lobby', 'invite-only')),"
  "  capacity INTEGER NOT NULL CHECK (capacity > 0),"
  "  opens_at INTEGER NOT NULL DEFAULT 0,"
  "  closes_at INTEGER NOT NULL DEFAULT 0,"
  "  attendees TEXT NOT NULL DEFAULT '[]',"
  "  created_at INTEGER NOT NULL);",
  NULL,
};

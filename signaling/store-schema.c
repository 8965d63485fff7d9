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
  /* 3: OA meetings (one row per series, single meeting or overridden
   * occurrence) and the scheduler's record of the events it fired. */
  "CREATE TABLE meetings ("
  "  id TEXT PRIMARY KEY,"
  "  source TEXT NOT NULL,"
  "  external_id TEXT NOT NULL,"
  "  recurrence_id INTEGER NOT NULL DEFAULT 0,"
  "  title TEXT NOT NULL,"
  "  description TEXT,"
  "  start_at INTEGER NOT NULL,"
  "  end_at INTEGER NOT NULL,"
  "  timezone TEXT,"
  "  rrule TEXT,"
  "  exdates TEXT NOT NULL DEFAULT '[]',"
  "  rdates TEXT NOT NULL DEFAULT '[]',"
  "  organizer TEXT NOT NULL DEFAULT '{}',"
  "  attendees TEXT NOT NULL DEFAULT '[]',"
  "  chat TEXT,"
  "  policy TEXT NOT NULL CHECK (policy IN ('open', 'lobby', 'invite-only')),"
  "  sequence INTEGER NOT NULL DEFAULT 0,"
  "  cancelled INTEGER NOT NULL DEFAULT 0,"
  "  content TEXT NOT NULL,"
  "  span_start INTEGER NOT NULL,"
  "  span_end INTEGER NOT NULL,"
  "  room_id TEXT NOT NULL REFERENCES rooms (id),"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL,"
  "  UNIQUE (source, external_id, recurrence_id));"
  "CREATE INDEX meetings_span ON meetings (span_start, span_end);"
  "CREATE TABLE scheduler_fired ("
  "  meeting_id TEXT NOT NULL,"
  "  occurrence_start INTEGER NOT NULL,"
  "  kind TEXT NOT NULL,"
  "  at INTEGER NOT NULL,"
  "  fired_at INTEGER NOT NULL,"
  "  PRIMARY KEY (meeting_id, occurrence_start, kind, at));",
  /* 4: attendance: one row per stay of a participant in a room. */
  "CREATE TABLE attendance ("
  "  room_id TEXT NOT NULL,"
  "  participant TEXT NOT NULL,"
  "  user_id TEXT NOT NULL DEFAULT '',"
  "  name TEXT NOT NULL,"
  "  role TEXT NOT NULL,"
  "  joined_at INTEGER NOT NULL,"
  "  left_at INTEGER,"
  "  PRIMARY KEY (room_id, participant, joined_at));"
  "CREATE INDEX attendance_room ON attendance (room_id, joined_at);",
  /* 5: subscribed calendars (ICS feeds and CalDAV collections) and, per
   * calendar, what each member (CalDAV href, or a feed's UID) held last sync. */
  "CREATE TABLE calendars ("
  "  id TEXT PRIMARY KEY,"
  "  url TEXT NOT NULL,"
  "  kind TEXT NOT NULL CHECK (kind IN ('ics', 'caldav')),"
  "  username TEXT,"
  "  password TEXT,"
  "  interval_s INTEGER NOT NULL CHECK (interval_s >= 30),"
  "  source TEXT NOT NULL,"
  "  sync_token TEXT,"
  "  last_error TEXT,"
  "  last_sync_at INTEGER NOT NULL DEFAULT 0,"
  "  created_at INTEGER NOT NULL);"
  "CREATE TABLE calendar_items ("
  "  calendar_id TEXT NOT NULL REFERENCES calendars (id) ON DELETE CASCADE,"
  "  href TEXT NOT NULL,"
  "  etag TEXT,"
  "  uids TEXT NOT NULL DEFAULT '',"
  "  PRIMARY KEY (calendar_id, href));",
  /* 6: chat bindings and the durable chat outbox. A chat's settings hold its
   * connector's URL and secrets (JSON); rules say which meetings it receives.
   * One outbox row per message, unique by its idempotency key. */
  "CREATE TABLE chats ("
  "  key TEXT PRIMARY KEY,"
  "  name TEXT NOT NULL,"
  "  connector TEXT NOT NULL,"
  "  settings TEXT NOT NULL DEFAULT '{}',"
  "  rules TEXT NOT NULL DEFAULT '{}',"
  "  is_default INTEGER NOT NULL DEFAULT 0,"
  "  timezone TEXT,"
  "  lang TEXT NOT NULL DEFAULT 'en',"
  "  rate TEXT,"
  "  created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL);"
  "CREATE TABLE outbox ("
  "  id INTEGER PRIMARY KEY,"
  "  idem_key TEXT NOT NULL UNIQUE,"
  "  chat_key TEXT NOT NULL,"
  "  meeting_id TEXT NOT NULL,"
  "  occurrence INTEGER NOT NULL,"
  "  kind TEXT NOT NULL,"
  "  event TEXT NOT NULL,"
  "  state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'dead', 'withdrawn')),"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  next_at INTEGER NOT NULL,"
  "  last_error TEXT,"
  "  created_at INTEGER NOT NULL,"
  "  sent_at INTEGER);"
  "CREATE INDEX outbox_due ON outbox (state, next_at);"
  "CREATE INDEX outbox_meeting ON outbox (meeting_id, occurrence);"
  "CREATE INDEX outbox_chat ON outbox (chat_key, state, id);",
  /* 7: the admin audit log: one row per admin action, named by the admin
   * key's name (never the key), with its target and result. */
  "CREATE TABLE admin_audit ("
  "  id INTEGER PRIMARY KEY,"
  "  at_ms INTEGER NOT NULL,"
  "  key_name TEXT NOT NULL,"
  "  action TEXT NOT NULL,"
  "  target TEXT NOT NULL,"
  "  detail TEXT,"
  "  result TEXT NOT NULL,"
  "  message TEXT,"
  "  peer TEXT);"
  "CREATE INDEX admin_audit_at ON admin_audit (at_ms);"
  "CREATE INDEX admin_audit_action ON admin_audit (action, at_ms);",
  /* 8: the OA source that owns a chat binding (NULL: operators' chats);
   * a source sees and changes only its own, which hear only its meetings. */
  "ALTER TABLE chats ADD COLUMN owner TEXT;",
  /* 9: running live streams and ingests (signaling/pipelines.c), restarted
   * after meetgate restarts; spec holds their settings, sealed. */
  "CREATE TABLE live_pipelines ("
  "  id TEXT PRIMARY KEY,"
  "  kind TEXT NOT NULL,"
  "  room TEXT NOT NULL,"
  "  spec TEXT NOT NULL,"
  "  started_at INTEGER NOT NULL);",
  /* 10: signed OA requests already accepted (replay protection that holds
   * across restarts): SHA-256 of the source and the signature, kept until
   * expires_at (unix seconds), then pruned. */
  "CREATE TABLE seen_signatures ("
  "  digest BLOB PRIMARY KEY,"
  "  expires_at INTEGER NOT NULL) WITHOUT ROWID;"
  "CREATE INDEX seen_signatures_expiry ON seen_signatures (expires_at);",
  NULL,
};

/* SPDX-License-Identifier: MIT
 * The admin audit log in the store (table admin_audit): who did what to
 * which room or participant, when, and how it went. */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "signaling/store.h"

G_BEGIN_DECLS

typedef struct {
  gint64 at_ms;         /* wall clock, milliseconds */
  const char *key_name; /* the admin key's name, never the key */
  const char *action;   /* "remove", "mute", "close", "admit", "lock", "unlock" */
  const char *target;   /* "room/<id>" or "room/<id>/participant/<id>" */
  const char *detail;   /* may be NULL: the action's argument (a source, a message) */
  const char *result;   /* "ok" or an error code */
  const char *message;  /* may be NULL: the error message */
  const char *peer;     /* may be NULL: the admin's address */
} MgAuditEntry;

/* Appends one entry; returns its id, or 0 with error set. */
gint64 mg_audit_record(MgStore *store, const MgAuditEntry *entry, GError **error);

/* Entries at or after since_ms (0: all), of action (NULL: any), newest
 * first, at most limit (1..1000). (transfer full) JSON array of
 * {id, at, key, action, target, detail, result, message, peer}. */
json_t *mg_audit_list(MgStore *store, gint64 since_ms, const char *action, guint limit, GError **error);

G_END_DECLS

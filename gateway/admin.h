/* SPDX-License-Identifier: MIT
 * The admin API (/api/v1/admin/...): bearer admin keys from the
 * configuration, each with a role: viewer (read) or operator (read and act). */
#pragma once

#include "gateway/config.h"
#include "gateway/http.h"
#include "media/engine.h"
#include "signaling/conference.h"
#include "signaling/store.h"

G_BEGIN_DECLS

typedef struct MgAdmin MgAdmin;

typedef enum {
  MG_ADMIN_VIEWER,
  MG_ADMIN_OPERATOR,
} MgAdminRole;

/* Checks the request's bearer admin key for at least role; answers 401/403
 * itself and returns FALSE when it does not hold. name_out (borrowed) names the key. */
gboolean mg_admin_authenticate(MgAdmin *admin, MgHttpRequest *req, MgAdminRole role, const char **name_out);

/* Parses [admin] keys; a malformed entry is an error naming it (not its key). (transfer full) */
MgAdmin *mg_admin_new(MgHttpServer *server, MgMediaEngine *engine, const char *keys, GError **error);
/* Gives the admin API the live rooms and the store (for the audit log and the
 * schedule); lead_s: how long before a meeting its room opens. Both borrowed. */
void mg_admin_attach(MgAdmin *admin, MgConference *conf, MgStore *store, gint64 lead_s);
void mg_admin_free(MgAdmin *admin);
/* Called after an operator requeued an outbox message (to wake the deliverer). */
void mg_admin_set_outbox_changed(MgAdmin *admin, void (*changed)(gpointer data), gpointer data);

/* Another module's room-level POST /api/v1/admin/rooms/<room>/<name> and
 * DELETE /api/v1/admin/rooms/<room>/<name>[/...] (the recordings API's
 * "recording", the streams API's "stream"): the admin API's action routes
 * hand such requests to handler, which checks the key itself. name is static. */
void mg_admin_add_room_action(MgAdmin *admin, const char *name, MgHttpHandler handler, gpointer data);
/* DELETE /api/v1/admin/rooms/<room>/<name>[/...] reaches the same handler
 * (the ingest API's DELETE .../ingest/<id>). */

/* Another module's part of the room detail (GET /api/v1/admin/rooms/<room>):
 * func's answer (transfer full), or NULL for none, goes under name. */
typedef json_t *(*MgAdminDetailFunc)(const char *room_id, gpointer data);
void mg_admin_add_room_detail(MgAdmin *admin, const char *name, MgAdminDetailFunc func, gpointer data);

/* How mg_admin_list_json finds what it needs in an entry of another
 * module's table (ingests, bridges, streams): the offsets of its id and
 * room (char *) and its start (gint64 unix seconds), and its JSON. */
typedef struct {
  gsize id, room, started_s;
  json_t *(*to_json)(gpointer entry);
} MgAdminListShape;

/* The values of entries that are in room_id (NULL: all), oldest first (then
 * by id), as a JSON array. (transfer full) */
json_t *mg_admin_list_json(GHashTable *entries, const char *room_id, const MgAdminListShape *shape);

/* Records an admin action in the audit log (and the log): the key's name,
 * never the key; result "ok" or an error code with its message. req may be
 * NULL for an action that came another way (a host's `live` message). */
void mg_admin_record(MgAdmin *admin, MgHttpRequest *req, const char *key_name, const char *action, const char *target,
                     const char *detail, const char *result, const char *message);

G_END_DECLS

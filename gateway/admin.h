/* SPDX-License-Identifier: MIT
 * The admin API (/api/v1/admin/...): bearer admin keys from the
 * configuration, each with a role: viewer (read) or operator (read and act). */
#pragma once

#include "gateway/config.h"
#include "gateway/http.h"
#include "media/engine.h"

G_BEGIN_DECLS

typedef struct MgAdmin MgAdmin;

typedef enum {
  MG_ADMIN_VIEWER,
  MG_ADMIN_OPERATOR,
} MgAdminRole;

/* Parses [admin] keys; a malformed entry is an error naming it (not its key). (transfer full) */
MgAdmin *mg_admin_new(MgHttpServer *server, MgMediaEngine *engine, const char *keys, GError **error);
void mg_admin_free(MgAdmin *admin);

G_END_DECLS

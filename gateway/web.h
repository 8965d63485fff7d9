/* SPDX-License-Identifier: MIT
 * The built-in web: /healthz and the static pages compiled into the binary. */
#pragma once

#include "gateway/http.h"

G_BEGIN_DECLS

typedef struct MgStore MgStore;

typedef struct {
  MgStore *store;
  gint64 started_us; /* monotonic */
} MgWebState;

/* Registers GET /healthz and the static files (GET /...). Static files go
 * last: add them after every other route. */
void mg_web_add_health(MgHttpServer *server, MgWebState *state);
void mg_web_add_static(MgHttpServer *server);
/* The content type for a file name, by extension. */
const char *mg_web_content_type(const char *name);

G_END_DECLS

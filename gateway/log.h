/* SPDX-License-Identifier: MIT
 * Logging: every module logs through GLib with G_LOG_DOMAIN set to its name;
 * this writer filters by per-module level, prints text or JSON lines, and
 * masks every registered secret. */
#pragma once

#include <glib.h>
#include <stdio.h>

G_BEGIN_DECLS

typedef enum { MG_LOG_TEXT, MG_LOG_JSON } MgLogFormat;

/* Installs the writer. level is error|warning|info|debug; modules is
 * "name=level,..." or NULL. Output goes to out (stderr when NULL). */
gboolean mg_log_setup(MgLogFormat format, const char *level, const char *modules, FILE *out, GError **error);
/* Picks text when fd is a terminal, JSON lines otherwise. */
MgLogFormat mg_log_format_for(const char *config_value, int fd);
/* From now on, any log line containing secret shows "***" instead. Secrets
 * shorter than 6 characters are ignored (they would mask ordinary words). */
void mg_log_add_secret(const char *secret);
/* Forgets the writer's settings and secrets (tests). */
void mg_log_reset(void);

G_END_DECLS

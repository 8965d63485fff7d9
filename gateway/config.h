/* SPDX-License-Identifier: MIT
 * Configuration: one INI file (GKeyFile), overridden by MEETGATE_<SECTION>_<KEY>
 * environment variables and then by command-line "section.key=value" pairs.
 * Every key is declared in config-keys.c; nothing else is accepted. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  MG_CONFIG_STRING,
  MG_CONFIG_INT,
  MG_CONFIG_BOOL,
  MG_CONFIG_ENUM,    /* one of choices, "a|b|c" */
  MG_CONFIG_ADDRESS, /* host:port or [v6]:port, port 0 = any free port */
} MgConfigType;

typedef struct {
  const char *section;
  const char *key;
  MgConfigType type;
  const char *def;     /* default as text; NULL = unset */
  gint64 min, max;     /* MG_CONFIG_INT bounds */
  const char *choices; /* MG_CONFIG_ENUM */
  gboolean secret;     /* masked in --print-config and API answers */
  const char *help;
} MgConfigKey;

typedef enum {
  MG_CONFIG_SOURCE_DEFAULT,
  MG_CONFIG_SOURCE_FILE,
  MG_CONFIG_SOURCE_ENV,
  MG_CONFIG_SOURCE_CLI,
  MG_CONFIG_SOURCE_RUNTIME, /* set by the daemon itself, e.g. a generated secret */
} MgConfigSource;

#define MG_CONFIG_ERROR (mg_config_error_quark())
GQuark mg_config_error_quark(void);

typedef struct MgConfig MgConfig;

/* The table of every key meetgate knows, terminated by an entry with section NULL. */
extern const MgConfigKey mg_config_keys[];

/* A configuration holding every key at its default. (transfer full) */
MgConfig *mg_config_new(void);
void mg_config_free(MgConfig *cfg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgConfig, mg_config_free)

/* Reads an INI file; an unknown section or key, or a bad value, is an error
 * that names the file, the key and what is allowed. */
gboolean mg_config_load_file(MgConfig *cfg, const char *path, GError **error);
/* Applies MEETGATE_<SECTION>_<KEY> variables from envp (NULL = the process environment). */
gboolean mg_config_load_env(MgConfig *cfg, char **envp, GError **error);
/* Applies one "section.key=value" override. */
gboolean mg_config_set_arg(MgConfig *cfg, const char *arg, GError **error);
/* Sets one key after validating value; origin names where it came from, for messages. */
gboolean mg_config_set(MgConfig *cfg, const char *section, const char *key, const char *value, MgConfigSource source,
                       const char *origin, GError **error);

/* Getters: the key must be declared (programmer error otherwise). */
const char *mg_config_get_string(const MgConfig *cfg, const char *section, const char *key);
gint64 mg_config_get_int(const MgConfig *cfg, const char *section, const char *key);
gboolean mg_config_get_bool(const MgConfig *cfg, const char *section, const char *key);
MgConfigSource mg_config_get_source(const MgConfig *cfg, const char *section, const char *key);
/* Splits an MG_CONFIG_ADDRESS value; host is (transfer full). */
gboolean mg_config_get_address(const MgConfig *cfg, const char *section, const char *key, char **host, guint16 *port);

/* The effective configuration as INI text, secrets masked. (transfer full) */
char *mg_config_to_string(const MgConfig *cfg);

/* Parses "host:port" or "[v6]:port". */
gboolean mg_config_parse_address(const char *text, char **host, guint16 *port);

G_END_DECLS

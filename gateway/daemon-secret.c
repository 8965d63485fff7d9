/* SPDX-License-Identifier: MIT
 * The daemon's data folder and signing secret: the configured one, or one
 * generated on the first start and kept 0600 in the data folder; production
 * mode refuses a generated, default or short secret. */
#define G_LOG_DOMAIN "daemon"
#include "gateway/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "gateway/log.h"

#define MIN_SECRET_LEN 32

/* Values that must never sign tokens in production. */
static const char *const weak_secrets[] = { "changeme", "change-me", "secret", "meetgate", "default", "password" };

char *
mg_daemon_data_dir(const MgConfig *cfg)
{
  const char *dir = mg_config_get_string(cfg, "server", "data_dir");
  return dir ? g_strdup(dir) : g_build_filename(g_get_user_state_dir(), "meetgate", NULL);
}

static char *
generate_secret(void)
{
  guint8 raw[32];
  for (gsize i = 0; i < sizeof raw; i += 4) {
    guint32 r = g_random_int();
    memcpy(raw + i, &r, 4);
  }
  /* GRand is seeded from /dev/urandom; still mix in a second source. */
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  g_autofree char *uuid = g_uuid_string_random();
  g_checksum_update(sum, raw, sizeof raw);
  g_checksum_update(sum, (const guchar *)uuid, strlen(uuid));
  return g_strdup(g_checksum_get_string(sum));
}

static gboolean
load_or_create_secret(MgConfig *cfg, const char *data_dir, GError **error)
{
  g_autofree char *path = g_build_filename(data_dir, "secret", NULL);
  g_autofree char *secret = NULL;
  g_autoptr(GError) local = NULL;

  if (g_file_get_contents(path, &secret, NULL, &local)) {
    g_strstrip(secret);
  } else if (g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
    secret = generate_secret();
    g_autofree char *text = g_strconcat(secret, "\n", NULL);
    int fd = g_open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || write(fd, text, strlen(text)) != (gssize)strlen(text) || fsync(fd) < 0) {
      g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: cannot store the generated secret: %s",
                  path, g_strerror(errno));
      if (fd >= 0)
        close(fd);
      return FALSE;
    }
    close(fd);
    g_message("generated a new signing secret and stored it in %s (mode 0600)", path);
  } else {
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s", local->message);
    return FALSE;
  }
  return mg_config_set(cfg, "server", "secret", secret, MG_CONFIG_SOURCE_RUNTIME, path, error);
}

gboolean
mg_daemon_prepare_secret(MgConfig *cfg, const char *data_dir, GError **error)
{
  gboolean production = mg_config_get_bool(cfg, "server", "production");
  const char *secret = mg_config_get_string(cfg, "server", "secret");

  if (!secret) {
    if (production) {
      g_set_error(error, MG_CONFIG_ERROR, 10,
                  "production mode needs [server] secret (or MEETGATE_SERVER_SECRET) set to %d or more random "
                  "characters; a generated secret is refused",
                  MIN_SECRET_LEN);
      return FALSE;
    }
    if (!load_or_create_secret(cfg, data_dir, error))
      return FALSE;
    secret = mg_config_get_string(cfg, "server", "secret");
  }
  mg_log_add_secret(secret);
  if (!production)
    return TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS(weak_secrets); i++) {
    if (!g_ascii_strcasecmp(secret, weak_secrets[i])) {
      g_set_error(error, MG_CONFIG_ERROR, 10, "production mode refuses the default secret; set [server] secret");
      return FALSE;
    }
  }
  if (strlen(secret) < MIN_SECRET_LEN) {
    g_set_error(error, MG_CONFIG_ERROR, 10, "production mode needs a [server] secret of %d or more characters",
                MIN_SECRET_LEN);
    return FALSE;
  }
  return TRUE;
}

/* SPDX-License-Identifier: MIT */
#include <glib/gstdio.h>
#include <unistd.h>

#include "gateway/config.h"

static char *
write_temp(const char *text)
{
  char *path = NULL;
  int fd = g_file_open_tmp("mg-config-XXXXXX.conf", &path, NULL);
  g_assert_cmpint(fd, >=, 0);
  g_assert_true(g_file_set_contents(path, text, -1, NULL));
  close(fd);
  return path;
}

static void
test_defaults(void)
{
  g_autoptr(MgConfig) cfg = mg_config_new();
  g_autofree char *host = NULL;
  guint16 port = 0;
  g_assert_true(mg_config_get_address(cfg, "server", "listen", &host, &port));
  g_assert_cmpstr(host, ==, "127.0.0.1");
  g_assert_cmpuint(port, ==, 8080);
  g_assert_cmpint(mg_config_get_int(cfg, "server", "max_body"), ==, 1048576);
  g_assert_false(mg_config_get_bool(cfg, "server", "production"));
  g_assert_null(mg_config_get_string(cfg, "server", "secret"));
  g_assert_cmpint(mg_config_get_source(cfg, "server", "listen"), ==, MG_CONFIG_SOURCE_DEFAULT);
}

static void
test_file_env_cli_order(void)
{
  g_autoptr(MgConfig) cfg = mg_config_new();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = write_temp("[server]\nlisten = 0.0.0.0:9000\nmax_body = 2048\n[log]\nlevel = debug\n");
  g_assert_true(mg_config_load_file(cfg, path, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(mg_config_get_string(cfg, "server", "listen"), ==, "0.0.0.0:9000");

  char *envp[] = { "MEETGATE_SERVER_MAX_BODY=4096", "MEETGATE_LOG_LEVEL=warning", NULL };
  g_assert_true(mg_config_load_env(cfg, envp, &error));
  g_assert_cmpint(mg_config_get_int(cfg, "server", "max_body"), ==, 4096);
  g_assert_cmpint(mg_config_get_source(cfg, "server", "max_body"), ==, MG_CONFIG_SOURCE_ENV);

  g_assert_true(mg_config_set_arg(cfg, "log.level=error", &error));
  g_assert_cmpstr(mg_config_get_string(cfg, "log", "level"), ==, "error");
  g_assert_cmpint(mg_config_get_source(cfg, "log", "level"), ==, MG_CONFIG_SOURCE_CLI);
  g_unlink(path);
}

static void
test_unknown_key(void)
{
  g_autoptr(MgConfig) cfg = mg_config_new();
  g_autoptr(GError) error = NULL;
  g_autofree char *path = write_temp("[server]\nlisen = 1.2.3.4:5\n");
  g_assert_false(mg_config_load_file(cfg, path, &error));
  g_assert_error(error, MG_CONFIG_ERROR, 2);
  g_assert_nonnull(strstr(error->message, path));
  g_assert_nonnull(strstr(error->message, "lisen"));
  g_assert_nonnull(strstr(error->message, "listen")); /* the allowed keys are listed */
  g_clear_error(&error);

  g_autofree char *path2 = write_temp("[nosuch]\nkey = 1\n");
  g_assert_false(mg_config_load_file(cfg, path2, &error));
  g_assert_nonnull(strstr(error->message, "unknown section [nosuch]"));
  g_assert_nonnull(strstr(error->message, "[server]"));
  g_unlink(path);
  g_unlink(path2);
}

static void
test_bad_values(void)
{
  static const struct {
    const char *arg;
    const char *expect;
  } cases[] = {
    { "server.listen=localhost", "host:port" },
    { "server.listen=1.2.3.4:70000", "host:port" },
    { "server.max_body=12x", "whole number from 1024" },
    { "server.max_body=10", "whole number from 1024" },
    { "server.production=yes", "true or false" },
    { "log.level=loud", "one of error|warning|info|debug" },
    { "nodot=1", "section.key=value" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(MgConfig) cfg = mg_config_new();
    g_autoptr(GError) error = NULL;
    g_assert_false(mg_config_set_arg(cfg, cases[i].arg, &error));
    g_assert_nonnull(error);
    if (!strstr(error->message, cases[i].expect))
      g_error("%s: message '%s' lacks '%s'", cases[i].arg, error->message, cases[i].expect);
  }
}

static void
test_secret_masked(void)
{
  g_autoptr(MgConfig) cfg = mg_config_new();
  g_autoptr(GError) error = NULL;
  g_assert_true(mg_config_set_arg(cfg, "server.secret=supersecretvalue-0123456789abcdef", &error));
  g_autofree char *text = mg_config_to_string(cfg);
  g_assert_null(strstr(text, "supersecretvalue"));
  g_assert_nonnull(strstr(text, "secret = ********"));
  g_assert_nonnull(strstr(text, "listen = 127.0.0.1:8080"));
}

static void
test_parse_address(void)
{
  g_autofree char *h = NULL;
  guint16 p;
  g_assert_true(mg_config_parse_address("[::1]:0", &h, &p));
  g_assert_cmpstr(h, ==, "::1");
  g_assert_cmpuint(p, ==, 0);
  g_assert_false(mg_config_parse_address("::1:80", NULL, NULL));
  g_assert_false(mg_config_parse_address(":80", NULL, NULL));
  g_assert_false(mg_config_parse_address("host:", NULL, NULL));
  g_assert_false(mg_config_parse_address("[::1]80", NULL, NULL));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/config/defaults", test_defaults);
  g_test_add_func("/config/order", test_file_env_cli_order);
  g_test_add_func("/config/unknown-key", test_unknown_key);
  g_test_add_func("/config/bad-values", test_bad_values);
  g_test_add_func("/config/secret-masked", test_secret_masked);
  g_test_add_func("/config/parse-address", test_parse_address);
  return g_test_run();
}

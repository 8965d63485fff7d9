/* SPDX-License-Identifier: MIT
 * meetgate: parse the command line, load the configuration, run the daemon. */
#define G_LOG_DOMAIN "main"
#include <locale.h>
#include <stdio.h>
#include <unistd.h>

#include "gateway/config.h"
#include "gateway/daemon.h"
#include "gateway/log.h"

static gboolean
load_config(MgConfig *cfg, const char *file, char **sets, GError **error)
{
  if (file && !mg_config_load_file(cfg, file, error))
    return FALSE;
  if (!mg_config_load_env(cfg, NULL, error))
    return FALSE;
  for (char **s = sets; s && *s; s++)
    if (!mg_config_set_arg(cfg, *s, error))
      return FALSE;
  return TRUE;
}

int
main(int argc, char **argv)
{
  g_autofree char *config_file = NULL;
  g_auto(GStrv) sets = NULL;
  gboolean print_config = FALSE, version = FALSE;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_file, "Read configuration from FILE", "FILE" },
    { "set", 'o', 0, G_OPTION_ARG_STRING_ARRAY, &sets, "Override one key (repeatable)", "SECTION.KEY=VALUE" },
    { "print-config", 0, 0, G_OPTION_ARG_NONE, &print_config, "Print the effective configuration and exit", NULL },
    { "version", 'V', 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL },
  };

  setlocale(LC_ALL, "");
  g_autoptr(GOptionContext) opts = g_option_context_new("- meeting gateway");
  g_option_context_add_main_entries(opts, entries, NULL);
  g_option_context_set_description(opts, "Every key of the configuration file can also be set as an environment "
                                         "variable MEETGATE_<SECTION>_<KEY>\nor with --set section.key=value; "
                                         "the command line wins over the environment, which wins over the file.");
  if (!g_option_context_parse(opts, &argc, &argv, &error)) {
    fprintf(stderr, "meetgate: %s (try --help)\n", error->message);
    return 2;
  }
  if (version) {
    printf("meetgate %s\n", MG_VERSION);
    return 0;
  }

  g_autoptr(MgConfig) cfg = mg_config_new();
  if (!load_config(cfg, config_file, sets, &error)) {
    fprintf(stderr, "meetgate: %s\n", error->message);
    return 2;
  }
  if (print_config) {
    g_autofree char *text = mg_config_to_string(cfg);
    fputs(text, stdout);
    return 0;
  }
  MgLogFormat format = mg_log_format_for(mg_config_get_string(cfg, "log", "format"), STDERR_FILENO);
  if (!mg_log_setup(format, mg_config_get_string(cfg, "log", "level"), mg_config_get_string(cfg, "log", "modules"),
                    NULL, &error)) {
    fprintf(stderr, "meetgate: [log] %s\n", error->message);
    return 2;
  }

  g_autoptr(MgDaemon) daemon = mg_daemon_new(g_steal_pointer(&cfg), &error);
  if (!daemon) {
    g_critical("cannot start: %s", error->message);
    return 1;
  }
  return mg_daemon_run(daemon);
}

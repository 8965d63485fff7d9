/* SPDX-License-Identifier: MIT */
#include <jansson.h>
#include <stdio.h>

#include "gateway/log.h"

static char *
capture(MgLogFormat format, const char *level, const char *modules, void (*emit)(void))
{
  char *buf = NULL;
  size_t size = 0;
  FILE *out = open_memstream(&buf, &size);
  g_assert_true(mg_log_setup(format, level, modules, out, NULL));
  emit();
  fclose(out);
  mg_log_setup(MG_LOG_TEXT, "info", NULL, NULL, NULL);
  return buf;
}

static void
emit_some(void)
{
  g_log("http", G_LOG_LEVEL_INFO, "info from http");
  g_log("http", G_LOG_LEVEL_DEBUG, "debug from http");
  g_log("store", G_LOG_LEVEL_INFO, "info from store");
  g_log("store", G_LOG_LEVEL_WARNING, "warning from store");
  g_log("daemon", G_LOG_LEVEL_MESSAGE, "token s3cr3t-value-123 leaked?");
}

static void
test_levels_per_module(void)
{
  g_autofree char *out = capture(MG_LOG_TEXT, "info", "http=debug,store=warning", emit_some);
  g_assert_nonnull(strstr(out, "debug from http"));
  g_assert_nonnull(strstr(out, "info from http"));
  g_assert_null(strstr(out, "info from store"));
  g_assert_nonnull(strstr(out, "warning from store"));
}

static void
test_json_and_secrets(void)
{
  mg_log_add_secret("s3cr3t-value-123");
  g_autofree char *out = capture(MG_LOG_JSON, "info", NULL, emit_some);
  g_assert_null(strstr(out, "s3cr3t-value-123"));
  g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
  int n = 0;
  for (char **l = lines; *l && **l; l++, n++) {
    json_error_t err;
    json_t *obj = json_loads(*l, 0, &err);
    g_assert_nonnull(obj);
    g_assert_nonnull(json_string_value(json_object_get(obj, "ts")));
    g_assert_nonnull(json_string_value(json_object_get(obj, "module")));
    if (!strcmp(json_string_value(json_object_get(obj, "module")), "daemon"))
      g_assert_cmpstr(json_string_value(json_object_get(obj, "msg")), ==, "token *** leaked?");
    json_decref(obj);
  }
  g_assert_cmpint(n, ==, 4); /* the debug line is filtered */
  mg_log_reset();
}

static void
test_bad_spec(void)
{
  g_autoptr(GError) error = NULL;
  g_assert_false(mg_log_setup(MG_LOG_TEXT, "info", "http", NULL, &error));
  g_assert_nonnull(strstr(error->message, "name=level"));
  g_clear_error(&error);
  g_assert_false(mg_log_setup(MG_LOG_TEXT, "chatty", NULL, NULL, &error));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_log_set_always_fatal(G_LOG_FATAL_MASK); /* this test logs warnings on purpose */
  g_test_add_func("/log/levels", test_levels_per_module);
  g_test_add_func("/log/json-secrets", test_json_and_secrets);
  g_test_add_func("/log/bad-spec", test_bad_spec);
  return g_test_run();
}

/* SPDX-License-Identifier: MIT */
#include <glib/gstdio.h>
#include <string.h>

#include "signaling/audit.h"

static MgStore *
open_store(void)
{
  g_autofree char *dir = g_dir_make_tmp("mg-audit-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "test.db", NULL);
  g_autoptr(GError) error = NULL;
  MgStore *store = mg_store_open(path, &error);
  g_assert_no_error(error);
  return store;
}

static void
record(MgStore *store, gint64 at_ms, const char *key, const char *action, const char *result)
{
  g_autoptr(GError) error = NULL;
  MgAuditEntry e = { at_ms, key, action, "room/r1", action[0] == 'c' ? "bye" : NULL, result, NULL, "127.0.0.1" };
  g_assert_cmpint(mg_audit_record(store, &e, &error), >, 0);
  g_assert_no_error(error);
}

/* Newest first; since, action and limit filter; the key's name is what is kept. */
static void
test_record_and_list(void)
{
  g_autoptr(MgStore) store = open_store();
  g_autoptr(GError) error = NULL;
  record(store, 1000, "ops", "lock", "ok");
  record(store, 2000, "noc", "close", "forbidden");
  record(store, 3000, "ops", "close", "ok");

  json_t *all = mg_audit_list(store, 0, NULL, 100, &error);
  g_assert_no_error(error);
  g_assert_cmpuint(json_array_size(all), ==, 3);
  json_t *first = json_array_get(all, 0);
  g_assert_cmpint(json_integer_value(json_object_get(first, "at_ms")), ==, 3000);
  g_assert_cmpstr(json_string_value(json_object_get(first, "key")), ==, "ops");
  g_assert_cmpstr(json_string_value(json_object_get(first, "detail")), ==, "bye");
  g_assert_cmpstr(json_string_value(json_object_get(first, "at")), ==, "1970-01-01T00:00:03.000Z");
  g_assert_true(json_is_null(json_object_get(json_array_get(all, 2), "detail")));
  json_decref(all);

  json_t *closes = mg_audit_list(store, 0, "close", 100, &error);
  g_assert_cmpuint(json_array_size(closes), ==, 2);
  json_decref(closes);
  json_t *recent = mg_audit_list(store, 2000, NULL, 100, &error);
  g_assert_cmpuint(json_array_size(recent), ==, 2);
  json_decref(recent);
  json_t *one = mg_audit_list(store, 0, NULL, 1, &error);
  g_assert_cmpuint(json_array_size(one), ==, 1);
  json_decref(one);
  /* The limit is clamped, never unbounded or zero. */
  json_t *clamped = mg_audit_list(store, 0, NULL, 0, &error);
  g_assert_cmpuint(json_array_size(clamped), ==, 1);
  json_decref(clamped);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/audit/record-and-list", test_record_and_list);
  return g_test_run();
}

/* SPDX-License-Identifier: MIT */
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "signaling/store.h"

static char *
temp_db(void)
{
  g_autofree char *dir = g_dir_make_tmp("mg-store-XXXXXX", NULL);
  return g_build_filename(dir, "test.db", NULL);
}

static void
test_fresh(void)
{
  g_autofree char *path = temp_db();
  g_autoptr(GError) error = NULL;
  g_autoptr(MgStore) store = mg_store_open(path, &error);
  g_assert_no_error(error);
  g_assert_cmpint(mg_store_get_version(store), >=, 1);
  g_assert_true(mg_store_ping(store));
}

/* Sealed credentials: not readable in the value, opened with the same
 * secret, refused (not garbage) under another, each sealing different. */
static void
test_seal(void)
{
  g_autofree char *path = temp_db();
  g_autoptr(GError) error = NULL;
  g_autoptr(MgStore) store = mg_store_open(path, &error);
  g_assert_no_error(error);
  g_autofree char *plain_kept = mg_store_seal(store, "hunter2"); /* no key yet: as given */
  g_assert_cmpstr(plain_kept, ==, "hunter2");
  mg_store_set_seal_key(store, "server secret one");
  g_autofree char *a = mg_store_seal(store, "hunter2"), *b = mg_store_seal(store, "hunter2");
  g_autofree char *empty = mg_store_seal(store, "");
  g_assert_true(g_str_has_prefix(a, "sealed:v1:"));
  g_assert_null(strstr(a, "hunter2"));
  g_assert_cmpstr(a, !=, b); /* a fresh nonce each time */
  g_autofree char *open_a = mg_store_unseal(store, a, &error), *open_empty = mg_store_unseal(store, empty, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(open_a, ==, "hunter2");
  g_assert_cmpstr(open_empty, ==, "");
  g_autofree char *legacy = mg_store_unseal(store, "plain-old", &error);
  g_assert_cmpstr(legacy, ==, "plain-old");
  g_assert_null(mg_store_seal(store, NULL));

  a[strlen(a) - 3] = a[strlen(a) - 3] == 'A' ? 'B' : 'A'; /* the tag no longer matches */
  g_assert_null(mg_store_unseal(store, a, &error));
  g_assert_error(error, MG_STORE_ERROR, MG_STORE_ERROR_QUERY);
  g_clear_error(&error);
  mg_store_set_seal_key(store, "server secret two");
  g_assert_null(mg_store_unseal(store, b, &error));
  g_assert_nonnull(strstr(error->message, "another server secret"));
}

static const char *const v2[] = { "CREATE TABLE a (x INTEGER);", "INSERT INTO a VALUES (1);", NULL };
static const char *const v4_bad[] = { "CREATE TABLE a (x INTEGER);", "INSERT INTO a VALUES (1);", "CREATE TABLE b (y);",
                                      "INSERT INTO nosuch VALUES (2);", NULL };

static void
test_failed_migration_leaves_file(void)
{
  g_autofree char *path = temp_db();
  g_autoptr(GError) error = NULL;
  MgStore *store = mg_store_open_with(path, v2, &error);
  g_assert_no_error(error);
  g_assert_cmpint(mg_store_get_version(store), ==, 2);
  mg_store_close(store);

  g_autofree char *before = NULL, *after = NULL;
  gsize nb, na;
  g_assert_true(g_file_get_contents(path, &before, &nb, NULL));
  store = mg_store_open_with(path, v4_bad, &error);
  g_assert_null(store);
  g_assert_error(error, MG_STORE_ERROR, MG_STORE_ERROR_MIGRATION);
  g_assert_nonnull(strstr(error->message, "version 4"));
  g_assert_nonnull(strstr(error->message, "nosuch"));
  g_assert_true(g_file_get_contents(path, &after, &na, NULL));
  g_assert_cmpuint(na, ==, nb);
  g_assert_cmpmem(before, nb, after, na);
  g_clear_error(&error);

  /* Still at version 2, with table b absent. */
  store = mg_store_open_with(path, v2, &error);
  g_assert_no_error(error);
  g_assert_cmpint(mg_store_get_version(store), ==, 2);
  g_assert_cmpint(sqlite3_exec(mg_store_get_db(store), "SELECT * FROM b", NULL, NULL, NULL), !=, SQLITE_OK);
  mg_store_close(store);
}

static void
test_too_new(void)
{
  g_autofree char *path = temp_db();
  g_autoptr(GError) error = NULL;
  mg_store_close(mg_store_open_with(path, v2, &error));
  g_assert_no_error(error);
  static const char *const v1[] = { "CREATE TABLE a (x INTEGER);", NULL };
  g_assert_null(mg_store_open_with(path, v1, &error));
  g_assert_error(error, MG_STORE_ERROR, MG_STORE_ERROR_TOO_NEW);
}

static void
test_not_a_database(void)
{
  g_autofree char *path = temp_db();
  g_autoptr(GError) error = NULL;
  g_assert_true(
      g_file_set_contents(path, "this is not sqlite, just some text that is long enough to matter", -1, NULL));
  g_assert_null(mg_store_open(path, &error));
  g_assert_nonnull(error);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/store/fresh", test_fresh);
  g_test_add_func("/store/seal", test_seal);
  g_test_add_func("/store/failed-migration", test_failed_migration_leaves_file);
  g_test_add_func("/store/too-new", test_too_new);
  g_test_add_func("/store/not-a-database", test_not_a_database);
  return g_test_run();
}

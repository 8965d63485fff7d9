/* SPDX-License-Identifier: MIT
 * Tests for the live_pipelines table: saved, listed by kind, forgotten;
 * settings sealed at rest and skipped under another server secret. */
#include "signaling/pipelines.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#define SPEC "{\"kind\":\"rtmp\",\"url\":\"rtmp://127.0.0.1/live/key-0123456789\"}"

static char *
raw_spec(MgStore *store, const char *id)
{
  sqlite3_stmt *st = NULL;
  char *out = NULL;
  g_assert_cmpint(
      sqlite3_prepare_v2(mg_store_get_db(store), "SELECT spec FROM live_pipelines WHERE id = ?", -1, &st, NULL), ==,
      SQLITE_OK);
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW)
    out = g_strdup((const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return out;
}

static void
test_pipelines(void)
{
  g_autofree char *dir = g_dir_make_tmp("mg-pipelines-XXXXXX", NULL);
  g_autofree char *path = g_build_filename(dir, "test.db", NULL);
  g_autoptr(GError) error = NULL;
  MgStore *store = mg_store_open(path, &error);
  g_assert_no_error(error);
  mg_store_set_seal_key(store, "server-secret-0123456789abcdef");
  g_assert_true(mg_pipelines_put(store, "s2", "stream", "room-a", SPEC, 200, &error));
  g_assert_true(mg_pipelines_put(store, "s1", "stream", "room-b", "{\"kind\":\"hls\"}", 100, &error));
  g_assert_true(mg_pipelines_put(store, "i1", "ingest", "room-a", "{\"url\":\"rtsp://u:pw@cam/\",\"name\":\"Cam\"}",
                                 150, &error));
  g_assert_no_error(error);
  /* Sealed at rest. */
  g_autofree char *raw = raw_spec(store, "s2");
  g_assert_true(g_str_has_prefix(raw, "sealed:"));
  g_assert_null(strstr(raw, "key-0123456789"));

  g_autoptr(GPtrArray) streams = mg_pipelines_list(store, "stream", &error);
  g_assert_no_error(error);
  g_assert_cmpuint(streams->len, ==, 2);
  MgPipelineRow *first = g_ptr_array_index(streams, 0), *second = g_ptr_array_index(streams, 1);
  g_assert_cmpstr(first->id, ==, "s1"); /* oldest first */
  g_assert_cmpstr(second->id, ==, "s2");
  g_assert_cmpstr(second->room, ==, "room-a");
  g_assert_cmpstr(second->spec, ==, SPEC);
  g_assert_cmpint(second->started_s, ==, 200);
  g_autoptr(GPtrArray) ingests = mg_pipelines_list(store, "ingest", &error);
  g_assert_cmpuint(ingests->len, ==, 1);

  /* Replaced by id; forgotten; forgetting twice is fine. */
  g_assert_true(mg_pipelines_put(store, "s2", "stream", "room-a", "{\"kind\":\"hls\"}", 300, &error));
  g_assert_true(mg_pipelines_delete(store, "s1", &error));
  g_assert_true(mg_pipelines_delete(store, "s1", &error));
  g_assert_no_error(error);
  g_autoptr(GPtrArray) left = mg_pipelines_list(store, "stream", &error);
  g_assert_cmpuint(left->len, ==, 1);
  g_assert_cmpint(((MgPipelineRow *)g_ptr_array_index(left, 0))->started_s, ==, 300);
  mg_store_close(store);

  /* Under another server secret the rows cannot be opened: left out (and kept). */
  store = mg_store_open(path, &error);
  g_assert_no_error(error);
  mg_store_set_seal_key(store, "another-secret-0123456789abcdef");
  g_test_expect_message("store", G_LOG_LEVEL_WARNING, "stream s2: its settings cannot be unsealed*");
  g_autoptr(GPtrArray) none = mg_pipelines_list(store, "stream", &error);
  g_test_assert_expected_messages();
  g_assert_no_error(error);
  g_assert_cmpuint(none->len, ==, 0);
  g_autofree char *still = raw_spec(store, "s2");
  g_assert_nonnull(still);
  mg_store_close(store);

  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name(d))) {
    g_autofree char *p = g_build_filename(dir, name, NULL);
    g_unlink(p);
  }
  g_rmdir(dir);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/pipelines/store", test_pipelines);
  return g_test_run();
}

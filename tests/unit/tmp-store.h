/* SPDX-License-Identifier: MIT
 * A store in a fresh temporary folder for a unit test, and its removal
 * (the database with its WAL and shared-memory files, then the folder). */
#pragma once

#include <glib/gstdio.h>

#include "signaling/store.h"

/* Opens <tmp>/<tmpl>/test.db; *dir and *path are the caller's to pass back. */
static inline MgStore *
tmp_store_open(const char *tmpl, char **dir, char **path)
{
  g_autoptr(GError) error = NULL;
  *dir = g_dir_make_tmp(tmpl, &error);
  g_assert_no_error(error);
  *path = g_build_filename(*dir, "test.db", NULL);
  MgStore *store = mg_store_open(*path, &error);
  g_assert_no_error(error);
  return store;
}

/* Closes store (if any) and removes the files; frees dir and path. */
static inline void
tmp_store_remove(MgStore *store, char *dir, char *path)
{
  if (store)
    mg_store_close(store);
  g_autofree char *wal = g_strconcat(path, "-wal", NULL), *shm = g_strconcat(path, "-shm", NULL);
  g_unlink(wal);
  g_unlink(shm);
  g_unlink(path);
  g_rmdir(dir);
  g_free(path);
  g_free(dir);
}

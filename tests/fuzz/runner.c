/* SPDX-License-Identifier: MIT
 * Regression runner for the fuzz targets without libFuzzer: feeds every file
 * of the corpus directory argv[1] to LLVMFuzzerTestOneInput(), each in a
 * buffer of exactly its size so that sanitizers see any overread. */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;
  guint n = 0;
  if (argc != 2) {
    fprintf(stderr, "usage: %s CORPUS-DIR\n", argv[0]);
    return 2;
  }
  dir = g_dir_open(argv[1], 0, &error);
  if (!dir) {
    fprintf(stderr, "%s\n", error->message);
    return 1;
  }
  while ((name = g_dir_read_name(dir))) {
    g_autofree char *path = g_build_filename(argv[1], name, NULL);
    g_autofree char *contents = NULL;
    gsize len;
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
      continue;
    if (!g_file_get_contents(path, &contents, &len, &error)) {
      fprintf(stderr, "%s\n", error->message);
      return 1;
    }
    g_autofree guint8 *exact = len ? g_memdup2(contents, len) : NULL;
    LLVMFuzzerTestOneInput(exact, len);
    n++;
  }
  printf("%u inputs from %s\n", n, argv[1]);
  return n > 0 ? 0 : 1;
}

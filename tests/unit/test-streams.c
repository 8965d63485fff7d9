/* SPDX-License-Identifier: MIT */
#include "gateway/streams-api.h"

#include <string.h>

static void
check_parse(const char *body, gboolean ok, const char *kind, const char *url)
{
  char *k = NULL, *u = NULL;
  g_autoptr(GError) error = NULL;
  gboolean got = mg_streams_parse_request(body, strlen(body), &k, &u, &error);
  g_assert_cmpint(got, ==, ok);
  if (ok) {
    g_assert_no_error(error);
    g_assert_cmpstr(k, ==, kind);
    g_assert_cmpstr(u, ==, url);
  } else {
    g_assert_nonnull(error);
    g_assert_null(k);
    g_assert_null(u);
  }
  g_free(k);
  g_free(u);
}

static void
test_parse(void)
{
  check_parse("{\"kind\":\"hls\"}", TRUE, "hls", NULL);
  check_parse("", FALSE, NULL, NULL); /* an empty body is {}: no kind */
  check_parse("{\"kind\":\"rtmp\"}", TRUE, "rtmp", NULL);
  check_parse("{\"kind\":\"rtmp\",\"url\":\"rtmp://127.0.0.1:1935/live/key\"}", TRUE, "rtmp",
              "rtmp://127.0.0.1:1935/live/key");
  check_parse("{\"kind\":\"rtmp\",\"url\":null}", TRUE, "rtmp", NULL);
  check_parse("{\"kind\":\"dash\"}", FALSE, NULL, NULL);
  check_parse("{\"kind\":\"hls\",\"url\":\"rtmp://h/a/k\"}", FALSE, NULL, NULL);
  check_parse("{\"kind\":\"rtmp\",\"url\":\"http://h/a/k\"}", FALSE, NULL, NULL);
  check_parse("{\"kind\":\"rtmp\",\"url\":7}", FALSE, NULL, NULL);
  check_parse("[]", FALSE, NULL, NULL);
  check_parse("{\"kind\":", FALSE, NULL, NULL);
}

static void
check_public(const char *error, guint max, const char *want)
{
  g_autofree char *got = mg_streams_public_error(error, max);
  g_assert_cmpstr(got, ==, want);
}

static void
test_public_error(void)
{
  check_public("Could not connect to rtmp://127.0.0.1:9/live/secretkey0123 (in rtmp2sink0)", 0,
               "Could not connect to rtmp://127.0.0.1:9/live/*** (in rtmp2sink0)");
  check_public("'rtmps://h/app/k1' and rtmp://h2/app/k2?x=1", 0, "'rtmps://h/app/***' and rtmp://h2/app/***");
  check_public("  the output ended ", 0, "the output ended");
  check_public(NULL, 0, "");
  check_public("abcdefghij", 5, "abcd…");
  check_public("会议会议会议", 3, "会议…");
  check_public("bad \xff byte", 0, "bad \xef\xbf\xbd byte");
  /* The key never survives a clip either. */
  g_autofree char *clipped = mg_streams_public_error("x rtmp://h/app/secretkey0123", 20);
  g_assert_null(strstr(clipped, "secret"));
}

static void
test_urls(void)
{
  g_assert_true(mg_streams_valid_rtmp_url("rtmp://h/a/k"));
  g_assert_true(mg_streams_valid_rtmp_url("rtmps://live.example.com:443/app/key"));
  g_assert_false(mg_streams_valid_rtmp_url("rtmp://"));
  g_assert_false(mg_streams_valid_rtmp_url("rtmp:///a/k"));
  g_assert_false(mg_streams_valid_rtmp_url("rtmp://h/a/k ey"));
  g_assert_false(mg_streams_valid_rtmp_url("rtmp://h/a/k\n"));
  g_assert_false(mg_streams_valid_rtmp_url("file:///etc/passwd"));
  g_assert_false(mg_streams_valid_rtmp_url(NULL));
  g_autofree char *long_url = g_strnfill(3000, 'a');
  memcpy(long_url, "rtmp://", 7);
  g_assert_false(mg_streams_valid_rtmp_url(long_url));

  struct {
    const char *url, *shown;
  } masks[] = {
    { "rtmp://127.0.0.1:1935/live/secretkey", "rtmp://127.0.0.1:1935/live/***" },
    { "rtmp://h/secretkey", "rtmp://h/***" },
    { "rtmps://h/app/sub/secret?x=1", "rtmps://h/app/sub/***" },
    { "rtmp://h/", "rtmp://h/" },
    { "rtmp://h", "rtmp://h" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS(masks); i++) {
    g_autofree char *shown = mg_streams_mask_url(masks[i].url);
    g_assert_cmpstr(shown, ==, masks[i].shown);
  }
}

static void
test_files(void)
{
  g_assert_true(mg_streams_valid_file("playlist.m3u8"));
  g_assert_true(mg_streams_valid_file("segment00001.ts"));
  g_assert_false(mg_streams_valid_file(".hidden.ts"));
  g_assert_false(mg_streams_valid_file("../x.ts"));
  g_assert_false(mg_streams_valid_file("a/b.ts"));
  g_assert_false(mg_streams_valid_file("secret"));
  g_assert_false(mg_streams_valid_file("x.ts%00"));
  g_assert_false(mg_streams_valid_file(""));
  g_assert_false(mg_streams_valid_file(NULL));
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/streams/parse", test_parse);
  g_test_add_func("/streams/urls", test_urls);
  g_test_add_func("/streams/files", test_files);
  g_test_add_func("/streams/public-error", test_public_error);
  return g_test_run();
}

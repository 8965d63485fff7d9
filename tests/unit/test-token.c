/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "signaling/token.h"

#define SECRET "0123456789abcdef0123456789abcdef"
#define T0 1800000000

static char *
make(const char *room, gint64 nbf, gint64 exp)
{
  MgToken c = { .sub = "u1", .name = "Ada", .room = (char *)room, .role = "attendee", .nbf = nbf, .exp = exp };
  return mg_token_sign(&c, SECRET);
}

static void
expect_refusal(const char *jwt, const char *room, gint64 now, int code, const char *api_code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MgToken) t = mg_token_verify(jwt, SECRET, room, now, NULL, &error);
  g_assert_null(t);
  g_assert_error(error, MG_TOKEN_ERROR, code);
  g_assert_cmpstr(mg_token_error_code(error), ==, api_code);
}

static void
test_roundtrip(void)
{
  g_autofree char *jwt = make("room-a", T0, T0 + 3600);
  g_autoptr(GError) error = NULL;
  g_autoptr(MgToken) t = mg_token_verify(jwt, SECRET, "room-a", T0 + 10, NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(t->room, ==, "room-a");
  g_assert_cmpstr(t->sub, ==, "u1");
  g_assert_cmpstr(t->name, ==, "Ada");
  g_assert_cmpstr(t->role, ==, "attendee");
  g_assert_cmpint(t->exp, ==, T0 + 3600);
  /* room NULL: any room accepted (the caller reads t->room). */
  g_autoptr(MgToken) t2 = mg_token_verify(jwt, SECRET, NULL, T0, NULL, &error);
  g_assert_nonnull(t2);
}

static void
test_window(void)
{
  g_autofree char *jwt = make("room-a", T0, T0 + 3600);
  gint64 nbf = 0;
  g_autoptr(GError) error = NULL;
  g_assert_null(mg_token_verify(jwt, SECRET, "room-a", T0 - 1, &nbf, &error));
  g_assert_error(error, MG_TOKEN_ERROR, MG_TOKEN_ERROR_NOT_YET);
  g_assert_cmpint(nbf, ==, T0);
  expect_refusal(jwt, "room-a", T0 + 3600, MG_TOKEN_ERROR_EXPIRED, "token_expired");
  expect_refusal(jwt, "room-b", T0 + 1, MG_TOKEN_ERROR_WRONG_ROOM, "wrong_room");
}

static void
test_forged(void)
{
  g_autofree char *jwt = make("room-a", T0, T0 + 3600);
  /* A changed signature. */
  g_autofree char *sig = g_strdup(jwt);
  char *last = sig + strlen(sig) - 2;
  *last = *last == 'A' ? 'B' : 'A';
  expect_refusal(sig, "room-a", T0 + 1, MG_TOKEN_ERROR_FORGED, "token_forged");
  /* A changed claim (room-a -> room-b) with the old signature. */
  MgToken other = { .room = "room-b", .role = "host", .nbf = T0, .exp = T0 + 3600 };
  g_autofree char *b = mg_token_sign(&other, SECRET);
  g_auto(GStrv) pa = g_strsplit(jwt, ".", -1), pb = g_strsplit(b, ".", -1);
  g_autofree char *spliced = g_strjoin(".", pa[0], pb[1], pa[2], NULL);
  expect_refusal(spliced, "room-b", T0 + 1, MG_TOKEN_ERROR_FORGED, "token_forged");
  /* Another secret. */
  g_autoptr(GError) error = NULL;
  g_assert_null(mg_token_verify(jwt, "another-secret-another-secret-xx", "room-a", T0 + 1, NULL, &error));
  g_assert_error(error, MG_TOKEN_ERROR, MG_TOKEN_ERROR_FORGED);
}

static void
test_alg_none(void)
{
  /* {"alg":"none","typ":"JWT"} . claims . (empty signature) */
  g_autofree char *jwt = make("room-a", T0, T0 + 3600);
  g_auto(GStrv) p = g_strsplit(jwt, ".", -1);
  g_autofree char *none = g_strconcat("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.", p[1], ".", NULL);
  expect_refusal(none, "room-a", T0 + 1, MG_TOKEN_ERROR_ALGORITHM, "token_algorithm");
  /* HS512 is refused too. {"alg":"HS512"} */
  g_autofree char *hs512 = g_strconcat("eyJhbGciOiJIUzUxMiJ9.", p[1], ".", p[2], NULL);
  expect_refusal(hs512, "room-a", T0 + 1, MG_TOKEN_ERROR_ALGORITHM, "token_algorithm");
}

static void
test_signed_room(void)
{
  g_autofree char *jwt = make("room-a", T0, T0 + 3600);
  g_autofree char *room = mg_token_signed_room(jwt, SECRET);
  g_assert_cmpstr(room, ==, "room-a"); /* whatever the time */
  g_assert_null(mg_token_signed_room(jwt, "another-secret-another-secret-xx"));
  g_assert_null(mg_token_signed_room("a.b.c", SECRET));
}

static void
test_malformed(void)
{
  static const char *const bad[] = { "", "abc", "a.b", "a.b.c.d", "!!!.???.***", "eyJhbGciOiJIUzI1NiJ9..", NULL };
  for (const char *const *b = bad; *b; b++) {
    g_autoptr(GError) error = NULL;
    g_assert_null(mg_token_verify(*b, SECRET, "room-a", T0, NULL, &error));
    g_assert_nonnull(error);
    g_assert_true(error->code == MG_TOKEN_ERROR_MALFORMED || error->code == MG_TOKEN_ERROR_FORGED);
  }
  g_autoptr(GError) error = NULL;
  g_assert_null(mg_token_verify(NULL, SECRET, "room-a", T0, NULL, &error));
  g_assert_error(error, MG_TOKEN_ERROR, MG_TOKEN_ERROR_MALFORMED);
}

int
main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/token/roundtrip", test_roundtrip);
  g_test_add_func("/token/window", test_window);
  g_test_add_func("/token/forged", test_forged);
  g_test_add_func("/token/alg-none", test_alg_none);
  g_test_add_func("/token/malformed", test_malformed);
  g_test_add_func("/token/signed-room", test_signed_room);
  return g_test_run();
}

/* SPDX-License-Identifier: MIT
 * libFuzzer target for the HTTP front door: the whole daemon (libwebsockets'
 * parser, our router, every API behind it, WebSocket upgrades) runs once in
 * this process on 127.0.0.1; each input is written as is to a new TCP
 * connection, the write side is shut, and the loop runs until the server has
 * answered and closed (or a bound of iterations). Inputs carry the keys the
 * daemon is configured with, so authenticated routes are reached too.
 * Seeds: tests/fuzz/corpus/http/ (raw requests). */
#include "gateway/config.h"
#include "gateway/daemon.h"
#include "gateway/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECRET "fuzz-secret-0123456789abcdef0123456789abcdef"
#define OA_KEY "fuzz-oa-key-0123456789"
#define ADMIN_KEY "fuzz-admin-key-0123456789"

static guint16 port;

static guint16
free_port(void)
{
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t len = sizeof a;
  g_assert_cmpint(bind(s, (struct sockaddr *)&a, sizeof a), ==, 0);
  g_assert_cmpint(getsockname(s, (struct sockaddr *)&a, &len), ==, 0);
  close(s);
  return ntohs(a.sin_port);
}

static void
start_daemon(void)
{
  static MgDaemon *daemon;
  if (daemon)
    return;
  g_log_set_always_fatal(G_LOG_LEVEL_CRITICAL); /* a GLib critical is a bug the fuzzer found */
  g_autoptr(GError) error = NULL;
  if (!mg_log_setup(MG_LOG_TEXT, "error", NULL, NULL, &error))
    g_error("fuzz-http: %s", error->message);
  g_autofree char *dir = g_dir_make_tmp("mg-fuzz-http-XXXXXX", NULL);
  port = free_port();
  g_autofree char *listen = g_strdup_printf("server.listen=127.0.0.1:%u", port);
  g_autofree char *data = g_strconcat("server.data_dir=", dir, NULL);
  const char *sets[] = { listen,
                         data,
                         "server.secret=" SECRET,
                         "server.production=true",
                         "media.workers=1",
                         "media.addresses=127.0.0.1",
                         "log.level=error",
                         "oa.sources=hr:" OA_KEY,
                         "admin.keys=ops:operator:" ADMIN_KEY,
                         NULL };
  MgConfig *cfg = mg_config_new();
  for (const char **s = sets; *s; s++)
    if (!mg_config_set_arg(cfg, *s, &error))
      g_error("fuzz-http: %s", error->message);
  daemon = mg_daemon_new(cfg, &error);
  if (!daemon)
    g_error("fuzz-http: cannot start the daemon: %s", error->message);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  start_daemon();
  int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  if (connect(s, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS)
    g_error("fuzz-http: connect: %s", g_strerror(errno));
  gsize sent = 0;
  gboolean closed = FALSE;
  char buf[65536];
  /* The loop serves the connection; we write as the socket takes it, then
   * read until the server closes. A bound keeps a silent server from hanging
   * the run (keep-alive answers end when the write side is shut). */
  for (int round = 0; round < 4000 && !closed; round++) {
    for (int i = 0; i < 64 && g_main_context_iteration(NULL, FALSE); i++)
      ;
    if (sent < size) {
      ssize_t n = send(s, data + sent, size - sent, MSG_NOSIGNAL);
      if (n > 0)
        sent += n;
      else if (n < 0 && errno != EAGAIN && errno != ENOTCONN)
        break;
      if (sent == size)
        shutdown(s, SHUT_WR);
    } else if (size == 0 && round == 0) {
      shutdown(s, SHUT_WR);
    }
    ssize_t n = recv(s, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno != EAGAIN))
      closed = TRUE;
    else if (n < 0)
      g_usleep(200);
  }
  close(s);
  return 0;
}

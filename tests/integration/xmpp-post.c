/* SPDX-License-Identifier: MIT
 * Test client for signaling/xmpp.c: posts each stdin line (C escapes such as
 * \n expanded) into a MUC and prints one line per result:
 * "ok <n>", "retry <n> <why>" or "fail <n> <why>" (n counts lines from 1).
 * Usage: XMPP_PASSWORD=... [XMPP_REQUIRE_TLS=1] [XMPP_PING_MS=n] xmpp-post JID HOST PORT ROOM NICK [ACK_MS QUEUE_MS] */
#include <stdio.h>
#include <stdlib.h>

#include "signaling/xmpp.h"

typedef struct {
  GMainLoop *loop;
  MgXmpp *xmpp;
  const char *room, *nick;
  guint next, outstanding;
  gboolean eof;
} App;

typedef struct {
  App *app;
  guint n;
} Line;

static void
on_done(MgXmppResult result, const char *error_text, gpointer user_data)
{
  Line *line = user_data;
  App *app = line->app;
  if (result == MG_XMPP_OK)
    printf("ok %u\n", line->n);
  else
    printf("%s %u %s\n", mg_xmpp_result_name(result), line->n, error_text ? error_text : "");
  fflush(stdout);
  g_free(line);
  if (--app->outstanding == 0 && app->eof)
    g_main_loop_quit(app->loop);
}

static gboolean
on_stdin(GIOChannel *ch, GIOCondition cond, gpointer user_data)
{
  App *app = user_data;
  g_autofree char *text = NULL;
  gsize len = 0;
  GIOStatus st = g_io_channel_read_line(ch, &text, &len, NULL, NULL);
  if (st == G_IO_STATUS_AGAIN)
    return G_SOURCE_CONTINUE;
  if (st != G_IO_STATUS_NORMAL) {
    app->eof = TRUE;
    if (app->outstanding == 0)
      g_main_loop_quit(app->loop);
    return G_SOURCE_REMOVE;
  }
  g_strchomp(text);
  g_autofree char *body = g_strcompress(text);
  Line *line = g_new0(Line, 1);
  line->app = app;
  line->n = ++app->next;
  app->outstanding++;
  mg_xmpp_post(app->xmpp, app->room, app->nick, body, on_done, line);
  return G_SOURCE_CONTINUE;
}

int
main(int argc, char **argv)
{
  if (argc != 6 && argc != 8) {
    fprintf(stderr, "usage: XMPP_PASSWORD=... %s JID HOST PORT ROOM NICK [ACK_MS QUEUE_MS]\n", argv[0]);
    return 2;
  }
  MgXmppAccount acct = {
    .jid = argv[1],
    .password = g_getenv("XMPP_PASSWORD"),
    .host = argv[2],
    .port = (guint16)atoi(argv[3]),
    .require_tls = g_strcmp0(g_getenv("XMPP_REQUIRE_TLS"), "1") == 0,
    .ack_timeout_ms = argc == 8 ? (guint)atoi(argv[6]) : 0,
    .queue_timeout_ms = argc == 8 ? (guint)atoi(argv[7]) : 0,
    .ping_interval_ms = g_getenv("XMPP_PING_MS") ? (guint)atoi(g_getenv("XMPP_PING_MS")) : 0,
  };
  g_log_writer_default_set_use_stderr(TRUE); /* stdout carries the results */
  App app = { .loop = g_main_loop_new(NULL, FALSE), .room = argv[4], .nick = argv[5] };
  app.xmpp = mg_xmpp_new(NULL, &acct);
  GIOChannel *ch = g_io_channel_unix_new(0);
  g_io_add_watch(ch, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, &app);
  g_main_loop_run(app.loop);
  mg_xmpp_free(app.xmpp);
  g_io_channel_unref(ch);
  g_main_loop_unref(app.loop);
  return 0;
}

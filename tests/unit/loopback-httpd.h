/* SPDX-License-Identifier: MIT
 * A small HTTP/1.1 receiver on 127.0.0.1 for the unit tests: answers from a
 * script (then a fallback), records what arrived. A thread per connection
 * (GThreadedSocketService), so a slow answer does not stop the test's loop. */
#pragma once

#include <gio/gio.h>
#include <string.h>

typedef struct {
  int status;
  char *headers; /* extra header lines, each ending in \r\n, or NULL */
  char *body;
  guint delay_ms;
} LoopAnswer;

typedef struct {
  char *path;
  char *headers; /* the request's header block */
  char *body;
} LoopArrival;

typedef struct {
  GSocketService *service;
  guint16 port;
  GMutex lock;
  GQueue script; /* LoopAnswer * */
  LoopAnswer fallback;
  GPtrArray *arrivals; /* LoopArrival * */
  gint active;         /* connections being served */
} Loopback;

static void
loop_answer_free(LoopAnswer *a)
{
  g_free(a->headers);
  g_free(a->body);
  g_free(a);
}

static void
loop_arrival_free(LoopArrival *a)
{
  g_free(a->path);
  g_free(a->headers);
  g_free(a->body);
  g_free(a);
}

/* Appends an answer to the script. */
static void
loopback_push(Loopback *lb, int status, const char *headers, const char *body, guint delay_ms)
{
  LoopAnswer *a = g_new0(LoopAnswer, 1);
  *a = (LoopAnswer){ status, g_strdup(headers), g_strdup(body), delay_ms };
  g_mutex_lock(&lb->lock);
  g_queue_push_tail(&lb->script, a);
  g_mutex_unlock(&lb->lock);
}

static guint
loopback_count(Loopback *lb)
{
  g_mutex_lock(&lb->lock);
  guint n = lb->arrivals->len;
  g_mutex_unlock(&lb->lock);
  return n;
}

/* (transfer none) Arrival i; the array only grows, entries stay put. */
static LoopArrival *
loopback_arrival(Loopback *lb, guint i)
{
  g_mutex_lock(&lb->lock);
  LoopArrival *a = i < lb->arrivals->len ? g_ptr_array_index(lb->arrivals, i) : NULL;
  g_mutex_unlock(&lb->lock);
  return a;
}

static gboolean
loop_read_request(GInputStream *in, LoopArrival *arrival)
{
  GString *head = g_string_new("");
  char ch;
  while (!g_str_has_suffix(head->str, "\r\n\r\n")) {
    if (g_input_stream_read(in, &ch, 1, NULL, NULL) != 1 || head->len > 65536) {
      g_string_free(head, TRUE);
      return FALSE;
    }
    g_string_append_c(head, ch);
  }
  const char *sp = strchr(head->str, ' ');
  const char *sp2 = sp ? strchr(sp + 1, ' ') : NULL;
  arrival->path = sp && sp2 ? g_strndup(sp + 1, sp2 - sp - 1) : g_strdup("");
  gsize length = 0;
  g_autofree char *lower = g_ascii_strdown(head->str, -1);
  const char *cl = strstr(lower, "\r\ncontent-length:");
  if (cl)
    length = g_ascii_strtoull(cl + strlen("\r\ncontent-length:"), NULL, 10);
  arrival->body = g_malloc0(length + 1);
  gsize got = 0;
  if (length && !g_input_stream_read_all(in, arrival->body, length, &got, NULL, NULL)) {
    g_string_free(head, TRUE);
    return FALSE;
  }
  arrival->headers = g_string_free(head, FALSE);
  return TRUE;
}

static gboolean
loop_on_incoming(GSocketService *service, GSocketConnection *conn, GObject *source, gpointer data)
{
  (void)service;
  (void)conn;
  (void)source;
  g_atomic_int_inc(&((Loopback *)data)->active);
  return FALSE; /* the threaded service's own handler runs next */
}

static gboolean
loop_on_run(GThreadedSocketService *service, GSocketConnection *conn, GObject *source, gpointer data)
{
  (void)service;
  (void)source;
  Loopback *lb = data;
  LoopArrival *arrival = g_new0(LoopArrival, 1);
  if (!loop_read_request(g_io_stream_get_input_stream(G_IO_STREAM(conn)), arrival)) {
    loop_arrival_free(arrival);
    g_atomic_int_dec_and_test(&lb->active);
    return TRUE;
  }
  g_mutex_lock(&lb->lock);
  g_ptr_array_add(lb->arrivals, arrival);
  LoopAnswer *scripted = g_queue_pop_head(&lb->script);
  LoopAnswer a = scripted ? *scripted : lb->fallback;
  char *headers = g_strdup(a.headers), *body = g_strdup(a.body ? a.body : "");
  g_mutex_unlock(&lb->lock);
  if (a.delay_ms)
    g_usleep(a.delay_ms * 1000);
  g_autofree char *out = g_strdup_printf("HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n%s",
                                         a.status, strlen(body), headers ? headers : "", body);
  g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)), out, strlen(out), NULL, NULL, NULL);
  g_io_stream_close(G_IO_STREAM(conn), NULL, NULL);
  if (scripted)
    loop_answer_free(scripted);
  g_free(headers);
  g_free(body);
  g_atomic_int_dec_and_test(&lb->active);
  return TRUE;
}

/* Starts a receiver on 127.0.0.1 (any free port) answering fallback_status and
 * fallback_body once the script is empty. */
static Loopback *
loopback_new(int fallback_status, const char *fallback_body)
{
  Loopback *lb = g_new0(Loopback, 1);
  g_mutex_init(&lb->lock);
  g_queue_init(&lb->script);
  lb->fallback = (LoopAnswer){ fallback_status, NULL, g_strdup(fallback_body), 0 };
  lb->arrivals = g_ptr_array_new_with_free_func((GDestroyNotify)loop_arrival_free);
  lb->service = g_threaded_socket_service_new(8);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;
  g_socket_listener_add_address(G_SOCKET_LISTENER(lb->service), addr, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                &bound, &error);
  g_assert_no_error(error);
  lb->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_signal_connect(lb->service, "incoming", G_CALLBACK(loop_on_incoming), lb);
  g_signal_connect(lb->service, "run", G_CALLBACK(loop_on_run), lb);
  g_socket_service_start(lb->service);
  return lb;
}

static char *
loopback_url(Loopback *lb, const char *path)
{
  return g_strdup_printf("http://127.0.0.1:%u%s", lb->port, path);
}

static void
loopback_free(Loopback *lb)
{
  /* Wait for the threads still answering (a slow answer the client gave up on). */
  while (g_atomic_int_get(&lb->active) > 0)
    g_usleep(10000);
  g_socket_service_stop(lb->service);
  g_socket_listener_close(G_SOCKET_LISTENER(lb->service));
  g_object_unref(lb->service);
  g_queue_clear_full(&lb->script, (GDestroyNotify)loop_answer_free);
  g_free(lb->fallback.body);
  g_ptr_array_unref(lb->arrivals);
  g_mutex_clear(&lb->lock);
  g_free(lb);
}

/* A port where nothing listens (bound, then closed). */
static guint16
loopback_closed_port(void)
{
  g_autoptr(GSocket) s = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, 0);
  g_assert_true(g_socket_bind(s, addr, FALSE, NULL));
  g_autoptr(GSocketAddress) bound = g_socket_get_local_address(s, NULL);
  guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_socket_close(s, NULL);
  return port;
}

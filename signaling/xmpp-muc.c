/* SPDX-License-Identifier: MIT
 * XMPP MUC rooms (XEP-0045): join with a nickname, post groupchat messages,
 * take the room's reflection of a message as its acknowledgement. */
#define G_LOG_DOMAIN "xmpp"
#include "signaling/xmpp-private.h"

#include <string.h>

#define NS_MUC "http://jabber.org/protocol/muc"
#define NS_MUC_USER "http://jabber.org/protocol/muc#user"
#define NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"
#define NS_PING "urn:xmpp:ping"
#define JOIN_TIMEOUT_MS 20000
#define REJOIN_DELAY_MS 5000
#define MAX_NICK_SUFFIX 20

/* Errors that another try will not fix (RFC 6120 8.3.3, XEP-0045 7.2). */
static const char *const permanent_errors[] = {
  "forbidden",   "not-authorized", "item-not-found", "registration-required",
  "not-allowed", "jid-malformed",  "bad-request",
};

gboolean
mg_xmpp_error_is_permanent(const char *cond)
{
  for (guint i = 0; cond && i < G_N_ELEMENTS(permanent_errors); i++)
    if (!strcmp(cond, permanent_errors[i]))
      return TRUE;
  return FALSE;
}

char *
mg_xmpp_stanza_error(xmpp_stanza_t *st, char **cond_out)
{
  g_autofree char *cond = NULL, *text = NULL;
  xmpp_stanza_t *err = xmpp_stanza_get_child_by_name(st, "error");
  for (xmpp_stanza_t *c = err ? xmpp_stanza_get_children(err) : NULL; c; c = xmpp_stanza_get_next(c)) {
    const char *name = xmpp_stanza_get_name(c), *ns = xmpp_stanza_get_ns(c);
    if (!name || g_strcmp0(ns, NS_STANZAS))
      continue;
    if (!strcmp(name, "text")) {
      char *t = xmpp_stanza_get_text(c);
      g_free(text);
      text = t ? g_utf8_make_valid(t, MIN(strlen(t), 200)) : NULL;
      xmpp_free(xmpp_stanza_get_context(c), t);
    } else if (!cond) {
      cond = g_strdup(name);
    }
  }
  if (!cond)
    cond = g_strdup("undefined-condition");
  char *desc = text && *text ? g_strdup_printf("%s: %s", cond, text) : g_strdup(cond);
  if (cond_out)
    *cond_out = g_steal_pointer(&cond);
  return desc;
}

void
mg_xmpp_room_free(XmppRoom *room)
{
  XmppPost *p;
  while ((p = g_queue_pop_head(&room->waiting)))
    mg_xmpp_post_free(p);
  g_free(room->jid);
  g_free(room->nick_base);
  g_free(room->nick);
  g_free(room);
}

/* The bare JID of from, lower-cased (rooms are keyed so). (transfer full) */
static char *
bare_of(const char *from)
{
  if (!from)
    return NULL;
  const char *slash = strchr(from, '/');
  g_autofree char *bare = slash ? g_strndup(from, (gsize)(slash - from)) : g_strdup(from);
  return g_utf8_strdown(bare, -1);
}

static void
send_join(XmppWorker *w, XmppRoom *room)
{
  g_autofree char *to = g_strdup_printf("%s/%s", room->jid, room->nick);
  xmpp_stanza_t *presence = xmpp_presence_new(w->ctx);
  xmpp_stanza_set_to(presence, to);
  xmpp_stanza_t *x = xmpp_stanza_new(w->ctx);
  xmpp_stanza_set_name(x, "x");
  xmpp_stanza_set_ns(x, NS_MUC);
  xmpp_stanza_t *history = xmpp_stanza_new(w->ctx);
  xmpp_stanza_set_name(history, "history");
  xmpp_stanza_set_attribute(history, "maxchars", "0");
  xmpp_stanza_add_child(x, history);
  xmpp_stanza_release(history);
  xmpp_stanza_add_child(presence, x);
  xmpp_stanza_release(x);
  xmpp_send(w->conn, presence);
  xmpp_stanza_release(presence);
  room->state = ROOM_JOINING;
  room->join_deadline_ms = w->now_ms + JOIN_TIMEOUT_MS;
  g_debug("%s: joining %s as %s", w->jid, room->jid, room->nick);
}

static void
send_post(XmppWorker *w, XmppRoom *room, XmppPost *p)
{
  p->id = g_strdup_printf("mg%016" G_GINT64_MODIFIER "x-%" G_GUINT64_FORMAT, w->id_base, ++w->next_id);
  xmpp_stanza_t *msg = xmpp_message_new(w->ctx, "groupchat", room->jid, p->id);
  xmpp_message_set_body(msg, p->text);
  xmpp_send(w->conn, msg);
  xmpp_stanza_release(msg);
  p->deadline_ms = w->now_ms + w->ack_timeout_ms;
  g_hash_table_insert(w->sent, p->id, p);
}

static void
flush_waiting(XmppWorker *w, XmppRoom *room)
{
  XmppPost *p;
  while ((p = g_queue_pop_head(&room->waiting)))
    send_post(w, room, p);
}

static void
fail_waiting(XmppWorker *w, XmppRoom *room, MgXmppResult result, const char *why)
{
  XmppPost *p;
  while ((p = g_queue_pop_head(&room->waiting)))
    mg_xmpp_finish(w, p, result, why);
}

static gboolean
valid_room_jid(const char *jid)
{
  const char *at = strchr(jid, '@');
  return at && at != jid && at[1] && !strchr(jid, '/') && g_utf8_validate(jid, -1, NULL);
}

void
mg_xmpp_accept_post(XmppWorker *w, XmppPost *p)
{
  p->n = ++w->next_id;
  if (!valid_room_jid(p->room) || !*p->text || !g_utf8_validate(p->text, -1, NULL)) {
    mg_xmpp_finish(w, p, MG_XMPP_FAIL, "bad-request: the room JID must be room@service and the text non-empty UTF-8");
    return;
  }
  if (w->auth_failed) {
    mg_xmpp_finish(w, p, MG_XMPP_FAIL, w->last_error);
    return;
  }
  g_autofree char *key = g_utf8_strdown(p->room, -1);
  XmppRoom *room = g_hash_table_lookup(w->rooms, key);
  if (!room) {
    room = g_new0(XmppRoom, 1);
    room->jid = g_steal_pointer(&key);
    room->nick_base = g_strdup(p->nick);
    room->nick = g_strdup(p->nick);
    g_queue_init(&room->waiting);
    g_hash_table_insert(w->rooms, room->jid, room);
  }
  if (room->state == ROOM_JOINED && w->online) {
    send_post(w, room, p);
    return;
  }
  p->deadline_ms = w->now_ms + w->queue_timeout_ms;
  g_queue_push_tail(&room->waiting, p);
  if (room->state == ROOM_FAILED) {
    room->state = ROOM_IDLE; /* try again: the room may exist or allow us by now */
    room->join_at_ms = 0;
  }
}

static void
on_join_error(XmppWorker *w, XmppRoom *room, xmpp_stanza_t *st)
{
  g_autofree char *cond = NULL;
  g_autofree char *desc = mg_xmpp_stanza_error(st, &cond);
  if (!strcmp(cond, "conflict") && room->suffix < MAX_NICK_SUFFIX) {
    room->suffix = room->suffix ? room->suffix + 1 : 2;
    g_free(room->nick);
    room->nick = g_strdup_printf("%s-%u", room->nick_base, room->suffix);
    g_message("%s: nickname taken in %s; trying %s", w->jid, room->jid, room->nick);
    send_join(w, room);
    return;
  }
  g_autofree char *why = g_strdup_printf("%s (joining %s)", desc, room->jid);
  if (mg_xmpp_error_is_permanent(cond) || !strcmp(cond, "conflict")) {
    g_message("%s: cannot join %s: %s", w->jid, room->jid, desc);
    room->state = ROOM_FAILED;
    fail_waiting(w, room, MG_XMPP_FAIL, why);
    return;
  }
  g_message("%s: join of %s refused for now: %s", w->jid, room->jid, desc);
  room->state = ROOM_IDLE;
  room->join_at_ms = w->now_ms + REJOIN_DELAY_MS;
}

/* Our own presence: status 110, or the nickname we asked for. */
static gboolean
is_self(XmppRoom *room, xmpp_stanza_t *st, const char *resource)
{
  xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(st, "x", NS_MUC_USER);
  for (xmpp_stanza_t *c = x ? xmpp_stanza_get_children(x) : NULL; c; c = xmpp_stanza_get_next(c))
    if (!g_strcmp0(xmpp_stanza_get_name(c), "status") && !g_strcmp0(xmpp_stanza_get_attribute(c, "code"), "110"))
      return TRUE;
  return !g_strcmp0(resource, room->nick);
}

static int
on_presence(xmpp_conn_t *conn, xmpp_stanza_t *st, void *userdata)
{
  XmppWorker *w = userdata;
  const char *from = xmpp_stanza_get_from(st);
  g_autofree char *bare = bare_of(from);
  XmppRoom *room = bare ? g_hash_table_lookup(w->rooms, bare) : NULL;
  if (!room)
    return 1;
  const char *slash = strchr(from, '/');
  const char *resource = slash ? slash + 1 : NULL;
  const char *type = xmpp_stanza_get_type(st);
  if (!g_strcmp0(type, "error")) {
    if (room->state == ROOM_JOINING)
      on_join_error(w, room, st);
    return 1;
  }
  if (!is_self(room, st, resource))
    return 1;
  if (!g_strcmp0(type, "unavailable")) {
    g_message("%s: left %s (kicked, or the room went away); rejoining", w->jid, room->jid);
    room->state = ROOM_IDLE;
    room->join_at_ms = w->now_ms + REJOIN_DELAY_MS;
  } else if (!type && room->state != ROOM_JOINED) {
    if (resource && g_strcmp0(resource, room->nick)) {
      g_free(room->nick); /* the room assigned another nickname (status 210) */
      room->nick = g_strdup(resource);
    }
    room->state = ROOM_JOINED;
    g_message("%s: joined %s as %s", w->jid, room->jid, room->nick);
    flush_waiting(w, room);
  }
  return 1;
}

static int
on_message(xmpp_conn_t *conn, xmpp_stanza_t *st, void *userdata)
{
  XmppWorker *w = userdata;
  const char *id = xmpp_stanza_get_id(st);
  XmppPost *p = id ? g_hash_table_lookup(w->sent, id) : NULL;
  if (!p)
    return 1;
  g_autofree char *bare = bare_of(xmpp_stanza_get_from(st));
  g_autofree char *room_key = g_utf8_strdown(p->room, -1);
  if (g_strcmp0(bare, room_key))
    return 1; /* only the room can acknowledge */
  const char *type = xmpp_stanza_get_type(st);
  g_hash_table_remove(w->sent, id);
  if (!g_strcmp0(type, "error")) {
    g_autofree char *cond = NULL;
    g_autofree char *desc = mg_xmpp_stanza_error(st, &cond);
    if (!strcmp(cond, "not-acceptable")) { /* we are not (any more) in the room */
      XmppRoom *room = g_hash_table_lookup(w->rooms, room_key);
      if (room && room->state == ROOM_JOINED) {
        room->state = ROOM_IDLE;
        room->join_at_ms = 0;
      }
    }
    mg_xmpp_finish(w, p, mg_xmpp_error_is_permanent(cond) ? MG_XMPP_FAIL : MG_XMPP_RETRY, desc);
  } else if (!g_strcmp0(type, "groupchat")) {
    mg_xmpp_finish(w, p, MG_XMPP_OK, NULL);
  } else {
    g_hash_table_insert(w->sent, p->id, p); /* not the reflection */
  }
  return 1;
}

static int
on_iq(xmpp_conn_t *conn, xmpp_stanza_t *st, void *userdata)
{
  XmppWorker *w = userdata;
  const char *type = xmpp_stanza_get_type(st);
  if (!g_strcmp0(type, "result") || !g_strcmp0(type, "error")) {
    mg_xmpp_ping_answered(w, xmpp_stanza_get_id(st));
    return 1;
  }
  if (g_strcmp0(type, "get") && g_strcmp0(type, "set"))
    return 1;
  xmpp_stanza_t *reply;
  if (!g_strcmp0(type, "get") && xmpp_stanza_get_child_by_name_and_ns(st, "ping", NS_PING))
    reply = xmpp_stanza_reply(st);
  else
    reply = xmpp_stanza_reply_error(st, "cancel", "service-unavailable", NULL);
  xmpp_send(conn, reply);
  xmpp_stanza_release(reply);
  return 1;
}

void
mg_xmpp_add_handlers(XmppWorker *w)
{
  xmpp_handler_add(w->conn, on_message, NULL, "message", NULL, w);
  xmpp_handler_add(w->conn, on_presence, NULL, "presence", NULL, w);
  xmpp_handler_add(w->conn, on_iq, NULL, "iq", NULL, w);
}

void
mg_xmpp_rooms_online(XmppWorker *w)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, w->rooms);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    XmppRoom *room = value;
    room->suffix = 0;
    g_free(room->nick);
    room->nick = g_strdup(room->nick_base);
    send_join(w, room);
  }
}

/* The connection is gone: rooms must be joined again; sent posts are retried
 * (the room may or may not have delivered them). */
void
mg_xmpp_rooms_offline(XmppWorker *w, const char *why)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, w->rooms);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    XmppRoom *room = value;
    if (room->state != ROOM_FAILED)
      room->state = ROOM_IDLE;
    room->join_at_ms = 0;
  }
  g_autofree char *text = g_strdup_printf("connection lost before the room acknowledged the message (%s)", why);
  g_hash_table_iter_init(&it, w->sent);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    g_hash_table_iter_steal(&it);
    mg_xmpp_finish(w, value, MG_XMPP_RETRY, text);
  }
}

void
mg_xmpp_rooms_fail_all(XmppWorker *w, MgXmppResult result, const char *why)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, w->rooms);
  while (g_hash_table_iter_next(&it, NULL, &value))
    fail_waiting(w, value, result, why);
}

static void
expire_waiting(XmppWorker *w, XmppRoom *room)
{
  while (!g_queue_is_empty(&room->waiting)) {
    XmppPost *p = g_queue_peek_head(&room->waiting);
    if (p->deadline_ms > w->now_ms)
      break;
    g_queue_pop_head(&room->waiting);
    g_autofree char *why = w->online
                               ? g_strdup_printf("not joined to %s yet", room->jid)
                               : g_strdup_printf("not connected (%s)", w->last_error ? w->last_error : "connecting");
    mg_xmpp_finish(w, p, MG_XMPP_RETRY, why);
  }
}

/* Joins what is due, gives up on late joins and on unacknowledged posts. */
void
mg_xmpp_rooms_tick(XmppWorker *w)
{
  GHashTableIter it;
  gpointer value;
  g_hash_table_iter_init(&it, w->rooms);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    XmppRoom *room = value;
    if (room->state == ROOM_JOINING && w->now_ms >= room->join_deadline_ms) {
      g_message("%s: no answer joining %s; trying again", w->jid, room->jid);
      room->state = ROOM_IDLE;
      room->join_at_ms = w->now_ms + REJOIN_DELAY_MS;
    }
    if (w->online && room->state == ROOM_IDLE && w->now_ms >= room->join_at_ms)
      send_join(w, room);
    expire_waiting(w, room);
  }
  g_autofree char *late = g_strdup_printf("the room did not acknowledge the message within %u ms", w->ack_timeout_ms);
  g_hash_table_iter_init(&it, w->sent);
  while (g_hash_table_iter_next(&it, NULL, &value)) {
    XmppPost *p = value;
    if (p->deadline_ms > w->now_ms)
      continue;
    g_hash_table_iter_steal(&it);
    mg_xmpp_finish(w, p, MG_XMPP_RETRY, late);
  }
}

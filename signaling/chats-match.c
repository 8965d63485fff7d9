/* SPDX-License-Identifier: MIT
 * Which chats a meeting goes to, and why: every chat whose rules it matches,
 * the defaults only when nothing else matched. */
#define G_LOG_DOMAIN "chats"
#include <string.h>

#include "signaling/chats-private.h"

void
mg_chat_match_free(MgChatMatch *match)
{
  if (!match)
    return;
  mg_chat_free(match->chat);
  if (match->reasons)
    g_ptr_array_unref(match->reasons);
  g_free(match);
}

static gboolean
in_list(GStrv list, const char *value)
{
  return value && *value && list && g_strv_contains((const char *const *)list, value);
}

static void
add_person_reasons(const MgChat *c, const MgMeeting *m, GPtrArray *reasons)
{
  if (in_list(c->rules.people, m->organizer.id))
    g_ptr_array_add(reasons, g_strdup_printf("organizer '%s'", m->organizer.id));
  for (guint i = 0; m->attendees && i < m->attendees->len; i++) {
    const MgPerson *p = &g_array_index(m->attendees, MgPerson, i);
    if (in_list(c->rules.people, p->id) && g_strcmp0(p->id, m->organizer.id))
      g_ptr_array_add(reasons, g_strdup_printf("attendee '%s'", p->id));
  }
}

/* The reasons m goes to c (empty when it does not). (transfer full) */
static GPtrArray *
reasons_for(const MgChat *c, const MgMeeting *m)
{
  GPtrArray *reasons = g_ptr_array_new_with_free_func(g_free);
  if (m->chat && !strcmp(m->chat, c->key))
    g_ptr_array_add(reasons, g_strdup_printf("chat key '%s' named by the meeting", c->key));
  if (in_list(c->rules.departments, m->organizer.department))
    g_ptr_array_add(reasons, g_strdup_printf("organizer department '%s'", m->organizer.department));
  add_person_reasons(c, m, reasons);
  if (in_list(c->rules.sources, m->source))
    g_ptr_array_add(reasons, g_strdup_printf("source '%s'", m->source));
  return reasons;
}

static MgChatMatch *
match_new(MgChat *chat, GPtrArray *reasons)
{
  MgChatMatch *match = g_new0(MgChatMatch, 1);
  match->chat = chat;
  match->reasons = reasons;
  return match;
}

GPtrArray *
mg_chats_match(MgStore *store, const MgMeeting *m, GError **error)
{
  g_autoptr(GPtrArray) chats = mg_chats_list(store, error);
  if (!chats)
    return NULL;
  /* A chat an OA source owns hears only that source's meetings. */
  for (guint i = 0; i < chats->len; i++) {
    const MgChat *c = chats->pdata[i];
    if (c->owner && g_strcmp0(c->owner, m->source))
      g_ptr_array_remove_index(chats, i--);
  }
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)mg_chat_match_free);
  for (guint i = 0; i < chats->len; i++) {
    GPtrArray *reasons = reasons_for(chats->pdata[i], m);
    if (reasons->len)
      g_ptr_array_add(out, match_new(g_ptr_array_steal_index(chats, i--), reasons));
    else
      g_ptr_array_unref(reasons);
  }
  if (out->len)
    return out;
  for (guint i = 0; i < chats->len; i++) {
    MgChat *c = chats->pdata[i];
    if (!c->is_default)
      continue;
    GPtrArray *reasons = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(reasons, g_strdup("default chat: no other chat matched"));
    g_ptr_array_add(out, match_new(g_ptr_array_steal_index(chats, i--), reasons));
  }
  return out;
}

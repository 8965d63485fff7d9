/* SPDX-License-Identifier: MIT
 * What changed in a meeting, as the short sentence a `changed` message
 * carries (English or Chinese, times in the chat's zone). */
#define G_LOG_DOMAIN "chatevents"
#include <string.h>

#include "signaling/chatevents.h"

enum { C_TIME, C_TITLE, C_REPEAT, C_POLICY, C_ORGANIZER, C_RESTORED, C_SEP, C_N };

static const char *const texts[2][C_N] = {
  { "new time (was {})", "new title (was \"{}\")", "the repetition changed", "access is now {}",
    "new organizer (was {})", "the meeting is on again", "; " },
  { "时间已变更（原为 {}）", "标题已变更（原为“{}”）", "重复规则已变更", "入会方式改为 {}", "组织者已变更（原为 {}）",
    "会议已恢复", "；" },
};

static char *
local_time(gint64 t, const char *tz_name)
{
  g_autoptr(GTimeZone) tz = tz_name ? g_time_zone_new_identifier(tz_name) : NULL;
  if (!tz)
    tz = g_time_zone_new_utc();
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc(t);
  g_autoptr(GDateTime) local = g_date_time_to_timezone(utc, tz);
  return g_date_time_format(local, "%Y-%m-%d %H:%M");
}

static const char *
who(const MgPerson *p)
{
  return p->name ? p->name : p->id ? p->id : "?";
}

/* text with its "{}" replaced by value (the texts are data, not formats). */
static char *
fill(const char *text, const char *value)
{
  GString *s = g_string_new(text);
  g_string_replace(s, "{}", value, 1);
  return g_string_free(s, FALSE);
}

static void
add(GString *s, int lang, const char *part)
{
  if (s->len)
    g_string_append(s, texts[lang][C_SEP]);
  g_string_append(s, part);
}

char *
mg_chatevents_describe_changes(const MgMeeting *a, const MgMeeting *b, const char *tz, const char *lang)
{
  int l = g_strcmp0(lang, "zh") == 0 ? 1 : 0;
  GString *s = g_string_new(NULL);
  if (a->cancelled && !b->cancelled)
    add(s, l, texts[l][C_RESTORED]);
  if (a->start != b->start || a->end != b->end) {
    g_autofree char *was = local_time(a->start, tz);
    g_autofree char *part = fill(texts[l][C_TIME], was);
    add(s, l, part);
  }
  if (g_strcmp0(a->title, b->title)) {
    g_autofree char *part = fill(texts[l][C_TITLE], a->title ? a->title : "");
    add(s, l, part);
  }
  if (g_strcmp0(a->rrule, b->rrule) || g_strcmp0(a->timezone, b->timezone))
    add(s, l, texts[l][C_REPEAT]);
  if (g_strcmp0(a->policy ? a->policy : "lobby", b->policy ? b->policy : "lobby")) {
    g_autofree char *part = fill(texts[l][C_POLICY], b->policy ? b->policy : "lobby");
    add(s, l, part);
  }
  if (g_strcmp0(a->organizer.id, b->organizer.id) || g_strcmp0(a->organizer.name, b->organizer.name)) {
    g_autofree char *part = fill(texts[l][C_ORGANIZER], who(&a->organizer));
    add(s, l, part);
  }
  if (!s->len) {
    g_string_free(s, TRUE);
    return NULL;
  }
  return g_string_free(s, FALSE);
}

/* SPDX-License-Identifier: MIT
 * Chat message words: the English and Chinese string table, the meeting time
 * in the chat's time zone, and clipping that never cuts a link. */
#define G_LOG_DOMAIN "chatmsg"
#include "signaling/chatmsg-private.h"

#include <string.h>

enum {
  S_SCHEDULED,
  S_CHANGED,
  S_REMINDER,
  S_OPEN_NOW,
  S_CANCELLED,
  S_SUMMARY,
  S_WHEN,
  S_ORGANIZER,
  S_CHANGES,
  S_STARTS_IN,
  S_JOIN,
  S_JOIN_LABEL,
  S_INVITE_ONLY,
  S_DURATION,
  S_ATTENDEES,
  S_RECORDING,
  S_RECORDING_LABEL,
  S_CANCELLED_NOTE,
  S_COUNT
};

/* [lang][string]; "%s" is filled by fill(), not printf (the table is data). */
static const char *const strings[2][S_COUNT] = {
  {
      [S_SCHEDULED] = "Meeting scheduled: %s",
      [S_CHANGED] = "Meeting changed: %s",
      [S_REMINDER] = "Reminder: %s",
      [S_OPEN_NOW] = "Meeting open now: %s",
      [S_CANCELLED] = "Meeting cancelled: %s",
      [S_SUMMARY] = "Meeting summary: %s",
      [S_WHEN] = "When",
      [S_ORGANIZER] = "Organizer",
      [S_CHANGES] = "Changed",
      [S_STARTS_IN] = "Starts in %s minutes",
      [S_JOIN] = "Join",
      [S_JOIN_LABEL] = "Join meeting",
      [S_INVITE_ONLY] = "Invite-only meeting: personal join links were sent to the invitees.",
      [S_DURATION] = "Duration",
      [S_ATTENDEES] = "Attendees",
      [S_RECORDING] = "Recording",
      [S_RECORDING_LABEL] = "Watch recording",
      [S_CANCELLED_NOTE] = "This meeting will not take place.",
  },
  {
      [S_SCHEDULED] = "会议已预约：%s",
      [S_CHANGED] = "会议已变更：%s",
      [S_REMINDER] = "会议提醒：%s",
      [S_OPEN_NOW] = "会议已开始：%s",
      [S_CANCELLED] = "会议已取消：%s",
      [S_SUMMARY] = "会议纪要：%s",
      [S_WHEN] = "时间",
      [S_ORGANIZER] = "发起人",
      [S_CHANGES] = "变更",
      [S_STARTS_IN] = "%s 分钟后开始",
      [S_JOIN] = "入会",
      [S_JOIN_LABEL] = "加入会议",
      [S_INVITE_ONLY] = "仅限受邀人参加：个人入会链接已单独发送给受邀人。",
      [S_DURATION] = "时长",
      [S_ATTENDEES] = "参会人",
      [S_RECORDING] = "录制",
      [S_RECORDING_LABEL] = "观看录制",
      [S_CANCELLED_NOTE] = "本次会议不再举行。",
  },
};

static const char *const weekdays[2][7] = {
  { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" },
  { "周一", "周二", "周三", "周四", "周五", "周六", "周日" },
};

#define STR(lang, id) (strings[(lang)][(id)])

/* tmpl with its "%s" replaced by value. */
static char *
fill(const char *tmpl, const char *value)
{
  const char *at = strstr(tmpl, "%s");
  if (!at)
    return g_strdup(tmpl);
  return g_strdup_printf("%.*s%s%s", (int)(at - tmpl), tmpl, value, at + 2);
}

/* Valid UTF-8 on one line (control characters become spaces: no forged
 * lines in the console's log or a chat), at most max characters. */
char *
mg_chatmsg_clip(const char *s, guint max)
{
  g_autofree char *valid = g_utf8_make_valid(s ? s : "", -1);
  for (char *p = valid; *p; p++)
    if ((guchar)*p < 0x20 || *p == 0x7f)
      *p = ' ';
  if (max == 0 || (guint)g_utf8_strlen(valid, -1) <= max)
    return g_steal_pointer(&valid);
  g_autofree char *head = g_utf8_substring(valid, 0, max > 1 ? max - 1 : 0);
  g_strchomp(head);
  return g_strconcat(head, "…", NULL);
}

char *
mg_chatmsg_rfc3339(gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(t);
  return dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : g_strdup("");
}

/* Locale-free: the weekday comes from our table, not strftime's %a. */
static char *
format_when(gint64 start, gint64 end, const char *tzid, int lang)
{
  g_autoptr(GTimeZone) tz = tzid ? g_time_zone_new_identifier(tzid) : NULL;
  if (!tz)
    tz = g_time_zone_new_utc();
  const char *zone = tzid && g_strcmp0(g_time_zone_get_identifier(tz), "UTC") ? tzid : "UTC";
  g_autoptr(GDateTime) us = g_date_time_new_from_unix_utc(start);
  g_autoptr(GDateTime) ue = g_date_time_new_from_unix_utc(end > start ? end : start);
  if (!us || !ue)
    return g_strdup("?");
  g_autoptr(GDateTime) s = g_date_time_to_timezone(us, tz);
  g_autoptr(GDateTime) e = g_date_time_to_timezone(ue, tz);
  g_autofree char *day = g_date_time_format(s, "%Y-%m-%d");
  g_autofree char *from = g_date_time_format(s, "%H:%M");
  const char *wd = weekdays[lang][g_date_time_get_day_of_week(s) - 1];
  gboolean same_day = g_date_time_get_year(s) == g_date_time_get_year(e) &&
                      g_date_time_get_day_of_year(s) == g_date_time_get_day_of_year(e);
  g_autofree char *to = g_date_time_format(e, same_day ? "%H:%M" : "%Y-%m-%d %H:%M");
  return g_strdup_printf("%s (%s) %s–%s %s", day, wd, from, to, zone);
}

/* Text from the OA (titles, names, changes) is shown as text, never as
 * markup: Slack gets & < > as entities, markdown flavors a backslash before
 * every character that could start inline markup (CommonMark escapes:
 * emphasis, code, links, HTML, strikethrough, table cells, math), so a title
 * cannot smuggle in a link. Field values never start a line, so # - + > need
 * no escape. */
static char *
esc(const char *s, MgChatFlavor flavor)
{
  GString *out = g_string_sized_new(strlen(s) + 8);
  for (const char *p = s; *p; p++) {
    if (flavor == MG_CHAT_FLAVOR_SLACK && *p == '&')
      g_string_append(out, "&amp;");
    else if (flavor == MG_CHAT_FLAVOR_SLACK && *p == '<')
      g_string_append(out, "&lt;");
    else if (flavor == MG_CHAT_FLAVOR_SLACK && *p == '>')
      g_string_append(out, "&gt;");
    else if (flavor == MG_CHAT_FLAVOR_MARKDOWN && strchr("\\`*_[]<>|~$", *p)) {
      g_string_append_c(out, '\\');
      g_string_append_c(out, *p);
    } else
      g_string_append_c(out, *p);
  }
  return g_string_free(out, FALSE);
}

static void
add_field(GPtrArray *lines, MgChatFlavor flavor, const char *name, const char *value)
{
  g_autofree char *v = esc(value, flavor);
  if (flavor == MG_CHAT_FLAVOR_SLACK)
    g_ptr_array_add(lines, g_strdup_printf("*%s:* %s", name, v));
  else if (flavor == MG_CHAT_FLAVOR_MARKDOWN)
    g_ptr_array_add(lines, g_strdup_printf("**%s:** %s", name, v));
  else
    g_ptr_array_add(lines, g_strdup_printf("%s: %s", name, v));
}

/* The link itself is never escaped or clipped. */
static void
add_link(GPtrArray *lines, MgChatFlavor flavor, const char *name, const char *label, const char *url)
{
  if (flavor == MG_CHAT_FLAVOR_SLACK)
    g_ptr_array_add(lines, g_strdup_printf("*%s:* <%s|%s>", name, url, label));
  else if (flavor == MG_CHAT_FLAVOR_MARKDOWN)
    g_ptr_array_add(lines, g_strdup_printf("**%s:** [%s](%s)", name, label, url));
  else
    g_ptr_array_add(lines, g_strdup_printf("%s: %s", name, url));
}

static char *
join_attendees(const char *const *names, guint cap, int lang)
{
  if (!names || !names[0])
    return NULL;
  g_autofree char *all = g_strjoinv(lang ? "、" : ", ", (char **)names);
  return mg_chatmsg_clip(all, cap ? cap * 4 : 0);
}

static void
add_kind_lines(MgChatText *t, const MgChatEvent *ev, MgChatFlavor flavor, guint cap, int lang)
{
  if (ev->kind == MG_CHAT_EVENT_CHANGED && ev->changes) {
    g_autofree char *c = mg_chatmsg_clip(ev->changes, cap ? cap * 2 : 0);
    add_field(t->lines, flavor, STR(lang, S_CHANGES), c);
  } else if (ev->kind == MG_CHAT_EVENT_REMINDER) {
    char n[16];
    g_snprintf(n, sizeof n, "%d", ev->minutes_until);
    g_ptr_array_add(t->lines, fill(STR(lang, S_STARTS_IN), n));
  } else if (ev->kind == MG_CHAT_EVENT_CANCELLED) {
    g_ptr_array_add(t->lines, g_strdup(STR(lang, S_CANCELLED_NOTE)));
  } else if (ev->kind == MG_CHAT_EVENT_SUMMARY) {
    g_autofree char *d =
        g_strdup_printf(lang ? "%" G_GINT64_FORMAT " 分钟" : "%" G_GINT64_FORMAT " min", (ev->duration_s + 59) / 60);
    add_field(t->lines, flavor, STR(lang, S_DURATION), d);
    g_autofree char *who = join_attendees(ev->attendees, cap, lang);
    if (who)
      add_field(t->lines, flavor, STR(lang, S_ATTENDEES), who);
  }
}

/* The join line, the invite-only sentence or the recording link. */
static void
add_link_lines(MgChatText *t, const MgChatEvent *ev, MgChatFlavor flavor, int lang)
{
  if (ev->kind == MG_CHAT_EVENT_CANCELLED)
    return;
  if (ev->kind == MG_CHAT_EVENT_SUMMARY) {
    if (ev->recording_url) {
      t->link = ev->recording_url;
      t->label = STR(lang, S_RECORDING_LABEL);
      add_link(t->lines, flavor, STR(lang, S_RECORDING), t->label, t->link);
    }
    return;
  }
  if (ev->join_url) {
    /* A Chinese chat's link opens the meeting page in Chinese (docs/meeting-page.md). */
    if (lang)
      t->join_link = g_strdup_printf("%s%clang=zh", ev->join_url, strchr(ev->join_url, '?') ? '&' : '?');
    t->link = t->join_link ? t->join_link : ev->join_url;
    t->label = STR(lang, S_JOIN_LABEL);
    add_link(t->lines, flavor, STR(lang, S_JOIN), t->label, t->link);
  } else {
    g_ptr_array_add(t->lines, g_strdup(STR(lang, S_INVITE_ONLY)));
  }
}

MgChatText *
mg_chatmsg_text_render(const MgChatEvent *ev, MgChatFlavor flavor, guint cap)
{
  static const int heads[] = {
    [MG_CHAT_EVENT_SCHEDULED] = S_SCHEDULED, [MG_CHAT_EVENT_CHANGED] = S_CHANGED,
    [MG_CHAT_EVENT_REMINDER] = S_REMINDER,   [MG_CHAT_EVENT_OPEN_NOW] = S_OPEN_NOW,
    [MG_CHAT_EVENT_CANCELLED] = S_CANCELLED, [MG_CHAT_EVENT_SUMMARY] = S_SUMMARY,
  };
  int lang = g_strcmp0(ev->lang, "zh") == 0 ? 1 : 0;
  MgChatText *t = g_new0(MgChatText, 1);
  t->lines = g_ptr_array_new_with_free_func(g_free);
  t->title = mg_chatmsg_clip(ev->title, cap);
  t->headline = fill(STR(lang, heads[ev->kind]), t->title);

  g_autofree char *when = format_when(ev->start, ev->end, ev->timezone, lang);
  add_field(t->lines, flavor, STR(lang, S_WHEN), when);
  if (ev->organizer) {
    g_autofree char *org = mg_chatmsg_clip(ev->organizer, cap);
    add_field(t->lines, flavor, STR(lang, S_ORGANIZER), org);
  }
  add_kind_lines(t, ev, flavor, cap, lang);
  add_link_lines(t, ev, flavor, lang);
  return t;
}

void
mg_chatmsg_text_free(MgChatText *t)
{
  if (!t)
    return;
  g_free(t->headline);
  g_free(t->title);
  g_free(t->join_link);
  g_ptr_array_unref(t->lines);
  g_free(t);
}

char *
mg_chatmsg_text_join(const MgChatText *t, MgChatFlavor flavor, gboolean with_headline, const char *sep)
{
  GString *out = g_string_new(NULL);
  if (with_headline) {
    g_autofree char *h = esc(t->headline, flavor);
    const char *bold = flavor == MG_CHAT_FLAVOR_SLACK ? "*" : flavor == MG_CHAT_FLAVOR_MARKDOWN ? "**" : "";
    g_string_append_printf(out, "%s%s%s", bold, h, bold);
  }
  for (guint i = 0; i < t->lines->len; i++) {
    if (out->len)
      g_string_append(out, sep);
    g_string_append(out, g_ptr_array_index(t->lines, i));
  }
  return g_string_free(out, FALSE);
}

/* SPDX-License-Identifier: MIT
 * Shared between chatmsg-text.c (the words) and chatmsg.c (the requests). */
#pragma once

#include "signaling/chatmsg.h"

typedef enum {
  MG_CHAT_FLAVOR_PLAIN,    /* console, Teams TextBlocks */
  MG_CHAT_FLAVOR_SLACK,    /* Slack mrkdwn: *bold*, <url|label>, & < > escaped */
  MG_CHAT_FLAVOR_MARKDOWN, /* Mattermost, DingTalk, WeCom, Feishu lark_md: **bold**, [label](url) */
} MgChatFlavor;

typedef struct {
  char *headline;    /* "Meeting scheduled: <title>", plain, title clipped */
  char *title;       /* the title, clipped */
  GPtrArray *lines;  /* body lines in the flavor (no headline) */
  const char *link;  /* the button's link (join or recording), borrowed; NULL = no button */
  const char *label; /* the button's label */
  char *join_link;   /* owned: the join URL with lang=zh for a Chinese chat (link points here) */
} MgChatText;

/* Renders ev; the title, the changes and the attendee list are clipped to
 * about cap characters (0 = no clipping) with an ellipsis; links never are. */
MgChatText *mg_chatmsg_text_render(const MgChatEvent *ev, MgChatFlavor flavor, guint cap);
void mg_chatmsg_text_free(MgChatText *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MgChatText, mg_chatmsg_text_free)

/* The headline (bold in the flavor unless bold_headline is FALSE) and the lines joined by sep. (transfer full) */
char *mg_chatmsg_text_join(const MgChatText *t, MgChatFlavor flavor, gboolean with_headline, const char *sep);

/* s clipped to max characters, the last one an ellipsis; s made valid UTF-8. (transfer full) */
char *mg_chatmsg_clip(const char *s, guint max);

/* UTC seconds as RFC 3339 ("2026-03-02T02:00:00Z"). (transfer full) */
char *mg_chatmsg_rfc3339(gint64 t);

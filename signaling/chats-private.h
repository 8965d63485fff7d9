/* SPDX-License-Identifier: MIT
 * Shared between chats.c, chats-json.c and chats-match.c. */
#pragma once

#include "signaling/chats.h"

G_BEGIN_DECLS

gboolean mg_chats_webhook_url_ok(const char *url);

/* The settings column: webhook_url, secret, jid, room, nick, host, port. (transfer full) */
char *mg_chats_settings_to_json(const MgChat *chat);
/* Fills chat's connector settings from the settings column (unknown keys ignored). */
void mg_chats_settings_from_json(const char *text, MgChat *chat);
/* The rules column: {departments:[...], people:[...], sources:[...]}. (transfer full) */
char *mg_chats_rules_to_json(const MgChatRules *rules);
void mg_chats_rules_from_json(const char *text, MgChatRules *rules);

G_END_DECLS

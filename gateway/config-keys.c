/* SPDX-License-Identifier: MIT
 * Every configuration key meetgate accepts, with its default and what is allowed.
 * conf/meetgate.conf and docs/configuration.md describe the same keys. */
#include "gateway/config.h"

#define STR(s, k, d, h)                                                                                                \
  {                                                                                                                    \
    s, k, MG_CONFIG_STRING, d, 0, 0, NULL, FALSE, h                                                                    \
  }
#define SECRET(s, k, h)                                                                                                \
  {                                                                                                                    \
    s, k, MG_CONFIG_STRING, NULL, 0, 0, NULL, TRUE, h                                                                  \
  }
#define INT(s, k, d, lo, hi, h)                                                                                        \
  {                                                                                                                    \
    s, k, MG_CONFIG_INT, d, lo, hi, NULL, FALSE, h                                                                     \
  }
#define BOOL(s, k, d, h)                                                                                               \
  {                                                                                                                    \
    s, k, MG_CONFIG_BOOL, d, 0, 0, NULL, FALSE, h                                                                      \
  }
#define ENUM(s, k, d, c, h)                                                                                            \
  {                                                                                                                    \
    s, k, MG_CONFIG_ENUM, d, 0, 0, c, FALSE, h                                                                         \
  }
#define ADDR(s, k, d, h)                                                                                               \
  {                                                                                                                    \
    s, k, MG_CONFIG_ADDRESS, d, 0, 0, NULL, FALSE, h                                                                   \
  }

const MgConfigKey mg_config_keys[] = {
  ADDR("server", "listen", "127.0.0.1:8080", "HTTP/WebSocket listen address, host:port (port 0: any free port)"),
  STR("server", "public_url", NULL, "URL people use to reach this server, for links; default http(s)://<listen>"),
  STR("server", "data_dir", NULL, "state folder (store, secret); default $XDG_STATE_HOME/meetgate"),
  STR("server", "tls_cert", NULL, "PEM certificate chain; with tls_key, serve HTTPS and WSS"),
  STR("server", "tls_key", NULL, "PEM private key for tls_cert"),
  INT("server", "max_body", "1048576", 1024, 268435456, "largest request body accepted, bytes"),
  INT("server", "max_header", "8192", 1024, 65536, "largest request header block accepted, bytes"),
  INT("server", "max_ws_message", "65536", 1024, 16777216, "largest WebSocket message accepted, bytes"),
  INT("server", "idle_timeout", "60", 5, 3600, "seconds before an idle HTTP connection is closed"),
  BOOL("server", "production", "false", "refuse to start with a generated, default or short secret"),
  SECRET("server", "secret",
         "signing secret for join tokens (>= 32 chars); generated and stored in data_dir when unset"),
  SECRET("admin", "keys", "admin API keys: name:role:key,... with role viewer or operator, key >= 16 chars"),
  SECRET("metrics", "token", "bearer token /metrics requires (unset: /metrics is open)"),
  SECRET("oa", "sources",
         "OA systems that push meetings: name:apikey[:webhook-secret],...; key and secret >= 16 chars"),
  SECRET("oa", "callbacks",
         "attendance callbacks: source=url,...; the source needs a webhook secret in [oa] sources (it signs them)"),
  SECRET("events", "webhooks", "event webhooks: name:secret:url,...; secret >= 16 chars, signs each request"),
  STR("events", "types",
      "room_started,room_finished,participant_joined,participant_left,track_published,track_unpublished,"
      "recording_started,recording_finished",
      "event types the webhooks get, comma-separated"),
  INT("schedule", "lead_minutes", "10", 0, 1440, "a meeting's room opens this many minutes before its start"),
  INT("schedule", "grace_minutes", "15", 0, 1440, "a meeting's room closes this many minutes after its end"),
  STR("schedule", "reminders", "10,0", "reminders, in minutes before the start, comma-separated (none: no reminders)"),
  BOOL("chat", "console_default", "true",
       "with no chat configured, meeting messages go to the built-in console chat (the log)"),
  BOOL("chat", "xmpp_require_tls", "true",
       "XMPP chats: refuse a server that does not offer STARTTLS (false only for a trusted local server)"),
  INT("chat", "max_attempts", "8", 1, 100, "attempts before a chat message is dead-lettered"),
  INT("chat", "max_in_flight", "32", 1, 1024, "chat requests at once over all chats (one per chat)"),
  INT("chat", "request_timeout_ms", "10000", 100, 300000, "time one chat webhook request may take, ms"),
  ENUM("log", "format", "auto", "auto|text|json", "auto: text on a terminal, JSON lines otherwise"),
  ENUM("log", "level", "info", "error|warning|info|debug", "default level for every module"),
  STR("log", "modules", NULL, "per-module levels, e.g. http=debug,store=warning"),
  STR("store", "path", NULL, "SQLite database file; default <data_dir>/meetgate.db"),
  INT("media", "workers", "0", 0, 256, "media worker threads; 0 = one per core"),
  STR("media", "addresses", NULL,
      "IP addresses for ICE host candidates, comma-separated; default: every non-loopback address"),
  STR("media", "advertised_address", NULL, "public IP of a 1:1 NAT in front of meetgate, added as a host candidate"),
  INT("media", "port_min", "0", 0, 65535, "lowest UDP port for media; 0 with port_max 0: any"),
  INT("media", "port_max", "0", 0, 65535, "highest UDP port for media"),
  BOOL("media", "ice_tcp", "false", "also offer ICE-TCP candidates"),
  INT("media", "dtls_timeout", "10", 1, 60, "seconds a DTLS handshake may take"),
  STR("recording", "dir", NULL, "where recordings go, <dir>/<room>/<timestamp>/; default <data_dir>/recordings"),
  ENUM("recording", "composite", "webm", "none|webm|mp4",
       "after the per-track files, one composed file: webm (VP8/Opus), mp4 (H.264/AAC) or none"),
  { NULL },
};

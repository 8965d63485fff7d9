/* SPDX-License-Identifier: MIT
 * What a chat platform's answer means for a message: delivered, try again
 * (when), or give up (why). Pure: no I/O. See docs/chat.md for the codes. */
#pragma once

#include <glib.h>

#include "signaling/chatmsg.h"

G_BEGIN_DECLS

typedef enum {
  MG_CHATRESP_OK,
  MG_CHATRESP_RETRY, /* network error, 5xx, 429, a platform's rate-limit code */
  MG_CHATRESP_FAIL,  /* permanent: another 4xx, a platform's error code */
} MgChatrespVerdict;

typedef struct {
  int status;           /* HTTP status; 0: no answer (transport error) */
  const char *error;    /* the transport error text, or NULL */
  const char *body;     /* NUL-terminated, possibly truncated; may be NULL */
  gint64 retry_after_s; /* Retry-After in seconds, -1 when absent */
} MgChatrespAnswer;

/* Classifies answer a from a platform of kind. *retry_after_s (if not NULL)
 * is the wait the platform asked for (-1: none); *message (if not NULL) is a
 * short text for last_error (transfer full; NULL for OK). */
MgChatrespVerdict mg_chatresp_classify(MgChatConnectorKind kind, const MgChatrespAnswer *a, gint64 *retry_after_s,
                                       char **message);

const char *mg_chatresp_verdict_name(MgChatrespVerdict v);

G_END_DECLS

/* SPDX-License-Identifier: MIT
 * WHIP/WHEP PATCH bodies: application/trickle-ice-sdpfrag (RFC 8840). */
#include "gateway/whip.h"

#include <string.h>

#define SDPFRAG_MAX_LINES 1000

void
mg_whip_sdpfrag_clear(MgWhipSdpFrag *frag)
{
  g_clear_pointer(&frag->candidates, g_ptr_array_unref);
  g_clear_pointer(&frag->ufrag, g_free);
  g_clear_pointer(&frag->pwd, g_free);
  frag->end = FALSE;
}

/* RFC 8839: ice-char = ALPHA / DIGIT / "+" / "/", ufrag 4..256, pwd 22..256. */
static gboolean
ice_chars(const char *s, gsize min, gsize max)
{
  gsize n = strlen(s);
  if (n < min || n > max)
    return FALSE;
  for (; *s; s++)
    if (!g_ascii_isalnum(*s) && *s != '+' && *s != '/')
      return FALSE;
  return TRUE;
}

gboolean
mg_whip_parse_sdpfrag(const char *text, gsize len, MgWhipSdpFrag *frag, const char **why)
{
  mg_whip_sdpfrag_clear(frag);
  frag->candidates = g_ptr_array_new_with_free_func(g_free);
  if (len && memchr(text, '\0', len)) {
    *why = "the body holds a NUL byte";
    return FALSE;
  }
  g_autofree char *copy = g_strndup(text ? text : "", text ? len : 0);
  g_auto(GStrv) lines = g_strsplit(copy, "\n", -1);
  if (g_strv_length(lines) > SDPFRAG_MAX_LINES) {
    *why = "more than 1000 lines";
    return FALSE;
  }
  for (char **l = lines; *l; l++) {
    g_strstrip(*l);
    if (g_str_has_prefix(*l, "a=candidate:"))
      g_ptr_array_add(frag->candidates, g_strdup(*l + 2));
    else if (g_str_has_prefix(*l, "a=ice-ufrag:"))
      g_free(frag->ufrag), frag->ufrag = g_strdup(*l + 12);
    else if (g_str_has_prefix(*l, "a=ice-pwd:"))
      g_free(frag->pwd), frag->pwd = g_strdup(*l + 10);
    else if (!strcmp(*l, "a=end-of-candidates"))
      frag->end = TRUE;
  }
  if ((frag->ufrag && !ice_chars(frag->ufrag, 4, 256)) || (frag->pwd && !ice_chars(frag->pwd, 22, 256))) {
    *why = "a=ice-ufrag (4 to 256) or a=ice-pwd (22 to 256) is not made of ALPHA, DIGIT, '+' and '/'";
    return FALSE;
  }
  return TRUE;
}

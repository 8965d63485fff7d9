/* SPDX-License-Identifier: MIT
 * libFuzzer target for the iCalendar import: import, expand every meeting
 * over a month with its overrides, and write each one as an invite that must
 * import again. Seeds: tests/fuzz/corpus/ical/. */
#include "signaling/ical.h"
#include "signaling/invite.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
expand(const MgMeeting *m, GPtrArray *all)
{
  g_autoptr(GArray) occ = mg_meeting_expand_series(m, all, m->start - 86400, m->start + 31 * 86400, 100, NULL);
  if (occ)
    g_assert_cmpuint(occ->len, <=, 100);
}

static void
round_trip(const MgMeeting *m)
{
  g_autofree char *ics = mg_invite_ics(m, "https://meet.example.com/j/x", NULL, m->cancelled, 1700000000);
  if (!ics)
    return;
  g_auto(MgIcalResult) back = { 0 };
  g_autoptr(GError) error = NULL;
  if (!mg_ical_import(ics, "fuzz", &back, &error))
    g_error("an invite we wrote does not import: %s\n%s", error->message, ics);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *text = size ? g_strndup((const char *)data, size) : g_strdup("");
  g_auto(MgIcalResult) r = { 0 };
  if (mg_ical_import(text, "fuzz", &r, NULL)) {
    for (guint i = 0; i < r.meetings->len && i < 16; i++) {
      const MgMeeting *m = g_ptr_array_index(r.meetings, i);
      if (!m->recurrence_id)
        expand(m, r.meetings);
      round_trip(m);
    }
  }
  g_free(text);
  return 0;
}

/* SPDX-License-Identifier: MIT
 * Shared between the iCalendar files of the signaling module (and their tests). */
#pragma once

#include <glib.h>

typedef struct {
  const char *windows;
  const char *iana;
} MgWindowsZone;

/* CLDR windowsZones.xml, territory "001" (the zone each Windows name means). */
extern const MgWindowsZone mg_ical_windows_zones[];
extern const guint mg_ical_n_windows_zones;

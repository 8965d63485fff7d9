/* SPDX-License-Identifier: MIT */
#pragma once

#include "signaling/store.h"

extern const char *const mg_store_migrations[];

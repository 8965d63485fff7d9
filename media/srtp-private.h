/* SPDX-License-Identifier: MIT
 * Inside the srtp module: the OpenSSL AES-GCM sender (srtp-gcm.c) that
 * srtp.c uses for outbound sessions of the AEAD profiles. */
#pragma once

#include "media/srtp.h"

typedef struct MgSrtpGcm MgSrtpGcm;

/* Derives the session keys and salts (RFC 3711 4.3.1) from a 16- or 32-byte
 * master key and the 12-byte master salt. NULL if OpenSSL fails. (transfer full) */
MgSrtpGcm *mg_srtp_gcm_new(const guint8 *master_key, gsize key_len, const guint8 *master_salt);
void mg_srtp_gcm_free(MgSrtpGcm *g);
/* RFC 7714 in place; the same contract and return codes as mg_srtp_protect_rtp()
 * and mg_srtp_protect_rtcp(), without the counting. */
int mg_srtp_gcm_protect_rtp(MgSrtpGcm *g, guint8 *buf, gsize *len, gsize cap);
int mg_srtp_gcm_protect_rtcp(MgSrtpGcm *g, guint8 *buf, gsize *len, gsize cap);

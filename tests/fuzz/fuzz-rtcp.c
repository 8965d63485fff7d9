/* SPDX-License-Identifier: MIT
 * Fuzz target: RTCP compound iteration, every typed accessor, and the
 * feedback SSRC rewrite on a copy. */
#include "media/rtcp.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static gboolean
flip(guint32 ssrc, guint32 *mapped, gpointer user_data)
{
  *mapped = ~ssrc;
  return (ssrc & 1) == 0;
}

static void
inspect(const MgRtcpPacket *p)
{
  MgRtcpSr sr;
  MgRtcpReportBlock rb;
  MgRtcpFb fb;
  MgRtcpRemb remb;
  guint16 seqs[64];
  guint32 ssrc;
  guint8 nr;
  g_assert(p->len >= 4);
  mg_rtcp_sr_parse(p, &sr);
  mg_rtcp_rr_parse(p, &ssrc);
  for (guint i = 0; i < 32; i++) {
    mg_rtcp_get_report_block(p, i, &rb);
    mg_rtcp_bye_get_ssrc(p, i, &ssrc);
    mg_rtcp_fir_get(p, i, &ssrc, &nr);
  }
  if (mg_rtcp_fb_parse(p, &fb) == 0)
    g_assert(fb.fci + fb.fci_len == p->data + p->len);
  g_assert(mg_rtcp_nack_expand(p, seqs, G_N_ELEMENTS(seqs)) <= (int)G_N_ELEMENTS(seqs));
  mg_rtcp_fir_count(p);
  if (mg_rtcp_remb_parse(p, &remb) == 0) {
    for (guint i = 0; i < remb.n_ssrc; i++)
      mg_rtcp_remb_get_ssrc(&remb, i);
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  MgRtcpIter it;
  MgRtcpPacket p;
  guint8 copy[2048];
  mg_rtcp_validate(data, size);
  mg_rtcp_iter_init(&it, data, size);
  while (mg_rtcp_iter_next(&it, &p) > 0)
    inspect(&p);
  if (size <= sizeof(copy)) {
    memcpy(copy, data, size);
    mg_rtcp_rewrite_media_ssrcs(copy, size, flip, NULL);
  }
  /* Builders fed from the input: NACK packing must round-trip. */
  if (size >= 2 && size <= 128) {
    guint16 lost[64], back[64 * 17];
    guint n = size / 2;
    guint8 out[12 + 4 * 64];
    MgRtcpPacket q;
    for (guint i = 0; i < n; i++)
      lost[i] = (guint16)(data[2 * i] << 8 | data[2 * i + 1]);
    int len = mg_rtcp_build_nack(out, sizeof(out), 1, 2, lost, n);
    g_assert(len > 0);
    mg_rtcp_iter_init(&it, out, len);
    g_assert(mg_rtcp_iter_next(&it, &q) == 1 && q.type == MG_RTCP_TYPE_NACK);
    int m = mg_rtcp_nack_expand(&q, back, G_N_ELEMENTS(back));
    for (guint i = 0; i < n; i++) {
      gboolean found = FALSE;
      for (int j = 0; j < m && !found; j++)
        found = back[j] == lost[i];
      g_assert(found);
    }
  }
  return 0;
}

/* SPDX-License-Identifier: MIT
 * RTP header parsing and RFC 8285 header extensions, all in place: the
 * forwarding path never copies or allocates per packet. */
#include "media/rtp.h"

#include <errno.h>
#include <string.h>

static inline guint16
rd16(const guint8 *p)
{
  return (guint16)(p[0] << 8 | p[1]);
}

static inline guint32
rd32(const guint8 *p)
{
  return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

int
mg_rtp_parse(const guint8 *buf, size_t len, MgRtpHeader *hdr)
{
  if (len < MG_RTP_HEADER_MIN || (buf[0] >> 6) != 2)
    return -EINVAL;
  memset(hdr, 0, sizeof(*hdr));
  hdr->version = 2;
  hdr->padding = (buf[0] >> 5) & 1;
  hdr->extension = (buf[0] >> 4) & 1;
  hdr->csrc_count = buf[0] & 0x0f;
  hdr->marker = buf[1] >> 7;
  hdr->pt = buf[1] & 0x7f;
  hdr->seq = rd16(buf + 2);
  hdr->ts = rd32(buf + 4);
  hdr->ssrc = rd32(buf + 8);

  size_t off = MG_RTP_HEADER_MIN + 4u * hdr->csrc_count;
  if (off > len)
    return -EINVAL;
  if (hdr->extension) {
    if (off + 4 > len)
      return -EINVAL;
    size_t ext_len = 4u * rd16(buf + off + 2);
    hdr->ext_profile = rd16(buf + off);
    hdr->ext_offset = off + 4;
    hdr->ext_len = ext_len;
    off += 4 + ext_len;
    if (off > len)
      return -EINVAL;
  }
  size_t end = len;
  if (hdr->padding) {
    guint8 pad = buf[len - 1];
    if (pad == 0 || pad > len - off)
      return -EINVAL;
    hdr->padding_len = pad;
    end -= pad;
  }
  hdr->payload_offset = off;
  hdr->payload_len = end - off;
  return 0;
}

/* Walks the elements of the extension block until id is found. */
int
mg_rtp_ext_find(const guint8 *buf, const MgRtpHeader *hdr, guint id, size_t *offset, size_t *len)
{
  if (!hdr->extension || id == 0)
    return -ENOENT;
  const guint8 *p = buf + hdr->ext_offset;
  size_t n = hdr->ext_len, i = 0;
  if (hdr->ext_profile == MG_RTP_EXT_ONE_BYTE) {
    if (id > 14)
      return -ENOENT;
    while (i < n) {
      guint eid = p[i] >> 4, elen = (p[i] & 0x0f) + 1u;
      if (eid == 0) { /* padding byte */
        i++;
        continue;
      }
      if (eid == 15) /* reserved: stop processing */
        return -ENOENT;
      if (i + 1 + elen > n)
        return -EINVAL;
      if (eid == id) {
        *offset = hdr->ext_offset + i + 1;
        *len = elen;
        return 0;
      }
      i += 1 + elen;
    }
    return -ENOENT;
  }
  if ((hdr->ext_profile & 0xfff0) == MG_RTP_EXT_TWO_BYTE) {
    if (id > 255)
      return -ENOENT;
    while (i < n) {
      guint eid = p[i];
      if (eid == 0) {
        i++;
        continue;
      }
      if (i + 2 > n || i + 2 + p[i + 1] > n)
        return -EINVAL;
      size_t elen = p[i + 1];
      if (eid == id) {
        *offset = hdr->ext_offset + i + 2;
        *len = elen;
        return 0;
      }
      i += 2 + elen;
    }
    return -ENOENT;
  }
  return -ENOENT;
}

/* Finds id and requires a data length of exactly want bytes. */
static int
find_sized(const guint8 *buf, const MgRtpHeader *hdr, guint id, size_t want, size_t *offset)
{
  size_t len;
  int r = mg_rtp_ext_find(buf, hdr, id, offset, &len);
  if (r < 0)
    return r;
  return len == want ? 0 : -EINVAL;
}

int
mg_rtp_ext_get_string(const guint8 *buf, const MgRtpHeader *hdr, guint id, char *out, size_t out_size)
{
  size_t off, len;
  int r = mg_rtp_ext_find(buf, hdr, id, &off, &len);
  if (r < 0)
    return r;
  if (len + 1 > out_size)
    return -ENOSPC;
  memcpy(out, buf + off, len);
  out[len] = '\0';
  /* A NUL inside the element would silently truncate the name. */
  if (memchr(out, '\0', len))
    return -EINVAL;
  return (int)len;
}

int
mg_rtp_ext_get_abs_send_time(const guint8 *buf, const MgRtpHeader *hdr, guint id, guint32 *value)
{
  size_t off;
  int r = find_sized(buf, hdr, id, 3, &off);
  if (r == 0)
    *value = (guint32)buf[off] << 16 | (guint32)buf[off + 1] << 8 | buf[off + 2];
  return r;
}

int
mg_rtp_ext_set_abs_send_time(guint8 *buf, const MgRtpHeader *hdr, guint id, guint32 value)
{
  size_t off;
  int r = find_sized(buf, hdr, id, 3, &off);
  if (r == 0) {
    buf[off] = (value >> 16) & 0xff;
    buf[off + 1] = (value >> 8) & 0xff;
    buf[off + 2] = value & 0xff;
  }
  return r;
}

int
mg_rtp_ext_get_twcc_seq(const guint8 *buf, const MgRtpHeader *hdr, guint id, guint16 *seq)
{
  size_t off;
  int r = find_sized(buf, hdr, id, 2, &off);
  if (r == 0)
    *seq = rd16(buf + off);
  return r;
}

int
mg_rtp_ext_set_twcc_seq(guint8 *buf, const MgRtpHeader *hdr, guint id, guint16 seq)
{
  size_t off;
  int r = find_sized(buf, hdr, id, 2, &off);
  if (r == 0) {
    buf[off] = seq >> 8;
    buf[off + 1] = seq & 0xff;
  }
  return r;
}

int
mg_rtp_ext_get_audio_level(const guint8 *buf, const MgRtpHeader *hdr, guint id, guint8 *level, gboolean *voice)
{
  size_t off, len;
  int r = mg_rtp_ext_find(buf, hdr, id, &off, &len);
  if (r < 0)
    return r;
  /* One byte; some senders pad the two-byte form to more. */
  if (len < 1)
    return -EINVAL;
  *voice = buf[off] >> 7;
  *level = buf[off] & 0x7f;
  return 0;
}

int
mg_rtp_ext_clear(guint8 *buf, const MgRtpHeader *hdr, guint id)
{
  size_t off, len;
  int r = mg_rtp_ext_find(buf, hdr, id, &off, &len);
  if (r < 0)
    return r;
  /* Element header included: padding is a zero byte in both forms. */
  size_t head = hdr->ext_profile == MG_RTP_EXT_ONE_BYTE ? 1 : 2;
  memset(buf + off - head, 0, len + head);
  return 0;
}

int
mg_rtp_strip_extensions(guint8 *buf, size_t len, MgRtpHeader *hdr)
{
  if (!hdr->extension)
    return (int)len;
  size_t block = hdr->ext_len + 4;
  size_t start = hdr->ext_offset - 4;
  if (hdr->ext_offset < 4 || start + block > len || len > G_MAXINT)
    return -EINVAL;
  memmove(buf + start, buf + start + block, len - start - block);
  buf[0] &= ~0x10;
  hdr->extension = FALSE;
  hdr->ext_profile = 0;
  hdr->ext_offset = 0;
  hdr->ext_len = 0;
  hdr->payload_offset -= block;
  return (int)(len - block);
}

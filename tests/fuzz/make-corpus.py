#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Writes the checked-in seed corpus of the fuzz targets: a handful of valid
# and deliberately broken inputs each. Run from anywhere with /usr/bin/python3
# (the srtp seeds need Debian's python3-pylibsrtp and python3-openssl; without
# them corpus/srtp/ is left as it is). corpus/sdp/ holds captured offers and
# is not written here.
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def rtp(seq=1, ts=1000, ssrc=0x1234, pt=96, marker=0, csrcs=(), ext=None, payload=b"\x90\x80\x01\x10", pad=0):
    b0 = 0x80 | (0x20 if pad else 0) | (0x10 if ext else 0) | len(csrcs)
    out = struct.pack("!BBHII", b0, (marker << 7) | pt, seq & 0xFFFF, ts, ssrc)
    out += b"".join(struct.pack("!I", c) for c in csrcs)
    if ext:
        profile, data = ext
        data += b"\0" * (-len(data) % 4)
        out += struct.pack("!HH", profile, len(data) // 4) + data
    out += payload
    if pad:
        out += b"\0" * (pad - 1) + bytes([pad])
    return out


def one_byte(*elems):
    return (0xBEDE, b"".join(bytes([(i << 4) | (len(d) - 1)]) + d for i, d in elems))


def two_byte(*elems):
    return (0x1000, b"".join(bytes([i, len(d)]) + d for i, d in elems))


def rtcp(pt, count, body, pad=0):
    body += b"\0" * (-len(body) % 4)
    if pad:
        body += b"\0" * (pad - 1) + bytes([pad])
    return struct.pack("!BBH", 0x80 | (0x20 if pad else 0) | count, pt, len(body) // 4) + body


BLOCK = struct.pack("!IB3sIIII", 0x2222, 10, b"\xff\xff\xfe", 0x1FFFF, 30, 0x12345678, 0x8000)
SR = rtcp(200, 1, struct.pack("!IQIII", 0x1111, 0xE54C000080000000, 1000, 5, 500) + BLOCK)
RR = rtcp(201, 1, struct.pack("!I", 0x1111) + BLOCK)
SDES = rtcp(202, 1, struct.pack("!I", 0x1111) + b"\x01\x04abcd\x00")
BYE = rtcp(203, 2, struct.pack("!II", 0x1111, 0x3333))
NACK = rtcp(205, 1, struct.pack("!IIHHHH", 0x1111, 0x2222, 65534, 5, 100, 0x8000))
TWCC = rtcp(205, 15, struct.pack("!IIHHI", 0x1111, 0x2222, 1, 2, 0x00000120))
PLI = rtcp(206, 1, struct.pack("!II", 0x1111, 0x2222))
FIR = rtcp(206, 4, struct.pack("!IIIB3x", 0x1111, 0, 0x2222, 7))
REMB = rtcp(206, 15, struct.pack("!II4sBBHII", 0x1111, 0, b"REMB", 2, 0x0D, 0, 0x2222, 0x3333), pad=4)

EXT = one_byte((1, b"0"), (2, b"\x12\x34\x56"), (3, b"\x00\x07"), (4, b"\x9a"), (10, b"h"))

CORPUS = {
    "rtp": {
        "plain": rtp(),
        "marker-wrap": rtp(seq=65535, ts=0xFFFFFFFF, marker=1),
        "one-byte-ext": rtp(ext=EXT),
        "two-byte-ext": rtp(ext=two_byte((1, b"mid0"), (20, b""), (200, b"\x80")), pad=3),
        "csrcs": rtp(csrcs=(1, 2, 3), ext=EXT),
        "truncated": rtp(ext=EXT)[:17],
        "bad-version": b"\x40" + rtp()[1:],
        "ext-overrun": rtp(ext=(0xBEDE, b"\x1f\x00\x00\x00")),
        "bad-padding": rtp(pad=1)[:-1] + b"\xff",
        "empty": b"",
    },
    "rtcp": {
        "sr-sdes-bye": SR + SDES + BYE,
        "rr": RR,
        "feedback": RR + NACK + PLI + TWCC + FIR + REMB,
        "nack-input": struct.pack("!8H", 1, 2, 3, 20, 65535, 0, 17, 40000),
        "bad-version": b"\x40" + RR[1:],
        "length-overrun": RR[:3] + b"\x40" + RR[4:],
        "padding-middle": rtcp(206, 1, struct.pack("!II", 1, 2), pad=4) + RR,
        "rr-count-lie": b"\x9f" + RR[1:],
        "remb-count-lie": REMB[:16] + b"\x40" + REMB[17:],
        "truncated": (SR + NACK)[:33],
    },
    "demux": {
        "vp8-key-15bit": b"\x90\xe0\x80\x01\x05\x20\x10\x00",
        "vp8-7bit": b"\x80\x80\x05\x11",
        "vp8-truncated": b"\x90\xe0\x80",
        "h264-stap-a": b"\x78\x00\x02\x67\x42\x00\x02\x68\xce",
        "h264-fu-a": b"\x7c\x85\x88",
        "vp9-key": b"\xa8\x80\x01\x00\x07",
        "stun": b"\x00\x01\x00\x00\x21\x12\xa4\x42",
        "dtls": b"\x16\xfe\xfd\x00\x00",
        "rtp-sequence": b"".join(
            bytes([len(p)]) + p
            for p in (
                rtp(seq=65534, ssrc=1, payload=b"\x90\xe0\xff\xfe\x05\x20\x10\x00"),
                rtp(seq=65535, ssrc=1, payload=b"\x90\xe0\xff\xff\x05\x20\x11\x00"),
                rtp(seq=10, ssrc=2, payload=b"\x90\xe0\x05\x07\x20\x10\x00"),
                rtp(seq=9, ssrc=2, payload=b"\x90\xe0\x04\x07\x20\x11\x00"),
                rtp(seq=11, ssrc=2, payload=b"\x80"),
            )
        ),
    },
}


# fuzz-srtp.c: one byte choosing the profile (index into this list), then
# datagrams each preceded by a 2-byte length; the key is fuzz-srtp.c's.
SRTP_PROFILES = ["AES128_CM_SHA1_80", "AES128_CM_SHA1_32", "AEAD_AES_128_GCM", "AEAD_AES_256_GCM"]
SRTP_KEY_LEN = {"AES128_CM_SHA1_80": 30, "AES128_CM_SHA1_32": 30, "AEAD_AES_128_GCM": 28, "AEAD_AES_256_GCM": 44}
STUN_BINDING = struct.pack("!HHI12s", 1, 0, 0x2112A442, b"0123456789ab")


def frames(*datagrams):
    return b"".join(struct.pack("!H", len(d)) + d for d in datagrams)


def client_hello():
    from OpenSSL import SSL
    ctx = SSL.Context(SSL.DTLS_METHOD)
    ctx.set_tlsext_use_srtp(b"SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80")
    conn = SSL.Connection(ctx, None)
    conn.set_connect_state()
    try:
        conn.do_handshake()
    except SSL.WantReadError:
        pass
    return conn.bio_read(4096)


def srtp_corpus():
    try:
        import pylibsrtp
        hello = client_hello()
    except ImportError as e:
        print("corpus/srtp left as it is: %s (run with /usr/bin/python3)" % e)
        return None
    seeds = {"dtls-client-hello": b"\x02" + frames(hello, hello[:40], hello)}
    for index, name in enumerate(SRTP_PROFILES):
        policy = pylibsrtp.Policy(key=bytes(range(SRTP_KEY_LEN[name])),
                                  ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND,
                                  srtp_profile=getattr(pylibsrtp.Policy, "SRTP_PROFILE_" + name))
        session = pylibsrtp.Session(policy)
        video = [session.protect(rtp(seq=s, ssrc=0x1234, ext=EXT if s % 2 else None,
                                     payload=b"\x90\xe0\x80\x01\x05\x20\x10\x00" * 20)) for s in (1, 2, 3)]
        video.append(video[1])  # a replay
        audio = session.protect(rtp(seq=7, ssrc=0x5678, pt=111, payload=b"\xfc" * 60, pad=4))
        sr = session.protect_rtcp(SR + SDES)
        fb = session.protect_rtcp(RR + NACK + PLI)
        seeds["media-" + name.lower()] = bytes([index]) + frames(
            STUN_BINDING, hello, *video, audio, sr, fb, video[0][:20], b"\x00" * 1500)
    seeds["garbage"] = b"\x00" + frames(b"\x80", b"\x81\xc8\x00\x01", b"\x3f" * 13, b"\x14\xfe" + b"\xff" * 11)
    return seeds

# Meetings API bodies (webhook JSON).
CORPUS["meetings"] = {
    'bad-types': b'{"external_id":"","title":7,"start":"2026-02-30T25:00:00+99:00","end":null,"attendees":{"id":1},"sequence":1e99,"policy":"lobby"}\n',
    'duplicate-key': b'{"external_id":"x","external_id":"y"}',
    'full': b'{"external_id":"a","title":"T","start":"2026-03-02T09:30:00+08:00","end":"2026-03-02T10:30:00+08:00","timezone":"Asia/Shanghai","organizer":{"id":"o","name":"O","department":"D"},"attendees":[{"id":"u1","name":"Ada","role":"required"},{"name":"no id"}],"chat":"c","policy":"invite-only","sequence":2}\n',
    'garbage': b'\x00{"title":',
    'rdates': b'{"external_id":"s","title":"Series","start":"2026-03-02T09:30:00Z","end":"2026-03-02T10:00:00Z","rdates":["2026-03-09T09:30:00Z","2026-03-16T09:30:00Z"],"exdates":["2026-03-09T09:30:00Z"]}\n',
    'rrule': b'{"external_id":"r","title":"Weekly","start":"2026-03-02T09:30:00+01:00","end":"2026-03-02T10:00:00+01:00","recurrence":"RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=5","timezone":"Europe/Berlin"}\n',
}

# Chats API bodies (chat bindings).
CORPUS["chats"] = {
    'dingtalk': b'{"key":"d","name":"D","connector":"dingtalk","webhook_url":"https://oapi.dingtalk.com/robot/send?access_token=abc123","secret":"SECabcdef","timezone":"Asia/Shanghai","lang":"zh","rate":"20/min","rules":{"departments":["R&D"],"people":["u1"],"sources":["hr"]},"default":true}\n',
    'xmpp': b'{"key":"x","name":"X","connector":"xmpp","jid":"bot@example.org","secret":"password","room":"r@conference.example.org","nick":"mg","host":"127.0.0.1","port":5222}\n',
    'console': b'{"key":"c","name":"C","connector":"console"}',
    'bad-types': b'{"key":1,"name":[],"connector":"slack","webhook_url":{},"port":1e99,"rules":{"people":[null]},"default":"yes"}',
    'bad-url': b'{"key":"s","name":"S","connector":"slack","webhook_url":"https://user:pw@[::1:80/x?%zz=&&"}',
    'duplicate-key': b'{"key":"a","key":"b"}',
    'garbage': b'\x00{"key":',
}


# Recording manifests (recording.json), as meetgate writes them and worse.
CORPUS["recordings"] = {
    'stopped': b'{\n  "id": "5f0c9e1a7b2d4c3e",\n  "room": "d16e4ff1-70d2-4682-9139-9832dc2a18e2",\n  "state": "stopped",\n  "started": "2026-11-26T16:30:00Z",\n  "stopped": "2026-11-26T16:40:00Z",\n  "error": null\n}',
    'failed': b'{"id":"a1","room":"r","state":"failed","started":"2026-11-26T16:30:00Z","stopped":null,"error":"track x: No space left on the resource. (in sink)"}',
    'recording': b'{"id":"a2","room":"r","state":"recording","started":"2026-11-26T16:30:00+08:00"}',
    'traversal': b'{"id":"../../etc","room":"r/../x","state":"stopped"}',
    'bad-types': b'{"id":7,"room":["r"],"state":"paused","started":"yesterday","error":{"x":1}}',
    'duplicate-key': b'{"id":"a","id":"b","room":"r","state":"stopped"}',
    'garbage': b'\x00{"id":',
}

CORPUS["streams"] = {
    'rtmp': b'{"kind": "rtmp", "url": "rtmp://127.0.0.1:1935/live/streamkey"}',
    'rtmps': b'{"kind":"rtmp","url":"rtmps://live.example.com/app/key?token=x"}',
    'hls': b'{"kind":"hls"}',
    'hls-with-url': b'{"kind":"hls","url":"rtmp://h/a/k"}',
    'rtmp-no-url': b'{"kind":"rtmp","url":null}',
    'bad-scheme': b'{"kind":"rtmp","url":"http://h/a/k"}',
    'spaces': b'{"kind":"rtmp","url":"rtmp://h/a/k ey\n"}',
    'no-host': b'{"kind":"rtmp","url":"rtmp:///a/k"}',
    'bad-types': b'{"kind":["rtmp"],"url":7}',
    'garbage': b'\x00{"kind":',
}

# Ingest API bodies (POST /api/v1/admin/rooms/<id>/ingest).
CORPUS["ingest"] = {
    'rtsp': b'{"url": "rtsp://cam:secret@10.0.0.5:554/stream1", "name": "Room camera"}',
    'file': b'{"url": "file:///srv/media/welcome.webm"}',
    'https': b'{"url": "https://media.example.com/all-hands.mp4", "name": "All hands"}',
    'file-with-host': b'{"url": "file://host/x"}',
    'control-chars': b'{"url": "rtsp://127.0.0.1/\\u0001"}',
    'nul-in-url': b'{"url": "rtsp://127.0.0.1/a\\u0000b"}',
    'bad-types': b'{"url": 5, "name": ["x"]}',
    'long-name': b'{"url": "rtsp://h/", "name": "' + b'n' * 80 + b'"}',
    'ipv6': b'{"url": "rtsp://[::1]:8554/cam"}',
    'garbage': b'\x00{"url":',
    'no-transcode': b'{"url": "rtsp://127.0.0.1:8554/cam", "transcode": false}',
    'bad-transcode': b'{"url": "rtsp://127.0.0.1:8554/cam", "transcode": "no"}',
}

# Bridge API bodies (POST /api/v1/admin/rooms/<id>/bridges).
CORPUS["bridge"] = {
    'both': b'{"whip": "https://b.example.com/whip/r1", "whep": "https://b.example.com/whep/r1", '
            b'"token": "eyJhbGciOiJIUzI1NiJ9.e30.x", "name": "Beijing office"}',
    'whep-only': b'{"whep": "http://10.0.0.7:8080/whep/r1", "token": "t", "video": 1, "audio": 2}',
    'bad-scheme': b'{"whip": "ftp://b/whip/r1", "token": "t"}',
    'no-host': b'{"whip": "http:///whip/r1", "token": "t"}',
    'space-in-url': b'{"whip": "http://b/wh ip", "token": "t"}',
    'no-token': b'{"whip": "http://b/whip/r1"}',
    'counts': b'{"whip": "http://b/whip/r1", "token": "t", "video": 0, "audio": 9}',
    'duplicate': b'{"whip": "http://b/x", "token": "t", "token": "u"}',
    'nul-in-token': b'{"whip": "http://b/x", "token": "a\\u0000b"}',
    'bad-types': b'{"whip": 5, "whep": ["x"], "token": {}}',
    'garbage': b'\x00{"whip":',
}

def ics(*events, head="", method=None):
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//meetgate//seed//EN"]
    if method:
        lines.append("METHOD:" + method)
    text = "\r\n".join(lines) + "\r\n" + head
    for ev in events:
        text += "BEGIN:VEVENT\r\n" + ev + "END:VEVENT\r\n"
    return (text + "END:VCALENDAR\r\n").encode()


OUTLOOK_TZ = (
    "BEGIN:VTIMEZONE\r\nTZID:Pacific Standard Time\r\n"
    "BEGIN:STANDARD\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:-0700\r\nTZOFFSETTO:-0800\r\n"
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=1SU;BYMONTH=11\r\nEND:STANDARD\r\n"
    "BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:-0800\r\nTZOFFSETTO:-0700\r\n"
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=2SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
)

# iCalendar import (tests/fuzz/fuzz-ical.c): series, overrides, zones, people,
# cancellations, and broken inputs.
CORPUS["ical"] = {
    "weekly-overrides.ics": ics(
        "UID:w1\r\nDTSTART;TZID=America/New_York:20240304T090000\r\nDTEND;TZID=America/New_York:20240304T100000\r\n"
        "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6\r\nEXDATE;TZID=America/New_York:20240318T090000\r\nSUMMARY:Sync\r\n",
        "UID:w1\r\nRECURRENCE-ID;TZID=America/New_York:20240325T090000\r\n"
        "DTSTART;TZID=America/New_York:20240325T140000\r\nDTEND;TZID=America/New_York:20240325T150000\r\nSEQUENCE:1\r\n",
        "UID:w1\r\nRECURRENCE-ID:20240401T130000Z\r\nDTSTART:20240401T130000Z\r\nSTATUS:CANCELLED\r\n",
    ),
    "outlook.ics": ics(
        "UID:o1\r\nORGANIZER;CN=Li Wei:mailto:li@example.cn\r\n"
        "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Ada\r\n :mailto:ada@example.com\r\n"
        "ATTENDEE;ROLE=OPT-PARTICIPANT;PARTSTAT=ACCEPTED;CN=\"Hopper, Grace\":mailto:g@example.com\r\n"
        "DESCRIPTION:Agenda:\\n1. status\\, risks\r\nSUMMARY:Weekly\r\n"
        "DTSTART;TZID=Pacific Standard Time:20240305T090000\r\nDURATION:PT45M\r\n"
        "RRULE:FREQ=WEEKLY;UNTIL=20240430T160000Z\r\nSEQUENCE:3\r\nCATEGORIES:Blue,chat:team\r\n"
        "X-MEETGATE-CHAT:oa-42\r\nX-MEETGATE-POLICY:lobby\r\n",
        "UID:o2\r\nDTSTART;TZID=China Standard Time:20240311T100000\r\nDTEND;TZID=China Standard Time:20240311T110000\r\n"
        "RRULE:FREQ=MONTHLY;BYDAY=-1FR\r\nRDATE;TZID=China Standard Time:20240320T100000\r\n",
        head=OUTLOOK_TZ, method="REQUEST",
    ),
    "cancel.ics": ics("UID:w1\r\nSEQUENCE:2\r\n", "UID:w2\r\nRECURRENCE-ID:20240311T130000Z\r\n", method="CANCEL"),
    "all-day.ics": ics("UID:h\r\nDTSTART;VALUE=DATE:20241225\r\nRRULE:FREQ=YEARLY\r\n",
                       "UID:r\r\nDTSTART:20241002T080000Z\r\nEXDATE;VALUE=DATE:20241009\r\nRRULE:FREQ=DAILY;COUNT=9\r\n"),
    "broken-events.ics": ics(
        "UID:bad-date\r\nDTSTART:2024-09-01 08:00\r\n",
        "UID:bad-rule\r\nDTSTART:20240901T080000Z\r\nRRULE:FREQ=SOMETIMES\r\n",
        "UID:bad-zone\r\nDTSTART;TZID=Atlantis/Capital:20240901T080000\r\n",
        "UID:line\r\nDTSTART:20240901T080000Z\r\nnot a property\r\n",
        "DTSTART:20240901T080000Z\r\n",
        "UID:never\r\nDTSTART:20240901T080000Z\r\nRRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30\r\n",
        "UID:far\r\nDTSTART:99991231T080000Z\r\n",
        "UID:ok\r\nDTSTART:20240901T080000Z\r\nDTEND:20240901T090000Z\r\n",
    ),
    "own-vtimezone.ics": ics(
        "UID:z\r\nDTSTART;TZID=\"(UTC+03:00) Somewhere\":20240701T120000\r\nRRULE:FREQ=DAILY;COUNT=3\r\n",
        head="BEGIN:VTIMEZONE\r\nTZID:(UTC+03:00) Somewhere\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
        "TZOFFSETFROM:+0300\r\nTZOFFSETTO:+0300\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n",
    ),
    "floating-bom.ics": b"\xef\xbb\xbf" + ics("UID:f\r\nSUMMARY:A long title that\r\n  was folded\r\nDTSTART:20240115T100000\r\n",
                                             head="X-WR-TIMEZONE:Europe/Berlin\r\n"),
    "not-ical.txt": b"<html><body>Not found</body></html>\n",
    "unclosed.ics": b"BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:a\nDTSTART:20240901T080000Z\nEND:VCALENDAR\n",
    "empty": b"",
}


def main():
    root = os.path.join(HERE, "corpus")
    corpus = dict(CORPUS)
    srtp = srtp_corpus()
    if srtp:
        corpus["srtp"] = srtp
    for target, files in corpus.items():
        shutil.rmtree(os.path.join(root, target), ignore_errors=True)
        os.makedirs(os.path.join(root, target))
        for name, data in files.items():
            with open(os.path.join(root, target, name), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()

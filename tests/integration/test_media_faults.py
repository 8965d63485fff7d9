#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Media under faults, with real peers through the real meetgate in a
loopback-only namespace: packet loss that NACK must repair, a GStreamer
webrtcbin publisher, and garbage on the media port. This kernel may have no
netem, so the test's own clients drop packets."""
import asyncio
import os
import random
import re
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rtcpeers  # noqa: E402

rtcpeers.netns_reexec()

from mgtest import Daemon  # noqa: E402
from rtcpeers import AiortcClient, http, make_token  # noqa: E402

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"
SECRET = "faults-test-secret-0123456789abcdef0123456789"
SEED = int(os.environ.get("MG_FAULTS_SEED") or time.time())
LOSS = 0.05
JITTER = 0.050  # each datagram held a random 0-50 ms, like netem `delay 25ms 25ms`
JITTER_SECONDS = 15
SANITIZER_MARKS = ("runtime error:", "AddressSanitizer", "LeakSanitizer")


def run(coro, timeout=60):
    return asyncio.get_event_loop().run_until_complete(asyncio.wait_for(coro, timeout))


def is_srtp(data):
    return data is not None and len(data) > 0 and 128 <= data[0] <= 191


def ice_connections(pc):
    """The aioice Connection of every transceiver's transport (aiortc 1.4
    makes one per m-line even when the answer bundles them)."""
    out = []
    for t in pc.getTransceivers():
        conn = t.sender.transport.transport.iceGatherer._connection
        if conn not in out:
            out.append(conn)
    return out


def rtp_seq(data):
    """(ssrc, seq) of an SRTP datagram, None for SRTCP (its packet type,
    200-206, sits where RTP has the marker bit and payload type)."""
    if not is_srtp(data) or len(data) < 12 or 192 <= data[1] <= 223:
        return None
    return struct.unpack("!I", data[8:12])[0], struct.unpack("!H", data[2:4])[0]


class Dropper:
    """The impairment shim: drops a share of the SRTP/SRTCP datagrams (first
    byte 128-191) that go through it, and with jitter set delays every
    datagram by a random 0..jitter s (like netem `delay J/2 J/2`; packets
    overtake each other). The test changes both while media flows."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.rate = 0.0
        self.jitter = 0.0
        self.dropped = 0
        self.passed = 0
        self.delayed = 0
        self.dropped_seqs = set()   # (ssrc, seq) of the RTP packets dropped
        self.sent = []              # (ssrc, seq, when it reaches the far side) of RTP sent on

    def drop(self, data):
        if not is_srtp(data):
            return False
        if self.rate == 0:
            return False
        if self.rng.random() < self.rate:
            self.dropped += 1
            key = rtp_seq(data)
            if key:
                self.dropped_seqs.add(key)
            return True
        self.passed += 1
        return False

    def delay(self):
        """Seconds to hold the next datagram (0 without jitter)."""
        if self.jitter == 0:
            return 0.0
        self.delayed += 1
        return self.rng.uniform(0.0, self.jitter)

    def on_send(self, pc):
        """Wraps Connection.sendto (Connection.send goes through it)."""
        loop = asyncio.get_event_loop()

        async def late(orig, data, component):
            try:
                await orig(data, component)
            except ConnectionError:
                pass  # the connection closed while the datagram was held
        for conn in ice_connections(pc):
            orig = conn.sendto

            async def sendto(data, component, orig=orig):
                if self.drop(data):
                    return
                d = self.delay()
                key = rtp_seq(data)
                if key and self.jitter:
                    self.sent.append(key + (loop.time() + d,))
                if d:
                    loop.call_later(d, lambda: asyncio.ensure_future(late(orig, data, component)))
                else:
                    await orig(data, component)
            conn.sendto = sendto

    def on_receive(self, pc):
        """Wraps Connection.data_received, where aioice's datagram protocol
        hands every received datagram to the connection's queue."""
        loop = asyncio.get_event_loop()
        for conn in ice_connections(pc):
            orig = conn.data_received

            def data_received(data, component, orig=orig):
                if self.drop(data):
                    return
                d = self.delay()
                if d:
                    loop.call_later(d, orig, data, component)
                else:
                    orig(data, component)
            conn.data_received = data_received

    def overtaken(self, by):
        """(ssrc, seq) of the RTP packets sent that arrived more than by s after
        a later packet of their SSRC."""
        out, newest = set(), {}
        for ssrc, seq, at in sorted(self.sent, key=lambda p: p[2]):
            top = newest.get(ssrc)
            if top is None or (seq - top[0]) % 65536 < 32768:
                newest[ssrc] = (seq, at)
            elif at - top[1] > by:
                out.add((ssrc, seq))
        return out

    def both_ways(self, pc):
        self.on_send(pc)
        self.on_receive(pc)


class NackCounter:
    """What aiortc's NACK machinery did: the player's requests and the
    retransmissions that reached it, and the publisher's side of the same."""

    def __init__(self):
        self.player_nacks = 0           # RTCP NACK packets the player sent
        self.player_nack_seqs = 0       # sequence numbers listed in them
        self.player_plis = 0
        self.player_rtx = 0             # RTX packets received (RFC 4588)
        self.player_repaired = 0        # packets that filled a gap the player had NACKed
        self.publisher_nacks = 0        # NACK packets meetgate sent the publisher
        self.publisher_nack_seqs = 0
        self.publisher_nacked = []      # (media ssrc, seq) of each seq listed in them
        self.publisher_plis = 0

    def watch_player(self, pc):
        for t in pc.getTransceivers():
            if t.kind == "video":
                self._watch_receiver(t.receiver)

    def _watch_receiver(self, receiver):
        send_nack, send_pli, handle = receiver._send_rtcp_nack, receiver._send_rtcp_pli, receiver._handle_rtp_packet

        async def send_rtcp_nack(media_ssrc, lost):
            self.player_nacks += 1
            self.player_nack_seqs += len(lost)
            await send_nack(media_ssrc, lost)

        async def send_rtcp_pli(media_ssrc):
            self.player_plis += 1
            await send_pli(media_ssrc)

        async def handle_rtp_packet(packet, arrival_time_ms):
            nackgen = receiver._RTCRtpReceiver__nack_generator
            missing = nackgen.missing if nackgen else set()
            if packet.ssrc in receiver._RTCRtpReceiver__rtx_ssrc:
                self.player_rtx += 1
                if len(packet.payload) >= 2 and struct.unpack("!H", packet.payload[:2])[0] in missing:
                    self.player_repaired += 1
            elif packet.sequence_number in missing:
                self.player_repaired += 1
            await handle(packet, arrival_time_ms)

        receiver._send_rtcp_nack = send_rtcp_nack
        receiver._send_rtcp_pli = send_rtcp_pli
        receiver._handle_rtp_packet = handle_rtp_packet

    def watch_publisher(self, pc):
        from aiortc.rtp import RTCP_PSFB_PLI, RTCP_RTPFB_NACK, RtcpPsfbPacket, RtcpRtpfbPacket
        for t in pc.getTransceivers():
            if t.kind != "video":
                continue
            handle = t.sender._handle_rtcp_packet

            async def handle_rtcp_packet(packet, handle=handle):
                if isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
                    self.publisher_nacks += 1
                    self.publisher_nack_seqs += len(packet.lost)
                    self.publisher_nacked += [(packet.media_ssrc, seq) for seq in packet.lost]
                elif isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_PLI:
                    self.publisher_plis += 1
                await handle(packet)
            t.sender._handle_rtcp_packet = handle_rtcp_packet


async def buckets(client, seconds):
    """Video frames decoded in each 1 s bucket."""
    out = []
    last = client.frames["video"]
    for _ in range(seconds):
        await asyncio.sleep(1.0)
        now = client.frames["video"]
        out.append(now - last)
        last = now
    return out


def candidate_ports(sdp):
    """UDP ports of the host candidates on 127.0.0.1 in an SDP answer."""
    ports = set()
    for m in re.finditer(r"^a=candidate:\S+ \d+ udp \d+ 127\.0\.0\.1 (\d+) typ host", sdp, re.M | re.I):
        ports.add(int(m.group(1)))
    return sorted(ports)


def garbage(rng):
    """(name, datagrams) of everything the media port must shrug off."""
    rnd = lambda n: bytes(rng.getrandbits(8) for _ in range(n))  # noqa: E731
    rtp_head = struct.pack("!BBHII", 0x80, 96, 1, 1000, 0x1234)
    return [
        ("random", [rnd(rng.randint(1, 1500)) for _ in range(2000)]),
        ("truncated-rtp", [rtp_head[:n] for n in range(1, 12)] + [bytes([0x90 | 15]) + rtp_head[1:12]] * 5),
        ("rtcp-short", [b"\x81\xc9", b"\x81\xcd\x00\x05" + rnd(8), b"\x80\xc8\xff\xff" + rnd(20)]),
        ("dtls", [bytes([rng.randint(20, 63)]) + rnd(rng.randint(0, 300)) for _ in range(200)]
         + [bytes([22, 0xFE, 0xFD]) + rnd(8) + struct.pack("!H", n) + rnd(n) for n in (0, 1, 12, 100, 1200)]),
        ("stun", [bytes([rng.randint(0, 3)]) + rnd(rng.randint(0, 300)) for _ in range(200)]
         + [struct.pack("!HHI12s", 1, n, 0x2112A442, rnd(12)) + rnd(n) for n in (0, 4, 8, 60, 400)]),
        ("zeros", [bytes(1500)] * 50),
    ]


class MediaFaults(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        print("random seed %d (rerun with MG_FAULTS_SEED=%d)" % (SEED, SEED))
        cls.d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1"])
        cls.base = cls.d.url

    @classmethod
    def tearDownClass(cls):
        if cls.d.proc.poll() is not None or os.environ.get("MG_SHOW_LOG"):
            print(cls.d.log_text()[-6000:])
        cls.d.cleanup()

    def tearDown(self):
        self.assertIsNone(self.d.proc.poll(), "meetgate exited")
        self.assertNotIn(SECRET, self.d.log_text())

    def token(self, room, sub="tester"):
        return make_token(SECRET, room, sub=sub)

    def assert_alive(self):
        self.assertIsNone(self.d.proc.poll(), "meetgate exited:\n" + self.d.log_text()[-3000:])
        status, _, _ = http("GET", self.base + "/healthz")
        self.assertEqual(status, 200)

    async def impaired_pair(self, room, counts, wrap_publisher, wrap_player):
        """A publisher and a player of room, each connection wrapped by its impairment
        shim and watched by counts; returned once the player decodes video."""
        pub = AiortcClient(self.base, room, self.token(room, "pub"))
        await pub.publish()
        wrap_publisher(pub.pc)
        counts.watch_publisher(pub.pc)
        await asyncio.sleep(0.5)
        sub = AiortcClient(self.base, room, self.token(room, "sub"))
        sub.pc.addTransceiver("audio", direction="recvonly")
        sub.pc.addTransceiver("video", direction="recvonly")
        wrap_player(sub.pc)
        counts.watch_player(sub.pc)
        await sub.play(audio=False, video=False)  # transceivers added above, to wrap them first
        if not await sub.wait_frames(kinds=("video",), count=1, timeout=15):
            raise AssertionError("no video frame before the impairment: %s" % sub.frames)
        return pub, sub

    def test_loss_with_nack(self):
        room = "loss"
        counts = NackCounter()
        pub_drop, sub_drop = Dropper(SEED), Dropper(SEED + 1)

        async def go():
            pub, sub = await self.impaired_pair(room, counts, pub_drop.on_send, sub_drop.on_receive)
            clean = await buckets(sub, 3)
            pub_drop.rate = sub_drop.rate = LOSS
            lossy = await buckets(sub, 10)
            await sub.close()
            await pub.close()
            return clean, lossy

        clean, lossy = run(go())
        print("\nloss: no loss %s frames/s (mean %.1f); %d%% loss both ways %s frames/s (mean %.1f)"
              % (clean, sum(clean) / len(clean), LOSS * 100, lossy, sum(lossy) / len(lossy)))
        print("loss: dropped publisher->meetgate %d of %d SRTP datagrams, meetgate->player %d of %d"
              % (pub_drop.dropped, pub_drop.dropped + pub_drop.passed, sub_drop.dropped,
                 sub_drop.dropped + sub_drop.passed))
        print("loss: player sent %d NACKs (%d seqs) and %d PLIs; received %d RTX packets, %d repaired a NACKed gap"
              % (counts.player_nacks, counts.player_nack_seqs, counts.player_plis, counts.player_rtx,
                 counts.player_repaired))
        print("loss: meetgate sent the publisher %d NACKs (%d seqs) and %d PLIs"
              % (counts.publisher_nacks, counts.publisher_nack_seqs, counts.publisher_plis))
        self.assertGreater(pub_drop.dropped, 0)
        self.assertGreater(sub_drop.dropped, 0)
        self.assertNotIn(0, clean, "a second without a decoded frame before loss: %s" % clean)
        self.assertNotIn(0, lossy, "a second without a decoded frame under loss: %s" % lossy)
        self.assert_alive()

    def test_loss_and_jitter(self):
        """5% loss and 0-50 ms jitter on every datagram both ways between each
        client and meetgate, as netem would do on lo."""
        room = "jitter"
        counts = NackCounter()
        pub_imp, sub_imp = Dropper(SEED + 2), Dropper(SEED + 3)

        async def go():
            pub, sub = await self.impaired_pair(room, counts, pub_imp.both_ways, sub_imp.both_ways)
            clean = await buckets(sub, 2)
            nacked_before = len(counts.publisher_nacked)
            for imp in (pub_imp, sub_imp):
                imp.rate, imp.jitter = LOSS, JITTER
            start = time.monotonic()
            impaired = await buckets(sub, JITTER_SECONDS)
            end = time.monotonic()
            frames = [t for t in sub.video_times if t >= start]
            await sub.close()
            await pub.close()
            return clean, impaired, nacked_before, [start] + frames + [end]

        clean, impaired, nacked_before, times = run(go(), timeout=90)
        freeze = max(b - a for a, b in zip(times, times[1:]))
        nacked = set(counts.publisher_nacked[nacked_before:])
        spurious = nacked - pub_imp.dropped_seqs
        overtaken = pub_imp.overtaken(0.005)
        print("\njitter: no impairment %s frames/s; %d%% loss + 0-%d ms jitter both ways %s frames/s (mean %.1f)"
              % (clean, LOSS * 100, JITTER * 1000, impaired, sum(impaired) / len(impaired)))
        print("jitter: longest time without a decoded video frame under impairment: %.0f ms (%d frames in %.1f s)"
              % (freeze * 1000, len(times) - 2, times[-1] - times[0]))
        print("jitter: publisher side dropped %d and delayed %d datagrams, player side dropped %d and delayed %d"
              % (pub_imp.dropped, pub_imp.delayed, sub_imp.dropped, sub_imp.delayed))
        print("jitter: %d RTP packets from the publisher reached meetgate more than 5 ms after a later one"
              % len(overtaken))
        print("jitter: meetgate NACKed %d distinct publisher seqs, %d of them never dropped (only reordered); "
              "player sent %d NACKs (%d seqs), got %d RTX, %d PLIs"
              % (len(nacked), len(spurious), counts.player_nacks, counts.player_nack_seqs, counts.player_rtx,
                 counts.player_plis))
        self.assertGreater(pub_imp.dropped, 0)
        self.assertGreater(sub_imp.dropped, 0)
        self.assertGreater(pub_imp.delayed, 0)
        self.assertNotIn(0, clean, "a second without a decoded frame before the impairment: %s" % clean)
        self.assertNotIn(0, impaired, "a second without a decoded frame under loss and jitter: %s" % impaired)
        self.assert_alive()

    def test_webrtcbin_publisher(self):
        room = "gst"

        async def go():
            loop = asyncio.get_event_loop()
            proc = rtcpeers.start_webrtcbin_publisher(self.base + "/whip/" + room, self.token(room, "gst"), 12)
            try:
                line = await loop.run_in_executor(None, proc.stdout.readline)
                if "published" not in line:
                    _, err = proc.communicate(timeout=5)
                    raise AssertionError("webrtcbin did not publish: %r\n%s" % (line, err[-3000:]))
                sub = AiortcClient(self.base, room, self.token(room, "sub"))
                await sub.play()
                ok = await sub.wait_frames(count=20, timeout=15)
                frames = dict(sub.frames)
                await sub.close()
                return ok, frames
            finally:
                proc.terminate()
                try:
                    proc.communicate(timeout=5)
                except Exception:
                    proc.kill()

        ok, frames = run(go())
        print("\nwebrtcbin -> aiortc: frames %s" % frames)
        self.assertTrue(ok, frames)
        self.assert_alive()

    def test_bad_input_on_media_port(self):
        room = "junk"
        rng = random.Random(SEED)

        async def go():
            pub = AiortcClient(self.base, room, self.token(room, "pub"))
            await pub.publish()
            ports = candidate_ports(pub.pc.remoteDescription.sdp)
            await asyncio.sleep(0.5)
            sub = AiortcClient(self.base, room, self.token(room, "sub"))
            await sub.play()
            if not await sub.wait_frames(kinds=("video",), count=5, timeout=15):
                raise AssertionError("no video before the garbage: %s" % sub.frames)
            sent = {}
            # A stranger: a plain socket that never did ICE.
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind(("127.0.0.1", 0))
                for name, datagrams in garbage(rng):
                    for i, d in enumerate(datagrams):
                        for port in ports:
                            s.sendto(d, ("127.0.0.1", port))
                        if i % 50 == 49:
                            await asyncio.sleep(0)  # let the peers' media through meanwhile
                    sent[name] = len(datagrams)
            after_stranger = await buckets(sub, 2)
            # The same from the publisher's own ICE-validated address, so it
            # gets past ICE's source check into the DTLS/SRTP demux.
            conn = [c for c in ice_connections(pub.pc) if c._nominated][0]
            for name, datagrams in garbage(rng):
                for i, d in enumerate(datagrams):
                    await conn.sendto(d, 1)
                    if i % 50 == 49:
                        await asyncio.sleep(0)
            after_publisher = await buckets(sub, 2)
            await sub.close()
            await pub.close()
            return ports, sent, after_stranger, after_publisher

        ports, sent, after_stranger, after_publisher = run(go())
        print("\nbad input: ports %s, sent %s datagrams to each" % (ports, sent))
        print("bad input: video frames per second after the stranger's garbage %s, after the same from the "
              "publisher's address %s" % (after_stranger, after_publisher))
        self.assertTrue(ports, "no 127.0.0.1 host candidate in the WHIP answer")
        self.assertNotIn(0, after_stranger, "video stopped after a stranger's garbage: %s" % after_stranger)
        self.assert_alive()
        self.assertNotIn(0, after_publisher, "video stopped after garbage from the publisher's address: %s"
                         % after_publisher)
        self.assert_alive()

    def test_bad_offers_next_to_a_publisher(self):
        room = "offers"

        async def go():
            pub = AiortcClient(self.base, room, self.token(room, "pub"))
            await pub.publish()
            rtcpeers.patch_aioice_loopback()
            from aiortc import RTCPeerConnection
            from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
            pc = RTCPeerConnection()
            pc.addTrack(AudioStreamTrack())
            pc.addTrack(VideoStreamTrack())
            await pc.setLocalDescription(await pc.createOffer())
            sdp = pc.localDescription.sdp
            await pc.close()
            return pub, sdp

        pub, sdp = run(go())
        group = re.search(r"^a=group:BUNDLE (.*)$", sdp, re.M)
        self.assertIsNotNone(group, sdp)
        mids = group.group(1).split()
        self.assertGreaterEqual(len(mids), 2, sdp)
        short_bundle = sdp.replace(group.group(0), "a=group:BUNDLE " + " ".join(mids[:-1]))
        passive = re.sub(r"^a=setup:\w+", "a=setup:passive", sdp, flags=re.M)
        self.assertIn("a=setup:passive", passive)
        for bad, word in [(short_bundle, b"BUNDLE"), (passive, b"setup")]:
            status, _, body = http("POST", self.base + "/whip/" + room, bad.encode(),
                                   {"Authorization": "Bearer " + self.token(room, "second"),
                                    "Content-Type": "application/sdp"})
            print("refused %d: %s" % (status, body.decode(errors="replace")))
            self.assertEqual(status, 400, body)
            self.assertIn(word, body)
            self.assert_alive()
        run(pub.close())

    def test_zz_sanitizer_reports(self):
        """Runs last (unittest orders by name): no ASan/UBSan report in
        meetgate's log from any test above. Only a -Db_sanitize build of
        meetgate writes any, so this bites in the CI ASan+UBSan suite."""
        reports = [line for line in self.d.log_text().splitlines() if any(m in line for m in SANITIZER_MARKS)]
        self.assertEqual(reports, [], "sanitizer reports from meetgate:\n" + "\n".join(reports))


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""WHIP and WHEP against the real meetgate with real WebRTC clients (aiortc,
GStreamer webrtcbin), in a loopback-only network namespace."""
import asyncio
import json
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rtcpeers  # noqa: E402

rtcpeers.netns_reexec()

from mgtest import Daemon  # noqa: E402
from rtcpeers import AiortcClient, http, make_token  # noqa: E402

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"
SECRET = "whip-test-secret-0123456789abcdef0123456789"
ADMIN_KEY = "viewer-key-0123456789abcdef"


def run(coro, timeout=60):
    return asyncio.get_event_loop().run_until_complete(asyncio.wait_for(coro, timeout))


class Whip(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1",
                                "-o", "admin.keys=watch:viewer:" + ADMIN_KEY])
        cls.base = cls.d.url

    @classmethod
    def tearDownClass(cls):
        crashed = cls.d.proc.poll() is not None
        rc = None if crashed else cls.d.stop()
        if crashed or rc != 0 or os.environ.get("MG_SHOW_LOG"):
            print(cls.d.log_text()[-6000:])
        cls.d.cleanup()
        # A clean exit also means no leak report under LeakSanitizer.
        assert not crashed and rc == 0, "meetgate crashed or exited with %s" % rc

    def tearDown(self):
        self.assertNotIn(SECRET, self.d.log_text())
        self.assertNotIn(ADMIN_KEY, self.d.log_text())

    def room_stats(self, room):
        status, _, body = http("GET", self.base + "/api/v1/admin/rooms/" + room,
                               headers={"Authorization": "Bearer " + ADMIN_KEY})
        return json.loads(body) if status == 200 else None

    def token(self, room, **kw):
        return make_token(SECRET, room, **kw)

    def test_refusals(self):
        offer = "v=0\r\n"
        cases = [
            ({}, 401, "unauthorized"),
            ({"Authorization": "Bearer nonsense"}, 401, "token_malformed"),
            ({"Authorization": "Bearer " + make_token("wrong-secret-wrong-secret-wrong", "r1")}, 401, "token_forged"),
            ({"Authorization": "Bearer " + self.token("other-room")}, 403, "wrong_room"),
            ({"Authorization": "Bearer " + self.token("r1", exp=int(time.time()) - 5)}, 401, "token_expired"),
            ({"Authorization": "Bearer " + self.token("r1", nbf=int(time.time()) + 600)}, 403, "not_started"),
            ({"Authorization": "Bearer " + self.token("r1", role="recorder")}, 403, "not_allowed"),
            ({"Authorization": "Bearer " + self.token("r1"), "Content-Type": "text/plain"}, 415,
             "unsupported_media_type"),
            ({"Authorization": "Bearer " + self.token("r1"), "Content-Type": "application/sdp"}, 400, "bad_offer"),
        ]
        for headers, status, code in cases:
            got, _, body = http("POST", self.base + "/whip/r1", offer.encode(), headers)
            self.assertEqual(got, status, (code, body))
            self.assertIn(code.encode(), body)
        got, headers, _ = http("OPTIONS", self.base + "/whip/r1")
        self.assertEqual(got, 204)
        self.assertIn("POST", headers["access-control-allow-methods"])
        got, _, _ = http("DELETE", self.base + "/whip/r1/0123456789abcdef")
        self.assertEqual(got, 404)

    def test_offer_without_bundle_or_fingerprint(self):
        async def go():
            rtcpeers.patch_aioice_loopback()
            from aiortc import RTCPeerConnection
            from aiortc.mediastreams import VideoStreamTrack
            pc = RTCPeerConnection()
            pc.addTrack(VideoStreamTrack())
            await pc.setLocalDescription(await pc.createOffer())
            sdp = pc.localDescription.sdp
            await pc.close()
            return sdp
        sdp = run(go())
        no_fp = "".join(line + "\r\n" for line in sdp.splitlines() if not line.startswith("a=fingerprint"))
        no_bundle = "".join(line + "\r\n" for line in sdp.splitlines() if not line.startswith("a=group:BUNDLE"))
        for bad, word in [(no_fp, b"fingerprint"), (no_bundle, b"BUNDLE")]:
            status, _, body = http("POST", self.base + "/whip/r2", bad.encode(),
                                   {"Authorization": "Bearer " + self.token("r2"), "Content-Type": "application/sdp"})
            self.assertEqual(status, 400, body)
            self.assertIn(word, body)
        status, _, _ = http("GET", self.base + "/healthz")
        self.assertEqual(status, 200)

    def test_trickle_and_ice_restart(self):
        async def offer():
            rtcpeers.patch_aioice_loopback()
            from aiortc import RTCPeerConnection
            from aiortc.mediastreams import AudioStreamTrack
            pc = RTCPeerConnection()
            pc.addTrack(AudioStreamTrack())
            await pc.setLocalDescription(await pc.createOffer())
            sdp = pc.localDescription.sdp
            await pc.close()
            return sdp
        status, headers, answer = http("POST", self.base + "/whip/r3", run(offer()).encode(),
                                       {"Authorization": "Bearer " + self.token("r3"),
                                        "Content-Type": "application/sdp"})
        self.assertEqual(status, 201)
        url = self.base + headers["location"]
        old_ufrag = [l for l in answer.decode().splitlines() if l.startswith("a=ice-ufrag:")][0]
        frag = "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef0123456789\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n" \
               "a=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 9999 typ host\r\na=end-of-candidates\r\n"
        sdpfrag = {"Content-Type": "application/trickle-ice-sdpfrag"}
        status, _, _ = http("PATCH", url, frag.encode(), sdpfrag)
        self.assertEqual(status, 204)
        status, _, _ = http("PATCH", url, frag.encode(), {"Content-Type": "text/plain"})
        self.assertEqual(status, 415)
        status, headers, body = http("PATCH", url, frag.encode(), dict(sdpfrag, **{"If-Match": "*"}))
        self.assertEqual(status, 200, body)
        self.assertTrue(headers["content-type"].startswith("application/trickle-ice-sdpfrag"))
        lines = body.decode().splitlines()
        new_ufrag = [l for l in lines if l.startswith("a=ice-ufrag:")][0]
        self.assertNotEqual(new_ufrag, old_ufrag)
        self.assertTrue(any(l.startswith("a=candidate:") for l in lines), lines)
        self.assertIn("a=end-of-candidates", lines)
        # A restart without credentials is refused.
        status, _, body = http("PATCH", url, b"a=end-of-candidates\r\n", dict(sdpfrag, **{"If-Match": "*"}))
        self.assertEqual(status, 400, body)
        status, _, _ = http("DELETE", url)
        self.assertEqual(status, 200)

    def test_aiortc_to_aiortc(self):
        room = "aio"

        async def go():
            pub = AiortcClient(self.base, room, self.token(room, sub="pub"))
            await pub.publish()
            self.assertTrue(pub.location.startswith("/whip/%s/" % room))
            await asyncio.sleep(1.0)
            sub = AiortcClient(self.base, room, self.token(room, sub="sub"))
            t0 = time.time()
            await sub.play()
            ok = await sub.wait_frames(count=20, timeout=20)
            first_video = sub.first_frame_at.get("video", 0) - t0
            frames = dict(sub.frames)
            await asyncio.sleep(1.5)  # one stats snapshot later
            stats = self.room_stats(room)
            # DELETE ends the session; the resource is gone afterwards.
            status, _, _ = http("DELETE", self.base + sub.location)
            self.assertEqual(status, 200)
            await sub.close()
            await asyncio.sleep(0.3)
            status, _, _ = http("DELETE", self.base + sub.location)
            self.assertEqual(status, 404)
            await pub.close()
            return ok, frames, first_video, stats

        ok, frames, first_video, stats = run(go())
        print("aiortc -> aiortc: frames %s, first video frame %.2f s after the WHEP request" % (frames, first_video))
        self.assertTrue(ok, frames)
        # aiortc sends a keyframe only every ~100 s unless asked: a late
        # subscriber decoding at all proves meetgate asked (PLI).
        self.assertGreater(first_video, 0)
        # The admin view shows both peers with their counters moving.
        peers = {p["direction"]: p for p in stats["peers"]}
        self.assertEqual(set(peers), {"publish", "subscribe"})
        self.assertGreater(peers["publish"]["packets_in"], 100)
        kinds = {t["kind"]: t for t in peers["publish"]["tracks"]}
        self.assertEqual(set(kinds), {"audio", "video"})
        self.assertGreater(kinds["video"]["layers"][0]["packets"], 0)
        self.assertEqual(kinds["video"]["subscribers"], 1)
        for stream in peers["subscribe"]["streams"]:
            self.assertGreater(stream["packets"], 0, stream)
            self.assertEqual(stream["source"], kinds[stream["kind"]]["id"])
        print("SRTP profile with aiortc:", peers["publish"]["srtp_profile"])

    def test_admin_api_needs_a_key(self):
        for headers in [{}, {"Authorization": "Bearer wrong-key-0123456789"}, {"Authorization": "Basic abc"}]:
            status, _, body = http("GET", self.base + "/api/v1/admin/rooms", headers=headers)
            self.assertEqual(status, 401)
            self.assertEqual(json.loads(body)["error"]["code"], "unauthorized")
        status, _, body = http("GET", self.base + "/api/v1/admin/rooms",
                               headers={"Authorization": "Bearer " + ADMIN_KEY})
        self.assertEqual(status, 200)
        self.assertIsInstance(json.loads(body)["rooms"], list)


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Headless Chromium publishing (WHIP) and playing (WHEP) through the real
meetgate, in a loopback-only network namespace.

usage: test_chromium.py <meetgate binary> [<output dir for screenshots>]

Figures (ciphers, frames, resolutions, join time) are printed, not asserted;
what is asserted is that media flows and decodes."""
import atexit
import functools
import json
import os
import sys
import time
import traceback
import unittest
from urllib.parse import urlencode

from e2eboot import HERE, start  # sets sys.path: first

BINARY, OUT_DIR = start()

import rtcpeers  # noqa: E402
from browser import Browser, PageServer  # noqa: E402
from mgtest import Daemon  # noqa: E402
from rtcpeers import make_token  # noqa: E402

SECRET = "e2e-test-secret-0123456789abcdef0123456789"


def diagnose(test):
    """On failure, print what the pages and meetgate said before re-raising."""
    @functools.wraps(test)
    def wrapper(self):
        try:
            return test(self)
        except unittest.SkipTest:
            raise
        except Exception:
            print("\n--- %s failed; diagnostics ---" % test.__name__)
            traceback.print_exc()
            for b in self.browsers:
                try:
                    print("page %s: %s" % (b.name, json.dumps(b.call("window.result()"), indent=1)[:6000]))
                except Exception as e:  # noqa: BLE001 - diagnostics only
                    print("page %s: no result (%s)" % (b.name, e))
                for entry in b.console_log()[-20:]:
                    print("  console %s: %s" % (b.name, entry.get("message", "")[:300]))
            print(self.d.log_text()[-6000:])
            raise
    return wrapper


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pages = PageServer(os.path.join(HERE, "pages"))

    @classmethod
    def tearDownClass(cls):
        cls.pages.close()

    def setUp(self):
        # One meetgate per case: a crash stays with the case that caused it.
        self.browsers = []
        self.d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1"])
        atexit.register(self.d.cleanup)  # also when interrupted (SIGTERM unwinds as KeyboardInterrupt)
        self.mg = self.d.url.rstrip("/")

    def tearDown(self):
        left = {}
        for b in self.browsers:
            b.close()
            left.update(b.leftovers())
        try:
            self.assertEqual(left, {}, "chromium/chromedriver processes left behind (pid: state)")
            self.assertNotIn(SECRET, self.d.log_text())
            if self.d.proc.poll() is not None or os.environ.get("MG_SHOW_LOG"):
                print(self.d.log_text()[-6000:])
            self.assertIsNone(self.d.proc.poll(), "meetgate exited")
        finally:
            self.d.cleanup()

    # ---- helpers ----

    def browser(self, name):
        b = Browser(name)
        self.browsers.append(b)
        return b

    def open_page(self, page, name, room, token_room=None, **query):
        """A new Chromium on pages/<page> for room; returns (browser, POST outcome)."""
        b = self.browser(name)
        q = {"mg": self.mg, "room": room, "token": make_token(SECRET, token_room or room, sub=name)}
        q.update({k: str(v) for k, v in query.items()})
        b.navigate("%s/%s?%s" % (self.pages.url, page, urlencode(q)))
        session = b.call("window.session")
        self.assertNotIn("error", session, session)
        return b, session["http"]

    def publish(self, room, **query):
        b, http = self.open_page("whip.html", "pub-" + room, room, **query)
        self.assertEqual(http["status"], 201, http)
        self.assertEqual(b.call("window.connected(15000)"), "connected")
        return b

    def wait_for(self, b, pred, timeout=15, interval=0.25):
        """Polls window.result() until pred(result) holds; returns the last result and the time taken."""
        t0 = time.time()
        while True:
            self.assertIsNone(self.d.proc.poll(), "meetgate exited")
            r = b.call("window.result()")
            if pred(r) or time.time() - t0 > timeout:
                return r, time.time() - t0
            time.sleep(interval)

    @staticmethod
    def video(r):
        return (r.get("stats") or {}).get("inbound", {}).get("video", {})

    @staticmethod
    def audio(r):
        return (r.get("stats") or {}).get("inbound", {}).get("audio", {})

    @staticmethod
    def describe_transport(r):
        t = r["stats"]["transport"] or {}
        p = r["stats"]["pair"] or {}
        ep = lambda c: c and "%s:%s/%s %s" % (c["address"], c["port"], c["protocol"], c["candidateType"])  # noqa: E731
        return "srtpCipher=%s dtlsCipher=%s tls=%s pair %s -> %s rtt=%s" % (
            t.get("srtpCipher"), t.get("dtlsCipher"), t.get("tlsVersion"), ep(p.get("local")), ep(p.get("remote")),
            p.get("currentRoundTripTime"))

    @staticmethod
    def describe_inbound(s):
        keys = ("packetsReceived", "packetsLost", "nackCount", "framesDecoded", "keyFramesDecoded",
                "framesDropped", "frameWidth", "frameHeight", "framesPerSecond", "pliCount", "codec")
        return ", ".join("%s=%s" % (k, s[k]) for k in keys if k in s)

    def watch_simulcast(self, room, seconds, **pub_query):
        """A simulcast publisher and a player for `seconds`; prints a timeline
        and returns its samples: (t, publisher estimate, {rid: framesSent},
        {rid: WxH}, player framesDecoded, player WxH)."""
        pub = self.publish(room, simulcast=1, width=1280, height=720, **pub_query)
        play, http = self.open_page("whep.html", "play-" + room, room)
        self.assertEqual(http["status"], 201, http)
        samples = []
        t0 = time.time()
        while time.time() - t0 < seconds:
            time.sleep(2)
            self.assertIsNone(self.d.proc.poll(), "meetgate exited")
            rp, r = pub.call("window.result()"), play.call("window.result()")
            layers = {o.get("rid"): o for o in rp["stats"]["outbound"] if o["kind"] == "video"}
            v = self.video(r)
            samples.append((time.time() - t0, (rp["stats"]["pair"] or {}).get("availableOutgoingBitrate"),
                            {rid: o.get("framesSent", 0) for rid, o in layers.items()},
                            {rid: "%sx%s" % (o.get("frameWidth"), o.get("frameHeight")) for rid, o in layers.items()},
                            v.get("framesDecoded", 0), "%sx%s" % (v.get("frameWidth"), v.get("frameHeight"))))
        print()
        for t, bwe, sent, res, frames, pres in samples:
            print("  %4.1f s publisher estimate %8s bps, framesSent %s | player %s framesDecoded %d" % (
                t, bwe, " ".join("%s=%d(%s)" % (rid, sent[rid], res[rid]) for rid in sorted(sent)), pres, frames))
        return samples

    def assert_keeps_playing(self, samples):
        """The player's framesDecoded grew over the last 4 s."""
        end, before = samples[-1], [s for s in samples if s[0] <= samples[-1][0] - 3.5][-1]
        self.assertGreater(end[4] - before[4], 0, "player stopped decoding: %d frames at %.1f s and at %.1f s" % (
            end[4], before[0], end[0]))


class Chromium(Base):
    """Publish, play, simulcast, late join, refusal."""

    @diagnose
    def test_1_publish_and_play(self):
        room = "cam"
        pub = self.publish(room)
        play, http = self.open_page("whep.html", "play-" + room, room)
        self.assertEqual(http["status"], 201, http)
        self.assertTrue(http["location"].startswith("/whep/%s/" % room), http)

        r1, _ = self.wait_for(play, lambda r: self.video(r).get("framesDecoded", 0) > 0
                              and self.audio(r).get("packetsReceived", 0) > 0)
        time.sleep(2)
        r2 = play.call("window.result()")
        v1, v2, a2 = self.video(r1), self.video(r2), self.audio(r2)
        self.assertGreater(v1.get("framesDecoded", 0), 0, r1)
        self.assertGreater(v2["framesDecoded"], v1["framesDecoded"], "video decoding stalled")
        self.assertGreater(a2.get("packetsReceived", 0), 0, r2)
        self.assertTrue(r2["stats"]["transport"]["srtpCipher"], r2["stats"]["transport"])

        shot = play.screenshot(os.path.join(OUT_DIR, "e2e-whep-playing.png"))
        rp = pub.call("window.result()")
        print()
        print("publisher: %s" % self.describe_transport(rp))
        for o in rp["stats"]["outbound"]:
            print("publisher outbound %s: packetsSent=%s framesEncoded=%s %sx%s nackCount=%s pliCount=%s codec=%s" % (
                o["kind"], o.get("packetsSent"), o.get("framesEncoded"), o.get("frameWidth"), o.get("frameHeight"),
                o.get("nackCount"), o.get("pliCount"), o.get("codec")))
        print("player:    %s" % self.describe_transport(r2))
        print("player video: framesDecoded %d -> %d in 2 s; %s" % (v1["framesDecoded"], v2["framesDecoded"],
                                                                    self.describe_inbound(v2)))
        print("player audio: %s" % self.describe_inbound(a2))
        print("player <video>: %s" % r2["video"])
        print("screenshot: %s" % shot)

        # Hanging up: DELETE on the Location answers 200 and the session is gone.
        self.assertEqual(play.call("window.hangUp()"), 200)
        status, _, _ = rtcpeers.http("DELETE", self.mg + http["location"])
        self.assertEqual(status, 404)

    @diagnose
    def test_2_simulcast(self):
        room = "simulcast"
        pub = self.publish(room, simulcast=1, width=1280, height=720)
        offer = pub.call("window.session")["offer"]
        self.assertIn("a=simulcast:send q;h;f", offer)
        play, http = self.open_page("whep.html", "play-" + room, room)
        self.assertEqual(http["status"], 201, http)
        r, _ = self.wait_for(play, lambda r: self.video(r).get("framesDecoded", 0) > 0)
        self.assertGreater(self.video(r).get("framesDecoded", 0), 0, r)
        # Let bandwidth estimation and the layer choice settle; watch the
        # publisher's estimate meanwhile.
        bwe = []
        t0 = time.time()
        for _ in range(8):
            time.sleep(1)
            rp = pub.call("window.result()")
            bwe.append("%.0f s %s" % (time.time() - t0, (rp["stats"]["pair"] or {}).get("availableOutgoingBitrate")))
        r = play.call("window.result()")
        rp = pub.call("window.result()")
        print()
        print("publisher availableOutgoingBitrate over time: %s" % ", ".join(bwe))
        t = rp["stats"]["transport"]
        print("publisher transport: bytesSent=%s bytesReceived=%s (RTCP and DTLS from meetgate)" % (
            t.get("bytesSent"), t.get("bytesReceived")))
        for o in rp["stats"]["outbound"]:
            if o["kind"] == "video":
                print("publisher layer rid=%s: %sx%s framesSent=%s bytesSent=%s targetBitrate=%s limit=%s active=%s" % (
                    o.get("rid"), o.get("frameWidth"), o.get("frameHeight"), o.get("framesSent"), o.get("bytesSent"),
                    o.get("targetBitrate"), o.get("qualityLimitationReason"), o.get("active")))
        print("publisher: availableOutgoingBitrate=%s" % (rp["stats"]["pair"] or {}).get("availableOutgoingBitrate"))
        seen = []
        for h in r["history"]:
            res = "%dx%d" % (h["w"], h["h"])
            if not seen or seen[-1][1] != res:
                seen.append((h["t"], res))
        print("player resolution over time (s after the POST answer, WxH): %s" %
              ", ".join("%.1f s %s" % s for s in seen))
        print("player video: %s" % self.describe_inbound(self.video(r)))
        self.assertGreater(self.video(r)["framesDecoded"], self.video(r).get("keyFramesDecoded", 0))

    @diagnose
    def test_3_late_join(self):
        room = "late"
        self.publish(room)
        time.sleep(3)
        play, http = self.open_page("whep.html", "play-" + room, room)
        self.assertEqual(http["status"], 201, http)
        r, _ = self.wait_for(play, lambda r: r["firstFrameMs"] is not None, timeout=15, interval=0.1)
        self.assertIsNotNone(r["firstFrameMs"], "no video frame decoded within 15 s of the WHEP POST")
        print()
        print("late player (3 s after the publisher): first decoded frame %.0f ms after the WHEP POST "
              "(POST answered in %.0f ms); %s" % (r["firstFrameMs"], http["answeredMs"],
                                                 self.describe_inbound(self.video(r))))

    @diagnose
    def test_4_wrong_room(self):
        play, http = self.open_page("whep.html", "play-wrong", "r4", token_room="another-room")
        print()
        print("player with a token for another room: HTTP %s %s" % (http["status"], http.get("body")))
        self.assertEqual(http["status"], 403, http)
        self.assertEqual(http.get("errorCode"), "wrong_room", http)
        self.assertIsNone(http.get("location"))


class SustainedSimulcast(Base):
    """20 s of simulcast: the publisher's estimate follows meetgate's REMB and
    the player keeps decoding, switching layers when the publisher drops one."""

    @diagnose
    def test_simulcast_sustained(self):
        samples = self.watch_simulcast("sustained", 20)
        self.assertGreater(samples[-1][4], 0)
        self.assert_keeps_playing(samples)
        print("player resolutions seen: %s" % sorted({s[5] for s in samples}))


if __name__ == "__main__":
    # Exit 77 (meson's SKIP) when every test that ran was skipped.
    result = unittest.main(verbosity=2, exit=False).result
    if result.wasSuccessful() and result.testsRun and len({t.id() for t, _ in result.skipped}) == result.testsRun:
        sys.exit(77)
    sys.exit(0 if result.wasSuccessful() else 1)

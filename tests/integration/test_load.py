#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Smoke test of tests/bench/meetgate-load against the real meetgate, in a
loopback-only network namespace: 1 publisher and 2 subscribers for 3 s over
WHIP/WHEP (ICE, DTLS, SRTP). Checks that packets were delivered and
decrypted, and that media keeps flowing after meetgate has released the
connections' DTLS associations (5 s after connect, once SRTP arrived);
asserts no timing figure."""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rtcpeers  # noqa: E402

rtcpeers.netns_reexec()

from mgtest import Daemon  # noqa: E402

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"
LOAD = sys.argv.pop(1) if len(sys.argv) > 1 else "build/tests/bench/meetgate-load"
SECRET = "load-test-secret-0123456789abcdef0123456789"


class Load(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1"])

    @classmethod
    def tearDownClass(cls):
        crashed = cls.d.proc.poll() is not None
        rc = None if crashed else cls.d.stop()
        if crashed or rc != 0:
            print(cls.d.log_text()[-6000:])
        cls.d.cleanup()
        assert not crashed and rc == 0, "meetgate crashed or exited with %s" % rc

    def load(self, secret, room, duration=3):
        r = subprocess.run([LOAD, "--url", self.d.url.rstrip("/"), "--secret", secret, "--room", room,
                            "--subscribers", "2", "--duration", str(duration), "--server-pid", str(self.d.proc.pid)],
                           capture_output=True, text=True, timeout=120)
        lines = [line for line in r.stdout.splitlines() if line.startswith("{")]
        return r, json.loads(lines[-1]) if lines else None

    def test_delivers_and_decrypts(self):
        r, res = self.load(SECRET, "smoke")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(res["joined"], 2, res)
        self.assertEqual(res["failed"], 0, res)
        self.assertGreater(res["expected"], 0, res)
        self.assertGreater(res["delivered"], 0, res)
        self.assertLessEqual(res["delivered"], res["expected"], res)
        self.assertIn(res["srtp_profile"], ["SRTP_AEAD_AES_128_GCM", "SRTP_AEAD_AES_256_GCM"])
        self.assertGreater(res["server_rss_kib"], 0, res)

    def released(self):
        return [e for e in self.d.read_log() if "DTLS association released" in str(e.get("msg", e.get("message", "")))]

    def test_media_after_dtls_release(self):
        before = len(self.released())
        r, res = self.load(SECRET, "release", duration=9)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(res["joined"], 2, res)
        # The publisher and both subscribers sent SRTP/SRTCP: all three associations go.
        self.assertGreaterEqual(len(self.released()) - before, 3, self.d.log_text()[-3000:])
        # The window (9 s after the first keyframes) spans the release: nothing was lost to it.
        self.assertGreaterEqual(res["delivered"], 0.99 * res["expected"], res)

    def test_refused_token_fails(self):
        r, res = self.load("not-the-server-secret-0123456789abcdef", "smoke2")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("401", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)

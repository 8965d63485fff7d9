#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""An RTSP camera ingested into a room, seen by a Chromium participant on the
meeting page: the camera is listed as a participant and its video decodes.
A local gst-rtsp-server (tests/integration/rtsp_server.py) is the camera;
everything runs in a loopback-only namespace.

usage: test_ingest_chromium.py <meetgate binary> [<output dir for screenshots>]"""
import atexit
import json
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
INTEGRATION = os.path.join(HERE, "..", "integration")
sys.path.insert(0, INTEGRATION)
sys.path.insert(0, HERE)
import rtcpeers  # noqa: E402

rtcpeers.netns_reexec()

from browser import Browser  # noqa: E402
from mgtest import Daemon  # noqa: E402
from rtcpeers import http  # noqa: E402
from rtsp_server import Camera  # noqa: E402

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"
OUT_DIR = sys.argv.pop(1) if len(sys.argv) > 1 else os.getcwd()
SECRET = "ingest-e2e-secret-0123456789abcdef0123456789"
OPS_KEY = "ingest-e2e-operator-key-0123"


class IngestChromium(unittest.TestCase):
    def setUp(self):
        self.d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1",
                                 "-o", "admin.keys=ops:operator:" + OPS_KEY])
        atexit.register(self.d.cleanup)
        self.cam = Camera()
        self.cam.start()
        self.browser = None

    def tearDown(self):
        if self.browser:
            self.browser.close()
        self.cam.kill()
        crashed = self.d.proc.poll() is not None
        if crashed or os.environ.get("MG_SHOW_LOG"):
            print(self.d.log_text()[-8000:])
        self.d.cleanup()
        self.assertFalse(crashed, "meetgate exited")

    def api(self, method, path, body=None):
        status, _, text = http(method, self.d.url + path, json.dumps(body).encode() if body is not None else None,
                               {"Authorization": "Bearer " + OPS_KEY, "Content-Type": "application/json"})
        return status, json.loads(text)

    def snapshot(self, b):
        return b.call("window.__meetgate ? window.__meetgate.snapshot() : null")

    def wait(self, b, pred, timeout=40, what="state"):
        deadline, snap = time.time() + timeout, None
        while time.time() < deadline:
            try:
                snap = self.snapshot(b)
            except Exception:  # noqa: BLE001 - the page may still be loading
                snap = None
            if snap and pred(snap):
                return snap
            time.sleep(0.3)
        self.fail("%s: no %s; last snapshot %s" % (b.name, what, json.dumps(snap)[:2000]))

    def test_participant_decodes_the_camera(self):
        status, r = self.api("POST", "/api/v1/rooms", {"title": "Boardroom"})
        self.assertEqual(status, 201, r)
        room = r["room"]["id"]
        status, ing = self.api("POST", "/api/v1/admin/rooms/%s/ingest" % room,
                               {"url": "rtsp://127.0.0.1:%d/cam" % self.cam.port, "name": "Room camera"})
        self.assertEqual(status, 201, ing)

        b = self.browser = Browser("ada", ["--window-size=1280,800"])
        b.navigate(r["links"]["guest"])
        self.wait(b, lambda s: s["phase"] == "prejoin", what="pre-join screen")
        b.execute("document.getElementById('name-input') && (document.getElementById('name-input').value = 'Ada');"
                  "document.getElementById('join-btn').click();")
        s = self.wait(b, lambda s: s["phase"] == "meeting" and s["inbound"]["video"]["framesDecoded"] > 30, 60,
                      "the camera's video decoded")
        cams = [p for p in s["participants"] if p["role"] == "ingest"]
        self.assertEqual([p["name"] for p in cams], ["Room camera"], s["participants"])
        kinds = sorted(r["kind"] for r in s["remote"] if r["participant"] == cams[0]["id"])
        self.assertEqual(kinds, ["audio", "video"], s["remote"])
        self.assertGreater(s["inbound"]["audio"]["packetsReceived"], 10, s["inbound"])
        print("Ada decodes the camera: %s" % s["inbound"])
        path = os.path.join(OUT_DIR, "meeting-ingest.png")
        b.screenshot(path)
        print("screenshot: %s" % path)
        self.assertEqual(s["errors"], [])

        # The ingest stops: the camera leaves Ada's page.
        status, _ = self.api("DELETE", "/api/v1/admin/rooms/%s/ingest/%s" % (room, ing["id"]))
        self.assertEqual(status, 200)
        self.wait(b, lambda s: not any(p["role"] == "ingest" for p in s["participants"]), 20, "the camera gone")


if __name__ == "__main__":
    unittest.main(verbosity=2)

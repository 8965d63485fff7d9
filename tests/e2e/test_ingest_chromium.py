#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""An RTSP camera ingested into a room, seen by a Chromium participant on the
meeting page: the camera is listed as a participant and its video decodes.
A local gst-rtsp-server (tests/integration/rtsp_server.py) is the camera;
everything runs in a loopback-only namespace.

usage: test_ingest_chromium.py <meetgate binary> [<output dir for screenshots>]"""
import os
import unittest

from e2eboot import start  # sets sys.path: first

BINARY, OUT_DIR = start()

from pagecase import PageCase  # noqa: E402
from rtsp_server import Camera  # noqa: E402

SECRET = "ingest-e2e-secret-0123456789abcdef0123456789"
OPS_KEY = "ingest-e2e-operator-key-0123"


class IngestChromium(PageCase):
    BINARY, SECRET, OPS_KEY = BINARY, SECRET, OPS_KEY

    def setUp(self):
        super().setUp()
        self.cam = Camera()
        self.cam.start()

    def tearDown(self):
        try:
            super().tearDown()
        finally:
            self.cam.kill()

    def test_participant_decodes_the_camera(self):
        status, r = self.api("POST", "/api/v1/rooms", {"title": "Boardroom"})
        self.assertEqual(status, 201, r)
        room = r["room"]["id"]
        status, ing = self.api("POST", "/api/v1/admin/rooms/%s/ingest" % room,
                               {"url": "rtsp://127.0.0.1:%d/cam" % self.cam.port, "name": "Room camera"})
        self.assertEqual(status, 201, ing)

        b = self.chromium("ada")
        b.navigate(r["links"]["guest"])
        self.wait(b, lambda s: s["phase"] == "prejoin", 40, "pre-join screen")
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

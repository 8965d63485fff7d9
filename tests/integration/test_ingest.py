#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Ingest with real peers through the real meetgate in a loopback-only
namespace: a local RTSP camera (gst-rtsp-server, tests/integration/
rtsp_server.py) is ingested into a room over the admin API; an aiortc WHEP
player decodes its video and audio, a participant of the room sees the
camera as a participant with a video track; the camera is killed and
started again, and the ingest comes back by itself (docs/ingest.md)."""
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

import websockets  # noqa: E402
from mgtest import Daemon  # noqa: E402
from rtcpeers import AiortcClient, http, make_token  # noqa: E402
from rtsp_server import Camera  # noqa: E402

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"
SECRET = "ingest-test-secret-0123456789abcdef0123456789"
OPS_KEY = "operator-key-0123456789abcdef"
VIEW_KEY = "viewer-key-0123456789abcdef"
CAM_PASSWORD = "cam-pass-0123456789"


def run(coro, timeout=120):
    return asyncio.get_event_loop().run_until_complete(asyncio.wait_for(coro, timeout))


class Ingest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1",
                                "-o", "admin.keys=ops:operator:%s,view:viewer:%s" % (OPS_KEY, VIEW_KEY)])
        cls.cam = Camera("cam", CAM_PASSWORD)
        cls.cam.start()

    @classmethod
    def tearDownClass(cls):
        cls.cam.kill()
        crashed = cls.d.proc.poll() is not None
        rc = None if crashed else cls.d.stop(timeout=20)
        if crashed or rc != 0 or os.environ.get("MG_SHOW_LOG"):
            print(cls.d.log_text() if os.environ.get("MG_SHOW_LOG") == "all" else cls.d.log_text()[-12000:])
        log = cls.d.log_text()
        cls.d.cleanup()
        assert not crashed and rc == 0, "meetgate crashed or exited with %s" % rc
        for secret in (OPS_KEY, VIEW_KEY, CAM_PASSWORD):
            assert secret not in log, "a secret reached the log"
        assert "runtime error:" not in log and "ERROR: AddressSanitizer" not in log, log[-4000:]

    def api(self, method, path, key=OPS_KEY, body=None):
        headers = {"Authorization": "Bearer " + key} if key else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode() if not isinstance(body, bytes) else body
            headers["Content-Type"] = "application/json"
        status, _, text = http(method, self.d.url + path, data, headers)
        return status, json.loads(text) if text.startswith(b"{") else text

    def create_room(self, **body):
        status, r = self.api("POST", "/api/v1/rooms", body=body)
        self.assertEqual(status, 201, r)
        return r["room"]["id"]

    def ingest_state(self, room, iid):
        status, r = self.api("GET", "/api/v1/admin/ingests?room=%s" % room, key=VIEW_KEY)
        self.assertEqual(status, 200, r)
        found = [i for i in r["ingests"] if i["id"] == iid]
        self.assertTrue(all(i["room"] == room for i in r["ingests"]), r)
        return found[0] if found else None

    def wait_state(self, room, iid, pred, timeout=40):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            last = self.ingest_state(room, iid)
            if last and pred(last):
                return last
            time.sleep(0.25)
        self.fail("the ingest did not get there; last seen: %s" % last)

    def test_refusals(self):
        room = self.create_room(title="Refusals")
        path = "/api/v1/admin/rooms/%s/ingest" % room
        self.assertEqual(self.api("POST", path, key=None, body={"url": self.cam.url})[0], 401)
        self.assertEqual(self.api("POST", path, key=VIEW_KEY, body={"url": self.cam.url})[0], 403)
        for body in ({}, {"url": 5}, {"url": "ftp://127.0.0.1/x"}, {"url": "rtsp://"}, {"url": "file://host/x"},
                     {"url": "rtsp://127.0.0.1/\u0001"}, {"url": self.cam.url, "name": ""}, b"[1]", b"{",
                     {"url": self.cam.url, "transcode": "no"}):
            status, r = self.api("POST", path, body=body)
            self.assertEqual(status, 400, (body, r))
        status, r = self.api("POST", "/api/v1/admin/rooms/no-such-room/ingest", body={"url": self.cam.url})
        self.assertEqual((status, r["error"]["code"] if isinstance(r, dict) else r), (404, "unknown_room"))
        status, r = self.api("DELETE", "%s/0123456789abcdef" % path)
        self.assertEqual(status, 404, r)
        self.assertEqual(self.api("DELETE", "%s/0123456789abcdef" % path, key=VIEW_KEY)[0], 403)
        # The admin API's own actions still answer on POST only.
        self.assertEqual(self.api("DELETE", "/api/v1/admin/rooms/%s/lock" % room)[0], 404)
        # An admin removes an ingest's participant: the ingest ends (failed), it is not restarted.
        status, r = self.api("POST", path, body={"url": self.cam.url, "name": "Removed"})
        self.assertEqual(status, 201, r)
        self.wait_state(room, r["id"], lambda i: i["state"] == "running")
        status, out = self.api("POST", "/api/v1/admin/rooms/%s/participants/ingest-%s/remove" % (room, r["id"]))
        self.assertEqual(status, 200, out)
        gone = self.wait_state(room, r["id"], lambda i: i["state"] == "failed", timeout=15)
        self.assertEqual(gone["error"], "removed from the room")
        # One left running: meetgate's shutdown stops it (tearDownClass checks the exit).
        status, r = self.api("POST", path, body={"url": self.cam.url, "name": "Left running"})
        self.assertEqual(status, 201, r)
        self.wait_state(room, r["id"], lambda i: i["state"] == "running")

    def test_camera_into_room_and_back_after_reboot(self):
        room = self.create_room(title="Camera room")
        status, ing = self.api("POST", "/api/v1/admin/rooms/%s/ingest" % room,
                               body={"url": self.cam.url, "name": "Room camera"})
        self.assertEqual(status, 201, ing)
        iid = ing["id"]
        self.assertEqual(ing["name"], "Room camera")
        self.assertIn(ing["state"], ("starting", "running"))
        self.assertNotIn(CAM_PASSWORD, json.dumps(ing))
        self.assertIn("127.0.0.1:%d/cam" % self.cam.port, ing["url"])
        self.wait_state(room, iid, lambda i: i["state"] == "running" and i["packets"]["video"] > 0)

        async def scenario():
            # A participant of the room sees the camera as a participant with video.
            ws = await websockets.connect(self.d.url.replace("http", "ws", 1) + "/ws")
            await ws.send(json.dumps({"type": "join", "id": 1, "name": "Ada",
                                      "token": make_token(SECRET, room, role="attendee", sub="ada")}))
            joined = None
            offer = None
            deadline = time.time() + 20
            while time.time() < deadline and not (joined and offer):
                m = json.loads(await asyncio.wait_for(ws.recv(), 20))
                if m.get("type") == "joined":
                    joined = m
                elif m.get("type") == "subscribe_offer":
                    offer = m
            self.assertIsNotNone(joined, "no joined message")
            cams = [p for p in joined["participants"] if p["role"] == "ingest"]
            self.assertEqual([p["name"] for p in cams], ["Room camera"], joined["participants"])
            kinds = sorted(t["kind"] for t in cams[0]["tracks"])
            self.assertEqual(kinds, ["audio", "video"], cams[0])
            self.assertIsNotNone(offer, "no subscribe offer with the camera's tracks")
            self.assertEqual(sorted(t["kind"] for t in offer["tracks"] if t["participant"] == cams[0]["id"]),
                             ["audio", "video"], offer["tracks"])
            await ws.close()

            # A WHEP player decodes the camera's video and audio.
            player = AiortcClient(self.d.url, room, make_token(SECRET, room, role="attendee", sub="player"))
            await player.play()
            self.assertTrue(await player.wait_frames(count=30, timeout=30), player.frames)

            # The camera reboots: the ingest notices, retries, and comes back.
            self.cam.kill()
            retrying = await asyncio.get_event_loop().run_in_executor(
                None, self.wait_state, room, iid, lambda i: i["state"] == "retrying" and i["error"])
            self.assertNotIn(CAM_PASSWORD, json.dumps(retrying))
            before = player.frames["video"]
            await asyncio.sleep(2)
            self.cam.start()
            back = await asyncio.get_event_loop().run_in_executor(
                None, self.wait_state, room, iid, lambda i: i["state"] == "running" and i["restarts"] >= 1, 60)
            self.assertIsNone(back["error"])
            # The same player decodes the camera again.
            deadline = time.time() + 30
            while time.time() < deadline and player.frames["video"] < before + 30:
                await asyncio.sleep(0.2)
            self.assertGreaterEqual(player.frames["video"], before + 30, (before, player.frames))
            await player.close()
        run(scenario(), timeout=240)

        # The room detail lists it, as an ingest and as a participant with its media.
        status, detail = self.api("GET", "/api/v1/admin/rooms/%s" % room, key=VIEW_KEY)
        self.assertEqual(status, 200, detail)
        self.assertEqual([i["id"] for i in detail["ingests"]], [iid])
        cams = [p for p in detail["participants"] if p["role"] == "ingest"]
        self.assertEqual([p["name"] for p in cams], ["Room camera"], detail["participants"])
        self.assertTrue(cams[0]["media"]["publish"], cams[0])
        # DELETE stops it; its participant leaves.
        status, r = self.api("DELETE", "/api/v1/admin/rooms/%s/ingest/%s" % (room, iid))
        self.assertEqual((status, r["state"]), (200, "stopped"), r)
        self.assertIsNone(self.ingest_state(room, iid))
        status, detail = self.api("GET", "/api/v1/admin/rooms/%s" % room, key=VIEW_KEY)
        if status == 200:
            self.assertEqual([p for p in detail["participants"] if p["role"] == "ingest"], [])
        else:
            self.assertEqual(status, 404, detail)  # the room had nobody else: it is no longer live
        self.assertEqual(self.api("DELETE", "/api/v1/admin/rooms/%s/ingest/%s" % (room, iid))[0], 404)
        # Audited under the key's name, without the camera's password.
        _, audit = self.api("GET", "/api/v1/admin/audit?action=ingest_start", key=VIEW_KEY)
        mine = [e for e in audit["entries"] if e["target"] == room and e["result"] == "ok"]
        self.assertEqual(len(mine), 1, audit)
        self.assertEqual(mine[0]["key"], "ops")
        self.assertTrue(mine[0]["detail"].startswith(iid), mine[0])
        self.assertNotIn(CAM_PASSWORD, json.dumps(audit))
        _, audit = self.api("GET", "/api/v1/admin/audit?action=ingest_stop", key=VIEW_KEY)
        self.assertEqual(sorted(e["result"] for e in audit["entries"] if e["target"] == room and e["detail"] == iid),
                         ["ok", "unknown_ingest"], audit)

    def test_back_after_kill9(self):
        """A running camera ingest survives kill -9: kept in the store with
        the camera's password sealed, it starts again with meetgate, under
        the same id, as the same named participant; once stopped it is
        forgotten."""
        data = os.path.join(self.d.tmp, "kill9-data")
        args = ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1",
                "-o", "admin.keys=ops:operator:%s,view:viewer:%s" % (OPS_KEY, VIEW_KEY)]
        d = Daemon(BINARY, args, data_dir=data)
        self.addCleanup(d.cleanup)

        def api(d, method, path, key=OPS_KEY, body=None):
            headers = {"Authorization": "Bearer " + key}
            if body is not None:
                headers["Content-Type"] = "application/json"
            status, _, text = http(method, d.url + path, json.dumps(body).encode() if body else None, headers)
            return status, json.loads(text) if text.startswith(b"{") else text

        def wait_running(d, room, iid, timeout=40):
            deadline, last = time.time() + timeout, None
            while time.time() < deadline:
                _, r = api(d, "GET", "/api/v1/admin/ingests?room=" + room, key=VIEW_KEY)
                last = [i for i in r["ingests"] if i["id"] == iid]
                if last and last[0]["state"] == "running" and last[0]["packets"]["video"] > 0:
                    return last[0]
                time.sleep(0.25)
            self.fail("the ingest is not running: %s" % last)

        status, r = api(d, "POST", "/api/v1/rooms", body={"title": "Kill room"})
        self.assertEqual(status, 201, r)
        room = r["room"]["id"]
        status, ing = api(d, "POST", "/api/v1/admin/rooms/%s/ingest" % room,
                          body={"url": self.cam.url, "name": "Back cam"})
        self.assertEqual(status, 201, ing)
        wait_running(d, room, ing["id"])
        d.proc.kill()
        d.proc.wait()
        for name in os.listdir(data):
            if name.startswith("meetgate.db"):
                with open(os.path.join(data, name), "rb") as f:
                    self.assertNotIn(CAM_PASSWORD.encode(), f.read(), name)

        d2 = Daemon(BINARY, args, data_dir=data)
        self.addCleanup(d2.cleanup)
        back = wait_running(d2, room, ing["id"])
        self.assertEqual(back["name"], "Back cam")
        status, detail = api(d2, "GET", "/api/v1/admin/rooms/" + room, key=VIEW_KEY)
        self.assertEqual(status, 200, detail)
        self.assertEqual([p["name"] for p in detail["participants"] if p["role"] == "ingest"], ["Back cam"])
        status, r = api(d2, "DELETE", "/api/v1/admin/rooms/%s/ingest/%s" % (room, ing["id"]))
        self.assertEqual(status, 200, r)
        self.assertEqual(d2.stop(timeout=20), 0)
        log = d2.log_text()
        self.assertNotIn(CAM_PASSWORD, log)
        self.assertNotIn("runtime error:", log)

        # Stopped: not back after the next start.
        d3 = Daemon(BINARY, args, data_dir=data)
        self.addCleanup(d3.cleanup)
        time.sleep(1)
        _, r = api(d3, "GET", "/api/v1/admin/ingests", key=VIEW_KEY)
        self.assertEqual(r["ingests"], [])
        self.assertEqual(d3.stop(timeout=20), 0)

    def test_file_plays_then_ends(self):
        """A short media file joins, plays (video packets flow) and ends."""
        path = os.path.join(self.d.tmp, "ingest-clip.webm")
        subprocess.run(["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=45", "!",
                        "video/x-raw,width=320,height=240,framerate=15/1", "!", "vp8enc", "deadline=1", "!", "webmmux",
                        "name=mux", "!", "filesink", "location=" + path, "audiotestsrc", "num-buffers=140", "!",
                        "opusenc", "!", "mux."], check=True)
        room = self.create_room(title="Clip room")
        status, ing = self.api("POST", "/api/v1/admin/rooms/%s/ingest" % room, body={"url": "file://" + path})
        self.assertEqual(status, 201, ing)
        self.assertEqual(ing["name"], "Camera")
        done = self.wait_state(room, ing["id"], lambda i: i["state"] in ("ended", "failed"), timeout=30)
        self.assertEqual(done["state"], "ended", done)
        self.assertGreater(done["packets"]["video"], 30, done)
        self.assertGreater(done["packets"]["audio"], 50, done)
        self.assertEqual((done["transcode"], done["video"]), (True, "transcoded"), done)

        # transcode: false: the file's VP8 passes through, packets flow all the same.
        status, ing = self.api("POST", "/api/v1/admin/rooms/%s/ingest" % room,
                               body={"url": "file://" + path, "transcode": False})
        self.assertEqual(status, 201, ing)
        self.assertFalse(ing["transcode"], ing)
        done = self.wait_state(room, ing["id"], lambda i: i["state"] in ("ended", "failed"), timeout=30)
        self.assertEqual((done["state"], done["video"]), ("ended", "passthrough"), done)
        self.assertGreater(done["packets"]["video"], 30, done)
        self.assertGreater(done["packets"]["audio"], 50, done)
        os.unlink(path)

        # A file that is not media fails with an error and is not retried.
        bad = path + ".txt"
        with open(bad, "w") as f:
            f.write("not media\n")
        status, ing = self.api("POST", "/api/v1/admin/rooms/%s/ingest" % room, body={"url": "file://" + bad})
        self.assertEqual(status, 201, ing)
        done = self.wait_state(room, ing["id"], lambda i: i["state"] in ("ended", "failed"), timeout=30)
        self.assertEqual(done["state"], "failed", done)
        self.assertTrue(done["error"], done)
        self.assertEqual(done["restarts"], 0, done)
        os.unlink(bad)


if __name__ == "__main__":
    unittest.main(verbosity=2)

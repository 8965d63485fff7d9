#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Live streaming out and recording controls with real peers through the real meetgate in a
loopback-only namespace: a GStreamer webrtcbin publisher (VP8 + Opus) in a
room streamed as HLS (playlist and segments fetched over HTTP with a join
token, decoded with GStreamer) and over RTMP to a real nginx-rtmp server on
loopback (pulled back with rtmp2src and decoded), which is killed and started
again mid-stream: the stream comes back. A host starts and stops a recording
through the signaling WebSocket (the others see the indicator, the files
appear), and a meeting pushed with record: true is recorded from its first
join until its room closes. A host starts and stops the room's HLS live
stream with the `live` message (everyone sees it, the playlist is served). A
live stream that fails (RTMP to a port where nothing listens) clears the room's
live state with the reason; once an RTMP server listens there and the restarted
stream runs, the room is live again."""
import asyncio
import ctypes
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rtcpeers  # noqa: E402

rtcpeers.netns_reexec()

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
gi.require_version("GstPbutils", "1.0")
from gi.repository import Gst, GstPbutils  # noqa: E402

import websockets  # noqa: E402
from mgtest import Daemon  # noqa: E402
from rtcpeers import http, make_token  # noqa: E402

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"
SECRET = "streaming-test-secret-0123456789abcdef0123456"
OPS_KEY = "operator-key-0123456789abcdef"
VIEW_KEY = "viewer-key-0123456789abcdef"
NGINX_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"

Gst.init(None)
CLONE_NEWNS = 0x00020000
MS_REC, MS_PRIVATE = 0x4000, 1 << 18


def private_tmpfs(path, size):
    """A small tmpfs at path in a mount namespace of our own (the daemon we
    start inherits it), so an HLS stream can fill its disk."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), "mount --make-rprivate /")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d" % size, "tmpfs", path], check=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def discover(path):
    info = GstPbutils.Discoverer.new(10 * Gst.SECOND).discover_uri(Gst.filename_to_uri(path))
    kinds = set()
    for s in info.get_stream_list():
        if isinstance(s, GstPbutils.DiscovererVideoInfo):
            kinds.add("video")
        elif isinstance(s, GstPbutils.DiscovererAudioInfo):
            kinds.add("audio")
    return kinds


def decode_frames(description, timeout_s):
    """Runs description (ending in a fakesink named sink after a video
    decoder) until EOS, an error or timeout_s; (decoded video frames, error)."""
    pipe = Gst.parse_launch(description)
    count = [0]
    sink = pipe.get_by_name("sink")
    sink.set_property("signal-handoffs", True)
    sink.connect("handoff", lambda *a: count.__setitem__(0, count[0] + 1))
    pipe.set_state(Gst.State.PLAYING)
    msg = pipe.get_bus().timed_pop_filtered(int(timeout_s * Gst.SECOND), Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipe.set_state(Gst.State.NULL)
    error = msg.parse_error()[0].message if msg is not None and msg.type == Gst.MessageType.ERROR else None
    return count[0], error


class Nginx:
    """nginx with the RTMP module as our child: no daemon, one process,
    pid and logs in a temp dir, listening on 127.0.0.1 only."""

    def __init__(self, tmp, port):
        self.dir = tempfile.mkdtemp(prefix="nginx-", dir=tmp)
        self.port = port
        self.conf = os.path.join(self.dir, "nginx.conf")
        with open(self.conf, "w") as f:
            f.write("load_module %s;\ndaemon off;\nmaster_process off;\npid %s/nginx.pid;\n"
                    "error_log %s/error.log info;\nevents {}\n"
                    "rtmp { server { listen 127.0.0.1:%d; application live { live on; record off; } } }\n"
                    % (NGINX_MODULE, self.dir, self.dir, port))
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["nginx", "-p", self.dir, "-e", self.dir + "/error.log", "-c", self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not listen: %s" % self.log())

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def log(self):
        try:
            with open(os.path.join(self.dir, "error.log")) as f:
                return f.read()[-4000:]
        except OSError:
            return ""


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mg-stream-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def start_daemon(self, *args):
        d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1",
                            "-o", "admin.keys=ops:operator:%s,view:viewer:%s" % (OPS_KEY, VIEW_KEY),
                            "-o", "streaming.dir=" + os.path.join(self.tmp, "live"), *args])
        self.addCleanup(self.stop_daemon, d)
        return d

    def stop_daemon(self, d):
        crashed = d.proc.poll() is not None
        rc = None if crashed else d.stop(timeout=20)
        if crashed or rc != 0 or os.environ.get("MG_SHOW_LOG"):
            print(d.log_text()[-12000:])
        log = d.log_text()
        d.cleanup()
        self.assertTrue(not crashed and rc == 0, "meetgate crashed or exited with %s" % rc)
        for mark in ("runtime error:", "AddressSanitizer", "LeakSanitizer"):
            self.assertNotIn(mark, log)

    def api(self, d, method, path, key=OPS_KEY, body=None):
        headers = {"Authorization": "Bearer " + key} if key else {}
        status, _, text = http(method, d.url + path, body, headers)
        return status, (json.loads(text) if text[:1] == b"{" else text)

    def room_with_publisher(self, d, seconds):
        status, r = self.api(d, "POST", "/api/v1/rooms", body=b'{"title":"Streamed"}')
        self.assertEqual(status, 201, r)
        room = r["room"]["id"]
        token = make_token(SECRET, room, role="attendee", sub="gst", name="Gst")
        p = rtcpeers.start_webrtcbin_publisher(d.url + "/whip/" + room, token, seconds)
        self.addCleanup(lambda: (p.kill(), p.communicate()))
        line = p.stdout.readline()
        self.assertIn("published", line, p.stderr.read() if p.poll() is not None else "")
        return room

    def stream_state(self, d, room, states, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            status, r = self.api(d, "GET", "/api/v1/admin/streams?room=" + room, key=VIEW_KEY)
            self.assertEqual(status, 200, r)
            if r["streams"] and r["streams"][0]["state"] in states:
                return r["streams"][0]
            time.sleep(0.2)
        self.fail("the stream never reached %s: %s" % (states, r))



class Streaming(Base):
    def test_hls(self):
        d = self.start_daemon()
        room = self.room_with_publisher(d, 60)
        path = "/api/v1/admin/rooms/%s/stream" % room
        self.assertEqual(self.api(d, "POST", path, key=VIEW_KEY, body=b'{"kind":"hls"}')[0], 403)
        status, r = self.api(d, "POST", path, body=b'{"kind":"dash"}')
        self.assertEqual((status, r["error"]["code"]), (400, "bad_request"), r)
        status, r = self.api(d, "POST", "/api/v1/admin/rooms/nosuchroom/stream", body=b'{"kind":"hls"}')
        self.assertEqual(status, 404, r)
        status, r = self.api(d, "POST", path, body=b'{"kind":"hls"}')
        self.assertEqual(status, 201, r)
        self.assertEqual((r["kind"], r["state"], r["playlist"]), ("hls", "live", "/live/%s/playlist.m3u8" % room))
        stream_id = r["id"]
        self.assertEqual(self.api(d, "POST", path, body=b'{"kind":"hls"}')[0], 409)

        token = make_token(SECRET, room, role="attendee", sub="viewer", name="Viewer")
        other = make_token(SECRET, "otherroom", role="attendee", sub="viewer", name="Viewer")
        playlist_url = d.url + r["playlist"]
        segments = []
        deadline = time.time() + 40
        while len(segments) < 2 and time.time() < deadline:
            time.sleep(0.5)
            status, headers, body = http("GET", playlist_url + "?token=" + token)
            if status == 200:
                self.assertEqual(headers["content-type"], "application/vnd.apple.mpegurl")
                segments = [x for x in body.decode().splitlines() if x and not x.startswith("#")]
        self.assertGreaterEqual(len(segments), 2, "playlist: %s %s" % (status, body))
        self.assertTrue(all(s.endswith("?token=" + urllib.parse.quote(token, safe="")) for s in segments), segments)

        # Authentication and path checks.
        self.assertEqual(http("GET", playlist_url)[0], 401)
        self.assertEqual(http("GET", playlist_url + "?token=" + other)[0], 401)
        self.assertEqual(http("GET", playlist_url, None, {"Authorization": "Bearer " + VIEW_KEY})[0], 200)
        self.assertEqual(http("GET", playlist_url, None, {"Authorization": "Bearer wrong-key-0123456789"})[0], 401)
        for bad in ("/live/%s/..%%2F..%%2Fsecret" % room, "/live/%s/../../secret.ts" % room,
                    "/live/%s/.hidden.ts" % room, "/live/%s/x/y.ts" % room, "/live/%s/secret" % room):
            self.assertEqual(http("GET", d.url + bad + "?token=" + token)[0], 404, bad)

        # Two segments, fetched as a player would, decode (H.264 + AAC).
        for i, seg in enumerate(segments[:2]):
            status, headers, body = http("GET", urllib.parse.urljoin(playlist_url, seg))
            self.assertEqual(status, 200, seg)
            self.assertEqual(headers["content-type"], "video/mp2t")
            seg_file = os.path.join(self.tmp, "seg%d.ts" % i)
            with open(seg_file, "wb") as f:
                f.write(body)
            self.assertEqual(discover(seg_file), {"video", "audio"}, seg)
            frames, error = decode_frames("filesrc location=%s ! tsdemux ! h264parse ! avdec_h264 ! "
                                          "fakesink name=sink sync=false" % seg_file, 20)
            self.assertIsNone(error, seg)
            self.assertGreater(frames, 10, seg)

        status, r = self.api(d, "DELETE", "%s/%s" % (path, stream_id))
        self.assertEqual((status, r.get("state")), (200, "stopped"), r)
        self.assertEqual(self.api(d, "DELETE", "%s/%s" % (path, stream_id))[0], 404)
        status, r = self.api(d, "GET", "/api/v1/admin/streams", key=VIEW_KEY)
        self.assertEqual((status, r["streams"]), (200, []), r)
        # The room's media was not disturbed: the publisher is still in the room.
        status, r = self.api(d, "GET", "/api/v1/admin/rooms/" + room, key=VIEW_KEY)
        self.assertEqual(status, 200, r)
        self.assertTrue(r.get("peers"), r)

    def playlist_segments(self, d, room, want, timeout=40):
        """The HLS playlist's segment names once it lists want of them."""
        deadline = time.time() + timeout
        segments = []
        while len(segments) < want and time.time() < deadline:
            time.sleep(0.5)
            status, _, body = http("GET", d.url + "/live/%s/playlist.m3u8" % room, None,
                                   {"Authorization": "Bearer " + VIEW_KEY})
            if status == 200:
                segments = [x for x in body.decode().splitlines() if x and not x.startswith("#")]
        return segments

    def test_restart_after_kill9(self):
        """A running HLS stream (and an RTMP one, whose URL carries a stream
        key) survive kill -9: sealed in the store, they start again, with their
        ids, once the room has media again; the HLS playlist grows again. A
        stopped stream is forgotten."""
        data = os.path.join(self.tmp, "restart-data")
        key = "secretstreamkey0123456789"
        d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1",
                            "-o", "admin.keys=ops:operator:%s,view:viewer:%s" % (OPS_KEY, VIEW_KEY),
                            "-o", "streaming.dir=" + os.path.join(self.tmp, "live-restart")], data_dir=data)
        self.addCleanup(d.cleanup)
        room = self.room_with_publisher(d, 60)
        path = "/api/v1/admin/rooms/%s/stream" % room
        status, hls = self.api(d, "POST", path, body=b'{"kind":"hls"}')
        self.assertEqual(status, 201, hls)
        body = json.dumps({"kind": "rtmp", "url": "rtmp://127.0.0.1:9/live/" + key}).encode()
        status, rtmp = self.api(d, "POST", path, body=body)
        self.assertEqual(status, 201, rtmp)
        self.assertGreaterEqual(len(self.playlist_segments(d, room, 1)), 1)
        d.proc.kill()
        d.proc.wait()

        # At rest, the stream key is sealed.
        for name in os.listdir(data):
            if name.startswith("meetgate.db"):
                with open(os.path.join(data, name), "rb") as f:
                    self.assertNotIn(key.encode(), f.read(), name)
        db = sqlite3.connect(os.path.join(data, "meetgate.db"))
        specs = dict(db.execute("SELECT id, spec FROM live_pipelines WHERE kind = 'stream'").fetchall())
        db.close()
        self.assertEqual(sorted(specs), sorted([hls["id"], rtmp["id"]]))
        self.assertTrue(all(v.startswith("sealed:") for v in specs.values()), specs)

        d2 = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1",
                             "-o", "admin.keys=ops:operator:%s,view:viewer:%s" % (OPS_KEY, VIEW_KEY),
                             "-o", "streaming.dir=" + os.path.join(self.tmp, "live-restart")], data_dir=data)
        self.addCleanup(self.stop_daemon, d2)
        status, r = self.api(d2, "GET", "/api/v1/admin/streams", key=VIEW_KEY)
        self.assertEqual((status, r["streams"]), (200, []), r)  # not before the room is live again
        token = make_token(SECRET, room, role="attendee", sub="gst2", name="Gst 2")
        p = rtcpeers.start_webrtcbin_publisher(d2.url + "/whip/" + room, token, 60)
        self.addCleanup(lambda: (p.kill(), p.communicate()))
        self.assertIn("published", p.stdout.readline())
        deadline, got = time.time() + 30, {}
        while time.time() < deadline and got.get(hls["id"], {}).get("state") != "live":
            time.sleep(0.2)
            status, r = self.api(d2, "GET", "/api/v1/admin/streams?room=" + room, key=VIEW_KEY)
            got = {x["id"]: x for x in r["streams"]}
        self.assertEqual(sorted(got), sorted([hls["id"], rtmp["id"]]), r)
        self.assertEqual(got[hls["id"]]["state"], "live", r)
        self.assertNotIn(key, json.dumps(r))
        self.assertGreaterEqual(len(self.playlist_segments(d2, room, 2)), 2, "the playlist does not grow again")
        self.assertNotIn(key, d2.log_text())

        status, _ = self.api(d2, "DELETE", "%s/%s" % (path, rtmp["id"]))
        self.assertEqual(status, 200)
        db = sqlite3.connect(os.path.join(data, "meetgate.db"))
        left = [row[0] for row in db.execute("SELECT id FROM live_pipelines").fetchall()]
        db.close()
        self.assertEqual(left, [hls["id"]])

    def room_packets(self, d, room):
        status, r = self.api(d, "GET", "/api/v1/admin/rooms/" + room, key=VIEW_KEY)
        self.assertEqual(status, 200, r)
        return sum(layer.get("packets", 0) for p in r.get("peers", []) for t in p.get("tracks", [])
                   for layer in t.get("layers", [t]))

    def test_hls_disk_full(self):
        """An HLS stream whose disk fills up fails cleanly with the error
        shown; the room's media goes on."""
        live = os.path.join(self.tmp, "small")
        os.mkdir(live)
        private_tmpfs(live, 1024 * 1024)
        self.addCleanup(subprocess.run, ["umount", live])
        d = self.start_daemon("-o", "streaming.dir=" + live)
        room = self.room_with_publisher(d, 90)
        status, r = self.api(d, "POST", "/api/v1/admin/rooms/%s/stream" % room, body=b'{"kind":"hls"}')
        self.assertEqual(status, 201, r)
        r = self.stream_state(d, room, ("failed",), timeout=60)
        self.assertTrue(r["error"], r)
        before = self.room_packets(d, room)
        time.sleep(2)
        self.assertGreater(self.room_packets(d, room), before)
        self.assertEqual(self.api(d, "POST", "/api/v1/admin/rooms/%s/stream" % room, body=b'{"kind":"hls"}')[0], 409)
        status, r = self.api(d, "DELETE", "/api/v1/admin/rooms/%s/stream/%s" % (room, r["id"]))
        self.assertEqual((status, r["state"]), (200, "failed"), r)

    def pull_rtmp(self, url, timeout_s=20):
        return decode_frames("rtmp2src location=%s ! flvdemux name=dm dm.video ! queue ! h264parse ! avdec_h264 ! "
                             "fakesink name=sink sync=false dm.audio ! queue ! fakesink sync=false" % url, timeout_s)

    def pull_until_frames(self, url, want, timeout_s=40):
        deadline = time.time() + timeout_s
        frames, error = 0, None
        while time.time() < deadline:
            # A pull stops at our timeout, or with an error when nothing is published yet.
            frames, error = self.pull_rtmp(url, 6)
            if frames >= want:
                return frames
            time.sleep(0.5)
        self.fail("no %d frames decoded from %s: %d, %s" % (want, url, frames, error))

    def test_rtmp_restarts(self):
        port = free_port()
        nginx = Nginx(self.tmp, port)
        nginx.start()
        self.addCleanup(nginx.kill)
        d = self.start_daemon()
        room = self.room_with_publisher(d, 120)
        url = "rtmp://127.0.0.1:%d/live/streamkey0123" % port
        path = "/api/v1/admin/rooms/%s/stream" % room
        status, r = self.api(d, "POST", path, body=b'{"kind":"rtmp"}')
        self.assertEqual(status, 400, r)  # no url and none configured
        status, r = self.api(d, "POST", path, body=b'{"kind":"rtmp","url":"http://x/y"}')
        self.assertEqual(status, 400, r)
        status, r = self.api(d, "POST", path, body=json.dumps({"kind": "rtmp", "url": url}).encode())
        self.assertEqual(status, 201, r)
        self.assertEqual(r["url"], "rtmp://127.0.0.1:%d/live/***" % port)
        self.assertNotIn("streamkey0123", json.dumps(r))

        self.pull_until_frames(url, 30)

        nginx.kill()
        r = self.stream_state(d, room, ("retrying",))
        self.assertIsNotNone(r["error"])
        self.assertGreaterEqual(r["restarts"], 1)
        nginx.start()
        self.stream_state(d, room, ("live",), timeout=60)
        self.pull_until_frames(url, 30, timeout_s=60)
        status, r = self.api(d, "GET", "/api/v1/admin/streams", key=VIEW_KEY)
        self.assertNotIn("streamkey0123", json.dumps(r))
        self.assertNotIn("streamkey0123", d.log_text())
        # The start is in the audit log under the key's name, without the URL.
        status, audit = self.api(d, "GET", "/api/v1/admin/audit?action=stream_start", key=VIEW_KEY)
        self.assertEqual(status, 200, audit)
        results = sorted(e["result"] for e in audit["entries"])
        self.assertEqual(results, ["bad_request", "bad_request", "ok"], audit)
        self.assertNotIn("streamkey0123", json.dumps(audit))


HR_KEY = "hr-source-key-0123456789abcdef"


def run(coro, timeout=60):
    return asyncio.get_event_loop().run_until_complete(asyncio.wait_for(coro, timeout))


async def ws_join(d, token, name):
    ws = await websockets.connect(d.url.replace("http", "ws", 1) + "/ws")
    await ws.send(json.dumps({"type": "join", "id": 1, "token": token, "name": name}))
    while True:
        msg = json.loads(await ws.recv())
        if msg["type"] == "joined":
            return ws, msg
        if msg["type"] == "error":
            raise AssertionError("join refused: %s" % msg)


async def next_of(ws, kind, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            msg = json.loads(await asyncio.wait_for(ws.recv(), 1))
        except asyncio.TimeoutError:
            continue
        if msg["type"] == kind:
            return msg
    return None


class RecordControls(Base):
    def start_daemon(self, *args):
        return super().start_daemon("-o", "recording.dir=" + os.path.join(self.tmp, "rec"),
                                    "-o", "recording.composite=none", "-o", "oa.sources=hr:" + HR_KEY, *args)

    def recordings(self, d, room):
        status, r = self.api(d, "GET", "/api/v1/recordings?room=" + room, key=VIEW_KEY)
        self.assertEqual(status, 200, r)
        return r["recordings"]

    def wait_recording(self, d, room, states, timeout=30):
        deadline = time.time() + timeout
        recs = []
        while time.time() < deadline:
            recs = self.recordings(d, room)
            if recs and recs[-1]["state"] in states:
                return recs[-1]
            time.sleep(0.2)
        self.fail("no recording of %s reached %s: %s" % (room, states, recs))

    def check_files(self, rec):
        kinds = sorted(f["name"].split("-")[0] for f in rec["files"])
        self.assertEqual(kinds, ["audio", "video"], rec)
        self.assertTrue(all(f["size"] > 0 for f in rec["files"]), rec)

    def test_host_record(self):
        d = self.start_daemon()
        room = self.room_with_publisher(d, 60)
        host = make_token(SECRET, room, role="host", sub="host1", name="Host")
        guest = make_token(SECRET, room, role="attendee", sub="guest1", name="Guest")

        async def scenario():
            hws, _ = await ws_join(d, host, "Host")
            gws, joined = await ws_join(d, guest, "Guest")
            out = {"joined": joined.get("recording")}
            await gws.send(json.dumps({"type": "record", "id": 7, "active": True}))
            out["guest_try"] = await next_of(gws, "error")
            await hws.send(json.dumps({"type": "record", "id": 8, "active": "yes"}))
            out["bad"] = await next_of(hws, "error")
            await hws.send(json.dumps({"type": "record", "id": 9, "active": True}))
            out["on"] = await next_of(gws, "recording")
            out["recs_on"] = self.recordings(d, room)
            await asyncio.sleep(4)
            await hws.send(json.dumps({"type": "record", "id": 10, "active": False}))
            out["off"] = await next_of(gws, "recording")
            await gws.close()
            await hws.close()
            return out

        out = run(scenario())
        self.assertIs(out["joined"], False)
        self.assertEqual(out["guest_try"]["code"], "not_host", out)
        self.assertEqual(out["bad"]["code"], "bad_request", out)
        self.assertEqual(out["on"], {"type": "recording", "active": True})
        self.assertEqual([r["state"] for r in out["recs_on"]], ["recording"], out)
        self.assertEqual(out["off"], {"type": "recording", "active": False})
        rec = self.wait_recording(d, room, ("stopped", "failed"))
        self.assertEqual((rec["state"], rec["error"]), ("stopped", None), rec)
        self.check_files(rec)

    def test_meeting_record_true(self):
        d = self.start_daemon()
        now = int(time.time())
        body = {"external_id": "rec-1", "title": "Recorded all-hands",
                "start": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 60)),
                "end": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 3600)),
                "organizer": {"id": "boss", "name": "Boss"}, "policy": "open", "record": True}
        status, _, text = http("POST", d.url + "/api/v1/meetings", json.dumps(body).encode(),
                               {"Authorization": "Bearer " + HR_KEY, "Content-Type": "application/json"})
        self.assertEqual(status, 201, text)
        m = json.loads(text)["meeting"]
        self.assertIs(m["record"], True)
        bad = dict(body, external_id="rec-2", record="yes")
        status, _, text = http("POST", d.url + "/api/v1/meetings", json.dumps(bad).encode(),
                               {"Authorization": "Bearer " + HR_KEY, "Content-Type": "application/json"})
        self.assertEqual(status, 400, text)
        room = m["room"]["id"]
        token = make_token(SECRET, room, role="attendee", sub="pub", name="Publisher")
        p = rtcpeers.start_webrtcbin_publisher(d.url + "/whip/" + room, token, 60)
        self.addCleanup(lambda: (p.kill(), p.communicate()))
        self.assertIn("published", p.stdout.readline())
        # A WHIP publisher in a meeting's room is a participant (docs/media.md): the room starts
        # with it, and so does the meeting's recording.
        deadline = time.time() + 15
        while time.time() < deadline and not self.recordings(d, room):
            time.sleep(0.2)
        self.assertEqual(len(self.recordings(d, room)), 1)

        async def scenario():
            ws, joined = await ws_join(d, make_token(SECRET, room, role="attendee", sub="u1", name="Ada"), "Ada")
            got = joined.get("recording") or (await next_of(ws, "recording") or {}).get("active")
            await asyncio.sleep(4)
            await ws.send(json.dumps({"type": "leave"}))
            await ws.close()
            return got

        self.assertIs(run(scenario()), True)
        # The WHIP publisher is still in the room: closing it ends the room and the recording.
        status, r = self.api(d, "POST", "/api/v1/admin/rooms/%s/close" % room, body=b"{}")
        self.assertEqual(status, 200, r)
        rec = self.wait_recording(d, room, ("stopped", "failed"))
        self.assertEqual((rec["state"], rec["error"]), ("stopped", None), rec)
        self.check_files(rec)


class LiveControls(Base):
    def test_host_live(self):
        d = self.start_daemon()
        room = self.room_with_publisher(d, 60)
        host = make_token(SECRET, room, role="host", sub="host1", name="Host")
        guest = make_token(SECRET, room, role="attendee", sub="guest1", name="Guest")
        late = make_token(SECRET, room, role="attendee", sub="late1", name="Late")
        playlist = "/live/%s/playlist.m3u8" % room

        async def scenario():
            hws, hjoined = await ws_join(d, host, "Host")
            gws, joined = await ws_join(d, guest, "Guest")
            out = {"host_id": hjoined["me"]["id"], "joined": joined.get("live")}
            await gws.send(json.dumps({"type": "live", "id": 7, "active": True}))
            out["guest_try"] = await next_of(gws, "error")
            await hws.send(json.dumps({"type": "live", "id": 8, "active": "yes"}))
            out["bad"] = await next_of(hws, "error")
            await hws.send(json.dumps({"type": "live", "id": 9, "active": True, "kind": "dash"}))
            out["bad_kind"] = await next_of(hws, "error")
            await hws.send(json.dumps({"type": "live", "id": 10, "active": True, "kind": "rtmp"}))
            out["no_rtmp"] = await next_of(hws, "error")
            await hws.send(json.dumps({"type": "live", "id": 11, "active": True}))
            out["on"] = await next_of(gws, "live")
            out["host_on"] = await next_of(hws, "live")
            lws, ljoined = await ws_join(d, late, "Late")
            out["late_joined"] = ljoined.get("live")
            # The playlist appears and is served to a join token of the room.
            segments, deadline = [], time.time() + 40
            while len(segments) < 1 and time.time() < deadline:
                await asyncio.sleep(0.5)
                status, _, body = http("GET", d.url + playlist + "?token=" + guest)
                if status == 200:
                    segments = [x for x in body.decode().splitlines() if x and not x.startswith("#")]
            out["segments"] = segments
            await hws.send(json.dumps({"type": "live", "id": 12, "active": False}))
            out["off"] = await next_of(gws, "live")
            out["host_off"] = await next_of(hws, "live")
            # A stream started by the admin API shows on the page the same way.
            status, r = self.api(d, "POST", "/api/v1/admin/rooms/%s/stream" % room, body=b'{"kind":"hls"}')
            out["admin_on"] = (status, await next_of(gws, "live"))
            status, r2 = self.api(d, "DELETE", "/api/v1/admin/rooms/%s/stream/%s" % (room, r["id"]))
            out["admin_off"] = (status, await next_of(gws, "live"))
            for ws in (lws, gws, hws):
                await ws.close()
            return out

        out = run(scenario(), timeout=90)
        self.assertEqual(out["joined"], {"active": False})
        self.assertEqual(out["guest_try"]["code"], "not_host", out)
        self.assertEqual(out["bad"]["code"], "bad_request", out)
        self.assertEqual(out["bad_kind"]["code"], "bad_request", out)
        self.assertEqual(out["no_rtmp"]["code"], "live_unavailable", out)
        self.assertIn("rtmp_url", out["no_rtmp"]["message"])
        on = out["on"]
        self.assertEqual((on["active"], on["kind"]), (True, "hls"), out)
        self.assertTrue(on["url"].startswith("http") and on["url"].endswith(playlist), out)
        self.assertEqual(out["host_on"], on)
        self.assertEqual(out["late_joined"], {k: v for k, v in on.items() if k != "type"})
        self.assertGreaterEqual(len(out["segments"]), 1, out)
        self.assertEqual(out["off"], {"type": "live", "active": False})
        self.assertEqual(out["host_off"], out["off"])
        self.assertEqual(out["admin_on"][0], 201, out)
        self.assertEqual((out["admin_on"][1] or {}).get("url"), on["url"], out)
        self.assertEqual(out["admin_off"], (200, {"type": "live", "active": False}))
        # Audited like the admin API's starts and stops, under the host's identity.
        who = "host:" + out["host_id"]
        status, audit = self.api(d, "GET", "/api/v1/admin/audit?action=stream_start", key=VIEW_KEY)
        self.assertEqual(status, 200, audit)
        starts = sorted((e["key"], e["result"]) for e in audit["entries"])
        self.assertEqual(starts, sorted([(who, "live_unavailable"), (who, "ok"), ("ops", "ok")]), audit)
        status, audit = self.api(d, "GET", "/api/v1/admin/audit?action=stream_stop", key=VIEW_KEY)
        stops = sorted((e["key"], e["result"]) for e in audit["entries"])
        self.assertEqual(stops, sorted([(who, "ok"), ("ops", "ok")]), audit)

    def test_live_fails_and_comes_back(self):
        port = free_port()  # nothing listens here until nginx starts below
        key = "failingstreamkey0123456789"
        d = self.start_daemon("-o", "streaming.rtmp_url=rtmp://127.0.0.1:%d/live/%s" % (port, key))
        room = self.room_with_publisher(d, 120)
        host = make_token(SECRET, room, role="host", sub="host1", name="Host")
        guest = make_token(SECRET, room, role="attendee", sub="guest1", name="Guest")
        nginx = Nginx(self.tmp, port)
        self.addCleanup(nginx.kill)

        async def scenario():
            hws, _ = await ws_join(d, host, "Host")
            gws, _ = await ws_join(d, guest, "Guest")
            out = {}
            await hws.send(json.dumps({"type": "live", "id": 1, "active": True, "kind": "rtmp"}))
            out["on"] = await next_of(gws, "live")
            out["failed"] = await next_of(gws, "live", timeout=30)
            out["host_on"] = await next_of(hws, "live")
            out["host_failed"] = await next_of(hws, "live", timeout=30)
            # Those who join now read a room that is not live.
            lws, ljoined = await ws_join(d, make_token(SECRET, room, role="attendee", sub="l1", name="L"), "L")
            out["late_joined"] = ljoined.get("live")
            status, r = self.api(d, "GET", "/api/v1/admin/streams?room=" + room, key=VIEW_KEY)
            out["admin_failed"] = (status, r)
            # An RTMP server appears: the stream's next restart reaches it, and the room is live again.
            nginx.start()
            out["again"] = await next_of(gws, "live", timeout=90)
            out["admin_again"] = self.stream_state(d, room, ("live",), timeout=10)
            await hws.send(json.dumps({"type": "live", "id": 2, "active": False, "kind": "rtmp"}))
            out["off"] = await next_of(gws, "live")
            for ws in (lws, gws, hws):
                await ws.close()
            return out

        out = run(scenario(), timeout=180)
        print("failure as the room saw it: %s" % out["failed"])
        self.assertEqual((out["on"] or {}).get("active"), True, out)
        self.assertEqual(out["on"]["kind"], "rtmp", out)
        failed = out["failed"]
        self.assertIsNotNone(failed, out)
        self.assertEqual((failed["active"], failed["reason"]), (False, "failed"), out)
        self.assertTrue(failed["error"], out)
        self.assertEqual(out["host_on"], out["on"])
        self.assertEqual(out["host_failed"], failed)
        self.assertEqual(out["late_joined"], {"active": False})
        status, r = out["admin_failed"]
        self.assertEqual(status, 200, r)
        self.assertEqual(len(r["streams"]), 1, r)
        self.assertIn(r["streams"][0]["state"], ("retrying", "live"), r)  # RTMP keeps trying: a restart may be running
        self.assertTrue(r["streams"][0]["error"], r)
        self.assertGreaterEqual(r["streams"][0]["restarts"], 1, r)
        self.assertEqual((out["again"] or {}).get("active"), True, out)
        self.assertNotIn("reason", out["again"])
        self.assertEqual(out["off"], {"type": "live", "active": False})
        self.assertNotIn(key, json.dumps(out))
        self.assertNotIn(key, d.log_text())


if __name__ == "__main__":
    unittest.main(verbosity=2)

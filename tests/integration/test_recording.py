#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Recording with real peers through the real meetgate in a loopback-only
namespace: two GStreamer webrtcbin publishers (VP8 + Opus), a per-track
recording of about ten seconds started and stopped over the admin API, the
per-track files and the composite checked with GStreamer (discoverer and a
full decode), the indicator
message a participant gets, and a recording into a filesystem that fills up
mid-way: it ends with a clear error while a subscriber keeps receiving."""
import asyncio
import ctypes
import hashlib
import hmac
import http.server as httpserver
import json
import threading
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rtcpeers  # noqa: E402

rtcpeers.netns_reexec()

import gi  # noqa: E402

gi.require_version("Gst", "1.0")
gi.require_version("GstPbutils", "1.0")
from gi.repository import Gst, GstPbutils  # noqa: E402

import websockets  # noqa: E402
from mgtest import Daemon  # noqa: E402
from rtcpeers import AiortcClient, http, make_token  # noqa: E402

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"
SECRET = "recording-test-secret-0123456789abcdef0123456"
OPS_KEY = "operator-key-0123456789abcdef"
VIEW_KEY = "viewer-key-0123456789abcdef"
HOOK_SECRET = "recording-hook-secret-0123456789"
RECORD_S = 10.0
TOLERANCE_S = 0.5
CLONE_NEWNS = 0x00020000
MS_REC, MS_PRIVATE = 0x4000, 1 << 18

Gst.init(None)


def run(coro, timeout=120):
    return asyncio.get_event_loop().run_until_complete(asyncio.wait_for(coro, timeout))


def private_tmpfs(path, size):
    """A small tmpfs at path in a mount namespace of our own (the daemon we
    start inherits it), so a recording can fill its disk."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), "mount --make-rprivate /")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d" % size, "tmpfs", path], check=True)


def discover(path):
    info = GstPbutils.Discoverer.new(10 * Gst.SECOND).discover_uri(Gst.filename_to_uri(path))
    kinds = set()
    for s in info.get_stream_list():
        if isinstance(s, GstPbutils.DiscovererVideoInfo):
            kinds.add("video")
        elif isinstance(s, GstPbutils.DiscovererAudioInfo):
            kinds.add("audio")
    return kinds, info.get_duration() / Gst.SECOND


def decode(path):
    """Decodes the whole file; (decoded buffers, first error or None)."""
    pipe = Gst.parse_launch("filesrc name=src ! decodebin ! fakesink name=sink sync=false signal-handoffs=true")
    pipe.get_by_name("src").set_property("location", path)
    count = [0]
    pipe.get_by_name("sink").connect("handoff", lambda *a: count.__setitem__(0, count[0] + 1))
    pipe.set_state(Gst.State.PLAYING)
    msg = pipe.get_bus().timed_pop_filtered(30 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipe.set_state(Gst.State.NULL)
    if msg is None:
        return count[0], "no EOS within 30 s"
    if msg.type == Gst.MessageType.ERROR:
        return count[0], msg.parse_error()[0].message
    return count[0], None


def patch_aiortc_voice():
    """aiortc always sends the audio level's voice flag off, and the SFU only
    counts voiced packets for the active speaker: a loud frame is voiced.
    aiortc also offers id 2 for both the audio level and the video's
    abs-send-time, which meetgate refuses under BUNDLE: give the video's its own id."""
    import aiortc.codecs
    import aiortc.rtp
    if getattr(aiortc.rtp.HeaderExtensionsMap, "mg_voiced", False):
        return
    for ext in aiortc.codecs.HEADER_EXTENSIONS["video"]:
        if ext.uri.endswith("abs-send-time"):
            ext.id = 3
    plain = aiortc.rtp.HeaderExtensionsMap.set

    def voiced(self, values):
        if values.audio_level is not None and values.audio_level[1] < 100:
            values.audio_level = (True, values.audio_level[1])
        return plain(self, values)
    aiortc.rtp.HeaderExtensionsMap.set = voiced
    aiortc.rtp.HeaderExtensionsMap.mg_voiced = True


def colour_share(path, at_s, rgb):
    """The share (0..1) of the composite's frame at at_s that has colour rgb."""
    import numpy
    pipe = Gst.parse_launch("filesrc name=src ! decodebin ! videoconvert ! video/x-raw,format=RGB ! "
                            "appsink name=out sync=false")
    pipe.get_by_name("src").set_property("location", path)
    out = pipe.get_by_name("out")
    pipe.set_state(Gst.State.PLAYING)
    share = None
    try:
        while share is None:
            sample = out.emit("pull-sample")
            if sample is None:
                break
            buf = sample.get_buffer()
            if buf.pts < at_s * Gst.SECOND:
                continue
            s = sample.get_caps().get_structure(0)
            w, h = s.get_value("width"), s.get_value("height")
            ok, info = buf.map(Gst.MapFlags.READ)
            stride = len(info.data) // h
            frame = numpy.frombuffer(info.data, numpy.uint8).reshape(h, stride)[:, :w * 3].reshape(h, w, 3)
            near = numpy.all(numpy.abs(frame.astype(int) - numpy.array(rgb)) < 60, axis=2)
            share = float(near.mean())
            buf.unmap(info)
    finally:
        pipe.set_state(Gst.State.NULL)
    return share


class Publisher:
    """A participant of the meeting page's protocol (/ws) that publishes a
    plain colour and a tone (aiortc), under a display name."""

    def __init__(self, url, token, name, rgb, amplitude):
        self.url, self.token, self.name, self.rgb = url, token, name, rgb
        self.amplitude = amplitude
        self.inbox, self.next_id, self.pc = [], 0, None

    async def start(self):
        rtcpeers.patch_aioice_loopback()
        patch_aiortc_voice()
        import fractions
        import av
        import numpy
        from aiortc import RTCPeerConnection, RTCSessionDescription
        from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
        outer = self

        class Colour(VideoStreamTrack):
            async def recv(self):
                pts, base = await self.next_timestamp()
                img = numpy.zeros((180, 320, 3), numpy.uint8)
                img[:, :] = outer.rgb
                frame = av.VideoFrame.from_ndarray(img, format="rgb24")
                frame.pts, frame.time_base = pts, base
                return frame

        class Tone(AudioStreamTrack):
            n = 0

            async def recv(self):
                frame = await super().recv()
                samples = frame.samples
                t = (numpy.arange(samples) + self.n) / frame.sample_rate
                self.n += samples
                pcm = (numpy.sin(2 * numpy.pi * 440 * t) * outer.amplitude * 32767).astype("<i2")
                out = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
                out.sample_rate, out.pts, out.time_base = frame.sample_rate, frame.pts, fractions.Fraction(
                    1, frame.sample_rate)
                return out

        self.ws = await websockets.connect(self.url.replace("http", "ws", 1) + "/ws")
        self.reader = asyncio.ensure_future(self._read())
        joined = await self.request({"type": "join", "token": self.token, "name": self.name})
        assert joined["type"] == "joined", joined
        self.pc = RTCPeerConnection()
        self.pc.addTrack(Tone())
        self.pc.addTrack(Colour())
        await self.pc.setLocalDescription(await self.pc.createOffer())
        mids = [t.mid for t in self.pc.getTransceivers()]
        answer = await self.request({"type": "publish", "sdp": self.pc.localDescription.sdp,
                                     "tracks": [{"mid": mids[0], "source": "microphone"},
                                                {"mid": mids[1], "source": "camera"}]})
        assert answer["type"] == "publish_answer", answer
        if os.environ.get("MG_DEBUG_SDP"):
            print(self.pc.localDescription.sdp, answer["sdp"], file=sys.stderr)
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))

    async def _read(self):
        try:
            async for text in self.ws:
                self.inbox.append(json.loads(text))
        except websockets.ConnectionClosed:
            pass

    async def request(self, msg, timeout=15):
        self.next_id += 1
        i = self.next_id
        await self.ws.send(json.dumps(dict(msg, id=i)))
        deadline = time.time() + timeout
        while time.time() < deadline:
            for m in self.inbox:
                if m.get("id") == i:
                    self.inbox.remove(m)
                    return m
            await asyncio.sleep(0.02)
        raise AssertionError("no answer to %s; got %s" % (msg["type"], [m["type"] for m in self.inbox]))

    async def close(self):
        if self.pc:
            await self.pc.close()
        self.reader.cancel()
        await self.ws.close()


class HookReceiver:
    """Event webhooks: checks each signature and keeps the bodies."""

    def __init__(self):
        self.events, self.bad = [], []
        outer = self

        class Handler(httpserver.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                ts = self.headers.get("X-Meetgate-Timestamp", "")
                want = "sha256=" + hmac.new(HOOK_SECRET.encode(), ts.encode() + b"." + body,
                                            hashlib.sha256).hexdigest()
                (outer.events if self.headers.get("X-Meetgate-Signature") == want else outer.bad).append(
                    json.loads(body))
                self.send_response(204)
                self.end_headers()

        self.server = httpserver.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_address[1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Recording(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mg-rec-")
        cls.full_dir = os.path.join(cls.tmp, "small")
        os.mkdir(cls.full_dir)
        private_tmpfs(cls.full_dir, 96 * 1024)
        cls.d = None

    @classmethod
    def tearDownClass(cls):
        subprocess.run(["umount", cls.full_dir])

    def start_daemon(self, rec_dir, *args):
        d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1",
                            "-o", "admin.keys=ops:operator:%s,view:viewer:%s" % (OPS_KEY, VIEW_KEY),
                            "-o", "recording.dir=" + rec_dir, *args])
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

    def create_room(self, d):
        status, r = self.api(d, "POST", "/api/v1/rooms", body=b'{"title":"Recorded"}')
        self.assertEqual(status, 201, r)
        return r

    def publishers(self, d, room, n, seconds):
        procs = []
        for i in range(n):
            token = make_token(SECRET, room, role="attendee", sub="gst%d" % i, name="Gst %d" % i)
            procs.append(rtcpeers.start_webrtcbin_publisher(d.url + "/whip/" + room, token, seconds))
        for p in procs:
            self.addCleanup(lambda p=p: (p.kill(), p.communicate()))
        for p in procs:
            line = p.stdout.readline()
            self.assertIn("published", line, p.stderr.read() if p.poll() is not None else "")
        return procs

    def wait_tracks(self, d, room, n, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            status, r = self.api(d, "GET", "/api/v1/admin/rooms/" + room, key=VIEW_KEY)
            if status == 200 and sum(t.get("packets", 0) > 0 for t in self.tracks_of(r)) >= n:
                return
            time.sleep(0.2)
        self.fail("the room never had %d tracks with media: %s" % (n, r))

    @staticmethod
    def tracks_of(stats):
        out = []
        for p in stats.get("peers", []):
            for t in p.get("tracks", []):
                out.append({"packets": sum(layer.get("packets", 0) for layer in t.get("layers", [t]))})
        return out

    def assert_lasts(self, duration, recorded, what):
        """The recording ran at least from our POST's answer to our DELETE
        (recorded[0]) and at most from sending the POST to the DELETE's answer
        (recorded[1]); a file must last that long, give or take TOLERANCE_S."""
        shortest, longest = recorded
        self.assertTrue(shortest - TOLERANCE_S <= duration <= longest + TOLERANCE_S,
                        "%s lasts %.3f s; the recording ran %.3f to %.3f s" % (what, duration, shortest, longest))

    def wait_state(self, d, rec_id, states, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            status, r = self.api(d, "GET", "/api/v1/recordings/" + rec_id, key=VIEW_KEY)
            self.assertEqual(status, 200, r)
            if r["state"] in states:
                return r
            time.sleep(0.2)
        self.fail("recording %s never reached %s: %s" % (rec_id, states, r))

    def test_per_track_recording(self):
        rec_dir = os.path.join(self.tmp, "recordings")
        hooks = HookReceiver()
        self.addCleanup(hooks.close)
        d = self.start_daemon(rec_dir, "-o", "events.webhooks=mon:%s:%s" % (HOOK_SECRET, hooks.url),
                              "-o", "events.types=recording_started,recording_finished")
        room = self.create_room(d)
        room_id = room["room"]["id"]
        guest = room["links"]["guest"].split("?t=")[1]
        self.publishers(d, room_id, 2, RECORD_S + 20)
        self.wait_tracks(d, room_id, 4)

        async def watch_indicator():
            ws = await websockets.connect(d.url.replace("http", "ws", 1) + "/ws")
            await ws.send(json.dumps({"type": "join", "id": 1, "token": guest, "name": "Watcher"}))
            seen = []
            while True:
                msg = json.loads(await ws.recv())
                if msg["type"] == "joined":
                    seen.append(("joined", msg.get("recording")))
                    break
            return ws, seen

        ws, seen = run(watch_indicator())
        self.assertEqual(seen, [("joined", False)])

        status, r = self.api(d, "POST", "/api/v1/admin/rooms/%s/recording" % room_id, key=VIEW_KEY)
        self.assertEqual(status, 403, r)
        t_post = time.monotonic()
        status, r = self.api(d, "POST", "/api/v1/admin/rooms/%s/recording" % room_id)
        t0 = time.monotonic()
        self.assertEqual(status, 201, r)
        rec_id = r["id"]
        self.assertEqual(r["state"], "recording")
        status, again = self.api(d, "POST", "/api/v1/admin/rooms/%s/recording" % room_id)
        self.assertEqual(status, 409, again)
        status, rooms = self.api(d, "GET", "/api/v1/admin/rooms", key=VIEW_KEY)
        self.assertEqual([x["recording"] for x in rooms["rooms"] if x["id"] == room_id], [True], rooms)
        time.sleep(RECORD_S - (time.monotonic() - t0))
        t_delete = time.monotonic()
        status, r = self.api(d, "DELETE", "/api/v1/admin/rooms/%s/recording" % room_id)
        recorded = (t_delete - t0, time.monotonic() - t_post)
        self.assertEqual(status, 202, r)

        async def indicator_messages():
            got = []
            deadline = time.time() + 10
            while len(got) < 2 and time.time() < deadline:
                try:
                    msg = json.loads(await asyncio.wait_for(ws.recv(), 1))
                except asyncio.TimeoutError:
                    continue
                if msg["type"] == "recording":
                    got.append(msg["active"])
            await ws.close()
            return got

        r = self.wait_state(d, rec_id, ("stopped", "failed"))
        self.assertEqual(r["state"], "stopped", r)
        self.assertIsNone(r["error"])
        self.assertEqual(run(indicator_messages()), [True, False])

        files = r["files"]
        self.assertEqual(len(files), 5, files)
        self.assertEqual(sorted(f["name"].split("-")[0].split(".")[0] for f in files),
                         ["audio", "audio", "composite", "video", "video"])
        run_dir = os.path.join(rec_dir, room_id)
        (stamp,) = os.listdir(run_dir)
        composite = os.path.join(run_dir, stamp, "composite.webm")
        kinds, duration = discover(composite)
        self.assertEqual(kinds, {"audio", "video"})
        self.assert_lasts(duration, recorded, "the composite")
        decoded, error = decode(composite)
        self.assertIsNone(error)
        self.assertGreater(decoded, 0)
        files = [f for f in files if not f["name"].startswith("composite.")]
        for f in files:
            path = os.path.join(run_dir, stamp, f["name"])
            self.assertEqual(os.path.getsize(path), f["size"])
            kind = f["name"].split("-")[0]
            kinds, duration = discover(path)
            if os.environ.get("MG_KEEP"):
                subprocess.run(["cp", path, "/tmp/x/"])
                print(f["name"], duration, recorded, file=sys.stderr)
            self.assertEqual(kinds, {kind}, f["name"])
            self.assert_lasts(duration, recorded, f["name"])
            decoded, error = decode(path)
            self.assertIsNone(error, f["name"])
            self.assertGreater(decoded, 0, f["name"])

        # Download: authenticated, byte for byte.
        f = files[0]
        status, _, body = http("GET", d.url + f["url"])
        self.assertEqual(status, 401)
        status, _, body = http("GET", d.url + f["url"], None, {"Authorization": "Bearer " + VIEW_KEY})
        self.assertEqual(status, 200)
        with open(os.path.join(run_dir, stamp, f["name"]), "rb") as fh:
            self.assertEqual(body, fh.read())
        status, _, _ = http("GET", d.url + "/api/v1/recordings/%s/files/..%%2Frecording.json" % rec_id, None,
                            {"Authorization": "Bearer " + VIEW_KEY})
        self.assertEqual(status, 404)
        status, listing = self.api(d, "GET", "/api/v1/recordings", key=VIEW_KEY)
        self.assertEqual([x["id"] for x in listing["recordings"]], [rec_id])
        with open(os.path.join(run_dir, stamp, "recording.json")) as fh:
            self.assertEqual(json.load(fh)["state"], "stopped")

        # Both actions are in the audit log under the key's name.
        status, audit = self.api(d, "GET", "/api/v1/admin/audit", key=VIEW_KEY)
        self.assertEqual(status, 200, audit)
        done = [(e["action"], e["key"], e["result"]) for e in audit["entries"]
                if e["action"].startswith("recording_")]
        self.assertIn(("recording_start", "ops", "ok"), done, audit)
        self.assertIn(("recording_start", "ops", "already_recording"), done, audit)
        self.assertIn(("recording_stop", "ops", "ok"), done, audit)

        # Event webhooks: recording_started and recording_finished, signed, once each.
        deadline = time.time() + 20
        while len(hooks.events) < 2 and time.time() < deadline:
            time.sleep(0.2)
        self.assertEqual(hooks.bad, [])
        self.assertEqual(sorted(e["type"] for e in hooks.events), ["recording_finished", "recording_started"],
                         hooks.events)
        self.assertEqual(len({e["id"] for e in hooks.events}), 2)

        # Another meetgate on the same directory lists it from its manifest.
        d2 = self.start_daemon(rec_dir)
        status, listing = self.api(d2, "GET", "/api/v1/recordings?room=" + room_id, key=VIEW_KEY)
        self.assertEqual(status, 200, listing)
        (again,) = listing["recordings"]
        self.assertEqual((again["id"], again["state"], again["error"]), (rec_id, "stopped", None))
        self.assertEqual(len(again["files"]), 5)
        status, _, body = http("GET", d2.url + f["url"], None, {"Authorization": "Bearer " + VIEW_KEY})
        self.assertEqual(status, 200)
        self.assertEqual(len(body), f["size"])

    def test_late_track_joins(self):
        """A publisher that comes while the room is recorded gets its own
        files (both kinds, decodable) next to the first publisher's."""
        rec_dir = os.path.join(self.tmp, "late")
        d = self.start_daemon(rec_dir, "-o", "recording.composite=none")
        room = self.create_room(d)["room"]["id"]
        self.publishers(d, room, 1, 30)
        self.wait_tracks(d, room, 2)
        early = self.track_ids(d, room)
        self.assertEqual(len(early), 2, early)
        status, r = self.api(d, "POST", "/api/v1/admin/rooms/%s/recording" % room)
        self.assertEqual(status, 201, r)
        time.sleep(2)
        self.publishers(d, room, 1, 30)
        self.wait_tracks(d, room, 4)
        time.sleep(3)
        status, _ = self.api(d, "DELETE", "/api/v1/admin/rooms/%s/recording" % room)
        self.assertEqual(status, 202)
        r = self.wait_state(d, r["id"], ("stopped", "failed"))
        self.assertEqual(r["state"], "stopped", r)
        names = sorted(f["name"] for f in r["files"])
        self.assertEqual(len(names), 4, names)  # no composite with composite = none
        (stamp,) = os.listdir(os.path.join(rec_dir, room))
        late = []
        for name in names:
            kind, track = name.split("-", 1)
            track = track.rsplit(".", 1)[0]
            if track not in early:
                late.append(kind)
            path = os.path.join(rec_dir, room, stamp, name)
            kinds, _ = discover(path)
            self.assertEqual(kinds, {kind}, name)
            decoded, error = decode(path)
            self.assertIsNone(error, name)
            self.assertGreater(decoded, 0, name)
        self.assertEqual(sorted(late), ["audio", "video"], names)

    def test_composite_names_speaker_late(self):
        """Three named participants (red joins ~3 s late, green speaks softly
        from the start, red loudly once it is in): the manifest names each
        track and notes the speaker changes with their times; the composite
        plays, lasts as long as the recording, has no red a second before
        red's start and red two seconds after it (the late tile at its time,
        not at 0)."""
        rec_dir = os.path.join(self.tmp, "composite")
        d = self.start_daemon(rec_dir)
        room = self.create_room(d)["room"]["id"]
        colours = {"Gina Green": (0, 255, 0), "Bea Blue": (0, 0, 255), "Rob Red": (255, 0, 0)}

        def publisher(name, amplitude):
            token = make_token(SECRET, room, role="attendee", sub=name.split()[0].lower(), name=name)
            return Publisher(d.url, token, name, colours[name], amplitude)

        async def scenario():
            early = [publisher("Gina Green", 0.05), publisher("Bea Blue", 0.0)]
            late = publisher("Rob Red", 0.8)
            try:
                for p in early:
                    await p.start()
                loop = asyncio.get_event_loop()
                await loop.run_in_executor(None, self.wait_tracks, d, room, 4)
                t_post = time.monotonic()
                status, r = self.api(d, "POST", "/api/v1/admin/rooms/%s/recording" % room)
                self.assertEqual(status, 201, r)
                t0 = time.monotonic()
                await asyncio.sleep(3)
                await late.start()
                await asyncio.sleep(RECORD_S - (time.monotonic() - t0))
                t_delete = time.monotonic()
                status, _ = self.api(d, "DELETE", "/api/v1/admin/rooms/%s/recording" % room)
                self.assertEqual(status, 202)
                return r["id"], (t_delete - t0, time.monotonic() - t_post)
            finally:
                for p in early + [late]:
                    await p.close()

        rec_id, recorded = run(scenario())
        r = self.wait_state(d, rec_id, ("stopped", "failed"), timeout=60)
        self.assertEqual(r["state"], "stopped", r)
        (stamp,) = os.listdir(os.path.join(rec_dir, room))
        with open(os.path.join(rec_dir, room, stamp, "recording.json")) as fh:
            manifest = json.load(fh)
        tracks = manifest["tracks"]
        self.assertEqual(sorted((t["name"], t["kind"]) for t in tracks),
                         sorted((n, k) for n in colours for k in ("audio", "video")), tracks)
        # Starts count from the recording's start; the early ones join when the
        # recording attaches (under ASan that took up to 2 s), the late one about 3 s later.
        starts = {t["name"]: t["start_ms"] / 1000 for t in tracks if t["kind"] == "video"}
        early, late = starts["Gina Green"], starts["Rob Red"]
        self.assertGreater(late - early, 2.0, tracks)
        self.assertLess(late, recorded[0] - 3.0, tracks)
        speakers = manifest["speakers"]
        self.assertEqual([s["name"] for s in speakers][-2:], ["Gina Green", "Rob Red"], speakers)
        self.assertGreater(speakers[-1]["at_ms"] / 1000, late, speakers)
        self.assertEqual(r["speakers"], speakers)  # the API says the same

        composite = os.path.join(rec_dir, room, stamp, "composite.webm")
        kinds, duration = discover(composite)
        self.assertEqual(kinds, {"audio", "video"})
        self.assert_lasts(duration, recorded, "the composite")
        # A second before red joined: green but no red; two seconds after: red.
        red_early = colour_share(composite, late - 1.0, colours["Rob Red"])
        green = colour_share(composite, late - 1.0, colours["Gina Green"])
        red_late = colour_share(composite, late + 2.0, colours["Rob Red"])
        self.assertLess(red_early, 0.002, "red shows before it joined (%.1f s)" % late)
        self.assertGreater(green, 0.02, "green is missing before red joined")
        self.assertGreater(red_late, 0.02, "red is missing after it joined (%.1f s)" % late)
        if os.environ.get("MG_KEEP"):
            subprocess.run(["cp", composite, "/tmp/"])

    def track_ids(self, d, room):
        status, r = self.api(d, "GET", "/api/v1/admin/rooms/" + room, key=VIEW_KEY)
        self.assertEqual(status, 200, r)
        return {t["id"] for p in r.get("peers", []) for t in p.get("tracks", [])}

    def test_disk_full_stops_cleanly(self):
        d = self.start_daemon(self.full_dir)
        room = self.create_room(d)["room"]["id"]
        self.publishers(d, room, 1, 40)
        self.wait_tracks(d, room, 2)

        async def scenario():
            sub = AiortcClient(d.url, room, make_token(SECRET, room, sub="sub"))
            await sub.play()
            try:
                if not await sub.wait_frames(count=10, timeout=15):
                    raise AssertionError("the subscriber got nothing: %s" % sub.frames)
                status, r = self.api(d, "POST", "/api/v1/admin/rooms/%s/recording" % room)
                self.assertEqual(status, 201, r)
                loop = asyncio.get_event_loop()
                failed = await loop.run_in_executor(None, self.wait_state, d, r["id"], ("failed", "stopped"), 40)
                before = dict(sub.frames)
                await asyncio.sleep(3)
                after = dict(sub.frames)
                return failed, before, after
            finally:
                await sub.close()

        failed, before, after = run(scenario())
        self.assertEqual(failed["state"], "failed", failed)
        self.assertIn("No space left", failed["error"])
        self.assertGreater(after["video"], before["video"] + 20, (before, after))
        self.assertGreater(after["audio"], before["audio"] + 20, (before, after))
        status, r = self.api(d, "POST", "/api/v1/admin/rooms/%s/recording" % room)
        self.assertIn(status, (201, 500), r)  # the room may be recorded again (or the disk is still full)


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Join by link over the signaling WebSocket with real aiortc peers, in a
loopback-only namespace: rooms from the API, join refusals, publish, the
server-offered subscribe connection and its renegotiation, lobby, host
actions, resume (docs/protocol.md)."""
import asyncio
import json
import os
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rtcpeers  # noqa: E402

rtcpeers.netns_reexec()

import websockets  # noqa: E402
from mgtest import Daemon  # noqa: E402
from rtcpeers import http, make_token  # noqa: E402

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"
SECRET = "signaling-test-secret-0123456789abcdef012345"
OPS_KEY = "operator-key-0123456789abcdef"


def run(coro, timeout=90):
    return asyncio.get_event_loop().run_until_complete(asyncio.wait_for(coro, timeout))


class Client:
    """One participant: a WebSocket, a publish and a subscribe RTCPeerConnection (aiortc)."""

    def __init__(self, url):
        self.url = url
        self.ws = None
        self.inbox = []
        self.pub = self.sub = None
        self.frames = {}
        self.tasks = []
        self.next_id = 0

    async def connect(self):
        self.ws = await websockets.connect(self.url.replace("http", "ws", 1) + "/ws")
        self.tasks.append(asyncio.ensure_future(self._read()))

    async def _read(self):
        try:
            async for text in self.ws:
                msg = json.loads(text)
                if msg["type"] == "subscribe_offer":
                    self.tasks.append(asyncio.ensure_future(self._answer(msg)))
                self.inbox.append(msg)
        except websockets.ConnectionClosed:
            pass

    async def send(self, msg):
        self.next_id += 1
        msg = dict(msg, id=self.next_id)
        await self.ws.send(json.dumps(msg))
        return self.next_id

    async def wait(self, pred, timeout=15, what="message"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for m in self.inbox:
                if pred(m):
                    self.inbox.remove(m)
                    return m
            await asyncio.sleep(0.02)
        raise AssertionError("no %s; got %s" % (what, [m["type"] for m in self.inbox]))

    async def request(self, msg, timeout=15):
        i = await self.send(msg)
        return await self.wait(lambda m: m.get("id") == i, timeout, "answer to " + msg["type"])

    async def join(self, token, name, room=None):
        msg = {"type": "join", "token": token, "name": name}
        if room:
            msg["room"] = room
        return await self.request(msg)

    async def publish(self):
        rtcpeers.patch_aioice_loopback()
        from aiortc import RTCPeerConnection, RTCSessionDescription
        from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
        self.pub = RTCPeerConnection()
        self.pub.addTrack(AudioStreamTrack())
        self.pub.addTrack(VideoStreamTrack())
        await self.pub.setLocalDescription(await self.pub.createOffer())
        mids = [t.mid for t in self.pub.getTransceivers()]
        answer = await self.request({"type": "publish", "sdp": self.pub.localDescription.sdp,
                                     "tracks": [{"mid": mids[0], "source": "microphone"},
                                                {"mid": mids[1], "source": "camera"}]})
        assert answer["type"] == "publish_answer", answer
        await self.pub.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))

    async def _answer(self, offer):
        rtcpeers.patch_aioice_loopback()
        from aiortc import RTCPeerConnection, RTCSessionDescription
        if not self.sub:
            self.sub = RTCPeerConnection()

            @self.sub.on("track")
            def on_track(track):
                self.tasks.append(asyncio.ensure_future(self._consume(track)))
        self.last_offer_tracks = offer["tracks"]
        await self.sub.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        await self.sub.setLocalDescription(await self.sub.createAnswer())
        await self.send({"type": "subscribe_answer", "sdp": self.sub.localDescription.sdp})

    async def _consume(self, track):
        while True:
            try:
                await track.recv()
            except Exception:
                return
            self.frames[track.kind] = self.frames.get(track.kind, 0) + 1

    async def wait_frames(self, count=10, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.frames.get("audio", 0) >= count and self.frames.get("video", 0) >= count:
                return True
            await asyncio.sleep(0.1)
        return False

    async def close(self):
        for t in self.tasks:
            t.cancel()
        for pc in (self.pub, self.sub):
            if pc:
                await pc.close()
        if self.ws:
            await self.ws.close()


class Signaling(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1",
                                "-o", "admin.keys=ops:operator:" + OPS_KEY])

    @classmethod
    def tearDownClass(cls):
        crashed = cls.d.proc.poll() is not None
        rc = None if crashed else cls.d.stop()
        if crashed or rc != 0 or os.environ.get("MG_SHOW_LOG"):
            print(cls.d.log_text()[-8000:])
        cls.d.cleanup()
        assert not crashed and rc == 0, "meetgate crashed or exited with %s" % rc

    def create_room(self, **body):
        status, _, text = http("POST", self.d.url + "/api/v1/rooms", json.dumps(body).encode(),
                               {"Authorization": "Bearer " + OPS_KEY, "Content-Type": "application/json"})
        self.assertEqual(status, 201, text)
        return json.loads(text)

    @staticmethod
    def token_of(link):
        return urllib.parse.parse_qs(urllib.parse.urlparse(link).query)["t"][0]

    def test_rooms_api(self):
        status, _, _ = http("POST", self.d.url + "/api/v1/rooms", b"{}")
        self.assertEqual(status, 401)
        status, _, body = http("POST", self.d.url + "/api/v1/rooms", b'{"policy":"sometimes"}',
                               {"Authorization": "Bearer " + OPS_KEY})
        self.assertEqual(status, 400, body)
        r = self.create_room(title="Planning", policy="lobby", attendees=[{"id": "u1", "name": "Ada"}])
        self.assertRegex(r["room"]["code"], r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")
        self.assertEqual(r["room"]["policy"], "lobby")
        self.assertIn("/j/%s?t=" % r["room"]["code"], r["links"]["host"])
        self.assertIn("u1", r["links"]["attendees"])
        # The short link serves the meeting page for that room, and only for rooms that exist.
        path = urllib.parse.urlparse(r["links"]["guest"]).path
        status, headers, body = http("GET", self.d.url + path)
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/html"))
        status, _, _ = http("GET", self.d.url + "/j/NOPE-NOPE")
        self.assertEqual(status, 404)

    def test_join_refusals(self):
        a = self.create_room(title="A")
        b = self.create_room(title="B", policy="invite-only", attendees=["u7"])

        async def go():
            c = Client(self.d.url)
            await c.connect()
            out = {}
            out["forged"] = await c.join(make_token("x" * 40, a["room"]["id"]), "X")
            out["expired"] = await c.join(make_token(SECRET, a["room"]["id"], exp=int(time.time()) - 1), "X")
            out["not_started"] = await c.join(make_token(SECRET, a["room"]["id"], nbf=int(time.time()) + 3600), "X")
            out["wrong_room"] = await c.join(self.token_of(a["links"]["guest"]), "X", room=b["room"]["code"])
            out["not_invited"] = await c.join(self.token_of(b["links"]["guest"]), "X")
            out["unknown_room"] = await c.join(make_token(SECRET, "no-such-room"), "X")
            out["bad_request"] = await c.request({"type": "publish", "sdp": "v=0"})
            ok = await c.join(self.token_of(b["links"]["attendees"]["u7"]), "Invited")
            await c.close()
            return out, ok
        out, ok = run(go())
        for code, msg in out.items():
            self.assertEqual(msg["type"], "error", msg)
            expect = {"forged": "token_forged", "expired": "token_expired", "bad_request": "not_joined"}.get(code, code)
            self.assertEqual(msg["code"], expect, msg)
        self.assertIn("opens_at", out["not_started"])
        self.assertEqual(ok["type"], "joined", ok)

    def test_two_participants_see_each_other(self):
        r = self.create_room(title="Sync")
        host_token, guest_token = self.token_of(r["links"]["host"]), self.token_of(r["links"]["guest"])

        async def go():
            a, b = Client(self.d.url), Client(self.d.url)
            await a.connect()
            ja = await a.join(host_token, "Ada", room=r["room"]["code"])
            self.assertEqual(ja["type"], "joined", ja)
            self.assertEqual(ja["me"]["role"], "host")
            self.assertEqual(ja["room"]["title"], "Sync")
            await a.publish()
            await b.connect()
            jb = await b.join(guest_token, "Bob", room=r["room"]["code"])
            self.assertEqual(jb["type"], "joined", jb)
            await a.wait(lambda m: m["type"] == "participant_joined" and m["participant"]["name"] == "Bob")
            self.assertTrue(await b.wait_frames(), "Bob decodes Ada: %s" % b.frames)
            sources = sorted(t["source"] for t in b.last_offer_tracks)
            self.assertEqual(sources, ["camera", "microphone"])
            self.assertTrue(all(t["participant"] == ja["me"]["id"] for t in b.last_offer_tracks))
            # Bob publishes too: Ada's subscribe connection is offered (renegotiation) and decodes Bob.
            await b.publish()
            self.assertTrue(await a.wait_frames(), "Ada decodes Bob: %s" % a.frames)
            await a.wait(lambda m: m["type"] == "track_added" and m["participant"] == jb["me"]["id"])
            # Mute reaches the other side.
            await b.send({"type": "mute", "source": "microphone", "muted": True})
            m = await a.wait(lambda m: m["type"] == "muted")
            self.assertEqual((m["participant"], m["source"], m["muted"]), (jb["me"]["id"], "microphone", True))
            # Bob leaves: Ada sees him go.
            await b.request({"type": "leave"})
            left = await a.wait(lambda m: m["type"] == "participant_left")
            self.assertEqual(left["participant"], jb["me"]["id"])
            await a.close()
            await b.close()
            return a.frames, b.frames
        fa, fb = run(go())
        print("decoded: Ada %s, Bob %s" % (fa, fb))

    def test_lobby_and_host_actions(self):
        r = self.create_room(title="Board", policy="lobby", attendees=["u1"])
        host = self.token_of(r["links"]["host"])
        guest = self.token_of(r["links"]["guest"])
        invited = self.token_of(r["links"]["attendees"]["u1"])

        async def go():
            h, g, m, late = Client(self.d.url), Client(self.d.url), Client(self.d.url), Client(self.d.url)
            for c in (h, g, m, late):
                await c.connect()
            self.assertEqual((await h.join(host, "Host"))["type"], "joined")
            self.assertEqual((await m.join(invited, "Member"))["type"], "joined")  # on the list: no lobby
            self.assertEqual((await g.join(guest, "Visitor"))["type"], "lobby")
            waiting = await h.wait(lambda x: x["type"] == "lobby_waiting")
            # Only hosts act.
            self.assertEqual((await m.request({"type": "admit", "participant": waiting["participant"]["id"]}))["code"],
                             "not_host")
            await h.send({"type": "admit", "participant": waiting["participant"]["id"]})
            await g.wait(lambda x: x["type"] == "admitted")
            jg = await g.wait(lambda x: x["type"] == "joined")
            # Host mutes and removes the visitor.
            await h.send({"type": "host_mute", "participant": jg["me"]["id"], "source": "microphone"})
            muted = await g.wait(lambda x: x["type"] == "muted")
            self.assertEqual(muted["participant"], jg["me"]["id"])
            self.assertTrue(muted["by"])
            await h.send({"type": "remove", "participant": jg["me"]["id"]})
            removed = await g.wait(lambda x: x["type"] == "removed")
            self.assertEqual(removed["reason"], "by_host")
            # Lock: a newcomer is refused, hosts are not.
            await h.send({"type": "lock", "locked": True})
            await m.wait(lambda x: x["type"] == "room_locked" and x["locked"])
            self.assertEqual((await late.join(guest, "Late"))["code"], "locked")
            # End for all.
            await h.send({"type": "end"})
            closing = await m.wait(lambda x: x["type"] == "room_closing")
            self.assertEqual(closing["reason"], "ended_by_host")
            for c in (h, g, m, late):
                await c.close()
        run(go())

    def test_resume_after_a_drop(self):
        r = self.create_room(title="Resume")
        token = self.token_of(r["links"]["guest"])

        async def go():
            a, b = Client(self.d.url), Client(self.d.url)
            await a.connect()
            await b.connect()
            ja = await a.join(token, "A")
            jb = await b.join(token, "B")
            await b.ws.close()  # the network blips
            await asyncio.sleep(0.5)
            b2 = Client(self.d.url)
            await b2.connect()
            again = await b2.request({"type": "join", "resume": jb["resume"]})
            self.assertEqual(again["type"], "joined", again)
            self.assertTrue(again["resumed"])
            self.assertEqual(again["me"]["id"], jb["me"]["id"])
            await asyncio.sleep(0.3)
            self.assertFalse([m for m in a.inbox if m["type"] == "participant_left"], a.inbox)
            bad = await b2.request({"type": "join", "resume": "nonsense"})
            self.assertEqual(bad["code"], "bad_request")  # already joined on this session
            c = Client(self.d.url)
            await c.connect()
            self.assertEqual((await c.request({"type": "join", "resume": "nonsense"}))["code"], "resume_expired")
            self.assertEqual(ja["type"], "joined")
            for x in (a, b2, c):
                await x.close()
        run(go())


if __name__ == "__main__":
    unittest.main(verbosity=2)

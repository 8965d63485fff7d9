#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The admin API, its audit log, the dashboard's live WebSocket and /metrics,
against the real binary with real aiortc peers in a loopback-only namespace
(docs/admin.md)."""
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
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402
from mgtest import Daemon  # noqa: E402
from rtcpeers import AiortcClient, http, make_token  # noqa: E402

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"
SECRET = "admin-test-secret-0123456789abcdef0123456789"
OPS_KEY = "operator-key-0123456789abcdef"
NOC_KEY = "viewer-key-abcdef0123456789"
METRICS_TOKEN = "metrics-token-0123456789abcdef"
HR_KEY = "hr-oa-key-0123456789abcdef"


def run(coro, timeout=90):
    return asyncio.get_event_loop().run_until_complete(asyncio.wait_for(coro, timeout))


class Participant:
    """A signaling client; publishes with aiortc when asked."""

    def __init__(self, url):
        self.url = url
        self.inbox = []
        self.pub = None
        self.tasks = []
        self.next_id = 0
        self.closed_with = None

    async def connect(self):
        self.ws = await websockets.connect(self.url.replace("http", "ws", 1) + "/ws",
                                           user_agent_header="admin-test/1.0")
        self.tasks.append(asyncio.ensure_future(self._read()))

    async def _read(self):
        try:
            async for text in self.ws:
                self.inbox.append(json.loads(text))
        except websockets.ConnectionClosed as e:
            self.closed_with = e.code
        self.closed_with = self.closed_with or self.ws.close_code

    async def request(self, msg, timeout=15):
        self.next_id += 1
        await self.ws.send(json.dumps(dict(msg, id=self.next_id)))
        i = self.next_id
        return await self.wait(lambda m: m.get("id") == i, timeout)

    async def wait(self, pred, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for m in self.inbox:
                if pred(m):
                    self.inbox.remove(m)
                    return m
            await asyncio.sleep(0.02)
        raise AssertionError("no such message; got %s" % [m["type"] for m in self.inbox])

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

    async def close(self):
        for t in self.tasks:
            t.cancel()
        if self.pub:
            await self.pub.close()
        await self.ws.close()


class Admin(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1",
                                "-o", "admin.keys=ops:operator:%s,noc:viewer:%s" % (OPS_KEY, NOC_KEY),
                                "-o", "metrics.token=" + METRICS_TOKEN, "-o", "oa.sources=hr:" + HR_KEY])

    @classmethod
    def tearDownClass(cls):
        crashed = cls.d.proc.poll() is not None
        rc = None if crashed else cls.d.stop()
        if crashed or rc != 0 or os.environ.get("MG_SHOW_LOG"):
            print(cls.d.log_text()[-8000:])
        log = cls.d.log_text()
        cls.d.cleanup()
        assert not crashed and rc == 0, "meetgate crashed or exited with %s" % rc
        for secret in (OPS_KEY, NOC_KEY, METRICS_TOKEN):
            assert secret not in log, "a key reached the log"
        # Under the sanitizers: no UBSan or ASan report (LeakSanitizer fails the exit code).
        assert "runtime error:" not in log and "ERROR: AddressSanitizer" not in log, log[-4000:]

    def api(self, method, path, key=OPS_KEY, body=None):
        headers = {"Authorization": "Bearer " + key} if key else {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        status, _, text = http(method, self.d.url + path, data, headers)
        return status, json.loads(text) if text.startswith(b"{") else text

    def create_room(self, **body):
        status, r = self.api("POST", "/api/v1/rooms", body=body)
        self.assertEqual(status, 201, r)
        return r["room"]

    def audit(self, **query):
        status, r = self.api("GET", "/api/v1/admin/audit?" + urllib.parse.urlencode(query), key=NOC_KEY)
        self.assertEqual(status, 200, r)
        return r["entries"]

    def test_no_key_or_wrong_key_is_401_without_details(self):
        bodies = set()
        for key in (None, "wrong-key-0123456789abcdef", OPS_KEY[:-1], NOC_KEY + "x"):
            for method, path in (("GET", "/api/v1/admin/rooms"), ("GET", "/api/v1/admin/audit"),
                                 ("GET", "/api/v1/admin/rooms/x"), ("GET", "/api/v1/admin/schedule"),
                                 ("POST", "/api/v1/admin/rooms/x/lock")):
                status, body = self.api(method, path, key=key)
                self.assertEqual(status, 401, (key, path, body))
                bodies.add(json.dumps(body, sort_keys=True))
        # One answer for every case: nothing tells a wrong key from a missing one.
        self.assertEqual(len(bodies), 1, bodies)
        self.assertEqual(json.loads(bodies.pop())["error"]["code"], "unauthorized")
        self.assertEqual([e for e in self.audit(limit=1000) if e["target"] == "room/x"], [],
                         "no audit entry without a key name")

    def test_viewer_cannot_act(self):
        room = self.create_room(title="Viewer")
        since = int(time.time() * 1000)
        paths = ["/rooms/%s/lock" % room["id"], "/rooms/%s/unlock" % room["id"], "/rooms/%s/close" % room["id"],
                 "/rooms/%s/participants/p1/remove" % room["id"], "/rooms/%s/participants/p1/mute" % room["id"],
                 "/rooms/%s/participants/p1/admit" % room["id"]]
        for path in paths:
            status, body = self.api("POST", "/api/v1/admin" + path, key=NOC_KEY, body={})
            self.assertEqual(status, 403, (path, body))
            self.assertEqual(body["error"]["code"], "forbidden")
        status, body = self.api("GET", "/api/v1/admin/rooms", key=NOC_KEY)
        self.assertEqual(status, 200, body)
        entries = self.audit(since=since)
        self.assertEqual(sorted(e["action"] for e in entries if e["key"] == "noc"),
                         ["admit", "close", "lock", "mute", "remove", "unlock"])
        self.assertTrue(all(e["result"] == "forbidden" for e in entries if e["key"] == "noc"))

    def test_actions_on_a_live_room_are_audited(self):
        room = self.create_room(title="Steered", policy="lobby")
        rid = room["id"]
        since = int(time.time() * 1000)

        async def go():
            host, guest, waiting = Participant(self.d.url), Participant(self.d.url), Participant(self.d.url)
            for p in (host, guest, waiting):
                await p.connect()
            j = await host.request({"type": "join", "name": "Ada",
                                    "token": make_token(SECRET, rid, role="host", sub="ada")})
            self.assertEqual(j["type"], "joined", j)
            await host.publish()
            j = await guest.request({"type": "join", "name": "Bob",
                                     "token": make_token(SECRET, rid, role="attendee", sub="bob")})
            self.assertEqual(j["type"], "lobby", j)  # not on the attendee list: waits
            status, lobby = self.api("GET", "/api/v1/admin/rooms/%s/lobby" % rid)
            self.assertEqual(status, 200, lobby)
            self.assertEqual([p["name"] for p in lobby["lobby"]], ["Bob"])
            bob = lobby["lobby"][0]["id"]
            status, r = self.api("POST", "/api/v1/admin/rooms/%s/participants/%s/admit" % (rid, bob))
            self.assertEqual(status, 200, r)
            await guest.wait(lambda m: m["type"] == "joined")
            # Tracks appear once media flows; then the detail shows them.
            detail = None
            for _ in range(100):
                status, detail = self.api("GET", "/api/v1/admin/rooms/" + rid, key=NOC_KEY)
                ada = [p for p in detail["participants"] if p["name"] == "Ada"][0]
                pub = ada["media"]["publish"]
                if pub and any(l["packets"] > 0 for t in pub["tracks"] for l in t["layers"]) and ada["tracks"]:
                    break
                await asyncio.sleep(0.1)
            self.assertEqual(sorted(p["name"] for p in detail["participants"]), ["Ada", "Bob"])
            self.assertEqual(ada["role"], "host")
            self.assertEqual(ada["ip"], "127.0.0.1")
            self.assertEqual(ada["client"], "admin-test/1.0")
            self.assertRegex(ada["joined_at"], r"^\d{4}-\d\d-\d\dT")
            self.assertEqual(sorted(t["codec"] for t in ada["media"]["publish"]["tracks"]), ["VP8", "opus"])
            status, rooms = self.api("GET", "/api/v1/admin/rooms", key=NOC_KEY)
            row = [r for r in rooms["rooms"] if r["id"] == rid][0]
            self.assertEqual((row["participants"], row["lobby"], row["title"]), (2, 0, "Steered"))
            self.assertIs(row["recording"], False)

            status, r = self.api("POST", "/api/v1/admin/rooms/%s/lock" % rid)
            self.assertEqual(status, 200, r)
            await guest.wait(lambda m: m["type"] == "room_locked" and m["locked"])
            j = await waiting.request({"type": "join", "name": "Cy",
                                       "token": make_token(SECRET, rid, role="attendee", sub="cy")})
            self.assertEqual((j["type"], j.get("code")), ("error", "locked"), j)
            status, r = self.api("POST", "/api/v1/admin/rooms/%s/unlock" % rid)
            self.assertEqual(status, 200, r)
            await guest.wait(lambda m: m["type"] == "room_locked" and not m["locked"])

            status, r = self.api("POST", "/api/v1/admin/rooms/%s/participants/%s/mute" % (rid, ada["id"]),
                                 body={"source": "microphone"})
            self.assertEqual(status, 200, r)
            m = await host.wait(lambda m: m["type"] == "muted")
            self.assertEqual((m["participant"], m["source"], m["by"]), (ada["id"], "microphone", "admin"))
            status, r = self.api("POST", "/api/v1/admin/rooms/%s/participants/nobody/remove" % rid)
            self.assertEqual(status, 404, r)

            status, r = self.api("POST", "/api/v1/admin/rooms/%s/participants/%s/remove" % (rid, bob))
            self.assertEqual(status, 200, r)
            m = await guest.wait(lambda m: m["type"] == "removed")
            self.assertEqual(m["reason"], "by_admin")
            await host.wait(lambda m: m["type"] == "participant_left" and m["participant"] == bob)

            status, r = self.api("POST", "/api/v1/admin/rooms/%s/close" % rid, body={"message": "Maintenance"})
            self.assertEqual(status, 200, r)
            m = await host.wait(lambda m: m["type"] == "room_closing")
            self.assertEqual((m["reason"], m["message"]), ("closed_by_admin", "Maintenance"))
            for p in (host, guest, waiting):
                await p.close()
            return ada["id"], bob
        ada, bob = run(go())
        status, _ = self.api("GET", "/api/v1/admin/rooms/" + rid)
        self.assertEqual(status, 404)

        entries = self.audit(since=since)
        got = [(e["key"], e["action"], e["target"], e["result"]) for e in reversed(entries)]
        self.assertEqual(got, [
            ("ops", "admit", "room/%s/participant/%s" % (rid, bob), "ok"),
            ("ops", "lock", "room/" + rid, "ok"),
            ("ops", "unlock", "room/" + rid, "ok"),
            ("ops", "mute", "room/%s/participant/%s" % (rid, ada), "ok"),
            ("ops", "remove", "room/%s/participant/nobody" % rid, "not_found"),
            ("ops", "remove", "room/%s/participant/%s" % (rid, bob), "ok"),
            ("ops", "close", "room/" + rid, "ok"),
        ])
        self.assertEqual(entries[0]["detail"], "Maintenance")
        self.assertEqual([e["action"] for e in self.audit(since=since, action="lock")], ["lock"])
        self.assertEqual(len(self.audit(since=since, limit=2)), 2)
        for e in entries:
            self.assertNotIn(OPS_KEY, json.dumps(e))
        status, body = self.api("GET", "/api/v1/admin/audit?limit=0", key=NOC_KEY)
        self.assertEqual(status, 400, body)
        status, body = self.api("GET", "/api/v1/admin/audit?since=yesterday", key=NOC_KEY)
        self.assertEqual(status, 400, body)

    def test_live_feed_needs_a_key_in_its_first_message(self):
        room = self.create_room(title="Live")

        async def go():
            url = self.d.url.replace("http", "ws", 1) + "/api/v1/admin/live"
            bad = await websockets.connect(url)
            await bad.send(json.dumps({"type": "auth", "key": "wrong-key-0123456789abcdef"}))
            with self.assertRaises(websockets.ConnectionClosed):
                await asyncio.wait_for(bad.recv(), 5)
            self.assertEqual(bad.close_code, 4401)
            p = Participant(self.d.url)
            await p.connect()
            j = await p.request({"type": "join", "name": "Dee", "token": make_token(SECRET, room["id"], sub="dee")})
            self.assertEqual(j["type"], "joined", j)
            ws = await websockets.connect(url)
            await ws.send(json.dumps({"type": "auth", "key": NOC_KEY}))
            hello = json.loads(await asyncio.wait_for(ws.recv(), 5))
            self.assertEqual((hello["type"], hello["name"], hello["role"]), ("hello", "noc", "viewer"))
            await ws.send(json.dumps({"type": "watch", "room": room["id"]}))
            pushes, seen_room = [], None
            deadline = time.time() + 10
            while time.time() < deadline and (len(pushes) < 3 or not seen_room):
                msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
                if msg["type"] == "rooms":
                    pushes.append(msg)
                elif msg["type"] == "room" and msg["room"]:
                    seen_room = msg["room"]
            self.assertGreaterEqual(len(pushes), 3, "the server pushes the rooms table again and again")
            self.assertIn(room["id"], [r["id"] for r in pushes[-1]["rooms"]])
            self.assertEqual([x["name"] for x in seen_room["participants"]], ["Dee"])
            await ws.close()
            await bad.close()
            await p.close()
        run(go())

    def scrape(self, token=METRICS_TOKEN):
        status, headers, text = http("GET", self.d.url + "/metrics",
                                     headers={"Authorization": "Bearer " + token} if token else {})
        if status != 200:
            return status, None
        self.assertTrue(headers["content-type"].startswith("text/plain; version=0.0.4"))
        samples = {}
        for fam in text_string_to_metric_families(text.decode()):
            for s in fam.samples:
                key = s.name + ("{%s}" % ",".join("%s=%s" % kv for kv in sorted(s.labels.items()))
                                if s.labels else "")
                samples[key] = s.value
        return status, samples

    def test_metrics_parse_and_move_with_media(self):
        self.assertEqual(self.scrape(token=None)[0], 401)
        self.assertEqual(self.scrape(token="wrong-token-0123456789abcdef")[0], 401)
        status, before = self.scrape()
        self.assertEqual(status, 200)
        for name in ("meetgate_rooms", "meetgate_participants", "meetgate_tracks", "meetgate_signaling_sessions",
                     "meetgate_media_packets_received_total", "meetgate_media_packets_sent_total",
                     "meetgate_media_nacks_received_total", "meetgate_media_plis_received_total",
                     "meetgate_media_keyframes_received_total", "meetgate_dtls_handshakes_total",
                     "meetgate_dtls_failures_total", "meetgate_join_latency_seconds_count",
                     "meetgate_scheduler_lag_seconds", "meetgate_worker_loop_lag_seconds{worker=0}",
                     "meetgate_worker_packet_rate{worker=0}"):
            self.assertIn(name, before)
        self.assertTrue(any(k.startswith("meetgate_build_info{") for k in before))

        async def go():
            token = make_token(SECRET, "metrics-room", role="host")
            pub = AiortcClient(self.d.url, "metrics-room", token)
            await pub.publish()
            player = AiortcClient(self.d.url, "metrics-room", make_token(SECRET, "metrics-room"))
            await player.play()
            self.assertTrue(await player.wait_frames(count=20), player.frames)
            await asyncio.sleep(1.5)  # a stats snapshot after the frames
            _, during = self.scrape()
            await player.close()
            await pub.close()
            return during
        during = run(go())
        for name in ("meetgate_media_packets_received_total", "meetgate_media_bytes_received_total",
                     "meetgate_media_packets_sent_total", "meetgate_media_bytes_sent_total",
                     "meetgate_dtls_handshakes_total", "meetgate_media_keyframes_received_total"):
            self.assertGreater(during[name], before[name], name)
        self.assertGreaterEqual(during["meetgate_tracks"], 2)
        # Counters never go back when the peers and the room are gone.
        time.sleep(2.5)
        _, after = self.scrape()
        for name in ("meetgate_media_packets_received_total", "meetgate_media_packets_sent_total"):
            self.assertGreaterEqual(after[name], during[name], name)
        print("packets received %d -> %d, sent %d -> %d" % (
            before["meetgate_media_packets_received_total"], during["meetgate_media_packets_received_total"],
            before["meetgate_media_packets_sent_total"], during["meetgate_media_packets_sent_total"]))

    def test_join_latency_is_observed(self):
        room = self.create_room(title="Latency")
        _, before = self.scrape()

        async def go():
            p = Participant(self.d.url)
            await p.connect()
            j = await p.request({"type": "join", "name": "Eve", "token": make_token(SECRET, room["id"], sub="eve")})
            self.assertEqual(j["type"], "joined", j)
            await p.publish()
            deadline = time.time() + 15
            while time.time() < deadline:
                _, now = self.scrape()
                if now["meetgate_join_latency_seconds_count"] > before["meetgate_join_latency_seconds_count"]:
                    break
                await asyncio.sleep(0.2)
            await p.ws.send(json.dumps({"type": "leave"}))
            await asyncio.sleep(0.3)
            await p.close()
            return now
        now = run(go())
        self.assertEqual(now["meetgate_join_latency_seconds_count"],
                         before["meetgate_join_latency_seconds_count"] + 1)
        self.assertEqual(now["meetgate_join_latency_seconds_bucket{le=+Inf}"],
                         now["meetgate_join_latency_seconds_count"])
        # The conference's events (the hook for event webhooks), counted once each.
        ev = "meetgate_conference_events_total{event=%s}"
        want = {"room_started": 1, "participant_joined": 1, "track_published": 2,
                "track_unpublished": 2, "participant_left": 1, "room_finished": 1}
        deadline = time.time() + 15
        while time.time() < deadline:
            _, after = self.scrape()
            if all(after[ev % k] - before[ev % k] >= n for k, n in want.items()):
                break
            time.sleep(0.5)
        self.assertEqual({k: after[ev % k] - before[ev % k] for k in want}, want)

    def test_meeting_room_and_schedule(self):
        def utc(t):
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
        now = int(time.time())
        rooms = {}
        for ext, start in (("oa-now", now + 120), ("oa-later", now + 3 * 3600)):
            body = {"external_id": ext, "title": "Board " + ext, "start": utc(start), "end": utc(start + 3600),
                    "organizer": {"id": "boss", "name": "Boss"}, "attendees": [], "policy": "open"}
            status, _, text = http("POST", self.d.url + "/api/v1/meetings", json.dumps(body).encode(),
                                   {"Authorization": "Bearer " + HR_KEY, "Content-Type": "application/json"})
            self.assertIn(status, (200, 201), text)
            rooms[ext] = json.loads(text)["meeting"]["room"]["id"]
        status, sched = self.api("GET", "/api/v1/admin/schedule?hours=6", key=NOC_KEY)
        self.assertEqual(status, 200, sched)
        later = [o for o in sched["openings"] if o["room"] == rooms["oa-later"]]
        self.assertEqual(len(later), 1, sched)
        self.assertEqual(later[0]["opens_at"], utc(now + 3 * 3600 - 600))  # the default 10 min lead
        self.assertEqual((later[0]["title"], later[0]["source"]), ("Board oa-later", "hr"))
        self.assertEqual(self.api("GET", "/api/v1/admin/schedule?hours=0", key=NOC_KEY)[0], 400)

        async def go():
            p = Participant(self.d.url)
            await p.connect()
            j = await p.request({"type": "join", "name": "Boss",
                                 "token": make_token(SECRET, rooms["oa-now"], role="host", sub="boss")})
            self.assertEqual(j["type"], "joined", j)
            status, listing = self.api("GET", "/api/v1/admin/rooms", key=NOC_KEY)
            await p.ws.send(json.dumps({"type": "leave"}))
            await p.close()
            return listing
        listing = run(go())
        row = [r for r in listing["rooms"] if r["id"] == rooms["oa-now"]][0]
        self.assertEqual((row["meeting"]["source"], row["meeting"]["external_id"], row["meeting"]["title"]),
                         ("hr", "oa-now", "Board oa-now"))
        self.assertEqual(row["opens_at"], utc(now + 120 - 600))
        self.assertEqual(row["closes_at"], utc(now + 120 + 3600 + 900))  # the default 15 min grace

    def test_dashboard_page_is_served(self):
        status, headers, body = http("GET", self.d.url + "/admin")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/html"))
        self.assertIn(b"admin.js", body)
        self.assertIn("default-src 'self'", headers["content-security-policy"])


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Bridges between two real meetgate nodes on loopback, in a loopback-only
namespace (docs/bridge.md): one aiortc participant in a room on each node,
node A's room bridged to node B's over WHIP/WHEP with a token that B's
operator issued; each participant decodes the other's video. Node B is
killed (-9) and started again on the same port and data folder: the bridge
goes retrying, then connected, and video flows both ways again. Node A (the
one that made the bridge) is killed (-9) and started again: the bridge comes
back with its id, its token sealed in A's database (and after a clean stop
too). With nobody sending media, a dead node B is still noticed (A probes
B's sessions). Refusals (bad token, wrong room, viewer key) and the audit
log."""
import asyncio
import json
import os
import signal
import sqlite3
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rtcpeers  # noqa: E402

rtcpeers.netns_reexec()

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"

from mgtest import Daemon  # noqa: E402
from rtcpeers import http  # noqa: E402
from test_signaling import Client  # noqa: E402  (one participant: WebSocket + aiortc, like the meeting page)
SECRET_A = "bridge-test-secret-a-0123456789abcdef01234567"
SECRET_B = "bridge-test-secret-b-0123456789abcdef01234567"
OPS_KEY = "operator-key-0123456789abcdef"
VIEW_KEY = "viewer-key-0123456789abcdef"


def run(coro, timeout=80):
    return asyncio.get_event_loop().run_until_complete(asyncio.wait_for(coro, timeout))


def node_args(secret, port=0):
    # aiortc's DTLS handshake can take over 10 s on a loaded machine (ASan, parallel tests):
    # these tests are about bridges, so give it time.
    return ["-o", "server.secret=" + secret, "-o", "media.addresses=127.0.0.1", "-o", "media.dtls_timeout=30",
            "-o", "server.listen=127.0.0.1:%d" % port,
            "-o", "admin.keys=ops:operator:%s,view:viewer:%s" % (OPS_KEY, VIEW_KEY)]


def api(d, method, path, key=OPS_KEY, body=None):
    headers = {"Authorization": "Bearer " + key} if key else {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    status, _, text = http(method, d.url + path, data, headers)
    return status, json.loads(text) if text.startswith(b"{") else text


def create_room(d, title):
    status, r = api(d, "POST", "/api/v1/rooms", body={"title": title})
    assert status == 201, r
    return r


def token_of(link):
    import urllib.parse
    return urllib.parse.parse_qs(urllib.parse.urlparse(link).query)["t"][0]


class Bridge(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = Daemon(BINARY, node_args(SECRET_A))
        cls.b = Daemon(BINARY, node_args(SECRET_B))
        cls.logs = []
        cls.tokens = []  # bridge tokens A was given: never in A's log
        cls.dead = []  # nodes killed with -9 (their data folder is the new node's): cleaned up last

    @classmethod
    def tearDownClass(cls):
        failures = []
        for d in (cls.a, cls.b):
            crashed = d.proc.poll() is not None
            try:
                rc = None if crashed else d.stop(timeout=20)
            except Exception as e:  # did not exit: a hang at shutdown is a failure too
                rc = repr(e)
            log = d.log_text()
            if crashed or rc != 0 or os.environ.get("MG_SHOW_LOG"):
                print(log if os.environ.get("MG_SHOW_LOG") == "all" else log[-12000:])
            d.cleanup()
            if crashed or rc != 0:
                failures.append("meetgate crashed or exited with %s" % rc)
            cls.logs.append(log)
        a_logs = [cls.logs[0]]
        for d in cls.dead:
            log = d.log_text()
            if d.is_a:
                a_logs.append(log)
            if os.environ.get("MG_SHOW_LOG") == "all":
                print("---- a node killed with -9 ----\n" + log)
            d.cleanup()
        for log in cls.logs:
            assert "runtime error:" not in log and "ERROR: AddressSanitizer" not in log, log[-4000:]
        for token in cls.tokens:
            assert all(token not in log for log in a_logs), "a bridge token reached node A's log"
        assert not failures, failures

    def bridge(self, room, bid):
        status, r = api(self.a, "GET", "/api/v1/admin/bridges?room=%s" % room, key=VIEW_KEY)
        self.assertEqual(status, 200, r)
        found = [x for x in r["bridges"] if x["id"] == bid]
        return found[0] if found else None

    def wait_bridge(self, room, bid, pred, timeout=30, what="state"):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            last = self.bridge(room, bid)
            if last and pred(last):
                return last
            time.sleep(0.2)
        self.fail("the bridge did not reach the %s; last seen: %s" % (what, last))

    async def await_bridge(self, *args, **kw):
        return await asyncio.get_event_loop().run_in_executor(None, lambda: self.wait_bridge(*args, **kw))

    def wait_tracks(self, d, room, n, timeout=30):
        """Until room on node d has n tracks with media (a WHEP session opened before a publisher's media
        flows was seen to stay without it under ASan and load: the bridges here wait for it)."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            status, r = api(d, "GET", "/api/v1/admin/rooms", key=VIEW_KEY)
            self.assertEqual(status, 200, r)
            last = [x for x in r["rooms"] if x["id"] == room]
            if last and last[0]["tracks"] >= n:
                return
            time.sleep(0.2)
        self.fail("room %s has not %d tracks: %s" % (room, n, last))

    async def await_tracks(self, *args):
        await asyncio.get_event_loop().run_in_executor(None, lambda: self.wait_tracks(*args))

    def restart_b(self, port, data_dir):
        old_b = self.b
        old_b.is_a = False
        type(self).b = Daemon(BINARY, node_args(SECRET_B, port), data_dir=data_dir)
        self.dead.append(old_b)  # its folder holds the new node's data

    def saved_bridges(self, data_dir):
        """The bridge rows of a node's store, read from its database file, and every byte of its files."""
        raw = b""
        rows = []
        for name in sorted(os.listdir(data_dir)):
            path = os.path.join(data_dir, name)
            if os.path.isfile(path):
                with open(path, "rb") as f:
                    raw += f.read()
            if name.endswith(".db"):
                db = sqlite3.connect(path)
                try:
                    rows += db.execute("SELECT id, room, spec FROM live_pipelines WHERE kind = 'bridge'").fetchall()
                finally:
                    db.close()
        self.assertTrue(raw, "no files in %s" % data_dir)
        return rows, raw

    def test_1_refusals(self):
        ra, rb = create_room(self.a, "Refusals A"), create_room(self.b, "Refusals B")
        room_a, room_b = ra["room"]["id"], rb["room"]["id"]
        path = "/api/v1/admin/rooms/%s/bridges" % room_a
        status, tok = api(self.b, "POST", "/api/v1/admin/rooms/%s/bridge-token" % room_b)
        self.assertEqual(status, 201, tok)
        good = {"whip": tok["whip"], "whep": tok["whep"], "token": tok["token"], "name": "B"}
        self.tokens.append(tok["token"])
        # Keys: none, viewer.
        self.assertEqual(api(self.a, "POST", path, key=None, body=good)[0], 401)
        self.assertEqual(api(self.a, "POST", path, key=VIEW_KEY, body=good)[0], 403)
        self.assertEqual(api(self.b, "POST", "/api/v1/admin/rooms/%s/bridge-token" % room_b, key=VIEW_KEY)[0], 403)
        self.assertEqual(api(self.b, "POST", "/api/v1/admin/rooms/no-such-room/bridge-token")[0], 404)

        # A bridge token does not open the meeting page (WHIP/WHEP only).
        async def ws_join():
            c = Client(self.b.url)
            await c.connect()
            answer = await c.join(tok["token"], "Sneaky")
            await c.close()
            return answer
        answer = run(ws_join(), timeout=20)
        self.assertEqual((answer["type"], answer.get("code")), ("error", "not_allowed"), answer)
        # Bodies.
        for body in ({}, {"token": "x"}, {"whip": "ftp://h/x", "token": "x"}, {"whep": "http://", "token": "x"},
                     {"whip": tok["whip"]}, {"whip": tok["whip"], "token": ""},
                     {"whip": tok["whip"], "token": "x", "name": ""},
                     {"whip": tok["whip"], "token": "x", "video": 9}):
            status, r = api(self.a, "POST", path, body=body)
            self.assertEqual(status, 400, (body, r))
        status, r = api(self.a, "POST", "/api/v1/admin/rooms/no-such-room/bridges", body=good)
        self.assertEqual((status, r["error"]["code"]), (404, "unknown_room"), r)
        # A bad token: the far side answers 401, the bridge fails with the reason and is not retried.
        bad_token = "not-a-token-0123456789abcdef"
        self.tokens.append(bad_token)
        status, br = api(self.a, "POST", path, body=dict(good, token=bad_token))
        self.assertEqual(status, 201, br)
        self.assertNotIn(bad_token, json.dumps(br))
        failed = self.wait_bridge(room_a, br["id"], lambda x: x["state"] == "failed")
        self.assertIn("401", failed["error"])
        self.assertEqual(failed["restarts"], 0, failed)
        # A token for another room of B: 403, failed.
        other = create_room(self.b, "Other B")["room"]["id"]
        status, tok2 = api(self.b, "POST", "/api/v1/admin/rooms/%s/bridge-token" % other)
        self.assertEqual(status, 201, tok2)
        self.tokens.append(tok2["token"])
        status, br2 = api(self.a, "POST", path, body=dict(good, token=tok2["token"]))
        self.assertEqual(status, 201, br2)
        failed = self.wait_bridge(room_a, br2["id"], lambda x: x["state"] == "failed")
        self.assertIn("403", failed["error"])
        self.assertIn("room", failed["error"])
        # DELETE: 200 stopped, then 404; viewers may not.
        self.assertEqual(api(self.a, "DELETE", "%s/%s" % (path, br["id"]), key=VIEW_KEY)[0], 403)
        status, r = api(self.a, "DELETE", "%s/%s" % (path, br["id"]))
        self.assertEqual((status, r["state"]), (200, "stopped"), r)
        self.assertEqual(api(self.a, "DELETE", "%s/%s" % (path, br["id"]))[0], 404)
        self.assertIsNone(self.bridge(room_a, br["id"]))
        # Audited under the key's name; the token is in no answer.
        _, audit = api(self.a, "GET", "/api/v1/admin/audit?action=bridge_start", key=VIEW_KEY)
        mine = [e for e in audit["entries"] if e["target"] == room_a]
        self.assertEqual(sorted(e["result"] for e in mine if e["result"] != "bad_request" and
                                e["result"] != "bad_url"), ["ok", "ok"], mine)
        self.assertTrue(all(e["key"] == "ops" for e in mine), mine)
        self.assertNotIn(bad_token, json.dumps(audit))
        _, audit = api(self.a, "GET", "/api/v1/admin/audit?action=bridge_stop", key=VIEW_KEY)
        self.assertEqual(sorted(e["result"] for e in audit["entries"] if e["target"] == room_a),
                         ["ok", "unknown_bridge"], audit)
        _, audit = api(self.b, "GET", "/api/v1/admin/audit?action=bridge_token", key=VIEW_KEY)
        self.assertGreaterEqual(len([e for e in audit["entries"] if e["result"] == "ok"]), 2, audit)
        api(self.a, "DELETE", "%s/%s" % (path, br2["id"]))

        # Deleted at once or while its legs negotiate and gather ICE: each stops cleanly (no crash, nothing
        # leaked at exit under ASan), and the deleted ones are gone from the list.
        quick = []
        for delay in (0, 0.05, 0.1, 0.2, 0.3, 0.5):  # across the negotiation
            status, brq = api(self.a, "POST", path, body=good)
            self.assertEqual(status, 201, brq)
            time.sleep(delay)
            status, r = api(self.a, "DELETE", "%s/%s" % (path, brq["id"]))
            self.assertEqual((status, r["state"]), (200, "stopped"), r)
            quick.append(brq["id"])
        _, r = api(self.a, "GET", "/api/v1/admin/bridges?room=%s" % room_a, key=VIEW_KEY)
        self.assertFalse([x for x in r["bridges"] if x["id"] in quick], r)

        # A pull-only bridge is a participant of A's room: an admin closing the room ends it.
        status, br3 = api(self.a, "POST", path, body={"whep": tok["whep"], "token": tok["token"], "name": "Pull"})
        self.assertEqual(status, 201, br3)
        self.assertEqual(br3["whip"] if "whip" in br3 else None, None, br3)
        self.wait_bridge(room_a, br3["id"], lambda x: x["state"] == "connected")
        status, r = api(self.a, "POST", "/api/v1/admin/rooms/%s/close" % room_a, body={"message": "bye"})
        self.assertEqual(status, 200, r)
        ended = self.wait_bridge(room_a, br3["id"], lambda x: x["state"] == "stopped", timeout=10)
        self.assertEqual(ended["error"], "removed from the room")
        api(self.a, "DELETE", "%s/%s" % (path, br3["id"]))

    def test_2_two_nodes_see_each_other_and_survive_a_restart(self):
        ra, rb = create_room(self.a, "Cascade A"), create_room(self.b, "Cascade B")
        room_a, room_b = ra["room"]["id"], rb["room"]["id"]
        status, tok = api(self.b, "POST", "/api/v1/admin/rooms/%s/bridge-token" % room_b,
                          body={"name": "Beijing office"})
        self.assertEqual(status, 201, tok)
        self.assertEqual(tok["role"], "bridge")
        self.tokens.append(tok["token"])

        clients = []

        async def close_all():
            for c in clients:  # also after a failure, so that nothing keeps the test process alive
                try:
                    await asyncio.wait_for(c.close(), 5)
                except Exception:
                    pass

        async def scenario():
            try:
                await steps()
            finally:
                await close_all()

        async def steps():
            pa = Client(self.a.url)
            clients.append(pa)
            await pa.connect()
            ja = await pa.join(token_of(ra["links"]["host"]), "Ada", room=ra["room"]["code"])
            self.assertEqual(ja["type"], "joined", ja)
            await pa.publish()
            pb = Client(self.b.url)
            clients.append(pb)
            await pb.connect()
            jb = await pb.join(token_of(rb["links"]["host"]), "Bo", room=rb["room"]["code"])
            self.assertEqual(jb["type"], "joined", jb)
            await pb.publish()
            await self.await_tracks(self.a, room_a, 2)
            await self.await_tracks(self.b, room_b, 2)

            status, br = api(self.a, "POST", "/api/v1/admin/rooms/%s/bridges" % room_a,
                             body={"whip": tok["whip"], "whep": tok["whep"], "token": tok["token"],
                                   "name": "Shanghai node"})
            self.assertEqual(status, 201, br)
            self.assertNotIn(tok["token"], json.dumps(br))
            self.assertIn(br["state"], ("connecting", "connected"))
            bid = br["id"]
            up = await self.await_bridge(room_a, bid, lambda x: x["state"] == "connected", what="connected state")
            print("bridge connected: %s" % up)

            # A's participant sees the bridge as a participant and decodes B's participant.
            m = await pa.wait(lambda m: m["type"] == "participant_joined" and m["participant"]["role"] == "bridge",
                              what="the bridge joining A's room")
            self.assertEqual(m["participant"]["name"], "Shanghai node")
            # B's participant sees A's push as a participant named by B's token.
            m = await pb.wait(lambda m: m["type"] == "participant_joined" and m["participant"]["role"] == "bridge",
                              what="the bridge joining B's room")
            self.assertEqual(m["participant"]["name"], "Beijing office")
            self.assertTrue(await pa.wait_frames(count=20, timeout=25), "Ada decodes Bo: %s" % pa.frames)
            self.assertTrue(await pb.wait_frames(count=20, timeout=25), "Bo decodes Ada: %s" % pb.frames)
            # No echo: A pulls only Bo's two tracks, not its own that B received.
            now = self.bridge(room_a, bid)
            self.assertEqual(now["tracks"], {"sent": 2, "received": 2}, now)
            self.assertGreater(now["packets"]["received"], 0, now)
            self.assertGreater(now["packets"]["sent"], 0, now)
            await pb.close()

            # Node B dies and comes back on the same port and data folder.
            port, data_dir = self.b.port, self.b.data_dir
            self.b.stop(sig=signal.SIGKILL)
            retrying = await self.await_bridge(room_a, bid, lambda x: x["state"] == "retrying" and x["error"],
                                               what="retrying state")
            print("bridge retrying: %s" % retrying["error"])
            self.restart_b(port, data_dir)
            pb2 = Client(self.b.url)
            clients.append(pb2)
            await pb2.connect()
            jb2 = await pb2.join(token_of(rb["links"]["host"]), "Bo", room=rb["room"]["code"])
            self.assertEqual(jb2["type"], "joined", jb2)
            await pb2.publish()
            back = await self.await_bridge(room_a, bid, lambda x: x["state"] == "connected" and x["restarts"] >= 1,
                                           timeout=40, what="connected state after the restart")
            print("bridge back: restarts %d" % back["restarts"])
            before = pa.frames.get("video", 0)
            deadline = time.time() + 25
            while time.time() < deadline and pa.frames.get("video", 0) < before + 20:
                await asyncio.sleep(0.2)
            self.assertGreaterEqual(pa.frames.get("video", 0), before + 20, "Ada decodes Bo again: %s" % pa.frames)
            self.assertTrue(await pb2.wait_frames(count=20, timeout=25), "Bo decodes Ada again: %s" % pb2.frames)

            # The room detail lists it; DELETE stops it and its participant leaves A's room.
            status, detail = api(self.a, "GET", "/api/v1/admin/rooms/%s" % room_a, key=VIEW_KEY)
            self.assertEqual(status, 200, detail)
            self.assertEqual([x["id"] for x in detail["bridges"]], [bid])
            status, r = api(self.a, "DELETE", "/api/v1/admin/rooms/%s/bridges/%s" % (room_a, bid))
            self.assertEqual((status, r["state"]), (200, "stopped"), r)
            await pa.wait(lambda m: m["type"] == "participant_left", what="the bridge leaving A's room")
            # B's side: the WHIP session was deleted, its participant leaves B's room.
            await pb2.wait(lambda m: m["type"] == "participant_left", what="the bridge leaving B's room")
        run(scenario(), timeout=85)

    def bridged_pair(self, title, clients, publish=True):
        """A room on each node with one participant (publishing or not), bridged A -> B; the bridge once connected."""
        ra, rb = create_room(self.a, title + " A"), create_room(self.b, title + " B")
        room_a, room_b = ra["room"]["id"], rb["room"]["id"]
        status, tok = api(self.b, "POST", "/api/v1/admin/rooms/%s/bridge-token" % room_b, body={"name": "Far"})
        self.assertEqual(status, 201, tok)
        self.tokens.append(tok["token"])

        async def steps():
            out = []
            for d, r, name in ((self.a, ra, "Ada"), (self.b, rb, "Bo")):
                c = Client(d.url)
                clients.append(c)
                await c.connect()
                j = await c.join(token_of(r["links"]["host"]), name, room=r["room"]["code"])
                self.assertEqual(j["type"], "joined", j)
                if publish:
                    await c.publish()
                    await self.await_tracks(d, r["room"]["id"], 2)
                out.append(c)
            status, br = api(self.a, "POST", "/api/v1/admin/rooms/%s/bridges" % room_a,
                             body={"whip": tok["whip"], "whep": tok["whep"], "token": tok["token"], "name": "Near"})
            self.assertEqual(status, 201, br)
            await self.await_bridge(room_a, br["id"], lambda x: x["state"] == "connected", what="connected state")
            return out, br
        (pa, pb), br = run(steps(), timeout=60)
        return ra, rb, pa, pb, br, tok

    @staticmethod
    def close_clients(clients):
        async def close_all():
            for c in clients:
                try:
                    await asyncio.wait_for(c.close(), 5)
                except Exception:
                    pass
        run(close_all(), timeout=40)

    def test_3_a_restarts_and_its_bridge_comes_back(self):
        clients = []
        try:
            self.a_restart_scenario(clients)
        finally:
            self.close_clients(clients)

    def a_restart_scenario(self, clients):
        ra, rb, pa, pb, br, tok = self.bridged_pair("Kill A", clients)
        room_a, bid = ra["room"]["id"], br["id"]
        self.assertTrue(run(pa.wait_frames(count=20, timeout=25)), "Ada decodes Bo: %s" % pa.frames)
        self.assertTrue(run(pb.wait_frames(count=20, timeout=25)), "Bo decodes Ada: %s" % pb.frames)
        run(pa.close(), timeout=10)
        clients.remove(pa)

        # Node A dies with the bridge running: its store has it, the token sealed.
        port, data_dir = self.a.port, self.a.data_dir
        self.a.stop(sig=signal.SIGKILL)
        rows, raw = self.saved_bridges(data_dir)
        self.assertEqual([r[0] for r in rows], [bid], rows)
        self.assertEqual(rows[0][1], room_a)
        self.assertNotIn(tok["token"].encode(), raw, "the bridge token is in A's data folder in clear")
        self.assertNotIn(tok["token"].encode(), rows[0][2] if isinstance(rows[0][2], bytes) else rows[0][2].encode())

        old_a = self.a
        old_a.is_a = True
        type(self).a = Daemon(BINARY, node_args(SECRET_A, port), data_dir=data_dir)
        self.dead.append(old_a)
        # Only the running bridge comes back (the earlier tests' stopped and failed ones are forgotten),
        # with its id; restarts counts on.
        status, r = api(self.a, "GET", "/api/v1/admin/bridges", key=VIEW_KEY)
        self.assertEqual(status, 200, r)
        self.assertEqual([x["id"] for x in r["bridges"]], [bid], r)
        self.assertEqual(r["bridges"][0]["state"], "connecting", r)
        self.assertEqual(r["bridges"][0]["started"], br["started"], r)
        back = self.wait_bridge(room_a, bid, lambda x: x["state"] == "connected", what="connected state after A's restart")
        self.assertGreaterEqual(back["restarts"], 1, back)
        print("bridge back after A's restart: %s" % back)

        async def rejoin():
            pa2 = Client(self.a.url)
            clients.append(pa2)
            await pa2.connect()
            j = await pa2.join(token_of(ra["links"]["host"]), "Ada", room=ra["room"]["code"])
            self.assertEqual(j["type"], "joined", j)
            await pa2.publish()
            before = pb.frames.get("video", 0)
            self.assertTrue(await pa2.wait_frames(count=20, timeout=30), "Ada decodes Bo again: %s" % pa2.frames)
            deadline = time.time() + 30
            while time.time() < deadline and pb.frames.get("video", 0) < before + 20:
                await asyncio.sleep(0.2)
            self.assertGreaterEqual(pb.frames.get("video", 0), before + 20, "Bo decodes Ada again: %s" % pb.frames)
        run(rejoin(), timeout=80)
        _, raw = self.saved_bridges(data_dir)
        self.assertNotIn(tok["token"].encode(), raw, "the bridge token is in A's data folder in clear")
        self.assertNotIn(tok["token"], self.a.log_text())

        # Deleted: out of the store, so it does not come back again.
        status, r = api(self.a, "DELETE", "/api/v1/admin/rooms/%s/bridges/%s" % (room_a, bid))
        self.assertEqual((status, r["state"]), (200, "stopped"), r)
        self.assertGreaterEqual(r["restarts"], 1, r)
        rows, _ = self.saved_bridges(data_dir)
        self.assertEqual(rows, [])

    def test_4_a_quiet_far_side_that_dies_is_noticed(self):
        clients = []
        try:
            self.quiet_scenario(clients)
        finally:
            self.close_clients(clients)

    def quiet_scenario(self, clients):
        # Nobody sends media on either side: only the probes of B's sessions can tell B is gone.
        ra, rb, pa, pb, br, tok = self.bridged_pair("Quiet", clients, publish=False)
        room_a, bid = ra["room"]["id"], br["id"]
        time.sleep(8)  # longer than the quiet time: probes of a live B keep it connected
        now = self.bridge(room_a, bid)
        self.assertEqual((now["state"], now["restarts"], now["packets"]), ("connected", 0, {"sent": 0, "received": 0}),
                         now)
        port, data_dir = self.b.port, self.b.data_dir
        self.b.stop(sig=signal.SIGKILL)
        gone = self.wait_bridge(room_a, bid, lambda x: x["state"] == "retrying", timeout=30, what="retrying state")
        print("quiet bridge noticed B's death: %s" % gone["error"])
        self.assertIn("session", gone["error"])
        self.restart_b(port, data_dir)
        back = self.wait_bridge(room_a, bid, lambda x: x["state"] == "connected" and x["restarts"] >= 1, timeout=60,
                                what="connected state after B's restart")
        print("quiet bridge back: restarts %d" % back["restarts"])
        # What the probes ask: an unknown session of B is 404 (a live one is 204: the bridge stayed connected above).
        for kind in ("whip", "whep"):
            status, _, _ = http("GET", "%s/%s/%s/0123456789abcdef0123456789abcdef" % (self.b.url, kind, rb["room"]["id"]),
                                None, {})
            self.assertEqual(status, 404, kind)

        # A clean stop of A (SIGTERM) keeps the bridge too: it comes back with its id after the start.
        port_a, data_a = self.a.port, self.a.data_dir
        self.assertEqual(self.a.stop(timeout=30), 0, "A did not stop cleanly")
        old_a = self.a
        old_a.is_a = True
        type(self).a = Daemon(BINARY, node_args(SECRET_A, port_a), data_dir=data_a)
        self.dead.append(old_a)
        again = self.wait_bridge(room_a, bid, lambda x: x["state"] == "connected", timeout=40,
                                 what="connected state after A's clean restart")
        self.assertGreater(again["restarts"], back["restarts"], again)
        status, r = api(self.a, "DELETE", "/api/v1/admin/rooms/%s/bridges/%s" % (room_a, bid))
        self.assertEqual((status, r["state"]), (200, "stopped"), r)

    def test_5_a_bridge_made_before_anyone_sends_carries_media_later(self):
        # The usual order for an operator: the bridge is set up with the rooms, before the
        # meeting; people publish later and the bridge's m-lines take their tracks then.
        clients = []
        try:
            ra, rb, pa, pb, br, tok = self.bridged_pair("Early", clients, publish=False)

            async def steps():
                await pa.publish()
                await pb.publish()
                self.assertTrue(await pa.wait_frames(count=20, timeout=25), "Ada decodes Bo: %s" % pa.frames)
                self.assertTrue(await pb.wait_frames(count=20, timeout=25), "Bo decodes Ada: %s" % pb.frames)
            run(steps(), timeout=70)
            now = self.bridge(ra["room"]["id"], br["id"])
            self.assertEqual((now["state"], now["tracks"]), ("connected", {"sent": 2, "received": 2}), now)
        finally:
            self.close_clients(clients)


if __name__ == "__main__":
    unittest.main(verbosity=2)

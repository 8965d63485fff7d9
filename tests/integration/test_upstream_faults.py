#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A calendar feed and a chat webhook that hang (accept, never answer), reset
connections, or answer slowly: while they misbehave, rooms keep working (a
join over the signaling WebSocket is answered while meetgate's requests to
them are still hanging), and once they recover the calendar syncs and every
queued chat message is delivered. Prints how long each took; asserts no
timing. docs/hardening.md."""
import json
import os
import socket
import sqlite3
import sys
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mgtest import Daemon, WebSocket  # noqa: E402

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"
SECRET = "upstream-test-secret-0123456789abcdef0123"
OPS_KEY = "ops-key-upstream-0123456789"
HR_KEY = "hr-key-upstream-0123456789"
CHAT_TIMEOUT_MS = 1500
HANG_LIMIT_S = 30  # a hung connection is dropped by us after this, whatever meetgate does


def stamp(t):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class FaultyServer:
    """HTTP/1.0-style server on 127.0.0.1 whose behaviour the test switches:
    ok, hang (read the request, never answer), reset (RST on accept) or slow
    (wait 1 s, then dribble the answer out in small pieces)."""

    def __init__(self):
        self.mode = "ok"
        self.ics = ""
        self.lock = threading.Lock()
        self.hanging = 0
        self.log = []  # (mode, method, path)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _read_request(self, c):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = c.recv(65536)
            if not chunk:
                return None, None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        n = 0
        for line in lines[1:]:
            k, _, v = line.partition(":")
            if k.strip().lower() == "content-length":
                n = int(v)
        while len(body) < n:
            chunk = c.recv(65536)
            if not chunk:
                break
            body += chunk
        method, path = lines[0].split()[:2]
        return method, path

    def _serve(self, c):
        mode = self.mode
        try:
            if mode == "reset":
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                with self.lock:
                    self.log.append((mode, None, None))
                return
            method, path = self._read_request(c)
            if method is None:
                return
            with self.lock:
                self.log.append((mode, method, path))
            if mode == "hang":
                with self.lock:
                    self.hanging += 1
                deadline = time.time() + HANG_LIMIT_S
                while self.mode == "hang" and time.time() < deadline:
                    time.sleep(0.05)
                with self.lock:
                    self.hanging -= 1
                return  # closed without an answer
            body = self.ics.encode() if method == "GET" else b""
            ctype = "text/calendar" if method == "GET" else "text/plain"
            answer = ("HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                      % (ctype, len(body))).encode() + body
            if mode == "slow":
                time.sleep(1.0)
                for i in range(0, len(answer), 64):
                    c.sendall(answer[i:i + 64])
                    time.sleep(0.01)
            else:
                c.sendall(answer)
        except OSError:
            pass
        finally:
            c.close()

    def close(self):
        self.sock.close()


def api(d, method, path, body=None, key=OPS_KEY, timeout=120):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(d.url + path, data=data, method=method,
                                 headers={"Content-Type": "application/json", "Authorization": "Bearer " + key})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        text = e.read()
        return e.code, json.loads(text) if text else None


class UpstreamFaults(unittest.TestCase):
    def setUp(self):
        self.srv = FaultyServer()
        self.d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1",
                                 "-o", "admin.keys=ops:operator:" + OPS_KEY, "-o", "oa.sources=hr:" + HR_KEY,
                                 "-o", "chat.request_timeout_ms=%d" % CHAT_TIMEOUT_MS,
                                 "-o", "chat.max_attempts=30", "-o", "log.level=info"])

    def tearDown(self):
        crashed = self.d.proc.poll() is not None
        rc = None if crashed else self.d.stop()
        if crashed or rc != 0 or os.environ.get("MG_SHOW_LOG"):
            print(self.d.log_text()[-6000:])
        self.d.cleanup()
        self.srv.close()
        self.assertFalse(crashed, "meetgate crashed")
        self.assertEqual(rc, 0)

    def guest_token(self):
        status, j = api(self.d, "POST", "/api/v1/rooms", {"title": "faults"})
        self.assertEqual(status, 201, j)
        return urllib.parse.parse_qs(urllib.parse.urlparse(j["links"]["guest"]).query)["t"][0]

    def join(self, token, name):
        """Joins over /ws: (answer type, seconds, upstream requests hanging at the answer)."""
        ws = WebSocket(self.d)
        try:
            t0 = time.time()
            ws.send_json({"type": "join", "id": 1, "token": token, "name": name})
            while True:
                m = ws.recv_json(timeout=30)
                if m.get("id") == 1:
                    break
            took = time.time() - t0
            with self.srv.lock:
                hanging = self.srv.hanging
            ws.send_json({"type": "leave", "id": 2})
            return m["type"], took, hanging
        finally:
            ws.close()

    def outbox_states(self):
        db = sqlite3.connect(os.path.join(self.d.data_dir, "meetgate.db"), timeout=10)
        try:
            return dict(db.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall())
        finally:
            db.close()

    def test_hang_reset_slow(self):
        token = self.guest_token()
        status, j = api(self.d, "POST", "/api/v1/chats", {
            "key": "team", "name": "team", "connector": "generic", "webhook_url": self.srv.url("/chat/hook"),
            "rate": "unlimited", "rules": {"sources": ["hr"]}})
        self.assertIn(status, (200, 201), j)
        start = int(time.time()) + 3 * 86400
        self.srv.ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//faults//EN\r\n%sEND:VCALENDAR\r\n" % "".join(
            "BEGIN:VEVENT\r\nUID:feed-%d\r\nDTSTAMP:%s\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:Feed %d\r\nEND:VEVENT\r\n"
            % (i, stamp(time.time()), stamp(start + i * 3600), stamp(start + i * 3600 + 1800), i) for i in range(3))
        status, j = api(self.d, "POST", "/api/v1/calendars", {"url": self.srv.url("/feed.ics"), "kind": "ics",
                                                              "interval_s": 3600}, key=HR_KEY)
        self.assertEqual(status, 201, j)
        cal = j["calendar"]["id"]
        self.assertEqual(api(self.d, "POST", "/api/v1/calendars/%s/sync" % cal, {}, key=HR_KEY)[0], 200)
        pushed = 0
        for mode in ("hang", "reset", "slow"):
            self.srv.mode = mode
            # Meetings whose chat messages must now go to the misbehaving webhook.
            for i in range(5):
                pushed += 1
                body = {"external_id": "%s-%d" % (mode, i), "title": "%s %d" % (mode, i),
                        "start": rfc3339(start + pushed * 7200), "end": rfc3339(start + pushed * 7200 + 3600),
                        "organizer": {"id": "boss", "name": "Boss"}, "policy": "open"}
                status, j = api(self.d, "POST", "/api/v1/meetings", body, key=HR_KEY)
                self.assertEqual(status, 201, j)
            # A calendar sync against the misbehaving feed, answered when it ends.
            sync = {}
            t = threading.Thread(target=lambda: sync.update(
                r=api(self.d, "POST", "/api/v1/calendars/%s/sync" % cal, {}, key=HR_KEY)))
            t.start()
            time.sleep(0.5)
            joins = [self.join(token, "%s-%d" % (mode, k)) for k in range(5)]
            kinds = [k for k, _, _ in joins]
            self.assertEqual(kinds, ["joined"] * 5, joins)
            if mode == "hang":
                # Answered while meetgate's requests to the hung server were still waiting.
                self.assertTrue(all(h > 0 for _, _, h in joins), joins)
            time.sleep(1.0 if mode != "hang" else 2 * CHAT_TIMEOUT_MS / 1000)
            states = self.outbox_states()
            self.srv.mode = "ok"
            t0 = time.time()
            t.join(120)
            sync_took = time.time() - t0
            self.assertFalse(t.is_alive(), "the sync never answered")
            # Faults make the sync fail (502) or, slow, succeed; after recovery it succeeds.
            self.assertIn(sync["r"][0], (200, 502), sync)
            status, j = api(self.d, "POST", "/api/v1/calendars/%s/sync" % cal, {}, key=HR_KEY)
            self.assertEqual(status, 200, j)
            deadline = time.time() + 90
            while time.time() < deadline:
                after = self.outbox_states()
                if set(after) <= {"sent", "withdrawn"}:
                    break
                time.sleep(0.2)
            drained = time.time() - t0
            print("%s: joins answered in %s ms (upstream requests hanging at each: %s); outbox during the fault %s;"
                  " sync during the fault answered %d %.1f s after recovery; backlog drained %.1f s after recovery:"
                  " %s" % (mode, [round(1000 * s) for _, s, _ in joins], [h for _, _, h in joins], states,
                           sync["r"][0], sync_took, drained, after))
            self.assertEqual(set(after) - {"withdrawn"}, {"sent"}, after)
            self.assertGreaterEqual(after["sent"], pushed, after)
        with self.srv.lock:
            seen = {m for m, _, _ in self.srv.log}
        self.assertEqual(seen, {"ok", "hang", "reset", "slow"})
        status, _ = api(self.d, "GET", "/healthz")
        self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main(verbosity=2)

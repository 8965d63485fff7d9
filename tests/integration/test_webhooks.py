#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Event webhooks and attendance callbacks against the real daemon and a
local HTTP receiver that checks every signature byte for byte: events from
real joins and leaves over the signaling WebSocket arrive signed and once
(a 500 is retried), the attendance of an OA meeting goes to its source's
callback once when its room closes, a callback for a source without a
webhook secret refuses to start, and the admin API shows a dead message and
retries it (audited). See docs/admin.md and docs/meetings.md."""
import hashlib
import hmac
import http.server as httpserver
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mgtest import Daemon, WebSocket  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"
SECRET = "webhooks-test-secret-0123456789abcdef0123456"
HR_KEY = "hr-key-0123456789abcdef"
CRM_KEY = "crm-key-0123456789abcdef"
CRM_HOOK = "crm-webhook-secret-0123456789"
HOOK_SECRET = "event-hook-secret-0123456789"
OPS_KEY = "ops-admin-key-0123456789"
VIEW_KEY = "view-admin-key-0123456789"


def local3339(t, offset_h=8):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t + offset_h * 3600)) + "+%02d:00" % offset_h


def http(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def token_of(link):
    return urllib.parse.parse_qs(urllib.parse.urlparse(link).query)["t"][0]


def sign(secret, ts, body):
    return "sha256=" + hmac.new(secret.encode(), str(ts).encode() + b"." + body, hashlib.sha256).hexdigest()


class Receiver:
    """Records every POST; checks its signature against the secret of its path;
    answers what was pushed for the path, else its default status."""

    def __init__(self, secrets):
        self.secrets = secrets  # path -> secret
        self.lock = threading.Lock()
        self.arrivals = []
        self.script = {}
        self.default = {}
        receiver = self

        class Handler(httpserver.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                path = self.path
                ts = self.headers.get("X-Meetgate-Timestamp", "")
                given = self.headers.get("X-Meetgate-Signature", "")
                secret = receiver.secrets.get(path)
                good = bool(secret) and hmac.compare_digest(given.encode(), sign(secret, ts, body).encode())
                with receiver.lock:
                    queue = receiver.script.get(path, [])
                    status = queue.pop(0) if queue else receiver.default.get(path, 200)
                    receiver.arrivals.append({"path": path, "headers": dict(self.headers.items()), "body": body,
                                              "signed": good, "status": status})
                data = b"{}" if status == 200 else b"nope"
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = httpserver.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def got(self, path):
        with self.lock:
            return [a for a in self.arrivals if a["path"] == path]

    def wait(self, path, pred, timeout=25):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if pred(self.got(path)):
                return self.got(path)
            time.sleep(0.1)
        return self.got(path)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def finish(tc, d):
    crashed = d.proc.poll() is not None
    rc = None if crashed else d.stop()
    if crashed or rc != 0 or os.environ.get("MG_SHOW_LOG"):
        print(d.log_text()[-8000:])
    d.cleanup()
    tc.assertFalse(crashed, "meetgate crashed")
    tc.assertEqual(rc, 0)


def post_meeting(tc, d, body, key, secret=None):
    data = json.dumps(body).encode()
    headers = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
    if secret:
        ts = int(time.time())
        headers.update({"X-Meetgate-Timestamp": str(ts), "X-Meetgate-Signature": sign(secret, ts, data)})
    st, text = http("POST", d.url + "/api/v1/meetings", data, headers)
    tc.assertEqual(st, 201, text)
    return json.loads(text)["meeting"]


def join_and_leave(tc, d, link, name):
    ws = WebSocket(d)
    ws.send_json({"type": "join", "id": 1, "token": token_of(link), "name": name})
    tc.assertEqual(ws.recv_json()["type"], "joined")
    ws.send_json({"type": "leave", "id": 2})
    deadline = time.time() + 10
    while time.time() < deadline:
        if ws.recv_json()["type"] == "left":
            break
    ws.close()


def meeting_body(external_id, start, end, attendee="u1", name="Ada"):
    return {"external_id": external_id, "title": "Hooks sync", "start": local3339(start), "end": local3339(end),
            "policy": "open", "organizer": {"id": "boss", "name": "Boss"},
            "attendees": [{"id": attendee, "name": name}]}


class EventWebhooks(unittest.TestCase):
    """Joins and leaves -> room_started, participant_joined, participant_left,
    room_finished, each signed and exactly once, a 500 retried."""

    def test_events_signed_once(self):
        rx = Receiver({"/hook": HOOK_SECRET})
        rx.script["/hook"] = [500]  # the first delivery fails; the deliverer tries again
        d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "schedule.reminders=none",
                            "-o", "oa.sources=hr:%s" % HR_KEY,
                            "-o", "events.webhooks=mon:%s:%s" % (HOOK_SECRET, rx.url("/hook"))])
        try:
            now = int(time.time())
            m = post_meeting(self, d, meeting_body("hooks-1", now - 60, now + 3600), HR_KEY)
            join_and_leave(self, d, m["links"]["attendees"]["u1"], "Ada")
            wanted = ["room_started", "participant_joined", "participant_left", "room_finished"]

            def delivered(arrivals):
                ok = [json.loads(a["body"])["type"] for a in arrivals if a["status"] == 200]
                return all(t in ok for t in wanted)

            arrivals = rx.wait("/hook", delivered)
            time.sleep(2)  # anything sent twice would arrive by now
            arrivals = rx.got("/hook")
            self.assertTrue(delivered(arrivals), [a["body"] for a in arrivals])
            self.assertEqual(arrivals[0]["status"], 500)
            ok_ids = []
            for a in arrivals:
                self.assertTrue(a["signed"], "bad signature: %r %r" % (a["headers"], a["body"]))
                ev = json.loads(a["body"])
                h = {k.lower(): v for k, v in a["headers"].items()}
                self.assertEqual(h["content-type"], "application/json")
                self.assertEqual(h["x-meetgate-event"], ev["type"])
                self.assertEqual(h["x-meetgate-idempotency-key"], "hook:mon:" + ev["id"])
                self.assertRegex(ev["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
                self.assertEqual(ev["room"]["code"], m["room"]["code"])
                self.assertEqual(ev["room"]["title"], "Hooks sync")
                if a["status"] == 200:
                    ok_ids.append(ev["id"])
            self.assertEqual(len(ok_ids), len(set(ok_ids)), "an event was delivered twice")
            self.assertEqual(len(ok_ids), 4)
            # the 500'd event is the one delivered again, under the same id
            first = json.loads(arrivals[0]["body"])
            self.assertEqual(first["type"], "room_started")
            self.assertEqual(json.loads(arrivals[1]["body"])["id"], first["id"])
            by_type = {json.loads(a["body"])["type"]: json.loads(a["body"]) for a in arrivals if a["status"] == 200}
            self.assertEqual(by_type["participant_joined"]["participant"]["name"], "Ada")
            self.assertEqual(by_type["participant_joined"]["participant"]["user"], "u1")
            self.assertEqual(by_type["participant_left"]["participant"]["name"], "Ada")
            # /metrics: the outbox's states and the failed attempt
            st, text = http("GET", d.url + "/metrics")
            self.assertEqual(st, 200)
            text = text.decode()
            self.assertRegex(text, r'meetgate_outbox_failures_total\{connector="webhook"\} 1\b')
            families = {f.name: f for f in text_string_to_metric_families(text)}
            states = {s.labels["state"]: s.value for s in families["meetgate_outbox_messages"].samples}
            self.assertEqual(set(states), {"pending", "sending", "sent", "dead", "withdrawn"})
            self.assertGreaterEqual(states["sent"], 4)
            self.assertEqual(states["dead"], 0)
            failures = {s.labels["connector"]: s.value for s in families["meetgate_outbox_failures"].samples
                        if s.name == "meetgate_outbox_failures_total"}
            self.assertEqual(failures.get("webhook"), 1)
            self.assertNotIn(HOOK_SECRET, d.log_text())
        finally:
            rx.close()
            finish(self, d)


class AttendanceCallback(unittest.TestCase):
    """An OA meeting's room closes -> its attendance goes to the source's
    callback, signed with the source's webhook secret, once."""

    def test_attendance_after_end(self):
        rx = Receiver({"/attendance": CRM_HOOK})
        d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "schedule.reminders=none",
                            "-o", "schedule.lead_minutes=0", "-o", "schedule.grace_minutes=0",
                            "-o", "oa.sources=crm:%s:%s" % (CRM_KEY, CRM_HOOK),
                            "-o", "oa.callbacks=crm=" + rx.url("/attendance")])
        try:
            now = int(time.time())
            m = post_meeting(self, d, meeting_body("att-1", now - 60, now + 4), CRM_KEY, CRM_HOOK)
            join_and_leave(self, d, m["links"]["attendees"]["u1"], "Ada")
            arrivals = rx.wait("/attendance", lambda a: len(a) >= 1, timeout=30)
            time.sleep(2)
            arrivals = rx.got("/attendance")
            self.assertEqual(len(arrivals), 1, [a["body"] for a in arrivals])
            a = arrivals[0]
            self.assertTrue(a["signed"], "bad signature: %r" % a["headers"])
            body = json.loads(a["body"])
            self.assertEqual(body["type"], "attendance")
            self.assertEqual(body["meeting_id"], m["id"])
            self.assertEqual(body["source"], "crm")
            self.assertEqual(body["external_id"], "att-1")
            self.assertEqual(set(body["occurrence"]), {"start", "end"})
            self.assertEqual([s["user"] for s in body["attendees"]], ["u1"])
            self.assertEqual(body["attendees"][0]["name"], "Ada")
            self.assertIsNotNone(body["attendees"][0]["left_at"])
            h = {k.lower(): v for k, v in a["headers"].items()}
            self.assertEqual(h["x-meetgate-event"], "attendance")
            self.assertEqual(h["x-meetgate-idempotency-key"], "callback:crm:%s:%d" % (m["id"], self.start_of(body)))
            # the on-demand answer has the same stays
            st, text = http("GET", d.url + "/api/v1/meetings/%s/attendance" % m["id"],
                            headers={"Authorization": "Bearer " + CRM_KEY})
            self.assertEqual(st, 200, text)
            self.assertEqual(json.loads(text)["stays"], body["attendees"])
            self.assertEqual(json.loads(text)["seconds"], body["seconds"])
        finally:
            rx.close()
            finish(self, d)

    @staticmethod
    def start_of(body):
        import calendar
        return calendar.timegm(time.strptime(body["occurrence"]["start"], "%Y-%m-%dT%H:%M:%SZ"))


class BadCallbackConfig(unittest.TestCase):
    """A callback for a source without a webhook secret (or an unknown source) refuses to start."""

    def refused(self, args, words):
        with tempfile.TemporaryDirectory(prefix="mg-it-") as tmp:
            r = subprocess.run([BINARY, "-o", "server.listen=127.0.0.1:0", "-o", "server.data_dir=" + tmp,
                                "-o", "log.format=text", "-o", "server.secret=" + SECRET, *args],
                               capture_output=True, text=True, timeout=20)
        self.assertNotEqual(r.returncode, 0, r.stderr)
        for w in words:
            self.assertIn(w, r.stderr)
        self.assertNotIn(HR_KEY, r.stderr)

    def test_source_without_secret(self):
        self.refused(["-o", "oa.sources=hr:%s" % HR_KEY, "-o", "oa.callbacks=hr=http://127.0.0.1:9/cb"],
                     ["source hr has no webhook secret"])

    def test_unknown_source(self):
        self.refused(["-o", "oa.sources=hr:%s" % HR_KEY, "-o", "oa.callbacks=erp=http://127.0.0.1:9/cb"],
                     ["source erp is not in [oa] sources"])

    def test_short_webhook_secret(self):
        self.refused(["-o", "events.webhooks=mon:short:http://127.0.0.1:9/h"], ["[events] webhooks", "(mon)"])


class AdminOutbox(unittest.TestCase):
    """A receiver answering 404 -> dead messages in the admin API with their
    last error; an operator's retry sends one again (audited)."""

    def test_dead_and_retry(self):
        rx = Receiver({"/gone": HOOK_SECRET})
        rx.default["/gone"] = 404
        d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "schedule.reminders=none",
                            "-o", "oa.sources=hr:%s" % HR_KEY,
                            "-o", "admin.keys=ops:operator:%s,view:viewer:%s" % (OPS_KEY, VIEW_KEY),
                            "-o", "events.types=room_started",
                            "-o", "events.webhooks=gone:%s:%s" % (HOOK_SECRET, rx.url("/gone"))])
        try:
            now = int(time.time())
            m = post_meeting(self, d, meeting_body("dead-1", now - 60, now + 3600), HR_KEY)
            join_and_leave(self, d, m["links"]["attendees"]["u1"], "Ada")
            view = {"Authorization": "Bearer " + VIEW_KEY}
            ops = {"Authorization": "Bearer " + OPS_KEY}
            deadline, dead = time.time() + 20, []
            while time.time() < deadline and not dead:
                st, text = http("GET", d.url + "/api/v1/admin/outbox?state=dead", headers=view)
                self.assertEqual(st, 200, text)
                dead = json.loads(text)["messages"]
                time.sleep(0.2)
            self.assertEqual(len(dead), 1, text)  # only room_started is configured
            msg = dead[0]
            self.assertEqual(msg["target"], "hook:gone")
            self.assertEqual(msg["kind"], "room_started")
            self.assertEqual(msg["attempts"], 1)
            self.assertIn("404", msg["last_error"])
            self.assertNotIn(HOOK_SECRET, text.decode())
            self.assertNotIn("127.0.0.1:%d" % rx.port, text.decode())
            st, _ = http("GET", d.url + "/api/v1/admin/outbox?state=dead")
            self.assertEqual(st, 401)
            st, _ = http("GET", d.url + "/api/v1/admin/outbox?state=nonsense", headers=view)
            self.assertEqual(st, 400)
            st, _ = http("POST", d.url + "/api/v1/admin/outbox/%d/retry" % msg["id"], b"", view)
            self.assertEqual(st, 403)
            rx.default["/gone"] = 200
            st, text = http("POST", d.url + "/api/v1/admin/outbox/%d/retry" % msg["id"], b"", ops)
            self.assertEqual(st, 200, text)
            arrivals = rx.wait("/gone", lambda a: any(x["status"] == 200 for x in a))
            ok = [a for a in arrivals if a["status"] == 200]
            self.assertEqual(len(ok), 1)
            self.assertTrue(ok[0]["signed"])
            self.assertEqual(json.loads(ok[0]["body"])["id"], json.loads(arrivals[0]["body"])["id"])
            deadline, state = time.time() + 10, None
            while time.time() < deadline and state != "sent":
                st, text = http("GET", d.url + "/api/v1/admin/outbox?state=sent", headers=view)
                state = "sent" if any(x["id"] == msg["id"] for x in json.loads(text)["messages"]) else None
                time.sleep(0.1)
            self.assertEqual(state, "sent")
            st, text = http("POST", d.url + "/api/v1/admin/outbox/999999/retry", b"", ops)
            self.assertEqual(st, 404)
            st, text = http("GET", d.url + "/api/v1/admin/audit?action=outbox_retry", headers=view)
            self.assertEqual(st, 200, text)
            entries = json.loads(text)["entries"]
            results = sorted((e["key"], e["result"]) for e in entries)
            self.assertIn(("ops", "ok"), results)
            self.assertIn(("view", "forbidden"), results)
            self.assertIn(("ops", "not_found"), results)
            st, text = http("GET", d.url + "/metrics")
            self.assertRegex(text.decode(), r'meetgate_outbox_failures_total\{connector="webhook"\} 1\b')
        finally:
            rx.close()
            finish(self, d)


if __name__ == "__main__":
    unittest.main(verbosity=2)

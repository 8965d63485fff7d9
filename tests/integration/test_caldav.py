#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Subscribed calendars against a real Radicale and a local ICS feed: add,
sync, edit, move, delete; the meetings follow with the same room, nothing is
doubled (docs/calendars.md, "Subscribed calendars"). A change that removes
the occurrence running now (an EXDATE, a cancelled RECURRENCE-ID override, the
event deleted) closes its room with reason "cancelled", as a cancel through
the meetings API does."""
import base64
import http.server as httpserver
import json
import os
import shutil
import socket
import sqlite3
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

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"
SECRET = "caldav-test-secret-0123456789abcdef0123456"
KEY = "hr-key-0123456789abcdef"
ALICE = "alice-password-x"


def http(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stamp(t):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def vevent(uid, summary, start, minutes=60):
    return ("BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:%s\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:%s\r\nEND:VEVENT\r\n"
            % (uid, stamp(time.time()), stamp(start), stamp(start + minutes * 60), summary))


def vcalendar(*events):
    return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//meetgate test//EN\r\n" + "".join(events) + "END:VCALENDAR\r\n"


def series(uid, summary, first, minutes=60, extra=""):
    """A daily series of 5 from first, with extra properties (EXDATE...)."""
    return ("BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:%s\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:%s\r\n"
            "RRULE:FREQ=DAILY;COUNT=5\r\n%sEND:VEVENT\r\n"
            % (uid, stamp(time.time()), stamp(first), stamp(first + minutes * 60), summary, extra))


def cancelled_override(uid, occurrence, minutes=60):
    return ("BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:%s\r\nRECURRENCE-ID:%s\r\nDTSTART:%s\r\nDTEND:%s\r\n"
            "SUMMARY:Cancelled\r\nSTATUS:CANCELLED\r\nSEQUENCE:1\r\nEND:VEVENT\r\n"
            % (uid, stamp(time.time()), stamp(occurrence), stamp(occurrence), stamp(occurrence + minutes * 60)))


class Radicale:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="mg-radicale-")
        self.port = free_port()
        conf = os.path.join(self.tmp, "config")
        with open(conf, "w") as f:
            f.write("[server]\nhosts = 127.0.0.1:%d\n[auth]\ntype = none\n[rights]\ntype = owner_only\n"
                    "[storage]\nfilesystem_folder = %s\n[logging]\nlevel = warning\n"
                    % (self.port, os.path.join(self.tmp, "collections")))
        self.log = open(os.path.join(self.tmp, "log"), "w+")
        self.proc = subprocess.Popen(["/usr/bin/python3", "-m", "radicale", "--config", conf],
                                     stdout=self.log, stderr=self.log)
        self.url = "http://127.0.0.1:%d" % self.port
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("radicale did not start")

    def request(self, method, path, body=None, headers=None):
        h = {"Authorization": "Basic " + base64.b64encode(("alice:" + ALICE).encode()).decode()}
        h.update(headers or {})
        return http(method, self.url + path, body.encode() if isinstance(body, str) else body, h)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class Feed(httpserver.BaseHTTPRequestHandler):
    text = ""

    def do_GET(self):
        if self.path == "/moved.ics":  # a published feed that moved (http -> https, a CDN)
            self.send_response(302)
            self.send_header("Location", "/team.ics")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = Feed.text.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/calendar; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class SubscribedCalendars(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.radicale = Radicale()
        cls.feed = httpserver.ThreadingHTTPServer(("127.0.0.1", 0), Feed)
        threading.Thread(target=cls.feed.serve_forever, daemon=True).start()
        cls.d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1",
                                "-o", "server.production=true", "-o", "oa.sources=hr:%s" % KEY])
        cls.now = int(time.time())

    @classmethod
    def tearDownClass(cls):
        crashed = cls.d.proc.poll() is not None
        rc = None if crashed else cls.d.stop()
        log = cls.d.log_text()
        if crashed or rc != 0 or os.environ.get("MG_SHOW_LOG"):
            print(log[-8000:])
        cls.d.cleanup()
        cls.feed.shutdown()
        cls.radicale.stop()
        assert not crashed and rc == 0, "meetgate crashed or exited with %s" % rc
        assert ALICE not in log, "the calendar password reached the log"

    def api(self, method, path, body=None):
        h = {"Authorization": "Bearer " + KEY, "Content-Type": "application/json"}
        status, text = http(method, self.d.url + path, json.dumps(body).encode() if body is not None else None, h)
        return status, json.loads(text) if text else None

    def add(self, url, kind, **extra):
        body = {"url": url, "kind": kind, "interval_s": 3600}
        body.update(extra)
        status, j = self.api("POST", "/api/v1/calendars", body)
        self.assertEqual(status, 201, j)
        return j["calendar"]

    def sync(self, cal):
        status, j = self.api("POST", "/api/v1/calendars/%s/sync" % cal["id"], {})
        self.assertEqual(status, 200, j)
        return j

    def listing(self):
        q = urllib.parse.urlencode({"from": rfc3339(self.now - 86400), "to": rfc3339(self.now + 30 * 86400)})
        status, j = self.api("GET", "/api/v1/meetings?" + q)
        self.assertEqual(status, 200, j)
        return {o["external_id"]: o for o in j["occurrences"]}

    def test_caldav(self):
        status, _ = self.radicale.request("MKCALENDAR", "/alice/work/")
        self.assertIn(status, (200, 201), "MKCALENDAR")
        cal = self.add(self.radicale.url + "/alice/work/", "caldav", username="alice", password=ALICE, source="hr")
        self.assertEqual(cal["password"], "********")
        db = sqlite3.connect(os.path.join(self.d.data_dir, "meetgate.db"), timeout=10)
        (stored,) = db.execute("SELECT password FROM calendars WHERE id = ?", (cal["id"],)).fetchone()
        db.close()
        self.assertTrue(stored.startswith("sealed:v1:"), "the password is not sealed at rest")
        self.assertNotIn(ALICE, stored)
        with open(os.path.join(self.d.data_dir, "meetgate.db"), "rb") as f:
            self.assertNotIn(ALICE.encode(), f.read())
        self.assertNotIn(ALICE, json.dumps(self.api("GET", "/api/v1/calendars")[1]))

        start = self.now + 2 * 86400
        put = {"Content-Type": "text/calendar; charset=utf-8"}
        status, _ = self.radicale.request("PUT", "/alice/work/standup.ics",
                                          vcalendar(vevent("cd-standup", "Standup", start)), put)
        self.assertIn(status, (200, 201))
        n = self.sync(cal)
        self.assertEqual((n["mode"], n["created"]), ("sync-collection", 1), n)
        m = self.listing()["cd-standup"]
        self.assertEqual(m["title"], "Standup")
        self.assertRegex(m["room_code"], r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")
        code = m["room_code"]

        # Nothing changed: nothing written.
        n = self.sync(cal)
        self.assertEqual(n["created"] + n["updated"] + n["cancelled"], 0, n)

        # Edited, then moved: the meeting follows, in the same room.
        self.radicale.request("PUT", "/alice/work/standup.ics",
                              vcalendar(vevent("cd-standup", "Standup (edited)", start)), put)
        n = self.sync(cal)
        self.assertEqual(n["updated"], 1, n)
        self.assertEqual(self.listing()["cd-standup"]["title"], "Standup (edited)")
        self.radicale.request("PUT", "/alice/work/standup.ics",
                              vcalendar(vevent("cd-standup", "Standup (edited)", start + 3600)), put)
        n = self.sync(cal)
        self.assertEqual(n["updated"], 1, n)
        m = self.listing()["cd-standup"]
        self.assertEqual(m["start"], rfc3339(start + 3600))
        self.assertEqual(m["room_code"], code)
        self.assertEqual(list(self.listing()).count("cd-standup"), 1)

        # A second event, then the first deleted: cancelled, the other stays.
        self.radicale.request("PUT", "/alice/work/review.ics", vcalendar(vevent("cd-review", "Review", start)), put)
        status, _ = self.radicale.request("DELETE", "/alice/work/standup.ics")
        self.assertIn(status, (200, 204))
        n = self.sync(cal)
        self.assertEqual((n["created"], n["cancelled"]), (1, 1), n)
        listed = self.listing()
        self.assertNotIn("cd-standup", listed)
        self.assertIn("cd-review", listed)
        status, got = self.api("GET", "/api/v1/meetings/" + m["meeting_id"])
        self.assertEqual(status, 200, got)
        self.assertTrue(got["meeting"]["cancelled"])

        # A token the server no longer knows: the sync falls back to
        # calendar-query over the window, diffs by ETag, and still follows.
        db = sqlite3.connect(os.path.join(self.d.data_dir, "meetgate.db"), timeout=10)
        with db:
            db.execute("UPDATE calendars SET sync_token = 'http://radicale.org/ns/sync/bogus' WHERE id = ?",
                       (cal["id"],))
        db.close()
        self.radicale.request("PUT", "/alice/work/review.ics",
                              vcalendar(vevent("cd-review", "Review (fallback)", start)), put)
        n = self.sync(cal)
        self.assertEqual((n["mode"], n["updated"], n["created"], n["cancelled"]), ("calendar-query", 1, 0, 0), n)
        self.assertEqual(self.listing()["cd-review"]["title"], "Review (fallback)")
        n = self.sync(cal)  # back to sync-collection, from an initial token
        self.assertEqual((n["mode"], n["created"], n["updated"], n["cancelled"]), ("sync-collection", 0, 0, 0), n)
        self.assertEqual(sum(1 for k in self.listing() if k.startswith("cd-")), 1)

        status, _ = self.api("DELETE", "/api/v1/calendars/" + cal["id"])
        self.assertEqual(status, 204)
        self.assertEqual(self.api("POST", "/api/v1/calendars/%s/sync" % cal["id"], {})[0], 404)

    def test_ics_feed(self):
        start = self.now + 3 * 86400
        Feed.text = vcalendar(vevent("feed-a", "Feed A", start), vevent("feed-b", "Feed B", start + 7200))
        url = "http://127.0.0.1:%d/team.ics" % self.feed.server_address[1]
        cal = self.add(url, "ics")
        n = self.sync(cal)
        self.assertEqual((n["mode"], n["created"]), ("ics", 2), n)
        self.assertIn("feed-a", self.listing())
        n = self.sync(cal)
        self.assertEqual((n["created"], n["unchanged"], n["cancelled"]), (0, 2, 0), n)
        Feed.text = vcalendar(vevent("feed-a", "Feed A", start))
        n = self.sync(cal)
        self.assertEqual(n["cancelled"], 1, n)
        listed = self.listing()
        self.assertIn("feed-a", listed)
        self.assertNotIn("feed-b", listed)

    def join(self, meeting_id, name):
        """A participant in the meeting's room, joined with the organizer's link."""
        status, got = self.api("GET", "/api/v1/meetings/" + meeting_id)
        self.assertEqual(status, 200, got)
        link = got["meeting"]["links"]["organizer"]
        token = urllib.parse.parse_qs(urllib.parse.urlparse(link).query)["t"][0]
        ws = WebSocket(self.d)
        ws.send_json({"type": "join", "id": 1, "token": token, "name": name})
        m = ws.recv_json()
        self.assertEqual(m["type"], "joined", m)
        self.addCleanup(ws.close)
        return ws

    def closing(self, ws):
        """The room_closing message ws gets (None if the socket closes first)."""
        try:
            while True:
                m = ws.recv_json(timeout=10)
                if m["type"] == "room_closing":
                    return m
        except (ConnectionError, OSError):
            return None

    def still_open(self, ws):
        """ws is still in its room: a ping is answered and nothing says the room closes."""
        ws.send_json({"type": "ping", "id": 99})
        while True:
            m = ws.recv_json(timeout=10)
            self.assertNotEqual(m["type"], "room_closing", m)
            if m["type"] == "pong":
                return

    def test_removed_running_occurrence_closes_room(self):
        running = self.now - 600  # today's occurrence began 10 minutes ago
        first = running - 86400   # the series began yesterday
        tomorrow = running + 86400
        url = "http://127.0.0.1:%d/running.ics" % self.feed.server_address[1]
        Feed.text = vcalendar(series("run-ex", "EXDATE series", first), series("run-ov", "Override series", first),
                              vevent("run-del", "Deleted meeting", running))
        cal = self.add(url, "ics")
        n = self.sync(cal)
        self.assertEqual(n["created"], 3, n)
        status, j = self.api("GET", "/api/v1/meetings?" + urllib.parse.urlencode(
            {"from": rfc3339(running - 60), "to": rfc3339(running + 60)}))
        self.assertEqual(status, 200, j)
        ids = {o["external_id"]: o["meeting_id"] for o in j["occurrences"]}
        self.assertEqual(set(ids), {"run-ex", "run-ov", "run-del"}, j)
        ex, ov, gone = self.join(ids["run-ex"], "Ex"), self.join(ids["run-ov"], "Ov"), self.join(ids["run-del"], "Del")

        # An EXDATE of tomorrow's occurrence leaves today's room open.
        Feed.text = vcalendar(series("run-ex", "EXDATE series", first, extra="EXDATE:%s\r\n" % stamp(tomorrow)),
                              series("run-ov", "Override series", first), vevent("run-del", "Deleted meeting", running))
        n = self.sync(cal)
        self.assertEqual((n["updated"], n["cancelled"]), (1, 0), n)
        self.still_open(ex)

        # An EXDATE of the running occurrence closes its room, and only that room.
        exdates = "EXDATE:%s\r\nEXDATE:%s\r\n" % (stamp(tomorrow), stamp(running))
        Feed.text = vcalendar(series("run-ex", "EXDATE series", first, extra=exdates),
                              series("run-ov", "Override series", first), vevent("run-del", "Deleted meeting", running))
        n = self.sync(cal)
        self.assertEqual((n["updated"], n["cancelled"]), (1, 1), n)
        got = self.closing(ex)
        self.assertIsNotNone(got, "no room_closing after the EXDATE")
        self.assertEqual(got["reason"], "cancelled", got)
        self.still_open(ov)
        self.still_open(gone)
        # The series goes on: tomorrow's and today's occurrences are gone, the others stay.
        status, j = self.api("GET", "/api/v1/meetings?" + urllib.parse.urlencode(
            {"from": rfc3339(first - 60), "to": rfc3339(first + 6 * 86400)}))
        starts = sorted(o["start"] for o in j["occurrences"] if o["external_id"] == "run-ex")
        self.assertEqual(starts, [rfc3339(first + k * 86400) for k in (0, 3, 4)], j)

        # A cancelled override (RECURRENCE-ID, STATUS:CANCELLED) of the running occurrence.
        Feed.text = vcalendar(series("run-ex", "EXDATE series", first, extra=exdates),
                              series("run-ov", "Override series", first), cancelled_override("run-ov", running),
                              vevent("run-del", "Deleted meeting", running))
        n = self.sync(cal)
        got = self.closing(ov)
        self.assertIsNotNone(got, "no room_closing after the cancelled override: %s" % n)
        self.assertEqual(got["reason"], "cancelled", got)
        self.still_open(gone)

        # The running meeting deleted from the feed.
        Feed.text = vcalendar(series("run-ex", "EXDATE series", first, extra=exdates),
                              series("run-ov", "Override series", first), cancelled_override("run-ov", running))
        n = self.sync(cal)
        self.assertEqual(n["cancelled"], 1, n)
        got = self.closing(gone)
        self.assertIsNotNone(got, "no room_closing after the event was deleted")
        self.assertEqual(got["reason"], "cancelled", got)
        self.assertEqual(self.api("DELETE", "/api/v1/calendars/" + cal["id"])[0], 204)

    def test_caldav_exdate_closes_running_room(self):
        """The same through CalDAV: the series edited in Radicale with an EXDATE of the running occurrence."""
        status, _ = self.radicale.request("MKCALENDAR", "/alice/running/")
        self.assertIn(status, (200, 201), "MKCALENDAR")
        cal = self.add(self.radicale.url + "/alice/running/", "caldav", username="alice", password=ALICE, source="hr")
        running = self.now - 300
        first = running - 2 * 86400
        put = {"Content-Type": "text/calendar; charset=utf-8"}
        status, _ = self.radicale.request("PUT", "/alice/running/daily.ics",
                                          vcalendar(series("cd-daily", "Daily", first)), put)
        self.assertIn(status, (200, 201))
        n = self.sync(cal)
        self.assertEqual(n["created"], 1, n)
        status, j = self.api("GET", "/api/v1/meetings?" + urllib.parse.urlencode(
            {"from": rfc3339(running - 60), "to": rfc3339(running + 60)}))
        ids = [o["meeting_id"] for o in j["occurrences"] if o["external_id"] == "cd-daily"]
        self.assertEqual(len(ids), 1, j)
        ws = self.join(ids[0], "Daily")
        status, _ = self.radicale.request("PUT", "/alice/running/daily.ics", vcalendar(
            series("cd-daily", "Daily", first, extra="EXDATE:%s\r\n" % stamp(running))), put)
        self.assertIn(status, (200, 201, 204))
        n = self.sync(cal)
        self.assertEqual((n["mode"], n["updated"], n["cancelled"]), ("sync-collection", 1, 1), n)
        got = self.closing(ws)
        self.assertIsNotNone(got, "no room_closing after the EXDATE")
        self.assertEqual(got["reason"], "cancelled", got)
        self.assertEqual(self.api("DELETE", "/api/v1/calendars/" + cal["id"])[0], 204)

    def test_ics_feed_redirect_and_webcal(self):
        start = self.now + 4 * 86400
        Feed.text = vcalendar(vevent("moved-a", "Moved A", start))
        cal = self.add("http://127.0.0.1:%d/moved.ics" % self.feed.server_address[1], "ics")
        n = self.sync(cal)
        self.assertEqual((n["mode"], n["created"]), ("ics", 1), n)
        self.assertIn("moved-a", self.listing())
        cal = self.add("webcal://calendars.example.org/team/calendar.ics", "ics")
        self.assertEqual(cal["url"], "https://calendars.example.org/team/calendar.ics")
        self.assertEqual(self.api("DELETE", "/api/v1/calendars/" + cal["id"])[0], 204)

    def test_refused(self):
        status, j = self.api("POST", "/api/v1/calendars", {"url": "http://x/", "kind": "ics", "interval_s": 10})
        self.assertEqual((status, j["error"]["field"]), (400, "interval_s"))
        status, j = self.api("POST", "/api/v1/calendars", {"url": "http://x/", "kind": "webcal", "interval_s": 60})
        self.assertEqual((status, j["error"]["field"]), (400, "kind"))
        status, _ = http("GET", self.d.url + "/api/v1/calendars")
        self.assertEqual(status, 401)


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The meetings API against the real daemon: push, push again, SEQUENCE,
signed webhooks, window listing, cancelling an occurrence, the group link's
meeting page and joining over the signaling WebSocket with a personal link
(docs/meetings.md)."""
import hashlib
import hmac
import json
import os
import sys
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mgtest import Daemon, WebSocket  # noqa: E402

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"
SECRET = "meetings-test-secret-0123456789abcdef0123456"
HR_KEY = "hr-key-0123456789abcdef"
CRM_KEY = "crm-key-0123456789abcdef"
CRM_HOOK = "crm-webhook-secret-0123456789"


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(t))


def local3339(t, offset_h=8):
    """The same instant written with a +08:00 offset."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t + offset_h * 3600)) + "+%02d:00" % offset_h


def http(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict((k.lower(), v) for k, v in r.headers.items()), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict((k.lower(), v) for k, v in e.headers.items()), e.read()


def token_of(link):
    return urllib.parse.parse_qs(urllib.parse.urlparse(link).query)["t"][0]


def sign(secret, ts, body):
    return "sha256=" + hmac.new(secret.encode(), str(ts).encode() + b"." + body, hashlib.sha256).hexdigest()


class MeetingsApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1",
                                "-o", "oa.sources=hr:%s,crm:%s:%s" % (HR_KEY, CRM_KEY, CRM_HOOK)])
        cls.now = int(time.time())

    @classmethod
    def tearDownClass(cls):
        crashed = cls.d.proc.poll() is not None
        rc = None if crashed else cls.d.stop()
        if crashed or rc != 0 or os.environ.get("MG_SHOW_LOG"):
            print(cls.d.log_text()[-8000:])
        cls.d.cleanup()
        assert not crashed and rc == 0, "meetgate crashed or exited with %s" % rc

    def body(self, external_id, start, minutes=60, **extra):
        b = {"external_id": external_id, "title": "Quarterly planning", "description": "Numbers.",
             "start": local3339(start), "end": local3339(start + minutes * 60), "timezone": "Asia/Shanghai",
             "organizer": {"id": "boss", "name": "Boss", "email": "boss@example.com", "department": "Finance"},
             "attendees": [{"id": "u1", "name": "Ada", "email": "ada@example.com", "role": "required"},
                           {"id": "u2", "name": "Bob", "role": "optional"}],
             "chat": "finance", "policy": "lobby"}
        b.update(extra)
        return b

    def post(self, body, key=HR_KEY, headers=None, raw=None):
        data = raw if raw is not None else json.dumps(body).encode()
        h = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
        h.update(headers or {})
        status, _, text = http("POST", self.d.url + "/api/v1/meetings", data, h)
        return status, json.loads(text)

    def get(self, path, key=HR_KEY):
        status, _, text = http("GET", self.d.url + path, None, {"Authorization": "Bearer " + key})
        return status, json.loads(text)

    def delete(self, path, key=HR_KEY):
        status, _, text = http("DELETE", self.d.url + path, None, {"Authorization": "Bearer " + key})
        return status, json.loads(text)

    def listing(self, start, end, key=HR_KEY):
        q = urllib.parse.urlencode({"from": local3339(start), "to": local3339(end)})
        status, j = self.get("/api/v1/meetings?" + q, key)
        self.assertEqual(status, 200, j)
        return j["occurrences"]

    def test_push_twice_unchanged(self):
        b = self.body("push-1", self.now + 86400)
        status, first = self.post(b)
        self.assertEqual(status, 201, first)
        self.assertEqual(first["status"], "created")
        m = first["meeting"]
        self.assertRegex(m["room"]["code"], r"^[A-Z0-9]{4}-[A-Z0-9]{4}$")
        self.assertEqual(m["start"], rfc3339(self.now + 86400).replace("+00:00", "Z"))
        self.assertEqual(m["room"]["opens_at"], rfc3339(self.now + 86400 - 600).replace("+00:00", "Z"))
        self.assertEqual(set(m["links"]["attendees"]), {"u1", "u2"})
        self.assertIn("/j/%s?t=" % m["room"]["code"], m["links"]["group"])
        self.assertTrue(m["invite"].endswith("/api/v1/meetings/%s/invite.ics" % m["id"]))
        status, again = self.post(b)
        self.assertEqual(status, 200, again)
        self.assertEqual(again["status"], "unchanged")
        self.assertEqual(again["meeting"], m)  # same room, code and links
        status, got = self.get("/api/v1/meetings/" + m["id"])
        self.assertEqual(status, 200)
        self.assertEqual(got["meeting"]["room"], m["room"])
        # Another source does not see it.
        status, _ = self.get("/api/v1/meetings/" + m["id"], CRM_KEY)
        self.assertEqual(status, 404)
        # Invites: the group link, or one attendee's personal link; they parse in python3-icalendar.
        import icalendar
        for path, link in [("", m["links"]["group"]), ("?attendee=u1", m["links"]["attendees"]["u1"])]:
            st, _, ics = http("GET", self.d.url + "/api/v1/meetings/%s/invite.ics%s" % (m["id"], path),
                              headers={"Authorization": "Bearer " + HR_KEY})
            self.assertEqual(st, 200, ics)
            cal = icalendar.Calendar.from_ical(ics)
            self.assertEqual(str(cal["METHOD"]), "REQUEST")
            ev = next(c for c in cal.walk("VEVENT"))
            self.assertEqual(str(ev["URL"]), link.split("?t=")[0] + "?t=" + link.split("?t=")[1])
            self.assertIn(m["room"]["code"], ics.decode())
            self.assertIn("CONFERENCE;VALUE=URI;FEATURE=AUDIO,VIDEO", ics.decode().replace("\r\n ", ""))
        st, _, _ = http("GET", self.d.url + "/api/v1/meetings/%s/invite.ics?attendee=nobody" % m["id"],
                        headers={"Authorization": "Bearer " + HR_KEY})
        self.assertEqual(st, 404)
        # Moved: updated, same room and code, new window.
        status, moved = self.post(dict(b, start=local3339(self.now + 90000), end=local3339(self.now + 93600)))
        self.assertEqual((status, moved["status"]), (200, "updated"))
        self.assertEqual(moved["meeting"]["room"]["code"], m["room"]["code"])
        self.assertNotEqual(moved["meeting"]["room"]["opens_at"], m["room"]["opens_at"])

    def test_calendar_import(self):
        """An Outlook-style export: Windows time zone, a weekly series with an
        exception and a moved occurrence, an all-day event, one broken event."""
        ics = "\r\n".join([
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN",
            "METHOD:PUBLISH",
            "BEGIN:VTIMEZONE", "TZID:China Standard Time",
            "BEGIN:STANDARD", "DTSTART:16010101T000000", "TZOFFSETFROM:+0800", "TZOFFSETTO:+0800", "END:STANDARD",
            "END:VTIMEZONE",
            "BEGIN:VEVENT", "UID:weekly-1@oa", "SEQUENCE:0", "SUMMARY:Weekly ops review",
            "DTSTART;TZID=China Standard Time:20270104T100000", "DTEND;TZID=China Standard Time:20270104T110000",
            "RRULE:FREQ=WEEKLY;COUNT=6", "EXDATE;TZID=China Standard Time:20270111T100000",
            "ORGANIZER;CN=Li Wei:mailto:liwei@example.com",
            "ATTENDEE;CN=Zhang San;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:zhangsan@example.com",
            "END:VEVENT",
            "BEGIN:VEVENT", "UID:weekly-1@oa", "RECURRENCE-ID;TZID=China Standard Time:20270118T100000",
            "SEQUENCE:1", "SUMMARY:Weekly ops review (moved)",
            "DTSTART;TZID=China Standard Time:20270118T140000", "DTEND;TZID=China Standard Time:20270118T150000",
            "END:VEVENT",
            "BEGIN:VEVENT", "UID:holiday@oa", "SUMMARY:Holiday", "DTSTART;VALUE=DATE:20270105", "END:VEVENT",
            "BEGIN:VEVENT", "UID:broken@oa", "SUMMARY:No start", "END:VEVENT",
            "END:VCALENDAR", ""]).encode()
        st, _, body = http("POST", self.d.url + "/api/v1/calendars/import", ics,
                           {"Authorization": "Bearer " + HR_KEY, "Content-Type": "text/calendar"})
        self.assertEqual(st, 200, body)
        r = json.loads(body)
        self.assertEqual((r["created"], r["overrides"], r["skipped_all_day"]), (2, 1, 1), r)
        self.assertEqual(len(r["errors"]), 1, r)
        self.assertEqual(r["errors"][0]["uid"], "broken@oa")
        self.assertGreater(r["errors"][0]["line"], 0)
        # Again: nothing changes.
        st, _, body = http("POST", self.d.url + "/api/v1/calendars/import", ics,
                           {"Authorization": "Bearer " + HR_KEY, "Content-Type": "text/calendar"})
        self.assertEqual(json.loads(body)["unchanged"], 2, body)
        # The occurrences at the right UTC instants: 10:00 China time is 02:00Z; the 11th is excluded,
        # the 18th moved to 14:00 (06:00Z).
        occ = self.listing(1798761600, 1798761600 + 60 * 86400)  # 2027-01-01 .. +60 days
        starts = sorted(o["start"] for o in occ if "Weekly ops review" in o["title"])
        self.assertEqual(starts, ["2027-01-04T02:00:00Z", "2027-01-18T06:00:00Z", "2027-01-25T02:00:00Z",
                                  "2027-02-01T02:00:00Z", "2027-02-08T02:00:00Z"])
        # Not a calendar: refused with the line.
        st, _, body = http("POST", self.d.url + "/api/v1/calendars/import", b"hello\r\n",
                           {"Authorization": "Bearer " + HR_KEY, "Content-Type": "text/calendar"})
        self.assertEqual(st, 400, body)
        self.assertIn("line 1", json.loads(body)["error"]["message"])

    def test_sequence(self):
        b = self.body("seq-1", self.now + 2 * 86400, sequence=3)
        self.assertEqual(self.post(b)[0], 201)
        status, err = self.post(dict(b, sequence=2, title="Old"))
        self.assertEqual(status, 409, err)
        self.assertEqual(err["error"]["code"], "stale_sequence")
        self.assertIn("stored sequence 3", err["error"]["message"])
        self.assertEqual(err["error"]["stored_sequence"], 3)
        status, ok = self.post(dict(b, sequence=4, title="New"))
        self.assertEqual((status, ok["status"], ok["meeting"]["title"]), (200, "updated", "New"))

    def test_validation_and_auth(self):
        b = self.body("bad-1", self.now + 86400)
        cases = [({k: v for k, v in b.items() if k != "title"}, "title"),
                 (dict(b, start="2026-01-01T10:00:00"), "start"),
                 (dict(b, end=b["start"]), "end"),
                 (dict(b, policy="sometimes"), "policy"),
                 (dict(b, timezone="Mars/Olympus"), "timezone"),
                 (dict(b, attendees=[{"id": 7}]), "attendees[0].id"),
                 (dict(b, exdates=["tomorrow"]), "exdates[0]"),
                 (dict(b, recurrence="WEEKLY"), "recurrence"),
                 (dict(b, sequence=-1), "sequence")]
        for body, field in cases:
            status, err = self.post(body)
            self.assertEqual(status, 400, (field, err))
            self.assertEqual(err["error"]["field"], field, err)
            self.assertIn(field.split("[")[0], err["error"]["message"])
        status, err = self.post(None, raw=b"{not json")
        self.assertEqual((status, err["error"]["code"]), (400, "bad_json"))
        status, err = self.post(b, key="wrong-key-0123456789abcdef")
        self.assertEqual((status, err["error"]["code"]), (401, "unauthorized"))
        status, _, _ = http("GET", self.d.url + "/api/v1/meetings")
        self.assertEqual(status, 401)

    def test_signed_webhook(self):
        raw = json.dumps(self.body("crm-1", self.now + 86400)).encode()
        ts = int(time.time())
        status, j = self.post(None, CRM_KEY, {"X-Meetgate-Timestamp": str(ts),
                                              "X-Meetgate-Signature": sign(CRM_HOOK, ts, raw)}, raw)
        self.assertEqual(status, 201, j)
        self.assertEqual(j["meeting"]["source"], "crm")
        meeting_id = j["meeting"]["id"]
        status, j = self.post(None, CRM_KEY, {"X-Meetgate-Timestamp": str(ts),
                                              "X-Meetgate-Signature": sign("not-the-secret", ts, raw)}, raw)
        self.assertEqual((status, j["error"]["code"]), (401, "bad_signature"))
        status, j = self.post(None, CRM_KEY, {"X-Meetgate-Timestamp": str(ts),
                                              "X-Meetgate-Signature": sign(CRM_HOOK, ts, raw + b" ")}, raw)
        self.assertEqual((status, j["error"]["code"]), (401, "bad_signature"))
        status, j = self.post(None, CRM_KEY, {}, raw)
        self.assertEqual((status, j["error"]["code"]), (401, "bad_signature"))
        old = ts - 600
        status, j = self.post(None, CRM_KEY, {"X-Meetgate-Timestamp": str(old),
                                              "X-Meetgate-Signature": sign(CRM_HOOK, old, raw)}, raw)
        self.assertEqual((status, j["error"]["code"]), (401, "stale_timestamp"))
        # A captured request sent again (a replay) is refused, even an older
        # version that would undo a later change; a retry signed anew passes.
        edited = dict(self.body("crm-1", self.now + 86400), title="Edited")
        raw2, ts2 = json.dumps(edited).encode(), ts + 1
        status, j = self.post(None, CRM_KEY, {"X-Meetgate-Timestamp": str(ts2),
                                              "X-Meetgate-Signature": sign(CRM_HOOK, ts2, raw2)}, raw2)
        self.assertEqual(status, 200, j)
        status, j = self.post(None, CRM_KEY, {"X-Meetgate-Timestamp": str(ts),
                                              "X-Meetgate-Signature": sign(CRM_HOOK, ts, raw)}, raw)
        self.assertEqual((status, j["error"]["code"]), (409, "replayed"))
        status, j = self.get("/api/v1/meetings/" + meeting_id, CRM_KEY)
        self.assertEqual((status, j["meeting"]["title"]), (200, "Edited"))
        ts3 = ts + 2
        status, j = self.post(None, CRM_KEY, {"X-Meetgate-Timestamp": str(ts3),
                                              "X-Meetgate-Signature": sign(CRM_HOOK, ts3, raw2)}, raw2)
        self.assertEqual(status, 200, j)
        # Unsigned sources stay unsigned: hr never needs the headers.
        self.assertEqual(self.post(self.body("hr-unsigned", self.now + 86400))[0], 201)

    def test_replay_after_kill9_restart(self):
        """The signatures already accepted are kept in the store: after a
        kill -9 and a restart on the same data folder, a captured signed
        request (here an older version of the meeting) is still a replay."""
        args = ["-o", "server.secret=" + SECRET, "-o", "oa.sources=crm:%s:%s" % (CRM_KEY, CRM_HOOK)]
        first = Daemon(BINARY, args)
        second = None
        try:
            def post(d, body, ts):
                raw = json.dumps(body).encode()
                h = {"Authorization": "Bearer " + CRM_KEY, "Content-Type": "application/json",
                     "X-Meetgate-Timestamp": str(ts), "X-Meetgate-Signature": sign(CRM_HOOK, ts, raw)}
                status, _, text = http("POST", d.url + "/api/v1/meetings", raw, h)
                return status, json.loads(text)

            ts = int(time.time())
            old = self.body("crm-restart", self.now + 86400)
            new = dict(old, title="Edited before the restart")
            status, j = post(first, old, ts)
            self.assertEqual(status, 201, j)
            meeting_id = j["meeting"]["id"]
            self.assertEqual(post(first, new, ts + 1)[0], 200)
            first.proc.kill()  # SIGKILL: no shutdown, no flush
            first.proc.wait()
            second = Daemon(BINARY, args, data_dir=first.data_dir)
            for body, t in ((old, ts), (new, ts + 1)):
                status, j = post(second, body, t)
                self.assertEqual((status, j.get("error", {}).get("code")), (409, "replayed"), j)
            status, _, text = http("GET", second.url + "/api/v1/meetings/" + meeting_id, None,
                                   {"Authorization": "Bearer " + CRM_KEY})
            self.assertEqual((status, json.loads(text)["meeting"]["title"]), (200, "Edited before the restart"))
            # Signed anew, the same body passes.
            self.assertEqual(post(second, new, ts + 2)[0], 200)
            self.assertEqual(second.stop(), 0)
        finally:
            if second:
                second.cleanup()
            first.cleanup()

    def test_window_listing_and_cancel_occurrence(self):
        base = self.now + 10 * 86400
        week = 7 * 86400
        b = self.body("series-1", base, 30, rdates=[local3339(base + week), local3339(base + 2 * week)])
        status, j = self.post(b)
        self.assertEqual(status, 201, j)
        mid = j["meeting"]["id"]
        self.assertEqual(self.post(self.body("single-in", base + 3600))[0], 201)
        self.assertEqual(self.post(self.body("single-out", base + 30 * 86400))[0], 201)
        occ = self.listing(base - 60, base + 3 * week)
        ours = [(o["external_id"], o["start"]) for o in occ if o["external_id"] in ("series-1", "single-in", "single-out")]
        self.assertEqual([e for e, _ in ours], ["series-1", "single-in", "series-1", "series-1"])
        self.assertEqual(occ[0]["recurrence_id"], occ[0]["start"])
        # Cancel the second occurrence (named with another offset), then a time that is none.
        q = urllib.parse.urlencode({"occurrence": local3339(base + week, 2)})
        status, j = self.delete("/api/v1/meetings/%s?%s" % (mid, q))
        self.assertEqual(status, 200, j)
        self.assertEqual(j["occurrence"], rfc3339(base + week).replace("+00:00", "Z"))
        q = urllib.parse.urlencode({"occurrence": local3339(base + 60)})
        status, j = self.delete("/api/v1/meetings/%s?%s" % (mid, q))
        self.assertEqual(status, 404, j)
        starts = [o["start"] for o in self.listing(base - 60, base + 3 * week) if o["external_id"] == "series-1"]
        self.assertEqual(len(starts), 2)
        # Cancel a whole single meeting.
        _, single = self.post(self.body("single-in", base + 3600))
        status, _ = self.delete("/api/v1/meetings/" + single["meeting"]["id"])
        self.assertEqual(status, 200)
        self.assertTrue(self.get("/api/v1/meetings/" + single["meeting"]["id"])[1]["meeting"]["cancelled"])
        self.assertNotIn("single-in", [o["external_id"] for o in self.listing(base - 60, base + 3 * week)])
        status, _ = self.delete("/api/v1/meetings/no-such-id")
        self.assertEqual(status, 404)

    def test_recurrence(self):
        base = self.now + 40 * 86400
        status, j = self.post(self.body("weekly-1", base, 30, recurrence="FREQ=WEEKLY;COUNT=4"))
        if status == 400 and "not supported" in j["error"]["message"]:
            self.skipTest("this build's mg_meeting_expand does not do RRULE")
        self.assertEqual(status, 201, j)
        q = urllib.parse.urlencode({"occurrence": local3339(base + 7 * 86400)})
        self.assertEqual(self.delete("/api/v1/meetings/%s?%s" % (j["meeting"]["id"], q))[0], 200)
        occ = [o for o in self.listing(base - 60, base + 60 * 86400) if o["external_id"] == "weekly-1"]
        self.assertEqual(len(occ), 3)

    def test_group_link_opens_meeting_page(self):
        status, j = self.post(self.body("page-1", self.now + 86400, policy="open"))
        self.assertEqual(status, 201, j)
        path = urllib.parse.urlparse(j["meeting"]["links"]["group"]).path
        status, headers, _ = http("GET", self.d.url + path)
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/html"))

    def test_personal_link_joins(self):
        status, j = self.post(self.body("join-1", self.now + 120, policy="invite-only"))
        self.assertEqual(status, 201, j)
        links = j["meeting"]["links"]
        self.assertIsNone(links["group"])  # invite-only: personal links only
        code = j["meeting"]["room"]["code"]
        ws = WebSocket(self.d)
        ws.send_json({"type": "join", "id": 1, "token": token_of(links["attendees"]["u1"]), "name": "Ada",
                      "room": code})
        reply = ws.recv_json()
        self.assertEqual(reply["type"], "joined", reply)
        ws.close()
        ws = WebSocket(self.d)
        ws.send_json({"type": "join", "id": 1, "token": token_of(links["organizer"]), "name": "Boss"})
        reply = ws.recv_json()
        self.assertEqual(reply["type"], "joined", reply)
        ws.send_json({"type": "leave", "id": 2})
        while ws.recv_json().get("id") != 2:
            pass
        ws.close()
        # Attendance: Ada's stay is open until her session's resume window ends; Boss left.
        status, a = self.get("/api/v1/meetings/%s/attendance" % j["meeting"]["id"])
        self.assertEqual(status, 200, a)
        names = [s["name"] for s in a["stays"]]
        self.assertEqual(sorted(names), ["Ada", "Boss"], a)
        boss = next(s for s in a["stays"] if s["name"] == "Boss")
        self.assertIsNotNone(boss["left_at"])
        self.assertEqual(boss["role"], "host")
        self.assertIn("u1", a["seconds"])
        status, _ = self.get("/api/v1/meetings/%s/attendance" % j["meeting"]["id"], CRM_KEY)
        self.assertEqual(status, 404)

    def test_lobby_group_link_is_guest(self):
        status, j = self.post(self.body("lobby-1", self.now + 120))
        self.assertEqual(status, 201, j)
        ws = WebSocket(self.d)
        ws.send_json({"type": "join", "id": 1, "token": token_of(j["meeting"]["links"]["group"]), "name": "Eve"})
        self.assertEqual(ws.recv_json()["type"], "lobby")
        ws.close()

    def test_sample_schedule_loaded(self):
        msgs = [line.get("msg", "") for line in self.d.read_log()]
        self.assertTrue(any("loaded 3 sample meetings" in m for m in msgs), msgs[-20:])



class Overtime(unittest.TestCase):
    """The scheduled time runs out while people are in the room: they stay and
    are told; a newcomer is refused as `ended`."""

    def test_overtime_notice(self):
        d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "schedule.grace_minutes=0",
                            "-o", "schedule.lead_minutes=0", "-o", "schedule.reminders=none",
                            "-o", "oa.sources=hr:%s" % HR_KEY])
        try:
            now = int(time.time())
            body = {"external_id": "short-1", "title": "Quick sync", "start": local3339(now - 60),
                    "end": local3339(now + 3), "policy": "open",
                    "organizer": {"id": "boss", "name": "Boss"}, "attendees": [{"id": "u1", "name": "Ada"}]}
            st, _, text = http("POST", d.url + "/api/v1/meetings", json.dumps(body).encode(),
                               {"Authorization": "Bearer " + HR_KEY})
            self.assertEqual(st, 201, text)
            links = json.loads(text)["meeting"]["links"]
            ws = WebSocket(d)
            ws.send_json({"type": "join", "id": 1, "token": token_of(links["attendees"]["u1"]), "name": "Ada"})
            self.assertEqual(ws.recv_json()["type"], "joined")
            deadline, notice = time.time() + 15, None
            while time.time() < deadline and not notice:
                try:
                    m = ws.recv_json(timeout=1)
                except Exception:  # noqa: BLE001 - keep waiting until the deadline
                    continue
                if m["type"] == "room_overtime":
                    notice = m
            self.assertIsNotNone(notice, "no room_overtime after the window ended")
            ws.send_json({"type": "ping", "id": 9})  # still connected
            while ws.recv_json().get("id") != 9:
                pass
            late = WebSocket(d)
            late.send_json({"type": "join", "id": 1, "token": token_of(links["organizer"]), "name": "Boss"})
            self.assertEqual(late.recv_json()["code"], "ended")
            ws.close()
            late.close()
            self.assertEqual(d.stop(), 0)
        finally:
            d.cleanup()


class CancelLive(unittest.TestCase):
    """A meeting cancelled while people are in its room: they are told why
    and disconnected; the link then says the meeting is over."""

    def test_cancel_closes_room(self):
        d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "schedule.reminders=none",
                            "-o", "oa.sources=hr:%s" % HR_KEY])
        try:
            now = int(time.time())
            auth = {"Authorization": "Bearer " + HR_KEY}
            body = {"external_id": "cancel-live", "title": "Doomed", "start": local3339(now - 60),
                    "end": local3339(now + 3600), "policy": "open",
                    "organizer": {"id": "boss", "name": "Boss"}, "attendees": [{"id": "u1", "name": "Ada"}]}
            st, _, text = http("POST", d.url + "/api/v1/meetings", json.dumps(body).encode(), auth)
            self.assertEqual(st, 201, text)
            meeting = json.loads(text)["meeting"]
            ws = WebSocket(d)
            ws.send_json({"type": "join", "id": 1, "token": token_of(meeting["links"]["attendees"]["u1"]),
                          "name": "Ada"})
            self.assertEqual(ws.recv_json()["type"], "joined")
            st, _, text = http("DELETE", d.url + "/api/v1/meetings/" + meeting["id"], None, auth)
            self.assertEqual(st, 200, text)
            closing = None
            try:
                while closing is None:
                    m = ws.recv_json(timeout=5)
                    if m["type"] == "room_closing":
                        closing = m
            except ConnectionError:
                pass
            self.assertIsNotNone(closing, "no room_closing after the meeting was cancelled")
            self.assertEqual(closing["reason"], "cancelled")
            with self.assertRaises(ConnectionError):  # then the server closes the socket
                while True:
                    ws.recv_json(timeout=5)
            again = WebSocket(d)
            again.send_json({"type": "join", "id": 1, "token": token_of(meeting["links"]["attendees"]["u1"]),
                             "name": "Ada"})
            self.assertEqual(again.recv_json()["code"], "ended")
            again.close()
            self.assertIn("closed: its meeting was cancelled", d.log_text())
            self.assertEqual(d.stop(), 0)
        finally:
            d.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)

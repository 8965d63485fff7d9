# SPDX-License-Identifier: MIT
"""Chat over XMPP, end to end: an XMPP chat binding made through the chats
API; a meeting pushed through the meetings API reaches a real Prosody MUC,
where a second occupant (slixmpp) reads the join link, which serves the
meeting page; Prosody killed and started again mid-test: meetgate reconnects,
rejoins and the next message (a change) arrives, each exactly once."""
import json
import os
import re
import sys
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from mgtest import Daemon  # noqa: E402
from prosody import Occupant, Prosody  # noqa: E402

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"
SECRET = "xmpp-chat-secret-0123456789abcdef012345"
OPS_KEY = "ops-key-xmpp-0123456789"
HR_KEY = "hr-key-xmpp-0123456789"
BOT_PASSWORD = "bot-password-5eb1c0a7"


def call(d, method, path, body=None, key=OPS_KEY):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(d.url + path, data=data, method=method,
                                 headers={"Content-Type": "application/json", "Authorization": "Bearer " + key})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        text = e.read()
        return e.code, json.loads(text) if text else None


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class ChatOverXmpp(unittest.TestCase):
    def test_link_reaches_the_room_and_survives_a_server_restart(self):
        with Prosody() as p:
            bot = p.register("meetgate", BOT_PASSWORD)
            alice = p.register("alice", "alice-password")
            p.start()
            room = "standup@" + p.muc
            occupant = Occupant(p, alice, "alice-password", [room], "alice")
            d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1",
                                "-o", "admin.keys=ops:operator:" + OPS_KEY, "-o", "oa.sources=hr:" + HR_KEY,
                                "-o", "chat.xmpp_require_tls=false", "-o", "schedule.reminders=none"])
            try:
                occupant.wait_joined()
                status, chat = call(d, "POST", "/api/v1/chats", {
                    "key": "standup", "name": "Stand-up room", "connector": "xmpp", "jid": bot,
                    "secret": BOT_PASSWORD, "room": room, "nick": "meetgate", "host": "127.0.0.1",
                    "port": p.port, "rules": {"sources": ["hr"]}})
                self.assertIn(status, (200, 201), chat)
                start = int(time.time()) + 2 * 86400
                body = {"external_id": "x-1", "title": "Design review", "start": rfc3339(start),
                        "end": rfc3339(start + 3600), "organizer": {"id": "boss", "name": "Boss"},
                        "attendees": [{"id": "u1", "name": "Ada"}], "policy": "open"}
                status, m = call(d, "POST", "/api/v1/meetings", body, key=HR_KEY)
                self.assertEqual(status, 201, m)

                first = occupant.wait_for(lambda e: e["event"] == "message" and "Design review" in e["body"])
                self.assertEqual(first["nick"], "meetgate")
                link = re.search(r"https?://\S+/j/\S+", first["body"]).group(0)
                self.assertEqual(link, m["meeting"]["links"]["group"])
                with urllib.request.urlopen(link, timeout=10) as r:  # the link serves the meeting page
                    self.assertEqual(r.status, 200)
                    self.assertIn(b"<html", r.read().lower())

                p.restart()  # SIGKILL, then up again on the same port
                occupant.wait_joined(count=2, timeout=60)
                body["title"] = "Design review (moved)"
                body["start"], body["end"] = rfc3339(start + 3600), rfc3339(start + 7200)
                status, m2 = call(d, "POST", "/api/v1/meetings", body, key=HR_KEY)
                self.assertEqual(status, 200, m2)
                occupant.wait_for(lambda e: e["event"] == "message" and "moved" in e["body"], timeout=90)

                time.sleep(1)  # anything doubled would have arrived by now
                bodies = [e["body"] for e in occupant.messages()]
                self.assertEqual(sum("Design review" in b and "moved" not in b for b in bodies), 1, bodies)
                self.assertEqual(sum("moved" in b for b in bodies), 1, bodies)
                self.assertEqual(d.stop(), 0)
                self.assertNotIn(BOT_PASSWORD, d.log_text())
            finally:
                occupant.stop()
                d.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)

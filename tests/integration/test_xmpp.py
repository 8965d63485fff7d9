#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""signaling/xmpp.c against a real Prosody (docs/chat.md, "XMPP MUC"): the
xmpp-post client posts into a room, a slixmpp occupant receives the join link
exactly once; Prosody killed and started again mid-test, xmpp-post reconnects,
rejoins and the next message arrives; a taken nickname gets a suffix; a wrong
password and a room that cannot exist give `fail` with the reason."""
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from prosody import Occupant, Prosody  # noqa: E402

POST = sys.argv.pop(1) if len(sys.argv) > 1 else "build/tests/integration/xmpp-post"
BOT_PW = "bot-pw-7f3a9c"
LINK1 = "https://meet.example.com/j/r-1?t=eyJhbGciOi.first"
LINK2 = "https://meet.example.com/j/r-1?t=eyJhbGciOi.second"


def message(title, link):
    # As mg_chatmsg_build() makes it for the xmpp connector; \n is expanded by xmpp-post.
    return (f"Meeting scheduled: {title}\\nWhen: 2026-03-02 (Mon) 10:00–11:00 Asia/Shanghai"
            f"\\nOrganizer: Ada Lovelace\\nJoin: {link}")


class Poster:
    """xmpp-post as a child: write lines, read result lines."""

    def __init__(self, prosody, room, nick="meetgate", password=BOT_PW, jid="bot@localhost", timeouts=None,
                 require_tls=False, ping_ms=0):
        env = dict(os.environ, XMPP_PASSWORD=password, G_MESSAGES_DEBUG="xmpp",
                   XMPP_REQUIRE_TLS="1" if require_tls else "0", XMPP_PING_MS=str(ping_ms))
        args = [POST, jid, "127.0.0.1", str(prosody.port), room, nick] + [str(t) for t in (timeouts or [])]
        self.log_path = os.path.join(prosody.dir, f"xmpp-post-{time.monotonic_ns()}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                     text=True, env=env)
        self.results = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.results.put(line.rstrip("\n"))

    def post(self, text):
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def result(self, timeout=60):
        try:
            return self.results.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no result from xmpp-post in {timeout}s; log:\n{self.log_text()}")

    def wait_log(self, text, timeout=30):
        deadline = time.monotonic() + timeout
        while text not in self.log_text():
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not in the xmpp-post log:\n{self.log_text()}")
            time.sleep(0.1)

    def log_text(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()[-4000:]

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.log):
            if not f.closed:
                f.close()
        return self.proc.returncode


class XmppTest(unittest.TestCase):
    def setUp(self):
        self.prosody = Prosody()
        self.addCleanup(self.prosody.cleanup)
        self.bot = self.prosody.register("bot", BOT_PW)
        self.alice = self.prosody.register("alice", "alice-pw")
        self.prosody.register("squatter", "squatter-pw")
        self.prosody.start()
        self.room = "standup@" + self.prosody.muc

    def occupant(self, user, password, rooms, nick):
        o = Occupant(self.prosody, f"{user}@localhost", password, rooms, nick)
        self.addCleanup(o.stop)
        o.wait_joined()
        return o

    def poster(self, room, **kw):
        p = Poster(self.prosody, room, **kw)
        # Exits 0 on end of input (no sanitizer report, no leak in the ASan build).
        self.addCleanup(lambda: self.assertEqual(p.close(), 0, p.log_text()))
        return p

    def bodies(self, occupant, link):
        return [m for m in occupant.messages() if link in m["body"]]

    def test_post_restart_and_repost(self):
        alice = self.occupant("alice", "alice-pw", [self.room], "alice")
        bot = self.poster(self.room)
        bot.post(message("Standup", LINK1))
        self.assertEqual(bot.result(), "ok 1")
        got = alice.wait_for(lambda e: e["event"] == "message" and LINK1 in e["body"])
        self.assertEqual(got["room"], self.room)
        self.assertEqual(got["nick"], "meetgate")
        self.assertEqual(got["body"].split("\n"), [
            "Meeting scheduled: Standup", "When: 2026-03-02 (Mon) 10:00–11:00 Asia/Shanghai",
            "Organizer: Ada Lovelace", "Join: " + LINK1])
        self.assertTrue(got["id"].startswith("mg"), got)

        # Prosody dies and comes back: both clients reconnect and rejoin.
        self.prosody.restart()
        alice.wait_for(lambda e: e["event"] == "disconnected")
        alice.wait_joined(count=2, timeout=30)
        bot.post(message("Standup again", LINK2))
        self.assertEqual(bot.result(), "ok 2")
        alice.wait_for(lambda e: e["event"] == "message" and LINK2 in e["body"])
        self.assertIn("reconnecting in", bot.log_text())
        self.assertIn("joined " + self.room, bot.log_text().split("reconnecting in", 1)[1])

        # Exactly once each: a round trip through the room after both posts
        # (its own acknowledgement) means nothing else is still on the way.
        bot.post("barrier")
        self.assertEqual(bot.result(), "ok 3")
        alice.wait_for(lambda e: e["event"] == "message" and e["body"] == "barrier")
        self.assertEqual(len(self.bodies(alice, LINK1)), 1, alice.messages())
        self.assertEqual(len(self.bodies(alice, LINK2)), 1, alice.messages())

    def test_frozen_server(self):
        # Prosody stopped (SIGSTOP): the TCP connection stays up but nothing
        # answers. The post is not acknowledged -> retry; the keepalive ping
        # goes unanswered -> reconnect; Prosody continues -> the next post
        # arrives.
        alice = self.occupant("alice", "alice-pw", [self.room], "alice")
        bot = self.poster(self.room, timeouts=[1500, 20000], ping_ms=1000)
        bot.post("one")
        self.assertEqual(bot.result(), "ok 1")
        os.kill(self.prosody.proc.pid, signal.SIGSTOP)
        try:
            bot.post("two")
            line = bot.result()
            self.assertTrue(line.startswith("retry 2 "), line)
            self.assertTrue("did not acknowledge" in line or "connection lost" in line, line)
            bot.wait_log("no answer to the keepalive ping")
        finally:
            os.kill(self.prosody.proc.pid, signal.SIGCONT)
        # alice's connection survives the pause (she may also see "two" now:
        # at-least-once, the outbox would post it again after the retry).
        bot.post("three")
        self.assertEqual(bot.result(), "ok 3")
        alice.wait_for(lambda e: e["event"] == "message" and e["body"] == "three")

    def test_nickname_conflict(self):
        room = "busy@" + self.prosody.muc
        squatter = self.occupant("squatter", "squatter-pw", [room], "meetgate")
        bot = self.poster(room)
        bot.post("hello from the second meetgate")
        self.assertEqual(bot.result(), "ok 1")
        got = squatter.wait_for(lambda e: e["event"] == "message")
        self.assertEqual(got["nick"], "meetgate-2")
        self.assertEqual(got["body"], "hello from the second meetgate")

    def test_wrong_password(self):
        bot = self.poster(self.room, password="not-the-password")
        bot.post(message("Standup", LINK1))
        line = bot.result()
        self.assertTrue(line.startswith("fail 1 not-authorized"), line)
        self.assertIn("bot@localhost", line)
        # The next post fails at once: the account is known to be refused.
        bot.post("second")
        line = bot.result(timeout=5)
        self.assertTrue(line.startswith("fail 2 not-authorized"), line)
        self.assertNotIn("not-the-password", bot.log_text())

    def test_room_that_cannot_exist(self):
        # locked.localhost lets nobody create rooms: joining a room there that
        # does not exist is refused (not-allowed), a permanent failure.
        room = "nosuchroom@locked." + self.prosody.domain
        bot = self.poster(room)
        bot.post(message("Standup", LINK1))
        line = bot.result()
        self.assertTrue(line.startswith("fail 1 not-allowed"), line)
        self.assertIn(room, line)

    def test_bad_room_jid(self):
        bot = self.poster("no-at-sign")
        bot.post("hello")
        line = bot.result()
        self.assertTrue(line.startswith("fail 1 bad-request"), line)

    def test_server_down_gives_retry(self):
        # Nobody listens: the post waits the queue timeout, then says retry.
        self.prosody.kill()
        bot = self.poster(self.room, timeouts=[2000, 1500])
        bot.post("lost?")
        line = bot.result(timeout=30)
        self.assertTrue(line.startswith("retry 1 not connected (connection failed"), line)

    def test_require_tls_refuses_plain_server(self):
        # This Prosody offers no STARTTLS: with TLS required nothing is sent.
        alice = self.occupant("alice", "alice-pw", [self.room], "alice")
        bot = self.poster(self.room, timeouts=[2000, 1500], require_tls=True)
        bot.post("must not arrive in clear text")
        line = bot.result(timeout=30)
        self.assertTrue(line.startswith("retry 1 not connected ("), line)
        self.assertIn("STARTTLS", line)
        self.assertEqual(alice.messages(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)

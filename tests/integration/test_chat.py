#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Chat delivery with the real daemon: a local receiver stands in for each
robot (Slack, Mattermost, Teams, DingTalk signed, WeCom, Feishu signed,
generic signed), checks the payload's shape and recomputes each signature
byte for byte with hmac/base64; a meeting pushed through the meetings API
reaches every chat, and its link opens the meeting page; 500 and 429 +
Retry-After are retried under the same idempotency key; a 404 is a dead
letter with its error. Then kill -9 at random points while 200 messages are
pending, 20 rounds: every message arrives; any duplicate carries the same
key and was in flight at a kill. docs/chat.md."""
import base64
import hashlib
import hmac
import http.server
import json
import os
import random
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mgtest import Daemon  # noqa: E402

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"
SECRET = "chat-test-secret-0123456789abcdef0123456789"
OPS_KEY = "ops-key-0123456789abcdef"
HR_KEY = "hr-key-0123456789abcdef"
DING_SECRET = "SECdingsecret0123456789"
FEISHU_SECRET = "feishuSecret556677"
GENERIC_SECRET = "genericSigningSecret42"
IDEM = "X-Meetgate-Idempotency-Key"

# What each robot answers when nothing else is scripted.
OK_ANSWERS = {
    "slack": (200, "ok"), "mattermost": (200, "ok"), "teams": (200, "1"),
    "dingtalk": (200, '{"errcode":0,"errmsg":"ok"}'), "wecom": (200, '{"errcode":0,"errmsg":"ok"}'),
    "feishu": (200, '{"code":0,"data":{},"msg":"success"}'), "generic": (200, ""),
}


class Receiver:
    """HTTP on 127.0.0.1: records every request; answers from a per-path
    script, then by the robot named in the path's first segment."""

    def __init__(self, delay=0.0):
        self.lock = threading.Lock()
        self.gate = threading.Event()  # answers wait until it is set
        self.gate.set()
        self.arrivals = []
        self.script = {}
        self.delay = delay
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                path = self.path
                with receiver.lock:
                    receiver.arrivals.append({"path": path, "headers": dict(self.headers.items()), "body": body,
                                              "at": time.time(), "port": self.client_address[1]})
                    queue = receiver.script.get(path.split("?")[0], [])
                    answer = queue.pop(0) if queue else None
                receiver.gate.wait(60)
                if receiver.delay:
                    time.sleep(random.uniform(0, receiver.delay))
                if answer is None:
                    status, text = OK_ANSWERS.get(path.strip("/").split("/")[0], (200, ""))
                    headers = {}
                else:
                    status, headers, text = answer
                data = text.encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                # A client killed (kill -9) before our answer: expected here.
                if not isinstance(sys.exc_info()[1], ConnectionError):
                    super().handle_error(request, client_address)

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def push(self, path, status, body="", headers=None):
        with self.lock:
            self.script.setdefault(path, []).append((status, headers or {}, body))

    def at(self, prefix):
        with self.lock:
            return [a for a in self.arrivals if a["path"].startswith(prefix)]

    def wait(self, prefix, n, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.at(prefix)
            if len(got) >= n:
                return got
            time.sleep(0.02)
        raise AssertionError("%s: %d arrivals of %d after %d s" % (prefix, len(self.at(prefix)), n, timeout))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


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


def put_chat(d, key, connector, url, **kw):
    body = {"key": key, "name": key, "connector": connector, "webhook_url": url, "rate": "unlimited",
            "rules": {"sources": [kw.pop("source", "hr")]}}
    body.update(kw)
    status, a = call(d, "POST", "/api/v1/chats", body)
    assert status in (200, 201), (status, a)


def push_meeting(d, external_id, start, title="Design review", source_key=HR_KEY):
    body = {"external_id": external_id, "title": title, "start": rfc3339(start), "end": rfc3339(start + 3600),
            "organizer": {"id": "boss", "name": "Boss"}, "attendees": [{"id": "u42", "name": "Ada"}],
            "policy": "open"}
    status, a = call(d, "POST", "/api/v1/meetings", body, key=source_key)
    assert status in (200, 201), (status, a)
    return a["meeting"]["id"]


def b64_hmac(key, msg):
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()


def tcp_ports(pid):
    """The local ports of pid's TCP sockets: its end of each connection it holds."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[len("socket:["):-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        with open("/proc/%d/net/%s" % (pid, table)) as f:
            next(f)
            for cols in (line.split() for line in f):
                if cols[9] in inodes:
                    ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    return ports


def start_daemon(data_dir=None, sources="hr:" + HR_KEY, extra=()):
    return Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1",
                           "-o", "admin.keys=ops:operator:" + OPS_KEY, "-o", "oa.sources=" + sources,
                           "-o", "log.level=info", *extra], data_dir=data_dir)


class Robots(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rx = Receiver()
        cls.d = start_daemon()
        r = cls.rx
        put_chat(cls.d, "slack", "slack", r.url("/slack/services/T1/B2/tok"))
        put_chat(cls.d, "mattermost", "mattermost", r.url("/mattermost/hooks/abc"))
        put_chat(cls.d, "teams", "teams", r.url("/teams/webhookb2/x/IncomingWebhook/y"))
        put_chat(cls.d, "dingtalk", "dingtalk", r.url("/dingtalk/robot/send?access_token=tok"), secret=DING_SECRET)
        put_chat(cls.d, "wecom", "wecom", r.url("/wecom/cgi-bin/webhook/send?key=k1"))
        put_chat(cls.d, "feishu", "feishu", r.url("/feishu/open-apis/bot/v2/hook/h1"), secret=FEISHU_SECRET)
        put_chat(cls.d, "generic", "generic", r.url("/generic/in"), secret=GENERIC_SECRET)
        cls.now = int(time.time())

    @classmethod
    def tearDownClass(cls):
        crashed = cls.d.proc.poll() is not None
        rc = None if crashed else cls.d.stop()
        if crashed or rc != 0 or os.environ.get("MG_SHOW_LOG"):
            print(cls.d.log_text()[-8000:])
        try:
            assert not crashed and rc == 0, "meetgate crashed or exited with %s" % rc
            log = cls.d.log_text()
            for s in (DING_SECRET, FEISHU_SECRET, GENERIC_SECRET):
                assert s not in log, "a signing secret in the log"
        finally:
            cls.d.cleanup()
            cls.rx.close()

    def test_1_every_robot(self):
        sent_at = time.time()
        push_meeting(self.d, "review-1", self.now + 2 * 86400)
        got = {}
        for robot in OK_ANSWERS:
            arrivals = self.rx.wait("/" + robot + "/", 1)
            self.assertEqual(len(arrivals), 1, robot)
            got[robot] = arrivals[0]
        for robot, a in got.items():
            self.assertTrue(a["headers"].get(IDEM, "").startswith("mgchat1-scheduled-"), (robot, a["headers"]))
            self.assertTrue(a["headers"]["Content-Type"].startswith("application/json"), robot)
            self.assertGreaterEqual(a["at"], sent_at)
        bodies = {r: json.loads(a["body"]) for r, a in got.items()}

        link = bodies["slack"]["blocks"][0]["accessory"]["url"]
        self.assertIn("/j/", link)
        self.assertEqual(bodies["slack"]["blocks"][0]["accessory"]["type"], "button")
        self.assertIn("Design review", bodies["slack"]["text"])
        self.assertIn(link, bodies["mattermost"]["text"])
        card = bodies["teams"]["attachments"][0]
        self.assertEqual(card["contentType"], "application/vnd.microsoft.card.adaptive")
        self.assertEqual(card["content"]["type"], "AdaptiveCard")
        self.assertEqual(card["content"]["actions"][0]["url"], link)
        self.assertEqual(bodies["wecom"]["msgtype"], "markdown")
        self.assertIn(link, bodies["wecom"]["markdown"]["content"])
        self.assertEqual(bodies["generic"]["join_url"], link)
        self.assertEqual(bodies["generic"]["kind"], "scheduled")
        self.assertEqual(bodies["generic"]["title"], "Design review")

        # DingTalk: sign = urlencode(base64(HMAC-SHA256(secret, timestamp + "\n" + secret))) in the query.
        self.assertEqual(bodies["dingtalk"]["msgtype"], "actionCard")
        self.assertEqual(bodies["dingtalk"]["actionCard"]["singleURL"], link)
        query = got["dingtalk"]["path"].split("?", 1)[1]
        params = dict(p.split("=", 1) for p in query.split("&"))
        self.assertEqual(params["access_token"], "tok")
        ts = params["timestamp"]
        self.assertLess(abs(int(ts) / 1000 - time.time()), 60)
        want = urllib.parse.quote(b64_hmac(DING_SECRET.encode(), (ts + "\n" + DING_SECRET).encode()), safe="")
        self.assertEqual(params["sign"], want)

        # Feishu: sign = base64(HMAC-SHA256(key = timestamp + "\n" + secret, msg = "")) in the body.
        f = bodies["feishu"]
        self.assertEqual(f["msg_type"], "interactive")
        self.assertEqual(f["sign"], b64_hmac((f["timestamp"] + "\n" + FEISHU_SECRET).encode(), b""))
        self.assertLess(abs(int(f["timestamp"]) - time.time()), 60)
        buttons = [a for el in f["card"]["elements"] if el["tag"] == "action" for a in el["actions"]]
        self.assertEqual(buttons[0]["url"], link)

        # Generic: X-Meetgate-Signature = sha256=hex(HMAC-SHA256(secret, timestamp + "." + body bytes)).
        h = got["generic"]["headers"]
        ts = h["X-Meetgate-Timestamp"]
        want = hmac.new(GENERIC_SECRET.encode(), ts.encode() + b"." + got["generic"]["body"], hashlib.sha256)
        self.assertEqual(h["X-Meetgate-Signature"], "sha256=" + want.hexdigest())

        # The link opens the meeting page of that room.
        with urllib.request.urlopen(link, timeout=10) as r:
            self.assertEqual(r.status, 200)
            self.assertIn("text/html", r.headers["Content-Type"])
            page = r.read().decode()
        self.assertIn("<html", page.lower())
        # Each idempotency key is its own (meeting, chat).
        self.assertEqual(len({a["headers"][IDEM] for a in got.values()}), len(got))

    def test_2_retries(self):
        # generic: 500, then 429 with Retry-After: 1, then the default 200;
        # DingTalk: its rate-limit errcode in a 200, then errcode 0.
        self.rx.push("/generic/in", 500, "boom")
        self.rx.push("/generic/in", 429, "slow down", {"Retry-After": "1"})
        self.rx.push("/dingtalk/robot/send", 200, '{"errcode":130101,"errmsg":"send too fast"}')
        before = len(self.rx.at("/generic/"))
        d_before = len(self.rx.at("/dingtalk/"))
        push_meeting(self.d, "retry-1", self.now + 3 * 86400, title="Retried")
        arrivals = self.rx.wait("/generic/", before + 3)[before:]
        self.assertEqual(len(arrivals), 3)
        self.assertEqual(len({a["headers"][IDEM] for a in arrivals}), 1)
        self.assertEqual(len({a["body"] for a in arrivals}), 1)
        # The wait after the 429 was at least what the receiver asked for.
        self.assertGreaterEqual(arrivals[2]["at"] - arrivals[1]["at"], 0.95)
        arrivals = self.rx.wait("/dingtalk/", d_before + 2)[d_before:]
        self.assertEqual(len(arrivals), 2)
        self.assertEqual(arrivals[0]["headers"][IDEM], arrivals[1]["headers"][IDEM])
        self.wait_state("dingtalk", "Retried", "sent")
        # After the retries, the rows say sent, with the attempts counted.
        self.wait_state("generic", "Retried", "sent")

    def wait_state(self, chat, title, state, timeout=20):
        deadline = time.time() + timeout
        db = sqlite3.connect(os.path.join(self.d.data_dir, "meetgate.db"), timeout=5)
        try:
            while time.time() < deadline:
                rows = [r for r in db.execute("SELECT state, attempts, last_error, event FROM outbox WHERE "
                                              "chat_key = ?", (chat,)) if json.loads(r[3])["title"] == title]
                if rows and rows[0][0] == state:
                    return rows[0]
                time.sleep(0.05)
        finally:
            db.close()
        raise AssertionError("%s/%s not %s: %s" % (chat, title, state, rows))

    def test_3_dead_letter(self):
        put_chat(self.d, "gone-src", "slack", self.rx.url("/gone/services/x"))
        self.rx.push("/gone/services/x", 404, "no_service")
        push_meeting(self.d, "dead-1", self.now + 4 * 86400, title="Nobody home")
        row = self.wait_state("gone-src", "Nobody home", "dead")
        self.assertEqual(row[1], 1)
        self.assertEqual(row[2], "HTTP 404: no_service")
        self.assertNotIn("/gone/services/x", row[2])


class KillNine(unittest.TestCase):
    """200 messages over 4 chats; kill -9 at random points, 20 rounds."""

    N = 200
    CHATS = 4
    ROUNDS = 20

    def test_kill9_rounds(self):
        rng = random.Random(int(os.environ.get("MG_SEED", time.time())))
        # Answers take 0-50 ms: a request is often in flight when the kill comes.
        rx = Receiver(delay=0.05)
        data = tempfile.mkdtemp(prefix="mg-chat-kill-")
        data_dir = os.path.join(data, "data")
        sources = ["load%d:load-key-%d-0123456789abcdef" % (i, i) for i in range(self.CHATS)]
        # A long request timeout: the held answers below must not time out (a timeout is
        # retried under the same key too, but this test counts only the kills' repeats).
        start = lambda: start_daemon(data_dir, ",".join(sources), ["-o", "chat.request_timeout_ms=120000"])  # noqa
        daemons = [start()]
        kills = []  # (when it was stopped, the ports of its connections then)
        during = []  # distinct messages arrived at each kill
        try:
            d = daemons[-1]
            for i in range(self.CHATS):
                put_chat(d, "crash%d" % i, "generic", rx.url("/generic/crash%d" % i), source="load%d" % i,
                         secret=GENERIC_SECRET)
            now = int(time.time())
            # The receiver holds its answers while the meetings go in: one request per
            # chat waits, the rest of the 200 messages are pending.
            rx.gate.clear()
            for n in range(self.N):
                push_meeting(d, "load-%d" % n, now + 86400 + n * 60, title="Load %d" % n,
                             source_key=sources[n % self.CHATS].split(":", 1)[1])
            rx.gate.set()
            distinct = lambda: len({a["headers"][IDEM] for a in rx.at("/generic/crash")})  # noqa: E731
            for r in range(self.ROUNDS):
                # Kill after a few more messages went through (progress, not a clock, decides),
                # at a random moment: usually with requests in flight.
                target = min(self.N, distinct() + rng.randint(1, 6))
                deadline = time.time() + 30
                while distinct() < target and time.time() < deadline:
                    time.sleep(0.005)
                time.sleep(rng.uniform(0, 0.03))
                # Stopped first, so the connections it holds at the kill can be read:
                # a request in flight then is on one of them.
                stopped = time.time()
                os.kill(d.proc.pid, signal.SIGSTOP)
                kills.append((stopped, tcp_ports(d.proc.pid)))
                d.proc.kill()
                d.proc.wait()
                during.append(distinct())
                daemons.append(start())
                d = daemons[-1]
            # Every message arrived, and the daemon recorded every answer.
            db = sqlite3.connect(os.path.join(data_dir, "meetgate.db"), timeout=5)
            deadline = time.time() + 120
            while time.time() < deadline:
                sent = db.execute("SELECT count(*) FROM outbox WHERE chat_key LIKE 'crash%' AND state = 'sent'")
                if distinct() >= self.N and sent.fetchone()[0] >= self.N:
                    break
                time.sleep(0.05)
            db.close()
            d.stop()
            arrivals = rx.at("/generic/crash")
            by_key = {}
            for a in arrivals:
                by_key.setdefault(a["headers"][IDEM], []).append(a)
            titles = {json.loads(v[0]["body"])["title"] for v in by_key.values()}
            self.assertEqual(titles, {"Load %d" % n for n in range(self.N)}, "every message arrives")
            self.assertEqual(len(by_key), self.N)
            dups = {k: v for k, v in by_key.items() if len(v) > 1}
            for k, v in dups.items():
                # The same key by construction, the same bytes (the frozen event), and
                # a kill between two copies: the first came on a connection the killed
                # daemon held (in flight), the next from a later daemon. Arrival times
                # alone cannot say it: the receiver may note a request late.
                self.assertEqual(len({a["body"] for a in v}), 1)
                for first, again in zip(v, v[1:]):
                    self.assertTrue(any(first["port"] in ports and again["port"] not in ports and again["at"] > at
                                        for at, ports in kills),
                                    "duplicate %s not in flight at a kill: %s, kills %s" % (k, v, kills))
            # At most one request per chat is in flight at a kill.
            self.assertLessEqual(sum(len(v) - 1 for v in dups.values()), self.ROUNDS * self.CHATS)
            print("kill -9: %d rounds, %d messages, %d arrivals, %d duplicated (each in flight at a kill); "
                  "distinct messages arrived at each kill: %s" % (self.ROUNDS, self.N, len(arrivals), len(dups), during))
            # The test means something only if kills came while messages were still pending.
            self.assertGreaterEqual(sum(1 for n in during if n < self.N), self.ROUNDS // 2, during)
            db = sqlite3.connect(os.path.join(data_dir, "meetgate.db"))
            states = dict(db.execute("SELECT state, count(*) FROM outbox WHERE chat_key LIKE 'crash%' "
                                     "GROUP BY state").fetchall())
            db.close()
            self.assertEqual(states, {"sent": self.N})
        finally:
            for x in daemons:
                if x.proc.poll() is None:
                    x.proc.kill()
                    x.proc.wait()
                x.cleanup()
            rx.close()
            shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)

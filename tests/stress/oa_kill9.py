#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Kill -9 during OA ingest (docs/hardening.md).

Pushers send meetings (unsigned "hr" pushes, signed "crm" webhooks, each new
or an edit of one they pushed before) and calendar imports (.ics files of new
events) while meetgate is killed with SIGKILL at a random moment, then
restarted on the same data folder. After every restart: each meeting that was
acknowledged (2xx) is there with the content of its last acknowledged version
(or of the one in flight at the kill, which may have committed unanswered),
no (source, external_id) appears twice in the listing or the table, and the
store passes PRAGMA integrity_check.

  tests/stress/oa_kill9.py build/meetgate [rounds] [seed]
"""
import hashlib
import http.client
import hmac
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from mgtest import Daemon  # noqa: E402

SECRET = "kill9-test-secret-0123456789abcdef0123456"
HR_KEY = "hr-key-kill9-0123456789ab"
CRM_KEY = "crm-key-kill9-0123456789ab"
CRM_HOOK = "crm-hook-kill9-0123456789ab"
BASE_T = 1830297600  # 2028-01-01: well inside any listing window we ask for


def stamp(t):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def sign(secret, ts, body):
    return "sha256=" + hmac.new(secret.encode(), str(ts).encode() + b"." + body, hashlib.sha256).hexdigest()


def post(url, data, headers):
    req = urllib.request.Request(url, data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except urllib.error.URLError as e:
        if isinstance(e.reason, ConnectionRefusedError):
            return 0, b""  # meetgate was down: nothing sent
        return None, b""  # killed under us: not acknowledged
    except (OSError, http.client.HTTPException):
        return None, b""  # killed under us, maybe mid-answer: not acknowledged


class Ledger:
    """What was acknowledged: (source, external_id) -> set of titles that may
    be stored (the last acknowledged one, plus any sent after it whose answer
    the kill swallowed)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.acked = {}     # key -> last acknowledged title
        self.inflight = {}  # key -> titles sent, answer lost
        self.seq = {}       # key -> last sequence used
        self.made = 0
        self.counts = {"acked": 0, "lost_answers": 0, "refused": 0}

    def next_ts(self):
        # Replays are recognised by signature, and every body differs: the clock will do.
        return int(time.time())

    def allowed(self, key):
        return {self.acked[key]} | self.inflight.get(key, set())


class Pusher(threading.Thread):
    def __init__(self, n, base, ledger, rng, stop):
        super().__init__(daemon=True)
        self.n, self.base, self.ledger, self.rng, self.stop = n, base, ledger, rng, stop
        self.error = None

    def run(self):
        try:
            while not self.stop.is_set():
                kind = self.rng.choice(("hr", "crm", "ics"))
                if kind == "ics":
                    self.import_ics()
                else:
                    self.push(kind)
        except Exception as e:  # reported by run()
            self.error = "pusher %d: %s" % (self.n, e)

    def new_id(self):
        with self.ledger.lock:
            self.ledger.made += 1
            return self.ledger.made

    def pick(self, source):
        with self.ledger.lock:
            mine = [k for k in self.ledger.acked if k[0] == source and k[1].startswith("p%d-" % self.n)]
        if mine and self.rng.random() < 0.4:
            return self.rng.choice(mine)
        return (source, "p%d-%s-%d" % (self.n, source, self.new_id()))

    def settle(self, keys_titles, status):
        led = self.ledger
        with led.lock:
            for key, title in keys_titles:
                if status is not None and 200 <= status < 300:
                    led.acked[key] = title
                    led.inflight.pop(key, None)
                    led.counts["acked"] += 1
                elif status == 0:
                    pass
                elif status is None:
                    led.inflight.setdefault(key, set()).add(title)
                    led.counts["lost_answers"] += 1
                else:
                    led.counts["refused"] += 1

    def push(self, source):
        key = self.pick(source)
        with self.ledger.lock:
            seq = self.ledger.seq.get(key, -1) + 1
            self.ledger.seq[key] = seq
        title = "%s v%d" % (key[1], seq)
        start = BASE_T + self.rng.randrange(0, 20 * 86400, 900)
        body = {"external_id": key[1], "title": title, "start": rfc3339(start), "end": rfc3339(start + 3600),
                "organizer": {"id": "boss", "name": "Boss"}, "attendees": [{"id": "u1", "name": "Ada"}],
                "policy": "open", "sequence": seq}
        raw = json.dumps(body).encode()
        h = {"Content-Type": "application/json"}
        if source == "crm":
            ts = self.ledger.next_ts()
            h.update({"Authorization": "Bearer " + CRM_KEY, "X-Meetgate-Timestamp": str(ts),
                      "X-Meetgate-Signature": sign(CRM_HOOK, ts, raw)})
        else:
            h["Authorization"] = "Bearer " + HR_KEY
        with self.ledger.lock:  # in flight until answered
            self.ledger.inflight.setdefault(key, set()).add(title)
        status, text = post(self.base() + "/api/v1/meetings", raw, h)
        if status and status >= 300 and status != 409:
            raise AssertionError("push answered %d: %s" % (status, text[:300]))
        with self.ledger.lock:
            if status is not None:
                self.ledger.inflight.get(key, set()).discard(title)
        self.settle([(key, title)], status)

    def import_ics(self):
        events, pairs = [], []
        for _ in range(3):
            uid = "p%d-ics-%d@kill9" % (self.n, self.new_id())
            title = "ics %s" % uid
            start = BASE_T + self.rng.randrange(0, 20 * 86400, 900)
            events.append("BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:%s\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:%s\r\n"
                          "END:VEVENT\r\n" % (uid, stamp(time.time()), stamp(start), stamp(start + 1800), title))
            pairs.append((("hr", uid), title))
        ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//kill9//EN\r\n" + "".join(events) + "END:VCALENDAR\r\n"
        status, text = post(self.base() + "/api/v1/calendars/import", ics.encode(),
                            {"Authorization": "Bearer " + HR_KEY, "Content-Type": "text/calendar"})
        if status and status >= 300:
            raise AssertionError("import answered %d: %s" % (status, text[:300]))
        if status:
            r = json.loads(text)
            if r.get("created") != 3:
                raise AssertionError("import did not create its 3 events: %s" % r)
        self.settle(pairs, status)


def start(binary, data_dir):
    return Daemon(binary, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1",
                           "-o", "oa.sources=hr:%s,crm:%s:%s" % (HR_KEY, CRM_KEY, CRM_HOOK),
                           "-o", "log.level=info"], data_dir=data_dir)


def listing(d, key):
    q = urllib.parse.urlencode({"from": rfc3339(BASE_T - 86400), "to": rfc3339(BASE_T + 30 * 86400)})
    req = urllib.request.Request(d.url + "/api/v1/meetings?" + q, headers={"Authorization": "Bearer " + key})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())["occurrences"]


def check(d, ledger):
    """Problems found after a restart (empty when all is well)."""
    problems = []
    stored = {}
    for source, key in (("hr", HR_KEY), ("crm", CRM_KEY)):
        for o in listing(d, key):
            k = (source, o["external_id"])
            if k in stored:
                problems.append("listed twice: %s" % (k,))
            stored[k] = o["title"]
    with ledger.lock:
        for k in ledger.acked:
            if k not in stored:
                problems.append("acknowledged, missing: %s" % (k,))
            elif stored[k] not in ledger.allowed(k):
                problems.append("%s has %r, expected one of %s" % (k, stored[k], sorted(ledger.allowed(k))))
    db = sqlite3.connect(os.path.join(d.data_dir, "meetgate.db"), timeout=10)
    try:
        (ok,) = db.execute("PRAGMA integrity_check").fetchone()
        if ok != "ok":
            problems.append("integrity_check: %s" % ok)
        for row in db.execute("SELECT source, external_id, recurrence_id, count(*) FROM meetings "
                              "GROUP BY 1, 2, 3 HAVING count(*) > 1"):
            problems.append("duplicated row: %s" % (row,))
    finally:
        db.close()
    return problems


def run(binary, rounds, seed, pushers=4, log=print):
    rng = random.Random(seed)
    tmp = tempfile.mkdtemp(prefix="mg-kill9-")
    data = os.path.join(tmp, "data")
    ledger = Ledger()
    problems, kills_ms = [], []
    holder = {"d": start(binary, data)}
    try:
        for r in range(rounds):
            stop = threading.Event()
            threads = [Pusher(i, lambda: holder["d"].url, ledger, random.Random(rng.random()), stop)
                       for i in range(pushers)]
            for t in threads:
                t.start()
            delay = rng.uniform(0.05, 1.0)
            time.sleep(delay)
            kills_ms.append(delay * 1000)
            holder["d"].proc.kill()
            holder["d"].proc.wait()
            stop.set()
            for t in threads:
                t.join(10)
                if t.error:
                    problems.append("round %d: %s" % (r + 1, t.error))
            holder["d"].cleanup()
            holder["d"] = start(binary, data)
            found = check(holder["d"], ledger)
            if found:
                problems.extend("round %d: %s" % (r + 1, p) for p in found)
                break
            if (r + 1) % 10 == 0:
                log("  round %d: %d acknowledged, %d answers lost at a kill, %d meetings" % (
                    r + 1, ledger.counts["acked"], ledger.counts["lost_answers"], len(ledger.acked)), flush=True)
        rc = holder["d"].stop()
        if rc != 0:
            problems.append("meetgate exited %d after the last round" % rc)
    finally:
        holder["d"].cleanup()
        shutil.rmtree(tmp, ignore_errors=True)
    return ledger, problems


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/meetgate"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else int(time.time())
    t0 = time.time()
    ledger, problems = run(binary, rounds, seed)
    print("kill -9 during ingest: %d rounds in %.0f s (seed %d): %d acknowledged writes, %d meetings, "
          "%d answers lost at a kill, %d refused; problems %d" % (
              rounds, time.time() - t0, seed, ledger.counts["acked"], len(ledger.acked),
              ledger.counts["lost_answers"], ledger.counts["refused"], len(problems)))
    for p in problems[:20]:
        print("  ", p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()

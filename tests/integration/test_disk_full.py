#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Disk full: meetgate's data folder on a small tmpfs (in a private mount
namespace) that a filler file fills up. The meetings API and calendar imports
answer a clear 507 error (never a 2xx for something not stored, never a
crash), every acknowledged meeting is still there, the store passes PRAGMA
integrity_check, and once the filler is removed writes work again.
Needs root (mount); exits 77 (skipped) where tmpfs cannot be mounted.
docs/hardening.md."""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mgtest import Daemon  # noqa: E402

SECRET = "diskfull-test-secret-0123456789abcdef0123"
HR_KEY = "hr-key-diskfull-0123456789"
BASE_T = 1830297600
SANITIZER_MARKS = ("runtime error:", "AddressSanitizer", "LeakSanitizer")


def mountns_reexec():
    """Re-runs this script in a private mount namespace, where it mounts its tmpfs."""
    if os.environ.get("MG_MOUNTNS") == "1":
        return
    env = dict(os.environ, MG_MOUNTNS="1")
    r = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable, *sys.argv], env=env)
    sys.exit(r.returncode)


mountns_reexec()  # before the binary is taken from argv: the re-run needs it too
BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def stamp(t):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def call(d, method, path, data=None, ctype="application/json"):
    req = urllib.request.Request(d.url + path, data=data, method=method,
                                 headers={"Content-Type": ctype, "Authorization": "Bearer " + HR_KEY})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        text = e.read()
        return e.code, json.loads(text) if text else None


def meeting(i):
    start = BASE_T + i * 3600
    return json.dumps({"external_id": "full-%d" % i, "title": "Meeting %d" % i, "description": "x" * 3000,
                       "start": rfc3339(start), "end": rfc3339(start + 1800), "policy": "open",
                       "organizer": {"id": "boss", "name": "Boss"},
                       "attendees": [{"id": "u%d" % k, "name": "Person %d" % k} for k in range(20)]}).encode()


def ics(first, n):
    ev = "".join("BEGIN:VEVENT\r\nUID:ics-%d\r\nDTSTAMP:%s\r\nDTSTART:%s\r\nDTEND:%s\r\nSUMMARY:Imported %d\r\n"
                 "DESCRIPTION:%s\r\nEND:VEVENT\r\n" % (i, stamp(time.time()), stamp(BASE_T + i * 3600),
                                                       stamp(BASE_T + i * 3600 + 1800), i, "y" * 60)
                 for i in range(first, first + n))
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//diskfull//EN\r\n" + ev + "END:VCALENDAR\r\n").encode()


class DiskFull(unittest.TestCase):
    def test_fill_and_recover(self):
        mnt = tempfile.mkdtemp(prefix="mg-full-")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mnt], capture_output=True, text=True)
        if r.returncode != 0:
            print("cannot mount a tmpfs here (%s): skipped" % r.stderr.strip())
            sys.exit(77)
        d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1",
                            "-o", "oa.sources=hr:" + HR_KEY, "-o", "log.level=info"], data_dir=os.path.join(mnt, "data"))
        try:
            filler = os.path.join(mnt, "filler")
            st = os.statvfs(mnt)
            free = st.f_bavail * st.f_frsize
            with open(filler, "wb") as f:
                f.write(b"\0" * max(0, free - 1024 * 1024))  # leave 1 MiB
            acked, refused, i = [], [], 0
            while len(refused) < 5 and i < 2000:
                status, j = call(d, "POST", "/api/v1/meetings", meeting(i))
                if status in (200, 201):
                    acked.append(i)
                else:
                    refused.append((i, status, j))
                i += 1
            print("disk full: %d meetings acknowledged, then %s" % (len(acked), refused[:2]))
            self.assertTrue(acked, "nothing fitted at all")
            self.assertTrue(refused, "the disk never filled")
            for _, status, j in refused:
                self.assertEqual((status, j["error"]["code"]), (507, "storage_full"), j)
                self.assertNotIn("INSERT", j["error"]["message"])
            # An import while full: refused as a whole, not a 200 with what was lost.
            status, j = call(d, "POST", "/api/v1/calendars/import", ics(0, 40), "text/calendar")
            print("disk full: import answered %d %s" % (status, json.dumps(j)[:300]))
            self.assertEqual((status, j["error"]["code"]), (507, "storage_full"), j)
            self.assertIsNone(d.proc.poll(), "meetgate exited")
            self.assertEqual(call(d, "GET", "/healthz")[0], 200)
            self.check_store(d, acked)
            # Space again: writes work, nothing was lost on the way.
            os.unlink(filler)
            status, j = call(d, "POST", "/api/v1/meetings", meeting(i))
            self.assertEqual(status, 201, j)
            acked.append(i)
            status, j = call(d, "POST", "/api/v1/calendars/import", ics(0, 40), "text/calendar")
            self.assertEqual((status, j["created"]), (200, 40), j)
            self.check_store(d, acked)
            rc = d.stop()
            self.assertEqual(rc, 0)
            reports = [x for x in d.log_text().splitlines() if any(m in x for m in SANITIZER_MARKS)]
            self.assertEqual(reports, [])
        finally:
            d.cleanup()
            subprocess.run(["umount", mnt])
            os.rmdir(mnt)

    def check_store(self, d, acked):
        q = urllib.parse.urlencode({"from": rfc3339(BASE_T - 86400), "to": rfc3339(BASE_T + 200 * 86400)})
        status, j = call(d, "GET", "/api/v1/meetings?" + q)
        self.assertEqual(status, 200, j)
        titles = {o["external_id"]: o["title"] for o in j["occurrences"]}
        missing = [i for i in acked if titles.get("full-%d" % i) != "Meeting %d" % i]
        self.assertEqual(missing, [], "acknowledged meetings missing")
        db = sqlite3.connect(os.path.join(d.data_dir, "meetgate.db"), timeout=10)
        try:
            self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        finally:
            db.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)

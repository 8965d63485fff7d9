#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Meetings API micro-benchmark: upserts per second through the real daemon
(a connection per request: meetgate answers Connection: close, loopback): created, unchanged and updated. Each
created or updated meeting is a durable (synchronous=FULL) transaction."""
import http.client
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from mgtest import Daemon  # noqa: E402

BINARY = sys.argv[1] if len(sys.argv) > 1 else "build/meetgate"
N = int(os.environ.get("MG_BENCH_N", "500"))
KEY = "bench-key-0123456789abcdef"


def body(i, title):
    start = 1893456000 + i * 3600  # 2030
    iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))  # noqa: E731
    return json.dumps({"external_id": "bench-%d" % i, "title": title, "start": iso(start), "end": iso(start + 1800),
                       "policy": "lobby", "organizer": {"id": "o", "name": "Organizer"},
                       "attendees": [{"id": "u%d" % k, "name": "User %d" % k} for k in range(10)]}).encode()


def run(conn, title, want):
    t0 = time.perf_counter()
    for i in range(N):
        conn.request("POST", "/api/v1/meetings", body(i, title), {"Authorization": "Bearer " + KEY})
        r = conn.getresponse()
        data = r.read()
        if json.loads(data).get("status") != want:
            raise SystemExit("unexpected answer %d: %s" % (r.status, data[:300]))
    return N / (time.perf_counter() - t0)


def main():
    d = Daemon(BINARY, ["-o", "oa.sources=bench:" + KEY, "-o", "media.addresses=127.0.0.1", "-o", "log.level=info", "-o", "log.modules=meetings=warning"])
    try:
        conn = http.client.HTTPConnection(d.host, d.port, timeout=10)
        created = run(conn, "Bench", "created")
        unchanged = run(conn, "Bench", "unchanged")
        updated = run(conn, "Bench (moved)", "updated")
        print("meetings API, %d meetings of 10 attendees, a connection per request:" % N)
        print("  created   %7.0f upserts/s" % created)
        print("  unchanged %7.0f upserts/s" % unchanged)
        print("  updated   %7.0f upserts/s" % updated)
    finally:
        d.stop()
        d.cleanup()


if __name__ == "__main__":
    main()

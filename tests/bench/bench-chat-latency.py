#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Chat latency: an OA push (POST /api/v1/meetings) to the message's arrival
at a local webhook receiver, through the real daemon, the outbox and the
deliverer (generic connector, signed, no rate limit, loopback). Prints p50,
p99 and max; never fails on the figures (goal in issue 6: p99 <= 100 ms)."""
import http.client
import http.server
import json
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from mgtest import Daemon  # noqa: E402

BINARY = sys.argv[1] if len(sys.argv) > 1 else "build/meetgate"
N = int(os.environ.get("MG_BENCH_N", "300"))
KEY = "bench-key-0123456789abcdef"
OPS = "bench-ops-0123456789abcdef"

arrived = {}
cond = threading.Condition()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        t = time.perf_counter()
        title = json.loads(body)["title"]
        with cond:
            arrived.setdefault(title, t)
            cond.notify_all()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    d = Daemon(BINARY, ["-o", "oa.sources=bench:" + KEY, "-o", "admin.keys=ops:operator:" + OPS,
                        "-o", "media.addresses=127.0.0.1", "-o", "log.level=info",
                        "-o", "log.modules=chatsend=warning,chatevents=warning,meetings=warning"])
    try:
        conn = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
        chat = {"key": "bench", "name": "Bench", "connector": "generic", "secret": "bench-signing-secret",
                "webhook_url": "http://127.0.0.1:%d/hook" % server.server_address[1], "rate": "unlimited",
                "rules": {"sources": ["bench"]}}
        conn.request("POST", "/api/v1/chats", json.dumps(chat), {"Authorization": "Bearer " + OPS})
        r = conn.getresponse()
        r.read()
        assert r.status == 201, r.status
        lat = []
        now = int(time.time())
        iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))  # noqa: E731
        for i in range(N):
            title = "Bench %d" % i
            start = now + 86400 + i * 3600
            body = json.dumps({"external_id": "b-%d" % i, "title": title, "start": iso(start),
                               "end": iso(start + 1800), "policy": "open", "organizer": {"id": "o", "name": "O"}})
            t0 = time.perf_counter()
            conn.request("POST", "/api/v1/meetings", body, {"Authorization": "Bearer " + KEY})
            r = conn.getresponse()
            r.read()
            assert r.status == 201, r.status
            with cond:
                if not cond.wait_for(lambda: title in arrived, timeout=10):
                    raise SystemExit("message %d did not arrive" % i)
                lat.append((arrived[title] - t0) * 1000)
        print("chat latency, OA push -> webhook receiver (generic, signed, loopback), %d meetings one at a time:" % N)
        print("  p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  max %.2f ms" % (pct(lat, 50), pct(lat, 90), pct(lat, 99),
                                                                      max(lat)))
    finally:
        d.stop()
        d.cleanup()
        server.shutdown()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""500 signaling sessions join and leave in rounds: meetgate keeps answering
and its memory comes back to where it was after the first round. Prints the
join answer times; asserts no timing."""
import asyncio
import json
import os
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import websockets  # noqa: E402
from mgtest import Daemon  # noqa: E402
from rtcpeers import http  # noqa: E402

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"
SESSIONS, ROOMS, ROUNDS = 500, 10, int(os.environ.get("MG_LOAD_ROUNDS", "4"))
OPS_KEY = "load-operator-key-0123456789"


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class WsLoad(unittest.TestCase):
    def test_join_leave_rounds(self):
        # Under ASan, freed memory waits in a quarantine (256 MB by default) and
        # RSS grows by design; a small one lets the figure mean what it means.
        asan = os.environ.get("ASAN_OPTIONS", "")
        env = {"ASAN_OPTIONS": (asan + ":" if asan else "") + "quarantine_size_mb=1"}
        d = Daemon(BINARY, env=env, args=["-o", "admin.keys=ops:operator:" + OPS_KEY, "-o", "log.modules=conference=warning,http=warning,session=warning,rooms=warning",
                            "-o", "server.max_ws_message=65536"])
        try:
            tokens = []
            for i in range(ROOMS):
                status, _, body = http("POST", d.url + "/api/v1/rooms", json.dumps({"title": "load %d" % i}).encode(),
                                       {"Authorization": "Bearer " + OPS_KEY})
                self.assertEqual(status, 201)
                link = json.loads(body)["links"]["guest"]
                tokens.append(urllib.parse.parse_qs(urllib.parse.urlparse(link).query)["t"][0])
            rss, times = [], []

            async def session(i):
                async with websockets.connect(d.url.replace("http", "ws", 1) + "/ws", max_queue=None) as ws:
                    t0 = time.time()
                    await ws.send(json.dumps({"type": "join", "id": 1, "token": tokens[i % ROOMS], "name": "u%d" % i}))
                    while True:  # events from the others may come first
                        m = json.loads(await ws.recv())
                        if m.get("id") == 1:
                            break
                    times.append(time.time() - t0)
                    assert m["type"] == "joined", m
                    await asyncio.sleep(0.5)
                    await ws.send(json.dumps({"type": "leave", "id": 2}))
                    while json.loads(await ws.recv()).get("id") != 2:
                        pass

            async def rounds():
                for r in range(ROUNDS):
                    await asyncio.gather(*(session(i) for i in range(SESSIONS)))
                    status, _, _ = await asyncio.get_event_loop().run_in_executor(
                        None, http, "GET", d.url + "/healthz")
                    self.assertEqual(status, 200)
                    await asyncio.sleep(0.3)
                    rss.append(rss_kib(d.proc.pid))

            asyncio.get_event_loop().run_until_complete(asyncio.wait_for(rounds(), 240))
            times.sort()
            print("%d sessions x %d rounds: join answer p50 %.1f ms, p99 %.1f ms; RSS after each round %s KiB" % (
                SESSIONS, ROUNDS, 1000 * times[len(times) // 2], 1000 * times[int(len(times) * 0.99)], rss))
            self.assertEqual(len(times), SESSIONS * ROUNDS)
            # Memory: once warm (after two rounds) it stays where it was (allocator slack aside).
            self.assertLessEqual(rss[-1], rss[1] * 1.10 + 4096, rss)
            self.assertEqual(d.stop(), 0)
        finally:
            d.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)

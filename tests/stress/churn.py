#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Join/leave churn with media flowing, for leak hunting (docs/hardening.md).

One aiortc publisher per room sends audio and video; workers join as WHEP
subscribers, wait for a decoded video frame, and leave with DELETE. Every
PUB_EVERY cycles the room's publisher leaves and a new one publishes. At the
end meetgate is stopped with SIGTERM: it must exit 0, and in an ASan build
(ASAN_OPTIONS=detect_leaks=1) LeakSanitizer must report nothing. Prints RSS at
start (after warm-up), peak and end. Runs itself in a loopback-only netns.

  tests/stress/churn.py build-asan/meetgate [cycles] [workers]
"""
import asyncio
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import rtcpeers  # noqa: E402
from mgtest import Daemon  # noqa: E402
from rtcpeers import AiortcClient, http, make_token  # noqa: E402

SECRET = "churn-test-secret-0123456789abcdef0123456789"
SANITIZER_MARKS = ("runtime error:", "AddressSanitizer", "LeakSanitizer")
PUB_EVERY = 25


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def leave(client, errors, gone_ok=False):
    """DELETE the session (a failure is recorded, not raised) and close the
    peer. gone_ok: the session failed, so meetgate may have removed it (404)."""
    if client.location:
        url = client.location if client.location.startswith("http") else client.base + client.location
        loop = asyncio.get_event_loop()
        status, _, _ = await loop.run_in_executor(None, http, "DELETE", url)
        if status not in (200, 204) and not (gone_ok and status == 404):
            errors.append("DELETE %s answered %d" % (url, status))
    await client.close()


async def churn(d, cycles, workers, log=print):
    """Runs the cycles; returns a dict of figures."""
    base = d.url
    # errors: anything meetgate did wrong; no_video: cycles whose subscriber
    # got no frame (see docs/hardening.md: aiortc's own transport failing).
    stats = {"cycles": 0, "errors": [], "no_video": [], "rss": [], "first_frame_ms": []}
    rooms = ["churn%d" % i for i in range(workers)]

    async def publish(room, n):
        pub = AiortcClient(base, room, make_token(SECRET, room, sub="pub%d" % n))
        await pub.publish()
        return pub

    async def worker(w):
        room = rooms[w]
        n = 0
        await asyncio.sleep(0.5 * w)  # staggered: the publishers' encoders do not all start at once
        pub = await publish(room, n)
        try:
            while stats["cycles"] < cycles:
                stats["cycles"] += 1
                n += 1
                if n % PUB_EVERY == 0:
                    await leave(pub, stats["errors"])
                    pub = await publish(room, n)
                sub = AiortcClient(base, room, make_token(SECRET, room, sub="sub%d-%d" % (w, n)))
                t0 = time.time()
                failed = True
                try:
                    await sub.play()
                    if await sub.wait_frames(kinds=("video",), count=1, timeout=15):
                        stats["first_frame_ms"].append(1000 * (time.time() - t0))
                        failed = False
                    else:
                        dtls = [t.sender.transport for t in sub.pc.getTransceivers()]
                        pairs = []
                        for t in sub.pc.getTransceivers():
                            conn = t.sender.transport.transport.iceGatherer._connection
                            pairs += ["%s:%d->%s:%d %s" % (p.local_candidate.host, p.local_candidate.port,
                                                           p.remote_candidate.host, p.remote_candidate.port,
                                                           p.state.name) for p in conn._check_list]
                        stats["no_video"].append("%s %s: no video frame in 15 s (ICE %s, DTLS %s, pairs %s)" % (
                            room, sub.location, sub.pc.iceConnectionState, sorted({str(t.state) for t in dtls}),
                            pairs))
                except Exception as e:
                    stats["errors"].append("%s: %r" % (room, e))
                finally:
                    await leave(sub, stats["errors"], gone_ok=failed)
                if failed:  # maybe the publisher is the one whose transport failed: replace it
                    await leave(pub, stats["errors"], gone_ok=True)
                    pub = await publish(room, n)
        finally:
            await leave(pub, stats["errors"])

    async def sampler():
        while True:
            stats["rss"].append(rss_kib(d.proc.pid))
            await asyncio.sleep(1.0)

    s = asyncio.ensure_future(sampler())
    t0 = time.time()
    last = 0
    tasks = [asyncio.ensure_future(worker(w)) for w in range(workers)]
    while not all(t.done() for t in tasks):
        await asyncio.sleep(2)
        if stats["cycles"] - last >= max(50, cycles // 10):
            last = stats["cycles"]
            log("  %d cycles, %.0f s, RSS %d KiB, errors %d, cycles without video %d" % (
                last, time.time() - t0, rss_kib(d.proc.pid), len(stats["errors"]), len(stats["no_video"])), flush=True)
    for t in tasks:
        if t.exception():
            stats["errors"].append("worker: %r" % t.exception())
    await asyncio.sleep(2)  # let the peers' last packets and timers settle
    s.cancel()
    stats["seconds"] = time.time() - t0
    return stats


def start(binary):
    env = {}
    if "asan" in binary or os.environ.get("ASAN_OPTIONS"):
        # Freed memory waits in ASan's quarantine (256 MB by default): a small
        # one keeps RSS meaningful; leaks are reported at exit.
        asan = os.environ.get("ASAN_OPTIONS", "detect_leaks=1")
        env["ASAN_OPTIONS"] = asan + ":quarantine_size_mb=1:detect_leaks=1"
    level = "debug" if os.environ.get("MG_CHURN_DEBUG") else "info"
    return Daemon(binary, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1",
                           "-o", "log.level=" + level], env=env)


def run(binary, cycles, workers, log=print):
    """(stats, exit code, sanitizer report lines, rss start/peak/end)."""
    d = start(binary)
    try:
        loop = asyncio.get_event_loop()
        # Warm-up: a few cycles so the start figure includes the pools, caches and the first TLS context.
        loop.run_until_complete(churn(d, workers * 2, workers, log))
        rss_start = rss_kib(d.proc.pid)
        stats = loop.run_until_complete(churn(d, cycles, workers, log))
        rss_end = rss_kib(d.proc.pid)
        rss_peak = max(stats["rss"] + [rss_end])
        rc = d.stop(timeout=30)
        if os.environ.get("MG_CHURN_LOG"):
            shutil.copy(d.log_path, os.environ["MG_CHURN_LOG"])
        reports = [line for line in d.log_text().splitlines() if any(m in line for m in SANITIZER_MARKS)]
        if reports:
            text = d.log_text()
            i = text.find("LeakSanitizer")
            log(text[max(0, i - 200):i + 6000])
        return stats, rc, reports, (rss_start, rss_peak, rss_end)
    finally:
        d.cleanup()


def main():
    rtcpeers.netns_reexec()
    if os.environ.get("MG_CHURN_PYLOG"):  # aiortc's DTLS steps, for a failed handshake
        import logging
        logging.basicConfig(filename=os.environ["MG_CHURN_PYLOG"], format="%(asctime)s %(name)s %(message)s")
        logging.getLogger("aiortc.rtcdtlstransport").setLevel(logging.DEBUG)
        logging.getLogger("aioice.ice").setLevel(logging.DEBUG)  # its checks, their answers and failures
    binary = sys.argv[1] if len(sys.argv) > 1 else "build-asan/meetgate"
    cycles = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    workers = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    stats, rc, reports, (a, p, e) = run(binary, cycles, workers)
    ff = sorted(stats["first_frame_ms"]) or [0]
    print("churn: %d join/leave cycles (%d workers, publisher replaced every %d) in %.0f s; exit %s; "
          "sanitizer report lines %d; errors %d" % (stats["cycles"], workers, PUB_EVERY, stats["seconds"], rc,
                                                    len(reports), len(stats["errors"])))
    print("churn: %d cycles without a video frame in 15 s" % len(stats["no_video"]))
    for err in stats["no_video"][:10]:
        print("  no video:", err)
    print("churn: first video frame p50 %.0f ms p99 %.0f ms" % (ff[len(ff) // 2], ff[int(len(ff) * 0.99)]))
    print("churn: RSS start %d KiB, peak %d KiB, end %d KiB (end/start %.2f)" % (a, p, e, e / a))
    for err in stats["errors"][:10]:
        print("  error:", err)
    ok = rc == 0 and not reports and not stats["errors"]
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

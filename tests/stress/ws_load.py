#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Signaling load (docs/hardening.md): SESSIONS concurrent WebSocket sessions
over ROOMS rooms, each joining, staying 1-5 s, leaving and joining again on a
new connection, for SECONDS. The sessions are spread over PROCS client
processes (default 4), each with its own event loop, so that one busy Python
loop does not stand in for meetgate's answer time; 20 of them run in a fifth
process of their own (the probe), whose join answer times are printed apart:
they are the least disturbed by the client. Prints the join answer
p50/p99 (per minute and overall), how late the clients' own loops woke up,
RSS every 10 s, and every error. Exits 1 on errors or a crash.

  tests/stress/ws_load.py build/meetgate [sessions] [seconds] [rooms] [procs]
"""
import asyncio
import json
import multiprocessing
import os
import random
import resource
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import websockets  # noqa: E402
from mgtest import Daemon  # noqa: E402
from rtcpeers import http  # noqa: E402

OPS_KEY = "load-operator-key-0123456789"
PROBE = 20  # sessions in the lightly loaded probe process
SANITIZER_MARKS = ("runtime error:", "AddressSanitizer", "LeakSanitizer")


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fds(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def cpu_s(pid):
    """User + system CPU seconds the process has used."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(xs, p):
    xs = sorted(xs)
    return 1000 * xs[min(len(xs) - 1, int(len(xs) * p))] if xs else float("nan")


def client(name, ids, url, tokens, t_start, end, live, results):
    """One client process running the sessions numbered ids; puts (name,
    joins, errors, lag) on results at the end. joins are (start since
    t_start, seconds)."""
    rooms = len(tokens)
    joins, errors, lag = [], [], []

    async def session(i):
        rng = random.Random(i)
        await asyncio.sleep(rng.uniform(0, 10))  # ramp up over 10 s
        n = 0
        while time.time() < end:
            n += 1
            try:
                async with websockets.connect(url, max_queue=None, open_timeout=30, ping_interval=None) as ws:
                    t0 = time.time()
                    await ws.send(json.dumps({"type": "join", "id": 1, "token": tokens[i % rooms],
                                              "name": "u%d-%d" % (i, n)}))
                    while True:  # events from the others may come first
                        m = json.loads(await asyncio.wait_for(ws.recv(), 30))
                        if m.get("id") == 1:
                            break
                    joins.append((t0 - t_start, time.time() - t0))
                    if m["type"] != "joined":
                        errors.append("join answered %s" % m)
                        continue
                    with live.get_lock():
                        live.value += 1
                    try:
                        await asyncio.sleep(rng.uniform(1, 5))
                        await ws.send(json.dumps({"type": "leave", "id": 2}))
                        while json.loads(await asyncio.wait_for(ws.recv(), 30)).get("id") != 2:
                            pass
                    finally:
                        with live.get_lock():
                            live.value -= 1
            except Exception as e:
                errors.append("%s: %r" % (time.strftime("%H:%M:%S"), e))
                await asyncio.sleep(1)

    async def lag_probe():  # how late this client's own loop wakes up: its share of the join times
        while time.time() < end:
            t0 = time.time()
            await asyncio.sleep(0.1)
            lag.append(time.time() - t0 - 0.1)

    async def all_():
        await asyncio.gather(lag_probe(), *(session(i) for i in ids))

    asyncio.new_event_loop().run_until_complete(all_())
    results.put((name, joins, errors, lag))


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else "build/meetgate"
    sessions = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    seconds = int(sys.argv[3]) if len(sys.argv) > 3 else 300
    rooms = int(sys.argv[4]) if len(sys.argv) > 4 else 20
    procs = int(sys.argv[5]) if len(sys.argv) > 5 else 4
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, 4 * sessions + 1024))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))  # inherited by meetgate
    env = {}
    if "asan" in binary or os.environ.get("ASAN_OPTIONS"):
        env["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "detect_leaks=1") + ":quarantine_size_mb=1:detect_leaks=1"
    d = Daemon(binary, env=env, args=["-o", "admin.keys=ops:operator:" + OPS_KEY,
                             "-o", "log.modules=conference=warning,http=warning,session=warning,rooms=warning"])
    nice = int(os.environ.get("MG_LOAD_NICE", "-10"))
    if nice and os.geteuid() == 0:
        # The load generator shares the machine with meetgate: without this
        # its five Python processes (and anything else running) take the
        # CPU meetgate would have on a server of its own, and the answer
        # times measure that contention.
        os.setpriority(os.PRIO_PROCESS, d.proc.pid, nice)
    else:
        nice = 0
    try:
        tokens = []
        for i in range(rooms):
            status, _, body = http("POST", d.url + "/api/v1/rooms", json.dumps({"title": "load %d" % i}).encode(),
                                   {"Authorization": "Bearer " + OPS_KEY})
            assert status == 201, (status, body)
            link = json.loads(body)["links"]["guest"]
            tokens.append(urllib.parse.parse_qs(urllib.parse.urlparse(link).query)["t"][0])
        url = d.url.replace("http", "ws", 1) + "/ws"
        t_start = time.time()
        end = t_start + seconds
        live = multiprocessing.Value("i", 0)
        results = multiprocessing.Queue()
        rss = [(0, rss_kib(d.proc.pid), fds(d.proc.pid))]
        cpu0 = cpu_s(d.proc.pid)
        # The first PROBE sessions run in a process of their own that has
        # little else to do: their join answer times are meetgate's (plus
        # a lightly loaded client), the others' include a busy client's.
        probe = min(PROBE, sessions // 10)
        groups = [("probe", list(range(probe)))] + [("load", list(range(probe + k, sessions, procs)))
                                                    for k in range(procs)]
        workers = [multiprocessing.Process(target=client, args=(name, ids, url, tokens, t_start, end, live, results))
                   for name, ids in groups]
        for w in workers:
            w.start()
        joins, errors, lag, done = [], [], [], 0
        probe_joins, probe_lag = [], []
        next_sample = t_start + 10
        while done < len(groups):
            try:
                name, j, e, lg = results.get(timeout=max(0.1, next_sample - time.time()))
                if name == "probe":
                    probe_joins, probe_lag = j, lg
                joins += j
                errors += e
                lag += lg
                done += 1
            except Exception:
                pass
            if time.time() >= next_sample and d.proc.poll() is None:
                next_sample += 10
                rss.append((round(time.time() - t_start), rss_kib(d.proc.pid), fds(d.proc.pid)))
                print("  t=%3d s: %4d joined now, RSS %d KiB, %d fds" % (rss[-1][0], live.value, rss[-1][1],
                                                                         rss[-1][2]), flush=True)
            if d.proc.poll() is not None and time.time() > end + 60:
                break
        for w in workers:
            w.join(5)
        alive = d.proc.poll() is None
        cpu = cpu_s(d.proc.pid) - cpu0 if alive else float("nan")
        status = http("GET", d.url + "/healthz")[0] if alive else None
        lat = [s for _, s in joins]
        print("ws load: %d sessions over %d rooms (%d client processes, meetgate at nice %d) for %d s: %d joins (%.0f/s), join answer p50 %.1f ms, "
              "p99 %.1f ms, max %.1f ms; errors %d; meetgate alive %s, /healthz %s" % (
                  sessions, rooms, procs, nice, seconds, len(joins), len(joins) / seconds, pct(lat, 0.5), pct(lat, 0.99),
                  1000 * max(lat) if lat else 0, len(errors), alive, status))
        plat = [s for _, s in probe_joins]
        print("  the %d probe sessions (a client process of their own): %d joins, join answer p50 %.1f ms, "
              "p99 %.1f ms, max %.1f ms; their loop woke late by p50 %.1f ms, p99 %.1f ms" % (
                  probe, len(plat), pct(plat, 0.5), pct(plat, 0.99), 1000 * max(plat) if plat else 0,
                  pct(probe_lag, 0.5), pct(probe_lag, 0.99)))
        for minute in range(0, seconds, 60):
            w = [s for t, s in joins if minute <= t < minute + 60]
            print("  minute %d: %d joins, p50 %.1f ms, p99 %.1f ms" % (minute // 60 + 1, len(w), pct(w, 0.5),
                                                                       pct(w, 0.99)))
        print("  meetgate CPU %.0f s in %.0f s (%.0f%% of one core); the client loops woke late by p50 %.1f ms, "
              "p99 %.1f ms; load average %s" % (cpu, time.time() - t_start, 100 * cpu / (time.time() - t_start),
                                                 pct(lag, 0.5), pct(lag, 0.99), os.getloadavg()))
        print("  RSS KiB (t, rss, fds): %s" % rss)
        for e in errors[:10]:
            print("  error:", e)
        if alive:  # everyone has left: what stays
            time.sleep(float(os.environ.get("MG_LOAD_IDLE", "5")))
            if d.proc.poll() is None:
                print("  RSS after everyone left and %s s idle: %d KiB, %d fds" % (
                    os.environ.get("MG_LOAD_IDLE", "5"), rss_kib(d.proc.pid), fds(d.proc.pid)))
        rc = d.stop(timeout=30) if alive else d.proc.returncode
        reports = [x for x in d.log_text().splitlines() if any(m in x for m in SANITIZER_MARKS)]
        print("  exit %s, sanitizer report lines %d" % (rc, len(reports)))
        for x in reports[:20]:
            print("  ", x)
        sys.exit(0 if alive and not errors and rc == 0 and not reports else 1)
    finally:
        d.cleanup()


if __name__ == "__main__":
    main()

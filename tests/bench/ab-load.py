#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A/B helper for one forward-path change: starts the given meetgate binary
([media] workers = 1, pinned to CPU 0) in a loopback-only netns, runs
meetgate-load (pinned to CPU 1) with 1 publisher and SUBS subscribers for
DURATION seconds and prints the summary JSON line. With PERF_OUT it also runs
`perf record -g` on the server for the window. Needs root (unshare -n).
Run two binaries interleaved, several times each; the machine is shared.

usage: ab-load.py MEETGATE MEETGATE_LOAD SUBS DURATION [PERF_OUT]"""
import json, os, subprocess, sys, time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import rtcpeers
rtcpeers.netns_reexec()
from mgtest import Daemon
binary, load, subs, dur = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
perf_out = sys.argv[5] if len(sys.argv) > 5 else None
SECRET = "load-test-secret-0123456789abcdef0123456789"
d = Daemon(binary, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1", "-o", "media.workers=1"])
try:
    cmd = ["taskset", "-c", "1", load, "--url", d.url.rstrip("/"), "--secret", SECRET, "--room", "r",
           "--subscribers", subs, "--duration", dur, "--server-pid", str(d.proc.pid)]
    subprocess.run(["taskset", "-p", "-c", "0", str(d.proc.pid)], capture_output=True)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pr = None
    if perf_out:
        time.sleep(6)
        pr = subprocess.Popen(["perf", "record", "-g", "-o", perf_out, "-p", str(d.proc.pid), "--", "sleep", str(int(dur) - 2)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out, err = p.communicate(timeout=300)
    if pr: pr.wait()
    lines = [l for l in out.splitlines() if l.startswith("{")]
    if not lines:
        print("FAIL", err[-2000:]); sys.exit(1)
    r = json.loads(lines[-1])
    keep = {k: v for k, v in r.items() if not isinstance(v, (list, dict))}
    print(json.dumps(keep))
finally:
    d.stop(); d.cleanup()

#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Side-by-side benchmark: meetgate and Janus 1.1.2 VideoRoom under the same
load from meetgate-load, one after the other (interleaved per cell), in a
loopback-only network namespace, each server pinned to one core. Writes
docs/benchmarks.md (or --out) with the measured figures.

  sudo /usr/bin/python3 tests/bench/compare-janus.py --build build --subs 50,100,200 --duration 20
"""
import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "compare-janus-secret-0123456789abcdef0123456789"
MG_PORT, JANUS_PORT = 18480, 18488


def netns_reexec():
    """Re-runs this script inside `unshare -n` with only lo up, once."""
    if os.environ.get("MG_NETNS") == "1":
        return
    env = dict(os.environ, MG_NETNS="1")
    cmd = "ip link set lo up && exec \"$0\" \"$@\""
    r = subprocess.run(["unshare", "-n", "sh", "-c", cmd, sys.executable, *sys.argv], env=env)
    sys.exit(r.returncode)


def wait_http(url, proc, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except Exception:
            time.sleep(0.1)
    raise RuntimeError("server did not answer " + url)


JANUS_JCFG = """general: {
  configs_folder = "%(dir)s"
  plugins_folder = "%(lib)s/plugins"
  transports_folder = "%(lib)s/transports"
  events_folder = "%(lib)s/events"
  loggers_folder = "%(lib)s/loggers"
  debug_level = 3
  session_timeout = 0
  %(event_loops)s
}
media: { rtp_port_range = "20000-40000" }
nat: { nice_debug = false full_trickle = false ignore_mdns = true }
plugins: { disable = "%(plugins)s" }
transports: { disable = "libjanus_mqtt.so,libjanus_nanomsg.so,libjanus_pfunix.so,libjanus_rabbitmq.so,libjanus_websockets.so" }
loggers: { disable = "libjanus_jsonlog.so" }
events: { broadcast = false }
"""
JANUS_HTTP = """general: { json = "plain" base_path = "/janus" http = true port = %d ip = "127.0.0.1" https = false }
admin: { admin_http = false }
""" % JANUS_PORT
JANUS_OTHER_PLUGINS = ["audiobridge", "duktape", "echotest", "lua", "nosip", "recordplay", "sip", "streaming",
                       "textroom", "videocall", "voicemail"]


class Server:
    def __init__(self, kind, build, tmp, prefix):
        self.kind = kind
        self.dir = tempfile.mkdtemp(prefix=kind + "-", dir=tmp)
        self.log = open(os.path.join(self.dir, "server.log"), "w")
        if kind == "meetgate":
            cmd = [os.path.join(build, "meetgate"), "-o", "server.listen=127.0.0.1:%d" % MG_PORT,
                   "-o", "server.data_dir=" + os.path.join(self.dir, "data"), "-o", "server.secret=" + SECRET,
                   "-o", "media.addresses=127.0.0.1", "-o", "media.workers=1", "-o", "log.level=warning"]
            self.url, check, env = "http://127.0.0.1:%d" % MG_PORT, "http://127.0.0.1:%d/healthz" % MG_PORT, None
        else:
            lib = "/usr/lib/x86_64-linux-gnu/janus"
            with open(os.path.join(self.dir, "janus.jcfg"), "w") as f:
                f.write(JANUS_JCFG % {"dir": self.dir, "lib": lib,
                                      "event_loops": "event_loops = 1" if kind == "janus-el" else "",
                                      "plugins": ",".join("libjanus_%s.so" % p for p in JANUS_OTHER_PLUGINS)})
            with open(os.path.join(self.dir, "janus.transport.http.jcfg"), "w") as f:
                f.write(JANUS_HTTP)
            with open(os.path.join(self.dir, "janus.plugin.videoroom.jcfg"), "w") as f:
                f.write("general: { }\n")
            cmd = ["janus", "-F", self.dir, "-C", os.path.join(self.dir, "janus.jcfg")]
            env = dict(os.environ, LD_PRELOAD=os.path.join(build, "tests/bench/janus-lo-shim.so"))
            self.url = "http://127.0.0.1:%d/janus" % JANUS_PORT
            check = self.url + "/info"
        self.proc = subprocess.Popen(prefix + cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        wait_http(check, self.proc)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def udp_counters():
    """This namespace's UDP counters (/proc/net/snmp)."""
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Udp:")]
    return {k: int(v) for k, v in zip(rows[0][1:], rows[1][1:])}


def run_cell(args, kind, subs, tmp):
    server_prefix = ["taskset", "-c", args.server_cpu] + (["nice", "-n", str(args.nice)] if args.nice else [])
    load_prefix = ["taskset", "-c", args.load_cpu] + (["nice", "-n", str(args.nice)] if args.nice else [])
    srv = Server(kind, args.build, tmp, server_prefix)
    try:
        cmd = load_prefix + [os.path.join(args.build, "tests/bench/meetgate-load"),
                             "--target", "meetgate" if kind == "meetgate" else "janus", "--url", srv.url,
                             "--publishers", str(args.publishers), "--subscribers", str(subs),
                             "--duration", str(args.duration), "--server-pid", str(srv.proc.pid)]
        if kind == "meetgate":
            cmd += ["--secret", SECRET]
        if args.round == "storm":
            cmd += ["--join-storm"]
        load_before = os.getloadavg()[0]
        udp_before = udp_counters()
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=args.duration + 180)
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        udp = {k: v - udp_before[k] for k, v in udp_counters().items()}
        sys.stdout.write(r.stdout)
        sys.stderr.write(r.stderr[-2000:])
        lines = [line for line in r.stdout.splitlines() if line.startswith("{")]
        if not lines:
            return {"target": kind, "subscribers": subs, "error": "no result (exit %d)" % r.returncode}
        res = json.loads(lines[-1])
        res["target"] = kind
        res["round"] = args.round
        res["udp_rcvbuf_drops"] = udp["RcvbufErrors"]
        res["udp"] = udp
        res["load_tool_cpu_s"] = round(ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime, 2)
        res["loadavg_before"] = load_before
        res["loadavg_after"] = os.getloadavg()[0]
        return res
    finally:
        srv.stop()


def machine():
    model = cores = "?"
    out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        k, _, v = line.partition(":")
        if k.strip() == "Model name":
            model = v.strip()
        if k.strip() == "CPU(s)":
            cores = v.strip()
    return model, cores


def versions(build):
    out = {}
    out["meetgate"] = subprocess.run([os.path.join(build, "meetgate"), "--version"], capture_output=True,
                                     text=True).stdout.strip()
    git = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    out["meetgate"] += " (%s)" % git.stdout.strip()
    for pkg in ["janus", "libnice10", "libsrtp2-1", "libssl3"]:
        out[pkg] = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True,
                                  text=True).stdout.strip()
    return out


def fmt(v, spec):
    return format(v, spec) if isinstance(v, (int, float)) else "—"


def ratio(a, b):
    return "%.2f" % (a / b) if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else "—"


def write_doc(path, args, results, started):
    model, cores = machine()
    vers = versions(args.build)
    profiles = sorted({r.get("srtp_profile", "?") for r in results if "error" not in r})
    rows = []
    cols = [("delivered_ratio", "delivered", lambda v: fmt(100 * v, ".3f") + " %" if isinstance(v, float) else "—"),
            ("forwarded_pps", "fwd pkt/s", lambda v: fmt(v, ".0f")),
            ("server_cpu_util", "server CPU", lambda v: fmt(100 * v, ".1f") + " %" if isinstance(v, float) else "—"),
            ("cpu_us_per_forwarded_packet", "CPU µs/fwd pkt", lambda v: fmt(v, ".2f")),
            ("latency_p50_ms", "lat p50 ms", lambda v: fmt(v, ".2f")),
            ("latency_p99_ms", "lat p99 ms", lambda v: fmt(v, ".2f")),
            ("rss_per_subscriber_kib", "RSS KiB/sub", lambda v: fmt(v, ".0f")),
            ("join_to_first_frame_p50_ms", "join→1st frame p50 ms", lambda v: fmt(v, ".0f")),
            ("joins_per_s", "joins/s", lambda v: fmt(v, ".0f")),
            ("join_cpu_ms_per_join", "CPU ms/join", lambda v: fmt(v, ".2f")),
            ("udp_rcvbuf_drops", "UDP rcvbuf drops", lambda v: fmt(v, "d")),
            ("load_tool_cpu_s", "load tool CPU s", lambda v: fmt(v, ".1f"))]
    head = "| round | subs | server | joined | " + " | ".join(c[1] for c in cols) + " | load avg |"
    rows.append(head)
    rows.append("|" + "---|" * (head.count("|") - 1))
    for r in results:
        if "error" in r:
            rows.append("| %s | %s | %s | %s |" % (r.get("round", ""), r["subscribers"], r["target"], r["error"]) +
                        " |" * (len(cols) + 1))
            continue
        rows.append("| %s | %d | %s | %d/%d | " % (r["round"], r["subscribers"], r["target"], r["joined"],
                                                    r["subscribers"]) +
                    " | ".join(c[2](r.get(c[0])) for c in cols) +
                    " | %.1f→%.1f |" % (r["loadavg_before"], r["loadavg_after"]))
    ratios = ["| round | subs | Janus | CPU µs/pkt Janus ÷ meetgate | RSS/sub Janus ÷ meetgate | "
              "join→1st frame Janus ÷ meetgate | delivered meetgate / Janus |", "|---|---|---|---|---|---|---|"]
    by = {(r["target"], r["subscribers"], r["round"]): r for r in results if "error" not in r}
    for rnd in range(1, args.rounds + 1):
        for subs in args.subs:
            m = by.get(("meetgate", subs, rnd))
            for jk in ["janus", "janus-el"]:
                j = by.get((jk, subs, rnd))
                if not m or not j:
                    continue
                ratios.append("| %d | %d | %s | %s | %s | %s | %.3f %% / %.3f %% |" % (
                    rnd, subs, jk, ratio(j.get("cpu_us_per_forwarded_packet"), m.get("cpu_us_per_forwarded_packet")),
                ratio(j.get("rss_per_subscriber_kib"), m.get("rss_per_subscriber_kib")),
                ratio(j.get("join_to_first_frame_p50_ms"), m.get("join_to_first_frame_p50_ms")),
                100 * m["delivered_ratio"], 100 * j["delivered_ratio"]))
    rerun = ("sudo /usr/bin/python3 tests/bench/compare-janus.py --build build --publishers %d --subs %s "
             "--duration %d --rounds %d --nice %d" % (args.publishers, ",".join(map(str, args.subs)), args.duration,
                                                     args.rounds, args.nice)
             + (" --storm %d" % args.storm if args.storm else ""))
    text = DOC % {
        "date": started, "model": model, "cores": cores, "kernel": platform.release(),
        "versions": "\n".join("- %s: %s" % kv for kv in vers.items()), "profiles": ", ".join(profiles),
        "table": "\n".join(rows), "ratios": "\n".join(ratios), "rerun": rerun, "duration": args.duration,
        "publishers": args.publishers, "server_cpu": args.server_cpu, "load_cpu": args.load_cpu,
        "nice": args.nice, "json": "\n".join(json.dumps(r, sort_keys=True) for r in results),
        "notes": args.notes or ""}
    text = keep_changes_section(path, text)
    with open(path, "w") as f:
        f.write(text)


CHANGES = "## What each change bought"


def keep_changes_section(path, text):
    """Carries the hand-kept "What each change bought" section of the old file
    (A/B figures of single changes) over into the rewritten one."""
    try:
        with open(path) as f:
            old = f.read()
    except OSError:
        return text
    start = old.find("\n" + CHANGES)
    if start < 0:
        return text
    end = old.find("\n## ", start + 1)
    section = old[start:end if end >= 0 else len(old)].rstrip("\n") + "\n"
    at = text.find("\n## Raw results")
    return text + section if at < 0 else text[:at] + section + text[at:]


DOC = """# Benchmarks: meetgate and Janus side by side

<!-- Written by tests/bench/compare-janus.py; the figures below are measured, never edited by hand. -->

`tests/bench/meetgate-load` emulates WebRTC clients (full ICE with libnice, DTLS client, SRTP, all
on 127.0.0.1): publishers send synthetic VP8 (1.5 Mbit/s, 1,200-byte packets, a keyframe every 2 s
and on PLI/FIR) and Opus-sized audio (50 packets/s) with a send timestamp and a sequence in every
payload; subscribers decrypt every packet and account for it. It publishes and plays through
meetgate's WHIP and WHEP endpoints, and through Janus VideoRoom's HTTP API (a subscriber joins
after the publisher's `webrtcup`). Server CPU and RSS are read from `/proc/<server pid>` only, so
the load tool's own cost is not counted.

## Run of %(date)s

- Machine: %(model)s, %(cores)s CPUs, Linux %(kernel)s
%(versions)s
- SRTP profile negotiated: %(profiles)s
- %(publishers)d publisher(s), each cell a fresh server process; the servers alternate cell by
  cell (meetgate, Janus, Janus with `event_loops = 1`) so that machine drift hits all of them;
  measurement window %(duration)d s per cell after every subscriber got its first keyframe.
- Server pinned to CPU %(server_cpu)s, load tool to CPU %(load_cpu)s (`taskset`), both at
  `nice %(nice)s`. Janus: HTTP transport only, VideoRoom only, `session_timeout = 0`, the
  `janus-lo-shim.so` LD_PRELOAD (Janus skips loopback interfaces when gathering). meetgate:
  `[media] workers = 1`.

%(table)s

Columns: *delivered* is the share of the packets the publishers sent during the window that
every subscriber received and decrypted; *fwd pkt/s* counts those deliveries per second;
*CPU µs/fwd pkt* is the server's user+system CPU over the window divided by the deliveries;
*lat* is one-way send-to-decrypt time on one clock (it includes the load tool's own queueing);
*RSS KiB/sub* is (server RSS at the end − RSS with the publishers only) ÷ subscribers;
*join→1st frame* runs from the subscriber's HTTP request to its first decrypted keyframe;
*joins/s* is subscribers ÷ (last DTLS connected − first join started), all subscribers of a cell
joining at once (a join storm); *CPU ms/join* is the server CPU spent while they joined ÷ joins;
*UDP rcvbuf drops* counts datagrams the kernel dropped in the namespace because a receiving
socket's buffer was full (the servers receive only the publisher's ~206 packets/s, so these are
almost all at the load tool's subscriber sockets); *load tool CPU s* is meetgate-load's own CPU
for the whole cell (setup, window, grace); *load avg* is the machine's 1-minute load average
before and after the cell. Rows of round *storm* (`--storm N`, meetgate-load `--join-storm`)
measure the joins only: N subscribers join at once and the media window lasts 1 s.

### Ratios

%(ratios)s

%(notes)s

## How to rerun

```sh
apt-get install -y janus            # Janus 1.1.2 from Debian 12; not needed by CI
meson setup build && ninja -C build
%(rerun)s
```

It needs root (for `unshare -n`) and writes this file; `--out -` prints it instead, `--subs`,
`--publishers`, `--duration` set the matrix. One cell by hand, against a running server:

```sh
build/tests/bench/meetgate-load --target meetgate --url http://127.0.0.1:8080 --secret <server.secret> \\
    --subscribers 100 --duration 20 --server-pid $(pidof meetgate)
build/tests/bench/meetgate-load --target janus --url http://127.0.0.1:8088/janus --subscribers 100 \\
    --server-pid $(pidof janus)
```

`--ramp` adds `--ramp-step` subscribers per step until loss exceeds 0.1 %%, a join fails, or the
server process uses more than 95 %% of a core (or `--subscribers` is reached), and reports each step.
Every run prints a table and one JSON line with all figures. With `--publishers P`, a meetgate
subscriber offers P audio and P video m-lines and a Janus subscriber subscribes to every feed; the
tool counts packets by the publisher named in each payload, so a publisher that no m-line follows
shows as loss. Only one publisher was measured above.

## Raw results

```
%(json)s
```
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--subs", default="50,100,200")
    ap.add_argument("--publishers", type=int, default=1)
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--servers", default="meetgate,janus,janus-el")
    ap.add_argument("--server-cpu", default="0")
    ap.add_argument("--load-cpu", default="1" if os.cpu_count() > 1 else "0")
    ap.add_argument("--nice", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--storm", type=int, default=0, help="then a join storm of this many subscribers per server")
    ap.add_argument("--notes", default="", help="text (or @file) added to the document under the ratios")
    ap.add_argument("--save", help="also write the raw results (JSON) here")
    ap.add_argument("--from-json", help="write the document from results saved by --save; run nothing")
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "docs", "benchmarks.md"))
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    args.subs = [int(s) for s in args.subs.split(",")]
    if args.notes.startswith("@"):
        with open(args.notes[1:]) as f:
            args.notes = f.read()
    out = "/dev/stdout" if args.out == "-" else args.out
    if args.from_json:
        with open(args.from_json) as f:
            saved = json.load(f)
        for k in ["publishers", "subs", "duration", "rounds", "nice", "server_cpu", "load_cpu", "storm"]:
            setattr(args, k, saved["args"].get(k, 0))
        write_doc(out, args, saved["results"], saved["started"])
        print("wrote", out)
        return
    if "janus" in args.servers and not shutil.which("janus"):
        sys.exit("janus is not installed: apt-get install -y janus (or --servers meetgate)")
    netns_reexec()
    started = datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")
    tmp = tempfile.mkdtemp(prefix="mg-compare-")
    results = []
    try:
        for args.round in range(1, args.rounds + 1):
            for subs in args.subs:
                for kind in args.servers.split(","):
                    print("== round %d: %s, %d subscribers" % (args.round, kind, subs), flush=True)
                    try:
                        results.append(run_cell(args, kind, subs, tmp))
                    except Exception as e:  # a cell that fails is reported, not hidden
                        results.append({"target": kind, "subscribers": subs, "round": args.round, "error": str(e)})
        args.round = "storm"
        for kind in args.servers.split(",") if args.storm else []:
            print("== join storm: %s, %d subscribers" % (kind, args.storm), flush=True)
            try:
                results.append(run_cell(args, kind, args.storm, tmp))
            except Exception as e:
                results.append({"target": kind, "subscribers": args.storm, "round": "storm", "error": str(e)})
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.save:
        with open(args.save, "w") as f:
            json.dump({"started": started, "results": results,
                       "args": {k: getattr(args, k) for k in ["publishers", "subs", "duration", "rounds", "nice",
                                                               "server_cpu", "load_cpu", "storm"]}}, f, indent=1)
    write_doc(out, args, results, started)
    print("wrote", out)


if __name__ == "__main__":
    main()

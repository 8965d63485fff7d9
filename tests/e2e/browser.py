# SPDX-License-Identifier: MIT
"""Headless Chromium for the end-to-end tests, driven over chromedriver's plain
W3C WebDriver HTTP API (stdlib only: no selenium, no npm).

One Browser is one chromedriver process on 127.0.0.1 and one session (one
Chromium) with a fresh profile directory. close() (also run at exit) ends the
session, then finds every process that is still this browser's -- by process
tree, by a tag in the environment, by its temp dir on the command line -- and
ends exactly those, nothing else, and reaps them."""
import atexit
import base64
import functools
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

CHROMIUM = os.environ.get("MG_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("MG_CHROMEDRIVER", "/usr/bin/chromedriver")
TAG_VAR = "MG_E2E_TAG"

CHROME_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    # Not from the list in TESTING.md, but harmless: let <video> play unmuted
    # without a gesture, and keep the fake devices' timers running headless.
    "--autoplay-policy=no-user-gesture-required", "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding", "--window-size=800,600",
]


class WebDriverError(RuntimeError):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stat(pid):
    """(ppid, start time, state) of pid, or None once it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[1]), int(fields[19]), fields[0]
    except (OSError, IndexError, ValueError):
        return None


def _all_pids():
    return [int(d) for d in os.listdir("/proc") if d.isdigit()]


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def _on_sigterm(signum, frame):
    raise KeyboardInterrupt("SIGTERM")  # unwinds through unittest; atexit then closes the browsers


_setup_done = False


def _setup_once():
    global _setup_done
    if _setup_done:
        return
    _setup_done = True
    _become_subreaper()
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)


def _become_subreaper():
    """Orphaned descendants (Chromium's crashpad handler double-forks) are
    re-parented to us rather than to pid 1, so we can end and reap them: in a
    container pid 1 may never reap, and they would stay as zombies."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


class _Owned:
    """The processes that belong to one Browser: chromedriver's descendants,
    anything carrying our environment tag (Chromium children overwrite their
    environ with their title, so not all do) and anything naming our temp dir
    on its command line. Remembered by (pid, start time) so a reused pid is
    never taken for ours."""

    def __init__(self, root, tag, tmp):
        self.root, self.tmp = root, tmp.encode()
        self.tag = ("%s=%s" % (TAG_VAR, tag)).encode()
        self.known = {}

    def scan(self):
        procs = {}
        for pid in _all_pids():
            st = _stat(pid)
            if st:
                procs[pid] = st
        for pid, (ppid, start, state) in procs.items():
            if pid == os.getpid() or self.known.get(pid) == start:
                continue
            if (pid == self.root or self.tag in _read("/proc/%d/environ" % pid).split(b"\0")
                    or self.tmp in _read("/proc/%d/cmdline" % pid)):
                self.known[pid] = start
        # descendants of anything known (fixed point over the ppid links)
        grown = True
        while grown:
            grown = False
            for pid, (ppid, start, state) in procs.items():
                if pid not in self.known and ppid in self.known and pid != os.getpid():
                    self.known[pid] = start
                    grown = True
        return self.alive()

    def alive(self):
        """Known pids still present (zombies included), with their state."""
        out = {}
        for pid, start in self.known.items():
            st = _stat(pid)
            if st and st[1] == start:
                out[pid] = st[2]
        return out

    def kill_and_reap(self, timeout=5):
        deadline = time.time() + timeout
        while True:
            left = self.scan()
            for pid, state in left.items():
                if state != "Z":
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                try:  # ours to reap when it is our child (directly or as subreaper)
                    os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    pass
            if not left or time.time() > deadline:
                return left
            time.sleep(0.05)


class Driven:
    """What Browser and firefox.Firefox share: the context manager, call(),
    writing a screenshot, the end of close() and the registry of sessions
    that are closed at exit. A subclass sets name, proc, owned, tmp, _log."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def call(self, expr_promise, *args):
        """Awaits a promise-returning JS expression; JS exceptions come back as WebDriverError."""
        script = ("const done = arguments[arguments.length - 1];"
                  "Promise.resolve().then(() => %s).then("
                  "v => done({ok: true, value: v}), e => done({ok: false, error: String(e) + (e && e.stack ? '\\n' + e.stack : '')}));"
                  % expr_promise)
        r = self.execute_async(script, *args)
        if not r or not r.get("ok"):
            raise WebDriverError("%s: %s" % (self.name, r and r.get("error")))
        return r["value"]

    @staticmethod
    def _write_png(path, b64):
        with open(path, "wb") as f:
            f.write(base64.b64decode(b64))
        return path

    def _stop(self, grace_s=0):
        """Waits grace_s for the driven process to exit, then terminates (and
        kills) it, ends any process of ours still there, reaps what is ours to
        reap and removes the temp dir."""
        if self.proc and self.proc.poll() is None:
            try:
                if grace_s <= 0:
                    raise subprocess.TimeoutExpired(self.proc.args, 0)
                self.proc.wait(grace_s)
            except subprocess.TimeoutExpired:
                self.proc.terminate()
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        if self.owned:
            self.owned.kill_and_reap()
        self._log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        _live.discard(self)

    def leftovers(self):
        """Processes of this browser still present after close(), zombies included: {pid: state}."""
        return self.owned.alive() if self.owned else {}


class Browser(Driven):
    """A chromedriver plus one Chromium session."""

    def __init__(self, name="browser", extra_args=(), timeout=30):
        self.name = name
        _setup_once()
        self.tag = uuid.uuid4().hex
        self.tmp = tempfile.mkdtemp(prefix="mg-e2e-%s-" % name)
        self.proc = None
        self.owned = None
        self.profile = os.path.join(self.tmp, "profile")
        os.mkdir(self.profile)
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.session = None
        self.driver_log = os.path.join(self.tmp, "chromedriver.log")
        env = dict(os.environ, **{TAG_VAR: self.tag})
        self._log = open(self.driver_log, "w")
        try:
            self.proc = subprocess.Popen(
                [CHROMEDRIVER, "--port=%d" % self.port, "--allowed-ips=127.0.0.1", "--log-level=WARNING"],
                stdout=self._log, stderr=subprocess.STDOUT, env=env)
            self.owned = _Owned(self.proc.pid, self.tag, self.tmp)
            _live.add(self)
            self._wait_ready(timeout)
            caps = {"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                # navigate returns at DOMContentLoaded: the pages start their
                # work from inline scripts and report through window.session.
                "pageLoadStrategy": "eager",
                "goog:chromeOptions": {
                    "binary": CHROMIUM,
                    "args": CHROME_ARGS + ["--user-data-dir=" + self.profile] + list(extra_args),
                },
                "goog:loggingPrefs": {"browser": "ALL"},
            }}}
            value = self._call("POST", "/session", caps, timeout=60)
            self.session = value["sessionId"]
            self._call("POST", self._s("/timeouts"), {"script": 60000, "pageLoad": 30000})
        except BaseException:
            self.close()
            raise

    def _s(self, path):
        return "/session/%s%s" % (self.session, path)

    def _wait_ready(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise WebDriverError("chromedriver exited with %d: %s" % (self.proc.returncode, self.log_text()))
            try:
                if self._call("GET", "/status", timeout=2).get("ready"):
                    return
            except (OSError, WebDriverError):
                pass
            time.sleep(0.05)
        raise WebDriverError("chromedriver did not become ready: " + self.log_text())

    def _call(self, method, path, body=None, timeout=90):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                payload = json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as e:
            try:
                v = json.loads(e.read()).get("value", {})
            except ValueError:
                v = {}
            raise WebDriverError("%s %s: %s: %s" % (method, path, v.get("error", e.code),
                                                    str(v.get("message", ""))[:2000])) from None
        return payload.get("value")

    def log_text(self):
        try:
            with open(self.driver_log) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    # ---- WebDriver commands ----

    def navigate(self, url):
        self._call("POST", self._s("/url"), {"url": url})

    def execute(self, script, *args):
        return self._call("POST", self._s("/execute/sync"), {"script": script, "args": list(args)})

    def execute_async(self, script, *args):
        """script gets its callback as the last argument."""
        return self._call("POST", self._s("/execute/async"), {"script": script, "args": list(args)})

    def screenshot(self, path):
        return self._write_png(path, self._call("GET", self._s("/screenshot")))

    def console_log(self):
        """The page's console messages so far (chromedriver's legacy log endpoint)."""
        try:
            return self._call("POST", self._s("/se/log"), {"type": "browser"}) or []
        except WebDriverError:
            return []

    def close(self):
        """Ends the session (Chromium), chromedriver, then any process of ours
        still there, reaps what is ours to reap, and removes the temp dir."""
        if self.owned:
            self.owned.scan()  # while the tree is whole
        if self.session and self.proc and self.proc.poll() is None:
            try:
                self._call("DELETE", self._s(""), timeout=15)
            except (OSError, WebDriverError):
                pass
        self.session = None
        self._stop()


_live = set()


@atexit.register
def _close_all():
    for b in list(_live):
        b.close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


class PageServer:
    """Serves a folder of test pages on 127.0.0.1 from a thread."""

    def __init__(self, directory):
        handler = functools.partial(_QuietHandler, directory=directory)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

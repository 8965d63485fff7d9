# SPDX-License-Identifier: MIT
"""Headless Chromium for the end-to-end tests, driven over chromedriver's plain
W3C WebDriver HTTP API (stdlib only: no selenium, no npm).

One Browser is one chromedriver process on 127.0.0.1 and one session (one
Chromium) with a fresh profile directory. Every process it starts carries a
tag in its environment, so cleanup can find and end exactly those processes
(and nothing else) even if chromedriver died before ending its Chromium."""
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


def tagged_pids(tag):
    """Processes whose environment carries our tag (ours, by construction)."""
    pids = []
    needle = ("%s=%s" % (TAG_VAR, tag)).encode()
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open("/proc/%s/environ" % d, "rb") as f:
                if needle in f.read().split(b"\0"):
                    pids.append(int(d))
        except OSError:
            pass
    return pids


class Browser:
    """A chromedriver plus one Chromium session."""

    def __init__(self, name="browser", extra_args=(), timeout=30):
        self.name = name
        self.tag = uuid.uuid4().hex
        self.tmp = tempfile.mkdtemp(prefix="mg-e2e-%s-" % name)
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
                stdout=self._log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
            self._wait_ready(timeout)
            caps = {"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
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

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

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

    def call(self, expr_promise, *args):
        """Awaits a promise-returning JS expression; JS exceptions come back as WebDriverError."""
        script = ("const done = arguments[arguments.length - 1];"
                  "Promise.resolve().then(() => %s).then("
                  "v => done({ok: true, value: v}), e => done({ok: false, error: String(e && e.stack || e)}));"
                  % expr_promise)
        r = self.execute_async(script, *args)
        if not r or not r.get("ok"):
            raise WebDriverError("%s: %s" % (self.name, r and r.get("error")))
        return r["value"]

    def screenshot(self, path):
        png = base64.b64decode(self._call("GET", self._s("/screenshot")))
        with open(path, "wb") as f:
            f.write(png)
        return path

    def console_log(self):
        """The page's console messages so far (chromedriver's legacy log endpoint)."""
        try:
            return self._call("POST", self._s("/se/log"), {"type": "browser"}) or []
        except WebDriverError:
            return []

    def close(self):
        """Ends the session, chromedriver, any process still carrying our tag, and the temp dir."""
        if self.session and self.proc.poll() is None:
            try:
                self._call("DELETE", self._s(""), timeout=15)
            except (OSError, WebDriverError):
                pass
        self.session = None
        if getattr(self, "proc", None) and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for _ in range(50):
            pids = tagged_pids(self.tag)
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)
        self._log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def leftovers(self):
        return tagged_pids(self.tag)


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

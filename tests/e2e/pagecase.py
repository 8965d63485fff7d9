# SPDX-License-Identifier: MIT
"""What the meeting-page e2e tests share: a meetgate with a server secret and
an operator key, browsers that are closed at the end of each test, the admin
API, and waiting on the page's state snapshot (window.__meetgate.snapshot()).

A test module sets BINARY, SECRET and OPS_KEY on its PageCase subclass after
rtcpeers.netns_reexec() has put it in the loopback-only namespace."""
import atexit
import json
import os
import time
import unittest

from browser import Browser
from mgtest import Daemon
from rtcpeers import http


class PageCase(unittest.TestCase):
    BINARY = "build/meetgate"
    SECRET = None
    OPS_KEY = None
    DAEMON_OPTIONS = ()
    CHECK_LEFTOVERS = False  # each browser must leave no process behind

    def setUp(self):
        self.browsers = []
        self.d = Daemon(self.BINARY, ["-o", "server.secret=" + self.SECRET, "-o", "media.addresses=127.0.0.1",
                                      "-o", "admin.keys=ops:operator:" + self.OPS_KEY] + list(self.DAEMON_OPTIONS))
        atexit.register(self.d.cleanup)

    def tearDown(self):
        show = bool(os.environ.get("MG_SHOW_LOG")) or self._failed()
        for b in self.browsers:
            if show:
                print("---- %s: browser output (tail)\n%s" % (b.name, b.log_text()[-6000:]))
            b.close()
            if self.CHECK_LEFTOVERS:
                self.assertEqual(b.leftovers(), {}, "%s left processes behind" % b.name)
        crashed = self.d.proc.poll() is not None
        log = self.d.log_text()
        if crashed or show:
            print("---- meetgate log (tail)\n" + log[-8000:])
        self.assertNotIn(self.SECRET, log)
        self.assertNotIn(self.OPS_KEY, log)
        self.d.cleanup()
        self.assertFalse(crashed, "meetgate exited")

    def _failed(self):
        outcome = getattr(self, "_outcome", None)
        result = getattr(outcome, "result", None)
        if result is None:
            return False
        return any(t is self for t, _ in list(result.failures) + list(result.errors))

    def api(self, method, path, body=None):
        """(status, decoded JSON answer) of an admin-key request."""
        status, _, text = http(method, self.d.url + path, json.dumps(body).encode() if body is not None else None,
                               {"Authorization": "Bearer " + self.OPS_KEY, "Content-Type": "application/json"})
        return status, json.loads(text) if text else None

    def room(self, **body):
        status, answer = self.api("POST", "/api/v1/rooms", body)
        self.assertEqual(status, 201, answer)
        return answer

    def chromium(self, name, extra_args=(), size="1280,800"):
        b = Browser(name, ["--window-size=" + size] + list(extra_args))
        self.browsers.append(b)
        return b

    def snapshot(self, b):
        return b.call("window.__meetgate ? window.__meetgate.snapshot() : null")

    def wait(self, b, pred, timeout=25, what="state"):
        deadline, snap = time.time() + timeout, None
        while time.time() < deadline:
            try:
                snap = self.snapshot(b)
            except Exception:  # noqa: BLE001 - the page may still be loading
                snap = None
            if snap and pred(snap):
                return snap
            time.sleep(0.3)
        self.fail("%s: no %s; last snapshot %s" % (b.name, what, json.dumps(snap)[:2000]))

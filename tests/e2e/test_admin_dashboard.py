#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The admin dashboard in headless Chromium, in a loopback-only namespace:
sign in with an admin key, watch a room with two Chromium participants update
live, remove one of them (their page says an admin removed them), and take a
screenshot of the dashboard.

usage: test_admin_dashboard.py <meetgate binary> [<output dir for screenshots>]"""
import os
import shutil
import tempfile
import time
import unittest

from e2eboot import start  # sets sys.path: first

BINARY, OUT_DIR = start()

from pagecase import PageCase  # noqa: E402

SECRET = "dashboard-e2e-secret-0123456789abcdef012345"
OPS_KEY = "dashboard-e2e-operator-key-0123"
SHARED_COPY = "/tmp/meetgate-admin-dashboard.png"


class Dashboard(PageCase):
    BINARY, SECRET, OPS_KEY = BINARY, SECRET, OPS_KEY

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="mg-dashboard-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        super().tearDown()

    def wait_js(self, b, expr, timeout=30, what="condition"):
        deadline, last = time.time() + timeout, None
        while time.time() < deadline:
            try:
                last = b.execute("return " + expr)
            except Exception as e:  # noqa: BLE001 - the page may still be loading
                last = repr(e)
            if last:
                return last
            time.sleep(0.3)
        self.fail("%s: no %s (last: %r)" % (b.name, what, last))

    def join(self, b, link, name):
        b.navigate(link)
        self.wait(b, lambda s: s["phase"] == "prejoin", 30, "pre-join")
        b.execute("document.getElementById('name-input') && (document.getElementById('name-input').value = arguments[0]);"
                  "document.getElementById('join-btn').click();", name)
        self.wait(b, lambda s: s["phase"] == "meeting", 30, "meeting view")

    def people_in_row(self, admin, room_id):
        return admin.execute(
            "const r = document.querySelector('#rooms tr[data-room=\"' + arguments[0] + '\"]');"
            "return r ? Number(r.querySelector('[data-field=participants]').textContent) : null;", room_id)

    def test_watch_and_remove(self):
        r = self.room(title="Quarterly review")
        room_id = r["room"]["id"]
        ada, bob = self.chromium("ada"), self.chromium("bob")
        admin = self.chromium("admin", size="1440,900")
        self.join(ada, r["links"]["host"], "Ada")

        # Sign in: a wrong key is refused, the right one opens the dashboard.
        admin.navigate(self.d.url + "/admin")
        self.wait_js(admin, "!document.getElementById('signin').hidden", what="sign-in form")
        admin.execute("document.getElementById('key').value = 'wrong-key-0123456789abcdef';"
                      "document.getElementById('signin-button').click();")
        self.wait_js(admin, "!document.getElementById('signin-error').hidden", what="refusal")
        admin.execute("document.getElementById('key').value = arguments[0];"
                      "document.getElementById('signin-button').click();", OPS_KEY)
        self.wait_js(admin, "document.getElementById('live-state').textContent === 'live'", what="live feed")
        self.assertEqual(admin.execute("return sessionStorage.getItem('meetgate-admin-key')"), OPS_KEY)
        self.assertEqual(self.wait_js(admin, "document.querySelector('#rooms tr[data-room]') && 1", what="room row"), 1)
        self.assertEqual(self.people_in_row(admin, room_id), 1)

        # Bob joins: the table changes without a reload (the server pushes it).
        self.join(bob, r["links"]["guest"], "Bob")
        deadline = time.time() + 15
        while time.time() < deadline and self.people_in_row(admin, room_id) != 2:
            time.sleep(0.3)
        self.assertEqual(self.people_in_row(admin, room_id), 2, "the rooms table did not update live")

        admin.execute("document.querySelector('#rooms tr[data-room=\"' + arguments[0] + '\"]').click();", room_id)
        self.wait_js(admin, "[...document.querySelectorAll('.person')].map(p => p.dataset.name).sort().join() === 'Ada,Bob'",
                     what="both participants in the room view")
        # Stream health: both publish, so bitrate shows up in the track tables after a few pushes.
        self.wait_js(admin, "[...document.querySelectorAll('.person .tracks tbody tr')].some(tr => /kb\\/s|Mb\\/s/.test(tr.textContent))",
                     timeout=30, what="bitrate in the track tables")
        time.sleep(4)  # a few more samples for the charts
        shot = os.path.join(self.tmp, "admin-dashboard.png")
        admin.screenshot(shot)
        shutil.copyfile(shot, SHARED_COPY)
        shutil.copyfile(shot, os.path.join(OUT_DIR, "admin-dashboard.png"))
        print("dashboard screenshot: %s (copies: %s, %s)" % (shot, SHARED_COPY,
                                                             os.path.join(OUT_DIR, "admin-dashboard.png")))

        # Remove Bob, through the confirmation dialog.
        admin.execute("document.querySelector('.person[data-name=Bob] .act-remove').click();")
        self.wait_js(admin, "document.getElementById('confirm').open", what="confirmation dialog")
        admin.execute("document.getElementById('confirm-ok').click();")
        self.wait(bob, lambda s: s["screen"] == "removed_by_admin", 30, "Bob's removed screen")
        text = bob.execute("return document.body.innerText")
        self.assertIn("removed by an admin", text)
        self.wait_js(admin, "[...document.querySelectorAll('.person')].map(p => p.dataset.name).join() === 'Ada'",
                     what="Bob gone from the room view")
        self.assertEqual(self.people_in_row(admin, room_id), 1)
        self.wait_js(admin, "/remove/.test(document.getElementById('audit').innerText)", what="the audit entry")
        status, audit = self.api("GET", "/api/v1/admin/audit?action=remove")
        entries = audit["entries"]
        self.assertEqual([(e["key"], e["result"]) for e in entries], [("ops", "ok")])


if __name__ == "__main__":
    unittest.main(verbosity=2)

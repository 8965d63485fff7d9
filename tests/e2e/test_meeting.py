#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Join by link in headless Chromium: the meeting page served by meetgate at
/j/<code>, the signaling WebSocket and the SFU, in a loopback-only namespace.

usage: test_meeting.py <meetgate binary> [<output dir for screenshots>]"""
import os
import time
import unittest
import urllib.parse

from e2eboot import start  # sets sys.path: first

BINARY, OUT_DIR = start()

from pagecase import PageCase  # noqa: E402

SECRET = "meeting-e2e-secret-0123456789abcdef0123456789"
OPS_KEY = "meeting-e2e-operator-key-0123"
# getDisplayMedia without a picker in headless Chromium.
SHARE_ARGS = ["--auto-select-desktop-capture-source=Entire screen", "--enable-usermedia-screen-capturing"]


class Meeting(PageCase):
    BINARY, SECRET, OPS_KEY = BINARY, SECRET, OPS_KEY

    def browser(self, name, share=False):
        return self.chromium(name, SHARE_ARGS if share else ())

    def open_and_join(self, b, link, name):
        b.navigate(link)
        self.wait(b, lambda s: s["screen"] == "prejoin" or s["phase"] == "prejoin", what="pre-join screen")
        b.execute("document.getElementById('name-input') && (document.getElementById('name-input').value = arguments[0]);"
                  "document.getElementById('join-btn').click();", name)

    def shot(self, b, name):
        path = os.path.join(OUT_DIR, "meeting-%s.png" % name)
        b.screenshot(path)
        print("screenshot: %s" % path)

    def test_two_people_meet_share_and_leave(self):
        r = self.room(title="Weekly sync")
        ada, bob = self.browser("ada", share=True), self.browser("bob")
        ada.navigate(r["links"]["host"])
        self.wait(ada, lambda s: s["phase"] == "prejoin", what="pre-join")
        time.sleep(1.0)  # let the preview and the level meter run
        self.shot(ada, "prejoin")
        self.open_and_join(ada, r["links"]["host"], "Ada")
        self.wait(ada, lambda s: s["phase"] == "meeting", what="meeting view")
        self.open_and_join(bob, r["links"]["guest"], "Bob")
        both = lambda s: s["phase"] == "meeting" and len(s["participants"]) >= 1  # noqa: E731
        sa = self.wait(ada, lambda s: both(s) and s["inbound"]["video"]["framesDecoded"] > 10
                       and s["inbound"]["audio"]["packetsReceived"] > 10, 40, "Bob's media")
        sb = self.wait(bob, lambda s: both(s) and s["inbound"]["video"]["framesDecoded"] > 10
                       and s["inbound"]["audio"]["packetsReceived"] > 10, 40, "Ada's media")
        print("Ada decodes %s; Bob decodes %s" % (sa["inbound"], sb["inbound"]))
        self.assertEqual({p["name"] for p in sb["participants"]}, {"Ada"})
        self.shot(bob, "two-people")

        # Ada shares her screen: Bob gets an extra video track from her, source "screen".
        ada.call("(async () => { document.getElementById('ctl-share').click(); })()")
        s = self.wait(ada, lambda s: s["sharing"], 20, "Ada sharing")
        sb = self.wait(bob, lambda s: any(r["source"] == "screen" for r in s["remote"]), 30, "the screen track")
        self.assertTrue(any(r["participant"] == sa["me"]["id"] and r["source"] == "screen" for r in sb["remote"]))
        self.shot(bob, "screen-share")

        # Ada (host) goes live from her panel: Bob's page shows the LIVE badge and the HLS viewer link.
        ada.execute("document.getElementById('ctl-people').click();")
        time.sleep(0.5)
        label = ada.execute("const b = document.getElementById('live-btn');"
                            "return b && b.offsetParent !== null ? b.textContent : null;")
        self.assertEqual(label, "Go live", "no visible Go live button on the host's page")
        ada.execute("document.getElementById('live-btn').click();")
        sb = self.wait(bob, lambda s: s["live"]["active"], 20, "the live stream on Bob's page")
        self.assertEqual(sb["live"]["kind"], "hls")
        self.assertTrue(sb["live"]["url"].endswith("/live/%s/playlist.m3u8" % r["room"]["id"]), sb["live"])
        self.assertTrue(bob.execute("return !document.getElementById('live-badge').hidden;"), "no LIVE badge")
        self.assertEqual(bob.execute("return document.getElementById('live-url').value;"), sb["live"]["url"])
        self.shot(bob, "live")
        self.shot(ada, "live-host-panel")
        ada.execute("document.getElementById('live-btn').click();")  # now Stop live
        self.wait(bob, lambda s: not s["live"]["active"], 20, "the live stream stopped on Bob's page")
        self.assertTrue(bob.execute("return document.getElementById('live-badge').hidden;"), "LIVE badge left")

        # Bob leaves: Ada sees him go.
        bob.execute("document.getElementById('ctl-leave').click();")
        self.wait(ada, lambda s: not s["participants"], 20, "Bob gone")
        self.assertEqual(self.snapshot(ada)["errors"], [])

    def test_wrong_room_and_lobby(self):
        a = self.room(title="A")
        b = self.room(title="B", policy="lobby")
        # A link whose token is for room A, opened at room B's address.
        token_a = urllib.parse.parse_qs(urllib.parse.urlparse(a["links"]["guest"]).query)["t"][0]
        wrong = "%s/j/%s?t=%s" % (self.d.url, b["room"]["code"], token_a)
        host, guest, stranger = self.browser("host"), self.browser("guest"), self.browser("stranger")
        self.open_and_join(stranger, wrong, "Eve")
        self.wait(stranger, lambda s: s["screen"] == "wrong_room", what="the wrong-room screen")
        self.shot(stranger, "wrong-room")
        # Lobby: the guest waits until the host admits them.
        self.open_and_join(host, b["links"]["host"], "Host")
        self.wait(host, lambda s: s["phase"] == "meeting", what="host in")
        self.open_and_join(guest, b["links"]["guest"], "Visitor")
        self.wait(guest, lambda s: s["phase"] == "lobby", what="the lobby screen")
        s = self.wait(host, lambda s: s["lobby"], what="lobby entry on the host's page")
        # The host's panel lists the waiting guest with an Admit button.
        host.execute("document.getElementById('ctl-people').click();")
        time.sleep(0.5)
        clicked = host.execute(
            "const b = [...document.querySelectorAll('button')].find(b => /admit/i.test(b.textContent));"
            "if (b) { b.click(); return true; } return false;")
        self.assertTrue(clicked, "no Admit button on the host's page")
        self.wait(guest, lambda s: s["phase"] == "meeting", what="the guest admitted")


if __name__ == "__main__":
    unittest.main(verbosity=2)

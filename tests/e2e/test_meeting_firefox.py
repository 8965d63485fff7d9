#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The meeting page in headless Firefox (ESR, over Marionette): a Firefox and
a Chromium participant join one room through their /j/ links and each decodes
the other's video and receives the other's audio through the SFU; Firefox's
pre-join screen renders; a Firefox given a link for another room sees the
wrong-room screen. Loopback-only namespace, like every WebRTC test.

A third check (its own meson test, meeting-firefox-later-joiner): the last
other participant leaves, a new one joins, and Firefox must decode the
newcomer (the server reuses the ended m-lines of its subscribe connection).

usage: test_meeting_firefox.py <meetgate binary> [<output dir for screenshots>] [unittest names...]"""
import json
import os
import sys
import time
import unittest
import urllib.parse

from e2eboot import start  # sets sys.path: first

BINARY, OUT_DIR = start()

from firefox import Firefox  # noqa: E402
from pagecase import PageCase  # noqa: E402

SECRET = "meeting-ff-e2e-secret-0123456789abcdef0123456789"
OPS_KEY = "meeting-ff-e2e-operator-key-0123"

# Run before the page creates its peer connections and its WebSocket: keeps
# the connections reachable from the test (the page holds them in module
# scope) to read transport stats, and records the server's `error` messages.
# Test instrumentation only; the page's own code is unchanged.
TRACK_PCS = """
if (!window.__mgPcs) {
  window.__mgPcs = [];
  window.__mgServerErrors = [];
  const Orig = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Orig {
    constructor(...a) { super(...a); window.__mgPcs.push(this); }
  };
  const OrigWS = window.WebSocket;
  window.WebSocket = class extends OrigWS {
    constructor(...a) {
      super(...a);
      this.addEventListener('message', (ev) => {
        let m = null;
        try { m = JSON.parse(ev.data); } catch (e) { return; }
        if (m && m.type === 'error') window.__mgServerErrors.push({code: m.code, message: m.message});
      });
    }
  };
}
return typeof window.__meetgate;
"""

# What each peer connection negotiated, from getStats: DTLS/SRTP ciphers
# (where the browser reports them: "transport" stats, else the candidate
# pair), the selected candidate pair, and the codecs in use.
TRANSPORT_INFO = """(async () => {
  const out = [];
  for (const pc of window.__mgPcs || []) {
    const info = {connectionState: pc.connectionState, types: {}, codecs: []};
    const stats = await pc.getStats();
    const byId = new Map();
    stats.forEach((r) => byId.set(r.id, r));
    stats.forEach((r) => {
      info.types[r.type] = (info.types[r.type] || 0) + 1;
      if (r.type === 'transport') {
        for (const k of ['dtlsState', 'dtlsCipher', 'srtpCipher', 'tlsVersion', 'dtlsRole'])
          if (r[k] !== undefined) info[k] = r[k];
      }
      if (r.type === 'candidate-pair' && (r.selected || r.nominated) && r.state === 'succeeded') {
        const l = byId.get(r.localCandidateId) || {}, rm = byId.get(r.remoteCandidateId) || {};
        info.pair = (l.address || l.ipAddress) + ':' + l.port + ' -> ' + (rm.address || rm.ipAddress) + ':' + rm.port
          + ' ' + (l.protocol || '') + ' ' + (l.candidateType || '');
      }
      if (r.type === 'codec') info.codecs.push(r.mimeType);
    });
    info.codecs = [...new Set(info.codecs)].sort();
    out.push(info);
  }
  return out;
})()"""


# The page's media elements: remote audio playing, remote video with frames.
PLAYBACK = """
const received = new Set();
for (const pc of window.__mgPcs || []) for (const r of pc.getReceivers()) received.add(r.track);
const remote = (el) => !!el.srcObject && el.srcObject.getTracks().some((t) => received.has(t));
return {
  audio: [...document.querySelectorAll('audio')].map((a) => ({remote: remote(a), paused: a.paused,
    t: a.currentTime, ready: a.readyState})),
  video: [...document.querySelectorAll('video')].map((v) => ({remote: remote(v), w: v.videoWidth,
    h: v.videoHeight, paused: v.paused, t: v.currentTime})),
};
"""


class FirefoxMeeting(PageCase):
    BINARY, SECRET, OPS_KEY = BINARY, SECRET, OPS_KEY
    CHECK_LEFTOVERS = True

    def firefox(self, name):
        # The stored camera/microphone permission for meetgate's origin is what
        # a user grants at the prompt; without it Firefox gathers no candidate
        # in a namespace without a default route (see firefox.grant_file).
        b = Firefox(name, media_origins=[self.d.url])
        self.browsers.append(b)
        return b

    def open_and_join(self, b, link, name, track_pcs=False):
        b.navigate(link)
        self.wait(b, lambda s: s["screen"] == "prejoin" or s["phase"] == "prejoin", what="pre-join screen")
        if track_pcs:
            self.assertEqual(b.execute(TRACK_PCS), "object")
        b.execute("document.getElementById('name-input') && (document.getElementById('name-input').value = arguments[0]);"
                  "document.getElementById('join-btn').click();", name)

    def shot(self, b, name):
        path = os.path.join(OUT_DIR, "meeting-firefox-%s.png" % name)
        b.screenshot(path)
        print("screenshot: %s" % path)
        return path

    @staticmethod
    def decoding(s, base=None):
        base = base or {"video": {"framesDecoded": 0}, "audio": {"packetsReceived": 0}}
        return (s["phase"] == "meeting" and len(s["participants"]) >= 1
                and s["inbound"]["video"]["framesDecoded"] > base["video"]["framesDecoded"] + 10
                and s["inbound"]["audio"]["packetsReceived"] > base["audio"]["packetsReceived"] + 10)

    def meet(self, fox, chro, r, chro_name="Chro"):
        """Firefox joins as host, then Chromium as guest; both decode each other."""
        self.open_and_join(fox, r["links"]["host"], "Fox", track_pcs=True)
        self.wait(fox, lambda s: s["phase"] == "meeting", what="meeting view")
        self.open_and_join(chro, r["links"]["guest"], chro_name, track_pcs=True)
        t_join = time.time()
        sf = self.wait(fox, self.decoding, 40, "Chromium's media in Firefox")
        sc = self.wait(chro, self.decoding, 40, "Firefox's media in Chromium")
        print("both decoding %.1f s after Chromium clicked join" % (time.time() - t_join))
        print("Firefox receives %s; Chromium receives %s" % (sf["inbound"], sc["inbound"]))
        self.assertEqual({p["name"] for p in sf["participants"]}, {chro_name})
        self.assertEqual({p["name"] for p in sc["participants"]}, {"Fox"})
        self.assertTrue(any(x["participant"] == sc["me"]["id"] and x["kind"] == "video" for x in sf["remote"]), sf)
        self.assertTrue(any(x["participant"] == sf["me"]["id"] and x["kind"] == "audio" for x in sc["remote"]), sc)
        return sf, sc

    def server_errors(self, b):
        """The server's error messages to the page (candidates trickled before
        the publish answer are queued by the server, so none is expected)."""
        return b.execute("return window.__mgServerErrors")

    def test_firefox_and_chromium_meet(self):
        r = self.room(title="Cross-browser sync")
        t0 = time.time()
        fox = self.firefox("fox")
        print("%s started in %.1f s" % (fox.version, time.time() - t0))
        chro = self.chromium("chro")

        # Firefox's pre-join screen: preview from the fake camera, name field, join button.
        fox.navigate(r["links"]["host"])
        s = self.wait(fox, lambda s: s["phase"] == "prejoin", what="pre-join")
        time.sleep(1.0)  # let the preview and the level meter run
        pre = fox.execute(
            "const v = document.getElementById('preview-video');"
            "const vis = (id) => { const e = document.getElementById(id); return !!e && !e.hidden && e.getClientRects().length > 0; };"
            "return {prejoin: vis('prejoin'), name: vis('name-input'), join: vis('join-btn'),"
            " joinText: document.getElementById('join-btn').textContent.trim(),"
            " previewW: v ? v.videoWidth : -1, previewH: v ? v.videoHeight : -1,"
            " cams: document.getElementById('cam-select').options.length,"
            " mics: document.getElementById('mic-select').options.length,"
            " notes: document.getElementById('device-notes').textContent.trim(),"
            " meter: Number(document.getElementById('meter').getAttribute('aria-valuenow'))};")
        print("Firefox pre-join: %s" % pre)
        self.shot(fox, "prejoin")
        self.assertTrue(pre["prejoin"] and pre["name"] and pre["join"], pre)
        self.assertTrue(pre["joinText"], pre)
        self.assertGreater(pre["previewW"], 0, "no camera preview in Firefox's pre-join: %s" % pre)
        self.assertGreater(pre["meter"], 0, "the microphone level meter does not move in Firefox: %s" % pre)
        self.assertEqual(s["errors"], [])

        # Both join: Firefox as host, Chromium as guest.
        sf, sc = self.meet(fox, chro, r)

        # Still flowing a moment later (not just a first burst).
        time.sleep(2.0)
        sf2, sc2 = self.snapshot(fox), self.snapshot(chro)
        self.assertGreater(sf2["inbound"]["video"]["framesDecoded"], sf["inbound"]["video"]["framesDecoded"])
        self.assertGreater(sc2["inbound"]["video"]["framesDecoded"], sc["inbound"]["video"]["framesDecoded"])
        self.assertGreater(sf2["inbound"]["audio"]["packetsReceived"], sf["inbound"]["audio"]["packetsReceived"])
        self.assertGreater(sc2["inbound"]["audio"]["packetsReceived"], sc["inbound"]["audio"]["packetsReceived"])

        for b in (fox, chro):
            play = b.execute(PLAYBACK)
            print("%s plays: %s" % (b.name, json.dumps(play)))
            self.assertTrue(any(a["remote"] and not a["paused"] and a["t"] > 0 for a in play["audio"]),
                            "%s: no remote <audio> playing: %s" % (b.name, play))
            self.assertTrue(any(v["remote"] and v["w"] > 0 and not v["paused"] for v in play["video"]),
                            "%s: no remote <video> showing frames: %s" % (b.name, play))
            self.assertEqual(self.server_errors(b), [], "%s: server errors" % b.name)
            for i, info in enumerate(b.call(TRANSPORT_INFO)):
                print("%s pc%d: %s" % (b.name, i, json.dumps(info, sort_keys=True)))
        self.shot(fox, "with-chromium")
        self.assertEqual(sf2["errors"], [])
        self.assertEqual(sc2["errors"], [])

        # Chromium leaves: Firefox sees it go.
        chro.execute("document.getElementById('ctl-leave').click();")
        self.wait(fox, lambda s: not s["participants"], 20, "Chromium gone")

    def test_later_joiner_after_the_last_one_left(self):
        r = self.room(title="Comings and goings")
        fox, first = self.firefox("fox"), self.chromium("first")
        self.meet(fox, first, r, "First")
        first.execute("document.getElementById('ctl-leave').click();")
        self.wait(fox, lambda s: not s["participants"], 20, "First gone")
        time.sleep(1.0)  # the server re-offers the subscription without First's tracks
        second = self.chromium("second")
        self.open_and_join(second, r["links"]["guest"], "Second", track_pcs=True)
        ss = self.wait(second, self.decoding, 40, "Firefox's media in Second")
        # Firefox must get a subscribe offer with Second's tracks and decode them.
        deadline, start, sf = time.time() + 25, None, None
        while time.time() < deadline:
            snap = self.snapshot(fox)
            if any(x["participant"] == ss["me"]["id"] and x["kind"] == "video" for x in snap["remote"]):
                if start is None:
                    start = snap["inbound"]
                elif self.decoding(snap, start):
                    sf = snap
                    break
            time.sleep(0.3)
        errs = self.server_errors(fox)
        console = [m["message"] for m in fox.console_log() if "meetgate" in m["message"]]
        print("Firefox's page said: %s" % json.dumps(console, indent=1))
        print("server errors to Firefox's page: %s" % errs)
        self.assertIsNotNone(sf, "Firefox does not decode a participant who joined after the last one left; "
                                 "last snapshot %s" % json.dumps(self.snapshot(fox))[:2000])
        self.assertEqual(errs, [])
        print("Firefox decodes Second: %s" % sf["inbound"])

    def test_wrong_room(self):
        a = self.room(title="A")
        b = self.room(title="B")
        # A link whose token is for room A, opened at room B's address.
        token_a = urllib.parse.parse_qs(urllib.parse.urlparse(a["links"]["guest"]).query)["t"][0]
        wrong = "%s/j/%s?t=%s" % (self.d.url, b["room"]["code"], token_a)
        fox = self.firefox("stranger")
        self.open_and_join(fox, wrong, "Eve")
        s = self.wait(fox, lambda s: s["screen"] == "wrong_room", what="the wrong-room screen")
        self.assertNotEqual(s["phase"], "meeting")
        self.shot(fox, "wrong-room")


if __name__ == "__main__":
    # Exit 77 (meson's SKIP) when every test that ran was skipped.
    result = unittest.main(verbosity=2, exit=False).result
    if result.wasSuccessful() and result.testsRun and len({t.id() for t, _ in result.skipped}) == result.testsRun:
        sys.exit(77)
    sys.exit(0 if result.wasSuccessful() else 1)

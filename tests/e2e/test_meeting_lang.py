#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The meeting page in Chinese, in headless Chromium: chosen by ?lang=zh in the
link, or by the browser's language (--lang=zh-CN) when the link has none; ?lang=
wins over the browser. Every English string has a Chinese entry with the same
placeholders, and joining works from the Chinese page. A live stream that fails
(RTMP to a port where nothing listens) clears the LIVE badge and tells the host
why, in Chinese.

usage: test_meeting_lang.py <meetgate binary> [<output dir for screenshots>]"""
import os
import socket
import time
import unittest

from e2eboot import start  # sets sys.path: first

BINARY, OUT_DIR = start()

from pagecase import PageCase  # noqa: E402

SECRET = "meeting-lang-e2e-secret-0123456789abcdef012345"
OPS_KEY = "meeting-lang-e2e-operator-key-01"
ZH_ARGS = ["--lang=zh-CN", "--accept-lang=zh-CN,zh"]
EN_ARGS = ["--lang=en-US", "--accept-lang=en-US,en"]

# The texts the test looks for, written here (not read from the page's table)
# so that a wrong or missing translation fails.
ZH_HEADING, ZH_JOIN = "准备好加入了吗？", "立即加入"
EN_HEADING, EN_JOIN = "Ready to join?", "Join now"

# Runs in the page: both tables, compared key by key with their placeholders.
TABLE_CHECK = """
const m = await import('/meeting-strings.js');
const ph = (s) => (String(s).match(/\\{\\w+\\}/g) || []).sort().join(',');
const en = Object.keys(m.STRINGS_EN), zh = m.STRINGS_ZH;
return {
  count: en.length,
  missing: en.filter((k) => typeof zh[k] !== 'string' || zh[k] === ''),
  extra: Object.keys(zh).filter((k) => !(k in m.STRINGS_EN)),
  placeholders: en.filter((k) => k in zh && ph(zh[k]) !== ph(m.STRINGS_EN[k])),
  untranslated: en.filter((k) => zh[k] === m.STRINGS_EN[k] && /[a-z]{3}/.test(zh[k]) && !/meetgate/.test(zh[k])),
};
"""


def with_lang(link, lang):
    return link + ("&" if "?" in link else "?") + "lang=" + lang


class MeetingLang(PageCase):
    BINARY, SECRET, OPS_KEY = BINARY, SECRET, OPS_KEY

    def prejoin(self, b, link):
        b.navigate(link)
        return self.wait(b, lambda s: s["phase"] == "prejoin" and s["screen"] in (None, "prejoin"), what="pre-join")

    def texts(self, b):
        return b.execute("return [document.documentElement.lang, document.getElementById('prejoin-heading').textContent,"
                         " document.getElementById('join-btn').textContent];")

    def join(self, b, name):
        b.execute("document.getElementById('name-input').value = arguments[0];"
                  "document.getElementById('join-btn').click();", name)

    def test_every_string_has_chinese(self):
        r = self.room(title="Tables")
        b = self.chromium("tables", EN_ARGS)
        self.prejoin(b, r["links"]["guest"])
        got = b.call("(async () => {%s})()" % TABLE_CHECK)
        print("strings: %d keys; %s" % (got["count"], got))
        self.assertGreater(got["count"], 100)
        self.assertEqual(got["missing"], [], "keys of STRINGS without Chinese")
        self.assertEqual(got["extra"], [], "Chinese keys that English lacks")
        self.assertEqual(got["placeholders"], [], "translations whose {placeholders} differ")
        self.assertEqual(got["untranslated"], [], "Chinese entries still in English")

    def test_lang_param_and_browser_language(self):
        r = self.room(title="周会")
        # An English browser, a link with lang=zh (as posted into a zh chat): Chinese page.
        ada = self.chromium("ada-en-browser", EN_ARGS)
        s = self.prejoin(ada, with_lang(r["links"]["host"], "zh"))
        self.assertEqual(s["lang"], "zh")
        self.assertEqual(self.texts(ada), ["zh-CN", ZH_HEADING, ZH_JOIN])
        ada.screenshot(os.path.join(OUT_DIR, "meeting-zh-prejoin.png"))
        self.join(ada, "Ada")
        self.wait(ada, lambda s: s["phase"] == "meeting", what="Ada in the meeting")
        self.assertEqual(ada.execute("return document.querySelector('#ctl-leave .ctl-text').textContent;"), "离开")

        # A Chinese browser, a link without lang: Chinese from navigator.languages.
        bob = self.chromium("bob-zh-browser", ZH_ARGS)
        langs = bob.execute("return navigator.languages;")
        self.assertTrue(langs and langs[0].lower().startswith("zh"), langs)
        s = self.prejoin(bob, r["links"]["guest"])
        self.assertEqual(s["lang"], "zh")
        self.assertEqual(self.texts(bob), ["zh-CN", ZH_HEADING, ZH_JOIN])
        self.join(bob, "Bob")
        both = lambda s: s["phase"] == "meeting" and len(s["participants"]) >= 1  # noqa: E731
        sb = self.wait(bob, lambda s: both(s) and s["inbound"]["audio"]["packetsReceived"] > 10, 40, "Ada's media")
        self.assertEqual({p["name"] for p in sb["participants"]}, {"Ada"})
        self.wait(ada, both, 20, "Bob on Ada's page")

        # A live stream that fails: the badge goes on both pages, and the host is told why, in Chinese.
        with socket.socket() as sk:
            sk.bind(("127.0.0.1", 0))
            dead = sk.getsockname()[1]  # nothing listens here once the socket is closed
        status, st = self.api("POST", "/api/v1/admin/rooms/%s/stream" % r["room"]["id"],
                              {"kind": "rtmp", "url": "rtmp://127.0.0.1:%d/live/pagekey0123456" % dead})
        self.assertEqual(status, 201, st)
        deadline, toast = time.time() + 30, ""
        while time.time() < deadline and "直播失败：" not in toast:
            time.sleep(0.3)
            toast = ada.execute("return document.getElementById('toasts').textContent;") or ""
        self.assertIn("直播失败：", toast)
        self.assertNotIn("pagekey0123456", toast)
        self.assertFalse(self.snapshot(ada)["live"]["active"])
        self.assertTrue(ada.execute("return document.getElementById('live-badge').hidden;"))
        self.wait(bob, lambda s: not s["live"]["active"], 10, "no live on Bob's page")
        self.assertNotIn("直播失败", bob.execute("return document.getElementById('toasts').textContent;") or "")
        ada.screenshot(os.path.join(OUT_DIR, "meeting-zh-live-failed.png"))

        # ?lang=en wins over a Chinese browser; an unknown lang falls back to the browser.
        cy = self.chromium("cy-zh-browser", ZH_ARGS)
        s = self.prejoin(cy, with_lang(r["links"]["guest"], "en"))
        self.assertEqual(s["lang"], "en")
        self.assertEqual(self.texts(cy), ["en", EN_HEADING, EN_JOIN])
        s = self.prejoin(cy, with_lang(r["links"]["guest"], "fr"))
        self.assertEqual(s["lang"], "zh")
        self.assertEqual(self.snapshot(ada)["errors"], [])
        self.assertEqual(self.snapshot(bob)["errors"], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)

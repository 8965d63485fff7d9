#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The chats API against the real daemon: chats of every connector, bad input,
masked answers and log, authentication (operator or OA source key; none 401,
viewer 403), why a meeting goes to which chats, and the `scheduled` rows a
pushed meeting leaves in the outbox (read from the SQLite file after the
daemon stopped). docs/chat.md."""
import json
import os
import sqlite3
import sys
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mgtest import Daemon  # noqa: E402

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"
SECRET = "chats-test-secret-0123456789abcdef0123456789"
OPS_KEY = "ops-key-0123456789abcdef"
VIEW_KEY = "view-key-0123456789abcdef"
HR_KEY = "hr-key-0123456789abcdef"

# Secrets that must never show in an answer or the log.
DING_TOKEN = "dingtokenA1B2C3D4E5F6"
DING_SECRET = "SECdingsecret0123456789"
SLACK_TOKEN = "slackTokenXyZ987654321"
FEISHU_HOOK = "feishu-hook-5e1f-77aa-0011"
FEISHU_SECRET = "feishuSecret556677"
XMPP_PASSWORD = "xmppPassw0rd-secret"
GENERIC_SECRET = "genericSigningSecret42"
WECOM_KEY = "wecomKey-693a91f6-0000"
SECRETS = [DING_TOKEN, DING_SECRET, SLACK_TOKEN, FEISHU_HOOK, FEISHU_SECRET, XMPP_PASSWORD, GENERIC_SECRET,
           WECOM_KEY]

CHATS = {
    "ding": {"connector": "dingtalk", "secret": DING_SECRET, "lang": "zh", "timezone": "Asia/Shanghai",
             "webhook_url": "https://oapi.dingtalk.com/robot/send?access_token=" + DING_TOKEN, "rate": "20/min"},
    "slack": {"connector": "slack", "webhook_url": "https://hooks.slack.com/services/T0001/B0002/" + SLACK_TOKEN},
    "mm": {"connector": "mattermost", "webhook_url": "http://127.0.0.1:9/hooks/abcdefghijklmnopqrstuvwxyz"},
    "teams": {"connector": "teams", "webhook_url": "https://example.webhook.office.com/webhookb2/x1/IncomingWebhook/y2"},
    "wecom": {"connector": "wecom", "webhook_url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + WECOM_KEY},
    "feishu": {"connector": "feishu", "secret": FEISHU_SECRET, "rate": "5/s,100/min",
               "webhook_url": "https://open.feishu.cn/open-apis/bot/v2/hook/" + FEISHU_HOOK},
    "generic": {"connector": "generic", "secret": GENERIC_SECRET, "webhook_url": "https://oa.example.com/im/hook"},
    "xmpp": {"connector": "xmpp", "jid": "bot@example.org", "secret": XMPP_PASSWORD,
             "room": "eng@conference.example.org", "nick": "meetgate"},
    "log": {"connector": "console"},
}


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class ChatsApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1",
                                "-o", "admin.keys=ops:operator:%s,view:viewer:%s" % (OPS_KEY, VIEW_KEY),
                                "-o", "oa.sources=hr:" + HR_KEY])
        cls.now = int(time.time())

    @classmethod
    def tearDownClass(cls):
        crashed = cls.d.proc.poll() is not None
        rc = None if crashed else cls.d.stop()
        if crashed or rc != 0 or os.environ.get("MG_SHOW_LOG"):
            print(cls.d.log_text()[-8000:])
        try:
            assert not crashed and rc == 0, "meetgate crashed or exited with %s" % rc
            cls.check_outbox()
            log = cls.d.log_text()
            for s in SECRETS:
                assert s not in log, "secret %s... in the log" % s[:6]
        finally:
            cls.d.cleanup()

    def call(self, method, path, body=None, key=OPS_KEY, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        headers = {"Content-Type": "application/json"}
        if key:
            headers["Authorization"] = "Bearer " + key
        req = urllib.request.Request(self.d.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            text = e.read()
            return e.code, json.loads(text) if text else None

    def put_chat(self, key, spec, **kw):
        body = dict(spec, key=key, name=key.capitalize())
        body.update(kw)
        return self.call("POST", "/api/v1/chats", body)

    def assert_no_secret(self, answer):
        text = json.dumps(answer)
        for s in SECRETS:
            self.assertNotIn(s, text)

    def test_1_every_connector(self):
        for key, spec in CHATS.items():
            status, a = self.put_chat(key, spec)
            self.assertEqual(status, 201, (key, a))
            self.assertEqual(a["status"], "created")
            self.assertEqual(a["chat"]["connector"], spec["connector"])
            self.assert_no_secret(a)
        # The same key again replaces it.
        status, a = self.put_chat("slack", CHATS["slack"], lang="zh")
        self.assertEqual(status, 200)
        self.assertEqual(a["status"], "replaced")
        self.assertEqual(a["chat"]["lang"], "zh")
        status, a = self.call("GET", "/api/v1/chats")
        self.assertEqual(status, 200)
        self.assert_no_secret(a)
        by_key = {c["key"]: c for c in a["chats"]}
        self.assertTrue(set(CHATS) <= set(by_key))
        self.assertEqual(by_key["ding"]["webhook_url"], "https://oapi.dingtalk.com/robot/send?access_token=****")
        self.assertEqual(by_key["slack"]["webhook_url"], "https://hooks.slack.com/services/****/****/****")
        self.assertTrue(by_key["ding"]["secret_set"])
        self.assertFalse(by_key["slack"]["secret_set"])
        self.assertEqual(by_key["xmpp"]["room"], "eng@conference.example.org")
        self.assertNotIn("secret", by_key["xmpp"])
        self.assertEqual(by_key["ding"]["timezone"], "Asia/Shanghai")
        self.assertEqual(by_key["ding"]["rate"], "20/min")
        self.assertFalse(a["console_default"])
        # One by key; PUT by path; DELETE.
        status, a = self.call("GET", "/api/v1/chats/feishu")
        self.assertEqual(status, 200)
        self.assert_no_secret(a)
        self.assertEqual(a["chat"]["webhook_url"], "https://open.feishu.cn/open-apis/bot/****/hook/****")
        status, a = self.call("PUT", "/api/v1/chats/tmp", {"name": "Tmp", "connector": "console"})
        self.assertEqual(status, 201, a)
        self.assertEqual(a["chat"]["key"], "tmp")
        status, a = self.call("DELETE", "/api/v1/chats/tmp")
        self.assertEqual(status, 200)
        status, a = self.call("GET", "/api/v1/chats/tmp")
        self.assertEqual(status, 404)
        self.assertEqual(a["error"]["code"], "not_found")
        status, a = self.call("DELETE", "/api/v1/chats/tmp")
        self.assertEqual(status, 404)

    def test_2_bad_input(self):
        cases = [
            ({"key": "b", "name": "B", "connector": "slack"}, "webhook_url"),
            ({"key": "b", "name": "B", "connector": "slack", "webhook_url": "ftp://x/y"}, "webhook_url"),
            ({"key": "b", "name": "B", "connector": "console", "timezone": "Mars/Base"}, "timezone"),
            ({"key": "b", "name": "B", "connector": "console", "lang": "fr"}, "lang"),
            ({"key": "b", "name": "B", "connector": "console", "rate": "lots"}, "rate"),
            ({"key": "b", "name": "B", "connector": "icq"}, "connector"),
            ({"key": "b b", "name": "B", "connector": "console"}, "key"),
            ({"key": "b", "name": "B", "connector": "xmpp", "jid": "a@b.org", "room": "r@c.b.org", "nick": "n"},
             "secret"),
            ({"key": "b", "name": "B", "connector": "console", "rules": {"people": "u1"}}, "rules.people"),
            ({"key": "b", "name": "B", "connector": "console", "extra": 1}, "extra"),
        ]
        for body, field in cases:
            status, a = self.call("POST", "/api/v1/chats", body)
            self.assertEqual(status, 400, body)
            self.assertEqual(a["error"]["code"], "invalid_field", a)
            self.assertEqual(a["error"]["field"], field, a)
        status, a = self.call("POST", "/api/v1/chats", raw=b"{not json")
        self.assertEqual(status, 400)
        self.assertEqual(a["error"]["code"], "bad_json")
        status, a = self.call("PUT", "/api/v1/chats/one", {"key": "two", "name": "X", "connector": "console"})
        self.assertEqual(status, 400)
        self.assertEqual(a["error"]["field"], "key")
        # Nothing of it was stored.
        status, a = self.call("GET", "/api/v1/chats/b")
        self.assertEqual(status, 404)

    def test_3_auth(self):
        status, a = self.call("GET", "/api/v1/chats", key=None)
        self.assertEqual(status, 401)
        status, a = self.call("GET", "/api/v1/chats", key="wrong-key-0123456789abcdef")
        self.assertEqual(status, 401)
        status, a = self.call("GET", "/api/v1/chats", key=VIEW_KEY)
        self.assertEqual(status, 403)
        status, a = self.call("POST", "/api/v1/chats", {"key": "v", "name": "V", "connector": "console"},
                              key=VIEW_KEY)
        self.assertEqual(status, 403)
        status, a = self.call("DELETE", "/api/v1/chats/log", key=None)
        self.assertEqual(status, 401)
        # An OA source key binds chats too.
        status, a = self.call("POST", "/api/v1/chats", {"key": "hr-team", "name": "HR", "connector": "console",
                                                        "rules": {"sources": ["hr"]}}, key=HR_KEY)
        self.assertEqual(status, 201, a)
        status, a = self.call("GET", "/api/v1/chats", key=HR_KEY)
        self.assertEqual(status, 200)

    def push(self, external_id, **extra):
        start = self.now + 3 * 86400
        body = {"external_id": external_id, "title": "Design review", "start": rfc3339(start),
                "end": rfc3339(start + 3600), "organizer": {"id": "boss", "name": "Boss", "department": "R&D"},
                "attendees": [{"id": "u42", "name": "Ada"}], "policy": "open"}
        body.update(extra)
        status, a = self.call("POST", "/api/v1/meetings", body, key=HR_KEY)
        self.assertEqual(status, 201, a)
        return a["meeting"]["id"]

    def test_4_match_reasons(self):
        for key, rules in [("eng-weekly", {}), ("rd", {"departments": ["R&D"]}), ("ada", {"people": ["u42"]}),
                           ("hr-main", {"sources": ["hr"]}), ("fallback", None)]:
            body = {"key": key, "name": key, "connector": "console"}
            if rules is None:
                body["default"] = True
            else:
                body["rules"] = rules
            status, a = self.call("POST", "/api/v1/chats", body)
            self.assertIn(status, (200, 201), a)
        mid = self.push("review-1", chat="eng-weekly")
        type(self).matched_id = mid
        status, a = self.call("GET", "/api/v1/meetings/%s/chats" % mid)
        self.assertEqual(status, 200, a)
        reasons = {c["key"]: c["reasons"] for c in a["chats"]}
        self.assertEqual(reasons["eng-weekly"], ["chat key 'eng-weekly' named by the meeting"])
        self.assertEqual(reasons["rd"], ["organizer department 'R&D'"])
        self.assertEqual(reasons["ada"], ["attendee 'u42'"])
        self.assertEqual(reasons["hr-main"], ["source 'hr'"])
        self.assertNotIn("fallback", reasons)
        # The OA source sees its own meeting's chats; a viewer may not; an unknown id is 404.
        status, a = self.call("GET", "/api/v1/meetings/%s/chats" % mid, key=HR_KEY)
        self.assertEqual(status, 200)
        status, a = self.call("GET", "/api/v1/meetings/%s/chats" % mid, key=VIEW_KEY)
        self.assertEqual(status, 403)
        status, a = self.call("GET", "/api/v1/meetings/nope/chats")
        self.assertEqual(status, 404)
        # An invite-only meeting that only the rules of hr-main match... and the default when nothing matches.
        # First the deliverer posts review-1's messages (check_outbox wants them sent): a chat removed
        # with its message still queued would keep it pending.
        deadline = time.time() + 20
        while True:
            status, a = self.call("GET", "/api/v1/admin/outbox?state=sent&limit=1000")
            sent = sorted(m["target"] for m in a["messages"] if m["meeting_id"] == mid)
            if sent == ["ada", "eng-weekly", "hr-main", "hr-team", "rd"] or time.time() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(sent, ["ada", "eng-weekly", "hr-main", "hr-team", "rd"], a)
        status, a = self.call("DELETE", "/api/v1/chats/hr-main")
        status, a = self.call("DELETE", "/api/v1/chats/hr-team")
        lone = self.push("lone-1", organizer={"id": "nobody", "department": "Sales"}, attendees=[],
                         policy="invite-only")
        type(self).lone_id = lone
        status, a = self.call("GET", "/api/v1/meetings/%s/chats" % lone)
        self.assertEqual([(c["key"], c["reasons"]) for c in a["chats"]],
                         [("fallback", ["default chat: no other chat matched"])])

    @classmethod
    def check_outbox(cls):
        db = sqlite3.connect(os.path.join(cls.d.data_dir, "meetgate.db"))
        rows = db.execute("SELECT chat_key, kind, state, event FROM outbox WHERE meeting_id = ? ORDER BY chat_key",
                          (cls.matched_id,)).fetchall()
        got = sorted((r[0], r[1], r[2]) for r in rows)
        # Console chats: the deliverer (chatsend) has posted them to the log already.
        want = sorted((k, "scheduled", "sent") for k in ["eng-weekly", "rd", "ada", "hr-main", "hr-team"])
        assert got == want, got
        for r in rows:
            ev = json.loads(r[3])
            assert ev["title"] == "Design review", ev
            assert "/j/" in ev["join_url"], ev
        lone = db.execute("SELECT chat_key, kind, event FROM outbox WHERE meeting_id = ?", (cls.lone_id,)).fetchall()
        assert [(r[0], r[1]) for r in lone] == [("fallback", "scheduled")], lone
        assert json.loads(lone[0][2])["join_url"] is None, lone
        db.close()


class Ownership(unittest.TestCase):
    """A chat an OA source makes is its own: other sources neither see nor
    change it, and it hears only its source's meetings; operators see all.
    Connector settings are sealed in the store."""

    CRM_KEY = "crm-key-0123456789abcdef"

    def call(self, method, path, body=None, key=OPS_KEY):
        return ChatsApi.call(self, method, path, body, key)

    def test_source_owns_its_chats(self):
        self.d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "media.addresses=127.0.0.1",
                                 "-o", "admin.keys=ops:operator:" + OPS_KEY,
                                 "-o", "oa.sources=hr:%s,crm:%s" % (HR_KEY, self.CRM_KEY)])
        try:
            spec = dict(CHATS["slack"], key="crm-team", name="CRM team", rules={"departments": ["R&D"]})
            status, a = self.call("POST", "/api/v1/chats", spec, key=self.CRM_KEY)
            self.assertEqual(status, 201, a)
            self.assertEqual(a["chat"]["owner"], "crm")
            # hr: not listed, not readable, not replaceable, not removable
            status, a = self.call("GET", "/api/v1/chats", key=HR_KEY)
            self.assertEqual((status, [c["key"] for c in a["chats"]]), (200, []))
            self.assertEqual(self.call("GET", "/api/v1/chats/crm-team", key=HR_KEY)[0], 404)
            status, a = self.call("PUT", "/api/v1/chats/crm-team", dict(spec, name="Taken"), key=HR_KEY)
            self.assertEqual((status, a["error"]["code"]), (403, "forbidden"))
            self.assertEqual(self.call("DELETE", "/api/v1/chats/crm-team", key=HR_KEY)[0], 404)
            # operators see it, with its owner, and may change it (it stays crm's)
            status, a = self.call("PUT", "/api/v1/chats/crm-team", dict(spec, name="CRM people"))
            self.assertEqual((status, a["chat"]["owner"], a["chat"]["name"]), (200, "crm", "CRM people"))
            # an hr meeting of the R&D department does not reach crm's chat
            now = int(time.time()) + 86400
            body = {"external_id": "own-1", "title": "R&D sync", "start": rfc3339(now), "end": rfc3339(now + 3600),
                    "organizer": {"id": "boss", "name": "Boss", "department": "R&D"}, "policy": "open"}
            status, m = self.call("POST", "/api/v1/meetings", body, key=HR_KEY)
            self.assertEqual(status, 201, m)
            status, a = self.call("GET", "/api/v1/meetings/%s/chats" % m["meeting"]["id"])
            self.assertEqual(status, 200, a)
            self.assertNotIn("crm-team", [c["key"] for c in a["chats"]])
            # ... while crm's own does
            status, m = self.call("POST", "/api/v1/meetings", dict(body, external_id="own-2"), key=self.CRM_KEY)
            self.assertEqual(status, 201, m)
            status, a = self.call("GET", "/api/v1/meetings/%s/chats" % m["meeting"]["id"], key=self.CRM_KEY)
            self.assertEqual([c["key"] for c in a["chats"]], ["crm-team"], a)
            self.assertEqual(self.d.stop(), 0)
            db = sqlite3.connect(os.path.join(self.d.data_dir, "meetgate.db"))
            (settings,) = db.execute("SELECT settings FROM chats WHERE key = 'crm-team'").fetchone()
            db.close()
            self.assertTrue(settings.startswith("sealed:v1:"), settings[:20])
            self.assertNotIn(SLACK_TOKEN, settings)
        finally:
            self.d.cleanup()


class ProductionConsole(unittest.TestCase):
    """The console chat writes join links to the log: in production mode only
    when [chat] console_default is set explicitly."""

    def console_default(self, *extra):
        d = Daemon(BINARY, ["-o", "server.secret=" + SECRET, "-o", "server.production=true",
                            "-o", "media.addresses=127.0.0.1",
                            "-o", "admin.keys=ops:operator:%s" % OPS_KEY, *extra])
        try:
            req = urllib.request.Request(d.url + "/api/v1/chats", headers={"Authorization": "Bearer " + OPS_KEY})
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.loads(r.read())["console_default"]
        finally:
            self.assertEqual(d.stop(), 0)
            d.cleanup()

    def test_off_unless_explicit(self):
        self.assertFalse(self.console_default())
        self.assertTrue(self.console_default("-o", "chat.console_default=true"))


if __name__ == "__main__":
    unittest.main(verbosity=2)

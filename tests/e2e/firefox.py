# SPDX-License-Identifier: MIT
"""Headless Firefox for the end-to-end tests, driven over Firefox's built-in
Marionette protocol (stdlib only: geckodriver is not in Debian 12).

One Firefox is one `firefox-esr --headless --marionette` process with a fresh
profile directory whose user.js sets the test prefs: fake media devices, no
permission prompts, loopback ICE candidates, and nothing that reaches out to
the network (updates, telemetry, safe browsing, captive portal, remote
settings...). Marionette speaks `<length>:<JSON>` frames over TCP on
127.0.0.1: commands are [0, id, name, params], answers [1, id, error, result].

Firefox has the same shape as browser.Browser (navigate, execute,
execute_async, call, screenshot, close, leftovers), so a test can use either.
close() (also run at exit) quits Firefox over Marionette, then ends and reaps
every process that is still this browser's (by process tree, by a tag in the
environment, by its temp dir on the command line), and removes the temp dir."""
import json
import os
import socket
import subprocess
import tempfile
import time
import uuid

from browser import TAG_VAR, Driven, WebDriverError, _live, _Owned, _setup_once

FIREFOX = os.environ.get("MG_FIREFOX", "/usr/bin/firefox-esr")

# user.js of every test profile. Keep everything that could reach the
# internet off: in the test's loopback-only namespace it would only fail, but
# it must not even try, and it must not slow the start down.
PREFS = {
    # Marionette and the prefs the remote agent recommends for automation
    # (no first-run pages, no default-browser check, no update checks...).
    "marionette.port": 0,  # any free port; Firefox writes it to <profile>/MarionetteActivePort
    "remote.prefs.recommended": True,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.startup.page": 0,
    "browser.startup.homepage": "about:blank",
    "startup.homepage_welcome_url": "about:blank",
    "startup.homepage_welcome_url.additional": "",
    "browser.aboutwelcome.enabled": False,
    "trailhead.firstrun.branches": "nofirstrun-empty",
    "browser.newtabpage.enabled": False,
    "browser.tabs.warnOnClose": False,
    "browser.warnOnQuit": False,
    "browser.sessionstore.resume_from_crash": False,
    "toolkit.startup.max_resumed_crashes": -1,
    "browser.uitour.enabled": False,
    "browser.translations.enable": False,
    "browser.backup.enabled": False,
    "browser.backup.scheduled.enabled": False,
    # media: fake devices, no prompts, autoplay allowed
    "media.navigator.streams.fake": True,
    "media.navigator.permission.disabled": True,
    # A machine without a sound device (CI containers) gives Firefox no audio
    # output: every AudioContext then stays "suspended" and resume() never
    # settles (the page's mic level meter reads 0), and <audio> cannot play.
    # Chromium falls back to a fake output by itself; Firefox needs its mock
    # cubeb backend (a test pref).
    "media.cubeb.force_mock_context": True,
    "media.autoplay.default": 0,
    "media.autoplay.blocking_policy": 0,
    "media.block-autoplay-until-in-foreground": False,
    "media.gmp-manager.updateEnabled": False,
    "media.gmp-manager.url": "http://127.0.0.1:9/",
    "media.gmp-gmpopenh264.enabled": False,
    "media.gmp-gmpopenh264.autoupdate": False,
    "media.gmp-widevinecdm.enabled": False,
    "media.eme.enabled": False,
    # ICE: gather 127.0.0.1 as a plain host candidate (no mDNS name), and
    # never anything but host candidates on the default route.
    "media.peerconnection.ice.loopback": True,
    "media.peerconnection.ice.obfuscate_host_addresses": False,
    "media.peerconnection.ice.default_address_only": False,
    "media.peerconnection.ice.no_host": False,
    "media.peerconnection.ice.proxy_only": False,
    "media.peerconnection.ice.link_local": False,
    "media.peerconnection.ice.tcp": False,
    "media.peerconnection.use_document_iceservers": True,
    "media.peerconnection.default_iceservers": "[]",
    "media.peerconnection.identity.timeout": 5000,
    # updates
    "app.update.enabled": False,
    "app.update.auto": False,
    "app.update.checkInstallTime": False,
    "app.update.disabledForTesting": True,
    "app.update.staging.enabled": False,
    "app.update.url": "",
    "app.normandy.enabled": False,
    "app.normandy.api_url": "",
    "app.shield.optoutstudies.enabled": False,
    "extensions.update.enabled": False,
    "extensions.update.autoUpdateDefault": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.blocklist.enabled": False,
    "extensions.systemAddon.update.enabled": False,
    "extensions.systemAddon.update.url": "",
    "extensions.autoDisableScopes": 10,
    "extensions.enabledScopes": 5,
    "extensions.pocket.enabled": False,
    "extensions.formautofill.addresses.enabled": False,
    "extensions.formautofill.creditCards.enabled": False,
    "services.settings.server": "http://127.0.0.1:9/v1",
    "browser.search.update": False,
    "browser.search.geoSpecificDefaults": False,
    "browser.region.network.url": "",
    "browser.region.update.enabled": False,
    "geo.provider.network.url": "",
    "geo.enabled": False,
    # telemetry and data reporting
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.policy.dataSubmissionPolicyBypassNotification": True,
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.usage.uploadEnabled": False,
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.unified": False,
    "toolkit.telemetry.archive.enabled": False,
    "toolkit.telemetry.server": "",
    "toolkit.telemetry.newProfilePing.enabled": False,
    "toolkit.telemetry.shutdownPingSender.enabled": False,
    "toolkit.telemetry.firstShutdownPing.enabled": False,
    "toolkit.telemetry.updatePing.enabled": False,
    "toolkit.telemetry.bhrPing.enabled": False,
    "toolkit.crashreporter.infoURL": "",
    "browser.crashReports.unsubmittedCheck.enabled": False,
    "browser.crashReports.unsubmittedCheck.autoSubmit2": False,
    "browser.tabs.crashReporting.sendReport": False,
    "browser.ping-centre.telemetry": False,
    "browser.newtabpage.activity-stream.feeds.telemetry": False,
    "browser.newtabpage.activity-stream.telemetry": False,
    "browser.newtabpage.activity-stream.feeds.system.topstories": False,
    "browser.newtabpage.activity-stream.feeds.section.topstories": False,
    "browser.newtabpage.activity-stream.feeds.snippets": False,
    "browser.discovery.enabled": False,
    "messaging-system.rsexperimentloader.enabled": False,
    "nimbus.rollouts.enabled": False,
    # network noise
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.predictor.enabled": False,
    "network.predictor.enable-prefetch": False,
    "network.http.speculative-parallel-limit": 0,
    "network.proxy.type": 0,
    "network.trr.mode": 5,
    "network.trr.uri": "",
    "network.trr.confirmationNS": "skip",
    "network.http.http3.enable": False,
    "network.http.http3.enabled": False,
    "browser.safebrowsing.enabled": False,
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.blockedURIs.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.downloads.remote.enabled": False,
    "browser.safebrowsing.passwords.enabled": False,
    "browser.safebrowsing.provider.google.updateURL": "",
    "browser.safebrowsing.provider.google4.updateURL": "",
    "browser.safebrowsing.provider.mozilla.updateURL": "",
    "browser.safebrowsing.update.enabled": False,
    "privacy.trackingprotection.enabled": False,
    "privacy.trackingprotection.pbmode.enabled": False,
    "browser.contentblocking.category": "custom",
    "security.OCSP.enabled": 0,
    "security.remote_settings.crlite_filters.enabled": False,
    "security.remote_settings.intermediates.enabled": False,
    "security.certerrors.mitm.priming.enabled": False,
    "services.sync.enabled": False,
    "identity.fxaccounts.enabled": False,
    "signon.rememberSignons": False,
    "browser.places.speculativeConnect.enabled": False,
    "browser.urlbar.speculativeConnect.enabled": False,
    "browser.urlbar.suggest.searches": False,
    "browser.search.suggest.enabled": False,
    "dom.push.enabled": False,
    "dom.push.connection.enabled": False,
    "dom.push.serverURL": "",
    "browser.topsites.contile.enabled": False,
    "browser.newtabpage.activity-stream.showSponsored": False,
    "browser.newtabpage.activity-stream.showSponsoredTopSites": False,
    "browser.vpn_promo.enabled": False,
    # a headless test has no user to keep timers slow for
    "dom.min_background_timeout_value": 4,
    "dom.timeout.enable_budget_timer_throttling": False,
    "dom.disable_beforeunload": True,
    "dom.disable_open_during_load": False,
    "browser.download.panel.shown": True,
    "devtools.console.stdout.content": True,  # console.* of the page into firefox.log
}


def write_user_js(profile, extra=None):
    prefs = dict(PREFS, **(extra or {}))
    with open(os.path.join(profile, "user.js"), "w") as f:
        for k, v in prefs.items():
            f.write("user_pref(%s, %s);\n" % (json.dumps(k), json.dumps(v)))


def grant_file(profile, origins):
    """A default-permissions file granting camera and microphone to origins;
    returns its file: URL for the pref permissions.manager.defaultsUrl.

    Firefox gathers ICE candidates on every interface only for a page that
    is capturing or holds a camera/microphone permission; otherwise it uses
    only the interface of the default route, and a loopback-only namespace
    has no default route: "failed to find default addresses", no candidate
    at all, iceGatheringState stays "new". Fake devices with
    media.navigator.permission.disabled do not count as capturing (checked
    with Firefox 153 ESR), so the tests grant the permission as a user would."""
    path = os.path.join(profile, "mg-permissions.txt")
    with open(path, "w") as f:
        for origin in origins:
            for perm in ("camera", "microphone"):
                f.write("origin\t%s\t1\t%s\n" % (perm, origin.rstrip("/")))
    return "file://" + path


class Marionette:
    """One TCP connection to Marionette: framing, message ids, errors."""

    def __init__(self, port, timeout=30):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.msgid = 0
        self.hello = self._recv(timeout)

    def _recv(self, timeout):
        self.sock.settimeout(timeout)
        while True:
            colon = self.buf.find(b":")
            if colon > 0:
                n = int(self.buf[:colon])
                if len(self.buf) >= colon + 1 + n:
                    msg = self.buf[colon + 1:colon + 1 + n]
                    self.buf = self.buf[colon + 1 + n:]
                    return json.loads(msg)
            elif colon == 0 or len(self.buf) > 20:
                raise WebDriverError("bad Marionette frame: %r" % self.buf[:80])
            chunk = self.sock.recv(65536)
            if not chunk:
                raise WebDriverError("Marionette closed the connection")
            self.buf += chunk

    def send(self, name, params=None, timeout=90):
        self.msgid += 1
        mid = self.msgid
        data = json.dumps([0, mid, name, params or {}]).encode()
        self.sock.sendall(b"%d:%s" % (len(data), data))
        deadline = time.time() + timeout
        while True:
            msg = self._recv(max(0.1, deadline - time.time()))
            if not isinstance(msg, list) or len(msg) != 4 or msg[0] != 1:
                continue  # not an answer (Marionette sends no events, but be lenient)
            if msg[1] != mid:
                continue  # the answer to an earlier command that timed out here
            err, result = msg[2], msg[3]
            if err:
                raise WebDriverError("%s: %s: %s" % (name, err.get("error"), str(err.get("message", ""))[:2000]))
            return result

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Firefox(Driven):
    """A headless Firefox with one Marionette session."""

    def __init__(self, name="firefox", extra_args=(), prefs=None, media_origins=(), timeout=60,
                 width=1280, height=800):
        """media_origins: origins (e.g. "http://127.0.0.1:8080") given a
        stored camera and microphone permission, see grant_file()."""
        self.name = name
        _setup_once()
        self.tag = uuid.uuid4().hex
        self.tmp = tempfile.mkdtemp(prefix="mg-e2e-ff-%s-" % name)
        self.proc = None
        self.owned = None
        self.mn = None
        self.session = None
        self.profile = os.path.join(self.tmp, "profile")
        os.mkdir(self.profile)
        prefs = dict(prefs or {})
        if media_origins:
            prefs["permissions.manager.defaultsUrl"] = grant_file(self.profile, media_origins)
        write_user_js(self.profile, prefs)
        self.browser_log = os.path.join(self.tmp, "firefox.log")
        env = dict(os.environ, **{TAG_VAR: self.tag})
        env.update({
            "MOZ_HEADLESS": "1",
            "MOZ_HEADLESS_WIDTH": str(width), "MOZ_HEADLESS_HEIGHT": str(height),
            "MOZ_CRASHREPORTER_DISABLE": "1", "MOZ_CRASHREPORTER": "",
            "MOZ_DISABLE_AUTO_SAFE_MODE": "1",
            "MOZ_NO_REMOTE": "1",
            # Release builds honour services.settings.server (Remote Settings,
            # polled by Nimbus and others) only with this set; without it
            # Firefox looks up firefox.settings.services.mozilla.com.
            "MOZ_REMOTE_SETTINGS_DEVTOOLS": "1",
            "HOME": self.tmp,  # nothing written to the real home (fontconfig cache, .mozilla)
            "XDG_CACHE_HOME": os.path.join(self.tmp, "cache"),
            "TMPDIR": self.tmp,
        })
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        self._log = open(self.browser_log, "w")
        try:
            self.proc = subprocess.Popen(
                [FIREFOX, "--headless", "--marionette", "--no-remote", "--new-instance",
                 "--profile", self.profile, "--window-size=%d,%d" % (width, height)] + list(extra_args)
                + ["about:blank"],
                stdout=self._log, stderr=subprocess.STDOUT, env=env, stdin=subprocess.DEVNULL)
            self.owned = _Owned(self.proc.pid, self.tag, self.tmp)
            _live.add(self)
            self.mn = Marionette(self._wait_port(timeout), timeout)
            caps = {"capabilities": {"alwaysMatch": {
                "browserName": "firefox",
                "acceptInsecureCerts": True,
                "pageLoadStrategy": "eager",
                
                "unhandledPromptBehavior": "accept",
            }}}
            value = self.mn.send("WebDriver:NewSession", caps, timeout=timeout)
            self.session = value["sessionId"]
            self.capabilities = value.get("capabilities", {})
            self.mn.send("WebDriver:SetTimeouts", {"script": 60000, "pageLoad": 30000, "implicit": 0})
        except BaseException:
            self.close()
            raise

    def _wait_port(self, timeout):
        """Marionette writes the port it listens on to <profile>/MarionetteActivePort."""
        path = os.path.join(self.profile, "MarionetteActivePort")
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise WebDriverError("firefox exited with %d: %s" % (self.proc.returncode, self.log_text()))
            try:
                with open(path) as f:
                    port = int(f.read().strip() or 0)
                if port:
                    with socket.create_connection(("127.0.0.1", port), timeout=2):
                        pass
                    return port
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        raise WebDriverError("Marionette did not come up: " + self.log_text())

    @property
    def version(self):
        return "%s %s" % (self.capabilities.get("browserName"), self.capabilities.get("browserVersion"))

    def log_text(self, n=4000):
        try:
            with open(self.browser_log, errors="replace") as f:
                return f.read()[-n:]
        except OSError:
            return ""

    def _cmd(self, name, params=None, timeout=90):
        if not self.mn:
            raise WebDriverError("%s: closed" % self.name)
        return self.mn.send(name, params, timeout)

    # ---- WebDriver commands (as browser.Browser) ----

    def navigate(self, url):
        self._cmd("WebDriver:Navigate", {"url": url})

    def execute(self, script, *args):
        # No sandbox: the script runs against the page's own window, so page
        # globals such as window.__meetgate are visible.
        r = self._cmd("WebDriver:ExecuteScript", {"script": script, "args": list(args),
                                                  "sandbox": None, "newSandbox": False})
        return r.get("value") if isinstance(r, dict) else r

    def execute_async(self, script, *args):
        """script gets its callback as the last argument."""
        r = self._cmd("WebDriver:ExecuteAsyncScript", {"script": script, "args": list(args),
                                                       "sandbox": None, "newSandbox": False})
        return r.get("value") if isinstance(r, dict) else r

    def screenshot(self, path):
        r = self._cmd("WebDriver:TakeScreenshot", {"full": False, "hash": False})
        return self._write_png(path, r["value"] if isinstance(r, dict) else r)

    def console_log(self):
        """The page's console messages so far, from Firefox's own output
        (devtools.console.stdout.content): [{"message": line}]."""
        return [{"message": line} for line in self.log_text(200000).splitlines()
                if line.startswith("console.")]

    def close(self):
        """Ends the session and quits Firefox, then ends any process of ours
        still there, reaps what is ours to reap, and removes the temp dir."""
        if self.owned:
            self.owned.scan()  # while the tree is whole
        quit_sent = False
        if self.mn:
            if self.proc and self.proc.poll() is None:
                # Quit ends the session too; after WebDriver:DeleteSession
                # Marionette:Quit is refused, and Firefox would stay up.
                try:
                    self.mn.send("Marionette:Quit", {"flags": ["eForceQuit"]}, timeout=10)
                    quit_sent = True
                except (OSError, ValueError, WebDriverError):
                    try:
                        if self.session:
                            self.mn.send("WebDriver:DeleteSession", {}, timeout=5)
                    except (OSError, ValueError, WebDriverError):
                        pass
            self.mn.close()
            self.mn = None
        self.session = None
        self._stop(10 if quit_sent else 0.1)

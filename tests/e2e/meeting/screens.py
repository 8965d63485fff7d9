#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Screenshots of the meeting page without a meetgate server.

Serves gateway/web/ from a local static HTTP server on 127.0.0.1 (with /j/<code> mapped to
meeting.html, as the gateway will), then renders every pre-join / refusal screen and a set of
meeting layouts through the page's own debug hooks (?debug=screen:<name>, ?debug=meeting:<n>)
in headless Chromium (driven by chromedriver over its W3C HTTP API) with its fake camera and
microphone.

For each shot it checks that the page ran without a JavaScript error and that the DOM shows the
expected text, and saves a PNG under the output folder (default /tmp/meetgate-screens/) to be
looked at. Also runs `node --check` on every JS file of the page when Node.js is installed.

    /usr/bin/python3 tests/e2e/meeting/screens.py [--out DIR] [--only NAME] [--jobs N]

Exit status 0 when every shot passed, 1 otherwise, 77 (skip) without Chromium/chromedriver.
"""
import argparse
import base64
import concurrent.futures
import functools
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
WEB = os.path.normpath(os.path.join(HERE, '..', '..', '..', 'gateway', 'web'))
CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('CHROMEDRIVER', '/usr/bin/chromedriver')

DESKTOP = (1280, 800)
PHONE = (390, 844)

# name, query, window size, a text the rendered DOM must contain
SHOTS = [
    ('prejoin', 'debug=screen:prejoin', DESKTOP, 'Ready to join?'),
    ('prejoin-phone', 'debug=screen:prejoin', PHONE, 'Ready to join?'),
    ('prejoin-denied', 'debug=screen:prejoin-denied', DESKTOP, 'blocked access to the camera'),
    ('no-token', '', DESKTOP, 'This link is not valid or has expired'),
    ('connecting', 'debug=screen:connecting', DESKTOP, 'Joining the meeting'),
    ('not_started', 'debug=screen:not_started', DESKTOP, 'has not started yet'),
    ('ended', 'debug=screen:ended', DESKTOP, 'This meeting is over'),
    ('wrong_room', 'debug=screen:wrong_room', DESKTOP, 'for a different meeting'),
    ('not_invited', 'debug=screen:not_invited', DESKTOP, 'for invited people only'),
    ('token', 'debug=screen:token', DESKTOP, 'This link is not valid or has expired'),
    ('room_full', 'debug=screen:room_full', DESKTOP, 'This meeting is full'),
    ('locked', 'debug=screen:locked', DESKTOP, 'This meeting is locked'),
    ('removed', 'debug=screen:removed', DESKTOP, 'You were removed by a host'),
    ('removed_by_admin', 'debug=screen:removed_by_admin', DESKTOP, 'You were removed by an admin'),
    ('lobby', 'debug=screen:lobby', DESKTOP, 'Waiting for a host to let you in'),
    ('lobby-phone', 'debug=screen:lobby', PHONE, 'Waiting for a host to let you in'),
    ('admitted', 'debug=screen:admitted', DESKTOP, 'You have been let in'),
    ('not_admitted', 'debug=screen:not_admitted', DESKTOP, 'A host did not let you in'),
    ('room_closing', 'debug=screen:room_closing', DESKTOP, 'A host ended the meeting for everyone'),
    ('left', 'debug=screen:left', DESKTOP, 'You left the meeting'),
    ('unreachable', 'debug=screen:unreachable', DESKTOP, 'Cannot reach the meeting server'),
    ('meeting-1', 'debug=meeting:1', DESKTOP, 'Ada Lovelace (you)'),
    ('meeting-2', 'debug=meeting:2', DESKTOP, 'Bob Martin'),
    ('meeting-3', 'debug=meeting:3', DESKTOP, 'Chen Wei'),
    ('meeting-4', 'debug=meeting:4', DESKTOP, 'Dana Scully'),
    ('meeting-6', 'debug=meeting:6', DESKTOP, 'Fatima Zahra'),
    ('meeting-9', 'debug=meeting:9', DESKTOP, 'Ivan Petrov'),
    ('meeting-16', 'debug=meeting:16', DESKTOP, 'Priya Nair'),
    ('meeting-24', 'debug=meeting:24', DESKTOP, 'Tariq Aziz'),
    ('meeting-5-screen', 'debug=meeting:5:screen', DESKTOP, 'Bob Martin is presenting'),
    ('meeting-3-myscreen', 'debug=meeting:3:myscreen', DESKTOP, 'You are presenting'),
    ('meeting-4-host-panel', 'debug=meeting:4:panel:recording:locked', DESKTOP, 'Guest from Acme'),
    ('meeting-4-reconnecting', 'debug=meeting:4:reconnecting:camoff', DESKTOP, 'Reconnecting'),
    ('meeting-1-phone', 'debug=meeting:1', PHONE, 'Ada Lovelace (you)'),
    ('meeting-2-phone', 'debug=meeting:2', PHONE, 'Bob Martin'),
    ('meeting-5-phone', 'debug=meeting:5', PHONE, 'Emeka Okafor'),
    ('meeting-4-screen-phone', 'debug=meeting:4:screen', PHONE, 'Bob Martin is presenting'),
    ('meeting-panel-phone', 'debug=meeting:4:panel', PHONE, 'Guest from Acme'),
]


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html'}

    def translate_path(self, path):
        p = path.split('?', 1)[0].split('#', 1)[0]
        if re.match(r'^/j/[^/]+$', p):
            p = '/meeting.html'
        return super().translate_path(p)

    def end_headers(self):
        self.send_header('Cache-Control', 'no-cache')
        super().end_headers()

    def log_message(self, *args):
        pass


def serve():
    handler = functools.partial(Handler, directory=WEB)
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


class Driver:
    """chromedriver over its plain W3C HTTP API (no selenium)."""

    def __init__(self):
        with socket.socket() as sk:
            sk.bind(('127.0.0.1', 0))
            self.port = sk.getsockname()[1]
        self.proc = subprocess.Popen([CHROMEDRIVER, f'--port={self.port}'],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = f'http://127.0.0.1:{self.port}'
        for _ in range(100):
            try:
                if self.call('GET', '/status')['ready']:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError('chromedriver did not start')

    def call(self, method, path, body=None, timeout=60):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return json.loads(r.read())['value']
        except urllib.error.HTTPError as e:
            raise RuntimeError(f'{method} {path}: {e.read()[:300]!r}') from None

    def session(self, size, profile):
        args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                '--disable-background-networking', '--disable-component-update', '--disable-sync',
                '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--hide-scrollbars',
                '--allow-loopback-in-peer-connection',
                f'--user-data-dir={profile}', f'--window-size={size[0]},{size[1]}']
        opts = {'binary': CHROMIUM, 'args': args}
        if size[0] < 500:
            # Desktop windows are at least 500 px wide: emulate a phone's viewport instead.
            opts['mobileEmulation'] = {'deviceMetrics': {'width': size[0], 'height': size[1], 'pixelRatio': 1, 'touch': True}}
        caps = {'capabilities': {'alwaysMatch': {'goog:chromeOptions': opts}}}
        return self.call('POST', '/session', caps)['sessionId']

    def close(self):
        self.proc.terminate()
        self.proc.wait(10)


def shoot(driver, base, out, shot):
    name, query, size, expect = shot
    url = f'{base}/j/ABCD-EFGH?t=sample-token' + (f'&{query}' if query else '')
    if name == 'no-token':
        url = f'{base}/j/ABCD-EFGH'
    problems = []
    with tempfile.TemporaryDirectory(prefix='mg-chromium-') as profile:
        sid = driver.session(size, profile)
        try:
            driver.call('POST', f'/session/{sid}/url', {'url': url})
            ready = False
            for _ in range(150):
                ready = driver.call('POST', f'/session/{sid}/execute/sync',
                                    {'script': "return document.documentElement.dataset.ready === '1'", 'args': []})
                if ready:
                    break
                time.sleep(0.1)
            if not ready:
                problems.append('the page never finished rendering (a module failed to load?)')
            time.sleep(1.0)  # let the fake camera paint a few frames
            res = driver.call('POST', f'/session/{sid}/execute/sync', {'script': (
                "return { errors: window.__meetgateErrors || ['meeting.js did not run'],"
                " text: document.body.innerText,"
                " overflowX: document.documentElement.scrollWidth > window.innerWidth };"), 'args': []})
            if res['errors']:
                problems.append('JavaScript errors: ' + '; '.join(res['errors']))
            if expect not in res['text']:
                problems.append(f'the page does not show "{expect}"')
            if res['overflowX']:
                problems.append('the page is wider than the window (horizontal scrolling)')
            png = base64.b64decode(driver.call('GET', f'/session/{sid}/screenshot'))
            with open(os.path.join(out, f'{name}.png'), 'wb') as f:
                f.write(png)
        finally:
            driver.call('DELETE', f'/session/{sid}')
    return name, url, problems


def node_check():
    node = shutil.which('node')
    if not node:
        print('# node not found: skipping node --check')
        return []
    failed = []
    for f in sorted(os.listdir(WEB)):
        if f.endswith('.js'):
            r = subprocess.run([node, '--check', os.path.join(WEB, f)], capture_output=True, text=True)
            print(f"{'ok' if r.returncode == 0 else 'not ok'} - node --check {f}")
            if r.returncode:
                print(r.stderr)
                failed.append(f)
    return failed


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default='/tmp/meetgate-screens')
    ap.add_argument('--only', help='a regular expression on shot names')
    ap.add_argument('--jobs', type=int, default=4)
    opts = ap.parse_args()

    failed = node_check()
    if not os.access(CHROMIUM, os.X_OK) or not shutil.which(CHROMEDRIVER):
        print(f'# {CHROMIUM} or {CHROMEDRIVER} not found: skipping the screenshots')
        return 1 if failed else 77
    os.makedirs(opts.out, exist_ok=True)
    srv = serve()
    driver = Driver()
    base = f'http://127.0.0.1:{srv.server_address[1]}'
    shots = [s for s in SHOTS if not opts.only or re.search(opts.only, s[0])]
    with concurrent.futures.ThreadPoolExecutor(max_workers=opts.jobs) as ex:
        for name, url, problems in ex.map(lambda s: shoot(driver, base, opts.out, s), shots):
            print(f"{'ok' if not problems else 'not ok'} - {name}  {os.path.join(opts.out, name + '.png')}")
            for p in problems:
                print(f'    {p}  ({url})')
            if problems:
                failed.append(name)
    driver.close()
    srv.shutdown()
    print(f'# {len(shots)} screenshots in {opts.out}; {len(failed)} failed')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The meeting page against a scripted stand-in for the server (docs/protocol.md).

A stdlib HTTP server serves gateway/web/ (/j/<code> -> meeting.html) and answers /ws with a
minimal WebSocket server whose side of the conversation is scripted below: it refuses a join
(`locked`), accepts the retry (`joined`), checks the page's `publish` offer and `tracks`, answers it
with a synthetic SDP answer, sends a `subscribe_offer` and checks that the page answers and that the
remote tracks land in the right participant's tile, then sends events (active_speaker, muted,
participant_joined, lobby_waiting), checks `mute` from the mic button and the 10 s ping, drops the
connection and checks the resume (`join` with the resume token, a new `publish`), and ends with
`room_closing`. No media flows: the SDP is synthetic; this tests signaling and the UI.

Headless Chromium is driven by chromedriver over its W3C HTTP API.

    unshare -n sh -c 'ip link set lo up; /usr/bin/python3 tests/e2e/meeting/protocol.py'

(in a loopback-only network namespace, like every WebRTC test here: the page's peer connections
gather candidates, and only loopback must exist).

Exit status 0 when it passed, 1 otherwise, 77 (skip) without Chromium/chromedriver.
"""
import base64
import functools
import hashlib
import http.server
import json
import os
import queue
import re
import shutil
import socket
import struct
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from screens import WEB, CHROMIUM, CHROMEDRIVER, Driver, Handler  # noqa: E402

WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
connections = queue.Queue()


class Conn:
    """One WebSocket connection from the page: JSON in (inbox), JSON out (send)."""

    def __init__(self, sock):
        self.sock = sock
        self.inbox = queue.Queue()
        self.lock = threading.Lock()
        self.closed = False

    def send(self, msg):
        data = json.dumps(msg).encode()
        n = len(data)
        head = bytes([0x81]) + (bytes([n]) if n < 126 else bytes([126]) + struct.pack('>H', n) if n < 65536
                                 else bytes([127]) + struct.pack('>Q', n))
        with self.lock:
            self.sock.sendall(head + data)

    def recv(self, timeout=10, skip=('candidate', 'ping', 'layer')):
        """The next message whose type is not in skip."""
        end = time.time() + timeout
        while True:
            try:
                msg = self.inbox.get(timeout=max(0.01, end - time.time()))
            except queue.Empty:
                raise AssertionError(f'no message from the page within {timeout} s') from None
            if msg is None:
                raise AssertionError('the page closed the WebSocket')
            if msg.get('type') not in skip:
                return msg

    def drop(self):
        """An unclean drop, as a network blip would do."""
        self.closed = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def read_loop(self, rfile):
        try:
            while True:
                b = rfile.read(2)
                if len(b) < 2:
                    break
                op, n = b[0] & 0x0F, b[1] & 0x7F
                if n == 126:
                    n = struct.unpack('>H', rfile.read(2))[0]
                elif n == 127:
                    n = struct.unpack('>Q', rfile.read(8))[0]
                mask = rfile.read(4) if b[1] & 0x80 else b'\0\0\0\0'
                data = bytes(c ^ mask[i % 4] for i, c in enumerate(rfile.read(n)))
                if op == 8:
                    break
                if op == 1:
                    self.inbox.put(json.loads(data))
        except (OSError, ValueError):
            pass
        self.inbox.put(None)


class WsHandler(Handler):
    def do_GET(self):
        if self.path == '/ws' and self.headers.get('Upgrade', '').lower() == 'websocket':
            key = self.headers['Sec-WebSocket-Key']
            accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
            self.send_response(101)
            self.send_header('Upgrade', 'websocket')
            self.send_header('Connection', 'Upgrade')
            self.send_header('Sec-WebSocket-Accept', accept)
            self.end_headers()
            self.wfile.flush()
            conn = Conn(self.connection)
            connections.put(conn)
            conn.read_loop(self.rfile)
            self.close_connection = True
            return
        super().do_GET()


# ---------------------------------------------------------------- synthetic SDP

FP = ':'.join(['AB'] * 32)


def sections(sdp):
    parts = re.split(r'\r\n(?=m=)', sdp.strip())
    return parts[0], parts[1:]


def answer_for(offer):
    _, media = sections(offer)
    mids = []
    out = []
    for m in media:
        lines = m.split('\r\n')
        kind, port, proto, *pts = lines[0][2:].split(' ')
        mid = next(l[6:] for l in lines if l.startswith('a=mid:'))
        if port == '0':
            out += [f'm={kind} 0 {proto} {pts[0]}', 'c=IN IP4 0.0.0.0', f'a=mid:{mid}', 'a=inactive']
            continue
        mids.append(mid)
        pt = pts[0]
        out += [f'm={kind} 9 {proto} {pt}', 'c=IN IP4 127.0.0.1', 'a=ice-ufrag:mgtest', 'a=ice-pwd:mgtestmgtestmgtestmgtest',
                f'a=fingerprint:sha-256 {FP}', 'a=setup:passive', f'a=mid:{mid}', 'a=recvonly', 'a=rtcp-mux']
        out += [l for l in lines if l.startswith((f'a=rtpmap:{pt} ', f'a=fmtp:{pt} '))]
        out += ['a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host', 'a=end-of-candidates']
    head = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=ice-lite', 'a=group:BUNDLE ' + ' '.join(mids)]
    return '\r\n'.join(head + out) + '\r\n'


def subscribe_offer(version, tracks):
    """tracks: [(mid, participant, track id, kind)]"""
    out = ['v=0', f'o=- 2 {version} IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=ice-lite',
           'a=group:BUNDLE ' + ' '.join(t[0] for t in tracks), 'a=msid-semantic: WMS *']
    for i, (mid, pid, tid, kind) in enumerate(tracks):
        pt, codec = ('111', 'opus/48000/2') if kind == 'audio' else ('96', 'VP8/90000')
        out += [f'm={kind} 9 UDP/TLS/RTP/SAVPF {pt}', 'c=IN IP4 127.0.0.1', 'a=ice-ufrag:mgsub', 'a=ice-pwd:mgsubmgsubmgsubmgsubmgsub',
                f'a=fingerprint:sha-256 {FP}', 'a=setup:actpass', f'a=mid:{mid}', 'a=sendonly', 'a=rtcp-mux',
                f'a=msid:{pid} {tid}', f'a=rtpmap:{pt} {codec}', f'a=ssrc:{1000 + i} cname:{pid}',
                'a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host']
    return '\r\n'.join(out) + '\r\n'


# ---------------------------------------------------------------- the test

class Page:
    def __init__(self, driver, sid):
        self.d, self.sid = driver, sid

    def js(self, script, *args):
        return self.d.call('POST', f'/session/{self.sid}/execute/sync', {'script': script, 'args': list(args)})

    def wait(self, script, what, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if self.js(script):
                return
            time.sleep(0.1)
        raise AssertionError(f'timed out waiting for {what}')

    def wait_text(self, text, timeout=10):
        self.wait(f'return document.body.innerText.includes({json.dumps(text)})', f'"{text}" on the page', timeout)


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print(f'ok - {what}')


def run(page, base):
    page.d.call('POST', f'/session/{page.sid}/url', {'url': f'{base}/j/ABCD-EFGH?t=tok-1'})
    page.wait("return document.documentElement.dataset.ready === '1'", 'the pre-join screen')
    page.js("document.getElementById('name-input').value = 'Ada Lovelace';"
            "document.getElementById('join-btn').click();")

    ws = connections.get(timeout=10)
    m = ws.recv()
    check(m == {'type': 'join', 'token': 'tok-1', 'name': 'Ada Lovelace', 'id': m.get('id')}, 'join carries token and name')
    ws.send({'type': 'error', 'code': 'locked', 'message': 'the room is locked', 'id': m['id']})
    page.wait_text('This meeting is locked')
    print('ok - locked refusal screen')

    page.js("document.querySelector('#message-actions button').click()")
    m = ws.recv()
    check(m['type'] == 'join' and m['token'] == 'tok-1', 'Try again sends join on the same connection')
    ws.send({'type': 'joined', 'id': m['id'], 'me': {'id': 'p7', 'name': 'Ada Lovelace', 'role': 'host'},
             'room': {'id': 'r1', 'code': 'ABCD-EFGH', 'title': 'Weekly sync', 'policy': 'open', 'locked': False,
                      'opens_at': '2026-11-26T09:50:00Z', 'closes_at': '2026-11-26T11:15:00Z'},
             'participants': [{'id': 'p3', 'name': 'Bob Martin', 'role': 'attendee', 'tracks': [
                 {'id': 'p3-0', 'kind': 'audio', 'source': 'microphone', 'muted': False},
                 {'id': 'p3-1', 'kind': 'video', 'source': 'camera', 'muted': False}]}],
             'resume': 'resume-1', 'resumed': False})
    page.wait_text('Weekly sync')

    pub = ws.recv()
    check(pub['type'] == 'publish', 'publish follows joined')
    check(pub['tracks'] == [{'mid': '0', 'source': 'microphone'}, {'mid': '1', 'source': 'camera'}],
          'publish tracks map mids to microphone and camera')
    check(pub['sdp'].count('a=sendonly') == 2 and 'm=audio' in pub['sdp'] and 'm=video' in pub['sdp'],
          'the publish offer has a sendonly audio and video m-line')
    ws.send({'type': 'publish_answer', 'sdp': answer_for(pub['sdp']), 'id': pub.get('id')})
    page.wait("return window.__meetgateErrors.length === 0 && !document.body.innerText.includes('could not be sent')",
              'the publish answer to be applied', 3)

    ws.send({'type': 'subscribe_offer', 'sdp': subscribe_offer(1, [('0', 'p3', 'p3-0', 'audio'), ('1', 'p3', 'p3-1', 'video')]),
             'tracks': [{'mid': '0', 'track': 'p3-0', 'participant': 'p3', 'kind': 'audio', 'source': 'microphone'},
                        {'mid': '1', 'track': 'p3-1', 'participant': 'p3', 'kind': 'video', 'source': 'camera'}]})
    ans = ws.recv()
    check(ans['type'] == 'subscribe_answer' and ans['sdp'].count('a=recvonly') == 2, 'subscribe_answer with two recvonly m-lines')
    page.wait("const v = document.querySelector('.tile[data-key=\"p:p3\"] video');"
              "return !!(v && v.srcObject && v.srcObject.getVideoTracks().length === 1 && !v.hidden)",
              "Bob's camera track in Bob's tile")
    print("ok - mid 1 (p3-1) lands in Bob's tile")
    page.wait("return document.querySelectorAll('#audio-sink audio').length === 1", 'one audio element for Bob')
    print('ok - mid 0 (p3-0) plays through an audio element')

    ws.send({'type': 'active_speaker', 'participant': 'p3'})
    page.wait("return document.querySelector('.tile[data-key=\"p:p3\"]').classList.contains('speaking')", 'the speaker highlight')
    print('ok - active_speaker highlights the tile')
    ws.send({'type': 'muted', 'participant': 'p3', 'source': 'microphone', 'muted': True})
    page.wait("return document.querySelector('.tile[data-key=\"p:p3\"] .mic-off').style.display !== 'none'", 'the muted icon')
    print('ok - muted shows the muted-microphone icon')
    ws.send({'type': 'participant_joined', 'participant': {'id': 'p4', 'name': 'Carol Chen', 'role': 'attendee', 'tracks': []}})
    page.wait("return !!document.querySelector('.tile[data-key=\"p:p4\"]')", "Carol's tile")
    print('ok - participant_joined adds a tile (avatar)')
    ws.send({'type': 'lobby_waiting', 'participant': {'id': 'p9', 'name': 'Guest Nine'}})
    page.js("document.getElementById('ctl-people').click()")
    page.wait_text('Guest Nine')
    page.js("document.querySelector('button[data-action=\"admit\"][data-pid=\"p9\"]').click()")
    m = ws.recv()
    check(m['type'] == 'admit' and m['participant'] == 'p9', 'a host admits a lobby entry')

    page.js("document.getElementById('ctl-mic').click()")
    m = ws.recv()
    check(m['type'] == 'mute' and m['source'] == 'microphone' and m['muted'] is True, 'the mic button sends mute')
    check(page.js("return document.getElementById('ctl-mic').getAttribute('aria-pressed')") == 'false', 'the mic button shows off')

    m = ws.recv(timeout=12, skip=('candidate', 'layer'))
    check(m == {'type': 'ping'}, 'the page pings')

    # A network blip: the page must come back with the resume token and publish again.
    ws.drop()
    page.wait_text('Reconnecting', 5)
    print('ok - reconnecting banner')
    ws = connections.get(timeout=10)
    m = ws.recv()
    check(m['type'] == 'join' and m.get('resume') == 'resume-1' and 'token' not in m, 'join with the resume token')
    ws.send({'type': 'joined', 'id': m['id'], 'me': {'id': 'p7', 'name': 'Ada Lovelace', 'role': 'host'},
             'room': {'id': 'r1', 'code': 'ABCD-EFGH', 'title': 'Weekly sync', 'policy': 'open', 'locked': False},
             'participants': [{'id': 'p3', 'name': 'Bob Martin', 'role': 'attendee', 'tracks': []}],
             'resume': 'resume-2', 'resumed': True})
    pub = ws.recv()
    check(pub['type'] == 'publish' and len(pub['tracks']) == 2, 'a new publish after resuming')
    check('m=audio' in pub['sdp'] and pub['sdp'].index('m=audio') < pub['sdp'].index('m=video'), 'on a new connection')
    ws.send({'type': 'publish_answer', 'sdp': answer_for(pub['sdp']), 'id': pub.get('id')})
    m = ws.recv()
    check(m == {'type': 'mute', 'source': 'microphone', 'muted': True}, 'the muted microphone is announced again')
    page.wait("return document.getElementById('banner').hidden", 'the banner to go')
    print('ok - the banner goes once resumed')

    ws.send({'type': 'room_closing', 'reason': 'ended_by_host', 'at': '2026-11-26T10:00:00Z'})
    page.wait_text('A host ended the meeting for everyone')
    print('ok - room_closing shows the end screen')
    errors = page.js('return window.__meetgateErrors')
    check(not errors, f'no JavaScript errors {errors or ""}')


def main():
    if not os.access(CHROMIUM, os.X_OK) or not shutil.which(CHROMEDRIVER):
        print('# Chromium or chromedriver not found: skipping')
        return 77
    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(WsHandler, directory=WEB))
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f'http://127.0.0.1:{srv.server_address[1]}'
    driver = Driver()
    status = 0
    with tempfile.TemporaryDirectory(prefix='mg-chromium-') as profile:
        sid = driver.session((1280, 800), profile)
        try:
            run(Page(driver, sid), base)
        except AssertionError as e:
            print(f'not ok - {e}')
            status = 1
        finally:
            driver.call('DELETE', f'/session/{sid}')
            driver.close()
            srv.shutdown()
    return status


if __name__ == '__main__':
    sys.exit(main())

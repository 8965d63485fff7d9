# SPDX-License-Identifier: MIT
"""Shared helpers for meetgate's integration tests: start the real daemon on
127.0.0.1 with a free port and a temporary data folder, and speak raw HTTP and
WebSocket to it (raw, so tests can send what a library would refuse to)."""
import base64
import json
import os
import re
import select
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import tempfile
import time


def configured_secrets(args, env=None):
    """The secret values a test gave meetgate (-o/--set and MEETGATE_* env):
    the server secret, OA source keys and webhook secrets, admin keys, the
    metrics token. None of them may ever appear in its log."""
    pairs = []
    args = list(args)
    for i, a in enumerate(args):
        if a in ("-o", "--set") and i + 1 < len(args):
            pairs.append(args[i + 1])
        elif a.startswith("--set="):
            pairs.append(a[len("--set="):])
    for k, v in (env or {}).items():
        if k.startswith("MEETGATE_"):
            section, _, key = k[len("MEETGATE_"):].lower().partition("_")
            pairs.append("%s.%s=%s" % (section, key, v))
    found = set()
    for p in pairs:
        key, _, value = p.partition("=")
        if key == "server.secret" or key.endswith(".token") or key.endswith(".password"):
            found.add(value)
        elif key == "oa.sources":
            for entry in value.split(","):
                found.update(entry.split(":")[1:])
        elif key == "events.webhooks":
            for entry in value.split(","):
                found.update(entry.split(":", 2)[1:2])
        elif key == "admin.keys":
            for entry in value.split(","):
                found.update(entry.split(":")[2:])
    return {s for s in found if len(s) >= 8}


class Daemon:
    def __init__(self, binary, args=(), env=None, data_dir=None):
        self.binary = binary
        self.secrets = configured_secrets(args, env)
        self.tmp = tempfile.mkdtemp(prefix="mg-it-")
        self.data_dir = data_dir or os.path.join(self.tmp, "data")
        self.log_path = os.path.join(self.tmp, "meetgate.log")
        cmd = [binary, "-o", "server.listen=127.0.0.1:0", "-o", "server.data_dir=" + self.data_dir,
               "-o", "log.format=json", "-o", "log.level=debug", *args]
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.log = open(self.log_path, "w+")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.log, env=full_env)
        self.url = self._wait_for_url()
        m = re.match(r"(https?)://([^/]+):(\d+)", self.url)
        self.scheme, self.host, self.port = m.group(1), m.group(2), int(m.group(3))

    def _wait_for_url(self, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in self.read_log():
                m = re.search(r"listening on (\S+?)/? ", line.get("msg", ""))
                if m:
                    return m.group(1)
            if self.proc.poll() is not None:
                raise RuntimeError("meetgate exited with %d:\n%s" % (self.proc.returncode, self.log_text()))
            time.sleep(0.05)
        raise RuntimeError("meetgate did not start:\n" + self.log_text())

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()

    def read_log(self):
        out = []
        for line in self.log_text().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"msg": line})
        return out

    def stop(self, sig=signal.SIGTERM, timeout=5):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        finally:
            self.log.close()

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if not self.log.closed:
            self.log.close()
        text = self.log_text() if os.path.exists(self.log_path) else ""
        shutil.rmtree(self.tmp, ignore_errors=True)
        leaked = sorted(s[:4] + "…" for s in self.secrets if s in text)
        if leaked:
            raise AssertionError("a configured secret reached meetgate's log: %s" % ", ".join(leaked))

    def connect(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        if self.scheme == "https":
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            s = ctx.wrap_socket(s)
        return s

    def request(self, method, path, body=b"", headers=None):
        """One HTTP/1.1 request on a fresh connection: (status, headers, body)."""
        s = self.connect()
        hdrs = {"Host": "127.0.0.1", "Connection": "close"}
        if body:
            hdrs["Content-Length"] = str(len(body))
        hdrs.update(headers or {})
        head = "%s %s HTTP/1.1\r\n" % (method, path) + "".join("%s: %s\r\n" % kv for kv in hdrs.items())
        s.sendall(head.encode() + b"\r\n" + body)
        return read_response(s)


def read_response(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines[0].startswith("HTTP/1.1 "):
        return None, {}, data
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    s.close()
    return status, headers, rest


class WebSocket:
    """A minimal client that can also send frames no library would."""

    def __init__(self, daemon, path="/ws"):
        self.sock = daemon.connect()
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, key)).encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during handshake: %r" % data)
            data += chunk
        head, _, self.buf = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionError("handshake refused: %r" % head)

    def send_frame(self, opcode, payload, fin=True, mask=True, rsv=0):
        b0 = (0x80 if fin else 0) | rsv << 4 | opcode
        n = len(payload)
        if n < 126:
            hdr = struct.pack("!BB", b0, (0x80 if mask else 0) | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", b0, (0x80 if mask else 0) | 126, n)
        else:
            hdr = struct.pack("!BBQ", b0, (0x80 if mask else 0) | 127, n)
        if mask:
            key = os.urandom(4)
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
            hdr += key
        self.sock.sendall(hdr + payload)

    def send_text(self, text):
        self.send_frame(1, text.encode() if isinstance(text, str) else text)

    def send_json(self, obj):
        self.send_text(json.dumps(obj))

    def _need(self, n, timeout):
        deadline = time.time() + timeout
        while len(self.buf) < n:
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("no frame")
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk

    def recv_frame(self, timeout=5):
        """(opcode, payload); close frames come back as (8, payload)."""
        self._need(2, timeout)
        b0, b1 = self.buf[0], self.buf[1]
        n, off = b1 & 0x7F, 2
        if n == 126:
            self._need(4, timeout)
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10, timeout)
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(off + n, timeout)
        payload, self.buf = self.buf[off:off + n], self.buf[off + n:]
        return b0 & 0x0F, payload

    def recv_json(self, timeout=5):
        while True:
            op, payload = self.recv_frame(timeout)
            if op == 1:
                return json.loads(payload)
            if op == 8:
                raise ConnectionError("closed: %r" % payload)

    def expect_close(self, timeout=5):
        """The close code the server sent (None if the TCP connection just ended)."""
        try:
            while True:
                op, payload = self.recv_frame(timeout)
                if op == 8:
                    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
        except ConnectionError:
            return None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

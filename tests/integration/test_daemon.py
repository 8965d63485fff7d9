#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The real meetgate binary on 127.0.0.1: health, static pages, errors, limits,
the WebSocket endpoint under garbage, configuration errors, TLS, shutdown."""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mgtest import Daemon, WebSocket  # noqa: E402

BINARY = sys.argv.pop(1) if len(sys.argv) > 1 else "build/meetgate"


class SlowClients(unittest.TestCase):
    """Slow-loris: connections that send nothing, or a header byte now and
    then, are closed by the idle timeout and never stop others being served."""

    def test_slow_clients_are_bounded(self):
        d = Daemon(BINARY, ["-o", "server.idle_timeout=5"])
        try:
            socks = []
            for i in range(60):
                s = socket.create_connection(("127.0.0.1", d.port), timeout=5)
                if i % 2:
                    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
                s.setblocking(False)
                socks.append(s)
            status, _, _ = d.request("GET", "/healthz")  # served meanwhile
            self.assertEqual(status, 200)
            open_ = set(range(len(socks)))
            deadline = time.time() + 60  # a bound on correctness, not a timing figure
            while open_ and time.time() < deadline:
                for i in list(open_):
                    try:
                        if i % 2:
                            socks[i].send(b"X")  # one more header byte
                        if socks[i].recv(4096) == b"":
                            open_.discard(i)
                    except BlockingIOError:
                        pass
                    except OSError:
                        open_.discard(i)
                time.sleep(1)
            self.assertFalse(open_, "%d slow connections were never closed" % len(open_))
            status, _, _ = d.request("GET", "/healthz")
            self.assertEqual(status, 200)
            for s in socks:
                s.close()
            self.assertEqual(d.stop(), 0)
        finally:
            d.cleanup()


class Running(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon(BINARY, ["-o", "server.max_ws_message=4096", "-o", "server.max_body=2048"])

    @classmethod
    def tearDownClass(cls):
        cls.d.cleanup()

    def assert_alive(self):
        status, _, body = self.d.request("GET", "/healthz")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["status"], "ok")

    def test_healthz(self):
        status, headers, body = self.d.request("GET", "/healthz")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("application/json"))
        h = json.loads(body)
        self.assertEqual(h["status"], "ok")
        self.assertEqual(h["store"], "ok")
        self.assertRegex(h["version"], r"^\d+\.\d+\.\d+")
        self.assertIsInstance(h["uptime_s"], int)

    def test_index_page(self):
        status, headers, body = self.d.request("GET", "/")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/html"))
        self.assertIn(b"meetgate", body)
        status, headers, _ = self.d.request("GET", "/style.css")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/css"))

    def test_errors_are_json(self):
        for method, path, code, status in [("GET", "/nope", "not_found", 404),
                                           ("GET", "/../../etc/passwd", "not_found", 404),
                                           ("POST", "/healthz", "method_not_allowed", 405),
                                           ("DELETE", "/index.html", "method_not_allowed", 405)]:
            got, headers, body = self.d.request(method, path)
            self.assertEqual(got, status, path)
            err = json.loads(body)["error"]
            self.assertEqual(err["code"], code)
            self.assertTrue(err["message"])

    def test_path_traversal(self):
        """Static files come from the compiled-in resources only: no spelling
        of a path reaches the file system."""
        for path in ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd",
                     "//etc/passwd", "/web/../../../etc/passwd", "/%252e%252e/etc/passwd",
                     "/./../meson.build", "/index.html/../../etc/passwd", "/..\\..\\etc\\passwd",
                     "/j/../../etc/passwd", "/%00/etc/passwd"]:
            status, _, body = self.d.request("GET", path)
            self.assertIn(status, (400, 404), path)
            self.assertNotIn(b"root:", body, path)
            self.assertNotIn(b"project(", body, path)
        self.assert_alive()

    def test_pipelined_request_with_body(self):
        """A request with a body pipelined behind another: the first is
        answered, then the connection closes (libwebsockets 4.1 would
        otherwise loop on it forever, or read freed memory); the server stays
        responsive."""
        s = self.d.connect()
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
        s.settimeout(10)
        got = b""
        while True:
            chunk = s.recv(65536)  # a timeout here fails the test: the connection must close
            if not chunk:
                break
            got += chunk
        s.close()
        self.assertTrue(got.startswith(b"HTTP/1.1 200"), got[:60])
        self.assert_alive()

    def test_one_request_per_connection(self):
        """Every answer says Connection: close; a client library that keeps
        connections (http.client) simply opens the next one."""
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", self.d.port, timeout=5)
        statuses = []
        for i in range(6):
            c.request(*(("POST", "/healthz", b"abc") if i % 2 else ("GET", "/healthz")))
            r = c.getresponse()
            r.read()
            statuses.append((r.status, r.getheader("connection")))
        c.close()
        self.assertEqual(statuses, [(200, "close"), (405, "close")] * 3)

    def test_body_limit(self):
        status, _, body = self.d.request("POST", "/healthz", b"x" * 4000)
        self.assertEqual(status, 413)
        self.assertEqual(json.loads(body)["error"]["code"], "body_too_large")
        self.assert_alive()

    def test_garbage_http(self):
        for junk in [b"\x00\x01\x02\x03" * 100, b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n",
                     b"POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n", b"A" * 20000 + b"\r\n\r\n",
                     b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Long: " + b"y" * 70000 + b"\r\n\r\n"]:
            s = self.d.connect()
            try:
                s.sendall(junk)
                s.settimeout(5)
                s.recv(4096)
            except OSError:
                pass
            s.close()
        self.assert_alive()

    def test_websocket_ping(self):
        ws = WebSocket(self.d)
        ws.send_json({"type": "ping", "id": 1})
        self.assertEqual(ws.recv_json(), {"type": "pong", "id": 1})
        ws.send_text("{not json")
        msg = ws.recv_json()
        self.assertEqual((msg["type"], msg["code"]), ("error", "bad_message"))
        ws.send_json({"type": "no-such-type"})
        self.assertEqual(ws.recv_json()["code"], "unknown_type")
        # A message in fragments is assembled.
        ws.send_frame(1, b'{"type":', fin=False)
        ws.send_frame(0, b'"ping"}', fin=True)
        self.assertEqual(ws.recv_json()["type"], "pong")
        ws.close()

    def test_websocket_oversized(self):
        ws = WebSocket(self.d)
        ws.send_text(json.dumps({"type": "ping", "pad": "x" * 10000}))
        self.assertEqual(ws.expect_close(), 1009)
        ws.close()
        ws = WebSocket(self.d)  # in fragments, too
        for _ in range(5):
            ws.send_frame(1 if _ == 0 else 0, b"x" * 1000, fin=False)
        self.assertEqual(ws.expect_close(), 1009)
        ws.close()
        self.assert_alive()

    def test_websocket_garbage(self):
        # libwebsockets tolerates an unmasked client frame (RFC 6455 says close):
        # what must hold is that it is answered as bad input and nothing breaks.
        ws = WebSocket(self.d)
        ws.send_frame(1, b"unmasked", mask=False)
        self.assertEqual(ws.recv_json()["code"], "bad_message")
        ws.close()
        cases = [lambda ws: ws.send_frame(0x3, b"reserved opcode"),
                 lambda ws: ws.send_frame(1, b"\xff\xfe not utf-8"),
                 lambda ws: ws.send_frame(2, b"\x00binary"),
                 lambda ws: ws.send_frame(1, b"rsv bits", rsv=3),
                 lambda ws: ws.sock.sendall(os.urandom(3000))]
        for send in cases:
            ws = WebSocket(self.d)
            send(ws)
            code = ws.expect_close()
            self.assertTrue(code is None or code >= 1002, code)
            ws.close()
        ws = WebSocket(self.d)
        ws.send_json({"type": "ping"})
        self.assertEqual(ws.recv_json()["type"], "pong")
        ws.close()
        self.assert_alive()

    def test_websocket_unknown_path(self):
        with self.assertRaises(ConnectionError):
            WebSocket(self.d, "/not-a-socket")
        self.assert_alive()


class Lifecycle(unittest.TestCase):
    def run_meetgate(self, *args, env=None):
        full = dict(os.environ)
        full.update(env or {})
        return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=20, env=full)

    def test_version(self):
        r = self.run_meetgate("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^meetgate \d+\.\d+\.\d+")

    def test_print_config_masks_secret(self):
        secret = "a-very-secret-value-0123456789abcdef"
        r = self.run_meetgate("--print-config", env={"MEETGATE_SERVER_SECRET": secret,
                                                     "MEETGATE_SERVER_LISTEN": "127.0.0.1:9999"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(secret, r.stdout)
        self.assertIn("secret = ********", r.stdout)
        self.assertRegex(r.stdout, r"listen = 127\.0\.0\.1:9999\s+# environment")

    def test_bad_config(self):
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
            f.write("[server]\nlisten = 127.0.0.1:8080\nmax_bodyy = 3\n")
        r = self.run_meetgate("--config", f.name, "--print-config")
        self.assertEqual(r.returncode, 2)
        self.assertIn(f.name, r.stderr)
        self.assertIn("max_bodyy", r.stderr)
        self.assertIn("max_body", r.stderr.split("keys in")[1])
        with open(f.name, "w") as g:
            g.write("[log]\nlevel = shouty\n")
        r = self.run_meetgate("--config", f.name)
        self.assertEqual(r.returncode, 2)
        self.assertIn("[log] level", r.stderr)
        self.assertIn("error|warning|info|debug", r.stderr)
        os.unlink(f.name)

    def test_example_config_is_valid(self):
        conf = os.path.join(os.path.dirname(__file__), "..", "..", "conf", "meetgate.conf")
        r = self.run_meetgate("--config", conf, "--print-config")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_every_key_is_documented(self):
        """conf/meetgate.conf and docs/configuration.md name every key the binary knows."""
        import re
        top = os.path.join(os.path.dirname(__file__), "..", "..")
        conf = open(os.path.join(top, "conf", "meetgate.conf")).read()
        documented = set(re.findall(r"`\[(\w+)\] (\w+)`", open(os.path.join(top, "docs", "configuration.md")).read()))
        r = self.run_meetgate("--print-config")
        section, keys = None, 0
        for line in r.stdout.splitlines():
            m = re.match(r"\[(\w+)\]$", line)
            if m:
                section = m.group(1)
                self.assertRegex(conf, r"(?m)^\[%s\]$" % section)
            m = re.match(r"(\w+) =", line)
            if m:
                keys += 1
                self.assertRegex(conf, r"(?m)^#?%s =" % m.group(1), "[%s] %s not in conf/meetgate.conf" % (section, m.group(1)))
                self.assertIn((section, m.group(1)), documented, "[%s] %s not in docs/configuration.md" % (section, m.group(1)))
        self.assertGreater(keys, 20)

    def test_production_refuses_generated_secret(self):
        with tempfile.TemporaryDirectory() as tmp:
            r = self.run_meetgate("-o", "server.production=true", "-o", "server.data_dir=" + tmp,
                                  "-o", "server.listen=127.0.0.1:0")
            self.assertEqual(r.returncode, 1)
            self.assertIn("production mode", r.stderr)
            r = self.run_meetgate("-o", "server.production=true", "-o", "server.data_dir=" + tmp,
                                  "-o", "server.listen=127.0.0.1:0", env={"MEETGATE_SERVER_SECRET": "changeme"})
            self.assertEqual(r.returncode, 1)
            self.assertIn("production mode", r.stderr)
            self.assertNotIn("changeme", r.stderr)

    def test_generated_secret_persists_and_is_not_logged(self):
        d = Daemon(BINARY)
        try:
            path = os.path.join(d.data_dir, "secret")
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
            secret = open(path).read().strip()
            self.assertGreaterEqual(len(secret), 32)
            self.assertEqual(d.stop(), 0)
            self.assertNotIn(secret, d.log_text())
            d2 = Daemon(BINARY, data_dir=d.data_dir)
            self.assertEqual(open(path).read().strip(), secret)
            self.assertEqual(d2.stop(), 0)
            d2.cleanup()
        finally:
            d.cleanup()

    def test_sigterm_with_open_websocket(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            d = Daemon(BINARY)
            try:
                ws = WebSocket(d)
                ws.send_json({"type": "ping"})
                ws.recv_json()
                t0 = time.time()
                d.proc.send_signal(sig)
                self.assertEqual(ws.expect_close(), 1001)
                self.assertEqual(d.proc.wait(5), 0)
                self.assertLess(time.time() - t0, 5)
            finally:
                d.cleanup()

    def test_port_in_use(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with tempfile.TemporaryDirectory() as tmp:
            r = self.run_meetgate("-o", "server.listen=127.0.0.1:%d" % port, "-o", "server.data_dir=" + tmp)
        s.close()
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot serve HTTP on 127.0.0.1:%d" % port, r.stderr)

    def test_store_too_new_stops_startup(self):
        with tempfile.TemporaryDirectory() as tmp:
            import sqlite3
            db = sqlite3.connect(os.path.join(tmp, "meetgate.db"))
            db.execute("PRAGMA user_version = 9999")
            db.close()
            r = self.run_meetgate("-o", "server.listen=127.0.0.1:0", "-o", "server.data_dir=" + tmp)
            self.assertEqual(r.returncode, 1)
            self.assertIn("newer than this meetgate knows", r.stderr)

    def test_tls(self):
        with tempfile.TemporaryDirectory() as tmp:
            cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                            "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"],
                           check=True, capture_output=True)
            d = Daemon(BINARY, ["-o", "server.tls_cert=" + cert, "-o", "server.tls_key=" + key])
            try:
                self.assertEqual(d.scheme, "https")
                status, _, body = d.request("GET", "/healthz")
                self.assertEqual(status, 200)
                ws = WebSocket(d)
                ws.send_json({"type": "ping"})
                self.assertEqual(ws.recv_json()["type"], "pong")
                ws.close()
                self.assertEqual(d.stop(), 0)
            finally:
                d.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)

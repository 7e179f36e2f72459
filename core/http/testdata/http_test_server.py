#!/usr/bin/env python3
"""A tiny HTTP/1.1 keep-alive server for core/http/http_test.cpp. Listens on 127.0.0.1 only.

Usage: http_test_server.py   (prints "<port> <pid>" on stdout once listening; exits on SIGTERM,
                              or by itself after 300 s so that a crashed test leaves no server)

Endpoints:
  PUT /store/NAME             stores the body (Content-Length required); answers 200 with
                              "stored N" and an ETag header
  GET /store/NAME             the stored body (404 if none)
  GET /bytes?n=N              N bytes of the pattern i % 251
  GET /slow?n=N&delay=S       N bytes in 1 KiB pieces, sleeping S seconds after each piece
  GET /flaky/ID?fail=K&status=503&retry_after=R
                              the first K requests for ID answer `status` (with Retry-After: R
                              if given, and an S3 <Error> body), then 200 "ok after K"
  GET /stats                  JSON {"connections": number of TCP connections accepted,
                                    "requests": number of requests}
  GET /echo-headers           the request headers, one "name: value" per line
"""

import http.server
import json
import os
import signal
import sys
import threading
import time
import urllib.parse

STATE = {"connections": 0, "requests": 0, "store": {}, "flaky": {}}
LOCK = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        with LOCK:
            STATE["connections"] += 1

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def parsed(self):
        u = urllib.parse.urlsplit(self.path)
        return u.path, dict(urllib.parse.parse_qsl(u.query))

    def do_PUT(self):
        with LOCK:
            STATE["requests"] += 1
        path, _ = self.parsed()
        length = int(self.headers.get("Content-Length", "-1"))
        if length < 0 or self.headers.get("Transfer-Encoding"):
            self.reply(411, b"length required")
            return
        body = self.rfile.read(length)
        with LOCK:
            STATE["store"][path] = body
        self.reply(200, b"stored %d" % len(body), {"ETag": '"etag-%d"' % len(body)})

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        with LOCK:
            STATE["requests"] += 1
        path, q = self.parsed()
        if path.startswith("/store/"):
            with LOCK:
                body = STATE["store"].get(path)
            if body is None:
                self.reply(404, b"<Error><Code>NoSuchKey</Code></Error>")
            else:
                self.reply(200, body)
        elif path == "/bytes":
            n = int(q.get("n", "0"))
            self.reply(200, bytes(i % 251 for i in range(n)))
        elif path == "/slow":
            n, delay = int(q.get("n", "0")), float(q.get("delay", "0.1"))
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            sent = 0
            try:
                while sent < n:
                    piece = min(1024, n - sent)
                    self.wfile.write(b"x" * piece)
                    self.wfile.flush()
                    sent += piece
                    time.sleep(delay)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
        elif path.startswith("/flaky/"):
            fail = int(q.get("fail", "0"))
            with LOCK:
                seen = STATE["flaky"].get(path, 0)
                STATE["flaky"][path] = seen + 1
            if seen < fail:
                headers = {}
                if "retry_after" in q:
                    headers["Retry-After"] = q["retry_after"]
                self.reply(int(q.get("status", "503")),
                           b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate."
                           b"</Message></Error>", headers)
            else:
                self.reply(200, b"ok after %d" % fail)
        elif path == "/stats":
            with LOCK:
                body = json.dumps({"connections": STATE["connections"],
                                   "requests": STATE["requests"]}).encode()
            self.reply(200, body)
        elif path == "/echo-headers":
            self.reply(200, "".join("%s: %s\n" % kv for kv in self.headers.items()).encode())
        else:
            self.reply(404, b"no such endpoint")


class Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # clients that hang up (cancel tests) are expected


def main():
    server = Server(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    threading.Timer(300, lambda: os._exit(0)).start()
    print("%d %d" % (server.server_address[1], os.getpid()), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())

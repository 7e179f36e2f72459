#!/usr/bin/env python3
"""A hostile S3 server for tests/hostile_s3_test.cpp: answers path-style S3 requests with crafted
listings, headers and bodies, chosen by the bucket (the first path segment). Signatures are not
checked. Python 3 standard library only; listens on 127.0.0.1 only.

Usage: hostile_s3.py   (prints "<port> <pid>" on stdout once listening; exits on SIGTERM, or by
                        itself after 600 s so that a crashed test leaves no server)

Every bucket exists (HEAD /bucket is 200) and holds one object "obj" of OBJECT_SIZE bytes of the
pattern i % 251, served with correct ranges, except as below:

  ok                    nothing hostile: the control case
  short-key             listings hold the key "d", shorter than any requested prefix "dir/"
  bad-md5               obj's ETag is not an MD5 and x-amz-meta-md5chksum is "===="
  huge-mtime            obj's x-amz-meta-mtime is 999999999999 (year 33658)
  lastmod-2300          obj's Last-Modified (HEAD, GET and listings) is in the year 2300
  listdate-1009         listings give obj a LastModified in the year 1009
  retry-after-2300      every request is 503 SlowDown with a Retry-After date in the year 2300
  truncated-new-token   every listing page is empty, truncated, with a new continuation token
  truncated-same-token  every listing page holds a new key and is truncated with the same token
  huge-page             a listing page of HUGE_PAGE_ELEMENTS empty <Contents/> elements
  oversized-page        a listing page of OVERSIZED_PAGE_BYTES, mostly white space
  whole-object          a GET with a Range is answered 200 with the whole object
  wrong-range           a GET with a Range is answered 206 with the range that starts at 0

GET /__count/BUCKET answers the number of requests made so far for BUCKET (decimal).
"""

import http.server
import os
import re
import signal
import sys
import threading
import urllib.parse

OBJECT_SIZE = 3 << 20
HUGE_PAGE_ELEMENTS = 4_000_000
OVERSIZED_PAGE_BYTES = 80 << 20
LAST_MODIFIED = "Wed, 21 Oct 2015 07:28:00 GMT"
LIST_DATE = "2015-10-21T07:28:00.000Z"
YEAR_2300_HTTP = "Sat, 01 Jan 2300 00:00:00 GMT"
YEAR_2300_ISO = "2300-01-01T00:00:00.000Z"
YEAR_1009_ISO = "1009-06-01T12:00:00.000Z"

COUNTS = {}
LOCK = threading.Lock()
PATTERN = bytes(i % 251 for i in range(OBJECT_SIZE))


def listing(contents="", prefixes="", truncated=False, token=""):
    parts = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
             "<Name>b</Name>",
             "<IsTruncated>%s</IsTruncated>" % ("true" if truncated else "false")]
    if token:
        parts.append("<NextContinuationToken>%s</NextContinuationToken>" % token)
    parts.append(contents)
    parts.append(prefixes)
    parts.append("</ListBucketResult>")
    return "".join(parts).encode()


def entry(key, date=LIST_DATE, size=OBJECT_SIZE):
    return ("<Contents><Key>%s</Key><LastModified>%s</LastModified>"
            '<ETag>"0123456789abcdef0123456789abcdef"</ETag><Size>%d</Size>'
            "<StorageClass>STANDARD</StorageClass></Contents>" % (key, date, size))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

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

    def target(self):
        u = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(u.path)
        bucket, _, key = path.lstrip("/").partition("/")
        return bucket, key, dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))

    def do_HEAD(self):
        self.do_GET()

    def do_PUT(self):
        self.reply(501, b"<Error><Code>NotImplemented</Code></Error>")

    do_POST = do_PUT
    do_DELETE = do_PUT

    def do_GET(self):
        bucket, key, query = self.target()
        if bucket == "__count":
            with LOCK:
                self.reply(200, str(COUNTS.get(key, 0)).encode())
            return
        with LOCK:
            COUNTS[bucket] = COUNTS.get(bucket, 0) + 1
            count = COUNTS[bucket]
        if bucket == "retry-after-2300":
            self.reply(503, b"<Error><Code>SlowDown</Code><Message>Please reduce your request "
                       b"rate.</Message></Error>", {"Retry-After": YEAR_2300_HTTP})
        elif not key and ("list-type" in query or "prefix" in query):
            self.list_objects(bucket, query, count)
        elif not key:
            self.reply(200)  # HeadBucket
        elif key == "obj":
            self.get_object(bucket)
        else:
            self.reply(404, b"<Error><Code>NoSuchKey</Code></Error>")

    def list_objects(self, bucket, query, count):
        prefix = query.get("prefix", "")
        if bucket == "short-key":
            self.reply(200, listing(entry("d")))
        elif bucket == "truncated-new-token":
            self.reply(200, listing(truncated=True, token="token-%d" % count))
        elif bucket == "truncated-same-token":
            self.reply(200, listing(entry(prefix + "key-%d" % count), truncated=True,
                                    token="same"))
        elif bucket == "huge-page":
            self.stream_page(b"<Contents/>" * 100_000, HUGE_PAGE_ELEMENTS // 100_000)
        elif bucket == "oversized-page":
            self.stream_page(b" " * (1 << 20), OVERSIZED_PAGE_BYTES >> 20)
        elif prefix:
            self.reply(200, listing())  # only "obj" exists, at the top
        elif bucket == "lastmod-2300":
            self.reply(200, listing(entry("obj", YEAR_2300_ISO)))
        elif bucket == "listdate-1009":
            self.reply(200, listing(entry("obj", YEAR_1009_ISO)))
        else:
            self.reply(200, listing(entry("obj")))

    def stream_page(self, piece, pieces):
        """A listing page with `pieces` copies of `piece` inside, sent as it is made."""
        head = listing(truncated=False).replace(b"</ListBucketResult>", b"")
        tail = b"</ListBucketResult>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(head) + len(piece) * pieces + len(tail)))
        self.end_headers()
        try:
            self.wfile.write(head)
            for _ in range(pieces):
                self.wfile.write(piece)
            self.wfile.write(tail)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def get_object(self, bucket):
        headers = {"ETag": '"%s"' % "0123456789abcdef0123456789abcdef",
                   "Last-Modified": LAST_MODIFIED,
                   "Content-Type": "application/octet-stream"}
        if bucket == "bad-md5":
            headers["ETag"] = '"not-an-md5-2"'
            headers["x-amz-meta-md5chksum"] = "===="
        elif bucket == "huge-mtime":
            headers["x-amz-meta-mtime"] = "999999999999"
        elif bucket == "lastmod-2300":
            headers["Last-Modified"] = YEAR_2300_HTTP
        wanted = self.headers.get("Range")
        if wanted is None or self.command == "HEAD" or bucket == "whole-object":
            self.reply(200, PATTERN, headers)
            return
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", wanted)
        if not m:
            self.reply(400, b"<Error><Code>InvalidArgument</Code></Error>")
            return
        start = int(m.group(1))
        end = int(m.group(2)) if m.group(2) else OBJECT_SIZE - 1
        end = min(end, OBJECT_SIZE - 1)
        if start >= OBJECT_SIZE:
            self.reply(416, b"<Error><Code>InvalidRange</Code></Error>")
            return
        if bucket == "wrong-range":
            end, start = end - start, 0
        headers["Content-Range"] = "bytes %d-%d/%d" % (start, end, OBJECT_SIZE)
        self.reply(206, PATTERN[start:end + 1], headers)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # clients that hang up on a hostile answer are expected


def main():
    server = Server(("127.0.0.1", 0), Handler)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    timer = threading.Timer(600, lambda: os._exit(0))
    timer.daemon = True
    timer.start()
    print("%d %d" % (server.server_address[1], os.getpid()), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())

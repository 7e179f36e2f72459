#!/usr/bin/env python3
"""A signature-checking, fault-injecting reverse proxy in front of s3rver (which checks no
signatures). For tests only; listens on 127.0.0.1 only.

Usage: s3front.py --upstream-port N [--port 0] [--access-key K --secret-key S] [--region R]
                  [--pidfile F]
Keys default to $S3FRONT_ACCESS_KEY / $S3FRONT_SECRET_KEY. Prints the listening port on stdout
(one line) once it accepts connections; stops on SIGTERM or SIGINT.

Every request is checked like AWS S3 does, using botocore's own SigV4 signer with S3's
canonicalisation (path not normalised; the decoded path and query re-encoded strictly):
  - header auth (Authorization: AWS4-HMAC-SHA256 ...) and presigned URLs (X-Amz-Signature);
  - unknown access key -> 403 InvalidAccessKeyId; wrong signature -> 403 SignatureDoesNotMatch;
    no auth -> 403 AccessDenied; expired presigned URL -> 403 AccessDenied; x-amz-date more than
    15 min off -> 403 RequestTimeTooSkewed; credential scope in another region -> 400
    AuthorizationHeaderMalformed;
  - x-amz-content-sha256 missing on header auth -> 400 InvalidRequest; not matching the body
    -> 400 XAmzContentSHA256Mismatch (what S3 answers); UNSIGNED-PAYLOAD is accepted;
  - bodies: Content-Length, Transfer-Encoding: chunked, and aws-chunked content encoding
    (STREAMING-AWS4-HMAC-SHA256-PAYLOAD with each chunk signature verified, and
    STREAMING-UNSIGNED-PAYLOAD-TRAILER); the decoded body is forwarded with a Content-Length.

Admin endpoints (never forwarded, never signature-checked):
  POST /__fault   JSON {"kind": "500"|"503-slowdown"|"drop"|"truncate"|"slow"|"empty-etag"|"other-etag",
                  "count": N, "match": "substring of the path (optional)",
                  "method": "GET (optional)", "query": "substring of the query (optional)",
                  "retry_after": 1, "delay": 0.05}
                  Queues a fault for the next N matching requests. 500 and 503-slowdown answer
                  without forwarding; drop closes the connection without an answer (after reading
                  the request); truncate forwards, then sends the full headers but only half the
                  body and closes; slow forwards and sends the body in 16 KiB pieces, sleeping
                  `delay` seconds before each; empty-etag forwards and empties every <ETag> of
                  the answer's XML body (Ceph RGW 16's CompleteMultipartUpload answer);
                  other-etag forwards with another ETag header (an object replaced meanwhile).
                  More kinds, for the data-safety faults suite (tests/faults/):
                  store-nothing answers a PUT 200 with the body's MD5 as ETag and forwards
                  nothing (an endpoint that loses what it acknowledged); short-length forwards a
                  GET and sends half the body with a Content-Length that matches the half (a
                  truncated object that looks complete); omit-keys forwards a listing and drops
                  every <Contents> whose <Key> contains "omit"; malformed answers a listing 200
                  with a body that is not XML; hold reads the request, then waits before
                  forwarding it until POST /__release (or 60 s).
  DELETE /__fault clears all faults.   GET /__fault lists the pending faults.
  GET /__stats    JSON counters: requests (and by method: "GET", "HEAD", ...), forwarded, auth
                  failures, faults injected.
  POST /__clock   JSON {"offset": SECONDS}: from now on the front's clock runs that far ahead
                  (behind if negative): the Date and Last-Modified headers and every
                  <LastModified> of XML answers are shifted, and request times are checked
                  against the shifted clock, as a server whose clock is off would.
  GET /__held     waits (up to 30 s) until a request is held by a hold fault; {"held": bool}.
  POST /__release lets every held request (and any held later by the same fault) go on.
"""

import argparse
import datetime
import hashlib
import hmac
import http.client
import http.server
import json
import os
import re
import signal
import socket
import sys
import threading
import urllib.parse
import uuid

from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest, HTTPHeaders
from botocore.credentials import Credentials

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED = "UNSIGNED-PAYLOAD"
STREAMING_SIGNED = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
STREAMING_UNSIGNED_TRAILER = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
MAX_SKEW = datetime.timedelta(minutes=15)
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-connection", "expect"}
FAULT_KINDS = {"500", "503-slowdown", "drop", "truncate", "slow", "empty-etag", "other-etag",
               "store-nothing", "short-length", "omit-keys", "malformed", "hold"}
PIECE = 16 * 1024


class S3Error(Exception):
    """An S3-style error answer."""

    def __init__(self, status, code, message, extra=None):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra or {}


def error_xml(code, message, extra):
    from xml.sax.saxutils import escape
    parts = [f"<Code>{escape(code)}</Code>", f"<Message>{escape(message)}</Message>"]
    for key, value in extra.items():
        parts.append(f"<{key}>{escape(value)}</{key}>")
    parts.append(f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error>' + "".join(parts) +
            "</Error>").encode()


class Faults:
    """Thread-safe queue of pending faults."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pending = []
        self.injected = 0

    def add(self, spec):
        kind = str(spec.get("kind", ""))
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {sorted(FAULT_KINDS)}")
        fault = {"kind": kind, "count": int(spec.get("count", 1)),
                 "match": str(spec.get("match", "")), "method": str(spec.get("method", "")),
                 "query": str(spec.get("query", "")),
                 "retry_after": spec.get("retry_after", 1), "delay": float(spec.get("delay", 0.05)),
                 "omit": str(spec.get("omit", "omit"))}
        with self.lock:
            self.pending.append(fault)

    def take(self, method, path, query=""):
        with self.lock:
            for fault in self.pending:
                if (fault["match"] in path and fault["method"] in ("", method) and
                        fault["query"] in query):
                    fault["count"] -= 1
                    if fault["count"] <= 0:
                        self.pending.remove(fault)
                    self.injected += 1
                    return dict(fault)
        return None


class Front:
    """Shared configuration and counters."""

    def __init__(self, args):
        self.upstream_port = args.upstream_port
        self.keys = {args.access_key: args.secret_key}
        self.region = args.region
        self.faults = Faults()
        self.lock = threading.Lock()
        # requests, then the same by method (GET, HEAD, PUT, POST, DELETE)
        self.stats = {"requests": 0, "forwarded": 0, "auth_failures": 0,
                      "GET": 0, "HEAD": 0, "PUT": 0, "POST": 0, "DELETE": 0}
        self.clock_offset = datetime.timedelta(0)
        self.held = threading.Event()      # set once a request is held
        self.released = threading.Event()  # set by POST /__release

    def now(self):
        return datetime.datetime.now(datetime.timezone.utc) + self.clock_offset

    def count(self, key):
        with self.lock:
            self.stats[key] += 1


def parse_amz_date(value):
    try:
        return datetime.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        raise S3Error(403, "AccessDenied", "AWS authentication requires a valid Date or "
                      "x-amz-date header")


def parse_authorization(value):
    """'AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...' -> dict."""
    if not value.startswith("AWS4-HMAC-SHA256 "):
        raise S3Error(400, "InvalidArgument", "Unsupported Authorization Type")
    fields = {}
    for part in value[len("AWS4-HMAC-SHA256 "):].split(","):
        name, _, val = part.strip().partition("=")
        fields[name] = val
    if not all(k in fields for k in ("Credential", "SignedHeaders", "Signature")):
        raise S3Error(400, "AuthorizationHeaderMalformed", "The authorization header is malformed")
    return fields


class SignedHeadersMixin:
    """Signs exactly the headers the client listed (botocore would otherwise pick its own)."""

    def __init__(self, credentials, region, signed):
        super().__init__(credentials, "s3", region)
        self._signed = signed

    def headers_to_sign(self, request):
        header_map = HTTPHeaders()
        for name in self._signed:
            for value in request.headers.get_all(name) or []:
                header_map[name] = value
        return header_map


class HeaderAuth(SignedHeadersMixin, S3SigV4Auth):
    pass


class QueryAuth(SignedHeadersMixin, S3SigV4QueryAuth):
    pass


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "s3front"
    front = None  # set in main()

    def date_time_string(self, timestamp=None):  # the Date of the front's own answers
        return self.shift_http_date(super().date_time_string(timestamp))

    def log_message(self, fmt, *args):  # quiet: tests read stdout for the port only
        if os.environ.get("S3FRONT_VERBOSE") == "1":
            sys.stderr.write("s3front: " + (fmt % args) + "\n")

    # ---- entry points ------------------------------------------------------------------------
    def do_GET(self):
        self.handle_any()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_GET

    def handle_any(self):
        path_only = urllib.parse.urlsplit(self.path).path
        try:
            if path_only.startswith("/__"):
                self.handle_admin(path_only)
                return
            self.front.count("requests")
            if self.command in self.front.stats:
                self.front.count(self.command)
            body = self.read_body()
            self.verify(body)
            body = self.decode_aws_chunked(body)
            fault = self.front.faults.take(self.command, path_only,
                                           urllib.parse.urlsplit(self.path).query)
            if fault and fault["kind"] in ("500", "503-slowdown", "drop"):
                self.answer_fault(fault)
                return
            if fault and fault["kind"] == "store-nothing" and self.command == "PUT":
                self.answer_stored(body)
                return
            if fault and fault["kind"] == "malformed":
                self.answer_malformed()
                return
            if fault and fault["kind"] == "hold":
                self.front.held.set()
                self.front.released.wait(60)
            self.forward(body, fault)
        except S3Error as e:
            if e.status == 403:
                self.front.count("auth_failures")
            self.send_error_xml(e)
        except (ConnectionError, socket.timeout):
            self.close_connection = True

    # ---- request body ------------------------------------------------------------------------
    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self.read_chunked(self.rfile)
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        try:
            n = int(length)
        except ValueError:
            raise S3Error(400, "InvalidArgument", "bad Content-Length")
        body = self.rfile.read(n)
        if len(body) != n:
            # The client stopped sending (aborted upload): S3 stores nothing, so nothing is
            # forwarded (s3rver would store the short body).
            self.close_connection = True
            raise S3Error(400, "IncompleteBody",
                          f"the body ended after {len(body)} of {n} bytes")
        return body

    @staticmethod
    def read_chunked(stream):
        body = bytearray()
        while True:
            line = stream.readline(1024)
            if not line:
                raise ConnectionError("truncated chunked body")
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                while stream.readline(1024).strip():  # trailers
                    pass
                return bytes(body)
            body += stream.read(size)
            stream.readline(8)

    def decode_aws_chunked(self, body):
        mode = self.headers.get("x-amz-content-sha256", "")
        if not mode.startswith("STREAMING-"):
            return body
        if mode not in (STREAMING_SIGNED, STREAMING_UNSIGNED_TRAILER):
            raise S3Error(501, "NotImplemented", f"s3front does not support {mode}")
        data, pos, previous = bytearray(), 0, self._seed_signature
        while True:
            end = body.find(b"\r\n", pos)
            if end < 0:
                raise S3Error(400, "IncompleteBody", "aws-chunked body is truncated")
            header = body[pos:end].decode("ascii", "replace")
            size_text, _, ext = header.partition(";")
            size = int(size_text, 16)
            chunk = body[end + 2:end + 2 + size]
            if len(chunk) != size:
                raise S3Error(400, "IncompleteBody", "aws-chunked body is truncated")
            if mode == STREAMING_SIGNED:
                expected = self.chunk_signature(previous, chunk)
                if ext.partition("=")[2] != expected:
                    raise S3Error(403, "SignatureDoesNotMatch", "chunk signature mismatch")
                previous = expected
            data += chunk
            pos = end + 2 + size + (2 if size else 0)
            if size == 0:
                break
        declared = self.headers.get("x-amz-decoded-content-length")
        if declared is not None and int(declared) != len(data):
            raise S3Error(400, "IncompleteBody", "x-amz-decoded-content-length does not match")
        return bytes(data)

    def chunk_signature(self, previous, chunk):
        sts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", self._amz_date, self._scope, previous,
                         EMPTY_SHA256, hashlib.sha256(chunk).hexdigest()])
        return hmac.new(self._signing_key, sts.encode(), hashlib.sha256).hexdigest()

    # ---- signature check ---------------------------------------------------------------------
    def verify(self, body):
        split = urllib.parse.urlsplit(self.path)
        params = parse_query(split.query)
        auth_header = self.headers.get("Authorization")
        query_auth = any(k == "X-Amz-Signature" for k, _ in params)
        if auth_header and query_auth:
            raise S3Error(400, "InvalidArgument", "Only one auth mechanism allowed")
        if auth_header:
            fields = parse_authorization(auth_header)
            credential, signed = fields["Credential"], fields["SignedHeaders"]
            given_signature, amz_date = fields["Signature"], self.headers.get("x-amz-date", "")
        elif query_auth:
            q = dict(params)
            credential = q.get("X-Amz-Credential", "")
            signed = q.get("X-Amz-SignedHeaders", "")
            given_signature, amz_date = q.get("X-Amz-Signature", ""), q.get("X-Amz-Date", "")
            params = [(k, v) for k, v in params if k != "X-Amz-Signature"]
        else:
            raise S3Error(403, "AccessDenied", "Access Denied")
        access_key, _, scope = credential.partition("/")
        secret = self.front.keys.get(access_key)
        if secret is None:
            raise S3Error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not "
                          "exist in our records.", {"AWSAccessKeyId": access_key})
        self.check_scope_and_time(scope, amz_date, query_auth, params)
        signed_list = [h for h in signed.split(";") if h]
        if "host" not in signed_list:
            raise S3Error(400, "AuthorizationHeaderMalformed", "host must be a signed header")
        creq, sts, expected = self.compute(secret, signed_list, params, amz_date, query_auth, body)
        if not hmac.compare_digest(expected, given_signature):
            raise S3Error(403, "SignatureDoesNotMatch",
                          "The request signature we calculated does not match the signature you "
                          "provided. Check your key and signing method.",
                          {"AWSAccessKeyId": access_key, "StringToSign": sts,
                           "CanonicalRequest": creq})
        self._amz_date, self._scope, self._seed_signature = amz_date, scope, given_signature
        self._signing_key = signing_key(secret, amz_date[:8], self.front.region)
        if not query_auth:
            self.check_payload_hash(body)

    def check_scope_and_time(self, scope, amz_date, query_auth, params):
        parts = scope.split("/")
        if len(parts) != 4 or parts[3] != "aws4_request" or parts[2] != "s3":
            raise S3Error(400, "AuthorizationHeaderMalformed", "malformed credential scope")
        if parts[1] != self.front.region:
            raise S3Error(400, "AuthorizationHeaderMalformed",
                          f"the region '{parts[1]}' is wrong; expecting '{self.front.region}'",
                          {"Region": self.front.region})
        when = parse_amz_date(amz_date)
        if parts[0] != amz_date[:8]:
            raise S3Error(403, "SignatureDoesNotMatch", "credential date does not match x-amz-date")
        now = self.front.now()
        if query_auth:
            expires = int(dict(params).get("X-Amz-Expires", "0") or 0)
            if not 1 <= expires <= 604800:
                raise S3Error(400, "AuthorizationQueryParametersError",
                              "X-Amz-Expires must be between 1 and 604800 seconds")
            if now > when + datetime.timedelta(seconds=expires):
                raise S3Error(403, "AccessDenied", "Request has expired")
        elif abs(now - when) > MAX_SKEW:
            raise S3Error(403, "RequestTimeTooSkewed", "The difference between the request time "
                          "and the current time is too large.")

    def compute(self, secret, signed_list, params, amz_date, query_auth, body):
        path = urllib.parse.unquote_to_bytes(urllib.parse.urlsplit(self.path).path)
        url = "http://" + self.headers.get("Host", "") + urllib.parse.quote_from_bytes(path, "/~")
        request = AWSRequest(method=self.command, url=url, data=body, params=params)
        request.headers = HTTPHeaders()
        for name in signed_list:
            for value in self.headers.get_all(name) or []:
                request.headers[name] = value
        request.context["timestamp"] = amz_date
        auth_class = QueryAuth if query_auth else HeaderAuth
        auth = auth_class(Credentials("unused", secret), self.front.region, signed_list)
        creq = auth.canonical_request(request)
        sts = auth.string_to_sign(request, creq)
        return creq, sts, auth.signature(sts, request)

    def check_payload_hash(self, body):
        claimed = self.headers.get("x-amz-content-sha256")
        if claimed is None:
            raise S3Error(400, "InvalidRequest",
                          "Missing required header for this request: x-amz-content-sha256")
        if claimed == UNSIGNED or claimed.startswith("STREAMING-"):
            return
        actual = hashlib.sha256(body).hexdigest()
        if claimed != actual:
            raise S3Error(400, "XAmzContentSHA256Mismatch",
                          "The provided 'x-amz-content-sha256' header does not match what was "
                          "computed.", {"ClientComputedContentSHA256": claimed,
                                        "S3ComputedContentSHA256": actual})

    # ---- forwarding and faults ---------------------------------------------------------------
    def forward(self, body, fault):
        conn = http.client.HTTPConnection("127.0.0.1", self.front.upstream_port, timeout=120)
        try:
            headers = {}
            for name, value in self.headers.items():
                lname = name.lower()
                # s3rver checks the access key id (its own "S3RVER") but no signature: the front
                # has checked the request, so it goes upstream unauthenticated.
                if lname in HOP_BY_HOP or lname in ("content-length", "authorization"):
                    continue
                if lname == "content-encoding" and "aws-chunked" in value:
                    continue
                headers[name] = value
            if self.command in ("PUT", "POST") or body:
                headers["Content-Length"] = str(len(body))
            conn.request(self.command, strip_query_auth(self.path), body=body, headers=headers)
            response = conn.getresponse()
            self.front.count("forwarded")
            self.relay(response, fault)
        finally:
            conn.close()

    def shift_http_date(self, value):
        try:
            when = datetime.datetime.strptime(value, "%a, %d %b %Y %H:%M:%S GMT")
        except ValueError:
            return value
        return (when + self.front.clock_offset).strftime("%a, %d %b %Y %H:%M:%S GMT")

    def shift_xml_times(self, body):
        def shift(m):
            text = m.group(1).decode()
            try:
                when = datetime.datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S")
            except ValueError:
                return m.group(0)
            shifted = (when + self.front.clock_offset).strftime("%Y-%m-%dT%H:%M:%S")
            return b"<LastModified>" + (shifted + text[19:]).encode() + b"</LastModified>"
        return re.sub(rb"<LastModified>([^<]*)</LastModified>", shift, body)

    def rewrites_body(self, response, kind):
        """Whether the answer's body is read whole and rewritten (small XML documents only)."""
        xml = "xml" in (response.getheader("Content-Type") or "")
        return self.command != "HEAD" and (
            kind in ("empty-etag", "omit-keys") or (xml and bool(self.front.clock_offset)))

    def rewrite_body(self, body, fault):
        kind = fault["kind"] if fault else ""
        if kind == "empty-etag":
            body = re.sub(rb"<ETag>[^<]*</ETag>", b"<ETag></ETag>", body)
        if kind == "omit-keys":
            omit = re.escape(fault["omit"].encode())
            body = re.sub(rb"<Contents>(?:(?!</Contents>).)*<Key>[^<]*" + omit +
                          rb"[^<]*</Key>(?:(?!</Contents>).)*</Contents>", b"", body, flags=re.S)
        if self.front.clock_offset:
            body = self.shift_xml_times(body)
        return body

    def relay(self, response, fault):
        """Streams the upstream answer back (memory stays bounded), applying a body fault."""
        kind = fault["kind"] if fault else ""
        rewrite = self.rewrites_body(response, kind)
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() in HOP_BY_HOP:
                continue
            if rewrite and name.lower() == "content-length":
                continue  # relay_rewritten sends the new body's length
            if kind == "other-etag" and name.lower() == "etag":
                value = '"0123456789abcdef0123456789abcdef"'  # as if the object was replaced
            if name.lower() in ("date", "last-modified") and self.front.clock_offset:
                value = self.shift_http_date(value)
            if kind == "short-length" and name.lower() == "content-length":
                value = str(int(value) // 2)
            self.send_header(name, value)
        if rewrite:
            self.relay_rewritten(response, fault)
            return
        length = response.getheader("Content-Length")
        if length is None and self.command != "HEAD":
            # s3rver always sends a length; without one, mark the end by closing.
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command == "HEAD":
            return
        remaining = int(length) // 2 if kind in ("truncate", "short-length") and length else None
        delay = fault["delay"] if kind == "slow" else 0
        while True:
            piece = response.read(PIECE if remaining is None else min(PIECE, remaining))
            if not piece:
                break
            if delay:
                threading.Event().wait(delay)  # an idle pause of this one response
            self.wfile.write(piece)
            if remaining is not None:
                remaining -= len(piece)
                if remaining <= 0:
                    break
        self.wfile.flush()
        if kind == "truncate":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)

    def relay_rewritten(self, response, fault):
        """Ends the headers already started and sends the body rewritten by rewrite_body: every
        <ETag> emptied (empty-etag, as Ceph RGW 16 answers CompleteMultipartUpload), keys
        left out (omit-keys), times shifted (POST /__clock)."""
        body = self.rewrite_body(response.read(), fault)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def answer_stored(self, body):
        """A PUT acknowledged as stored, and not stored."""
        self.send_response(200)
        self.send_header("ETag", '"' + hashlib.md5(body).hexdigest() + '"')
        self.send_header("Content-Length", "0")
        self.end_headers()

    def answer_malformed(self):
        payload = b"<?xml version=\"1.0\"?><ListBucketResult><Contents><Key>a</Ke"
        self.send_response(200)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def answer_fault(self, fault):
        kind = fault["kind"]
        if kind == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if kind == "500":
            self.send_error_xml(S3Error(500, "InternalError", "We encountered an internal error. "
                                        "Please try again."))
        else:
            self.send_error_xml(S3Error(503, "SlowDown", "Please reduce your request rate."),
                                {"Retry-After": str(fault["retry_after"])})

    def send_error_xml(self, error, extra_headers=None):
        payload = b"" if self.command == "HEAD" else error_xml(error.code, error.message,
                                                               error.extra)
        self.send_response(error.status)
        self.send_header("Content-Type", "application/xml")
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def handle_admin(self, path):
        length = int(self.headers.get("Content-Length", "0") or 0)
        raw = self.rfile.read(length) if length else b""
        status, answer = 200, {}
        if path == "/__fault" and self.command == "POST":
            try:
                self.front.faults.add(json.loads(raw or b"{}"))
                answer = {"ok": True}
            except (ValueError, TypeError) as e:
                status, answer = 400, {"error": str(e)}
        elif path == "/__fault" and self.command == "DELETE":
            with self.front.faults.lock:
                self.front.faults.pending.clear()
            answer = {"ok": True}
        elif path == "/__fault" and self.command == "GET":
            with self.front.faults.lock:
                answer = {"pending": list(self.front.faults.pending)}
        elif path == "/__clock" and self.command == "POST":
            try:
                offset = float(json.loads(raw or b"{}").get("offset", 0))
                self.front.clock_offset = datetime.timedelta(seconds=offset)
                answer = {"ok": True}
            except (ValueError, TypeError, AttributeError) as e:
                status, answer = 400, {"error": str(e)}
        elif path == "/__held" and self.command == "GET":
            answer = {"held": self.front.held.wait(30)}
        elif path == "/__release" and self.command == "POST":
            self.front.released.set()
            answer = {"ok": True}
        elif path == "/__stats" and self.command == "GET":
            with self.front.lock:
                answer = dict(self.front.stats)
            answer["faults_injected"] = self.front.faults.injected
        else:
            status, answer = 404, {"error": "unknown admin path"}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def parse_query(query):
    """Decoded (name, value) pairs; '+' is a literal plus, as S3 signs it, not a space."""
    pairs = []
    for part in query.split("&") if query else []:
        name, _, value = part.partition("=")
        pairs.append((urllib.parse.unquote(name), urllib.parse.unquote(value)))
    return pairs


QUERY_AUTH_PARAMS = {"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-expires",
                     "x-amz-signedheaders", "x-amz-signature", "x-amz-security-token"}


def strip_query_auth(target):
    """The request target without presigned-URL parameters, other parameters kept verbatim."""
    path, sep, query = target.partition("?")
    if not sep:
        return target
    kept = [p for p in query.split("&")
            if urllib.parse.unquote(p.partition("=")[0]).lower() not in QUERY_AUTH_PARAMS]
    return path + ("?" + "&".join(kept) if kept else "")


def signing_key(secret, date, region):
    key = hmac.new(("AWS4" + secret).encode(), date.encode(), hashlib.sha256).digest()
    for part in (region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def main():
    parser = argparse.ArgumentParser(description="SigV4-checking fault-injecting S3 front")
    parser.add_argument("--upstream-port", type=int, required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--access-key", default=os.environ.get("S3FRONT_ACCESS_KEY"))
    parser.add_argument("--secret-key", default=os.environ.get("S3FRONT_SECRET_KEY"))
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--pidfile")
    args = parser.parse_args()
    if not args.access_key or not args.secret_key:
        parser.error("--access-key/--secret-key (or S3FRONT_ACCESS_KEY/S3FRONT_SECRET_KEY) needed")

    Handler.front = Front(args)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    if args.pidfile:
        with open(args.pidfile, "w") as f:
            f.write(f"{os.getpid()}\n")
    print(server.server_address[1], flush=True)
    while not stop.wait(3600):
        pass
    server.shutdown()
    server.server_close()
    if args.pidfile:
        try:
            os.unlink(args.pidfile)
        except FileNotFoundError:
            pass


if __name__ == "__main__":
    main()

"""Test support that ships with the adapter: a counting, fault-injecting Route 53 proxy.

:class:`FaultProxy` is a real HTTP server on loopback that forwards every request to a Route 53
stand-in (moto's server) and records each call as ``(operation, status)``. Queued
:class:`Fault` s answer matching requests instead of forwarding them, with AWS's own error
document, so that boto3's parsing, botocore's retries, the adapter's classification and the
token bucket are exercised over real HTTP::

    <ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">
      <Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>
      <RequestId>...</RequestId>
    </ErrorResponse>

Operations are named as in the API reference, from the REST path of the 2013-04-01 API.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

import httpx

_OPERATIONS = (
    ("GET", re.compile(r"^/2013-04-01/hostedzone/[^/]+/rrset/?$"), "ListResourceRecordSets"),
    ("POST", re.compile(r"^/2013-04-01/hostedzone/[^/]+/rrset/?$"), "ChangeResourceRecordSets"),
    ("GET", re.compile(r"^/2013-04-01/change/[^/]+$"), "GetChange"),
    ("GET", re.compile(r"^/2013-04-01/hostedzonesbyname$"), "ListHostedZonesByName"),
    ("POST", re.compile(r"^/2013-04-01/hostedzone$"), "CreateHostedZone"),
)
_HOP_HEADERS = {"connection", "transfer-encoding", "content-encoding", "content-length", "host"}


def operation_of(method: str, path: str) -> str:
    """The API operation of a Route 53 REST request (``METHOD /path`` when unknown)."""
    bare = path.split("?", 1)[0]
    for verb, pattern, name in _OPERATIONS:
        if method == verb and pattern.match(bare):
            return name
    return f"{method} {bare}"


@dataclass(frozen=True)
class Fault:
    """An AWS error answered instead of forwarding: ``status``, error ``code`` and
    ``message``; ``operation`` limits it to one operation (None: the next request of any);
    ``retry_after`` seconds adds a ``Retry-After`` header. ``raw`` answers that body (with
    ``content_type``) instead of an error document: a malformed answer (truncated XML, wrong
    types, an HTML page from a proxy), with any ``status``."""

    code: str = "Throttling"
    status: int = 400
    message: str = "Rate exceeded"
    operation: str | None = None
    retry_after: float | None = None
    raw: bytes | None = None
    content_type: str = "text/xml"

    def body(self) -> bytes:
        if self.raw is not None:
            return self.raw
        kind = "Receiver" if self.status >= 500 else "Sender"
        return (
            '<?xml version="1.0"?>\n'
            '<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
            f"<Error><Type>{kind}</Type><Code>{escape(self.code)}</Code>"
            f"<Message>{escape(self.message)}</Message></Error>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
        ).encode()


THROTTLING = Fault("Throttling", 400, "Rate exceeded")
PRIOR_REQUEST_NOT_COMPLETE = Fault(
    "PriorRequestNotComplete",
    400,
    "The request was rejected because Route 53 was still processing a prior request.",
)
SERVICE_UNAVAILABLE = Fault("ServiceUnavailable", 503, "Service Unavailable")
ACCESS_DENIED = Fault(
    "AccessDenied",
    403,
    "User: arn:aws:sts::123456789012:assumed-role/failover-sync/test is not authorized to "
    "perform: route53:ChangeResourceRecordSets on resource: hostedzone/Z0TEST",
)


@dataclass(frozen=True)
class Call:
    """One request seen by the proxy: ``operation``, answered ``status``, whether a
    ``fault`` answered it, and monotonic ``at`` seconds."""

    operation: str
    status: int
    fault: bool
    at: float


class FaultProxy:
    """A loopback HTTP proxy in front of ``upstream`` (``http://127.0.0.1:PORT``) that counts
    calls and answers queued faults. ``url`` is what boto3's ``endpoint_url`` points at."""

    def __init__(self, upstream: str, address: str = "127.0.0.1") -> None:
        self.upstream = upstream.rstrip("/")
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self._lock = threading.Lock()
        self._http = httpx.Client(base_url=self.upstream, timeout=30.0)
        self._server = ThreadingHTTPServer((address, 0), self._handler())
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._http.close()

    def inject(self, *faults: Fault) -> None:
        """Queue ``faults``; each answers the next request it matches, once."""
        with self._lock:
            self.faults.extend(faults)

    def reset(self) -> None:
        """Forget the calls seen and drop queued faults."""
        with self._lock:
            self.calls.clear()
            self.faults.clear()

    def count(self, operation: str | None = None) -> int:
        """Requests seen (of ``operation``, if given), faults included."""
        return sum(1 for c in self.calls if operation is None or c.operation == operation)

    def _take_fault(self, operation: str) -> Fault | None:
        with self._lock:
            for index, fault in enumerate(self.faults):
                if fault.operation in (None, operation):
                    return self.faults.pop(index)
        return None

    def _record(self, operation: str, status: int, fault: bool) -> None:
        with self._lock:
            self.calls.append(Call(operation, status, fault, time.monotonic()))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                operation = operation_of(self.command, self.path)
                fault = proxy._take_fault(operation)
                if fault is not None:
                    payload = fault.body()
                    proxy._record(operation, fault.status, True)
                    self.send_response(fault.status)
                    self.send_header("Content-Type", fault.content_type)
                    if fault.retry_after is not None:
                        self.send_header("Retry-After", f"{fault.retry_after:g}")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS}
                answer = proxy._http.request(self.command, self.path, headers=headers, content=body)
                proxy._record(operation, answer.status_code, False)
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in _HOP_HEADERS:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_DELETE = do_PUT = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

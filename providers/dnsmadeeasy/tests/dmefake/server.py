"""``DnsMadeEasyFake``: a stateful DNS Made Easy REST API v2.0 stand-in on loopback.

Every request is, in this order: identified by its API key (an unknown or missing key is 403),
counted against the key's scrolling request window (400 ``Rate limit exceeded`` past the
limit), authenticated (request date parsed, skew under 30 s, HMAC-SHA1 of the date string
checked), routed, its query and body checked, possibly answered by an injected fault, and
served from the :mod:`.store`. Every answer to a known key carries ``x-dnsme-requestId``,
``x-dnsme-requestLimit`` and ``x-dnsme-requestsRemaining``. Sections cited are those of
``shared/dnsmadeeasy/API.md``.
"""

from __future__ import annotations

import email.utils
import hmac
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import handlers
from .routes import Route, route
from .store import APIError, FakeDomain, Record, new_domain, not_found, record_problems

PREFIX = "/V2.0"  # API.md "Base URLs": capital V (2+)
SKEW_SECONDS = 30.0  # API.md "Authentication": 30 s or more off is invalid (2+)
HTML_404 = (
    b"<html><head><title>Apache Tomcat - Error report</title></head>"
    b"<body><h1>HTTP Status 404 - </h1></body></html>"
)
Reply = tuple[int, dict[str, str], bytes]


@dataclass(frozen=True, slots=True)
class Call:
    """One request as received: route name (``?`` if none), method, path, query, status."""

    route: str
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    status: int
    at: float


@dataclass
class Fault:
    """Answer the next ``count`` requests of ``route`` (None: any) with ``status`` and
    ``body`` as is (a malformed answer, an HTML page, an error array)."""

    status: int
    body: bytes
    count: int = 1
    route: str | None = None
    content_type: str = "application/json"


class DnsMadeEasyFake:
    """The fake API; use as a context manager. ``base_url`` is the adapter's ``base_url``.

    ``limit`` requests per ``window`` seconds per key (API.md "Rate limit": 150 per 300 s);
    ``clock_offset`` shifts the server's clock (seconds) for skew tests; ``default_rows`` and
    ``first_page`` shape paging (API.md: not stated / 0 in recorded traffic).
    """

    def __init__(
        self,
        *,
        limit: int = 150,
        window: float = 300.0,
        default_rows: int = 1000,
        first_page: int = 0,
    ) -> None:
        self.limit, self.window = limit, window
        self.default_rows, self.first_page = default_rows, first_page
        self.clock_offset = 0.0
        self.keys: dict[str, str] = {}
        self.domains: dict[int, FakeDomain] = {}
        self.calls: list[Call] = []
        self.faults: deque[Fault] = deque()
        self.hooks: list[tuple[str, Callable[[], object]]] = []
        self.history: list[tuple[int, tuple[str, str, str], tuple[str, ...]]] = []
        """``(call index, (domain, name, type), values after)`` after each change of a name."""
        self._windows: dict[str, deque[float]] = {}
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> DnsMadeEasyFake:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = -1
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, headers, data = fake.handle(
                    self.command, self.path, dict(self.headers.items()), raw
                )
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{PREFIX}"

    # -- setup and inspection -------------------------------------------------------------
    def add_account(self) -> tuple[str, str]:
        """A new ``(api_key, secret_key)`` pair (UUIDs, like the API's)."""
        api_key, secret = str(uuid.uuid4()), str(uuid.uuid4())
        with self._lock:
            self.keys[api_key] = secret
        return api_key, secret

    def add_domain(self, name: str, api_key: str) -> int:
        """Create domain ``name`` in the account of ``api_key``; return its id."""
        domain = new_domain(name, api_key)
        with self._lock:
            self.domains[domain.id] = domain
        return domain.id

    def add_record(self, domain_id: int, name: str, rtype: str, value: str, ttl: int = 300) -> int:
        """Create a record as a user would in the control panel (``name`` relative)."""
        with self._lock:
            domain = self.domains[domain_id]
            (record,) = domain.create(
                [{"name": name, "type": rtype, "value": value, "ttl": ttl}], multi=False
            )
            self._note(domain, [record])
            return int(record["id"])

    def delete_record(self, domain_id: int, record_id: int) -> None:
        with self._lock:
            domain = self.domains[domain_id]
            self._note(domain, domain.delete([record_id]))

    def records(
        self, domain_id: int, name: str | None = None, rtype: str | None = None
    ) -> list[Record]:
        """Copies of the records of a domain (relative ``name``, ``rtype``), by id."""
        with self._lock:
            return self.domains[domain_id].find(rtype, name)

    def values(self, domain_id: int, name: str, rtype: str) -> list[str]:
        return sorted(r["value"] for r in self.records(domain_id, name, rtype))

    def values_over_time(self, domain_id: int, name: str, rtype: str) -> list[tuple[str, ...]]:
        """Every value set ``name``/``rtype`` had, in order (from the change history)."""
        key = (self.domains[domain_id].name, name.lower(), rtype)
        with self._lock:
            return [values for _, k, values in self.history if k == key]

    def fail_next(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def before_next(self, route_name: str, action: Callable[[], object]) -> None:
        """Run ``action`` (an out-of-band edit) just before serving the next ``route_name``."""
        with self._lock:
            self.hooks.append((route_name, action))

    def count(self, route_name: str | None = None, *, since: int = 0) -> int:
        with self._lock:
            return sum(1 for c in self.calls[since:] if route_name in (None, c.route))

    # -- request handling -----------------------------------------------------------------
    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Reply:
        """Serve one request; thread-safe."""
        with self._lock:
            url = urlsplit(target)
            pairs = parse_qsl(url.query, keep_blank_values=True)
            lower = {k.lower(): v for k, v in headers.items()}
            found: Route | None = None
            extra: dict[str, str] = {}
            try:
                key = self._identify(lower)
                extra = self._count(key)
                self._verify(key, lower)
                found = route(
                    method,
                    url.path.removeprefix(PREFIX) if url.path.startswith(PREFIX + "/") else "",
                )
                if found is None:
                    raise not_found()
                reply = self._serve(found, key, pairs, raw)
            except APIError as exc:
                reply = _error(exc)
            except _Raw as exc:
                reply = exc.reply
            status, reply_headers, data = reply
            all_headers = {"Content-Type": "application/json", **reply_headers, **extra}
            self.calls.append(
                Call(
                    found.name if found else "?",
                    method,
                    url.path,
                    tuple(pairs),
                    status,
                    time.monotonic(),
                )
            )
            return status, all_headers, data

    def _identify(self, lower: dict[str, str]) -> str:
        key = lower.get("x-dnsme-apikey", "")
        if not key or not lower.get("x-dnsme-hmac"):
            raise APIError(403, ["Missing API key or HMAC"])  # I7 (recorded)
        if key not in self.keys:
            # API.md: bad credentials give 403 (2+); the body for an unknown key is not known.
            raise APIError(403, ["Unable to verify HMAC"])
        return key

    def _count(self, key: str) -> dict[str, str]:
        # API.md "Rate limit": per key, scrolling window, all requests count; 400 with
        # remaining 0 and "Rate limit exceeded" past it (2+).
        now = time.monotonic()
        sent = self._windows.setdefault(key, deque())
        while sent and sent[0] <= now - self.window:
            sent.popleft()
        sent.append(now)
        remaining = max(0, self.limit - len(sent))
        headers = {
            "x-dnsme-requestId": str(uuid.uuid4()),
            "x-dnsme-requestLimit": str(self.limit),
            "x-dnsme-requestsRemaining": str(remaining),
        }
        if len(sent) > self.limit:
            raise _Raw((400, headers, json.dumps({"error": ["Rate limit exceeded"]}).encode()))
        return headers

    def _verify(self, key: str, lower: dict[str, str]) -> None:
        # API.md "Authentication" (2+): the HMAC is over the date string exactly as received;
        # the date may be any RFC 1123/822 form; 30 s or more of skew is refused with 403.
        date = lower.get("x-dnsme-requestdate", "")
        try:
            when = email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError, IndexError):
            raise APIError(403, ["Unable to verify HMAC"]) from None
        now = time.time() + self.clock_offset
        skew_ms = abs(now - when) * 1000
        if skew_ms >= SKEW_SECONDS * 1000:
            raise APIError(
                403,
                [
                    "Request sent with date header too far out of sync.  Difference in times "
                    f"is {skew_ms:.0f}, header value is {when * 1000:.0f}"
                ],
            )
        expected = hmac.new(self.keys[key].encode(), date.encode(), "sha1").hexdigest()
        if not hmac.compare_digest(expected, lower.get("x-dnsme-hmac", "")):
            raise APIError(403, ["Unable to verify HMAC"])  # I6 (recorded)

    def _fault(self, name: str) -> None:
        for fault in list(self.faults):
            if fault.route in (None, name):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                raise _Raw((fault.status, {"Content-Type": fault.content_type}, fault.body))
        for hook in list(self.hooks):
            if hook[0] == name:
                self.hooks.remove(hook)
                hook[1]()

    def _domain(self, key: str, ident: str) -> FakeDomain:
        domain = self.domains.get(int(ident)) if ident.isdigit() else None
        if domain is None or domain.owner != key:
            raise not_found()
        return domain

    def _note(self, domain: FakeDomain, touched: list[Record]) -> None:
        for name, rtype in sorted({(r["name"], r["type"]) for r in touched}):
            values = tuple(sorted(r["value"] for r in domain.find(rtype, name)))
            self.history.append((len(self.calls), (domain.name, name, rtype), values))

    def _serve(self, found: Route, key: str, pairs: list[tuple[str, str]], raw: bytes) -> Reply:
        problems = found.check_query(pairs)
        if problems:
            raise APIError(400, problems)
        self._fault(found.name)
        body: Any = None
        if found.method in ("POST", "PUT"):
            try:
                body = json.loads(raw)
            except ValueError:
                raise APIError(400, ["fake: the body is not JSON"]) from None
        return handlers.serve(self, found, key, pairs, body)


class _Raw(Exception):
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply[0])
        self.reply = reply


def _error(exc: APIError) -> Reply:
    if exc.html:
        return exc.status, {"Content-Type": "text/html;charset=utf-8"}, HTML_404
    return exc.status, {}, json.dumps({"error": exc.errors}).encode()


@contextmanager
def running_fake(**kwargs: Any) -> Iterator[DnsMadeEasyFake]:
    with DnsMadeEasyFake(**kwargs) as fake:
        yield fake


__all__ = ["Call", "DnsMadeEasyFake", "Fault", "record_problems", "running_fake"]

"""``CloudflareFake``: a Cloudflare API stand-in on loopback (threaded stdlib HTTP server).

Every request is, in this order: authenticated (``Authorization: Bearer`` of a known token),
rate limited (optional: ``rate_limit`` requests per ``window`` seconds per token, then 429 for
``lockout`` seconds, as the API's five-minute block), routed (:mod:`.spec`), its query checked,
possibly failed by an injected fault, its body checked against the SDK's types
(:mod:`.bodies`), and then served from the :mod:`.store`. Answers use the API's envelope
``{"success", "errors", "messages", "result"[, "result_info"]}``. Every request is logged in
:attr:`CloudflareFake.calls` with its operationId, for call counting.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from . import bodies, spec
from .store import APIFailure, FakeZone, Record, matches, new_id
from .wire import Call, Fault, RawAnswer, Reply, envelope, retry_after_header

PREFIX = "/client/v4"


@dataclass
class _Limiter:
    sent: deque[float] = field(default_factory=deque)
    locked_until: float = 0.0


class CloudflareFake:
    """The fake API; use as a context manager or :meth:`start`/:meth:`stop`.

    ``base_url`` is the SDK's ``base_url`` (``http://127.0.0.1:PORT/client/v4``).
    """

    def __init__(
        self,
        *,
        rate_limit: int | None = None,
        window: float = 300.0,
        lockout: float = 300.0,
        address: str = "127.0.0.1",
    ) -> None:
        self.rate_limit = rate_limit
        self.window = window
        self.lockout = lockout
        self.zones: dict[str, FakeZone] = {}
        self.tokens: dict[str, frozenset[str] | None] = {}
        self.calls: list[Call] = []
        self.faults: deque[Fault] = deque()
        self.lockouts = 0
        self._limiters: dict[str, _Limiter] = {}
        self._lock = threading.RLock()
        self._address = address
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> CloudflareFake:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = -1  # one write per response (flushed by handle_one_request)
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, headers, payload = fake.handle(
                    self.command, self.path, dict(self.headers.items()), raw
                )
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((self._address, 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> CloudflareFake:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{PREFIX}"

    # -- test setup and inspection ----------------------------------------------------------
    def add_token(self, zones: set[str] | None = None) -> str:
        """A new token allowed on ``zones`` (names; None: every zone)."""
        token = secrets.token_urlsafe(30)
        with self._lock:
            self.tokens[token] = frozenset(zones) if zones is not None else None
        return token

    def add_zone(self, name: str, *, enterprise: bool = False) -> str:
        """Create zone ``name`` (no trailing dot needed); return its id."""
        zone = FakeZone(new_id(), name.rstrip(".").lower(), enterprise)
        with self._lock:
            self.zones[zone.id] = zone
        return zone.id

    def add_record(self, zone_id: str, name: str, rtype: str, content: str, **extra: Any) -> Record:
        """Create a record as a user would (``ttl``, ``proxied``, ``comment``, ``tags``...)."""
        body = {"name": name, "type": rtype, "content": content, "ttl": 300, **extra}
        with self._lock:
            return dict(self.zones[zone_id].create(body))

    def records(
        self, zone_id: str, name: str | None = None, rtype: str | None = None
    ) -> list[Record]:
        """Copies of the records of a zone (of ``name``/``rtype``), sorted by content."""
        with self._lock:
            out = [
                dict(r)
                for r in self.zones[zone_id].records.values()
                if (name is None or r["name"] == name.rstrip(".").lower())
                and (rtype is None or r["type"] == rtype)
            ]
        return sorted(out, key=lambda r: (r["name"], r["type"], r["content"]))

    def fail_next(self, fault: Fault) -> None:
        """Queue an injected fault."""
        with self._lock:
            self.faults.append(fault)

    def count(self, operation: str | None = None, *, since: int = 0) -> int:
        """Requests received (of ``operation``) from index ``since`` of :attr:`calls`."""
        with self._lock:
            return sum(1 for c in self.calls[since:] if operation in (None, c.operation))

    def max_in_window(self, window: float | None = None) -> int:
        """Most requests received in any ``window`` seconds (default: the rate window)."""
        span = self.window if window is None else window
        with self._lock:
            times = [c.at for c in self.calls]
        best, start = 0, 0
        for end, at in enumerate(times):
            while times[start] <= at - span:
                start += 1
            best = max(best, end - start + 1)
        return best

    # -- request handling -------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Reply:
        """Serve one request; thread-safe."""
        with self._lock:
            url = urlsplit(target)
            pairs = parse_qsl(url.query, keep_blank_values=True)
            op_name = "?"
            try:
                op, params, path_known = spec.route(method, url.path.removeprefix(PREFIX))
                op_name = op.operation_id if op else "?"
                reply = self._handle(method, url.path, pairs, headers, raw, op, params, path_known)
            except APIFailure as exc:
                reply = (exc.status, exc.headers, envelope(None, errors=exc.errors))
            except RawAnswer as exc:
                reply = exc.reply
            self.calls.append(
                Call(op_name, method, url.path, tuple(pairs), reply[0], time.monotonic())
            )
            return reply

    def _auth(self, headers: dict[str, str]) -> str:
        lower = {k.lower(): v for k, v in headers.items()}
        auth = lower.get("authorization", "")
        if not auth:
            failure = APIFailure(400, 6003, "Invalid request headers")
            failure.errors[0]["error_chain"] = [
                {"code": 6103, "message": "Invalid format for X-Auth-Key header"}
            ]
            raise failure
        scheme, _, token = auth.partition(" ")
        if scheme != "Bearer" or not token:
            failure = APIFailure(400, 6003, "Invalid request headers")
            failure.errors[0]["error_chain"] = [
                {"code": 6111, "message": "Invalid format for Authorization header"}
            ]
            raise failure
        if token not in self.tokens:
            raise APIFailure(401, 9109, "Invalid access token")
        return token

    def _rate_limit(self, token: str) -> None:
        if self.rate_limit is None:
            return
        now = time.monotonic()
        limiter = self._limiters.setdefault(token, _Limiter())
        if now < limiter.locked_until:
            self._throttle(limiter.locked_until - now)
        while limiter.sent and limiter.sent[0] <= now - self.window:
            limiter.sent.popleft()
        limiter.sent.append(now)
        if len(limiter.sent) > self.rate_limit:
            limiter.locked_until = now + self.lockout
            self.lockouts += 1
            self._throttle(self.lockout)

    @staticmethod
    def _throttle(seconds: float) -> None:
        raise APIFailure(
            429,
            10000,
            "Rate limited. Please wait and consider throttling your request speed",
            headers={"Retry-After": retry_after_header(seconds)},
        )

    def _zone(self, token: str, zone_id: str) -> FakeZone:
        if not spec.IDENTIFIER.match(zone_id):
            raise APIFailure(
                400,
                7003,
                f"Could not route to /zones/{zone_id}/dns_records, "
                "perhaps your object identifier is invalid?",
            )
        zone = self.zones.get(zone_id)
        if zone is None:
            raise APIFailure(
                404,
                7003,
                f"Could not route to /zones/{zone_id}, perhaps your object identifier is invalid?",
            )
        allowed = self.tokens[token]
        if allowed is not None and zone.name not in allowed:
            raise APIFailure(403, 10000, "Authentication error")
        return zone

    def _fault(self, op: spec.Operation) -> None:
        for fault in list(self.faults):
            if fault.operation in (None, op.operation_id):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                if fault.raw is not None:
                    raise RawAnswer(fault.status, fault.raw, fault.content_type)
                extra = {}
                if fault.retry_after is not None:
                    extra["Retry-After"] = retry_after_header(fault.retry_after)
                raise APIFailure(fault.status, fault.code, fault.message, headers=extra)

    def _handle(
        self,
        method: str,
        path: str,
        pairs: list[tuple[str, str]],
        headers: dict[str, str],
        raw: bytes,
        op: spec.Operation | None,
        params: dict[str, str],
        path_known: bool,
    ) -> Reply:
        token = self._auth(headers)
        self._rate_limit(token)
        if not path.startswith(PREFIX + "/"):
            raise APIFailure(404, 7000, "No route for that URI")
        if op is None:
            if path_known:
                raise APIFailure(405, 7001, "Method not allowed for this route")
            raise APIFailure(404, 7000, "No route for that URI")
        problems = spec.check_query(op, pairs)
        if problems:
            raise APIFailure(400, 9999, "fake: invalid query: " + "; ".join(problems))
        if not op.emulated:
            raise APIFailure(501, 9999, f"fake: {op.operation_id} is not emulated")
        self._fault(op)
        body: Any = None
        if method in ("POST", "PUT", "PATCH"):
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                raise APIFailure(400, 9207, "Request body is invalid.") from None
        query = dict(pairs)
        if op.operation_id == "zones-get":
            return self._list_zones(token, query)
        zone = self._zone(token, params["zone_id"])
        record_id = params.get("dns_record_id")
        if record_id is not None and not spec.IDENTIFIER.match(record_id):
            raise APIFailure(
                400,
                7003,
                "Could not route to the record, perhaps your object identifier is invalid?",
            )
        if op.operation_id.endswith("list-dns-records"):
            return self._list_records(zone, query)
        if op.operation_id.endswith("batch-dns-records"):
            problems = bodies.check_batch(body)
            if problems:
                raise APIFailure(400, 9207, "Request body is invalid: " + "; ".join(problems))
            return 200, {}, envelope(zone.batch(body))
        if method in ("POST", "PUT", "PATCH"):
            problems = bodies.check_record(bodies.POST, body, "body")
            if problems:
                raise APIFailure(400, 9207, "Request body is invalid: " + "; ".join(problems))
        assert isinstance(body, dict) or method in ("GET", "DELETE")
        if method == "POST":
            return 200, {}, envelope(zone.create(body))
        assert record_id is not None
        if method == "GET":
            return 200, {}, envelope(zone.get(record_id))
        if method == "DELETE":
            return 200, {}, envelope({"id": zone.delete(record_id)["id"]})
        return 200, {}, envelope(zone.update(record_id, body, replace=method == "PUT"))

    def _list_zones(self, token: str, query: dict[str, str]) -> Reply:
        allowed = self.tokens[token]
        zones = [
            z.as_json()
            for z in sorted(self.zones.values(), key=lambda z: z.name)
            if (allowed is None or z.name in allowed)
            and ("name" not in query or z.name == query["name"].lower())
        ]
        return self._page(zones, query, default_per_page=20)

    def _list_records(self, zone: FakeZone, query: dict[str, str]) -> Reply:
        order = query.get("order", "type")
        found = [r for r in zone.records.values() if matches(r, query)]
        found.sort(key=lambda r: (str(r[order]), r["name"], r["type"], str(r["content"]), r["id"]))
        if query.get("direction") == "desc":
            found.reverse()
        return self._page(found, query, default_per_page=100)

    @staticmethod
    def _page(items: list[Any], query: dict[str, str], *, default_per_page: int) -> Reply:
        page = int(float(query.get("page", 1)))
        per_page = int(float(query.get("per_page", default_per_page)))
        chunk = items[(page - 1) * per_page : page * per_page]
        payload = envelope(chunk)
        payload["result_info"] = {
            "page": page,
            "per_page": per_page,
            "count": len(chunk),
            "total_count": len(items),
            "total_pages": max(1, -(-len(items) // per_page)),
        }
        return 200, {}, payload


@contextmanager
def running_fake(**kwargs: Any) -> Iterator[CloudflareFake]:
    """A started fake, stopped on exit."""
    fake = CloudflareFake(**kwargs).start()
    try:
        yield fake
    finally:
        fake.stop()

"""``AkamaiFake``: an Edge DNS API stand-in on loopback (threaded stdlib HTTP server).

Every request is, in this order: routed by the spec's paths (404/405), authenticated by its
EdgeGrid signature (recomputed with the official library's signer from the client's secret,
timestamp within 5 minutes, nonce never reused: else 401), validated against the OpenAPI
description (400, and noted in :attr:`AkamaiFake.rejected`), possibly failed by an injected
:class:`Fault` (429s, 5xx, malformed bodies), and served from the :mod:`.store`. Every answer
except an injected malformed one is validated against the spec too; a mismatch is noted in
:attr:`AkamaiFake.violations` (the test fixture fails the test on any). Errors are
``application/problem+json``. Every request is logged in :attr:`AkamaiFake.calls`.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import httpx
from akamai.edgegrid.edgegrid import EdgeGridAuthHeaders  # type: ignore[import-untyped]

from . import store
from .spec import PREFIX, Operation, Spec
from .store import ChangeList, FakeZone, Problem

Reply = tuple[int, dict[str, str], bytes]
_AUTH = re.compile(
    r"^EG1-HMAC-SHA256 client_token=(?P<client_token>[^;]*);access_token=(?P<access_token>[^;]*);"
    r"timestamp=(?P<timestamp>[^;]*);nonce=(?P<nonce>[^;]*);signature=(?P<signature>[^;]*)$"
)
_SPEC: Spec | None = None
EMULATED = frozenset(
    {
        "get-changelists-zone",
        "delete-changelists-zone",
        "get-changelists-zone-diff",
        "get-changelists-zone-recordsets",
        "post-changelists-zone-recordsets-add-change",
        "post-changelists-zone-submit",
    }
)
"""Change-list operations served (besides creating one and listing a zone's record sets);
every other operation of the spec answers 501, ``PUT /zones/{zone}/recordsets`` included."""


def shared_spec() -> Spec:
    """The spec, loaded once per test process (about 0.3 s)."""
    global _SPEC
    if _SPEC is None:
        _SPEC = Spec()
    return _SPEC


@dataclass(frozen=True, slots=True)
class Client:
    """An API client's credentials as Akamai issues them."""

    client_token: str
    client_secret: str
    access_token: str


@dataclass(frozen=True, slots=True)
class Call:
    """One request as received: operationId (or ``?``), method, path, query, status."""

    operation: str
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    status: int


@dataclass
class Fault:
    """Answer the next ``count`` requests of ``operation`` (None: any) with ``status`` and a
    problem body (``retry_after`` seconds as ``Retry-After``), or with ``raw`` as is."""

    status: int
    title: str = "Injected fault"
    count: int = 1
    retry_after: float | None = None
    operation: str | None = None
    raw: bytes | None = None
    content_type: str = "application/json"


class _View:
    """What the library's signer reads of a request."""

    def __init__(self, method: str, url: str, headers: dict[str, str], body: bytes) -> None:
        self.method, self.url, self.body = method, url, body
        self.headers = httpx.Headers(headers)


class AkamaiFake:
    """The fake API; use as a context manager. ``base_url`` is the adapter's ``base_url``."""

    def __init__(self, address: str = "127.0.0.1") -> None:
        self.spec = shared_spec()
        self.zones: dict[str, FakeZone] = {}
        self.clients: dict[str, Client] = {}
        self.changelists: dict[tuple[str, str], ChangeList] = {}
        self.calls: list[Call] = []
        self.faults: deque[Fault] = deque()
        self.hooks: list[tuple[str, Callable[[], None]]] = []
        self.rejected: list[str] = []
        self.violations: list[str] = []
        self._nonces: set[str] = set()
        self._lock = threading.RLock()
        self._address = address
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> AkamaiFake:
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
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
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

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- test setup and inspection ----------------------------------------------------------
    def add_client(self) -> Client:
        """New API client credentials, accepted on every zone."""
        client = Client(
            f"akab-{secrets.token_hex(16)}",
            secrets.token_urlsafe(32),
            f"akab-{secrets.token_hex(16)}",
        )
        with self._lock:
            self.clients[client.client_token] = client
        return client

    def add_zone(self, name: str) -> FakeZone:
        with self._lock:
            zone = self.zones[name.rstrip(".").lower()] = FakeZone(name.rstrip(".").lower())
        return zone

    def write(self, zone: str, name: str, rtype: str, ttl: int, rdata: list[str] | None) -> None:
        """Someone else's edit (None deletes): a new zone version, so change lists go stale."""
        with self._lock:
            value = None if rdata is None else (ttl, tuple(rdata))
            self.zones[zone].write({store.key(name, rtype): value})

    def rrset(self, zone: str, name: str, rtype: str) -> store.Value | None:
        with self._lock:
            return self.zones[zone].records.get(store.key(name, rtype))

    def stage(self, zone: str, client: Client, changes: list[dict[str, Any]]) -> ChangeList:
        """A change list of ``client`` on ``zone`` with ``changes`` staged (add-change
        bodies), as a crash or another user would leave it."""
        with self._lock:
            fz = self.zones[zone]
            draft = ChangeList(zone, client.client_token, fz.version, dict(fz.records))
            for body in changes:
                draft.add_change(body)
            self.changelists[(client.client_token, zone)] = draft
        return draft

    def fail_next(self, fault: Fault) -> None:
        with self._lock:
            self.faults.append(fault)

    def before(self, operation: str, action: Callable[[], None]) -> None:
        """Run ``action`` once, just before the next request of ``operation`` is served."""
        with self._lock:
            self.hooks.append((operation, action))

    def count(self, operation: str | None = None, *, since: int = 0) -> int:
        with self._lock:
            return sum(1 for c in self.calls[since:] if operation in (None, c.operation))

    # -- request handling -------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Reply:
        """Serve one request; thread-safe."""
        with self._lock:
            url = urlsplit(target)
            path = unquote(url.path)
            query = parse_qsl(url.query, keep_blank_values=True)
            op: Operation | None = None
            check = True
            try:
                op, params, known = self.spec.route(method, path.removeprefix(PREFIX))
                if not path.startswith(PREFIX + "/") or op is None:
                    status = 405 if known else 404
                    raise Problem(status, "notFound", "No such operation", f"{method} {path}")
                self._authenticate(method, target, headers, raw)
                kind = headers.get("Content-Type", headers.get("content-type", ""))
                problems = self.spec.request_problems(
                    op, path.removeprefix(PREFIX), query, kind.split(";")[0], raw
                )
                if problems:
                    self.rejected.append(f"{op.operation_id}: {'; '.join(problems)}")
                    raise Problem(400, "invalidRequest", "Invalid request", "; ".join(problems))
                self._fault(op)
                for hook in [h for h in self.hooks if h[0] == op.operation_id][:1]:
                    self.hooks.remove(hook)
                    hook[1]()
                status, extra, body = self._dispatch(op, params, dict(query), headers, raw)
                reply = self._json(status, body, extra)
            except Problem as exc:
                reply = self._json(exc.status, exc.body, exc.headers, "application/problem+json")
            except _Raw as exc:
                reply, check = exc.reply, False
            if op is not None and check:
                kind = reply[1].get("Content-Type", "")
                for problem in self.spec.response_problems(
                    op, path.removeprefix(PREFIX), query, reply[0], kind, reply[2]
                ):
                    self.violations.append(f"{op.operation_id} {reply[0]}: {problem}")
            name = op.operation_id if op else "?"
            self.calls.append(Call(name, method, path, tuple(query), reply[0]))
            return reply

    @staticmethod
    def _json(
        status: int, body: Any, headers: dict[str, str], kind: str = "application/json"
    ) -> Reply:
        if body is None:
            return status, dict(headers), b""
        return status, {"Content-Type": kind, **headers}, json.dumps(body).encode()

    def _authenticate(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> None:
        lower = {k.lower(): v for k, v in headers.items()}
        match = _AUTH.match(lower.get("authorization", ""))
        if match is None:
            raise Problem(401, "unauthorized", "Not authorized", "no EdgeGrid Authorization")
        client = self.clients.get(match["client_token"])
        if client is None or not hmac.compare_digest(client.access_token, match["access_token"]):
            raise Problem(401, "unauthorized", "Not authorized", "Invalid client or access token")
        try:
            stamp = datetime.strptime(match["timestamp"], "%Y%m%dT%H:%M:%S+0000")
        except ValueError:
            raise Problem(401, "unauthorized", "Not authorized", "Invalid timestamp") from None
        if abs((datetime.now(UTC).replace(tzinfo=None) - stamp).total_seconds()) > 300:
            raise Problem(401, "unauthorized", "Not authorized", "Timestamp out of range")
        signer = EdgeGridAuthHeaders(
            client.client_token, client.client_secret, client.access_token, max_body=131_072
        )
        view = _View(method, f"http://{lower.get('host', '')}{target}", headers, raw)
        expected = signer.make_auth_header(view, match["timestamp"], match["nonce"])
        if not hmac.compare_digest(str(expected), lower["authorization"]):
            raise Problem(401, "unauthorized", "Not authorized", "The signature does not match")
        if match["nonce"] in self._nonces:
            raise Problem(401, "unauthorized", "Not authorized", "Nonce already used")
        self._nonces.add(match["nonce"])

    def _fault(self, op: Operation) -> None:
        for fault in list(self.faults):
            if fault.operation in (None, op.operation_id):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                if fault.raw is not None:
                    raise _Raw((fault.status, {"Content-Type": fault.content_type}, fault.raw))
                extra = {}
                if fault.retry_after is not None:
                    extra["Retry-After"] = f"{fault.retry_after:g}"
                raise Problem(fault.status, "injected", fault.title, headers=extra)

    def _zone(self, name: str) -> FakeZone:
        zone = self.zones.get(name.rstrip(".").lower())
        if zone is None:
            raise Problem(404, "notFound", "Zone not found", f"zone {name} does not exist")
        return zone

    def _draft(self, client: str, zone: str) -> ChangeList:
        draft = self.changelists.get((client, zone))
        if draft is None:
            raise Problem(404, "notFound", "Change list not found", f"no change list on {zone}")
        return draft

    def _dispatch(
        self,
        op: Operation,
        params: dict[str, str],
        query: dict[str, str],
        headers: dict[str, str],
        raw: bytes,
    ) -> tuple[int, dict[str, str], Any]:
        lower = {k.lower(): v for k, v in headers.items()}
        client = _AUTH.match(lower["authorization"])["client_token"]  # type: ignore[index]
        oid = op.operation_id
        if oid == "post-changelists":
            zone = self._zone(query["zone"])
            existing = self.changelists.get((client, zone.name))
            mode = query.get("overwrite", "none")
            if existing is not None and (
                mode == "none" or (mode == "stale" and existing.base_version == zone.version)
            ):
                raise Problem(409, "changeListExists", "Change list already exists", zone.name)
            draft = ChangeList(zone.name, client, zone.version, dict(zone.records))
            draft.base_modified = zone.modified
            self.changelists[(client, zone.name)] = draft
            location = f"{PREFIX}/changelists/{zone.name}"
            return 201, {"Location": location}, draft.metadata(zone)
        zone = self._zone(params["zone"])
        if oid == "get-zones-zone-recordsets":
            return 200, {}, store.listing(zone.records, query, zone.name)
        if oid not in EMULATED:
            raise Problem(501, "notImplemented", "Not emulated", f"{oid} is not emulated")
        draft = self._draft(client, zone.name)
        if oid == "get-changelists-zone":
            return 200, {}, draft.metadata(zone)
        if oid == "delete-changelists-zone":
            del self.changelists[(client, zone.name)]
            return 204, {}, None
        if oid == "get-changelists-zone-diff":
            return 200, {}, draft.diff()
        if oid == "get-changelists-zone-recordsets":
            return 200, {}, store.listing(draft.view(), query, zone.name, states=draft.states())
        if oid == "post-changelists-zone-recordsets-add-change":
            draft.add_change(json.loads(raw))
            return 204, {}, None
        if oid == "post-changelists-zone-submit":
            if draft.base_version != zone.version:
                raise Problem(
                    409,
                    "staleChangeList",
                    "Change list is stale",
                    f"zone {zone.name} has a newer version than this change list's base",
                )
            zone.write(draft.staged)
            del self.changelists[(client, zone.name)]
            return 204, {}, None
        raise Problem(501, "notImplemented", "Not emulated", f"{oid} is not emulated")


class _Raw(Exception):
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply[0])
        self.reply = reply


__all__ = ["AkamaiFake", "Call", "Client", "Fault"]

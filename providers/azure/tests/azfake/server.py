"""``AzureDnsFake``: an ARM record-sets stand-in on loopback, over TLS (trustme CA).

Every request is, in this order: validated against the Swagger document (:mod:`.spec`; a
problem answers 400 ``InvalidRequestContent`` and is kept in :attr:`AzureDnsFake.violations`),
authenticated (``Authorization: Bearer`` of a token in :attr:`AzureDnsFake.tokens`, else 401),
authorised (:attr:`AzureDnsFake.grants`, else 403 ``AuthorizationFailed``), possibly failed
by an injected :class:`Fault`, then served from the :mod:`.store`. Every answer that is not
an injected fault is validated against the document too; an invalid one is kept in
``violations`` and replaced by a 500, so a fake bug fails the test that met it. Each request
is logged in :attr:`AzureDnsFake.calls` with its operationId, for call counting.
"""

from __future__ import annotations

import contextlib
import json
import math
import ssl
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import trustme

from .calls import Call, Fault
from .spec import Operation, load_spec
from .store import RECORD_FIELDS, APIFailure, FakeZone, wire_values

Reply = tuple[int, dict[str, str], bytes]
LIST_OPS = ("RecordSets_ListByType", "RecordSets_ListAllByDnsZone", "RecordSets_ListByDnsZone")
DEFAULT_PAGE = 100
_CA: trustme.CA | None = None
_CERT: trustme.LeafCert | None = None


def _ca() -> trustme.CA:
    """One test CA per process (key generation is the slow part of a fake's start)."""
    global _CA
    if _CA is None:
        _CA = trustme.CA()
    return _CA


def _server_cert() -> trustme.LeafCert:
    global _CERT
    if _CERT is None:
        _CERT = _ca().issue_cert("127.0.0.1", "localhost")
    return _CERT


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"code": code, "message": message}}


class AzureDnsFake:
    """The fake; use as a context manager. ``base_url`` is the SDK's ``base_url``
    (``https://127.0.0.1:PORT``), ``ca_path`` the PEM file of the CA to trust."""

    def __init__(self, *, page_size: int = DEFAULT_PAGE) -> None:
        self.spec = load_spec()
        self.page_size = page_size
        self.zones: dict[tuple[str, str, str], FakeZone] = {}
        self.tokens: set[str] = set()
        self.grants: list[tuple[str, str]] | None = None
        """``(scope prefix, action)`` pairs the principal holds (None: everything)."""
        self.calls: list[Call] = []
        self.violations: list[str] = []
        self.faults: deque[Fault] = deque()
        self.before_write: Callable[[str, str, str], None] | None = None
        """Called with (operationId, TYPE, name) before a PUT or DELETE is served."""
        self.write_seconds = 0.0
        """How long each PUT or DELETE takes to serve (ARM's latency), seconds."""
        self.in_flight = 0
        self.max_in_flight = 0
        """Most PUT/DELETE requests served at once."""
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="azfake-")
        self.ca_path = Path(self._dir.name) / "ca.pem"
        _ca().cert_pem.write_to_path(str(self.ca_path))

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> AzureDnsFake:
        fake = self
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        _server_cert().configure_cert(context)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = -1  # one write per answer (flushed by handle_one_request)
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, headers, data = fake.handle(
                    self.command, self.path, dict(self.headers.items()), raw
                )
                self.send_response(status)
                headers.setdefault("Content-Type", "application/json; charset=utf-8")
                headers["Content-Length"] = str(len(data))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_PATCH = do_DELETE = do_POST = _serve

            def log_message(self, format: str, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def get_request(self) -> tuple[Any, Any]:
                sock, address = self.socket.accept()
                return context.wrap_socket(
                    sock, server_side=True, do_handshake_on_connect=False
                ), address

            def finish_request(self, request: Any, client_address: Any) -> None:
                try:
                    request.do_handshake()
                except (ssl.SSLError, OSError):
                    return
                super().finish_request(request, client_address)

        self._server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self._dir.cleanup()

    def __enter__(self) -> AzureDnsFake:
        return self.start()

    def __exit__(self, *args: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    # -- test helpers ----------------------------------------------------------------------
    def add_zone(self, subscription: str, group: str, name: str) -> FakeZone:
        zone = FakeZone(subscription, group, name.rstrip(".").lower())
        with self._lock:
            self.zones[(subscription.lower(), group.lower(), zone.name)] = zone
        return zone

    def set_record(self, zone: FakeZone, rtype: str, name: str, ttl: int, values: list[str]) -> str:
        """Write a record set out of band (another tool, a person): returns its new ETag."""
        body = {"properties": {"TTL": ttl, RECORD_FIELDS[rtype]: wire_values(rtype, values)}}
        with self._lock:
            zone.put(rtype, name, body, if_match=None, if_none_match=None)
            etag: str = zone.sets[(rtype, name)]["etag"]
        return etag

    def values(self, zone: FakeZone, rtype: str, name: str) -> list[str] | None:
        """The record values of a record set (TXT strings joined), or None if absent."""
        with self._lock:
            stored = zone.sets.get((rtype, name))
            if stored is None:
                return None
            field = stored["properties"].get(RECORD_FIELDS[rtype])
        if rtype == "CNAME":
            return [field["cname"]] if field else []
        key = {"A": "ipv4Address", "AAAA": "ipv6Address", "TXT": "value"}[rtype]
        out = ["".join(r[key]) if rtype == "TXT" else r[key] for r in field or []]
        return sorted(out)

    def fail_next(self, *faults: Fault) -> None:
        with self._lock:
            self.faults.extend(faults)

    def count(self, operation: str | None = None, *, since: int = 0) -> int:
        with self._lock:
            calls = self.calls[since:]
        return sum(1 for c in calls if operation is None or c.operation == operation)

    # -- serving ---------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Reply:
        url = urlsplit(target)
        query = parse_qsl(url.query, keep_blank_values=True)
        lowered = {k.lower(): v for k, v in headers.items()}
        op, params, problems = self.spec.check_request(method, url.path, query, headers, raw)
        status, extra, body = self._answer(
            op, params, problems, dict(query), lowered, raw, url.path
        )
        with self._lock:
            self.calls.append(
                Call(
                    op.operation_id if op else "?",
                    method,
                    url.path,
                    tuple(query),
                    status,
                    lowered.get("if-match"),
                    lowered.get("if-none-match"),
                    time.monotonic(),
                )
            )
        return status, extra, body

    def _answer(
        self,
        op: Operation | None,
        params: dict[str, str],
        problems: list[str],
        query: dict[str, str],
        headers: dict[str, str],
        raw: bytes,
        path: str,
    ) -> Reply:
        if op is None or problems:
            with self._lock:
                self.violations.extend(problems)
            status, refusal = _error(400, "InvalidRequestContent", "; ".join(problems))
            return status, {}, json.dumps(refusal).encode()
        fault = self._take_fault(op.operation_id)
        if fault is not None:
            extra = {"Content-Type": fault.content_type}
            if fault.retry_after is not None:
                seconds = fault.retry_after
                extra["Retry-After"] = str(math.ceil(seconds)) if seconds >= 1 else f"{seconds:.3g}"
            if fault.raw is not None:
                return fault.status, extra, fault.raw
            error = {"error": {"code": fault.code, "message": fault.message}}
            return fault.status, extra, json.dumps(error).encode()
        payload: dict[str, Any] | None
        try:
            status, payload = self._serve(op, params, query, headers, raw, path)
        except APIFailure as exc:
            status, payload = _error(exc.status, exc.code, exc.message)
        data = b"" if payload is None else json.dumps(payload).encode()
        answer_problems = self.spec.check_response(op, status, data)
        if answer_problems:
            with self._lock:
                self.violations.extend(f"answer of {op.operation_id}: {p}" for p in answer_problems)
            status, payload = _error(500, "FakeAnswerInvalid", "; ".join(answer_problems))
            data = json.dumps(payload).encode()
        return status, {}, data

    def _take_fault(self, operation: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.operation in (None, operation):
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def _authorise(self, headers: dict[str, str], scope: str, action: str) -> None:
        token = headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            raise APIFailure(401, "InvalidAuthenticationToken", "The access token is invalid.")
        if self.grants is None:
            return
        for prefix, allowed in self.grants:
            if scope.lower().startswith(prefix.lower()) and allowed.lower() == action.lower():
                return
        raise APIFailure(
            403,
            "AuthorizationFailed",
            f"The client does not have authorization to perform action '{action}' over scope "
            f"'{scope}' or the scope is invalid.",
        )

    def _serve(
        self,
        op: Operation,
        params: dict[str, str],
        query: dict[str, str],
        headers: dict[str, str],
        raw: bytes,
        path: str,
    ) -> tuple[int, dict[str, Any] | None]:
        key = (
            params["subscriptionId"].lower(),
            params["resourceGroupName"].lower(),
            unquote(params["zoneName"]).lower(),
        )
        rtype = params.get("recordType", "").upper()
        name = unquote(params.get("relativeRecordSetName", "")).lower()
        prefix = (
            f"/subscriptions/{key[0]}/resourceGroups/{key[1]}"
            f"/providers/Microsoft.Network/dnszones/{key[2]}"
        )
        kind = {"GET": "read", "PUT": "write", "DELETE": "delete"}.get(op.method, "write")
        scope = f"{prefix}/{rtype}/{name}" if name else prefix
        action = f"Microsoft.Network/dnszones/{rtype or 'recordsets'}/{kind}"
        self._authorise(headers, scope, action)
        with self._lock:
            zone = self.zones.get(key)
            if zone is None:
                raise APIFailure(
                    404,
                    "ParentResourceNotFound",
                    f"Failed to perform '{kind}' on resources of type 'dnszones/{rtype}': "
                    f"parent resource '{key[2]}' not found.",
                )
            if op.operation_id == "RecordSets_Get":
                if (rtype, name) not in zone.sets:
                    raise APIFailure(
                        404,
                        "NotFound",
                        f"The resource record '{name}' does not exist in resource group "
                        f"'{key[1]}' of subscription '{key[0]}'.",
                    )
                return 200, zone.render(rtype, name)
            if op.operation_id in LIST_OPS:
                return 200, self._page(zone, rtype or None, query, path)
        if op.operation_id in ("RecordSets_CreateOrUpdate", "RecordSets_Delete"):
            if self.before_write is not None:
                self.before_write(op.operation_id, rtype, name)
            self._hold_write()
            with self._lock:
                if op.operation_id == "RecordSets_Delete":
                    return zone.delete(rtype, name, if_match=headers.get("if-match")), None
                return zone.put(
                    rtype,
                    name,
                    json.loads(raw),
                    if_match=headers.get("if-match"),
                    if_none_match=headers.get("if-none-match"),
                )
        raise APIFailure(400, "NotEmulated", f"the fake does not serve {op.operation_id}")

    def _hold_write(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.write_seconds:
                time.sleep(self.write_seconds)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _page(
        self, zone: FakeZone, rtype: str | None, query: dict[str, str], path: str
    ) -> dict[str, Any]:
        top = int(query.get("$top") or self.page_size)
        start = int(query.get("$skiptoken") or 0)
        items = zone.listing(rtype)
        page: dict[str, Any] = {"value": items[start : start + top]}
        if start + top < len(items):
            page["nextLink"] = (
                f"{self.base_url}{path}?api-version={self.spec.version}&$top={top}"
                f"&$skiptoken={start + top}"
            )
        return page


@contextlib.contextmanager
def running_fake(**kwargs: Any) -> Any:
    with AzureDnsFake(**kwargs) as fake:
        yield fake

"""The etcd v3 client layer: one :class:`EtcdSession` over several members, errors classified
at this one boundary.

The client library is ``aetcd`` (asyncio, gRPC; maintained, works with etcd 3.4 and current
protobuf). ``etcd3`` is unmaintained since 2020 and fails to import with current protobuf;
``etcd3gw`` is synchronous (it would need a thread per call). ``aetcd.Client`` talks to one
member, so the session keeps one client per endpoint and moves to the next member when one
does not answer within ``timeout`` seconds (a SIGSTOPped member keeps its socket open and
answers nothing; a member cut off from the raft majority refuses linearizable requests).

``https`` endpoints dial gRPC over TLS (:class:`EtcdTls`: the CA bundle to trust and, for
etcd's ``--client-cert-auth``, a client certificate and key). aetcd 1.0 dials plaintext
only (its TLS pull request, martyanov/aetcd#18, was never merged), so :class:`_TlsClient`
replaces the one step that differs, opening the channel, with gRPC's own TLS credentials.

Every failure of etcd (unreachable, timeout, no leader, lost stream, TLS handshake) becomes
:class:`EtcdUnavailable`; callers decide what it means (a vote not published yet, a write
not fenced: never written). Reads are linearizable (aetcd's default), so a member on the
minority side of a partition cannot serve a stale leader key.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar
from urllib.parse import urlsplit

# gRPC's C core prints its own lines (TLS handshake failures) to stderr; the error that
# reaches the operator already says it. An operator's GRPC_VERBOSITY still wins. Set before
# gRPC is first imported (aetcd imports it).
os.environ.setdefault("GRPC_VERBOSITY", "NONE")

import aetcd  # type: ignore[import-untyped]
import aetcd.exceptions  # type: ignore[import-untyped]
import grpc  # type: ignore[import-untyped]
from aetcd import rpc, watcher

from failover_sync.errors import FailoverSyncError

T = TypeVar("T")


class EtcdUnavailable(FailoverSyncError):
    """No etcd member answered the request in time (or the cluster has no raft leader)."""


@dataclass(frozen=True, slots=True)
class KV:
    """One key: ``key`` text, ``value`` bytes, its create and mod revisions and lease ID."""

    key: str
    value: bytes
    create_revision: int
    mod_revision: int
    lease: int


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """A put or delete seen by a watch (``kv.value`` is empty for a delete)."""

    kind: Literal["put", "delete"]
    kv: KV


def _kv(raw: object) -> KV:
    return KV(
        raw.key.decode(),  # type: ignore[attr-defined]
        bytes(raw.value),  # type: ignore[attr-defined]
        int(raw.create_revision),  # type: ignore[attr-defined]
        int(raw.mod_revision),  # type: ignore[attr-defined]
        int(raw.lease),  # type: ignore[attr-defined]
    )


_ETCD_ERRORS = (aetcd.exceptions.ClientError, rpc.RpcError, TimeoutError, OSError)


@dataclass(frozen=True, slots=True)
class EtcdTls:
    """TLS material for ``https`` endpoints, PEM bytes: ``ca`` the CA bundle to trust (None:
    gRPC's default roots), ``cert`` and ``key`` the client certificate chain and its private
    key for etcd's client-certificate authentication (both or neither). Kept in memory
    only; never part of a repr."""

    ca: bytes | None = field(default=None, repr=False)
    cert: bytes | None = field(default=None, repr=False)
    key: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if (self.cert is None) != (self.key is None):
            raise ValueError("a client certificate needs its key, and a key its certificate")

    def credentials(self) -> grpc.ChannelCredentials:
        """gRPC channel credentials of this material."""
        return grpc.ssl_channel_credentials(self.ca, self.key, self.cert)


class _TlsClient(aetcd.Client):  # type: ignore[misc]
    """An aetcd client whose channel is a gRPC TLS channel; everything else is aetcd's.

    :meth:`connect` follows ``aetcd.Client.connect`` (1.0.0) step for step except the
    channel; the password, if any, is sent only once the channel is encrypted."""

    _connected: asyncio.Event
    _is_connecting: bool

    def __init__(self, credentials: grpc.ChannelCredentials, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._credentials = credentials

    async def connect(self) -> None:
        if self._connected.is_set():
            return
        if self._is_connecting:  # another task dials: wait for it, as aetcd does
            await asyncio.wait_for(self._connected.wait(), self._connect_wait_timeout)
            return
        try:
            self._is_connecting = True
            target = f"{self._host}:{self._port}"
            self.channel = rpc.secure_channel(
                target, self._credentials, options=self._options.items()
            )
            if self._username is not None and self._password is not None:
                self.auth_stub = rpc.AuthStub(self.channel)
                request = rpc.AuthenticateRequest(name=self._username, password=self._password)
                reply = await self.auth_stub.Authenticate(request, timeout=self._timeout)
                self.metadata = (("token", reply.token),)
            self.kvstub = rpc.KVStub(self.channel)
            self.clusterstub = rpc.ClusterStub(self.channel)
            self.leasestub = rpc.LeaseStub(self.channel)
            self.maintenancestub = rpc.MaintenanceStub(self.channel)
            self._watcher = watcher.Watcher(
                rpc.WatchStub(self.channel), timeout=self._timeout, metadata=self.metadata
            )
            self._connected.set()
        finally:
            self._is_connecting = False


class EtcdSession:
    """Requests to an etcd v3 cluster through whichever of ``endpoints`` answers.

    ``endpoints`` are ``http://host:port`` or ``https://host:port`` client URLs, all of one
    scheme; ``https`` ones use ``tls`` (default: gRPC's roots, no client certificate).
    ``timeout`` is the deadline of one request to one member, seconds. ``username`` and
    ``password`` use etcd's own authentication. Raises ValueError for a malformed endpoint,
    mixed schemes, or ``tls`` given for ``http`` endpoints (it would be silently unused).

    ``partitioned`` is a test seam: while True every request fails as if no member were
    reachable (a vantage cut off from etcd), without touching the network.
    """

    def __init__(
        self,
        endpoints: Sequence[str],
        *,
        timeout: float = 2.0,
        username: str | None = None,
        password: str | None = None,
        tls: EtcdTls | None = None,
    ) -> None:
        if not endpoints:
            raise ValueError("etcd: no endpoints")
        self.endpoints = list(endpoints)
        self.timeout = timeout
        self.partitioned = False
        self._clients: list[aetcd.Client] = []
        schemes = set()
        for url in self.endpoints:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname or not parts.port:
                raise ValueError(f"etcd endpoint {url!r}: expected http://host:port or https://")
            schemes.add(parts.scheme)
        if len(schemes) > 1:
            raise ValueError("etcd endpoints mix http:// and https://; use one scheme")
        secure = self.secure = schemes == {"https"}
        if tls is not None and not secure:
            raise ValueError("TLS files are given but the endpoints are http://; use https://")
        credentials = (tls or EtcdTls()).credentials() if secure else None
        for url in self.endpoints:
            parts = urlsplit(url)
            options: dict[str, object] = {
                "host": parts.hostname,
                "port": parts.port,
                "username": username,
                "password": password,
                "timeout": timeout,  # gRPC takes a float deadline
                "connect_wait_timeout": max(1, round(timeout)),
            }
            if credentials is None:
                self._clients.append(aetcd.Client(**options))
            else:
                self._clients.append(_TlsClient(credentials, **options))
        self._current = 0

    @property
    def current_endpoint(self) -> str:
        """The member that answered last (or will be asked first)."""
        return self.endpoints[self._current]

    async def _call(self, what: str, request: Callable[[aetcd.Client], Awaitable[T]]) -> T:
        """Run ``request`` on the current member, then on each other one; the first answer.

        A request retried on another member may have been applied by the first: every
        caller's request is either idempotent or guarded by a compare (the fencing txn)."""
        if self.partitioned:
            raise EtcdUnavailable(f"etcd {what}: partitioned (test seam)")
        last: BaseException | None = None
        for step in range(len(self._clients)):
            index = (self._current + step) % len(self._clients)
            client = self._clients[index]
            try:
                async with asyncio.timeout(self.timeout + 0.5):
                    result = await request(client)
            except _ETCD_ERRORS as exc:
                last = exc
                await _reset(client)
                continue
            except asyncio.CancelledError as exc:
                if _really_cancelled():
                    raise
                # gRPC ends a call whose channel another task closed with CancelledError.
                last = exc
                continue
            self._current = index
            return result
        self._current = (self._current + 1) % len(self._clients)
        detail = f"{type(last).__name__}: {last}" if last else "no answer"
        hint = ""
        if self.secure and any(m in detail for m in ("TSI_", "SSL", "andshake")):
            hint = (
                "; the TLS handshake failed: check cluster.etcd.ca_file (the CA of the "
                "members' certificates) and cert_file/key_file (members started with "
                "--client-cert-auth refuse clients without a certificate)"
            )
        raise EtcdUnavailable(
            f"etcd {what}: no member of {self.endpoints} answered ({detail}){hint}"
        )

    async def grant(self, ttl: int) -> int:
        """A new lease of ``ttl`` seconds; its ID."""
        lease = await self._call("lease grant", lambda c: c.lease(ttl))
        return int(lease.id)

    async def keepalive(self, lease_id: int) -> int:
        """Renew ``lease_id``; the seconds it now has to live, 0 when it has expired."""
        reply = await self._call("lease keepalive", lambda c: c.refresh_lease(lease_id))
        return int(reply.TTL) if reply is not None else 0

    async def revoke(self, lease_id: int) -> None:
        """Revoke ``lease_id`` (its keys are deleted at once)."""
        await self._call("lease revoke", lambda c: c.revoke_lease(lease_id))

    async def put(self, key: str, value: bytes, lease: int = 0) -> int:
        """Write ``key`` (attached to ``lease`` unless 0); the revision of the write."""
        put = await self._call("put", lambda c: c.put(key.encode(), value, lease=lease or None))
        return int(put.header.revision)

    async def get(self, key: str) -> KV | None:
        """``key`` or None."""
        got = await self._call("get", lambda c: c.get(key.encode()))
        return None if got is None else _kv(got)

    async def get_prefix(self, prefix: str) -> tuple[int, list[KV]]:
        """Every key under ``prefix`` and the store revision they were read at."""
        got = await self._call("get", lambda c: c.get_prefix(prefix.encode()))
        return int(got.header.revision), [_kv(kv) for kv in got.kvs]

    async def create_if_absent(self, key: str, value: bytes, lease: int) -> tuple[bool, KV | None]:
        """Create ``key`` only if it does not exist (``create_revision == 0``), attached to
        ``lease``. Returns ``(True, the new key)`` or ``(False, the key as it is)``."""

        async def txn(c: aetcd.Client) -> tuple[bool, list[object]]:
            result: tuple[bool, list[object]] = await c.transaction(
                compare=[c.transactions.create(key.encode()) == 0],
                success=[
                    c.transactions.put(key.encode(), value, lease=lease),
                    c.transactions.get(key.encode()),
                ],
                failure=[c.transactions.get(key.encode())],
            )
            return result

        succeeded, responses = await self._call("create-if-absent txn", txn)
        ranges = [r for r in responses if isinstance(r, list)]
        current = _kv(ranges[-1][0][1]) if ranges and ranges[-1] else None
        return succeeded, current

    async def put_if_created_at(
        self, guard: str, guard_value: bytes, create_revision: int, key: str, value: bytes
    ) -> int | None:
        """Write ``key`` only while ``guard`` holds ``guard_value`` and was created at
        ``create_revision`` (the fencing compare). The write's revision, or None if refused."""

        async def txn(c: aetcd.Client) -> tuple[bool, list[object]]:
            result: tuple[bool, list[object]] = await c.transaction(
                compare=[
                    c.transactions.create(guard.encode()) == create_revision,
                    c.transactions.value(guard.encode()) == guard_value,
                ],
                success=[c.transactions.put(key.encode(), value)],
                failure=[],
            )
            return result

        succeeded, responses = await self._call("fenced txn", txn)
        if not succeeded:
            return None
        return int(responses[0].response_put.header.revision)  # type: ignore[attr-defined]

    async def delete_if_created_at(self, key: str, create_revision: int) -> bool:
        """Delete ``key`` only if it was created at ``create_revision``; True if deleted."""

        async def txn(c: aetcd.Client) -> tuple[bool, list[object]]:
            result: tuple[bool, list[object]] = await c.transaction(
                compare=[c.transactions.create(key.encode()) == create_revision],
                success=[c.transactions.delete(key.encode())],
                failure=[],
            )
            return result

        succeeded, _ = await self._call("guarded delete", txn)
        return succeeded

    async def watch_prefix(self, prefix: str, start_revision: int) -> AsyncIterator[WatchEvent]:
        """Events under ``prefix`` from ``start_revision`` on, until the stream fails
        (EtcdUnavailable; the caller re-reads and watches again)."""
        if self.partitioned:
            raise EtcdUnavailable("etcd watch: partitioned (test seam)")
        client = self._clients[self._current]
        try:
            watch = await client.watch_prefix(prefix.encode(), start_revision=start_revision)
            async for event in watch:
                if self.partitioned:
                    raise EtcdUnavailable("etcd watch: partitioned (test seam)")
                kind: Literal["put", "delete"] = "put" if event.kind == "PUT" else "delete"
                yield WatchEvent(kind, _kv(event.kv))
        except _ETCD_ERRORS as exc:
            await _reset(client)
            raise EtcdUnavailable(f"etcd watch on {self.current_endpoint}: {exc}") from None
        except asyncio.CancelledError:
            if _really_cancelled():
                raise
            raise EtcdUnavailable(f"etcd watch on {self.current_endpoint}: closed") from None

    async def close(self) -> None:
        """Close every member's channel."""
        for client in self._clients:
            await _reset(client)


def _really_cancelled() -> bool:
    """True when the running task itself is being cancelled (not a gRPC call ended by a
    channel that another task closed, which gRPC reports as CancelledError too)."""
    task = asyncio.current_task()
    return task is None or task.cancelling() > 0


_closing: set[asyncio.Task[None]] = set()


async def _reset(client: aetcd.Client) -> None:
    """Drop ``client``'s channel so that the next request dials again (a paused member's
    half-dead channel is not reused).

    The close runs in a task of its own, waited for at most 1 s: aetcd's watcher shutdown
    swallows a CancelledError that arrives while it waits, which would keep a cancelled
    caller running."""
    task = asyncio.ensure_future(_close(client))
    _closing.add(task)
    task.add_done_callback(_closing.discard)
    await asyncio.wait({task}, timeout=1.0)


async def _close(client: aetcd.Client) -> None:
    try:
        await client.close()
    except (*_ETCD_ERRORS, RuntimeError):
        pass


__all__ = ["KV", "EtcdSession", "EtcdTls", "EtcdUnavailable", "WatchEvent"]

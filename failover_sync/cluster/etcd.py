"""The etcd v3 client layer: one :class:`EtcdSession` over several members, errors classified
at this one boundary.

The client library is ``aetcd`` (asyncio, gRPC; maintained, works with etcd 3.4 and current
protobuf). ``etcd3`` is unmaintained since 2020 and fails to import with current protobuf;
``etcd3gw`` is synchronous (it would need a thread per call). ``aetcd.Client`` talks to one
member, so the session keeps one client per endpoint and moves to the next member when one
does not answer within ``timeout`` seconds (a SIGSTOPped member keeps its socket open and
answers nothing; a member cut off from the raft majority refuses linearizable requests).

Every failure of etcd (unreachable, timeout, no leader, lost stream) becomes
:class:`EtcdUnavailable`; callers decide what it means (a vote not published yet, a write
not fenced: never written). Reads are linearizable (aetcd's default), so a member on the
minority side of a partition cannot serve a stale leader key.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar
from urllib.parse import urlsplit

import aetcd  # type: ignore[import-untyped]
import aetcd.exceptions  # type: ignore[import-untyped]
from aetcd import rpc

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


class EtcdSession:
    """Requests to an etcd v3 cluster through whichever of ``endpoints`` answers.

    ``endpoints`` are ``http://host:port`` client URLs; ``timeout`` is the deadline of one
    request to one member, seconds. ``username``/``password`` use etcd's own authentication.
    ``https`` endpoints are refused with ValueError: aetcd 1.0 opens plaintext gRPC channels
    only (run etcd on a private network, or behind a local TLS-terminating proxy).

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
    ) -> None:
        if not endpoints:
            raise ValueError("etcd: no endpoints")
        self.endpoints = list(endpoints)
        self.timeout = timeout
        self.partitioned = False
        self._clients: list[aetcd.Client] = []
        for url in self.endpoints:
            parts = urlsplit(url)
            if parts.scheme != "http" or not parts.hostname or not parts.port:
                raise ValueError(
                    f"etcd endpoint {url!r}: only http://host:port is supported "
                    "(aetcd 1.0 has no TLS)"
                )
            self._clients.append(
                aetcd.Client(
                    host=parts.hostname,
                    port=parts.port,
                    username=username,
                    password=password,
                    timeout=timeout,  # gRPC takes a float deadline
                    connect_wait_timeout=max(1, round(timeout)),
                )
            )
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
        raise EtcdUnavailable(f"etcd {what}: no member of {self.endpoints} answered ({detail})")

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


__all__ = ["KV", "EtcdSession", "EtcdUnavailable", "WatchEvent"]

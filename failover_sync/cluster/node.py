"""One vantage's life in the cluster: its lease, its votes, its view, its leadership.

A :class:`ClusterNode` runs three tasks on the event loop:

- keepalive: renews the vantage's lease every ``lease_seconds / 3``; when etcd answers that
  the lease expired (the process was paused or cut off longer than the TTL) it drops any
  leadership at once, takes a new lease and publishes its key and votes again;
- view: reads everything under ``<prefix><owner_id>/`` and then watches it (the
  :class:`Board`), re-reading after any stream error;
- campaign (writers only): creates the leader key if absent (``create_revision == 0``) under
  its lease; the key's create revision is its fencing token.

Leadership is lost when the leader key is seen deleted or re-created, when the lease is gone,
or when a fenced write is refused. Local timing only ever makes this process *more* careful
(it stops writing when it has not renewed within the TTL); safety rests on the token compare
in etcd, because etcd resets lease timers when its own raft leader changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from failover_sync.cluster.etcd import KV, EtcdSession, EtcdUnavailable, WatchEvent
from failover_sync.cluster.keys import Layout, Vote, target_id
from failover_sync.logs import event
from failover_sync.model import EndpointHealth, ProbeTarget


@dataclass
class Board:
    """This process's view of the cluster's keys: alive vantages, votes, the leader key."""

    layout: Layout
    alive: dict[str, bool] = field(default_factory=dict)
    """vantage -> writer, for each vantage whose lease holds its key."""
    votes: dict[str, dict[str, Vote]] = field(default_factory=dict)
    """target id -> vantage -> vote."""
    leader: KV | None = None
    revision: int = 0
    present: set[str] = field(default_factory=set)

    def reset(self, revision: int, kvs: list[KV]) -> None:
        self.present.clear()
        self.alive.clear()
        self.votes.clear()
        self.leader = None
        for kv in kvs:
            self.apply(WatchEvent("put", kv))
        self.revision = revision

    def apply(self, change: WatchEvent) -> None:
        kv = change.kv
        self.revision = max(self.revision, kv.mod_revision)
        parsed = self.layout.parse(kv.key)
        put = change.kind == "put"
        if put:
            self.present.add(kv.key)
        else:
            self.present.discard(kv.key)
        match parsed:
            case ("leader",):
                self.leader = kv if put else None
            case ("vantage", name):
                if put:
                    try:
                        self.alive[name] = bool(json.loads(kv.value).get("writer", False))
                    except (ValueError, AttributeError):
                        self.alive[name] = False
                else:
                    self.alive.pop(name, None)
            case ("vote", vantage, tid):
                vote = Vote.decode(vantage, kv.value) if put else None
                if vote is None:
                    self.votes.get(tid, {}).pop(vantage, None)
                else:
                    self.votes.setdefault(tid, {})[vantage] = vote

    def keys(self) -> set[str]:
        """Every key under the root the board has seen put and not deleted."""
        return set(self.present)

    def leader_name(self) -> str | None:
        return self.leader.value.decode(errors="replace") if self.leader else None


class ClusterNode:
    """One vantage: ``name`` in ``layout``'s cluster, with an etcd ``session``.

    ``lease_seconds`` is the lease TTL; ``writer`` False never campaigns. Listeners in
    ``on_view`` are called (synchronously) after every change of the board; ``on_leader``
    with True/False when this process gains or loses leadership.
    """

    def __init__(
        self,
        session: EtcdSession,
        layout: Layout,
        name: str,
        *,
        lease_seconds: int = 10,
        writer: bool = True,
    ) -> None:
        self.session = session
        self.layout = layout
        self.name = name
        self.lease_seconds = lease_seconds
        self.writer = writer
        self.board = Board(layout)
        self.on_view: list[Callable[[], None]] = []
        self.on_leader: list[Callable[[bool], None]] = []
        self.lease: int | None = None
        self.token: int | None = None
        self.renewed_at: float | None = None
        self.synced = asyncio.Event()
        self._local: dict[str, Vote] = {}
        self._unpublished: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._view: asyncio.Task[None] | None = None
        self._retired: set[asyncio.Task[None]] = set()
        self._stale_checks = 0
        self._wake = asyncio.Event()

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the keepalive, view and campaign tasks (returns at once)."""
        self._tasks = [asyncio.create_task(self._keepalive_loop(), name=f"{self.name}-lease")]
        self._restart_view()
        if self.writer:
            self._tasks.append(asyncio.create_task(self._campaign_loop(), name=f"{self.name}-ld"))

    async def pause(self) -> None:
        """Stop every task without telling etcd (as SIGSTOP or a crash would): the lease,
        votes and leader key stay until the lease expires. :meth:`start` resumes."""
        tasks = [*self._tasks, *([self._view] if self._view else []), *self._retired]
        self._tasks, self._view = [], None
        pending = set(tasks)
        while pending:
            # Cancel again until each task ends: a library may swallow one CancelledError.
            for task in pending:
                task.cancel()
            _, pending = await asyncio.wait(pending, timeout=0.2)

    async def stop(self) -> None:
        """Stop and revoke the lease: votes and leadership go at once (a clean hand-over)."""
        await self.pause()
        self._set_token(None, "stopped")
        if self.lease is not None:
            with contextlib.suppress(EtcdUnavailable):
                await self.session.revoke(self.lease)
            self.lease = None

    # -- votes ------------------------------------------------------------------------------

    async def publish(self, target: ProbeTarget, health: EndpointHealth) -> None:
        """Publish this vantage's verdict on ``target`` under its lease. When etcd does not
        answer, the vote is kept and published with the next renewal."""
        tid = target_id(target)
        old = self._local.get(tid)
        if old is not None and old.healthy == health.healthy:
            return
        self._local[tid] = Vote.now(self.name, target, health.healthy, health.reason)
        await self._put_vote(tid)

    async def publish_all(self, health: Mapping[ProbeTarget, EndpointHealth]) -> None:
        """Publish every verdict of ``health`` (at start-up, once probing has settled)."""
        for target, verdict in health.items():
            await self.publish(target, verdict)

    async def _put_vote(self, tid: str) -> None:
        lease = self.lease
        if lease is None:
            self._unpublished.add(tid)
            return
        try:
            await self.session.put(
                self.layout.vote(self.name, tid), self._local[tid].encode(), lease
            )
            self._unpublished.discard(tid)
        except EtcdUnavailable as exc:
            self._unpublished.add(tid)
            event(logging.WARNING, "cluster_vote_unpublished", vantage=self.name, error=str(exc))

    # -- state ------------------------------------------------------------------------------

    @property
    def is_leader(self) -> bool:
        """True while this process holds a fencing token and renewed its lease within the
        TTL (a stale process stops writing by itself; etcd's compare refuses it anyway)."""
        return self.token is not None and self.lease_fresh()

    def lease_fresh(self) -> bool:
        renewed = self.renewed_at
        return renewed is not None and time.monotonic() - renewed < self.lease_seconds

    def lose_leadership(self, reason: str) -> None:
        """Drop the fencing token (a refused write, a lost lease); the campaign goes on."""
        self._set_token(None, reason)

    def _set_token(self, token: int | None, reason: str) -> None:
        if token == self.token:
            return
        was = self.token is not None
        self.token = token
        if token is not None:
            event(logging.WARNING, "cluster_leader_elected", vantage=self.name, token=token)
        elif was:
            event(logging.WARNING, "cluster_leader_lost", vantage=self.name, reason=reason)
        for listener in self.on_leader:
            listener(token is not None)
        self._wake.set()

    # -- tasks ------------------------------------------------------------------------------

    async def _new_lease(self) -> None:
        lease = await self.session.grant(self.lease_seconds)
        info = json.dumps({"writer": self.writer, "pid": os.getpid()}).encode()
        await self.session.put(self.layout.vantage(self.name), info, lease)
        self.lease = lease
        self.renewed_at = time.monotonic()
        self._unpublished |= set(self._local)
        for tid in sorted(self._unpublished):
            await self._put_vote(tid)
        event(logging.INFO, "cluster_lease_granted", vantage=self.name, lease=f"{lease:x}")
        self._wake.set()

    async def _keepalive_loop(self) -> None:
        period = self.lease_seconds / 3
        broken = False
        while True:
            try:
                if self.lease is None:
                    await self._new_lease()
                else:
                    sent = time.monotonic()
                    ttl = await self.session.keepalive(self.lease)
                    if ttl <= 0:
                        self.lease = None
                        self._set_token(None, "lease expired")
                        event(logging.WARNING, "cluster_lease_expired", vantage=self.name)
                        continue
                    # Freshness counts from when the renewal was sent, never from the answer.
                    self.renewed_at = sent
                    for tid in sorted(self._unpublished):
                        await self._put_vote(tid)
                if broken:
                    broken = False
                    self._restart_view()
                else:
                    await self._check_view()
            except EtcdUnavailable as exc:
                if not broken:
                    event(
                        logging.WARNING,
                        "cluster_etcd_unreachable",
                        vantage=self.name,
                        error=str(exc),
                    )
                broken = True
                if not self.lease_fresh():
                    self._set_token(None, "etcd unreachable for the lease's TTL")
                await asyncio.sleep(min(period, 0.5))
                continue
            await asyncio.sleep(period)

    async def _check_view(self) -> None:
        """Re-read the keys once per renewal: a watch stream that went quiet without an
        error (a member cut off, a lost stream) would leave the view stale for good."""
        _, kvs = await self.session.get_prefix(self.layout.root)
        latest = max((kv.mod_revision for kv in kvs), default=0)
        seen = {kv.key for kv in kvs}
        if latest > self.board.revision or seen != self.board.keys():
            self._stale_checks += 1
            if self._stale_checks >= 2:  # one period of grace for events in flight
                event(logging.WARNING, "cluster_view_stale", vantage=self.name)
                self._stale_checks = 0
                self._restart_view()
        else:
            self._stale_checks = 0

    def _restart_view(self) -> None:
        old = self._view
        if old is not None:
            old.cancel()
            self._retired.add(old)  # awaited by pause(), in case it ignores one cancel
            old.add_done_callback(self._retired.discard)
        self._view = asyncio.create_task(self._view_loop(), name=f"{self.name}-view")

    async def _view_loop(self) -> None:
        while True:
            try:
                revision, kvs = await self.session.get_prefix(self.layout.root)
                self.board.reset(revision, kvs)
                self._after_view()
                self.synced.set()
                async for change in self.session.watch_prefix(self.layout.root, revision + 1):
                    self.board.apply(change)
                    self._after_view()
            except EtcdUnavailable:
                pass
            await asyncio.sleep(0.2)

    def _after_view(self) -> None:
        leader = self.board.leader
        token = self.token
        # Only a view at or after the token's own revision can tell that the key is gone.
        seen = token is not None and self.board.revision >= token
        if seen and (leader is None or leader.create_revision != token):
            self._set_token(None, "leader key deleted or taken over")
        if leader is None:
            self._wake.set()
        for listener in self.on_view:
            try:
                listener()
            except Exception as exc:  # a broken observer must not end the view
                event(logging.ERROR, "listener_error", hook="on_view", error=repr(exc))

    async def _campaign_loop(self) -> None:
        key = self.layout.leader
        while True:
            self._wake.clear()
            lease = self.lease
            if self.token is None and lease is not None and self.lease_fresh():
                try:
                    won, holder = await self.session.create_if_absent(
                        key, self.name.encode(), lease
                    )
                except EtcdUnavailable:
                    holder, won = None, False
                if holder is not None and holder.lease == lease and self.lease == lease:
                    self._set_token(holder.create_revision, "elected")
                elif won:
                    event(logging.ERROR, "cluster_campaign_unclear", vantage=self.name)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.lease_seconds / 3):
                    await self._wake.wait()


__all__ = ["Board", "ClusterNode"]

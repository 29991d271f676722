"""When things run: each target's probe loop and each zone's worker.

**Probes** are fixed-rate on average: each gap is ``interval_seconds`` times a random factor
in ``1 ± PHASE_JITTER`` (:data:`~failover_sync.model.PHASE_JITTER`), starting at a stable
hash-based phase so that 10,000 targets spread over the interval. A loop that falls a whole
interval behind skips (counted in :attr:`ProbeLoops.skipped`), never bursts. With
``recheck_interval_seconds``, a result that differs from the verdict is followed by rechecks
at that interval (one at a time per target, never overlapping; a timeout still costs the whole
``request_timeout_seconds``) until the verdict flips or the streak breaks; at most
:data:`MAX_RECHECKS_IN_FLIGHT` rechecks run at once, so a mass failure does not become a
probe storm (a recheck waiting for a slot is late, not lost).

**Zone workers** reconcile at once on a health transition, every ``resync_seconds``, when a
guard asks (a hold-down expiring), and, after a failed reconcile, again with capped
exponential backoff (honouring a ``Retry-After``) until it succeeds or the plan changes.
"""

from __future__ import annotations

import asyncio
import random
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from failover_sync.controller.reconcile import ZoneOutcome
from failover_sync.model import PHASE_JITTER, ProbeResult, ProbeTarget

MAX_RECHECKS_IN_FLIGHT = 256
"""Rechecks running at once across every target."""
RETRY_INITIAL_SECONDS = 1.0
"""First wait before reconciling a failed zone again; doubles up to RETRY_MAX_SECONDS."""
RETRY_MAX_SECONDS = 30.0
"""Longest wait between two reconciles of a failing zone (a Retry-After may ask for more)."""

Probe = Callable[[ProbeTarget], Awaitable[ProbeResult]]
Observe = Callable[[ProbeTarget, ProbeResult, float], bool]
"""Records one result with its lateness; returns True while a recheck is wanted."""


def phase(target: ProbeTarget) -> float:
    """A stable start offset in [0, 1) of the interval for ``target``."""
    return (zlib.crc32(str(target).encode()) % 10_000) / 10_000


@dataclass
class ProbeLoops:
    """Runs every target's probe loop; ``rng`` draws the jitter (seedable for tests)."""

    probe: Probe
    observe: Observe
    rng: random.Random = field(default_factory=random.Random)
    skipped: int = 0
    rechecks: int = 0
    _slots: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(MAX_RECHECKS_IN_FLIGHT)
    )

    def start(self, targets: list[ProbeTarget]) -> list[asyncio.Task[None]]:
        """One task per target; the caller cancels them."""
        return [asyncio.create_task(self.run(t)) for t in targets]

    def _gap(self, interval: float) -> float:
        return interval * (1.0 + self.rng.uniform(-PHASE_JITTER, PHASE_JITTER))

    async def run(self, target: ProbeTarget) -> None:
        """Probe ``target`` until cancelled."""
        loop = asyncio.get_running_loop()
        interval = target.check.interval_seconds
        recheck = target.check.recheck_interval_seconds
        next_at = loop.time() + interval * phase(target)
        while True:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            lateness = max(0.0, loop.time() - next_at)
            wants = self.observe(target, await self.probe(target), lateness)
            if recheck is not None and wants:
                await self._recheck(target, recheck)
            next_at += self._gap(interval)
            now = loop.time()
            if next_at <= now:  # fell behind by a whole interval: skip, don't burst
                missed = int((now - next_at) // interval) + 1
                self.skipped += missed
                next_at += interval * missed

    async def _recheck(self, target: ProbeTarget, every: float) -> None:
        loop = asyncio.get_running_loop()
        wants = True
        while wants:
            planned = loop.time() + every
            await asyncio.sleep(every)
            async with self._slots:
                lateness = max(0.0, loop.time() - planned)
                self.rechecks += 1
                wants = self.observe(target, await self.probe(target), lateness)


@dataclass
class ZoneWorker:
    """Reconciles one zone on demand (:meth:`poke`), on resync and on retry."""

    reconcile: Callable[[], Awaitable[ZoneOutcome]]
    resync_seconds: float
    dirty: asyncio.Event = field(default_factory=asyncio.Event)
    failures: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def poke(self) -> None:
        """Reconcile as soon as possible."""
        self.dirty.set()

    def _backoff(self) -> float:
        cap = min(RETRY_MAX_SECONDS, RETRY_INITIAL_SECONDS * 2 ** (self.failures - 1))
        return self.rng.uniform(cap / 2, cap)

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set; a reconcile in flight finishes first."""
        loop = asyncio.get_running_loop()
        next_resync = loop.time() + self.resync_seconds
        retry_at: float | None = None
        wake_at: float | None = None
        while not stop.is_set():
            deadline = min(t for t in (next_resync, retry_at, wake_at) if t is not None)
            try:
                async with asyncio.timeout(max(0.0, deadline - loop.time())):
                    await self.dirty.wait()
            except TimeoutError:
                pass
            if stop.is_set():
                return
            self.dirty.clear()
            if loop.time() >= next_resync:
                next_resync = loop.time() + self.resync_seconds
            outcome = await asyncio.shield(self.reconcile())
            wake_at = outcome.wake_at if outcome.error is None else None
            if wake_at is not None and wake_at <= loop.time():
                wake_at = None
            if outcome.error is not None or outcome.rejected:
                self.failures += 1
                retry_at = loop.time() + self._backoff()
                if outcome.wake_at is not None:  # the provider's Retry-After
                    retry_at = max(retry_at, outcome.wake_at)
            else:
                self.failures = 0
                retry_at = None

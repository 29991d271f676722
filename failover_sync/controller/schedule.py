"""When each zone's worker reconciles (probes run on :mod:`failover_sync.health.schedule`).

**Zone workers** reconcile at once on a health transition, every ``resync_seconds``, when a
guard asks (a hold-down expiring), and, after a failed reconcile, again with capped
exponential backoff (honouring a ``Retry-After``) until it succeeds or the plan changes.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from failover_sync.controller.reconcile import ZoneOutcome

RETRY_INITIAL_SECONDS = 1.0
"""First wait before reconciling a failed zone again; doubles up to RETRY_MAX_SECONDS."""
RETRY_MAX_SECONDS = 30.0
"""Longest wait between two reconciles of a failing zone (a Retry-After may ask for more)."""


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

"""When targets are probed: one heap of due times for every target, a task per due probe.

One sleeping task per target (10,000 targets: 10,000 tasks, each with coroutines, a
context, a future and a timer handle, about 25 tracked objects) gives Python's cyclic
collector some 250,000 objects that live for a whole interval each: every probe renews them,
so they survive young collections, are promoted, and trigger full collections that scan all
of them (measured at 10,000 targets, uvloop: a full pass of 185 ms, four of them in 20 s).
:class:`ProbeSchedule` keeps the schedule in heaps of ``(due, index)`` tuples instead and
starts a task only when a probe is due; that task lives for the probe's few milliseconds and
dies young, so full passes have little to scan.

**Probes** are fixed-rate on average: each gap is ``interval_seconds`` times a random factor in
``1 ± PHASE_JITTER`` (:data:`~failover_sync.model.PHASE_JITTER`), so that a backend failing
periodically cannot stay aligned with, or hide from, the probes. Target ``t`` is first due at
``start + interval x first_offset(phase_of(t))``: a stable hash staggers the targets, and
:func:`first_offset` spreads them as a jittered schedule that has run for a long time would
be spread, so that the probe rate is ``1 / interval`` per target from the start (staggering
them uniformly over one interval instead leaves a lull down to half the rate after the first
interval, while the second probes spread over 0.75 to 2.25 intervals). One probe per target
at a time; a target whose probe ended a whole interval or more after its next due time skips
the missed turns (counted in ``skipped``) instead of bursting.

**Rapid recheck**: when the result hook returns True ("recheck wanted": the latest result
differs from the verdict) and ``check.recheck_interval_seconds`` R is set, the target is
probed again R seconds after each probe ends (rechecks of one target never overlap; a timeout
still costs the whole ``request_timeout_seconds``) until the hook returns False (the verdict
flipped or the streak broke); then the target returns to its fixed-rate slot (turns that
passed during the streak count as skipped). At most ``max_rechecks`` (default
:data:`MAX_RECHECKS_IN_FLIGHT`) rechecks run at once, so a mass failure does not become a
probe storm: a recheck waiting for a slot stays in its heap, late, not lost.

**Overload**: no more tasks run than the prober's admission limit
(``prober.admission.stats.limit``): due probes wait in the heaps (lateness grows), so that an
overload does not turn into tens of thousands of waiting tasks for the collector to scan.
``on_result(target, result, lateness)`` gets the lateness in seconds from the due time to the
probe's admission (the probe's ``latency_seconds`` counts from its admission).
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import math
import random
import time
import zlib
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from failover_sync.health.admission import AdmissionStats
from failover_sync.logs import event
from failover_sync.model import PHASE_JITTER, ProbeResult, ProbeTarget

MAX_RECHECKS_IN_FLIGHT = 256
"""Rechecks running at once across every target (the default of ``max_rechecks``)."""
EARLY_SECONDS = 1e-6
"""A probe this close to its due time is due: a timer may fire that little early (float
rounding of the loop's clock), and waiting again for a microsecond could spin."""

ResultHook = Callable[[ProbeTarget, ProbeResult, float], bool]
"""Called with each result and its lateness in seconds (due time to admission); returns True
while a recheck is wanted."""


class _Admission(Protocol):
    @property
    def stats(self) -> AdmissionStats: ...


class ProbeEngine(Protocol):
    """What :class:`ProbeSchedule` needs of a prober: ``probe`` (one result; may raise, which
    counts as a failed probe) and ``admission.stats.limit`` (probes it lets run at once).
    :class:`~failover_sync.health.probes.Prober` is one."""

    @property
    def admission(self) -> _Admission: ...

    def probe(self, target: ProbeTarget) -> Awaitable[ProbeResult]: ...


def phase_of(target: ProbeTarget) -> float:
    """The target's stable place in its interval, 0 <= phase < 1 (CRC-32 of its text)."""
    return (zlib.crc32(str(target).encode()) % 10_000) / 10_000


def first_offset(phase: float, jitter: float = PHASE_JITTER) -> float:
    """Where a target's first probe goes, in intervals after the start, for a ``phase`` in
    [0, 1): the inverse of the equilibrium distribution of a gap uniform in ``1 ± jitter``
    (renewal theory: the distribution of the wait from a random moment to the next probe),
    i.e. uniform density up to ``1 - jitter``, then thinning linearly to 0 at
    ``1 + jitter``. Monotonic; 0 maps to 0 and 1 to ``1 + jitter``.
    """
    if phase <= 1.0 - jitter:
        return phase
    # F(x) = 1 - (1 + j - x)^2 / (4 j) on [1 - j, 1 + j]
    return 1.0 + jitter - 2.0 * math.sqrt(jitter * (1.0 - phase))


class ProbeSchedule:
    """Probes ``targets`` through ``prober`` until :meth:`run` is cancelled.

    ``rng`` draws the jitter (seed it for repeatable tests); ``clock`` (seconds) is read when
    a probe ends, to compute its lateness, and must share the event loop's epoch
    (``time.monotonic`` for asyncio and uvloop; a virtual loop's ``time`` in tests).
    Counters: ``started`` probes started (rechecks included), ``rechecks`` rechecks
    started, ``skipped`` turns skipped because a target fell a whole interval behind. An
    exception from the prober (a failed probe with reason ``probe error: <type>``) or from
    ``on_result`` (no recheck) is logged (``probe_error``, ``probe_hook_error``) and the
    target stays on the schedule.
    """

    def __init__(
        self,
        prober: ProbeEngine,
        targets: Iterable[ProbeTarget],
        on_result: ResultHook,
        *,
        rng: random.Random | None = None,
        max_rechecks: int = MAX_RECHECKS_IN_FLIGHT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_rechecks < 1:
            raise ValueError("max_rechecks must be at least 1")
        self.prober = prober
        self.on_result = on_result
        self.targets = list(targets)
        self.rng = rng if rng is not None else random.Random()
        self.max_rechecks = max_rechecks
        self.clock = clock
        self.skipped = 0
        self.started = 0
        self.rechecks = 0
        self.rechecks_in_flight = 0
        # (due, index into targets): tuples of a float and an int, which the collector
        # stops tracking, so a full pass does not scan the schedule. A target is in at most
        # one of the two heaps, or running: its probes never overlap.
        self._heap: list[tuple[float, int]] = []
        self._recheck_heap: list[tuple[float, int]] = []
        # index -> the fixed-rate due time a target in a recheck streak returns to
        self._slot: dict[int, float] = {}
        self._running: set[asyncio.Task[None]] = set()
        self._wake: asyncio.Event | None = None
        self._blocked = False  # something due waits for a slot: any probe's end wakes us
        self._wake_at: float | None = None  # when the dispatcher wakes by itself

    async def run(self) -> None:
        """Run the schedule; cancel to stop (probes in flight are cancelled too)."""
        loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        start = loop.time()
        self._heap = [
            (start + t.check.interval_seconds * first_offset(phase_of(t)), i)
            for i, t in enumerate(self.targets)
        ]
        heapq.heapify(self._heap)
        self._recheck_heap, self._slot = [], {}
        try:
            while True:
                now = loop.time()
                self._dispatch(loop, now + EARLY_SECONDS)
                heads = [h[0][0] for h in (self._heap, self._recheck_heap) if h]
                self._blocked = any(due <= now + EARLY_SECONDS for due in heads)
                future = [due for due in heads if due > now + EARLY_SECONDS]
                self._wake_at = min(future) if future else None
                self._wake.clear()
                if self._wake_at is None:
                    await self._wake.wait()  # a probe ends (or one is scheduled)
                else:
                    try:
                        async with asyncio.timeout_at(self._wake_at):
                            await self._wake.wait()
                    except TimeoutError:
                        pass
        finally:
            for task in self._running:
                task.cancel()
            await asyncio.gather(*self._running, return_exceptions=True)

    def _dispatch(self, loop: asyncio.AbstractEventLoop, now: float) -> None:
        """Start every due probe that admission (and, for rechecks, the recheck bound) lets
        run; the earlier due time goes first."""
        heap, rechecks = self._heap, self._recheck_heap
        limit = self.prober.admission.stats.limit
        while len(self._running) < limit:
            recheck_due = (
                rechecks[0][0]
                if rechecks
                and rechecks[0][0] <= now
                and self.rechecks_in_flight < self.max_rechecks
                else None
            )
            due = heap[0][0] if heap and heap[0][0] <= now else None
            if recheck_due is not None and (due is None or recheck_due <= due):
                due, order = heapq.heappop(rechecks)
                self.rechecks_in_flight += 1
                self.rechecks += 1
                task = loop.create_task(self._one(loop, due, order, recheck=True))
            elif due is not None:
                due, order = heapq.heappop(heap)
                task = loop.create_task(self._one(loop, due, order, recheck=False))
            else:
                break
            self._running.add(task)
            task.add_done_callback(self._running.discard)
            self.started += 1

    def _gap(self, interval: float) -> float:
        return interval * (1.0 + self.rng.uniform(-PHASE_JITTER, PHASE_JITTER))

    async def _one(
        self, loop: asyncio.AbstractEventLoop, due: float, order: int, *, recheck: bool
    ) -> None:
        target = self.targets[order]
        try:
            try:
                result = await self.prober.probe(target)
            except Exception as exc:  # a bug in a probe library must not end the schedule
                event(logging.ERROR, "probe_error", endpoint=str(target), error=repr(exc))
                result = ProbeResult(False, 0.0, f"probe error: {type(exc).__name__}")
        finally:
            if recheck:
                self.rechecks_in_flight -= 1
        # uvloop's loop.time() is CLOCK_MONOTONIC in ms, cached per loop iteration
        ended = self.clock()
        wanted = False
        try:
            wanted = self.on_result(target, result, max(0.0, ended - result.latency_seconds - due))
        except Exception as exc:
            event(logging.ERROR, "probe_hook_error", endpoint=str(target), error=repr(exc))
        now = loop.time()
        every = target.check.recheck_interval_seconds
        if wanted and every is not None:
            if not recheck:
                self._slot[order] = due
            self._push(self._recheck_heap, now + every, order)
            return
        slot = self._slot.pop(order, due) if recheck else due
        interval = target.check.interval_seconds
        next_due = slot + self._gap(interval)
        if next_due <= now:  # fell behind by a whole interval: skip, don't burst
            missed = int((now - next_due) // interval) + 1
            self.skipped += missed
            next_due += interval * missed
        self._push(self._heap, next_due, order)

    def _push(self, heap: list[tuple[float, int]], due: float, order: int) -> None:
        heapq.heappush(heap, (due, order))
        if self._wake is not None and (
            self._blocked or self._wake_at is None or due < self._wake_at
        ):
            self._wake.set()

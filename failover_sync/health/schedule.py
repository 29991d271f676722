"""Fixed-rate probing of many targets from one task, with little for the collector to scan.

One sleeping task per target (10,000 targets: 10,000 tasks, each with coroutines, a
context, a future and a timer handle, about 25 tracked objects) gives Python's cyclic
collector some 250,000 objects that live for a whole interval each: every probe renews them,
so they survive young collections, are promoted, and trigger full collections that scan all
of them (measured at 10,000 targets, uvloop: a full pass of 185 ms, four of them in 20 s).
:class:`ProbeSchedule` keeps the schedule in one heap of ``(due, index)`` tuples
instead and starts a task only when a probe is due; that task lives for the probe's few
milliseconds and dies young, so full passes have little to scan.

Semantics are those of a per-target fixed-rate loop: target ``t`` is first due at
``start + interval x phase_of(t)`` (a stable hash staggers targets over one interval), then
every ``interval_seconds`` after its previous due time; one probe per target at a time; a
target whose probe ended a whole interval or more after its next due time skips the missed
turns (counted in ``skipped``) instead of bursting. ``on_result(target, result, lateness)``
gets the lateness in seconds from the due time to the probe's start, wait for an admission
slot included (the probe's ``latency_seconds`` counts from its admission). Under overload no
more tasks run than the prober's admission limit: due probes wait in the heap, so that an
overload does not turn into tens of thousands of waiting tasks for the collector to scan.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
import zlib
from collections.abc import Callable, Iterable

from failover_sync.health.probes import Prober
from failover_sync.logs import event
from failover_sync.model import ProbeResult, ProbeTarget

ResultHook = Callable[[ProbeTarget, ProbeResult, float], None]
"""Called with each result and its lateness in seconds (due time to admission)."""


def phase_of(target: ProbeTarget) -> float:
    """The target's stable place in its interval, 0 <= phase < 1 (CRC-32 of its text)."""
    return (zlib.crc32(str(target).encode()) % 10_000) / 10_000


class ProbeSchedule:
    """Probes ``targets`` at fixed rates through ``prober`` until :meth:`run` is cancelled.

    ``skipped`` counts turns skipped because a target fell a whole interval behind;
    ``started`` counts probes started. An exception from the prober (a failed probe with
    reason ``probe error: <type>``) or from ``on_result`` is logged (``probe_error``,
    ``probe_hook_error``) and the target stays on the schedule.
    """

    def __init__(self, prober: Prober, targets: Iterable[ProbeTarget], on_result: ResultHook):
        self.prober = prober
        self.on_result = on_result
        self.targets = list(targets)
        self.skipped = 0
        self.started = 0
        # (due, index into targets): tuples of a float and an int, which the collector
        # stops tracking, so a full pass does not scan the schedule
        self._heap: list[tuple[float, int]] = []
        self._running: set[asyncio.Task[None]] = set()
        self._wake: asyncio.Event | None = None
        self._throttled = False

    async def run(self) -> None:
        """Run the schedule; cancel to stop (probes in flight are cancelled too)."""
        loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        start = loop.time()
        self._heap = [
            (start + t.check.interval_seconds * phase_of(t), i) for i, t in enumerate(self.targets)
        ]
        heapq.heapify(self._heap)
        try:
            while True:
                now = loop.time()
                heap = self._heap
                # no more tasks than admission would let run: under overload the due
                # probes wait in the heap (lateness grows), not as thousands of tasks
                limit = self.prober.admission.stats.limit
                while heap and heap[0][0] <= now and len(self._running) < limit:
                    due, order = heapq.heappop(heap)
                    task = loop.create_task(self._one(loop, due, order))
                    self._running.add(task)
                    task.add_done_callback(self._running.discard)
                    self.started += 1
                self._wake.clear()
                self._throttled = bool(heap) and heap[0][0] <= now
                if self._throttled:
                    await self._wake.wait()  # a probe ends
                elif heap:
                    try:
                        async with asyncio.timeout_at(heap[0][0]):
                            await self._wake.wait()
                    except TimeoutError:
                        pass
                else:
                    await self._wake.wait()
        finally:
            for task in self._running:
                task.cancel()
            await asyncio.gather(*self._running, return_exceptions=True)

    async def _one(self, loop: asyncio.AbstractEventLoop, due: float, order: int) -> None:
        target = self.targets[order]
        try:
            result = await self.prober.probe(target)
        except Exception as exc:  # a bug in a probe library must not end the schedule
            event(logging.ERROR, "probe_error", endpoint=str(target), error=repr(exc))
            result = ProbeResult(False, 0.0, f"probe error: {type(exc).__name__}")
        # uvloop's loop.time() is CLOCK_MONOTONIC in ms, cached per loop iteration
        ended = time.monotonic()
        try:
            self.on_result(target, result, max(0.0, ended - result.latency_seconds - due))
        except Exception as exc:
            event(logging.ERROR, "probe_hook_error", endpoint=str(target), error=repr(exc))
        now = loop.time()
        interval = target.check.interval_seconds
        next_due = due + interval
        if next_due <= now:  # fell behind by a whole interval: skip, don't burst
            missed = int((now - next_due) // interval) + 1
            self.skipped += missed
            next_due += interval * missed
        first = self._heap[0][0] if self._heap else None
        heapq.heappush(self._heap, (next_due, order))
        if (self._throttled or first is None or next_due < first) and self._wake is not None:
            self._wake.set()

"""Admission of probes onto the event loop: overload delays whole probes, never stretches them.

A probe's deadline (``request_timeout_seconds``) starts only once it is admitted. Offered
more probes than the core can run, an unbounded engine starts all of them; the loop then
shares its one core among every probe in flight, so each takes ``in_flight x CPU per probe``
of wall time and healthy endpoints time out (issue 19: 3,019 in flight, p50 latency 588 ms).
:class:`Admission` instead bounds the probes in flight by what the core can finish well
within the shortest timeout seen::

    limit = clamp(share x shortest_timeout / cpu_per_probe, floor, ceiling)

``cpu_per_probe`` is measured: the process's CPU seconds (``time.process_time``) over the
probes finished, averaged each second over at least 32 probes (an exponential moving
average). It counts everything the process does, so it errs on the side of a lower limit.
Under overload, throughput is the core's and the latency of an admitted probe is about
``limit x cpu_per_probe = share x timeout``: with the default share of 0.25, a quarter of the
timeout. The rest wait in arrival order; their lateness grows instead, and is counted in
:class:`AdmissionStats` and announced through ``listeners`` (entering and leaving overload).

A probe that hangs until its timeout holds a slot without using the core, so the bound also
limits hung probes: they may take up to ``share x cpu_rate x timeout`` slots (for 0.3 ms per
probe and a 1 s timeout, about 830 probes hung at once) before healthy probes wait for them.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from failover_sync.logs import event

OverloadListener = Callable[[bool, "AdmissionStats"], None]
"""Called with ``True`` when probes start waiting for a slot, ``False`` when that ends."""

QUIET_SECONDS = 5.0
"""Seconds without any delayed probe after which an overload is over."""


@dataclass(slots=True)
class AdmissionStats:
    """Counters of one :class:`Admission` (monotonic totals, plus gauges).

    ``delayed``: probes that waited for a slot; ``delay_seconds``: their total wait;
    ``max_delay_seconds``: the longest wait since the last :meth:`Admission.take_max_delay`;
    ``waiting`` and ``in_flight``: now; ``limit``: the current bound on ``in_flight``;
    ``cpu_per_probe_seconds``: the measured CPU cost of one probe; ``overloaded``: whether
    probes are being delayed.
    """

    admitted: int = 0
    finished: int = 0
    delayed: int = 0
    delay_seconds: float = 0.0
    max_delay_seconds: float = 0.0
    waiting: int = 0
    in_flight: int = 0
    limit: int = 0
    cpu_per_probe_seconds: float = 0.0
    overloaded: bool = False


class Admission:
    """A first-come first-served gate with a limit derived from the measured CPU per probe.

    ``ceiling`` caps the limit (file descriptors); ``floor`` keeps progress when the
    estimate is poor; ``share`` (0..1) is the part of the shortest timeout that an admitted
    probe may spend waiting for the core under overload; ``initial_cpu_per_probe`` (seconds)
    is used until a measurement exists. Not thread-safe: one event loop.
    """

    def __init__(
        self,
        *,
        ceiling: int = 4096,
        floor: int = 16,
        share: float = 0.25,
        initial_cpu_per_probe: float = 0.001,
    ) -> None:
        if not 0 < share <= 1 or floor < 1 or ceiling < floor:
            raise ValueError("need 0 < share <= 1 and 1 <= floor <= ceiling")
        self.ceiling, self.floor, self.share = ceiling, floor, share
        self.stats = AdmissionStats(cpu_per_probe_seconds=initial_cpu_per_probe)
        self.listeners: list[OverloadListener] = []
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._shortest_timeout = float("inf")
        self._last_delay_at = 0.0
        self._sample_at = 0.0
        self._sample_cpu = 0.0
        self._sample_finished = 0
        self._update_limit()

    def _update_limit(self) -> None:
        timeout = self._shortest_timeout if self._shortest_timeout < float("inf") else 1.0
        raw = self.share * timeout / max(self.stats.cpu_per_probe_seconds, 1e-6)
        self.stats.limit = max(self.floor, min(self.ceiling, int(raw)))

    async def acquire(self, timeout: float) -> None:  # noqa: ASYNC109 - the probe's own
        """Wait (first come, first served) until a probe with ``timeout`` seconds may start.

        Raises ``asyncio.CancelledError`` when cancelled while waiting (the slot is not
        taken).
        """
        stats = self.stats
        if timeout < self._shortest_timeout:
            self._shortest_timeout = timeout
            self._update_limit()
        if stats.in_flight < stats.limit and not self._waiters:
            stats.in_flight += 1
            stats.admitted += 1
            if stats.overloaded and time.monotonic() - self._last_delay_at > QUIET_SECONDS:
                stats.overloaded = False
                self._notify(False)
            return
        started = time.monotonic()
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        stats.waiting += 1
        if not stats.overloaded:
            stats.overloaded = True
            self._notify(True)
        try:
            await waiter
        except BaseException:
            stats.waiting -= 1
            if waiter.done() and not waiter.cancelled():
                # the slot was handed over just as we were cancelled: pass it on
                stats.in_flight -= 1
                self._wake()
            else:
                with contextlib.suppress(ValueError):  # _wake may have dropped it already
                    self._waiters.remove(waiter)
            raise
        stats.waiting -= 1
        stats.admitted += 1
        now = time.monotonic()
        waited = now - started
        self._last_delay_at = now
        stats.delayed += 1
        stats.delay_seconds += waited
        stats.max_delay_seconds = max(stats.max_delay_seconds, waited)

    def release(self) -> None:
        """Give back the slot of a finished probe and admit the next waiter(s)."""
        stats = self.stats
        stats.in_flight -= 1
        stats.finished += 1
        now = time.monotonic()
        if now - self._sample_at >= 1.0:
            self._sample(now)
        self._wake()

    def _sample(self, now: float) -> None:
        cpu = time.process_time()
        probes = self.stats.finished - self._sample_finished
        if probes >= 32 and self._sample_at:
            measured = (cpu - self._sample_cpu) / probes
            old = self.stats.cpu_per_probe_seconds
            self.stats.cpu_per_probe_seconds = 0.5 * old + 0.5 * measured
            self._update_limit()
        self._sample_at, self._sample_cpu, self._sample_finished = now, cpu, self.stats.finished

    def _wake(self) -> None:
        stats = self.stats
        while self._waiters and stats.in_flight < stats.limit:
            waiter = self._waiters.popleft()
            if not waiter.done():
                stats.in_flight += 1
                waiter.set_result(None)

    def take_max_delay(self) -> float:
        """The longest wait for a slot (seconds) since the last call; resets it."""
        value, self.stats.max_delay_seconds = self.stats.max_delay_seconds, 0.0
        return value

    def _notify(self, overloaded: bool) -> None:
        for listener in self.listeners:
            listener(overloaded, self.stats)


def log_overload(overloaded: bool, stats: AdmissionStats) -> None:
    """The default listener: ``probe_overload`` at WARNING when probes start waiting for a
    slot (the engine is offered more than the core can run within the timeouts), and
    ``probe_overload_ended`` at INFO after QUIET_SECONDS without a delayed probe."""
    fields = {
        "in_flight": stats.in_flight,
        "limit": stats.limit,
        "waiting": stats.waiting,
        "cpu_per_probe_ms": round(stats.cpu_per_probe_seconds * 1000, 3),
        "delayed_total": stats.delayed,
        "delay_seconds_total": round(stats.delay_seconds, 3),
    }
    if overloaded:
        event(logging.WARNING, "probe_overload", **fields)
    else:
        event(logging.INFO, "probe_overload_ended", **fields)

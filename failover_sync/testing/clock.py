"""A scripted clock for schedule tests: an asyncio event loop whose time jumps.

:func:`run_virtual` runs a coroutine on a loop where ``loop.time()`` is virtual: whenever
every task waits on a timer, the clock jumps straight to the next timer instead of sleeping.
Schedules (probe intervals, rechecks, backoff, resyncs) then run in microseconds and their
timing is exact and repeatable, so a test can assert "the verdict flipped 0.2 s after the
outage" without measuring wall-clock time. Only code that waits on timers (no sockets) may
run on it.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class _JumpingSelector(selectors.DefaultSelector):
    """A selector that never blocks: a wait of ``timeout`` seconds advances the clock."""

    def __init__(self, loop: VirtualClockLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if not ready and timeout is not None and timeout > 0:
            self._loop.advance(timeout)
        return ready


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """An event loop whose ``time()`` starts at ``start`` seconds and jumps."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        super().__init__(_JumpingSelector(self))

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock ``seconds`` forward."""
        self._now += seconds


def run_virtual(coro: Coroutine[Any, Any, T], *, start: float = 1000.0) -> T:
    """Run ``coro`` to completion on a :class:`VirtualClockLoop`; return its result."""
    loop = VirtualClockLoop(start)
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()

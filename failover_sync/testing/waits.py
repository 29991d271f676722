"""Waiting on a condition with a deadline, never on a fixed sleep.

Both helpers poll ``check`` every ``poll_seconds`` and return the seconds it took to hold;
they raise AssertionError naming the deadline when it does not hold in time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


def wait_for(check: Callable[[], bool], timeout: float, *, poll_seconds: float = 0.01) -> float:
    """Block until ``check()`` is true; ``timeout`` in seconds. Raises AssertionError."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(poll_seconds)
    return time.monotonic() - started


async def await_for(
    check: Callable[[], bool],
    timeout: float,  # noqa: ASYNC109 - a deadline for polling, not for one await
    *,
    poll_seconds: float = 0.01,
) -> float:
    """Like :func:`wait_for`, on the running event loop."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(poll_seconds)
    return time.monotonic() - started

"""How transient provider errors are retried: tenacity, exponential backoff with full jitter,
never shorter than the provider's ``Retry-After``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

import tenacity

from failover_sync.errors import TransientProviderError

T = TypeVar("T")


class _WaitHonouringRetryAfter(tenacity.wait.wait_base):
    """Exponential backoff with full jitter (a random wait up to ``initial * 2**n``, as AWS's
    "Exponential Backoff And Jitter" recommends), never shorter than the provider's
    Retry-After."""

    def __init__(self, initial: float, maximum: float) -> None:
        self._base = tenacity.wait_random_exponential(multiplier=initial, max=maximum)

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        wait = float(self._base(retry_state))
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, TransientProviderError) and exc.retry_after is not None:
            wait = max(wait, exc.retry_after)
        return wait


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How transient provider errors are retried: at most ``attempts`` calls, waits growing
    exponentially from ``initial_seconds`` up to ``max_seconds`` with jitter, honouring
    ``retry_after``."""

    attempts: int = 4
    initial_seconds: float = 0.5
    max_seconds: float = 30.0

    def _worth_waiting_for(self, exc: BaseException) -> bool:
        """Transient errors are retried, unless the provider asks for a wait longer than
        ``max_seconds`` (a rate-limit lockout): then the zone waits for the next round
        instead of blocking its worker for minutes."""
        if not isinstance(exc, TransientProviderError):
            return False
        return exc.retry_after is None or exc.retry_after <= self.max_seconds

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Await ``fn()`` and retry it on TransientProviderError.

        Raises the last TransientProviderError when attempts run out or its ``retry_after``
        exceeds ``max_seconds``, and any other error at once.
        """
        retrying = tenacity.AsyncRetrying(
            retry=tenacity.retry_if_exception(self._worth_waiting_for),
            stop=tenacity.stop_after_attempt(self.attempts),
            wait=_WaitHonouringRetryAfter(self.initial_seconds, self.max_seconds),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await fn()
        raise AssertionError("unreachable: tenacity re-raises the last error")

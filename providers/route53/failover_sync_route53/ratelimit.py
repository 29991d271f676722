"""A client-side token bucket for the Route 53 request budget, shared per account.

AWS allows five Route 53 API requests per second per account, for all tools together, and
answers more with HTTP 400 ``Throttling`` (https://docs.aws.amazon.com/Route53/latest/
DeveloperGuide/DNSLimitations.html#limits-api-requests). The bucket holds ``rate`` tokens
(one second of budget), refills at ``rate`` tokens per second and is taken once per HTTP
request, botocore's own retries included: it is called from botocore's ``before-send`` event
in the worker thread that runs the boto3 call, so it blocks that thread, never the event loop.

A caller that finds the bucket empty reserves the next token (the level goes negative) and
sleeps until it is due, so waiting callers are served in arrival order without polling.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """``rate`` requests per second with a burst of ``max(1, rate)`` requests.

    ``clock`` returns monotonic seconds and ``sleep`` blocks for seconds (injectable for
    tests). Thread-safe.
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, not {rate}")
        self.rate = rate
        self.capacity = max(1.0, rate)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._level = self.capacity
        self._stamp = clock()
        self.acquired = 0
        self.waited_seconds = 0.0

    def reserve(self) -> float:
        """Take one token; return the seconds to wait before using it (0 when available)."""
        with self._lock:
            now = self._clock()
            self._level = min(self.capacity, self._level + (now - self._stamp) * self.rate)
            self._stamp = now
            self._level -= 1.0
            self.acquired += 1
            wait = 0.0 if self._level >= 0 else -self._level / self.rate
            self.waited_seconds += wait
            return wait

    def slow_down(self, rate: float) -> None:
        """Lower the rate to ``rate`` (another user of the account asked for less)."""
        with self._lock:
            self.rate = min(self.rate, rate)
            self.capacity = max(1.0, self.rate)
            self._level = min(self._level, self.capacity)

    def acquire(self) -> None:
        """Take one token, blocking the calling thread until it is due."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)


_registry: dict[str, TokenBucket] = {}
_registry_lock = threading.Lock()


def shared_bucket(account_key: str, rate: float) -> TokenBucket:
    """The process-wide bucket of ``account_key``; the lowest rate asked for wins."""
    with _registry_lock:
        bucket = _registry.get(account_key)
        if bucket is None:
            bucket = _registry[account_key] = TokenBucket(rate)
        elif rate < bucket.rate:
            bucket.slow_down(rate)
        return bucket

"""The client-side request budget of one API key: pacing that never runs the account dry.

DNS Made Easy allows 150 requests per scrolling five-minute window per API key, counts every
request, and answers HTTP 400 ``Rate limit exceeded`` with ``x-dnsme-requestsRemaining: 0``
past it; every answer carries ``x-dnsme-requestLimit`` and ``x-dnsme-requestsRemaining``
(API.md "Rate limit", 2+; DNS Made Easy API V2.0 documentation p. 7 and 9).

Two guards, both per key and shared by every zone and provider instance of the process:

- a :class:`failover_sync.TokenBucket` of ``burst`` requests refilled at
  ``(limit - reserve - burst) / 300`` per second, so that our own requests in any five
  minutes never exceed ``limit - reserve``;
- the server's own count: when an answer says that ``reserve`` or fewer requests are left
  (other clients of the key use it too), nothing more is sent until the oldest request we
  sent in the window has left it (or, if we sent none, for a whole window).

A call that would have to wait longer than ``max_wait_seconds`` is not sent:
:class:`BudgetExhausted` carries the wait, which becomes a transient error's ``retry_after``.
A refused call keeps the token it reserved, which errs on the side of the account.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import deque
from collections.abc import Callable, Mapping

from failover_sync import TokenBucket


class BudgetExhausted(Exception):
    """A call was not sent: the budget needs ``retry_after`` more seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def header_int(headers: Mapping[str, str], name: str) -> int | None:
    """The integer value of header ``name`` (case-insensitive for httpx.Headers), or None."""
    value = headers.get(name)
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


class RequestBudget:
    """The budget of one API key; ``clock`` is monotonic seconds (injectable for tests)."""

    def __init__(
        self,
        limit: int,
        *,
        reserve: int,
        burst: int,
        window: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self.reserve = reserve
        self.burst = burst
        self._clock = clock
        self._sent: deque[float] = deque()
        self.limit = limit
        self.bucket = self._bucket(limit)
        self.remaining: int | None = None
        """``x-dnsme-requestsRemaining`` of the last answer, if it had one."""

    def _bucket(self, limit: int) -> TokenBucket:
        usable = max(2, limit - self.reserve)
        burst = max(1, min(self.burst, usable - 1))
        return TokenBucket((usable - burst) / self.window, burst, clock=self._clock)

    @property
    def sent_in_window(self) -> int:
        """Requests we sent in the last ``window`` seconds."""
        self._expire(self._clock())
        return len(self._sent)

    def _expire(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - self.window:
            self._sent.popleft()

    def _window_wait(self) -> float:
        """Seconds until the server's count can drop: our oldest request leaves the window."""
        now = self._clock()
        self._expire(now)
        if not self._sent:
            return self.window
        return max(1.0, self._sent[0] + self.window - now)

    async def acquire(self, max_wait: float) -> None:
        """Wait for room for one request (at most ``max_wait`` seconds), then count it.

        Raises BudgetExhausted with the wait when it would be longer.
        """
        blocked = self.bucket.blocked_for()
        if blocked > max_wait:
            raise BudgetExhausted(
                f"request budget of the API key exhausted ({self.remaining} of {self.limit} "
                f"requests left, {self.reserve} kept in reserve); next request in "
                f"{blocked:.0f} s",
                blocked,
            )
        wait = self.bucket.reserve()
        if wait > max_wait:
            raise BudgetExhausted(
                f"client-side request budget ({self.limit - self.reserve} of {self.limit} "
                f"requests per {self.window:g} s) used up; next request in {wait:.1f} s",
                wait,
            )
        if wait > 0:
            await asyncio.sleep(wait)
        now = self._clock()
        self._expire(now)
        self._sent.append(now)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Take the server's count from an answer's ``x-dnsme-*`` headers."""
        limit = header_int(headers, "x-dnsme-requestLimit")
        if limit is not None and 0 < limit < self.limit:
            self.limit = limit
            self.bucket = self._bucket(limit)
        remaining = header_int(headers, "x-dnsme-requestsRemaining")
        if remaining is None:
            return
        self.remaining = remaining
        if remaining <= self.reserve:
            self.bucket.block(self._window_wait())

    def exhausted(self) -> float:
        """The server refused a request for the rate limit: block; return the wait."""
        self.remaining = 0
        wait = self._window_wait()
        self.bucket.block(wait)
        return wait


_BUDGETS: dict[str, RequestBudget] = {}


def budget_for(
    base_url: str, api_key: str, limit: int, *, reserve: int, burst: int
) -> RequestBudget:
    """The process-wide budget of ``api_key`` at ``base_url`` (keyed by a digest, never the
    key); the first caller's sizes win, a lower ``limit`` asked later lowers it."""
    digest = hashlib.sha256(f"{base_url}\0{api_key}".encode()).hexdigest()
    budget = _BUDGETS.get(digest)
    if budget is None:
        budget = _BUDGETS[digest] = RequestBudget(limit, reserve=reserve, burst=burst)
    elif limit < budget.limit:
        budget.limit = limit
        budget.bucket = budget._bucket(limit)
    return budget

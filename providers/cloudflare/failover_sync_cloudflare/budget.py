"""The client-side request budget: at most N HTTP requests per rolling 5 minutes per token.

Cloudflare allows 1,200 requests per 5 minutes per user; over it, every call answers HTTP 429
for the next 5 minutes (https://developers.cloudflare.com/fundamentals/api/reference/limits/).
The adapter therefore counts every HTTP request it sends (the SDK's own retries included: an
httpx request hook calls :meth:`RequestBudget.record`) and refuses to start a call that could
cross the budget, raising :class:`BudgetExhausted` with the seconds until it could go out. A
429 from the API blocks the whole token for its ``Retry-After``.

One budget exists per token (keyed by a SHA-256 digest, never the token), shared by every zone
and provider instance of the process that uses it.
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from collections.abc import Callable

from pydantic import SecretStr

WINDOW_SECONDS = 300.0
"""Cloudflare's rate-limit window."""


class BudgetExhausted(Exception):
    """A call was not sent: the budget (or a 429 block) needs ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RequestBudget:
    """A sliding window of request times (seconds of ``clock``, monotonic by default).

    ``limit`` requests at most in any ``window`` seconds; :meth:`check` with ``need`` asks for
    room for ``need`` more (a call plus the SDK's retries).
    """

    def __init__(
        self,
        limit: int,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sent: deque[float] = deque()
        self._blocked_until = 0.0

    def _expire(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - self.window:
            self._sent.popleft()

    @property
    def used(self) -> int:
        """Requests sent in the current window."""
        self._expire(self._clock())
        return len(self._sent)

    def record(self) -> None:
        """Count one request as sent now."""
        now = self._clock()
        self._expire(now)
        self._sent.append(now)

    def block_for(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (a 429's ``Retry-After``)."""
        self._blocked_until = max(self._blocked_until, self._clock() + max(0.0, seconds))

    def check(self, need: int = 1) -> None:
        """Raise BudgetExhausted unless ``need`` more requests fit in the window now."""
        now = self._clock()
        if now < self._blocked_until:
            wait = self._blocked_until - now
            raise BudgetExhausted(f"rate limited by Cloudflare for {wait:.1f} s more", wait)
        self._expire(now)
        need = max(1, min(need, self.limit))
        excess = len(self._sent) + need - self.limit
        if excess > 0:
            wait = self._sent[excess - 1] + self.window - now
            raise BudgetExhausted(
                f"request budget of {self.limit} per {self.window:g} s used up "
                f"({len(self._sent)} sent); next call possible in {wait:.1f} s",
                wait,
            )


_BUDGETS: dict[str, RequestBudget] = {}


def budget_for(token: SecretStr, limit: int) -> RequestBudget:
    """The process-wide budget of ``token``; the lowest ``limit`` asked for wins."""
    key = hashlib.sha256(token.get_secret_value().encode()).hexdigest()
    budget = _BUDGETS.get(key)
    if budget is None:
        budget = _BUDGETS[key] = RequestBudget(limit)
    budget.limit = min(budget.limit, limit)
    return budget

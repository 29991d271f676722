"""Every failure of the Edge DNS API -> the core's error classes, in one place.

Akamai answers errors as RFC 7807 Problem JSON (``application/problem+json`` with ``type``,
``title`` and optionally ``detail``, ``instance``, ``status``; ``schemas/problem.yaml`` of the
official API description and https://techdocs.akamai.com/edge-dns/reference/errors).

==========================================  ============================================
failure                                     core error
==========================================  ============================================
429 (``Retry-After`` honoured)              TransientProviderError(retry_after)
our request budget blocked after a 429      TransientProviderError(retry_after)
408, 5xx, timeouts, connection errors       TransientProviderError
409 on ``add-change`` or ``submit``,        StaleRRsetError (re-read, re-plan)
a problem whose title/detail says stale
401 (signature or credentials refused)      ProviderError: check the edgerc section/clock
403 (no grant on the zone)                  ProviderError: check the API client's grants
404 (no such zone)                          ProviderError: check the zone name and contract
other 4xx                                   ProviderError with the problem's title/detail
an answer that is not what the API          MalformedAnswer (permanent, never "no records")
documents
==========================================  ============================================

Messages carry the status, the operation and the problem's ``title``/``detail``; the three
credential values are scrubbed from any text that came from the server.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import httpx

from failover_sync import (
    MalformedAnswer,
    ProviderError,
    StaleRRsetError,
    TransientProviderError,
)

_MAX_TEXT = 300
STALE_OPERATIONS = frozenset({"add-change", "submit"})
"""Operations whose 409 means the zone or the record set changed under the change list."""
PERMISSIONS_HINT = (
    "check that the API client has the DNS zone record management grant (read-write) on the "
    "group/contract that holds the zone"
)
SIGNATURE_HINT = (
    "the EdgeGrid signature was refused: check client_token, client_secret and access_token "
    "of the edgerc section (or *_env variables) and the system clock"
)


@dataclass(frozen=True, slots=True)
class Problem:
    """The fields of an RFC 7807 body we report (empty when absent or unreadable)."""

    type: str = ""
    title: str = ""
    detail: str = ""

    @classmethod
    def parse(cls, body: bytes) -> Problem:
        """Read a problem body; anything else (HTML, empty) gives an empty Problem."""
        try:
            data = json.loads(body)
        except ValueError:
            return cls()
        if not isinstance(data, dict):
            return cls()
        fields = [data.get(k) for k in ("type", "title", "detail")]
        typed, title, detail = (str(v)[:_MAX_TEXT] if isinstance(v, str) else "" for v in fields)
        return cls(typed, title, detail)

    def describe(self) -> str:
        text = ": ".join(p for p in (self.title, self.detail) if p)
        return text or "no problem details"


class APIError(Exception):
    """A non-success HTTP answer: ``status``, the API ``operation`` (``submit``,
    ``list-recordsets``...), its :class:`Problem` and ``Retry-After`` in seconds."""

    def __init__(
        self, status: int, operation: str, problem: Problem, retry_after: float | None = None
    ) -> None:
        super().__init__(f"HTTP {status} on {operation}: {problem.describe()}")
        self.status = status
        self.operation = operation
        self.problem = problem
        self.retry_after = retry_after


class Throttled(Exception):
    """Our budget is blocked by an earlier 429: nothing was sent."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"Akamai API throttled (429): no request for {seconds:.1f} s")
        self.seconds = seconds


Failure = APIError | Throttled | httpx.HTTPError | MalformedAnswer
FAILURES = (APIError, Throttled, httpx.HTTPError, MalformedAnswer)
"""What :mod:`.api` lets through to the provider; :func:`classify` turns it into ours."""


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every credential value replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def classify(
    exc: Failure, *, provider: str, zone: str, secrets: Iterable[str] = ()
) -> ProviderError:
    """The core error for ``exc``, naming the zone and what to check."""
    hidden = tuple(secrets)
    if isinstance(exc, MalformedAnswer):
        return MalformedAnswer(
            scrub(f"Akamai API: malformed answer: {exc}", hidden), provider=provider, zone=zone
        )
    if isinstance(exc, Throttled):
        return TransientProviderError(
            str(exc), provider=provider, zone=zone, retry_after=exc.seconds
        )
    if isinstance(exc, httpx.HTTPError):
        kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
        return TransientProviderError(
            f"connection to the Akamai API {kind}: {type(exc).__name__}",
            provider=provider,
            zone=zone,
        )
    status = exc.status
    text = scrub(f"Akamai API HTTP {status} on {exc.operation}: {exc.problem.describe()}", hidden)
    said = f"{exc.problem.title} {exc.problem.detail}".lower()
    if status == 429:
        return TransientProviderError(
            text, provider=provider, zone=zone, retry_after=exc.retry_after
        )
    if status == 408 or status >= 500:
        return TransientProviderError(text, provider=provider, zone=zone)
    if (status == 409 and exc.operation in STALE_OPERATIONS) or "stale" in said:
        return StaleRRsetError(
            f"{text} (zone {zone} changed since it was read: re-reading)",
            provider=provider,
            zone=zone,
        )
    if status == 401:
        return ProviderError(f"{text}: {SIGNATURE_HINT}", provider=provider, zone=zone)
    if status == 403:
        return ProviderError(f"{text}: {PERMISSIONS_HINT}", provider=provider, zone=zone)
    if status == 404:
        return ProviderError(
            f"{text}: zone {zone} not found: check its name and that it is a PRIMARY zone the "
            "API client can see",
            provider=provider,
            zone=zone,
        )
    return ProviderError(text, provider=provider, zone=zone)


__all__ = ["FAILURES", "APIError", "Failure", "Problem", "Throttled", "classify", "scrub"]

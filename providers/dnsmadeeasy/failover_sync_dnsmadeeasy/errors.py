"""Every failure of a DNS Made Easy call becomes a core error here, and only here.

::

    DmeFailure (an HTTP error status; API.md "Errors")
    ├── 400 "Rate limit exceeded" or requestsRemaining 0   -> TransientProviderError(retry_after=
    │                                                         the wait for the window)
    ├── 400 "... already exists" / "Duplicate ..."         -> StaleRRsetError (a value appeared
    │                                                         since the read: re-read, re-plan)
    ├── 400 other (validation)                             -> ProviderError with the API's text
    ├── 401, 403 (keys, HMAC, clock skew >= 30 s)          -> ProviderError naming what to check
    ├── 404 on a lookup (no such domain)                   -> ProviderError
    ├── 404 on a record write (a record vanished)          -> StaleRRsetError
    ├── 408, 429, 5xx                                      -> TransientProviderError
    └── other                                              -> ProviderError
    BudgetExhausted (ours, nothing was sent)               -> TransientProviderError(retry_after)
    httpx.TransportError (connect, timeout, reset)         -> TransientProviderError
    MalformedAnswer (ours: not JSON, a wrong shape)        -> MalformedAnswer (permanent)

Error bodies are ``{"error": ["message", ...]}`` (2+); 404 and 500 bodies are HTML pages
(recorded) and are never shown. Messages name the domain and the record, and never a key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from failover_sync import MalformedAnswer, ProviderError, StaleRRsetError, TransientProviderError
from failover_sync_dnsmadeeasy.budget import BudgetExhausted, header_int

KEYS_HINT = (
    "check api_key_*/secret_key_* (sandbox keys differ from production: base_url) and the "
    "host's clock (DNS Made Easy refuses a request date 30 s or more off)"
)
RATE_LIMIT_TEXT = "rate limit exceeded"
DUPLICATE_TEXTS = ("already exists", "duplicate")
_MAX_DETAIL = 300


@dataclass(eq=False)
class DmeFailure(Exception):
    """An HTTP error status from the API: ``errors`` are the strings of its ``error`` array
    (empty for an HTML page), ``headers`` the answer's headers."""

    status: int
    errors: list[str]
    headers: Mapping[str, str]

    def __str__(self) -> str:
        return f"HTTP {self.status}: {describe(self.errors)}"


@dataclass(frozen=True, slots=True)
class Call:
    """What a request was for: ``what`` (``list records``), ``subject`` (``app.example.com.
    A``), ``domain`` (absolute) and whether it writes records (a 404 then means stale)."""

    what: str
    subject: str
    domain: str
    writes: bool = False

    def __str__(self) -> str:
        about = f" of {self.subject}" if self.subject else ""
        return f"DNS Made Easy {self.what}{about} in domain {self.domain}"


def error_strings(body: bytes) -> list[str]:
    """The ``error`` array of a JSON error body; ``[]`` for anything else (an HTML page)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return []
    items = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(items, str):
        return [items]
    if not isinstance(items, list):
        return []
    return [str(item) for item in items]


def describe(errors: list[str]) -> str:
    """The error strings joined for a message, at most a few hundred characters."""
    text = "; ".join(errors) or "no error details (not a JSON error body)"
    return text if len(text) <= _MAX_DETAIL else text[:_MAX_DETAIL] + "..."


def is_rate_limited(failure: DmeFailure) -> bool:
    """The 400 of the request limit: its text, or no requests remaining (API.md, 2+)."""
    if any(RATE_LIMIT_TEXT in e.lower() for e in failure.errors):
        return True
    return failure.status == 400 and header_int(failure.headers, "x-dnsme-requestsRemaining") == 0


def classify(exc: Exception, call: Call, *, provider: str, wait: float = 300.0) -> ProviderError:
    """The core error for ``exc`` raised by ``call``; ``wait`` is the budget's wait for the
    window, used when the API refused for the request limit."""
    where = str(call)
    zone = call.domain
    if isinstance(exc, MalformedAnswer):
        return MalformedAnswer(f"{where}: malformed answer: {exc}", provider=provider, zone=zone)
    if isinstance(exc, BudgetExhausted):
        return TransientProviderError(
            f"{where} not sent: {exc}", provider=provider, zone=zone, retry_after=exc.retry_after
        )
    if isinstance(exc, httpx.TransportError):
        kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "failed"
        return TransientProviderError(
            f"{where}: connection {kind} ({type(exc).__name__})", provider=provider, zone=zone
        )
    if not isinstance(exc, DmeFailure):
        return ProviderError(f"{where}: {type(exc).__name__}: {exc}", provider=provider, zone=zone)
    text = f"{where}: {exc}"
    if is_rate_limited(exc):
        return TransientProviderError(
            f"{text} (the API key's request limit; waiting {wait:.0f} s for the window)",
            provider=provider,
            zone=zone,
            retry_after=wait,
        )
    lowered = " ".join(exc.errors).lower()
    if exc.status == 400 and any(t in lowered for t in DUPLICATE_TEXTS):
        return StaleRRsetError(
            f"{text} (a value was added since it was read)", provider=provider, zone=zone
        )
    if exc.status in (401, 403):
        return ProviderError(f"{text}: {KEYS_HINT}", provider=provider, zone=zone)
    if exc.status == 404:
        if call.writes:
            return StaleRRsetError(
                f"{text} (a record was deleted since it was read)", provider=provider, zone=zone
            )
        return ProviderError(
            f"{text}: no such domain or record in the account of these keys (or set "
            "domain_id on the zone entry)",
            provider=provider,
            zone=zone,
        )
    if exc.status in (408, 429) or exc.status >= 500:
        return TransientProviderError(text, provider=provider, zone=zone)
    return ProviderError(text, provider=provider, zone=zone)

"""Every SDK error becomes a core error here, and only here.

::

    cloudflare.APIError
    ├── APIConnectionError (APITimeoutError)   -> TransientProviderError
    ├── APIStatusError
    │   ├── 429 RateLimitError                 -> TransientProviderError(retry_after=Retry-After)
    │   ├── 408, 409, 5xx                      -> TransientProviderError
    │   ├── 404 with code 81044                -> StaleRRsetError (a record vanished
    │   │                                         since it was read: re-read and re-plan)
    │   ├── 401, 403                           -> ProviderError (token scope), Cloudflare's text
    │   └── other 4xx (81053, 81057, 81058...) -> ProviderError with Cloudflare's codes and text
    └── APIResponseValidationError             -> ProviderError
    BudgetExhausted (ours, nothing was sent)   -> TransientProviderError(retry_after=wait)
    MalformedAnswer (ours: a 2xx answer that   -> failover_sync.MalformedAnswer (permanent)
      is not JSON, a field missing or of the
      wrong type, or an answer larger than
      max_answer_bytes: see .bounded)

An HTML error page with a 5xx status is an APIStatusError like any 5xx (transient); with 200 it
is a MalformedAnswer: the SDK does not validate answers (``_strict_response_validation`` off),
so :mod:`.api` checks what it reads and turns :data:`MALFORMED` into MalformedAnswer.

The SDK has already retried 408/409/429/5xx and connection errors ``max_retries`` times
before one of these reaches us. Messages carry Cloudflare's error codes and messages, never
a header or the token. Sources: https://developers.cloudflare.com/fundamentals/api/
troubleshooting/ and the SDK's ``cloudflare/_exceptions.py``.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

import cloudflare
import httpx

from failover_sync import MalformedAnswer as CoreMalformedAnswer
from failover_sync import ProviderError, StaleRRsetError, TransientProviderError
from failover_sync_cloudflare.budget import BudgetExhausted

PERMISSIONS_HINT = (
    "the API token needs Zone > DNS > Edit on this zone and Zone > Zone > Read "
    "(see the README of failover-sync-cloudflare)"
)
MALFORMED: tuple[type[Exception], ...] = (ValueError, TypeError, KeyError, AttributeError)
"""What the SDK and :mod:`.api` raise on an answer that is not what the API documents
(``json.JSONDecodeError`` and pydantic's ValidationError are ValueErrors)."""
_MAX_DETAIL = 200


class MalformedAnswer(Exception):
    """A Cloudflare answer that could not be read (raised by :mod:`.api` from MALFORMED)."""

    @classmethod
    def of(cls, call: str, exc: Exception) -> MalformedAnswer:
        detail = str(exc).split("\n", 1)[0][:_MAX_DETAIL]
        return cls(f"{call}: {type(exc).__name__}: {detail}")


STALE_RECORD_CODES = frozenset({81044})
"""``Record does not exist.``: the record was deleted since it was read."""


def retry_after(headers: httpx.Headers) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), or None."""
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            return None
        return max(0.0, email.utils.mktime_tz(parsed) - time.time())


def api_errors(body: object) -> list[tuple[int, str]]:
    """``(code, message)`` of every error of a Cloudflare envelope, chains flattened."""
    out: list[tuple[int, str]] = []

    def walk(items: Any) -> None:
        if not isinstance(items, list):
            return
        for item in items:
            if isinstance(item, dict):
                code = item.get("code")
                out.append((code if isinstance(code, int) else 0, str(item.get("message", ""))))
                walk(item.get("error_chain"))

    if isinstance(body, dict):
        walk(body.get("errors"))
    return out


def _describe(errors: list[tuple[int, str]]) -> str:
    return "; ".join(f"{code}: {message}" for code, message in errors) or "no error details"


def classify(exc: Exception, *, provider: str, zone: str) -> ProviderError:
    """The core error for ``exc`` (an SDK error, BudgetExhausted or MalformedAnswer)."""
    if isinstance(exc, MalformedAnswer):
        return CoreMalformedAnswer(
            f"Cloudflare API: malformed answer to {exc}", provider=provider, zone=zone
        )
    if isinstance(exc, BudgetExhausted):
        return TransientProviderError(
            str(exc), provider=provider, zone=zone, retry_after=exc.retry_after
        )
    if isinstance(exc, cloudflare.APIConnectionError):
        kind = "timed out" if isinstance(exc, cloudflare.APITimeoutError) else "failed"
        return TransientProviderError(
            f"connection to the Cloudflare API {kind}: {exc.message}",
            provider=provider,
            zone=zone,
        )
    if isinstance(exc, cloudflare.APIStatusError):
        status = exc.status_code
        errors = api_errors(exc.body)
        text = f"Cloudflare API HTTP {status}: {_describe(errors)}"
        if status == 429:
            return TransientProviderError(
                text, provider=provider, zone=zone, retry_after=retry_after(exc.response.headers)
            )
        if status in (408, 409) or status >= 500:
            return TransientProviderError(text, provider=provider, zone=zone)
        if STALE_RECORD_CODES & {code for code, _ in errors}:
            return StaleRRsetError(
                f"{text} (changed since it was read)", provider=provider, zone=zone
            )
        if status in (401, 403):
            return ProviderError(f"{text}: {PERMISSIONS_HINT}", provider=provider, zone=zone)
        return ProviderError(text, provider=provider, zone=zone)
    if isinstance(exc, cloudflare.APIError):
        return ProviderError(f"Cloudflare API: {exc.message}", provider=provider, zone=zone)
    return ProviderError(f"Cloudflare adapter: {exc}", provider=provider, zone=zone)

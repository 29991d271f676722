"""The one place where HTTP outcomes become provider errors.

=====================================  ==========================================
outcome                                error
=====================================  ==========================================
connection refused/reset, timeouts     TransientProviderError
HTTP 429, 5xx                          TransientProviderError (``Retry-After`` kept)
TLS certificate rejected               ProviderError (retrying cannot fix it)
HTTP 401/403                           ProviderError: the API key is wrong
HTTP 404                               ProviderError: no such zone or server id
HTTP 422 and every other status        ProviderError with the server's message
=====================================  ==========================================

Messages carry the method, the path and the server's own ``error`` text; never a header, so
never the API key.
"""

from __future__ import annotations

import email.utils
import json
import ssl
import time

import httpx

from failover_sync import ProviderError, TransientProviderError

MESSAGE_LIMIT = 300
"""Characters of a server's error text kept in a message."""


def classify(
    outcome: httpx.HTTPError | httpx.Response, *, provider: str = "", zone: str = ""
) -> ProviderError:
    """The provider error for a failed request: an httpx exception, or a response whose
    status is not 2xx. See the module docstring for the table."""
    if isinstance(outcome, httpx.Response):
        return _from_response(outcome, provider=provider, zone=zone)
    what = _request_line(outcome)
    if isinstance(outcome, httpx.ConnectError) and _tls_rejected(outcome):
        return ProviderError(
            f"{what}: TLS certificate rejected ({outcome}); fix the certificate or set "
            "verify_tls: false",
            provider=provider,
            zone=zone,
        )
    if isinstance(outcome, httpx.TimeoutException):
        return TransientProviderError(
            f"{what}: timeout ({type(outcome).__name__})", provider=provider, zone=zone
        )
    if isinstance(outcome, httpx.TransportError) and not isinstance(
        outcome, httpx.UnsupportedProtocol | httpx.LocalProtocolError
    ):
        reason = str(outcome) or type(outcome).__name__
        return TransientProviderError(f"{what}: {reason}", provider=provider, zone=zone)
    return ProviderError(f"{what}: {outcome}", provider=provider, zone=zone)


def _from_response(response: httpx.Response, *, provider: str, zone: str) -> ProviderError:
    status = response.status_code
    what = f"PowerDNS {response.request.method} {response.request.url.path}"
    message = f"{what}: HTTP {status}: {server_message(response)}"
    if status == 429 or status >= 500:
        return TransientProviderError(
            message, provider=provider, zone=zone, retry_after=retry_after(response)
        )
    if status in (401, 403):
        message += " (the API key is wrong or the webserver does not allow this address)"
    elif status == 404:
        message += " (no such zone or server_id)"
    return ProviderError(message, provider=provider, zone=zone)


def server_message(response: httpx.Response) -> str:
    """The server's own error text: the ``error`` field of PowerDNS's JSON error body, else
    the start of the body, else the reason phrase."""
    try:
        data = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        data = None
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        text = data["error"]
    else:
        text = response.content[:MESSAGE_LIMIT].decode("utf-8", "replace")
    text = " ".join(text.split())[:MESSAGE_LIMIT]
    return text or response.reason_phrase or "no message"


def retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds from now (delta-seconds or HTTP-date, RFC 9110 section
    10.2.3), or None when absent or unparsable."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _request_line(exc: httpx.HTTPError) -> str:
    try:
        request = exc.request
    except RuntimeError:  # httpx raises when the error was made without a request
        return "PowerDNS request"
    return f"PowerDNS {request.method} {request.url.path}"


def _tls_rejected(exc: BaseException) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        cause = cause.__cause__ or cause.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)

"""The one place where boto3/botocore errors become failover-sync provider errors.

::

    botocore ClientError, code in TRANSIENT_CODES or HTTP status >= 500  -> TransientProviderError
    botocore connection errors / timeouts (EndpointConnectionError,
        ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)   -> TransientProviderError
    InvalidChangeBatch "... but it already exists" (a CREATE of an RRset
        read as absent that someone created meanwhile)                     -> StaleRRsetError
    any other ClientError (InvalidChangeBatch, NoSuchHostedZone,
        AccessDenied, InvalidInput, ...)                                 -> ProviderError
    credentials / parameter errors (NoCredentialsError, ProfileNotFound,
        ParamValidationError, ...)                                       -> ProviderError
    a malformed answer: botocore's ResponseParserError (truncated XML, an
        HTML page), KeyError/TypeError/ValueError/AttributeError while
        reading a parsed answer (a field missing or of the wrong type)   -> ProviderError

Messages carry AWS's error code and message (``InvalidChangeBatch: [RRSet with DNS name ...
is not permitted in zone ...]``), never credentials. ``retry_after`` is taken from a
``Retry-After`` header when AWS (or a proxy) sends one. An HTML error page with a 5xx status
arrives as a ClientError whose code is the status (botocore's fallback), hence transient.

Sources: Route 53 API reference, "Common Errors" and ChangeResourceRecordSets "Errors"
(https://docs.aws.amazon.com/Route53/latest/APIReference/CommonErrors.html,
https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore import exceptions as bce  # type: ignore[import-untyped, unused-ignore]
from botocore.parsers import ResponseParserError  # type: ignore[import-untyped, unused-ignore]

from failover_sync import MalformedAnswer, ProviderError, StaleRRsetError, TransientProviderError

TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "PriorRequestNotComplete",
        "ServiceUnavailable",
        "InternalError",
        "InternalFailure",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
"""AWS error codes worth retrying: throttling (5 requests/s per account), a change to a zone
that is still being applied (``PriorRequestNotComplete``), and server-side failures."""

_HINTS = {
    "AccessDenied": " (see the least-privilege IAM policy in the failover-sync-route53 README)",
    "AccessDeniedException": " (see the least-privilege IAM policy in the README)",
    "NoSuchHostedZone": " (check hosted_zone_id, the account and the credentials in use)",
}

_TRANSIENT_BOTOCORE = (
    bce.EndpointConnectionError,
    bce.ConnectionClosedError,
    bce.ConnectTimeoutError,
    bce.ReadTimeoutError,
    bce.ConnectionError,
    bce.HTTPClientError,
)

MALFORMED: tuple[type[Exception], ...] = (
    ResponseParserError,
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
)
"""Errors of an answer that is not what the API documents: botocore could not parse it, or a
field the adapter reads is missing or of the wrong type. Not a BotoCoreError: callers catch
these next to botocore's own."""
CLASSIFIED: tuple[type[Exception], ...] = (bce.BotoCoreError, bce.ClientError, *MALFORMED)
"""Everything a boto3 call and the reading of its answer may raise; :func:`classify` turns
each into a ProviderError."""
_MAX_DETAIL = 200


def _retry_after(response: Mapping[str, Any]) -> float | None:
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    raw = headers.get("retry-after")
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:  # an HTTP date: let the backoff decide
        return None


def classify(exc: Exception, *, operation: str, provider: str, zone: str) -> ProviderError:
    """Turn an error raised by a boto3 call ``operation`` into a ProviderError.

    Returns (never raises) a TransientProviderError for throttling, ``PriorRequestNotComplete``,
    5xx and connection failures, a permanent ProviderError for everything else.
    """
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, bce.ClientError):
        response: Mapping[str, Any] = exc.response
        error = response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        message = str(error.get("Message", "")).strip() or "no message"
        status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        text = f"Route 53 {operation}: {code}: {message}"
        if code == "InvalidChangeBatch" and "already exists" in message:
            return StaleRRsetError(
                f"{text} (an RRset read as absent was created by someone else since; "
                "nothing of the batch was written)",
                provider=provider,
                zone=zone,
            )
        if code in TRANSIENT_CODES or status >= 500:
            return TransientProviderError(
                f"{text} (HTTP {status})",
                provider=provider,
                zone=zone,
                retry_after=_retry_after(response),
            )
        return ProviderError(text + _HINTS.get(code, ""), provider=provider, zone=zone)
    if isinstance(exc, _TRANSIENT_BOTOCORE):
        return TransientProviderError(
            f"Route 53 {operation}: {type(exc).__name__}: {exc}", provider=provider, zone=zone
        )
    if isinstance(exc, MALFORMED):
        detail = str(exc).split("\n", 1)[0][:_MAX_DETAIL]
        return MalformedAnswer(
            f"Route 53 {operation}: malformed answer: {type(exc).__name__}: {detail}",
            provider=provider,
            zone=zone,
        )
    if isinstance(exc, bce.NoCredentialsError | bce.PartialCredentialsError):
        return ProviderError(
            f"Route 53 {operation}: no AWS credentials found (environment, profile, ECS task "
            "role, IRSA or instance profile)",
            provider=provider,
            zone=zone,
        )
    return ProviderError(
        f"Route 53 {operation}: {type(exc).__name__}: {exc}", provider=provider, zone=zone
    )

"""The one place where boto3/botocore errors become failover-sync provider errors.

::

    botocore ClientError, code in TRANSIENT_CODES or HTTP status >= 500  -> TransientProviderError
    botocore connection errors / timeouts (EndpointConnectionError,
        ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError)   -> TransientProviderError
    any other ClientError (InvalidChangeBatch, NoSuchHostedZone,
        AccessDenied, InvalidInput, ...)                                 -> ProviderError
    credentials / parameter errors (NoCredentialsError, ProfileNotFound,
        ParamValidationError, ...)                                       -> ProviderError

Messages carry AWS's error code and message (``InvalidChangeBatch: [RRSet with DNS name ...
is not permitted in zone ...]``), never credentials. ``retry_after`` is taken from a
``Retry-After`` header when AWS (or a proxy) sends one.

Sources: Route 53 API reference, "Common Errors" and ChangeResourceRecordSets "Errors"
(https://docs.aws.amazon.com/Route53/latest/APIReference/CommonErrors.html,
https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore import exceptions as bce  # type: ignore[import-untyped, unused-ignore]

from failover_sync import ProviderError, TransientProviderError

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

"""Every azure-core / azure-identity error becomes a core error here, and only here.

::

    our MalformedAnswer (records.py, paging)     -> MalformedAnswer (permanent)
    DecodeError (a 2xx body that is not JSON),
      DeserializationError (wrong shapes)        -> MalformedAnswer (permanent)
    Throttled (ours: the client-side budget;
      nothing was sent)                          -> TransientProviderError(retry_after=wait)
    HttpResponseError by status:
      412 PreconditionFailed                     -> StaleRRsetError: If-Match / If-None-Match
                                                    refused, nothing written; re-read, re-plan
      429                                        -> TransientProviderError(retry_after=Retry-After)
      408, 409, 5xx                              -> TransientProviderError
      401                                        -> ProviderError: the credential
      403                                        -> ProviderError: the role assignment
      404                                        -> ProviderError: subscription / group / zone
      other 4xx                                  -> ProviderError with ARM's code and message
    ServiceRequestError, ServiceResponseError
      (connection failures, timeouts)            -> TransientProviderError
    ClientAuthenticationError without a response
      (no credential in the DefaultAzureCredential
      chain could get a token)                   -> ProviderError
    any other AzureError                         -> ProviderError

Sources: azure-core's ``azure/core/exceptions.py``; ARM's error format
(https://learn.microsoft.com/azure/azure-resource-manager/troubleshooting/common-deployment-
errors); ``If-Match``/412 on record sets (https://learn.microsoft.com/azure/dns/
dns-zones-records#etags). Messages carry ARM's code and message, never a header or a token.
"""

from __future__ import annotations

from collections.abc import Mapping

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    DecodeError,
    DeserializationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

from failover_sync import (
    MalformedAnswer,
    ProviderError,
    StaleRRsetError,
    TransientProviderError,
    retry_after_from,
)

_MAX_DETAIL = 300
ROLE_HINT = (
    "the principal needs Microsoft.Network/dnsZones/<TYPE>/read and write on these record "
    "sets and their _failover-sync TXT marker (see 'Least privilege' in the README of "
    "failover-sync-azure)"
)
CREDENTIAL_HINT = (
    "check the credential: DefaultAzureCredential tries AZURE_CLIENT_ID/AZURE_TENANT_ID with "
    "a secret, certificate or AZURE_FEDERATED_TOKEN_FILE, then workload identity, managed "
    "identity, then 'az login'; or the token that access_token_env / access_token_file names"
)


class Throttled(Exception):
    """A call was not sent: the client-side budget needs ``retry_after`` more seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


CAUGHT: tuple[type[Exception], ...] = (AzureError, DeserializationError, Throttled, MalformedAnswer)
"""What a call of :mod:`.client` and the reading of its answer may raise: the SDK's errors
and ours; :func:`classify` turns each into a core error."""


def response_headers(exc: HttpResponseError) -> Mapping[str, str]:
    """The headers of the answer that ``exc`` reports (empty without one)."""
    headers: Mapping[str, str] = getattr(exc.response, "headers", None) or {}
    return headers


def _detail(exc: HttpResponseError) -> str:
    error = exc.error
    if error is not None and (error.code or error.message):
        text = f"{error.code or 'no code'}: {error.message or ''}".strip()
    else:
        text = exc.reason or "no error details"
    return text.replace("\n", " ")[:_MAX_DETAIL]


def classify(exc: Exception, *, provider: str, zone: str, what: str) -> ProviderError:
    """The core error for ``exc`` raised while doing ``what`` ("PUT A app") in ``zone``."""
    where = f"Azure DNS zone {zone.rstrip('.')}: {what}"
    if isinstance(exc, MalformedAnswer) and not exc.provider:  # ours, from records/client
        return MalformedAnswer(f"{where}: malformed answer: {exc}", provider=provider, zone=zone)
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, Throttled):
        return TransientProviderError(
            f"{where}: {exc}", provider=provider, zone=zone, retry_after=exc.retry_after
        )
    if isinstance(exc, DecodeError | DeserializationError):
        first = str(exc).split("\n", 1)[0][:_MAX_DETAIL]
        return MalformedAnswer(
            f"{where}: malformed answer ({type(exc).__name__}: {first})",
            provider=provider,
            zone=zone,
        )
    if isinstance(exc, HttpResponseError) and exc.status_code is not None:
        return _by_status(exc, exc.status_code, where, provider=provider, zone=zone)
    if isinstance(exc, ServiceRequestError | ServiceResponseError):
        return TransientProviderError(
            f"{where}: connection to ARM failed: {type(exc).__name__}: "
            f"{str(exc.message)[:_MAX_DETAIL]}",
            provider=provider,
            zone=zone,
        )
    if isinstance(exc, ClientAuthenticationError):
        return ProviderError(
            f"{where}: no token for ARM ({str(exc.message).splitlines()[0][:_MAX_DETAIL]}): "
            f"{CREDENTIAL_HINT}",
            provider=provider,
            zone=zone,
        )
    message = exc.message if isinstance(exc, AzureError) else str(exc)
    return ProviderError(
        f"{where}: {type(exc).__name__}: {str(message)[:_MAX_DETAIL]}",
        provider=provider,
        zone=zone,
    )


def _by_status(
    exc: HttpResponseError, status: int, where: str, *, provider: str, zone: str
) -> ProviderError:
    text = f"{where}: HTTP {status} {_detail(exc)}"
    headers = response_headers(exc)
    if status == 412:
        return StaleRRsetError(
            f"{text} (the record set changed since it was read; nothing was written)",
            provider=provider,
            zone=zone,
        )
    if status == 429 or status == 408 or status == 409 or status >= 500:
        return TransientProviderError(
            text, provider=provider, zone=zone, retry_after=retry_after_from(headers)
        )
    if status == 401:
        return ProviderError(f"{text}: {CREDENTIAL_HINT}", provider=provider, zone=zone)
    if status == 403:
        return ProviderError(f"{text}: {ROLE_HINT}", provider=provider, zone=zone)
    if status == 404:
        return ProviderError(
            f"{text}: check subscription_id, resource_group and the zone name (the zone must "
            "exist in that resource group; the adapter never creates zones)",
            provider=provider,
            zone=zone,
        )
    return ProviderError(text, provider=provider, zone=zone)

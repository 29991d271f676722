"""Options of ``type: azure`` and of its zone entries, and the credential they select.

Credentials are never in the config file. By default the adapter uses azure-identity's
``DefaultAzureCredential`` (environment, workload identity, managed identity, Azure CLI, in
that order; https://learn.microsoft.com/python/api/azure-identity/azure.identity.aio.
defaultazurecredential). ``access_token_env`` / ``access_token_file`` instead name a bearer
token that another tool fetched (``az account get-access-token``, a sidecar); it is held only
inside :class:`StaticTokenCredential` (hidden from ``repr``) and never logged, rendered or put
into an error.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Literal

from azure.core.credentials import AccessToken
from pydantic import Field, model_validator

from failover_sync import ProviderOptions

ARM_ENDPOINT = "https://management.azure.com"
"""Azure Resource Manager of the public cloud (the SDK's default ``base_url``)."""
SUBSCRIPTION_ID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
"""A subscription id is a GUID."""
RESOURCE_GROUP = r"^[-\w._()]{1,90}$"
"""Resource group names: 1-90 letters, digits, ``-_.()`` (ARM naming rules)."""


class AzureOptions(ProviderOptions):
    """Options of ``type: azure``. ``subscription_id`` and ``resource_group`` may instead be
    given on every zone entry (a zone entry's value wins).

    Rate defaults are ARM's token-bucket limits per subscription and principal
    (https://learn.microsoft.com/azure/azure-resource-manager/management/
    request-limits-and-throttling): reads refill 25/s with a bucket of 250, writes 10/s with
    a bucket of 200.
    """

    subscription_id: str | None = Field(default=None, pattern=SUBSCRIPTION_ID)
    """Subscription (GUID) holding the zones."""
    resource_group: str | None = Field(default=None, pattern=RESOURCE_GROUP)
    """Resource group holding the zones."""
    base_url: str = Field(default=ARM_ENDPOINT, pattern=r"^https://")
    """ARM endpoint (sovereign clouds, or a stand-in on loopback in tests). HTTPS only: the
    SDK refuses to send a bearer token over plain HTTP."""
    ca_file: Path | None = None
    """PEM bundle to trust for ``base_url`` instead of the system's (a TLS-inspecting proxy,
    a test CA), relative to the config file's folder."""
    managed_identity_client_id: str | None = None
    """Client id of the user-assigned managed identity DefaultAzureCredential should use
    (default: ``AZURE_CLIENT_ID`` or the system-assigned identity)."""
    access_token_env: str | None = None
    """Environment variable holding a bearer token for ARM, used instead of
    DefaultAzureCredential (it is not refreshed: for short runs)."""
    access_token_file: Path | None = None
    """File holding such a token (a mounted secret), relative to the config file's folder."""
    read: Literal["by_type", "all", "get"] = "by_type"
    """``by_type``: one ``list_by_type`` per record type asked for (every page); ``all``: one
    ``list_all_by_dns_zone`` for every type (fewer calls in a small zone); ``get``: one GET
    per managed record set, the only reads that record-set-scoped role assignments allow
    (listing needs read on the zone)."""
    page_size: int | None = Field(default=None, ge=1, le=1000)
    """``$top`` of list calls (default: the API's page size, 100)."""
    max_pages: int = Field(default=1000, ge=1, le=100_000)
    """A listing with more pages is a malformed answer (a ``nextLink`` loop)."""
    max_concurrency: int = Field(default=4, ge=1, le=32)
    """Record-set writes of one zone in flight at once."""
    reads_per_second: float = Field(default=25.0, gt=0, le=1000)
    """Client-side budget of read calls per second, per subscription and principal (ARM
    refills its read bucket at 25/s)."""
    read_burst: int = Field(default=250, ge=1, le=10_000)
    """Reads allowed in a burst (ARM's read bucket holds 250)."""
    writes_per_second: float = Field(default=10.0, gt=0, le=1000)
    """Client-side budget of writes per second (ARM refills its write bucket at 10/s)."""
    write_burst: int = Field(default=200, ge=1, le=10_000)
    """Writes allowed in a burst (ARM's write bucket holds 200)."""
    max_wait_seconds: float = Field(default=10.0, ge=0, le=300)
    """Longest wait for the client-side budget before a call becomes a transient error."""
    sdk_retries: int = Field(default=0, ge=0, le=3)
    """``retry_total`` of azure-core's RetryPolicy (its default is 10). The core's retry
    policy already repeats the whole read-plan-apply attempt; keep this at 0 so retries do
    not multiply."""
    timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    """Connection and read timeout of one HTTP request, in seconds."""

    @model_validator(mode="after")
    def _one_token_source(self) -> AzureOptions:
        if self.access_token_env is not None and self.access_token_file is not None:
            raise ValueError("give access_token_env or access_token_file, not both")
        return self


class AzureZoneOptions(ProviderOptions):
    """Keys of a zone entry served by Azure DNS (each overrides the provider's option)."""

    subscription_id: str | None = Field(default=None, pattern=SUBSCRIPTION_ID)
    resource_group: str | None = Field(default=None, pattern=RESOURCE_GROUP)


class StaticTokenCredential:
    """An ``AsyncTokenCredential`` that always returns one bearer token.

    ``token`` is the secret (never shown by ``repr``); ``lifetime`` is the seconds reported
    as its remaining validity on each call, since a token fetched elsewhere does not say.
    """

    def __init__(self, token: str, *, lifetime: int = 3600) -> None:
        self._token = token
        self._lifetime = lifetime

    def __repr__(self) -> str:
        return "StaticTokenCredential(<hidden>)"

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """The token, valid for ``lifetime`` more seconds as far as azure-core knows."""
        return AccessToken(self._token, int(time.time()) + self._lifetime)

    async def close(self) -> None:
        """Nothing to release."""

    async def __aenter__(self) -> StaticTokenCredential:
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.close()

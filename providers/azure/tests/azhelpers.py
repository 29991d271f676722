"""Helpers shared by the Azure tests and bench: names, a static test credential, configs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from azure.core.credentials import AccessToken
from failover_sync_azure import AzureProvider

SUBSCRIPTION = "00000000-0000-4000-8000-000000000001"
GROUP = "dns-rg"
ZONE = "example.test"
ProviderFactory = Callable[..., AzureProvider]
"""``provider_factory(**options)`` of conftest: an AzureProvider on the fake."""


class TestCredential:
    """A static ``AsyncTokenCredential`` for tests: ``get_token`` returns ``token`` and
    counts calls in ``requests``; nothing is fetched from anywhere."""

    __test__ = False  # not a pytest test class

    def __init__(self, token: str) -> None:
        self.token = token
        self.requests = 0

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.requests += 1
        return AccessToken(self.token, int(time.time()) + 3600)

    async def close(self) -> None:
        pass

    async def __aenter__(self) -> TestCredential:
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.close()


def config_yaml(base_url: str, ca_file: str, records: dict[str, tuple[str, str]]) -> str:
    """A config with provider ``az`` on the fake (token from ``AZURE_TEST_TOKEN``), zone
    example.test and one failover A record per label of ``records`` over its two values
    (primary first)."""
    text = "".join(
        f"  {label}.{ZONE}:\n    type: A\n    policy: failover\n"
        f"    records: [{{value: {primary}}}, {{value: {secondary}}}]\n"
        for label, (primary, secondary) in records.items()
    )
    return f"""
providers:
  az:
    type: azure
    subscription_id: "{SUBSCRIPTION}"
    resource_group: {GROUP}
    base_url: "{base_url}"
    ca_file: "{ca_file}"
    access_token_env: AZURE_TEST_TOKEN
zones:
  - {{name: {ZONE}, provider: az}}
resync_seconds: 60
defaults:
  ttl: 60
  health_check: {{protocol: HTTP, port: 9, path: /healthz, interval_seconds: 30,
                 failure_threshold: 2, success_threshold: 1, request_timeout_seconds: 0.5}}
records:
{text}"""

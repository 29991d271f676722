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

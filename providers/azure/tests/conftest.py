"""Fixtures: a fresh Azure DNS fake per test (TLS, trusted through its CA file), a bearer
token it accepts, a zone, and a provider factory with a static test credential."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from failover_sync_azure import AzureOptions, AzureProvider

from failover_sync.model import Zone
from providers.azure.tests.azfake import AzureDnsFake, FakeZone
from providers.azure.tests.azhelpers import (
    GROUP,
    SUBSCRIPTION,
    ZONE,
    ProviderFactory,
    TestCredential,
)


@pytest.fixture
def fake() -> Iterator[AzureDnsFake]:
    with AzureDnsFake() as server:
        yield server
        assert server.violations == [], "requests or answers broke the Swagger document"


@pytest.fixture
def token(fake: AzureDnsFake) -> str:
    value = secrets.token_urlsafe(24)
    fake.tokens.add(value)
    return value


@pytest.fixture
def fake_zone(fake: AzureDnsFake) -> FakeZone:
    return fake.add_zone(SUBSCRIPTION, GROUP, ZONE)


@pytest.fixture
def provider_factory(fake: AzureDnsFake, token: str, tmp_path: Path) -> ProviderFactory:
    """``provider_factory(**options)``: an AzureProvider on the fake with a static test
    credential (nothing leaves loopback), its own rate buckets (a fresh subscription
    principal per test would share them otherwise)."""
    principal = secrets.token_hex(4)

    def build(**options: Any) -> AzureProvider:
        merged: dict[str, Any] = {
            "subscription_id": SUBSCRIPTION,
            "resource_group": GROUP,
            "base_url": fake.base_url,
            "ca_file": fake.ca_path,
            "managed_identity_client_id": principal,
            **options,
        }
        return AzureProvider(
            "az", AzureOptions(**merged), config_dir=tmp_path, credential=TestCredential(token)
        )

    return build


@pytest.fixture
def zone(fake_zone: FakeZone) -> Zone:
    return Zone(f"{ZONE}.", "az", {})

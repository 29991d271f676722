"""Fixtures: a fresh Cloudflare fake per test, a token for it, a zone, a provider factory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from failover_sync_cloudflare import CloudflareOptions, CloudflareProvider

from failover_sync.model import Zone
from providers.cloudflare.tests.cffake import CloudflareFake
from providers.cloudflare.tests.cfhelpers import ProviderFactory

ZONE = "example.test"


@pytest.fixture
def fake() -> Iterator[CloudflareFake]:
    with CloudflareFake() as server:
        yield server


@pytest.fixture
def token(fake: CloudflareFake) -> str:
    """A token allowed on every zone of the fake (fresh per test: budgets are per token)."""
    return fake.add_token()


@pytest.fixture
def zone_id(fake: CloudflareFake) -> str:
    return fake.add_zone(ZONE, enterprise=True)


@pytest.fixture
def token_file(tmp_path: Path, token: str) -> Path:
    path = tmp_path / "cloudflare-token"
    path.write_text(token + "\n")
    return path


@pytest.fixture
def provider_factory(fake: CloudflareFake, token_file: Path, tmp_path: Path) -> ProviderFactory:
    """``provider_factory(**options)``: a CloudflareProvider on the fake (no SDK retries
    unless asked: tests count requests)."""

    def build(**options: Any) -> CloudflareProvider:
        merged: dict[str, Any] = {
            "base_url": fake.base_url,
            "api_token_file": token_file,
            "max_retries": 0,
            "min_ttl": 30,
            **options,
        }
        return CloudflareProvider("cf", CloudflareOptions(**merged), config_dir=tmp_path)

    return build


@pytest.fixture
def zone(zone_id: str) -> Zone:
    return Zone(f"{ZONE}.", "cf", {"zone_id": zone_id})

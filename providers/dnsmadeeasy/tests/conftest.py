"""Fixtures: a fresh DNS Made Easy fake per test, an account (keys in files), a domain, a
provider factory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from failover_sync_dnsmadeeasy import DnsMadeEasyProvider
from failover_sync_dnsmadeeasy.options import DnsMadeEasyOptions

from failover_sync.model import Zone
from providers.dnsmadeeasy.tests.dmefake import DnsMadeEasyFake
from providers.dnsmadeeasy.tests.dmehelpers import ProviderFactory

DOMAIN = "example.test"


@pytest.fixture
def fake() -> Iterator[DnsMadeEasyFake]:
    with DnsMadeEasyFake() as server:
        yield server


@pytest.fixture
def account(fake: DnsMadeEasyFake) -> tuple[str, str]:
    """``(api_key, secret_key)`` of a fresh account (budgets are per key)."""
    return fake.add_account()


@pytest.fixture
def key_files(tmp_path: Path, account: tuple[str, str]) -> tuple[Path, Path]:
    api_key, secret = account
    (tmp_path / "dme-api-key").write_text(api_key + "\n")
    (tmp_path / "dme-secret-key").write_text(secret + "\n")
    return tmp_path / "dme-api-key", tmp_path / "dme-secret-key"


@pytest.fixture
def domain_id(fake: DnsMadeEasyFake, account: tuple[str, str]) -> int:
    return fake.add_domain(DOMAIN, account[0])


@pytest.fixture
def provider_factory(
    fake: DnsMadeEasyFake, key_files: tuple[Path, Path], tmp_path: Path
) -> ProviderFactory:
    """``provider_factory(**options)``: a DnsMadeEasyProvider on the fake."""

    def build(**options: Any) -> DnsMadeEasyProvider:
        merged: dict[str, Any] = {
            "base_url": fake.base_url,
            "api_key_file": key_files[0].name,
            "secret_key_file": key_files[1].name,
            **options,
        }
        return DnsMadeEasyProvider("dme", DnsMadeEasyOptions(**merged), config_dir=tmp_path)

    return build


@pytest.fixture
def zone(domain_id: int) -> Zone:
    """The domain, found by name."""
    return Zone(f"{DOMAIN}.", "dme", {})

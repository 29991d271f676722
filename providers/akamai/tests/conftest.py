"""Fixtures: a fresh Edge DNS fake per test (checked for spec violations at teardown), an API
client for it in an ``.edgerc`` file, a zone, a provider factory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from failover_sync import Zone
from providers.akamai.tests.akfake import AkamaiFake, Client
from providers.akamai.tests.akhelpers import ProviderFactory, factory, write_edgerc

ZONE = "example.test"


@pytest.fixture
def fake() -> Iterator[AkamaiFake]:
    """The fake; the test fails if the adapter sent a request the spec rejects (unless the
    test emptied ``fake.rejected``) or the fake answered outside the spec."""
    with AkamaiFake() as server:
        server.add_zone(ZONE)
        yield server
    assert server.violations == []
    assert server.rejected == []


@pytest.fixture
def client(fake: AkamaiFake) -> Client:
    return fake.add_client()


@pytest.fixture
def edgerc(tmp_path: Path, client: Client) -> Path:
    return write_edgerc(tmp_path / "edgerc", client, host="unused.luna.akamaiapis.test")


@pytest.fixture
def provider_factory(fake: AkamaiFake, edgerc: Path, tmp_path: Path) -> ProviderFactory:
    """``provider_factory(**options)``: an AkamaiProvider on the fake, credentials from the
    ``.edgerc`` file, no client-side pacing unless asked."""
    return factory(fake.base_url, edgerc, tmp_path)


@pytest.fixture
def zone() -> Zone:
    return Zone(f"{ZONE}.", "akamai", {})

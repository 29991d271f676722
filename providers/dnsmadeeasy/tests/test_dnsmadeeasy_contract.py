"""The provider contract against the fake: domain found by name, and by ``domain_id``."""

from __future__ import annotations

import pytest

from failover_sync.model import Zone
from failover_sync.testing import MakeProvider, ProviderContract
from providers.dnsmadeeasy.tests.dmehelpers import ProviderFactory


@pytest.fixture
def make_provider(provider_factory: ProviderFactory) -> MakeProvider:
    return lambda: provider_factory()


@pytest.fixture
def broken_zone() -> Zone:
    """No domain of that name in the account: the lookup answers 404 (HTML), permanent."""
    return Zone("missing.test.", "dme", {})


class TestDnsMadeEasyContract(ProviderContract):
    pass


class TestDnsMadeEasyContractByDomainId(ProviderContract):
    """The same contract with ``domain_id`` on the zone entry (no lookup)."""

    @pytest.fixture
    def zone(self, domain_id: int) -> Zone:
        return Zone("example.test.", "dme", {"domain_id": domain_id})


class TestDnsMadeEasyContractWholeDomainReads(ProviderContract):
    """The same contract reading the whole domain in pages of 10 (``full_read_above: 1``)."""

    @pytest.fixture
    def make_provider(self, provider_factory: ProviderFactory) -> MakeProvider:
        return lambda: provider_factory(full_read_above=1, rows=10)

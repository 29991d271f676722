"""The provider contract against the fake, with the unmodified SDK as the client, for each
way of reading (list_by_type, list_all_by_dns_zone, one GET per record set)."""

from __future__ import annotations

import pytest

from failover_sync.model import Zone
from failover_sync.testing import MakeProvider, ProviderContract
from providers.azure.tests.azhelpers import ProviderFactory


@pytest.fixture
def make_provider(provider_factory: ProviderFactory) -> MakeProvider:
    return lambda: provider_factory()


@pytest.fixture
def broken_zone() -> Zone:
    """No zone of that name in the resource group: ARM answers 404, a permanent error."""
    return Zone("missing.test.", "az", {})


class TestAzureContract(ProviderContract):
    pass


class TestAzureContractListAll(ProviderContract):
    @pytest.fixture
    def make_provider(self, provider_factory: ProviderFactory) -> MakeProvider:
        return lambda: provider_factory(read="all")


class TestAzureContractGet(ProviderContract):
    """``read: get``, the reads that record-set-scoped role assignments allow."""

    @pytest.fixture
    def make_provider(self, provider_factory: ProviderFactory) -> MakeProvider:
        return lambda: provider_factory(read="get")

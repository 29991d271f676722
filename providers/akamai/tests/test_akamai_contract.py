"""The provider contract, against the spec-validating fake, with EdgeGrid-signed requests."""

from __future__ import annotations

import pytest

from failover_sync import Zone
from failover_sync.testing import MakeProvider, ProviderContract
from providers.akamai.tests.akhelpers import ProviderFactory


@pytest.fixture
def make_provider(provider_factory: ProviderFactory) -> MakeProvider:
    return lambda: provider_factory()


@pytest.fixture
def broken_zone() -> Zone:
    """No zone of that name: the listing answers 404, a permanent error."""
    return Zone("missing.test.", "akamai", {})


class TestAkamaiContract(ProviderContract):
    pass


class TestAkamaiContractOneListing(ProviderContract):
    """The same contract with every read done as one listing of the managed types."""

    @pytest.fixture
    def make_provider(self, provider_factory: ProviderFactory) -> MakeProvider:
        return lambda: provider_factory(max_searches=0, page_size=1)

"""The provider contract, against the fake, with the unmodified SDK as the client."""

from __future__ import annotations

import pytest

from failover_sync.model import Zone
from failover_sync.testing import MakeProvider, ProviderContract
from providers.cloudflare.tests.cfhelpers import ProviderFactory


@pytest.fixture
def make_provider(provider_factory: ProviderFactory) -> MakeProvider:
    return lambda: provider_factory()


@pytest.fixture
def broken_zone() -> Zone:
    """No zone of that name in the account: the lookup by name fails permanently."""
    return Zone("missing.test.", "cf", {})


class TestCloudflareContract(ProviderContract):
    create_if_absent = True  # the live values are compared with before just ahead of the batch


class TestCloudflareContractByName(ProviderContract):
    """The same contract with the zone found by name (one ``GET /zones`` per process)."""

    create_if_absent = True

    @pytest.fixture
    def zone(self, zone_id: str) -> Zone:
        return Zone("example.test.", "cf", {})

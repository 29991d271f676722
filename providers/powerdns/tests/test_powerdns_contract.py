"""The provider contract of ``failover_sync.testing`` against a real PowerDNS server."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from failover_sync_powerdns import PowerDNSProvider

from failover_sync.model import Zone
from failover_sync.testing import MakeProvider, ProviderContract


class TestPowerDNSContract(ProviderContract):
    @pytest.fixture
    def make_provider(self, pdns_provider: Callable[..., PowerDNSProvider]) -> MakeProvider:
        return pdns_provider

    @pytest.fixture
    def zone(self, new_zone: Callable[[str], Zone]) -> Zone:
        return new_zone("contract")

    @pytest.fixture
    def broken_zone(self) -> Zone:
        return Zone("absent.example.test.", "pdns")

"""The provider contract of ``failover_sync.testing`` against a real PowerDNS server."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from failover_sync_powerdns import PowerDNSProvider

from failover_sync.model import Zone
from failover_sync.testing import MakeProvider, ProviderContract


class TestPowerDNSContract(ProviderContract):
    # The HTTP API has no compare-and-swap and no create-only changetype: REPLACE overwrites
    # (see the README, "Compare-and-swap"). PowerDNS as an RFC 2136 server has it.
    create_if_absent = False

    @pytest.fixture
    def make_provider(self, pdns_provider: Callable[..., PowerDNSProvider]) -> MakeProvider:
        return pdns_provider

    @pytest.fixture
    def zone(self, new_zone: Callable[[str], Zone]) -> Zone:
        return new_zone("contract")

    @pytest.fixture
    def broken_zone(self) -> Zone:
        return Zone("absent.example.test.", "pdns")

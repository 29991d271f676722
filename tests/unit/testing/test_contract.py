"""The in-memory provider keeps the contract that every adapter keeps (TXT markers included)."""

from __future__ import annotations

import pytest

from failover_sync.model import Zone
from failover_sync.testing import InMemoryProvider, MakeProvider, ProviderContract


class TestInMemoryContract(ProviderContract):
    create_if_absent = True

    @pytest.fixture
    def make_provider(self) -> MakeProvider:
        provider = InMemoryProvider()
        provider.broken_zones.add("broken.test.")
        return lambda: provider

    @pytest.fixture
    def zone(self) -> Zone:
        return Zone("example.test.", "memory")

    @pytest.fixture
    def broken_zone(self) -> Zone:
        return Zone("broken.test.", "memory")

"""The provider contract of failover_sync.testing, run against moto's Route 53 server."""

from __future__ import annotations

from failover_sync.testing import ProviderContract


class TestRoute53Contract(ProviderContract):
    """Every case of the contract, with the fixtures of conftest.py."""

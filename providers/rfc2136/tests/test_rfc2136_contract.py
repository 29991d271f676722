"""The provider contract against a real BIND 9, reading by AXFR and by query."""

from __future__ import annotations

from failover_sync.testing import ProviderContract


class TestRFC2136Contract(ProviderContract):
    """Every contract case, once per read mode (see the ``make_provider`` fixture)."""

    create_if_absent = True  # prerequisite "RRset does not exist" (RFC 2136 2.4.3)

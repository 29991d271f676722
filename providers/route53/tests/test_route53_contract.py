"""The provider contract against moto's Route 53 server."""

from __future__ import annotations

import asyncio

import pytest

from failover_sync import RRset, StaleRRsetError, Zone
from failover_sync.testing import MakeProvider, ProviderContract, upsert


class TestRoute53Contract(ProviderContract):
    """Every case of the contract, with the fixtures of conftest.py."""

    create_if_absent = True

    def test_create_over_an_existing_rrset(self, make_provider: MakeProvider, zone: Zone) -> None:
        """A new RRset is written with CREATE, which AWS refuses when the RRset exists
        (InvalidChangeBatch "... but it already exists" -> StaleRRsetError). moto ignores a
        CREATE over other values without an error (shared/STANDINS.md: laxer than AWS), but
        refuses one of the same values as AWS does: that is the case run here."""

        async def case() -> None:
            provider = make_provider()
            try:
                app, _, _ = self.names(zone)
                theirs = RRset.of(app, "A", 60, ["198.51.100.7"])
                await provider.apply(zone, [upsert(theirs)])
                with pytest.raises(StaleRRsetError):
                    await provider.apply(zone, [upsert(theirs)])
                assert await provider.list_rrsets(zone, [(app, "A")]) == [theirs]
            finally:
                await provider.aclose()

        asyncio.run(case())

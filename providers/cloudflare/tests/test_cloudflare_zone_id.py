"""The Cloudflare zone id in the provider block (like Route 53's ``hosted_zone_id``)."""

from __future__ import annotations

import asyncio

import pytest
from failover_sync_cloudflare import CloudflareOptions

from failover_sync.config.loader import load_config_text
from failover_sync.errors import ProviderError
from failover_sync.model import RRset, Zone
from failover_sync.testing import upsert
from providers.cloudflare.tests.cfhelpers import ProviderFactory


def test_zone_id_in_the_provider_block_serves_its_one_zone(
    provider_factory: ProviderFactory, zone_id: str
) -> None:
    """Like Route 53's hosted_zone_id: the block's zone_id, for the one zone of the provider;
    a second zone without its own zone_id is refused with where zone_id goes."""
    provider = provider_factory(zone_id=zone_id)
    only = Zone("example.test.", "cf", {})
    other = Zone("example.org.", "cf", {})
    rrset = RRset.of("app.example.test.", "A", 60, ["192.0.2.1"])

    async def case() -> None:
        try:
            await provider.apply(only, [upsert(rrset)])
            assert await provider.list_rrsets(only, [rrset.key]) == [rrset]
            with pytest.raises(ProviderError) as info:
                await provider.list_rrsets(other, [("app.example.org.", "A")])
            text = str(info.value)
            assert f"zone_id {zone_id} in the block of provider cf serves one zone" in text
            assert "example.org. needs its own zone_id on its zone entry" in text
        finally:
            await provider.aclose()

    asyncio.run(case())


def test_zone_id_in_the_provider_block_is_valid_config() -> None:
    config = load_config_text(
        """
providers:
  cf: {type: cloudflare, zone_id: 023e105f4ecef8ad9ca31a8372d0c353}
zones:
  - {name: example.com, provider: cf}
records:
  app.example.com: {type: A, policy: failover, records: [{value: 192.0.2.1}]}
"""
    )
    (provider,) = config.build_providers().values()
    assert isinstance(provider.options, CloudflareOptions)
    assert provider.options.zone_id == "023e105f4ecef8ad9ca31a8372d0c353"

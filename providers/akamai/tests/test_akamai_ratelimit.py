"""Throttling: a 429's ``Retry-After`` becomes the transient error's hint and blocks every
request until it has passed; the client-side budget paces requests; the core rides out a
burst of 429s on the submit."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from failover_sync import RRset, TransientProviderError, Zone
from failover_sync.testing import upsert
from failover_sync.testing.waits import await_for
from providers.akamai.tests import akhelpers
from providers.akamai.tests.akfake import AkamaiFake, Fault
from providers.akamai.tests.akhelpers import ProviderFactory

APP = "app.example.test."
LIST = "get-zones-zone-recordsets"
SUBMIT = "post-changelists-zone-submit"


def test_429_gives_retry_after_and_blocks_until_then(
    fake: AkamaiFake, provider_factory: ProviderFactory, zone: Zone
) -> None:
    fake.fail_next(Fault(429, "Too Many Requests", operation=LIST, retry_after=0.3))

    async def run() -> None:
        provider = provider_factory()
        try:
            with pytest.raises(TransientProviderError, match="HTTP 429") as info:
                await provider.list_rrsets(zone, [(APP, "A")])
            assert info.value.retry_after == pytest.approx(0.3)
            sent = fake.count()
            with pytest.raises(TransientProviderError, match="throttled") as blocked:
                await provider.list_rrsets(zone, [(APP, "A")])
            assert blocked.value.retry_after is not None
            assert 0 < blocked.value.retry_after <= 0.3
            assert fake.count() == sent  # nothing was sent while blocked
            await await_for(lambda: provider.api.bucket.blocked_for() == 0, timeout=5)
            assert await provider.list_rrsets(zone, [(APP, "A")]) == []
        finally:
            await provider.aclose()

    asyncio.run(run())


def test_429_without_retry_after_blocks_for_block_seconds(
    fake: AkamaiFake, provider_factory: ProviderFactory, zone: Zone
) -> None:
    fake.fail_next(Fault(429, "Too Many Requests", operation=LIST))

    async def run() -> None:
        provider = provider_factory(block_seconds=7)
        try:
            with pytest.raises(TransientProviderError) as info:
                await provider.list_rrsets(zone, [(APP, "A")])
            assert info.value.retry_after == 7
            assert 6 < provider.api.bucket.blocked_for() <= 7
        finally:
            await provider.aclose()

    asyncio.run(run())


def test_the_budget_paces_every_request(
    fake: AkamaiFake, provider_factory: ProviderFactory, zone: Zone
) -> None:
    async def run() -> None:
        provider = provider_factory(requests_per_second=5, burst=1)
        try:
            await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.1"]))])
            bucket = provider.api.bucket
            assert bucket.acquired == fake.count() == 4
            assert bucket.waited_seconds > 0  # three of the four waited for a token
        finally:
            await provider.aclose()

    asyncio.run(run())


def test_the_controller_rides_out_429s_on_the_submit(fake: AkamaiFake, tmp_path: Path) -> None:
    client = fake.add_client()
    edgerc = akhelpers.write_edgerc(tmp_path / "edgerc", client, host="unused.test")
    records = "  app.example.test:\n    type: A\n    records: [{value: 192.0.2.1}]\n"
    config = akhelpers.load(
        akhelpers.config_yaml(fake.base_url, records, credentials=f", edgerc: {edgerc}"), tmp_path
    )
    fake.fail_next(Fault(429, "Too Many Requests", count=2, retry_after=0.01, operation=SUBMIT))

    async def run() -> None:
        ctl = akhelpers.controller(config)
        try:
            await ctl.presume_health()
            outcome = await ctl.reconcile_zone(akhelpers.only_zone(ctl))
            assert outcome.error is None
        finally:
            await akhelpers.close(ctl)

    asyncio.run(run())
    assert [c.status for c in fake.calls if c.operation == SUBMIT] == [429, 429, 204]
    assert fake.rrset("example.test", APP, "A") == (60, ("192.0.2.1",))
    assert fake.changelists == {}

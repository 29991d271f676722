"""Reading: only the asked names come back, every page is followed (one call and one budget
token per page, none after the last), and the read mode decides the calls."""

from __future__ import annotations

import asyncio

import pytest

from failover_sync.model import RRset, Zone
from providers.azure.tests.azfake import AzureDnsFake, FakeZone
from providers.azure.tests.azhelpers import ProviderFactory

LAST = "n4.example.test."


@pytest.fixture
def five(fake: AzureDnsFake, fake_zone: FakeZone) -> None:
    for i in range(5):
        fake.set_record(fake_zone, "A", f"n{i}", 60, [f"192.0.2.{i + 1}"])
    fake.set_record(fake_zone, "TXT", "n4", 60, ["other tool"])


def read(provider_factory: ProviderFactory, zone: Zone, **options: object) -> list[RRset]:
    async def case() -> list[RRset]:
        provider = provider_factory(**options)
        try:
            return await provider.list_rrsets(zone, [(LAST, "A"), (LAST, "TXT")])
        finally:
            await provider.aclose()

    return asyncio.run(case())


EXPECTED = [RRset.of(LAST, "A", 60, ["192.0.2.5"]), RRset.of(LAST, "TXT", 60, ['"other tool"'])]


@pytest.mark.usefixtures("five")
@pytest.mark.parametrize(
    ("read_mode", "calls"),
    [
        ("by_type", {"RecordSets_ListByType": 3 + 1}),  # A: 3 pages of 2; TXT: 1 page
        ("all", {"RecordSets_ListAllByDnsZone": 3}),  # 6 record sets, 3 pages of 2
        ("get", {"RecordSets_Get": 2}),
    ],
)
def test_pages_are_followed_to_the_end(
    fake: AzureDnsFake,
    provider_factory: ProviderFactory,
    zone: Zone,
    read_mode: str,
    calls: dict[str, int],
) -> None:
    assert read(provider_factory, zone, read=read_mode, page_size=2) == EXPECTED
    assert {op: fake.count(op) for op in calls} == calls
    assert fake.count() == sum(calls.values())

"""Compare-and-swap: every write is conditional on the ETag read (or create-only), a
concurrent change is refused (StaleRRsetError) and never overwritten; markers go out with the
first write of their name; phases never leave a name empty."""

from __future__ import annotations

import asyncio

import pytest

from failover_sync import ProviderError, StaleRRsetError, TransientProviderError
from failover_sync.model import RRset, Zone
from failover_sync.testing import upsert
from providers.azure.tests.azfake import AzureDnsFake, FakeZone
from providers.azure.tests.azhelpers import ProviderFactory

APP = "app.example.test."
MARKER = "_failover-sync.app.example.test."
PUT = "RecordSets_CreateOrUpdate"
OWNED = '"heritage=failover-sync,owner=default,type=A"'


def writes(fake: AzureDnsFake, since: int = 0) -> list[tuple[str, str, str | None, str | None]]:
    return [
        (
            c.method,
            c.path.rsplit("/", 2)[-2] + "/" + c.path.rsplit("/", 1)[-1],
            c.if_match,
            c.if_none_match,
        )
        for c in fake.calls[since:]
        if c.method in ("PUT", "DELETE")
    ]


def test_create_if_absent_sends_if_none_match(
    fake: AzureDnsFake, provider_factory: ProviderFactory, zone: Zone
) -> None:
    async def case() -> None:
        provider = provider_factory()
        try:
            assert await provider.list_rrsets(zone, [(APP, "A")]) == []
            await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.1"]))])
        finally:
            await provider.aclose()

    asyncio.run(case())
    assert writes(fake) == [("PUT", "A/app", None, "*")]


def test_a_record_created_meanwhile_is_not_overwritten(
    fake: AzureDnsFake, fake_zone: FakeZone, provider_factory: ProviderFactory, zone: Zone
) -> None:
    async def case() -> None:
        provider = provider_factory()
        try:
            assert await provider.list_rrsets(zone, [(APP, "A")]) == []
            fake.set_record(fake_zone, "A", "app", 300, ["198.51.100.9"])  # another writer
            with pytest.raises(StaleRRsetError, match="HTTP 412"):
                await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.1"]))])
        finally:
            await provider.aclose()

    asyncio.run(case())
    assert fake.values(fake_zone, "A", "app") == ["198.51.100.9"]


def test_race_between_read_and_write_is_a_412_and_nothing_is_overwritten(
    fake: AzureDnsFake, fake_zone: FakeZone, provider_factory: ProviderFactory, zone: Zone
) -> None:
    """An out-of-band writer changes the record set after our read, just before our PUT
    arrives: the If-Match of the read is stale, ARM answers 412, the other value stays."""
    fake.set_record(fake_zone, "A", "app", 60, ["192.0.2.1"])
    before = RRset.of(APP, "A", 60, ["192.0.2.1"])

    def out_of_band(operation: str, rtype: str, name: str) -> None:
        fake.before_write = None
        fake.set_record(fake_zone, rtype, name, 60, ["203.0.113.50"])

    async def case() -> None:
        provider = provider_factory()
        try:
            assert await provider.list_rrsets(zone, [(APP, "A")]) == [before]
            fake.before_write = out_of_band
            with pytest.raises(StaleRRsetError) as info:
                await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.2"]), before)])
            assert "nothing was written" in str(info.value)
            # The controller re-reads and re-plans: the next apply sees the new value.
            live = await provider.list_rrsets(zone, [(APP, "A")])
            assert live == [RRset.of(APP, "A", 60, ["203.0.113.50"])]
            await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.2"]), live[0])])
        finally:
            await provider.aclose()

    asyncio.run(case())
    assert fake.values(fake_zone, "A", "app") == ["192.0.2.2"]
    (first, second) = [w for w in writes(fake) if w[0] == "PUT"]
    assert first[2] is not None
    assert second[2] is not None
    assert first[2] != second[2]  # the second PUT used the ETag of the fresh read


def test_a_plan_older_than_the_live_values_is_refused_before_sending(
    fake: AzureDnsFake, fake_zone: FakeZone, provider_factory: ProviderFactory, zone: Zone
) -> None:
    """Change.before differs from what is live (no read to reuse): a GET shows it, and the
    change is refused without a write."""
    fake.set_record(fake_zone, "A", "app", 60, ["198.51.100.1"])
    stale_before = RRset.of(APP, "A", 60, ["192.0.2.1"])

    async def case() -> None:
        provider = provider_factory()
        try:
            with pytest.raises(StaleRRsetError, match=r"198\.51\.100\.1"):
                await provider.apply(
                    zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.2"]), stale_before)]
                )
        finally:
            await provider.aclose()

    asyncio.run(case())
    assert writes(fake) == []
    assert fake.values(fake_zone, "A", "app") == ["198.51.100.1"]


def test_marker_goes_out_first_and_a_failed_marker_stops_the_record(
    fake: AzureDnsFake, fake_zone: FakeZone, provider_factory: ProviderFactory, zone: Zone
) -> None:
    marker = RRset.of(MARKER, "TXT", 60, [OWNED])
    record = RRset.of(APP, "A", 60, ["192.0.2.1"])

    async def case() -> None:
        provider = provider_factory()
        try:
            await provider.apply(zone, [upsert(record), upsert(marker)])
        finally:
            await provider.aclose()

    asyncio.run(case())
    assert [w[1] for w in writes(fake)] == ["TXT/_failover-sync.app", "A/app"]
    assert fake.values(fake_zone, "TXT", "_failover-sync.app") == [OWNED.strip('"')]

    # A principal that may not write the marker never gets to write the record either.
    other = "api.example.test."
    fake.grants = [
        (fake_zone.path, "Microsoft.Network/dnszones/A/read"),
        (fake_zone.path, "Microsoft.Network/dnszones/A/write"),
        (fake_zone.path, "Microsoft.Network/dnszones/TXT/read"),
    ]
    start = len(fake.calls)

    async def refused() -> None:
        provider = provider_factory()
        try:
            with pytest.raises(ProviderError, match="403 AuthorizationFailed") as info:
                await provider.apply(
                    zone,
                    [
                        upsert(RRset.of(other, "A", 60, ["192.0.2.1"])),
                        upsert(RRset.of(f"_failover-sync.{other}", "TXT", 60, [OWNED])),
                    ],
                )
            assert not isinstance(info.value, TransientProviderError)
            assert "TXT/write" in str(info.value)
        finally:
            await provider.aclose()

    asyncio.run(refused())
    assert [w[1] for w in writes(fake, start)] == ["TXT/_failover-sync.api"]
    assert fake.values(fake_zone, "A", "api") is None


def test_phases_write_new_rrsets_before_deleting_old_ones(
    fake: AzureDnsFake, fake_zone: FakeZone, provider_factory: ProviderFactory, zone: Zone
) -> None:
    """A name moving from A to AAAA gets its AAAA before its A goes; its marker stays until
    the records it marks are gone (here it is updated first, deleted never)."""
    fake.set_record(fake_zone, "A", "app", 60, ["192.0.2.1"])
    old = RRset.of(APP, "A", 60, ["192.0.2.1"])
    new = RRset.of(APP, "AAAA", 60, ["2001:db8::1"])
    gone = RRset.of("old.example.test.", "A", 60, ["192.0.2.9"])
    gone_marker = RRset.of("_failover-sync.old.example.test.", "TXT", 60, [OWNED])
    fake.set_record(fake_zone, "A", "old", 60, ["192.0.2.9"])
    fake.set_record(fake_zone, "TXT", "_failover-sync.old", 60, [OWNED.strip('"')])

    async def case() -> None:
        provider = provider_factory()
        try:
            keys = [old.key, new.key, gone.key, gone_marker.key]
            await provider.list_rrsets(zone, keys)
            empty = RRset(APP, "A", 60, ())
            await provider.apply(
                zone,
                [
                    upsert(empty, old),
                    upsert(RRset(gone_marker.name, "TXT", 60, ()), gone_marker),
                    upsert(RRset(gone.name, "A", 60, ()), gone),
                    upsert(new),
                ],
            )
            assert await provider.list_rrsets(zone, keys) == [new]
        finally:
            await provider.aclose()

    asyncio.run(case())
    order = [(w[0], w[1]) for w in writes(fake)]
    assert order[0] == ("PUT", "AAAA/app")
    assert set(order[1:3]) == {("DELETE", "A/app"), ("DELETE", "A/old")}  # one phase
    assert order[3:] == [("DELETE", "TXT/_failover-sync.old")]
    assert all(w[2] for w in writes(fake) if w[0] == "DELETE")  # every delete has If-Match


def test_metadata_of_a_record_set_is_kept(
    fake: AzureDnsFake, fake_zone: FakeZone, provider_factory: ProviderFactory, zone: Zone
) -> None:
    fake.set_record(fake_zone, "A", "app", 60, ["192.0.2.1"])
    fake_zone.sets[("A", "app")]["properties"]["metadata"] = {"team": "web"}
    before = RRset.of(APP, "A", 60, ["192.0.2.1"])

    async def case() -> None:
        provider = provider_factory()
        try:
            assert await provider.list_rrsets(zone, [before.key]) == [before]
            await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.2"]), before)])
        finally:
            await provider.aclose()

    asyncio.run(case())
    assert fake_zone.sets[("A", "app")]["properties"]["metadata"] == {"team": "web"}


def test_an_empty_record_set_reads_as_absent_and_is_written_with_its_etag(
    fake: AzureDnsFake, fake_zone: FakeZone, provider_factory: ProviderFactory, zone: Zone
) -> None:
    """Azure keeps record sets without records; DNS does not publish them. Creating over
    one needs its ETag (If-None-Match: * would be refused forever)."""
    etag = fake.set_record(fake_zone, "A", "app", 60, [])

    async def case() -> None:
        provider = provider_factory()
        try:
            assert await provider.list_rrsets(zone, [(APP, "A")]) == []
            await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.1"]))])
        finally:
            await provider.aclose()

    asyncio.run(case())
    assert writes(fake) == [("PUT", "A/app", etag, None)]


def test_writes_of_a_zone_go_out_in_bounded_concurrency(
    fake: AzureDnsFake, fake_zone: FakeZone, provider_factory: ProviderFactory, zone: Zone
) -> None:
    fake.write_seconds = 0.1
    rrsets = [RRset.of(f"n{i}.example.test.", "A", 60, ["192.0.2.1"]) for i in range(8)]

    async def case() -> None:
        provider = provider_factory(max_concurrency=3)
        try:
            await provider.apply(zone, [upsert(r) for r in rrsets])
            assert set(await provider.list_rrsets(zone, [r.key for r in rrsets])) == set(rrsets)
        finally:
            await provider.aclose()

    asyncio.run(case())
    assert 2 <= fake.max_in_flight <= 3

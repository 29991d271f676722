"""How a change is written: ids of staying values kept, joining values created before leaving
ones are deleted (the name never answers with no value), multi-record calls, one per kind."""

from __future__ import annotations

from failover_sync_dnsmadeeasy import DnsMadeEasyProvider

from failover_sync import RRset
from failover_sync.model import Zone
from failover_sync.testing import upsert
from providers.dnsmadeeasy.tests.dmefake import DnsMadeEasyFake
from providers.dnsmadeeasy.tests.dmehelpers import ProviderFactory, with_provider

APP = "app.example.test."


def test_failover_never_leaves_the_name_empty(
    fake: DnsMadeEasyFake, domain_id: int, zone: Zone, provider_factory: ProviderFactory
) -> None:
    fake.add_record(domain_id, "app", "A", "192.0.2.1", ttl=60)

    async def body(provider: DnsMadeEasyProvider) -> None:
        (before,) = await provider.list_rrsets(zone, [(APP, "A")])
        after = RRset.of(APP, "A", 60, ["192.0.2.2"])
        start = len(fake.calls)
        await provider.apply(zone, [upsert(after, before)])
        routes = [c.route for c in fake.calls[start:]]
        assert routes == ["records-list", "records-createMulti", "records-delete"]

    with_provider(provider_factory, body)
    # The state history of the name: the old value, both, then the new one; never empty.
    assert fake.values_over_time(domain_id, "app", "A") == [
        ("192.0.2.1",),
        ("192.0.2.1", "192.0.2.2"),
        ("192.0.2.2",),
    ]


def test_staying_values_keep_their_ids_and_one_call_per_kind_for_the_zone(
    fake: DnsMadeEasyFake, domain_id: int, zone: Zone, provider_factory: ProviderFactory
) -> None:
    keep = fake.add_record(domain_id, "app", "A", "192.0.2.1", ttl=60)
    fake.add_record(domain_id, "app", "A", "192.0.2.2", ttl=60)
    fake.add_record(domain_id, "api", "A", "192.0.2.7", ttl=300)
    untouched = fake.add_record(domain_id, "app", "TXT", '"site-verification=abc"')

    async def body(provider: DnsMadeEasyProvider) -> None:
        keys = [(APP, "A"), ("api.example.test.", "A")]
        live = {r.key: r for r in await provider.list_rrsets(zone, keys)}
        changes = [
            upsert(RRset.of(APP, "A", 60, ["192.0.2.1", "192.0.2.3"]), live[keys[0]]),
            upsert(
                RRset.of("api.example.test.", "A", 60, ["192.0.2.7", "192.0.2.8"]), live[keys[1]]
            ),
        ]
        start = len(fake.calls)
        await provider.apply(zone, changes)
        routes = [c.route for c in fake.calls[start:]]
        assert routes == [
            "records-list",
            "records-list",
            "records-createMulti",
            "records-updateMulti",
            "records-delete",
        ]

    with_provider(provider_factory, body)
    app = {r["value"]: r for r in fake.records(domain_id, "app", "A")}
    assert set(app) == {"192.0.2.1", "192.0.2.3"}
    assert app["192.0.2.1"]["id"] == keep
    assert [r["ttl"] for r in fake.records(domain_id, "api", "A")] == [60, 60]
    assert [r["id"] for r in fake.records(domain_id, "app", "TXT")] == [untouched]


def test_large_changes_are_split_into_max_batch_records(
    fake: DnsMadeEasyFake, domain_id: int, zone: Zone, provider_factory: ProviderFactory
) -> None:
    values = [f"192.0.2.{i}" for i in range(1, 8)]

    async def body(provider: DnsMadeEasyProvider) -> None:
        await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, values))])
        assert await provider.list_rrsets(zone, [(APP, "A")]) == [RRset.of(APP, "A", 60, values)]

    with_provider(provider_factory, body, max_batch=3)
    assert fake.count("records-createMulti") == 3


def test_apex_is_read_by_type_and_written_with_an_empty_name(
    fake: DnsMadeEasyFake, domain_id: int, zone: Zone, provider_factory: ProviderFactory
) -> None:
    fake.add_record(domain_id, "www", "A", "198.51.100.1")
    apex = RRset.of("example.test.", "A", 60, ["192.0.2.1"])

    async def body(provider: DnsMadeEasyProvider) -> None:
        await provider.apply(zone, [upsert(apex)])
        assert await provider.list_rrsets(zone, [apex.key]) == [apex]

    with_provider(provider_factory, body)
    (record,) = fake.records(domain_id, "", "A")
    assert record["value"] == "192.0.2.1"
    queries = [dict(c.query) for c in fake.calls if c.route == "records-list"]
    assert queries[-1] == {"type": "A"}

"""CloudflareProvider against the fake: what users rely on (proxied, comments, ids, unmanaged
records, atomic batches, TTL rules, tokens, zone lookup, paging)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from failover_sync_cloudflare import CloudflareOptions, CloudflareProvider

from failover_sync.errors import ProviderError, TransientProviderError
from failover_sync.model import Action, Change, RRset, Zone
from failover_sync.testing import upsert
from providers.cloudflare.tests import cfhelpers
from providers.cloudflare.tests.cffake import CloudflareFake
from providers.cloudflare.tests.cfhelpers import ProviderFactory

APP = "app.example.test."
BATCH = "dns-records-for-a-zone-batch-dns-records"
LIST = "dns-records-for-a-zone-list-dns-records"


def failover(before: tuple[str, ...], after: tuple[str, ...], **kw: object) -> Change:
    return Change(Action.UPSERT, APP, "A", 60, before, after, "test", 60, (), kw.get("proxied"))  # type: ignore[arg-type]


def test_proxied_comment_tags_settings_and_id_of_kept_records_survive_a_failover(
    fake: CloudflareFake, zone_id: str, zone: Zone, provider_factory: ProviderFactory
) -> None:
    kept = fake.add_record(
        zone_id,
        "app",
        "A",
        "192.0.2.1",
        proxied=True,
        comment="owned by web team",
        tags=["team:web"],
        settings={"ipv4_only": True},
    )
    fake.add_record(zone_id, "app", "A", "192.0.2.2", proxied=True)

    async def case() -> None:
        provider = provider_factory()
        try:
            live = await provider.list_rrsets(zone, [(APP, "A")])
            assert live == [RRset.of(APP, "A", 1, ["192.0.2.1", "192.0.2.2"], auto_ttl=True)]
            await provider.apply(
                zone, [failover(("192.0.2.1", "192.0.2.2"), ("192.0.2.1", "192.0.2.3"))]
            )
        finally:
            await provider.aclose()

    asyncio.run(case())
    after = {r["content"]: r for r in fake.records(zone_id, APP, "A")}
    assert set(after) == {"192.0.2.1", "192.0.2.3"}
    assert after["192.0.2.1"] == kept
    joined = after["192.0.2.3"]
    assert (joined["proxied"], joined["ttl"], joined["comment"]) == (
        True,
        1,
        "managed by failover-sync",
    )
    assert fake.count(BATCH) == 1


def test_config_proxied_overrides_what_is_live(
    fake: CloudflareFake, zone_id: str, zone: Zone, provider_factory: ProviderFactory
) -> None:
    fake.add_record(zone_id, "app", "A", "192.0.2.1", proxied=True, comment="keep me")

    async def case() -> None:
        provider = provider_factory()
        try:
            await provider.list_rrsets(zone, [(APP, "A")])
            change = failover(("192.0.2.1",), ("192.0.2.1", "192.0.2.2"), proxied=False)
            await provider.apply(zone, [change])
        finally:
            await provider.aclose()

    asyncio.run(case())
    records = fake.records(zone_id, APP, "A")
    assert [(r["proxied"], r["ttl"]) for r in records] == [(False, 60), (False, 60)]
    assert records[0]["comment"] == "keep me"


def test_a_proxied_rrset_shows_no_ttl_change_after_the_first_round(
    fake: CloudflareFake, zone_id: str, token_file: Path, tmp_path: Path
) -> None:
    fake.add_record(zone_id, "app", "A", "192.0.2.1", proxied=True)
    records = (
        "  app.example.test:\n    type: A\n    records: [{value: 192.0.2.1}, {value: 192.0.2.2}]\n"
    )
    config = cfhelpers.load(
        cfhelpers.config_yaml(fake.base_url, records, token_file=token_file), tmp_path
    )

    async def case() -> list[int]:
        ctl = cfhelpers.controller(config)
        zone = cfhelpers.only_zone(ctl)
        try:
            await ctl.presume_health()
            outcomes = [await ctl.reconcile_zone(zone) for _ in range(3)]
        finally:
            await cfhelpers.close(ctl)
        return [len(o.plan.changes) if o.plan else -1 for o in outcomes]

    # Proxied RRsets are read as automatic TTL: no plan shows a TTL change, not even the first.
    assert asyncio.run(case()) == [0, 0, 0]
    assert fake.count(BATCH) == 0


def test_unmanaged_records_are_untouched(
    fake: CloudflareFake, zone_id: str, zone: Zone, provider_factory: ProviderFactory
) -> None:
    others = [
        fake.add_record(zone_id, "app", "TXT", '"v=spf1 -all"', comment="mail"),
        fake.add_record(zone_id, "app", "AAAA", "2001:db8::1"),
        fake.add_record(zone_id, "other", "A", "198.51.100.1", proxied=True),
        fake.add_record(zone_id, "www", "CNAME", "app.example.test"),
    ]
    fake.add_record(zone_id, "app", "A", "192.0.2.1")

    async def case() -> None:
        provider = provider_factory()
        try:
            await provider.list_rrsets(zone, [(APP, "A")])
            await provider.apply(zone, [failover(("192.0.2.1",), ("192.0.2.2",))])
        finally:
            await provider.aclose()

    asyncio.run(case())
    everything = fake.records(zone_id)
    for record in others:
        assert record in everything
    assert [r["content"] for r in fake.records(zone_id, APP, "A")] == ["192.0.2.2"]


def test_a_rejected_record_does_not_block_its_zone_and_the_next_round_converges(
    fake: CloudflareFake, zone_id: str, token_file: Path, tmp_path: Path
) -> None:
    fake.add_record(zone_id, "app", "A", "192.0.2.1")
    blocker = fake.add_record(zone_id, "api", "CNAME", "elsewhere.example.net")
    records = (
        "  app.example.test:\n    type: A\n    records: [{value: 192.0.2.1}, {value: 192.0.2.2}]\n"
        "  api.example.test:\n    type: A\n    policy: multivalue\n"
        "    records: [{value: 192.0.2.7}]\n"
    )
    config = cfhelpers.load(
        cfhelpers.config_yaml(fake.base_url, records, token_file=token_file), tmp_path
    )
    before = fake.records(zone_id)

    async def case() -> tuple[str, bool]:
        ctl = cfhelpers.controller(config)
        zone = cfhelpers.only_zone(ctl)
        try:
            await ctl.presume_health()
            cfhelpers.set_health(ctl, "192.0.2.1", False)
            cfhelpers.set_health(ctl, "192.0.2.2", True)
            cfhelpers.set_health(ctl, "192.0.2.7", True)
            first = await ctl.reconcile_zone(zone)  # app moves, api collides with the CNAME
            # the batch is all-or-nothing: it is split, and app still fails over
            assert [r["content"] for r in fake.records(zone_id, APP, "A")] == ["192.0.2.2"]
            assert fake.records(zone_id, "api.example.test", "A") == []
            fake.zones[zone_id].delete(blocker["id"])  # the operator removes the CNAME
            second = await ctl.reconcile_zone(zone)
        finally:
            await cfhelpers.close(ctl)
        assert first.error is None
        rejected = {c.name for c, _ in first.rejected}
        assert rejected >= {"api.example.test."}
        assert APP + "." not in rejected
        return str(first.rejected[0][1]), second.applied

    assert before
    message, applied = asyncio.run(case())
    assert "81053" in message
    assert "CNAME record with that host already exists" in message
    assert applied
    assert [r["content"] for r in fake.records(zone_id, APP, "A")] == ["192.0.2.2"]
    assert [r["content"] for r in fake.records(zone_id, "api.example.test", "A")] == ["192.0.2.7"]


def test_a_record_changed_since_read_is_transient_and_nothing_is_written(
    fake: CloudflareFake, zone_id: str, zone: Zone, provider_factory: ProviderFactory
) -> None:
    fake.add_record(zone_id, "app", "A", "192.0.2.1")

    async def case() -> None:
        reviewer, applier = provider_factory(), provider_factory()
        try:
            await reviewer.list_rrsets(zone, [(APP, "A")])  # `plan`, reviewed
            fake.add_record(zone_id, "app", "A", "192.0.2.9")  # someone else, meanwhile
            with pytest.raises(TransientProviderError, match="changed since it was read"):
                await applier.apply(zone, [failover(("192.0.2.1",), ("192.0.2.2",))])
        finally:
            await reviewer.aclose()
            await applier.aclose()

    asyncio.run(case())
    assert fake.count(BATCH) == 0


def test_a_stale_record_id_fails_the_batch_as_transient(
    fake: CloudflareFake, zone_id: str, zone: Zone, provider_factory: ProviderFactory
) -> None:
    first = fake.add_record(zone_id, "app", "A", "192.0.2.1")

    async def case() -> None:
        provider = provider_factory()
        try:
            await provider.list_rrsets(zone, [(APP, "A")])
            fake.zones[zone_id].delete(first["id"])  # re-created meanwhile: same value, new id
            fake.add_record(zone_id, "app", "A", "192.0.2.1")
            gone = failover(("192.0.2.1",), ("192.0.2.2",))
            with pytest.raises(TransientProviderError, match="81044"):
                await provider.apply(zone, [gone])
            await provider.list_rrsets(zone, [(APP, "A")])  # the core re-reads, then retries
            await provider.apply(zone, [gone])
        finally:
            await provider.aclose()

    asyncio.run(case())
    assert [r["content"] for r in fake.records(zone_id, APP, "A")] == ["192.0.2.2"]


def test_a_ttl_cloudflare_refuses_is_a_permanent_error_before_any_call(
    fake: CloudflareFake, zone: Zone, provider_factory: ProviderFactory
) -> None:
    async def case() -> None:
        provider = provider_factory(min_ttl=60)
        try:
            with pytest.raises(ProviderError, match="TTL 45 is not accepted") as info:
                await provider.apply(zone, [upsert(RRset.of(APP, "A", 45, ["192.0.2.1"]))])
            assert not isinstance(info.value, TransientProviderError)
            await provider.apply(zone, [upsert(RRset.of(APP, "A", 1, ["192.0.2.1"]))])
        finally:
            await provider.aclose()

    asyncio.run(case())
    assert fake.count(BATCH) == 1


@pytest.mark.parametrize(("max_batch", "calls"), [(3, 5), (4, 3), (200, 1)])
def test_batches_are_chunked_by_max_batch_without_splitting_an_rrset(
    fake: CloudflareFake,
    zone: Zone,
    provider_factory: ProviderFactory,
    max_batch: int,
    calls: int,
) -> None:
    names = [f"n{i}.example.test." for i in range(5)]  # 2 posts each

    async def case() -> list[RRset]:
        provider = provider_factory(max_batch=max_batch)
        try:
            rrsets = [RRset.of(n, "A", 60, ["192.0.2.1", "192.0.2.2"]) for n in names]
            await provider.apply(zone, [upsert(r) for r in rrsets])
            return await provider.list_rrsets(zone, [(n, "A") for n in names])
        finally:
            await provider.aclose()

    assert len(asyncio.run(case())) == 5
    assert fake.count(BATCH) == calls


@pytest.mark.parametrize(("values", "lists"), [(150, 2), (100, 2), (99, 1)])
def test_every_page_is_read(
    fake: CloudflareFake,
    zone_id: str,
    zone: Zone,
    provider_factory: ProviderFactory,
    values: int,
    lists: int,
) -> None:
    for i in range(values):
        fake.add_record(zone_id, "app", "A", f"10.0.{i // 250}.{i % 250 + 1}")

    async def case() -> list[RRset]:
        provider = provider_factory()
        try:
            return await provider.list_rrsets(zone, [(APP, "A")])
        finally:
            await provider.aclose()

    (rrset,) = asyncio.run(case())
    assert len(rrset.values) == values
    assert fake.count(LIST) == lists


def test_one_list_call_per_name_and_zone_lookup_once(
    fake: CloudflareFake, zone_id: str, provider_factory: ProviderFactory
) -> None:
    fake.add_record(zone_id, "app", "A", "192.0.2.1")
    fake.add_record(zone_id, "app", "AAAA", "2001:db8::1")
    by_name = Zone("example.test.", "cf", {})

    async def case() -> None:
        provider = provider_factory()
        try:
            for _ in range(2):
                listed = await provider.list_rrsets(by_name, [(APP, "A"), (APP, "AAAA")])
                assert len(listed) == 2
        finally:
            await provider.aclose()

    asyncio.run(case())
    assert fake.count("zones-get") == 1
    assert fake.count(LIST) == 2
    assert all(("type", "A") not in c.query for c in fake.calls if c.operation == LIST)


def test_token_from_env_variable_and_missing_token(
    fake: CloudflareFake, zone: Zone, token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_CF_TOKEN", token)
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)

    async def case() -> None:
        good = CloudflareProvider(
            "cf",
            CloudflareOptions(base_url=fake.base_url, api_token_env="MY_CF_TOKEN"),
            config_dir=tmp_path,
        )
        missing = CloudflareProvider(
            "cf", CloudflareOptions(base_url=fake.base_url), config_dir=tmp_path
        )
        try:
            assert await good.list_rrsets(zone, [(APP, "A")]) == []
            with pytest.raises(ProviderError, match="CLOUDFLARE_API_TOKEN is empty") as info:
                await missing.list_rrsets(zone, [(APP, "A")])
            assert not isinstance(info.value, TransientProviderError)
        finally:
            await good.aclose()
            await missing.aclose()

    asyncio.run(case())


def test_both_token_sources_is_a_config_error() -> None:
    with pytest.raises(ValueError, match="not both"):
        CloudflareOptions(api_token_env="A", api_token_file=Path("b"))


def test_a_ttl_change_patches_in_place(
    fake: CloudflareFake, zone_id: str, zone: Zone, provider_factory: ProviderFactory
) -> None:
    kept = fake.add_record(zone_id, "app", "A", "192.0.2.1", ttl=60, comment="c", tags=["a:b"])

    async def case() -> None:
        provider = provider_factory()
        try:
            live = await provider.list_rrsets(zone, [(APP, "A")])
            await provider.apply(zone, [upsert(RRset.of(APP, "A", 120, ["192.0.2.1"]), live[0])])
            assert provider.api.requests == fake.count() == 2  # the budget saw both
        finally:
            await provider.aclose()

    asyncio.run(case())
    (after,) = fake.records(zone_id, APP, "A")
    assert after["ttl"] == 120
    assert {k: after[k] for k in ("id", "comment", "tags", "created_on")} == {
        k: kept[k] for k in ("id", "comment", "tags", "created_on")
    }


def test_a_cname_failover_is_one_batch_delete_then_post(
    fake: CloudflareFake, zone_id: str, zone: Zone, provider_factory: ProviderFactory
) -> None:
    www = "www.example.test."
    fake.add_record(zone_id, "www", "CNAME", "a.example.net", ttl=60)

    async def case() -> None:
        provider = provider_factory()
        try:
            (live,) = await provider.list_rrsets(zone, [(www, "CNAME")])
            assert live.values == ("a.example.net.",)
            target = RRset.of(www, "CNAME", 60, ["b.example.net."])
            await provider.apply(zone, [upsert(target, live)])
            assert await provider.list_rrsets(zone, [(www, "CNAME")]) == [target]
        finally:
            await provider.aclose()

    asyncio.run(case())
    assert fake.count(BATCH) == 1

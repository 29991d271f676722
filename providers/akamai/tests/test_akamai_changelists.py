"""Writes through change lists: the calls made, the compare-and-swap against out-of-band
writers (before the change list and between it and the submit), leftover change lists (ours
are discarded and retried, someone else's are a conflict and stay), deletes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from failover_sync import ProviderError, RRset, StaleRRsetError, TransientProviderError, Zone
from failover_sync.testing import upsert
from providers.akamai.tests import akhelpers
from providers.akamai.tests.akfake import AkamaiFake, Client, Fault
from providers.akamai.tests.akhelpers import ProviderFactory

APP = "app.example.test."
SUBMIT = "post-changelists-zone-submit"
ADD_CHANGE = "post-changelists-zone-recordsets-add-change"
WRITE_CALLS = [
    "post-changelists",
    "get-changelists-zone-recordsets",
    ADD_CHANGE,
    SUBMIT,
]


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


def test_one_change_list_per_batch(
    fake: AkamaiFake, provider_factory: ProviderFactory, zone: Zone
) -> None:
    first = RRset.of(APP, "A", 60, ["192.0.2.1"])
    marker = RRset.of("_failover-sync." + APP, "TXT", 60, ['"heritage=failover-sync"'])

    async def case() -> None:
        provider = provider_factory()
        try:
            start = len(fake.calls)
            await provider.apply(zone, [upsert(first), upsert(marker)])
            calls = [c.operation for c in fake.calls[start:]]
            assert calls == [*WRITE_CALLS[:3], ADD_CHANGE, SUBMIT]
        finally:
            await provider.aclose()

    run(case())
    assert fake.rrset("example.test", APP, "A") == (60, ("192.0.2.1",))
    assert fake.changelists == {}
    assert fake.zones["example.test"].versions == 2  # one submit, one new version
    assert not any(c.method == "PUT" for c in fake.calls)


def test_delete_removes_the_record_set(
    fake: AkamaiFake, provider_factory: ProviderFactory, zone: Zone
) -> None:
    fake.write("example.test", APP, "A", 60, ["192.0.2.1"])
    live = RRset.of(APP, "A", 60, ["192.0.2.1"])
    gone = RRset.of(APP, "A", 60, [])

    async def case() -> None:
        provider = provider_factory()
        try:
            await provider.apply(zone, [upsert(gone, live)])
            assert await provider.list_rrsets(zone, [live.key]) == []
        finally:
            await provider.aclose()

    run(case())
    assert fake.rrset("example.test", APP, "A") is None


def test_stale_submit_raced_by_an_out_of_band_writer(
    fake: AkamaiFake, provider_factory: ProviderFactory, zone: Zone
) -> None:
    fake.write("example.test", APP, "A", 60, ["192.0.2.1"])
    live = RRset.of(APP, "A", 60, ["192.0.2.1"])
    # Someone edits the record set after our change list was built, before our submit.
    fake.before(SUBMIT, lambda: fake.write("example.test", APP, "A", 300, ["198.51.100.9"]))

    async def case() -> None:
        provider = provider_factory()
        try:
            with pytest.raises(StaleRRsetError) as info:
                await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.2"]), live)])
            assert "example.test" in str(info.value)
        finally:
            await provider.aclose()

    run(case())
    assert fake.rrset("example.test", APP, "A") == (300, ("198.51.100.9",))
    assert fake.changelists == {}  # ours was discarded
    assert fake.count("delete-changelists-zone") == 1


def test_a_write_between_read_and_change_list_is_caught(
    fake: AkamaiFake, provider_factory: ProviderFactory, zone: Zone
) -> None:
    """The change list is based on the newest version, so the submit cannot see a write made
    before it existed: the record sets are checked against ``Change.before`` in it."""
    fake.before(
        "post-changelists", lambda: fake.write("example.test", APP, "A", 60, ["198.51.100.9"])
    )

    async def case() -> None:
        provider = provider_factory()
        try:
            assert await provider.list_rrsets(zone, [(APP, "A")]) == []
            with pytest.raises(StaleRRsetError, match="changed since it was read"):
                await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.1"]))])
        finally:
            await provider.aclose()

    run(case())
    assert fake.rrset("example.test", APP, "A") == (60, ("198.51.100.9",))
    assert fake.count(ADD_CHANGE) == 0
    assert fake.count(SUBMIT) == 0


def test_the_controller_replans_after_a_stale_submit(fake: AkamaiFake, tmp_path: Path) -> None:
    """Failover raced by someone adding an unrelated record: the first submit is stale, the
    second attempt re-reads, re-plans and submits; the unrelated record stays."""
    client = fake.add_client()
    edgerc = akhelpers.write_edgerc(tmp_path / "edgerc", client, host="unused.test")
    records = (
        "  app.example.test:\n    type: A\n    records: [{value: 192.0.2.1}, {value: 192.0.2.2}]\n"
    )
    text = akhelpers.config_yaml(fake.base_url, records, credentials=f", edgerc: {edgerc}")
    config = akhelpers.load(text, tmp_path)
    fake.write("example.test", APP, "A", 60, ["192.0.2.1"])
    other = "other.example.test"
    fake.before(SUBMIT, lambda: fake.write("example.test", other, "A", 300, ["198.51.100.7"]))

    async def case() -> None:
        ctl = akhelpers.controller(config)
        try:
            await ctl.presume_health()
            akhelpers.set_health(ctl, "192.0.2.1", False)
            akhelpers.set_health(ctl, "192.0.2.2", True)
            outcome = await ctl.reconcile_zone(akhelpers.only_zone(ctl))
            assert outcome.error is None
            assert outcome.applied
        finally:
            await akhelpers.close(ctl)

    run(case())
    assert fake.rrset("example.test", APP, "A") == (60, ("192.0.2.2",))
    assert fake.rrset("example.test", other, "A") == (300, ("198.51.100.7",))
    assert fake.count(SUBMIT) == 2
    assert [c.status for c in fake.calls if c.operation == SUBMIT] == [409, 204]


def test_our_leftover_change_list_is_discarded_and_retried(
    fake: AkamaiFake, client: Client, provider_factory: ProviderFactory, zone: Zone
) -> None:
    """A crash after staging leaves our change list: it changes only a managed record set."""
    crashed = {"name": "app.example.test", "type": "A", "op": "ADD", "ttl": 60}
    fake.stage("example.test", client, [{**crashed, "rdata": ["192.0.2.9"]}])

    async def case() -> None:
        provider = provider_factory()
        try:
            assert await provider.list_rrsets(zone, [(APP, "A")]) == []
            await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.1"]))])
        finally:
            await provider.aclose()

    run(case())
    assert fake.rrset("example.test", APP, "A") == (60, ("192.0.2.1",))
    assert fake.count("get-changelists-zone-diff") == 1
    assert fake.count("delete-changelists-zone") == 1
    assert fake.count("post-changelists") == 2
    assert fake.changelists == {}


def test_someone_elses_change_list_is_a_conflict_and_stays(
    fake: AkamaiFake, client: Client, provider_factory: ProviderFactory, zone: Zone
) -> None:
    """A colleague using the same API client has a draft editing another record set."""
    draft = {"name": "www.example.test", "type": "A", "op": "ADD", "ttl": 300}
    staged = fake.stage("example.test", client, [{**draft, "rdata": ["198.51.100.1"]}])

    async def case() -> None:
        provider = provider_factory()
        try:
            with pytest.raises(ProviderError) as info:
                await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.1"]))])
            assert not isinstance(info.value, TransientProviderError)
            message = str(info.value)
            assert "did not create" in message
            assert "www.example.test." in message
            assert client.client_secret not in message
        finally:
            await provider.aclose()

    run(case())
    assert fake.changelists == {(client.client_token, "example.test"): staged}
    assert staged.staged  # the colleague's change is still staged
    assert fake.rrset("example.test", APP, "A") is None
    assert fake.count("delete-changelists-zone") == 0
    assert fake.count(ADD_CHANGE) == 0


def test_a_failed_add_change_discards_our_change_list(
    fake: AkamaiFake, provider_factory: ProviderFactory, zone: Zone
) -> None:
    fake.fail_next(Fault(503, "Service Unavailable", operation=ADD_CHANGE))

    async def case() -> None:
        provider = provider_factory()
        try:
            with pytest.raises(TransientProviderError, match="HTTP 503"):
                await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.1"]))])
        finally:
            await provider.aclose()

    run(case())
    assert fake.changelists == {}
    assert fake.rrset("example.test", APP, "A") is None


def test_a_create_of_a_record_set_that_exists_is_refused(
    fake: AkamaiFake, provider_factory: ProviderFactory, zone: Zone
) -> None:
    """A change planned from "absent" (``before == ()``, written as ADD) over a record set
    that exists is refused before anything is staged."""

    async def case() -> None:
        provider = provider_factory()
        try:
            await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.1"]))])
            again = upsert(RRset.of(APP, "A", 60, ["192.0.2.3"]))  # planned as absent
            with pytest.raises(StaleRRsetError):
                await provider.apply(zone, [again])
        finally:
            await provider.aclose()

    run(case())
    assert fake.rrset("example.test", APP, "A") == (60, ("192.0.2.1",))

"""No conditional writes in this API: the adapter reads again right before writing and refuses
to overwrite a value that changed since the plan. The window between that re-read and the
writes is not covered; these tests pin down what happens then, as the README says."""

from __future__ import annotations

import pytest
from failover_sync_dnsmadeeasy import DnsMadeEasyProvider

from failover_sync import RRset, StaleRRsetError
from failover_sync.model import Zone
from failover_sync.testing import upsert
from providers.dnsmadeeasy.tests.dmefake import DnsMadeEasyFake
from providers.dnsmadeeasy.tests.dmehelpers import ProviderFactory, with_provider

APP = "app.example.test."
NEW = RRset.of(APP, "A", 60, ["192.0.2.2"])


@pytest.fixture
def published(fake: DnsMadeEasyFake, domain_id: int) -> int:
    return fake.add_record(domain_id, "app", "A", "192.0.2.1", ttl=60)


def test_edit_between_plan_and_write_is_refused_and_nothing_is_written(
    fake: DnsMadeEasyFake,
    domain_id: int,
    zone: Zone,
    provider_factory: ProviderFactory,
    published: int,
) -> None:
    async def body(provider: DnsMadeEasyProvider) -> None:
        (planned,) = await provider.list_rrsets(zone, [(APP, "A")])
        fake.add_record(domain_id, "app", "A", "198.51.100.9", ttl=60)  # an operator's edit
        start = len(fake.calls)
        with pytest.raises(StaleRRsetError) as info:
            await provider.apply(zone, [upsert(NEW, planned)])
        assert "app.example.test. A in domain example.test." in str(info.value)
        assert "198.51.100.9" in str(info.value)
        assert [c.route for c in fake.calls[start:]] == ["records-list"]

    with_provider(provider_factory, body)
    assert fake.values(domain_id, "app", "A") == ["192.0.2.1", "198.51.100.9"]


def test_deleted_since_the_plan_is_refused(
    fake: DnsMadeEasyFake,
    domain_id: int,
    zone: Zone,
    provider_factory: ProviderFactory,
    published: int,
) -> None:
    async def body(provider: DnsMadeEasyProvider) -> None:
        (planned,) = await provider.list_rrsets(zone, [(APP, "A")])
        fake.delete_record(domain_id, published)
        with pytest.raises(StaleRRsetError):
            await provider.apply(zone, [upsert(NEW, planned)])

    with_provider(provider_factory, body)
    assert fake.values(domain_id, "app", "A") == []


def test_value_added_after_the_reread_is_not_detected_and_stays(
    fake: DnsMadeEasyFake,
    domain_id: int,
    zone: Zone,
    provider_factory: ProviderFactory,
    published: int,
) -> None:
    """The unprotected window: a value added between the re-read and createMulti survives
    this write (the next resync plans it away, ownership permitting)."""

    async def body(provider: DnsMadeEasyProvider) -> None:
        (planned,) = await provider.list_rrsets(zone, [(APP, "A")])
        fake.before_next(
            "records-createMulti",
            lambda: fake.add_record(domain_id, "app", "A", "198.51.100.9", ttl=60),
        )
        await provider.apply(zone, [upsert(NEW, planned)])

    with_provider(provider_factory, body)
    assert fake.values(domain_id, "app", "A") == ["192.0.2.2", "198.51.100.9"]


def test_same_value_added_after_the_reread_is_a_conflict(
    fake: DnsMadeEasyFake,
    domain_id: int,
    zone: Zone,
    provider_factory: ProviderFactory,
    published: int,
) -> None:
    """The API refuses a duplicate (type, name, value): that 400 is a stale read, so the
    leaving value is not deleted in this attempt and the name is never empty."""

    async def body(provider: DnsMadeEasyProvider) -> None:
        (planned,) = await provider.list_rrsets(zone, [(APP, "A")])
        fake.before_next(
            "records-createMulti",
            lambda: fake.add_record(domain_id, "app", "A", "192.0.2.2", ttl=60),
        )
        with pytest.raises(StaleRRsetError, match="Duplicate name and value"):
            await provider.apply(zone, [upsert(NEW, planned)])

    with_provider(provider_factory, body)
    assert fake.values(domain_id, "app", "A") == ["192.0.2.1", "192.0.2.2"]


def test_record_deleted_after_the_reread_makes_the_delete_stale(
    fake: DnsMadeEasyFake,
    domain_id: int,
    zone: Zone,
    provider_factory: ProviderFactory,
    published: int,
) -> None:
    async def body(provider: DnsMadeEasyProvider) -> None:
        (planned,) = await provider.list_rrsets(zone, [(APP, "A")])
        fake.before_next("records-delete", lambda: fake.delete_record(domain_id, published))
        with pytest.raises(StaleRRsetError, match="deleted since it was read"):
            await provider.apply(zone, [upsert(NEW, planned)])

    with_provider(provider_factory, body)
    assert fake.values(domain_id, "app", "A") == ["192.0.2.2"]

"""Answers that are not the documented shape are permanent MalformedAnswer errors, never an
empty RRset: a proxy's HTML page, truncated JSON, wrong types, another domain's records."""

from __future__ import annotations

import json
import re

import pytest
from failover_sync_dnsmadeeasy import DnsMadeEasyProvider

from failover_sync import MalformedAnswer, RRset, TransientProviderError
from failover_sync.model import Zone
from failover_sync.testing import upsert
from providers.dnsmadeeasy.tests.dmefake import DnsMadeEasyFake, Fault
from providers.dnsmadeeasy.tests.dmehelpers import ProviderFactory, with_provider

APP = "app.example.test."
RECORD = {"id": 1, "name": "app", "type": "A", "value": "192.0.2.1", "ttl": 60}


def envelope(data: object, page: object = 0, total: object = 1) -> bytes:
    return json.dumps({"data": data, "page": page, "totalPages": total}).encode()


LISTINGS = {
    "html page": b"<html><body>Service temporarily unavailable</body></html>",
    "empty body": b"",
    "truncated": b'{"data": [{"id": 1, "name": "app"',
    "no data": b'{"page": 0, "totalPages": 1}',
    "empty object": b"{}",
    "data not a list": envelope({}),
    "page not a number": envelope([RECORD], page="0"),
    "record without id": envelope([{k: v for k, v in RECORD.items() if k != "id"}]),
    "absolute record name": envelope([{**RECORD, "name": "app.example.test."}]),
    "another domain's record": envelope([{**RECORD, "sourceId": 999}]),
    "absurd page count": envelope([RECORD], total=10**9),
}


@pytest.mark.parametrize("body", LISTINGS.values(), ids=LISTINGS.keys())
def test_malformed_listing_is_permanent_not_empty(
    fake: DnsMadeEasyFake,
    domain_id: int,
    zone: Zone,
    provider_factory: ProviderFactory,
    body: bytes,
) -> None:
    fake.add_record(domain_id, "app", "A", "192.0.2.1")
    fake.fail_next(Fault(200, body, route="records-list"))

    async def run(provider: DnsMadeEasyProvider) -> None:
        with pytest.raises(MalformedAnswer) as info:
            await provider.list_rrsets(zone, [(APP, "A")])
        assert not isinstance(info.value, TransientProviderError)
        assert "record listing of app.example.test. A in domain example.test." in str(info.value)

    with_provider(provider_factory, run)


def test_page_that_does_not_match_the_one_asked_for(
    fake: DnsMadeEasyFake, domain_id: int, zone: Zone, provider_factory: ProviderFactory
) -> None:
    for i in range(3):
        fake.add_record(domain_id, f"h{i}", "A", "192.0.2.1")
    fake.default_rows = 2  # two pages
    fake.fail_next(Fault(200, envelope([], page=0, total=2), route="records-list"))
    fake.fail_next(Fault(200, envelope([], page=0, total=2), route="records-list"))

    async def run(provider: DnsMadeEasyProvider) -> None:
        with pytest.raises(MalformedAnswer, match="asked for page 1 of 2, got page 0"):
            await provider.list_rrsets(zone, [("h0.example.test.", "A")])

    with_provider(provider_factory, run)


def test_domain_lookup_answering_another_domain(
    fake: DnsMadeEasyFake, zone: Zone, provider_factory: ProviderFactory
) -> None:
    fake.fail_next(Fault(200, b'{"id": 5, "name": "example.org"}', route="domain-by-name"))

    async def run(provider: DnsMadeEasyProvider) -> None:
        expected = re.escape("domain lookup in domain example.test.")
        with pytest.raises(MalformedAnswer, match=expected):
            await provider.list_rrsets(zone, [(APP, "A")])

    with_provider(provider_factory, run)


@pytest.mark.parametrize("body", [b"{}", b"[]", b'[{"id": "7"}]', b"<html></html>"])
def test_malformed_create_answer_stops_before_any_delete(
    fake: DnsMadeEasyFake,
    domain_id: int,
    zone: Zone,
    provider_factory: ProviderFactory,
    body: bytes,
) -> None:
    fake.add_record(domain_id, "app", "A", "192.0.2.1", ttl=60)
    fake.fail_next(Fault(201, body, route="records-createMulti"))

    async def run(provider: DnsMadeEasyProvider) -> None:
        (before,) = await provider.list_rrsets(zone, [(APP, "A")])
        with pytest.raises(MalformedAnswer, match=re.escape("createMulti of app.example.test. A")):
            await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.2"]), before)])

    with_provider(provider_factory, run)
    assert fake.count("records-delete") == 0
    assert fake.values(domain_id, "app", "A") == ["192.0.2.1"]

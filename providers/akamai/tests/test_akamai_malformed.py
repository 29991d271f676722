"""Answers outside the API's documented shape are permanent MalformedAnswer errors, never
"no record sets": the zone keeps its records and nothing is written."""

from __future__ import annotations

import asyncio
import json

import pytest

from failover_sync import MalformedAnswer, ProviderError, RRset, TransientProviderError, Zone
from failover_sync.testing import upsert
from providers.akamai.tests.akfake import AkamaiFake, Fault
from providers.akamai.tests.akhelpers import ProviderFactory

APP = "app.example.test."
LIST = "get-zones-zone-recordsets"
META = {"zone": "example.test", "page": 1, "pageSize": 100, "totalElements": 1, "types": ["A"]}
RECORD = {"name": "app.example.test", "type": "A", "ttl": 60, "rdata": ["192.0.2.1"]}


def body(**changes: object) -> bytes:
    answer: dict[str, object] = {"metadata": dict(META), "recordsets": [dict(RECORD)]}
    answer.update(changes)
    return json.dumps(answer).encode()


MALFORMED = {
    "html page": (b"<html><body>Gateway</body></html>", "text/html"),
    "truncated json": (body()[:40], "application/json"),
    "not an object": (b"[]", "application/json"),
    "recordsets not a list": (body(recordsets={"a": 1}), "application/json"),
    "no metadata": (body(metadata=None), "application/json"),
    "record without rdata": (
        body(recordsets=[{k: v for k, v in RECORD.items() if k != "rdata"}]),
        "application/json",
    ),
    "ttl as text": (body(recordsets=[{**RECORD, "ttl": "60"}]), "application/json"),
    "empty rdata": (body(recordsets=[{**RECORD, "rdata": []}]), "application/json"),
    "another zone": (body(metadata={**META, "zone": "other.test"}), "application/json"),
    "wrong page": (body(metadata={**META, "page": 2}), "application/json"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_listing_is_permanent_and_never_empty(
    fake: AkamaiFake, provider_factory: ProviderFactory, zone: Zone, case: str
) -> None:
    fake.write("example.test", APP, "A", 60, ["192.0.2.1"])
    raw, kind = MALFORMED[case]
    fake.fail_next(Fault(200, operation=LIST, raw=raw, content_type=kind))

    async def run() -> None:
        provider = provider_factory()
        try:
            with pytest.raises(MalformedAnswer) as info:
                await provider.list_rrsets(zone, [(APP, "A")])
            assert not isinstance(info.value, TransientProviderError)
            assert info.value.zone == zone.name
            assert await provider.list_rrsets(zone, [(APP, "A")]) == [
                RRset.of(APP, "A", 60, ["192.0.2.1"])
            ]
        finally:
            await provider.aclose()

    asyncio.run(run())
    assert fake.rrset("example.test", APP, "A") == (60, ("192.0.2.1",))


def test_pages_short_of_the_announced_total_are_malformed(
    fake: AkamaiFake, provider_factory: ProviderFactory, zone: Zone
) -> None:
    """Page 1 announces 3 record sets, page 2 is empty: never read as a complete zone."""
    fake.fail_next(Fault(200, operation=LIST, raw=body(metadata={**META, "totalElements": 3})))
    empty = body(metadata={**META, "page": 2, "totalElements": 3}, recordsets=[])
    fake.fail_next(Fault(200, operation=LIST, raw=empty))

    async def run() -> None:
        provider = provider_factory()
        try:
            with pytest.raises(MalformedAnswer, match="1 record sets on the pages, 3 announced"):
                await provider.list_rrsets(zone, [(APP, "A")])
        finally:
            await provider.aclose()

    asyncio.run(run())
    assert fake.count(LIST) == 2


def test_html_error_page_with_5xx_is_transient(
    fake: AkamaiFake, provider_factory: ProviderFactory, zone: Zone
) -> None:
    fake.fail_next(
        Fault(502, operation=LIST, raw=b"<html>Bad gateway</html>", content_type="text/html")
    )

    async def run() -> None:
        provider = provider_factory()
        try:
            with pytest.raises(TransientProviderError, match="HTTP 502"):
                await provider.list_rrsets(zone, [(APP, "A")])
        finally:
            await provider.aclose()

    asyncio.run(run())


def test_malformed_change_list_answer_writes_nothing(
    fake: AkamaiFake, provider_factory: ProviderFactory, zone: Zone
) -> None:
    fake.fail_next(Fault(201, operation="post-changelists", raw=b"{}"))

    async def run() -> None:
        provider = provider_factory()
        try:
            with pytest.raises(ProviderError, match="zoneVersionId"):
                await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.1"]))])
        finally:
            await provider.aclose()

    asyncio.run(run())
    assert fake.count("post-changelists-zone-submit") == 0
    assert fake.rrset("example.test", APP, "A") is None


def test_malformed_diff_of_a_leftover_is_permanent(
    fake: AkamaiFake, provider_factory: ProviderFactory, zone: Zone
) -> None:
    client = next(iter(fake.clients.values()))
    fake.stage("example.test", client, [])
    fake.fail_next(Fault(200, operation="get-changelists-zone-diff", raw=b'{"diffs": 3}'))

    async def run() -> None:
        provider = provider_factory()
        try:
            with pytest.raises(MalformedAnswer, match="diffs"):
                await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.1"]))])
        finally:
            await provider.aclose()

    asyncio.run(run())
    assert fake.count("delete-changelists-zone") == 0

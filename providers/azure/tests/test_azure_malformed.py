"""Malformed answers are permanent errors (MalformedAnswer), never "no records": an HTML
page with 200, wrong shapes, another zone's (or name's, or type's) record sets, a nextLink
loop or to another host, a page without ``value``."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest

from failover_sync import MalformedAnswer
from failover_sync.model import RRset, Zone
from failover_sync.testing import upsert
from providers.azure.tests.azfake import AzureDnsFake, FakeZone, Fault
from providers.azure.tests.azhelpers import ProviderFactory

APP = "app.example.test."
LIST = "RecordSets_ListByType"
GET = "RecordSets_Get"


def record_set(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/dnszones/"
        "example.test/A/app",
        "name": "app",
        "type": "Microsoft.Network/dnszones/A",
        "etag": "e1",
        "properties": {
            "TTL": 60,
            "fqdn": "app.example.test.",
            "ARecords": [{"ipv4Address": "192.0.2.1"}],
        },
    }
    base.update(changes)
    return base


def page(*items: dict[str, Any], **extra: Any) -> bytes:
    return json.dumps({"value": list(items), **extra}).encode()


def listed(fake: AzureDnsFake, provider_factory: ProviderFactory, zone: Zone, **opts: Any) -> Any:
    async def case() -> Any:
        provider = provider_factory(**opts)
        try:
            return await provider.list_rrsets(zone, [(APP, "A")])
        finally:
            await provider.aclose()

    return asyncio.run(case())


CASES = {
    "html with 200": (b"<html><body>Sign in to continue</body></html>", "text/html"),
    "truncated json": (b'{"value": [{"id": ', "application/json"),
    "value not an array": (json.dumps({"value": {"a": 1}}).encode(), "application/json"),
    "no value at all": (b"{}", "application/json"),
    "ttl not a number": (page(record_set(properties={"TTL": "sixty"})), "application/json"),
    "address not an address": (
        page(record_set(properties={"TTL": 60, "ARecords": [{"ipv4Address": "a.b.c.d"}]})),
        "application/json",
    ),
    "ipv6 in an A record": (
        page(record_set(properties={"TTL": 60, "ARecords": [{"ipv4Address": "2001:db8::1"}]})),
        "application/json",
    ),
    "no etag": (page(record_set(etag=None)), "application/json"),
    "another zone's id": (
        page(
            record_set(
                id="/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/"
                "dnszones/other.test/A/app"
            )
        ),
        "application/json",
    ),
    "another zone's fqdn": (
        page(record_set(properties={"TTL": 60, "fqdn": "app.other.test.", "ARecords": []})),
        "application/json",
    ),
    "another type in a listing by type": (
        page(record_set(type="Microsoft.Network/dnszones/TXT")),
        "application/json",
    ),
    "listed twice": (page(record_set(), record_set()), "application/json"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_listing_is_permanent_never_empty(
    fake: AzureDnsFake,
    fake_zone: FakeZone,
    provider_factory: ProviderFactory,
    zone: Zone,
    case: str,
) -> None:
    body, content_type = CASES[case]
    fake.fail_next(Fault(200, raw=body, content_type=content_type, operation=LIST))
    with pytest.raises(MalformedAnswer) as info:
        listed(fake, provider_factory, zone)
    assert "example.test" in str(info.value)


def test_get_answering_another_name_is_malformed(
    fake: AzureDnsFake, fake_zone: FakeZone, provider_factory: ProviderFactory, zone: Zone
) -> None:
    other = record_set(
        name="www",
        id="/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/dnszones/"
        "example.test/A/www",
        properties={"TTL": 60, "fqdn": "www.example.test.", "ARecords": []},
    )
    fake.fail_next(Fault(200, raw=json.dumps(other).encode(), operation=GET))
    with pytest.raises(MalformedAnswer, match="answered 'www'"):
        listed(fake, provider_factory, zone, read="get")


def test_next_link_loop_is_malformed(
    fake: AzureDnsFake, fake_zone: FakeZone, provider_factory: ProviderFactory, zone: Zone
) -> None:
    loop = page(record_set(), nextLink=f"{fake.base_url}{fake_zone.path}/A?$skiptoken=0")
    fake.fail_next(Fault(200, raw=loop, operation=LIST, count=10))
    with pytest.raises(MalformedAnswer, match="more than 3 pages"):
        listed(fake, provider_factory, zone, max_pages=3)


def test_next_link_to_another_host_is_not_followed(
    fake: AzureDnsFake, fake_zone: FakeZone, provider_factory: ProviderFactory, zone: Zone
) -> None:
    """The token would go with it: refused before sending."""
    elsewhere = page(nextLink="https://127.0.0.2:9/steal?$skiptoken=1")
    fake.fail_next(Fault(200, raw=elsewhere, operation=LIST))
    with pytest.raises(MalformedAnswer, match=re.escape("nextLink points to https://127.0.0.2:9")):
        listed(fake, provider_factory, zone)
    assert fake.count() == 1


def test_malformed_answer_to_a_write_is_permanent_and_the_zone_is_reread(
    fake: AzureDnsFake, fake_zone: FakeZone, provider_factory: ProviderFactory, zone: Zone
) -> None:
    fake.fail_next(
        Fault(
            200,
            raw=b"<html>proxy</html>",
            content_type="text/html",
            operation="RecordSets_CreateOrUpdate",
        )
    )

    async def case() -> None:
        provider = provider_factory()
        try:
            with pytest.raises(MalformedAnswer):
                await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.1"]))])
        finally:
            await provider.aclose()

    asyncio.run(case())

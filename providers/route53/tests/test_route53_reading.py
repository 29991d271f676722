"""Paging over ListResourceRecordSets (real moto and a scripted fake), zone lookup by name."""

from __future__ import annotations

import asyncio
from typing import Any, cast

import pytest
from failover_sync_route53 import reading
from failover_sync_route53.client import Route53API
from failover_sync_route53.testing import FaultProxy

from failover_sync import ProviderError, RRset, Zone
from failover_sync.testing import upsert

from .conftest import create_zone, provider_for


def put(r53: Any, zone_id: str, records: list[dict[str, Any]]) -> None:
    for start in range(0, len(records), 400):
        r53.change_resource_record_sets(
            HostedZoneId=zone_id,
            ChangeBatch={
                "Changes": [
                    {"Action": "UPSERT", "ResourceRecordSet": r}
                    for r in records[start : start + 400]
                ]
            },
        )


def a_record(name: str, value: str, **extra: Any) -> dict[str, Any]:
    return {"Name": name, "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": value}], **extra}


class ScriptedPages:
    """A fake ListResourceRecordSets that serves scripted pages and records the requests."""

    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self.pages = pages
        self.requests: list[dict[str, str]] = []

    def list_resource_record_sets(self, **kwargs: str) -> dict[str, Any]:
        self.requests.append(kwargs)
        return self.pages[len(self.requests) - 1]


def test_paging_follows_next_record_identifier() -> None:
    fake = ScriptedPages(
        [
            {
                "ResourceRecordSets": [{"Name": "a.", "Type": "A", "SetIdentifier": "1"}],
                "IsTruncated": True,
                "NextRecordName": "a.",
                "NextRecordType": "A",
                "NextRecordIdentifier": "2",
            },
            {"ResourceRecordSets": [{"Name": "a.", "Type": "A", "SetIdentifier": "2"}]},
        ]
    )
    got = list(reading.pages(cast(Route53API, fake), "Z1"))
    assert [p[0]["SetIdentifier"] for p in got] == ["1", "2"]
    assert fake.requests[1]["StartRecordIdentifier"] == "2"
    assert "StartRecordIdentifier" not in fake.requests[0]


def test_a_repeated_page_is_an_error_not_a_loop() -> None:
    page = {
        "ResourceRecordSets": [{"Name": "a.", "Type": "A"}],
        "IsTruncated": True,
        "NextRecordName": "a.",
        "NextRecordType": "A",
    }
    fake = ScriptedPages([page, page, page])
    with pytest.raises(ProviderError, match="same next record"):
        list(reading.pages(cast(Route53API, fake), "Z1"))
    assert len(fake.requests) == 2


def test_page_cap() -> None:
    pages = [
        {
            "ResourceRecordSets": [],
            "IsTruncated": True,
            "NextRecordName": f"n{i}.",
            "NextRecordType": "A",
        }
        for i in range(5)
    ]
    with pytest.raises(ProviderError, match="more than 3 pages"):
        list(reading.pages(cast(Route53API, ScriptedPages(pages)), "Z1", max_pages=3))


def test_moto_weighted_group_larger_than_a_page_hits_the_guard(r53: Any, zone: Zone) -> None:
    zone_id = str(zone.options["hosted_zone_id"])
    name = f"w.{zone.name}"
    put(
        r53,
        zone_id,
        [
            a_record(name, f"192.0.2.{i}", SetIdentifier=f"192.0.2.{i}", Weight=1)
            for i in range(1, 6)
        ],
    )
    client = cast(Route53API, r53)
    with pytest.raises(ProviderError, match="NextRecordIdentifier"):
        list(reading.pages(client, zone_id, (name, "A"), page_size=2))


def test_whole_zone_across_pages_then_per_key_reads(
    r53: Any, zone: Zone, proxy: FaultProxy
) -> None:
    zone_id = str(zone.options["hosted_zone_id"])
    names = [f"h{i:03d}.{zone.name}" for i in range(650)]
    put(r53, zone_id, [a_record(n, f"10.0.{i // 256}.{i % 256}") for i, n in enumerate(names)])

    async def case() -> None:
        provider = provider_for(proxy.url)
        try:
            keys = [(n, "A") for n in names]
            listed = await provider.list_rrsets(zone, keys)
            assert len(listed) == 650
            assert proxy.count("ListResourceRecordSets") == 3  # 652 records / 300
            proxy.reset()
            few = await provider.list_rrsets(zone, [*keys[:2], (f"absent.{zone.name}", "A")])
            assert few == [
                RRset.of(names[0], "A", 60, ["10.0.0.0"]),
                RRset.of(names[1], "A", 60, ["10.0.0.1"]),
            ]
            assert proxy.count("ListResourceRecordSets") == 3  # one per key: fewer than pages
        finally:
            await provider.aclose()

    asyncio.run(case())


def test_choose_zone_rules() -> None:
    public = {"Id": "/hostedzone/ZPUB", "Name": "example.com.", "Config": {"PrivateZone": False}}
    private = {"Id": "/hostedzone/ZPRIV", "Name": "example.com.", "Config": {"PrivateZone": True}}
    other = {"Id": "/hostedzone/ZOTHER", "Name": "example.net.", "Config": {}}
    assert reading.choose_zone([public, other], "example.com.", None) == ("ZPUB", None)
    found, reason = reading.choose_zone([public, private], "example.com.", None)
    assert found is None
    assert reason is not None
    assert "ZPUB (public)" in reason
    assert "ZPRIV (private)" in reason
    assert reading.choose_zone([public, private], "example.com.", True) == ("ZPRIV", None)
    assert reading.choose_zone([public, private], "example.com.", False) == ("ZPUB", None)
    assert reading.choose_zone([other], "example.com.", None)[1] == (
        "no hosted zone named example.com. in this account"
    )


def test_zone_found_by_name_and_ambiguity_refused(r53: Any, moto_url: str) -> None:
    name = "lookup.example.test."
    public_id = create_zone(r53, name)
    app = f"app.{name}"

    async def case() -> None:
        provider = provider_for(moto_url)
        try:
            zone = Zone(name, "aws", {})
            rrset = RRset.of(app, "A", 60, ["192.0.2.1"])
            await provider.apply(zone, [upsert(rrset)])
            assert await provider.zone_id(zone) == public_id
        finally:
            await provider.aclose()
        private_id = create_zone(r53, name, private=True)
        provider = provider_for(moto_url)
        try:
            with pytest.raises(ProviderError, match="2 hosted zones are named") as info:
                await provider.list_rrsets(Zone(name, "aws", {}), [(app, "A")])
            assert public_id in str(info.value)
            assert private_id in str(info.value)
            assert await provider.zone_id(Zone(name, "aws", {"private_zone": True})) == private_id
        finally:
            await provider.aclose()
        provider = provider_for(moto_url, private_zone=False)
        try:
            assert await provider.zone_id(Zone(name, "aws", {})) == public_id
            with pytest.raises(ProviderError, match="no public hosted zone named nothing"):
                await provider.zone_id(Zone("nothing.example.test.", "aws", {}))
        finally:
            await provider.aclose()

    asyncio.run(case())

"""The adapter against moto over real HTTP: large applies, weighted records, records it does
not own, waiting for INSYNC."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from failover_sync_route53.testing import FaultProxy

from failover_sync import ProviderError, RRset, Zone
from failover_sync.testing import upsert

from .conftest import provider_for


def run(fn: Callable[[], Awaitable[None]]) -> None:
    async def main() -> None:
        await fn()

    asyncio.run(main())


def raw(r53: Any, zone: Zone, name: str) -> list[dict[str, Any]]:
    """The records moto holds at ``name`` (any type), as boto3 returns them."""
    pages = r53.get_paginator("list_resource_record_sets").paginate(
        HostedZoneId=zone.options["hosted_zone_id"]
    )
    return [r for p in pages for r in p["ResourceRecordSets"] if r["Name"] == name]


def test_large_apply_uses_the_fewest_batches(zone: Zone, proxy: FaultProxy) -> None:
    count = 1200
    rrsets = [
        RRset.of(f"h{i}.{zone.name}", "A", 60, [f"10.0.{i // 256}.{i % 256}"]) for i in range(count)
    ]

    async def case() -> None:
        provider = provider_for(proxy.url)
        try:
            # New RRsets are CREATEs (counted once), replacing them UPSERTs (counted twice).
            await provider.apply(zone, [upsert(r) for r in rrsets])
            assert proxy.count("ChangeResourceRecordSets") == math.ceil(count / 1000) == 2
            moved = [RRset.of(r.name, "A", 30, r.values) for r in rrsets]
            await provider.apply(zone, [upsert(m, r) for m, r in zip(moved, rrsets, strict=True)])
            assert proxy.count("ChangeResourceRecordSets") == 2 + math.ceil(2 * count / 1000)
            listed = await provider.list_rrsets(zone, [r.key for r in rrsets])
            assert sorted(listed, key=lambda r: r.key) == sorted(moved, key=lambda r: r.key)
        finally:
            await provider.aclose()

    run(case)


def test_weighted_records_are_upserted_and_parked(r53: Any, zone: Zone, moto_url: str) -> None:
    name = f"www.{zone.name}"
    all_three = RRset.of(
        name,
        "A",
        30,
        ["192.0.2.1", "192.0.2.2", "192.0.2.3"],
        weights={"192.0.2.1": 3, "192.0.2.2": 1, "192.0.2.3": 1},
    )
    two = RRset.of(
        name, "A", 30, ["192.0.2.1", "192.0.2.3"], weights={"192.0.2.1": 3, "192.0.2.3": 1}
    )

    async def case() -> None:
        provider = provider_for(moto_url)
        try:
            await provider.apply(zone, [upsert(all_three)])
            assert await provider.list_rrsets(zone, [all_three.key]) == [all_three]
            records = raw(r53, zone, name)
            assert sorted((r["SetIdentifier"], r["Weight"]) for r in records) == [
                ("192.0.2.1", 3),
                ("192.0.2.2", 1),
                ("192.0.2.3", 1),
            ]
            await provider.apply(zone, [upsert(two, all_three)])
            assert await provider.list_rrsets(zone, [two.key]) == [two]
            parked = {r["SetIdentifier"]: r["Weight"] for r in raw(r53, zone, name)}
            assert parked == {"192.0.2.1": 3, "192.0.2.2": 0, "192.0.2.3": 1}
            await provider.apply(zone, [upsert(all_three, two)])
            assert await provider.list_rrsets(zone, [all_three.key]) == [all_three]
        finally:
            await provider.aclose()

    run(case)


def test_records_it_does_not_own_are_never_touched(r53: Any, zone: Zone, moto_url: str) -> None:
    alias, routed, mine = (f"{n}.{zone.name}" for n in ("alias", "routed", "mine"))
    zone_id = zone.options["hosted_zone_id"]
    foreign = [
        {
            "Name": alias,
            "Type": "A",
            "AliasTarget": {
                "HostedZoneId": zone_id,
                "DNSName": f"target.{zone.name}",
                "EvaluateTargetHealth": False,
            },
        },
        {
            "Name": routed,
            "Type": "A",
            "TTL": 60,
            "SetIdentifier": "primary",
            "Failover": "PRIMARY",
            "ResourceRecords": [{"Value": "198.51.100.1"}],
        },
    ]
    r53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": r} for r in foreign]},
    )
    before = {n: raw(r53, zone, n) for n in (alias, routed)}

    async def case() -> None:
        provider = provider_for(moto_url)
        try:
            wanted = [RRset.of(n, "A", 60, ["192.0.2.1"]) for n in (alias, routed, mine)]
            assert await provider.list_rrsets(zone, [w.key for w in wanted]) == []
            with pytest.raises(ProviderError, match="not owned by failover-sync") as info:
                await provider.apply(zone, [upsert(w) for w in wanted])
            assert "an alias record" in str(info.value)
            assert "a Failover routing record" in str(info.value)
            assert await provider.list_rrsets(zone, [w.key for w in wanted]) == [wanted[2]]
        finally:
            await provider.aclose()

    run(case)
    assert {n: raw(r53, zone, n) for n in (alias, routed)} == before


def test_wait_for_sync_polls_get_change(zone: Zone, proxy: FaultProxy) -> None:
    async def case() -> None:
        provider = provider_for(proxy.url, wait_for_sync=True, sync_poll_seconds=0.05)
        try:
            await provider.apply(
                zone, [upsert(RRset.of(f"app.{zone.name}", "A", 60, ["192.0.2.1"]))]
            )
            assert proxy.count("ChangeResourceRecordSets") == 1
            assert proxy.count("GetChange") == 1  # moto is INSYNC at once
            assert provider.last_sync_seconds is not None
        finally:
            await provider.aclose()

    run(case)


def test_assume_role_through_sts(zone: Zone, moto_url: str) -> None:
    async def case() -> None:
        provider = provider_for(
            moto_url, assume_role_arn="arn:aws:iam::123456789012:role/failover-sync"
        )
        try:
            rrset = RRset.of(f"app.{zone.name}", "A", 60, ["192.0.2.1"])
            await provider.apply(zone, [upsert(rrset)])
            assert await provider.list_rrsets(zone, [rrset.key]) == [rrset]
        finally:
            await provider.aclose()

    run(case)

"""Route 53 API calls per reconcile, counted by a proxy in front of moto's Route 53 server.

The product code runs as in production: :class:`failover_sync.controller.controller.Controller` with
:class:`failover_sync_route53.Route53Provider`, whose boto3 client talks to a counting
:class:`failover_sync_route53.testing.FaultProxy` on loopback, which forwards to moto's
server. Health is set directly on the controller's health states (no probing), so every figure
is the provider's own traffic.

Figures:

1. steady state: a reconcile with nothing changed issues no write and ``min(managed RRsets,
   zone pages)`` ListResourceRecordSets calls (one per 300 records when the zone is read
   whole, one per managed name when that is fewer);
2. K changed RRsets in one zone: ``ceil(2K / 1000)`` ChangeResourceRecordSets calls (single-
   value UPSERTs count twice against the 1000 ResourceRecord elements of a batch);
3. the budget: back-to-back calls at the default ``max_requests_per_second: 2`` against AWS's
   5 requests/s per account, and the steady-state load as a share of it.

    .venv/bin/python bench/route53_calls.py [--managed N] [--filler N] [--resync S]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
from failover_sync_route53 import Route53Options, Route53Provider
from failover_sync_route53.testing import FaultProxy
from moto.server import ThreadedMotoServer

from failover_sync.cli.demo import free_port
from failover_sync.controller.controller import Controller
from failover_sync.health.probes import Prober
from failover_sync.model import DesiredRecord, Endpoint, HealthCheck, Policy, ProbeTarget, Zone

AWS_LIMIT = 5.0
"""Route 53 API requests per second per account (AWS quota)."""


def ip(prefix: int, i: int) -> str:
    return f"10.{prefix}.{i // 256}.{i % 256}"


def desired(zone: Zone, managed: int) -> list[DesiredRecord]:
    """``managed`` failover records, each with a primary and a secondary endpoint."""
    check = HealthCheck()
    return [
        DesiredRecord(
            name=f"svc{i}.{zone.name}",
            type="A",
            ttl=60,
            zone=zone.name,
            policy=Policy.FAILOVER,
            endpoints=(
                Endpoint(ip(1, i), ProbeTarget(ip(1, i), check)),
                Endpoint(ip(2, i), ProbeTarget(ip(2, i), check)),
            ),
        )
        for i in range(managed)
    ]


def set_health(controller: Controller, targets: list[ProbeTarget], healthy: bool) -> None:
    for target in targets:
        controller.board.presume(target, healthy=healthy, reason="bench")


async def reconcile(controller: Controller, zone: Zone, proxy: FaultProxy) -> tuple[int, int]:
    proxy.reset()
    outcome = await controller.reconcile_zone(zone)
    if outcome.error is not None:
        raise outcome.error
    return proxy.count("ListResourceRecordSets"), proxy.count("ChangeResourceRecordSets")


async def main_async(args: argparse.Namespace, moto_url: str) -> None:
    r53: Any = boto3.client("route53", endpoint_url=moto_url, region_name="us-east-1")
    name = f"bench-{uuid.uuid4().hex[:6]}.example.test."
    zone_id = r53.create_hosted_zone(Name=name, CallerReference=str(uuid.uuid4()))["HostedZone"][
        "Id"
    ].rsplit("/", 1)[-1]
    filler: list[dict[str, Any]] = [
        {
            "Action": "UPSERT",
            "ResourceRecordSet": {
                "Name": f"other{i}.{name}",
                "Type": "TXT",
                "TTL": 300,
                "ResourceRecords": [{"Value": '"not managed"'}],
            },
        }
        for i in range(args.filler)
    ]
    for start in range(0, len(filler), 400):
        r53.change_resource_record_sets(
            HostedZoneId=zone_id, ChangeBatch={"Changes": filler[start : start + 400]}
        )
    zone = Zone(name, "aws", {"hosted_zone_id": zone_id})
    proxy = FaultProxy(moto_url).start()
    try:
        await run_figures(args, zone, proxy)
    finally:
        proxy.stop()
        r53.close()


async def run_figures(args: argparse.Namespace, zone: Zone, proxy: FaultProxy) -> None:
    records = desired(zone, args.managed)
    fast = Route53Provider(
        "aws",
        Route53Options(endpoint_url=proxy.url, max_requests_per_second=1000),
        config_dir=Path("."),
    )
    controller = Controller(desired={zone: records}, providers={"aws": fast}, prober=Prober())
    primaries = [r.endpoints[0].target for r in records]
    secondaries = [r.endpoints[1].target for r in records]
    set_health(controller, primaries + secondaries, True)
    zone_records = args.managed + args.filler + 2  # + SOA and NS
    pages = math.ceil(zone_records / 300)
    print(f"zone: {zone_records} records ({args.managed} managed, {pages} pages of 300)")

    reads, writes = await reconcile(controller, zone, proxy)
    print(f"first publish of {args.managed} RRsets: {reads} reads, {writes} writes")
    print("\nsteady state (nothing changed), per reconcile:")
    for label, keys in (("all managed", args.managed), ("2 managed", 2)):
        sub = Controller(desired={zone: records[:keys]}, providers={"aws": fast}, prober=Prober())
        sub.board = controller.board
        counts = [await reconcile(sub, zone, proxy) for _ in range(3)]
        reads = counts[-1][0]
        expected = min(keys, pages)
        print(
            f"  {label:>11} ({keys} keys): reads {[c[0] for c in counts]} (expected "
            f"min(keys, pages) = {expected} after the first), writes {[c[1] for c in counts]}"
            f"; at resync every {args.resync:g} s: {reads / args.resync:.3f} calls/s = "
            f"{100 * reads / args.resync / AWS_LIMIT:.1f}% of AWS's 5/s"
        )

    print("\nK changed RRsets in one zone (failover of K primaries), per reconcile:")
    print(f"  {'K':>5} {'reads':>6} {'writes':>7} {'ceil(2K/1000)':>14} {'seconds':>8}")
    for k in [k for k in (1, 10, 100, 499, 500, 501, 1000) if k <= args.managed]:
        set_health(controller, primaries[:k], False)
        started = time.perf_counter()
        reads, writes = await reconcile(controller, zone, proxy)
        seconds = time.perf_counter() - started
        print(f"  {k:>5} {reads:>6} {writes:>7} {math.ceil(2 * k / 1000):>14} {seconds:>8.2f}")
        assert writes == math.ceil(2 * k / 1000), (k, writes)
        set_health(controller, primaries[:k], True)
        await reconcile(controller, zone, proxy)  # failback, not counted
    await fast.aclose()

    print("\nbudget: back-to-back single-RRset failovers at the default 2 requests/s:")
    budget_proxy = FaultProxy(proxy.upstream).start()
    paced = Route53Provider(
        "aws",
        Route53Options(endpoint_url=budget_proxy.url),  # default max_requests_per_second: 2
        config_dir=Path("."),
    )
    one = records[:1]
    small = Controller(desired={zone: one}, providers={"aws": paced}, prober=Prober())
    small.board = controller.board
    try:
        await small.reconciler.read(zone)  # the first read measures the zone (reads it whole)
        budget_proxy.reset()
        started = time.monotonic()
        for flip in range(args.flips):
            set_health(small, [one[0].endpoints[0].target], flip % 2 == 1)
            outcome = await small.reconcile_zone(zone)
            assert outcome.error is None
            assert outcome.applied
        elapsed = time.monotonic() - started
        stamps = [c.at for c in budget_proxy.calls]
        window = max(sum(1 for t in stamps if s <= t < s + 1.0) for s in stamps)
        total = len(stamps)
        print(
            f"  {args.flips} reconciles, {total} calls ({total // args.flips} per reconcile: "
            f"1 read + 1 write) in {elapsed:.2f} s = {total / elapsed:.2f} calls/s; busiest "
            f"1-s window {window} calls (burst 2 + 2/s); AWS limit {AWS_LIMIT:g}/s per account"
        )
        print(
            f"  => one failover costs {total // args.flips} calls = "
            f"{total / args.flips / 2:.1f} s of the default budget; the other "
            f"{AWS_LIMIT - 2:g} requests/s stay free for other tools"
        )
    finally:
        await paced.aclose()
        budget_proxy.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--managed", type=int, default=1000, help="managed RRsets")
    parser.add_argument("--filler", type=int, default=700, help="unmanaged records")
    parser.add_argument("--resync", type=float, default=60.0, help="resync_seconds")
    parser.add_argument("--flips", type=int, default=10, help="reconciles in the budget run")
    args = parser.parse_args()
    for key, value in {
        "AWS_ACCESS_KEY_ID": "AKIABENCHDUMMY",
        "AWS_SECRET_ACCESS_KEY": "bench-dummy",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/nonexistent/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
    }.items():
        os.environ[key] = value
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log
    port = free_port("127.0.0.1")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        asyncio.run(main_async(args, f"http://127.0.0.1:{port}"))
    finally:
        server.stop()


if __name__ == "__main__":
    main()

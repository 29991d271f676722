"""``failover-sync check``: probe every endpoint once and print its health, the Host/SNI name
used, what DNS publishes now, and the worst-case failover time.

Worst case = detection bound (:attr:`~failover_sync.model.HealthCheck.detection_seconds`,
phase jitter and rapid recheck included) + the record's TTL + 1 s of resolver rounding (a
caching resolver such as Unbound counts TTLs in whole seconds: a TTL-5 answer can be served
for up to 6 s; add one second per caching level in front of your clients) + the provider's
propagation time, when it declares one. Exit 0 only when every record has a healthy endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from failover_sync.cli import render
from failover_sync.cli.console import EXIT_ERROR, EXIT_OK, Output, json_dump
from failover_sync.config.loader import Config
from failover_sync.errors import ProviderError
from failover_sync.health.probes import Prober
from failover_sync.model import RRset, Zone

RESOLVER_ROUNDING_SECONDS = 1.0
"""Added once to the worst case: one caching resolver that counts TTLs in whole seconds."""


async def _live(config: Config) -> dict[tuple[str, str], RRset | ProviderError]:
    out: dict[tuple[str, str], RRset | ProviderError] = {}
    providers = config.build_providers()
    try:
        for zone in config.zones:
            records = config.records_of(zone)
            try:
                rrsets = await providers[zone.provider].list_rrsets(zone, [r.key for r in records])
            except ProviderError as exc:
                for record in records:
                    out[record.key] = exc
                continue
            found = {rr.key: rr for rr in rrsets}
            for record in records:
                out[record.key] = found.get(record.key, RRset.of(record.name, record.type, 0, ()))
    finally:
        for provider in providers.values():
            await provider.aclose()
    return out


async def check_verb(args: argparse.Namespace, config: Config, out: Output) -> int:
    """Probe once, print the table (or JSON), exit 0 only if every record has a healthy
    endpoint."""
    prober = Prober()
    try:
        targets = sorted(config.targets(), key=str)
        probed, live = await asyncio.gather(
            asyncio.gather(*map(prober.probe, targets)), _live(config)
        )
        results = dict(zip(targets, probed, strict=True))
    finally:
        await prober.aclose()
    rows: list[render.HealthRow] = []
    data: list[dict[str, Any]] = []
    all_ok = True
    zones: dict[str, Zone] = {z.name: z for z in config.zones}
    for record in config.records:
        provider = config.providers[zones[record.zone].provider]
        propagation = provider.cls.capabilities.propagation_seconds or 0.0
        published = live.get(record.key)
        now = (
            f"error: {published}"
            if isinstance(published, ProviderError)
            else ", ".join(published.values) or "(nothing)"
            if published is not None
            else "(unknown)"
        )
        record_ok = False
        endpoints: list[dict[str, Any]] = []
        for endpoint in record.endpoints:
            check = endpoint.target.check
            result = results[endpoint.target]
            record_ok = record_ok or result.ok
            total = check.detection_seconds + record.ttl + RESOLVER_ROUNDING_SECONDS + propagation
            detail = (
                f"detect {check.detection_seconds:g} s ({check.failure_threshold} failures, "
                f"interval {check.interval_seconds:g} s, timeout "
                f"{check.request_timeout_seconds:g} s"
                + (
                    f", recheck {check.recheck_interval_seconds:g} s"
                    if check.recheck_interval_seconds
                    else ""
                )
                + f") + TTL {record.ttl} s + {RESOLVER_ROUNDING_SECONDS:g} s resolver rounding"
                + (f" + propagation {propagation:g} s" if propagation else "")
            )
            rows.append(render.HealthRow(record.name, endpoint.target, result, total, detail))
            endpoints.append(
                {
                    "value": endpoint.value,
                    "endpoint": str(endpoint.target),
                    "host": check.host if check.protocol != "TCP" else None,
                    "ok": result.ok,
                    "reason": result.reason,
                    "latency_ms": round(result.latency_seconds * 1000, 2),
                    "worst_case_failover_seconds": round(total, 3),
                    "worst_case_detail": detail,
                }
            )
        all_ok = all_ok and record_ok
        data.append(
            {
                "record": record.name,
                "type": record.type,
                "published": now,
                "healthy": record_ok,
                "endpoints": endpoints,
            }
        )
    if args.output == "json":
        json_dump({"version": 1, "records": data, "healthy": all_ok})
    elif sys.stdout.isatty():
        from rich.console import Console

        render.print_health_table(rows, Console())
        for item in data:
            print(f"{item['record']} publishes: {item['published']}")
    else:
        sys.stdout.write(render.health_text(rows))
        for item in data:
            sys.stdout.write(f"{item['record']} publishes: {item['published']}\n")
    if not all_ok:
        down = [d["record"] for d in data if not d["healthy"]]
        out.error(f"no healthy endpoint for {', '.join(down)}")
    return EXIT_OK if all_ok else EXIT_ERROR

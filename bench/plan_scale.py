"""Plan scale: the pure planner and the whole reconcile path over 100,000 managed RRsets.

The input is a mix that makes every branch of the planner work: policies ``failover`` (some
with ``failback: manual``), ``multivalue`` and ``weighted_round_robin``; A and AAAA records;
about 10% of the endpoints unhealthy (so some records fail over and some have no healthy
endpoint, under ``publish_all``, ``keep`` and ``fallback``); live RRsets that are mostly in
sync, with some values, TTLs and weights differing and some RRsets missing; half of the zones
on a provider with native weights. The plan is timed ``--repeat`` times (best and each run are
printed); its memory is measured in a separate run under tracemalloc (which slows it down), and
the process's peak RSS covers inputs and plan. Goals from issue 2: <= 1 s and <= 500 MB.

The reconcile path is what ``plan`` and every reconcile run: for each zone, the in-memory
provider's read, the zone's verdicts from the health board (only that zone's targets), the
planner and the whole guard chain (ownership, hold-down, partition, blast radius, markers),
through ``Controller.plan``. It is timed at ``--path-zones`` zone counts (default 10 and 100).
Goal from issue 19: 100,000 RRsets in 100 zones in <= 1 s.

    .venv/bin/python bench/plan_scale.py [--rrsets N] [--zones Z] [--repeat R]
        [--path-zones 10,100] [--check]

PASS/MISS is printed beside each goal; ``--check`` also makes a MISS exit 1.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import ipaddress
import os
import platform
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Mapping, Sequence

from failover_sync.controller.controller import Controller
from failover_sync.health.probes import Prober
from failover_sync.model import (
    AllUnhealthy,
    DesiredRecord,
    Endpoint,
    EndpointHealth,
    Failback,
    HealthCheck,
    Plan,
    Policy,
    ProbeTarget,
    RecordKey,
    RRset,
    Zone,
)
from failover_sync.plan.planner import desired_values, plan
from failover_sync.provider.base import Capabilities
from failover_sync.testing import InMemoryProvider, standard_guards

SEED = 2
UNHEALTHY_SHARE = 0.10

Desired = dict[Zone, list[DesiredRecord]]
Health = dict[ProbeTarget, EndpointHealth]
Live = dict[str, dict[RecordKey, RRset]]


def build(rrsets: int, zones: int) -> tuple[Desired, Health, Live, frozenset[str]]:
    """Desired records, health and live RRsets for ``rrsets`` RRsets in ``zones`` zones."""
    rng = random.Random(SEED)
    checks = [
        HealthCheck(path="/healthz", host=f"svc{i}.bench.test", interval_seconds=10.0)
        for i in range(16)
    ]
    desired: Desired = {}
    health: Health = {}
    live: Live = {}
    weighted = frozenset(f"z{z}.bench.test." for z in range(0, zones, 2))
    per_zone = -(-rrsets // zones)
    n = 0
    for z in range(zones):
        zone = Zone(f"z{z}.bench.test.", "memory")
        records: list[DesiredRecord] = []
        live_zone: dict[RecordKey, RRset] = {}
        for _ in range(min(per_zone, rrsets - n)):
            record = _record(rng, n, zone, checks, health)
            records.append(record)
            current = _live(rng, record, health, weights=zone.name in weighted)
            if current is not None:
                live_zone[record.key] = current
            n += 1
        desired[zone] = records
        live[zone.name] = live_zone
    return desired, health, live, weighted


def _record(
    rng: random.Random, n: int, zone: Zone, checks: Sequence[HealthCheck], health: Health
) -> DesiredRecord:
    roll = rng.random()
    policy = (
        Policy.FAILOVER
        if roll < 0.5
        else Policy.MULTIVALUE
        if roll < 0.8
        else Policy.WEIGHTED_ROUND_ROBIN
    )
    rtype = "AAAA" if rng.random() < 0.1 else "A"
    count = 2 if policy is Policy.FAILOVER else 3
    endpoints = []
    for i in range(count):
        if rtype == "A":
            value = str(ipaddress.IPv4Address(0x0A000000 + n * 4 + i))
        else:
            value = str(ipaddress.IPv6Address((0x20010DB8 << 96) + n * 4 + i))
        target = ProbeTarget(value, checks[(n + i) % len(checks)])
        if rng.random() < UNHEALTHY_SHARE:
            health[target] = EndpointHealth(False, "3 consecutive failures (status 503)")
        else:
            health[target] = EndpointHealth(True, "presumed healthy: published")
        endpoints.append(Endpoint(value, target, weight=rng.randint(1, 10)))
    mode = rng.random()
    return DesiredRecord(
        name=f"r{n}.{zone.name}",
        type=rtype,
        ttl=60,
        zone=zone.name,
        policy=policy,
        endpoints=tuple(endpoints),
        when_all_unhealthy=(
            AllUnhealthy.KEEP
            if mode < 0.2
            else AllUnhealthy.FALLBACK
            if mode < 0.3
            else AllUnhealthy.PUBLISH_ALL
        ),
        fallback=(("192.0.2.250",) if rtype == "A" else ("2001:db8::250",)),
        failback=Failback.MANUAL if rng.random() < 0.2 else Failback.AUTO,
    )


def _live(
    rng: random.Random, record: DesiredRecord, health: Health, *, weights: bool
) -> RRset | None:
    """The live RRset: usually in sync; 1% missing, 5% other values, 2% another TTL."""
    roll = rng.random()
    if roll < 0.01:
        return None
    target = desired_values(record, health, None, weights=weights)
    values = target.values if target.values is not None else (record.endpoints[0].value,)
    ttl = record.ttl
    live_weights = dict(target.weights)
    if roll < 0.06:
        values = tuple(e.value for e in record.endpoints)
        live_weights = {e.value: e.weight + 1 for e in record.endpoints} if live_weights else {}
    elif roll < 0.08:
        ttl = 300
    return RRset.of(record.name, record.type, ttl, values, live_weights)


def timed_plan(
    desired: Mapping[Zone, Sequence[DesiredRecord]],
    health: Health,
    live: Live,
    weighted: frozenset[str],
) -> tuple[Plan, float, float]:
    """Plan once; return the plan, wall seconds and CPU seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = plan(desired, health, live, weighted_zones=weighted)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def timed_reconcile_path(
    desired: Mapping[Zone, Sequence[DesiredRecord]],
    health: Health,
    live: Live,
    weighted: frozenset[str],
    repeat: int,
) -> list[tuple[float, float]]:
    """``Controller.plan`` over the in-memory provider: (wall, CPU) seconds per run."""
    plain = InMemoryProvider("memory")
    native = InMemoryProvider("weighted")
    native.capabilities = Capabilities(weights=True)
    routed: dict[Zone, Sequence[DesiredRecord]] = {}
    for zone, records in desired.items():
        provider = native if zone.name in weighted else plain
        routed[Zone(zone.name, provider.name)] = records
        provider.zones[zone.name] = dict(live.get(zone.name, {}))
    controller = Controller(
        routed,
        {"memory": plain, "weighted": native},
        Prober(),
        guards=standard_guards(routed, force=True),
        log=False,
    )
    for target, verdict in health.items():
        controller.board.presume(target, healthy=verdict.healthy, reason=verdict.reason)

    async def run() -> list[tuple[float, float]]:
        out = []
        for _ in range(repeat):
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            result, errors, _ = await controller.plan()
            out.append((time.perf_counter() - wall, time.process_time() - cpu))
            assert not errors
            managed = sum(1 for z in result.zones for c in z.changes if not c.name.startswith("_"))
            conflicts = sum(len(z.conflicts) for z in result.zones)
            seen = managed + result.unchanged_count + conflicts
            assert seen == sum(map(len, routed.values())), seen
        await controller.prober.aclose()
        return out

    return asyncio.run(run())


def rss_mb() -> float:
    """Current resident set size in MB (Linux /proc)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> int:
    """Build the input, plan it ``--repeat`` times, print the figures beside the goals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rrsets", type=int, default=100_000)
    parser.add_argument("--zones", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--path-zones", default="10,100", help="zone counts of the path runs")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    load = os.getloadavg()
    print(
        f"plan_scale: {args.rrsets:,} managed RRsets in {args.zones} zones; "
        f"nproc {os.cpu_count()}, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
        f"Python {platform.python_version()}"
    )
    started = time.perf_counter()
    desired, health, live, weighted = build(args.rrsets, args.zones)
    base_rss = rss_mb()
    print(
        f"  input: {sum(map(len, desired.values())):,} records, {len(health):,} endpoints "
        f"({sum(not h.healthy for h in health.values()):,} unhealthy), "
        f"{sum(map(len, live.values())):,} live RRsets; built in "
        f"{time.perf_counter() - started:.1f} s, RSS {base_rss:.0f} MB"
    )
    runs = []
    result: Plan | None = None
    for _ in range(args.repeat):
        result = None  # the previous plan is garbage before the next one is timed
        gc.collect()
        result, wall, cpu = timed_plan(desired, health, live, weighted)
        runs.append((wall, cpu))
    assert result is not None
    changes, unchanged = result.change_count, result.unchanged_count
    assert changes + unchanged == args.rrsets, (changes, unchanged)
    result = None
    gc.collect()
    tracemalloc.start()
    result, _, _ = timed_plan(desired, health, live, weighted)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    best = min(wall for wall, _ in runs)
    each = ", ".join(f"{wall:.3f} s (CPU {cpu:.3f})" for wall, cpu in runs)
    print(f"  plan: {changes:,} changes, {unchanged:,} unchanged; runs: {each}")
    rows = [
        ("plan time (best of runs)", f"{best:.3f} s", "<= 1 s", best <= 1.0),
        ("plan time (worst of runs)", f"{max(w for w, _ in runs):.3f} s", "<= 1 s",
         max(w for w, _ in runs) <= 1.0),
        ("peak RSS (inputs + plan)", f"{peak_rss:.0f} MB", "<= 500 MB", peak_rss <= 500),
    ]  # fmt: skip
    for name, value, goal, ok in rows:
        print(f"  {name:<28}{value:<14}{goal:<12}{'PASS' if ok else 'MISS'}")
    print(
        f"  memory of planning: tracemalloc peak {traced_peak / 2**20:.0f} MB; "
        f"RSS before planning {base_rss:.0f} MB"
    )
    for zones in (int(z) for z in args.path_zones.split(",") if z):
        result = None
        gc.collect()
        path_desired, path_health, path_live, path_weighted = build(args.rrsets, zones)
        runs = timed_reconcile_path(
            path_desired, path_health, path_live, path_weighted, args.repeat
        )
        best = min(w for w, _ in runs)
        each = ", ".join(f"{w:.3f} s (CPU {c:.3f})" for w, c in runs)
        per = best / args.rrsets * 1e6
        print(f"  reconcile path, {zones} zones: {each}; best {per:.1f} us per RRset")
        ok = best <= 1.0
        rows.append((f"reconcile path, {zones} zones", f"{best:.3f} s", "<= 1 s", ok))
        verdict = "PASS" if ok else "MISS"
        print(f"  {'reconcile path (best)':<28}{best:.3f} s{'':<8}{'<= 1 s':<12}{verdict}")
    met = all(ok for *_, ok in rows)
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())

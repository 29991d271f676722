"""Probe scale: N HTTP endpoints on a fixed-rate schedule, against a loopback server process.

The controller side is the product: :class:`failover_sync.health.probes.Prober` and the
controller's :class:`failover_sync.health.schedule.ProbeSchedule`, with health
presumed from an in-memory provider that publishes every endpoint. The HTTP server runs in a
separate process (so it uses the other core): a minimal asyncio protocol that answers every
request with a fixed ``200`` and ``Connection: close``, bound only to 127.0.0.0/8 addresses
(``--addresses`` of them, one port). Every endpoint has its own path, so that N endpoints are N
distinct probe targets.

After a warm-up of one interval (every target has been probed once), the figures cover
``--duration`` seconds: probes/s, scheduling lateness, false-unhealthy verdicts, CPU seconds
and utilisation of the controller's process, peak RSS. Default: 10,000 endpoints at 10 s =
1,000 probes/s; goals from issue 2: 1,000 probes/s on one core, p99 lateness <= 100 ms,
0 false-down, RSS <= 300 MB.

    .venv/bin/python bench/probe_scale.py [--endpoints N] [--interval S] [--duration S] [--check]

PASS/MISS is printed beside each goal; ``--check`` also makes a MISS exit 1.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.metadata
import ipaddress
import os
import platform
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench.* from the root

from bench.measures import GcPauses, percentile
from failover_sync.controller.controller import Controller
from failover_sync.controller.events import Event, ProbeCompleted
from failover_sync.health.probes import Prober
from failover_sync.model import (
    DesiredRecord,
    Endpoint,
    HealthCheck,
    Policy,
    ProbeResult,
    ProbeTarget,
    RRset,
    Zone,
)
from failover_sync.testing import InMemoryProvider

FIRST_ADDRESS = ipaddress.IPv4Address("127.0.1.1")
RECORD_SIZE = 10
"""Endpoints per managed record (multivalue); must not exceed ``--addresses``."""

RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
    b"Connection: close\r\n\r\nok\n"
)


def raise_open_files_limit() -> int:
    """Raise the soft open-files limit to the hard one; every probe is a new socket."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def addresses(count: int) -> list[str]:
    """``count`` loopback addresses from 127.0.1.1; refuses anything outside 127.0.0.0/8."""
    loopback = ipaddress.IPv4Network("127.0.0.0/8")
    result = [str(FIRST_ADDRESS + i) for i in range(count)]
    if not all(ipaddress.IPv4Address(a) in loopback for a in (result[0], result[-1])):
        raise SystemExit("--addresses must keep every address inside 127.0.0.0/8")
    return result


def run_loop(main: Callable[[], Awaitable[None]]) -> str:
    """Run ``main`` under uvloop when it is installed, as ``failover_sync.cli.main`` does."""

    async def wrapper() -> None:
        await main()

    try:
        import uvloop
    except ImportError:
        asyncio.run(wrapper())
        return "asyncio"
    uvloop.run(wrapper())
    return f"uvloop {importlib.metadata.version('uvloop')}"


# --- the server process -------------------------------------------------------------------


class _Responder(asyncio.Protocol):
    """Answers the first request on a connection with RESPONSE, then closes it."""

    served = 0

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if b"\r\n\r\n" in self._buffer and self._transport is not None:
            _Responder.served += 1
            self._transport.write(RESPONSE)
            self._transport.close()
            self._transport = None


async def serve(count: int) -> None:
    """Bind ``count`` loopback addresses on one port, print the port, serve until SIGTERM."""
    loop = asyncio.get_running_loop()
    hosts = addresses(count)
    first = await loop.create_server(_Responder, hosts[0], 0, backlog=4096)
    port = first.sockets[0].getsockname()[1]
    servers = [first]
    for host in hosts[1:]:
        servers.append(await loop.create_server(_Responder, host, port, backlog=4096))
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print(f"port {port}", flush=True)
    started_cpu = time.process_time()
    await stop.wait()
    for server in servers:
        server.close()
    cpu = time.process_time() - started_cpu
    print(f"served {_Responder.served} cpu {cpu:.2f}", flush=True)


# --- the controller process ---------------------------------------------------------------


class TimedProber(Prober):
    """The product's Prober, noting when each probe was asked for.

    The schedule's lateness runs from the due time to the probe's admission (slot wait
    included); the monotonic time of the call, read here, splits it into the wait for the
    schedule to start the probe and the wait for an admission slot.
    """

    def __init__(self) -> None:
        super().__init__()
        self.asked: dict[ProbeTarget, tuple[float, float]] = {}

    async def probe(self, target: ProbeTarget) -> ProbeResult:
        """Record (loop time, monotonic time) of the call, then probe as the product does."""
        self.asked[target] = (asyncio.get_running_loop().time(), time.monotonic())
        return await super().probe(target)


@dataclass
class Stats:
    """What the observer counts; ``measuring`` selects the samples of the window."""

    measuring: bool = False
    probes: int = 0
    failed: int = 0
    failed_reasons: dict[str, int] = field(default_factory=dict)
    unhealthy_transitions: int = 0
    wall_lateness: list[float] = field(default_factory=list)
    start_delay: list[float] = field(default_factory=list)
    probe_latency: list[float] = field(default_factory=list)


def build(
    endpoints: int, interval: float, port: int, count: int, timeout: float = 1.0
) -> dict[Zone, list[DesiredRecord]]:
    """N endpoints in multivalue A records of RECORD_SIZE, each with its own path."""
    hosts = addresses(count)
    zone = Zone("bench.test.", "memory")
    records: list[DesiredRecord] = []
    for first in range(0, endpoints, RECORD_SIZE):
        name = f"r{first // RECORD_SIZE}.bench.test."
        group = []
        for i in range(first, min(first + RECORD_SIZE, endpoints)):
            check = HealthCheck(
                protocol="HTTP",
                port=port,
                path=f"/e/{i}",
                host=name.rstrip("."),
                interval_seconds=interval,
                request_timeout_seconds=timeout,
            )
            value = hosts[i % count]
            group.append(Endpoint(value, ProbeTarget(value, check)))
        records.append(
            DesiredRecord(name, "A", 60, zone.name, Policy.MULTIVALUE, endpoints=tuple(group))
        )
    return {zone: records}


async def measure(args: argparse.Namespace, port: int, out: dict[str, object]) -> None:
    """Start the probe schedule, warm up for one interval, measure for ``args.duration``."""
    desired = build(args.endpoints, args.interval, port, args.addresses, args.timeout)
    provider = InMemoryProvider()
    for zone, records in desired.items():
        provider.zones[zone.name] = {
            r.key: RRset.of(r.name, r.type, r.ttl, [e.value for e in r.endpoints]) for r in records
        }
    prober = TimedProber()
    controller = Controller(desired=desired, providers={"memory": provider}, prober=prober)
    await controller.presume_health()
    assert all(controller.board.verdict(t).healthy for t in controller.board), "all published"
    stats = Stats()
    unhealthy: set[ProbeTarget] = set()

    def observe(target: ProbeTarget, result: ProbeResult, lateness: float) -> None:
        now = time.monotonic()
        if not result.ok:
            stats.failed += 1
            stats.failed_reasons[result.reason] = stats.failed_reasons.get(result.reason, 0) + 1
        # every target starts healthy: count each flip to unhealthy, once per flip
        if not controller.board.verdict(target).healthy:
            if target not in unhealthy:
                unhealthy.add(target)
                stats.unhealthy_transitions += 1
        else:
            unhealthy.discard(target)
        if not stats.measuring:
            return
        stats.probes += 1
        stats.probe_latency.append(result.latency_seconds)
        # ProbeSchedule's lateness already runs from the due time to the probe's admission
        stats.start_delay.append(lateness)
        _, mono_asked = prober.asked[target]
        due = now - result.latency_seconds - lateness
        stats.wall_lateness.append(max(0.0, mono_asked - due))

    def on_event(event: Event) -> None:
        if isinstance(event, ProbeCompleted):
            observe(event.target, event.result, event.lateness_seconds)

    controller.bus.subscribe(on_event)
    targets = len(controller.board)
    gc_pauses = GcPauses()
    gc.callbacks.append(gc_pauses)
    schedule = controller.schedule
    tasks = [asyncio.create_task(schedule.run())]
    if args.gc_freeze:
        # what a gc.freeze() after start-up would give: the config, targets and states
        # (everything that lives as long as the process) leave the collector's scans
        gc.collect()
        gc.freeze()
    try:
        await asyncio.sleep(args.interval)  # warm-up: the staggered starts span one interval
        stats.measuring = gc_pauses.recording = True
        cpu0, wall0 = time.process_time(), time.monotonic()
        await asyncio.sleep(args.duration)
        cpu1, wall1 = time.process_time(), time.monotonic()
        stats.measuring = gc_pauses.recording = False
    finally:
        gc.callbacks.remove(gc_pauses)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await prober.aclose()
    out.update(
        skipped=schedule.skipped,
        delayed=prober.stats.delayed,
        cpu_per_probe=prober.stats.cpu_per_probe_seconds,
        limit=prober.stats.limit,
        targets=targets,
        stats=stats,
        gc=gc_pauses.summary(),
        cpu=cpu1 - cpu0,
        wall=wall1 - wall0,
        rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    )


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(args: argparse.Namespace, out: dict[str, object], loop_name: str, server: str) -> bool:
    """Print the figures beside the goals; True when every goal is met."""
    stats = out["stats"]
    assert isinstance(stats, Stats)
    cpu, wall, rss = float(out["cpu"]), float(out["wall"]), float(out["rss_mb"])  # type: ignore[arg-type]
    offered = args.endpoints / args.interval
    rate = stats.probes / wall
    util = cpu / wall
    w50, w99 = (percentile(stats.wall_lateness, q) * 1000 for q in (0.5, 0.99))
    s50, s99, smax = (percentile(stats.start_delay, q) * 1000 for q in (0.5, 0.99, 1.0))
    l50, l99 = (percentile(stats.probe_latency, q) * 1000 for q in (0.5, 0.99))
    false_down = stats.failed + stats.unhealthy_transitions
    rows = [
        ("probes/s", f"{rate:,.1f}", f">= {0.99 * offered:,.0f} (99% of {offered:,.0f})",
         rate >= 0.99 * offered),
        ("lateness p50 / p99 (ms)", f"{s50:.1f} / {s99:.1f}", "p99 <= 100", s99 <= 100),
        ("false-unhealthy", f"{stats.failed} failed probes, {stats.unhealthy_transitions} "
         "unhealthy transitions", "0", false_down == 0),
        ("CPU (controller)", f"{cpu:.2f} s in {wall:.1f} s = {util:.0%} of one core",
         "< 100% of one core", util < 1.0),
        ("peak RSS (MB)", f"{rss:.0f}", "<= 300", rss <= 300),
    ]  # fmt: skip
    print(f"  {'figure':<26}{'measured':<44}{'goal':<26}")
    for name, value, goal, ok in rows:
        print(f"  {name:<26}{value:<44}{goal:<26}{verdict(ok)}")
    print(
        f"  lateness (due time to admission, slot wait included; headline) max "
        f"{smax:.1f} ms; until the schedule started the probe p50/p99: {w50:.1f} / {w99:.1f} ms"
    )
    print(
        f"  schedule: {out['skipped']} turns skipped; admission: {out['delayed']} probes delayed, "
        f"limit {out['limit']}, measured CPU per probe "
        f"{float(out['cpu_per_probe']) * 1000:.3f} ms"  # type: ignore[arg-type]
    )
    print(f"  probe latency p50/p99: {l50:.2f} / {l99:.2f} ms; probes measured {stats.probes:,}")
    if util > 0:
        print(f"  capacity at this CPU cost: ~{rate / util:,.0f} probes/s per core")
    if stats.failed_reasons:
        print(f"  failure reasons: {stats.failed_reasons}")
    print(f"  GC passes in the window (CPU time): {out['gc']}")
    print(f"  server process: {server}")
    return all(ok for *_, ok in rows)


def main() -> int:
    """Start the server process, run the controller side, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=10_000)
    parser.add_argument("--interval", type=float, default=10.0, help="seconds")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds measured")
    parser.add_argument("--addresses", type=int, default=100, help="loopback addresses")
    parser.add_argument("--timeout", type=float, default=1.0, help="probe timeout, seconds")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() after start-up (not what the product does; for comparison)",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()
    if args.addresses < RECORD_SIZE:
        parser.error(f"--addresses must be at least {RECORD_SIZE}")
    limit = raise_open_files_limit()
    if args.serve:
        run_loop(lambda: serve(args.addresses))
        return 0

    cmd = [sys.executable, __file__, "--serve", "--addresses", str(args.addresses)]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    try:
        line = server.stdout.readline()
        if not line.startswith("port "):
            raise SystemExit(f"server did not start: {line!r}")
        port = int(line.split()[1])
        load = os.getloadavg()
        print(
            f"probe_scale: {args.endpoints:,} endpoints every {args.interval:g} s "
            f"({args.endpoints / args.interval:,.0f} probes/s offered) on {args.addresses} "
            f"loopback addresses, port {port}; warm-up {args.interval:g} s, "
            f"measured {args.duration:g} s"
        )
        gc_note = "; gc.freeze() after start-up" if args.gc_freeze else ""
        print(
            f"  host: nproc {os.cpu_count()}, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
            f"at start; Python {platform.python_version()}; open files {limit}{gc_note}"
        )
        out: dict[str, object] = {}
        loop_name = run_loop(lambda: measure(args, port, out))
    finally:
        server.send_signal(signal.SIGTERM)
        tail, _ = server.communicate(timeout=30)
    load = os.getloadavg()
    print(f"  event loop: {loop_name}; load at end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    met = report(args, out, loop_name, tail.strip())
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())

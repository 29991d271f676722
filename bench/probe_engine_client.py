"""The client side of ``bench/probe_engine.py``: one engine, one loop, one rate, per process.

Writes JSON to ``out``: achieved probes/s, CPU per probe, utilisation, in-flight samples,
failure reasons, the longest GC pause, and per probe ``[seq, due, done, ok]`` (monotonic
seconds) for the parent to join with the server's accept times.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import json
import resource
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from failover_sync.health.probes import Prober
from failover_sync.model import HealthCheck, ProbeResult, ProbeTarget

NAME = "bench.example.test"


@dataclass
class Cell:
    """One measurement: ``engine`` (ours, aiohttp, httpx-aiohttp), ``loop`` (uvloop,
    asyncio), ``rate`` (probes/s offered), seconds of ``duration``/``warmup``/``timeout``."""

    scheme: str
    engine: str
    loop: str
    rate: int
    duration: float
    warmup: float
    timeout: float
    addresses: int
    port: int = 0
    ca_file: str = ""


@dataclass
class GcPauses:
    """Wall time of every collector pass while ``recording`` (``gc.callbacks``)."""

    recording: bool = False
    pauses: list[tuple[int, float]] = field(default_factory=list)
    _started: float = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif self.recording:
            self.pauses.append((info["generation"], time.perf_counter() - self._started))


Probe = Callable[[ProbeTarget], Awaitable[tuple[bool, str]]]


def plain_aiohttp(cell: Cell) -> tuple[Probe, Callable[[], Awaitable[None]], Callable[[], int]]:
    """A plain aiohttp client: new connection per probe, status checked, body not read."""
    ctx = ssl.create_default_context(cafile=cell.ca_file)
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(force_close=True, limit=0, ssl=ctx),
        timeout=aiohttp.ClientTimeout(total=cell.timeout),
    )
    active = [0]

    async def probe(target: ProbeTarget) -> tuple[bool, str]:
        check = target.check
        url = f"{cell.scheme}://{target.value}:{check.port}{check.path}"
        sni = check.host if cell.scheme == "https" else None
        active[0] += 1
        try:
            async with session.get(
                url, headers={"Host": check.host}, server_hostname=sni
            ) as response:
                return 200 <= response.status < 400, f"status {response.status}"
        except TimeoutError:
            return False, "timeout"
        except (OSError, aiohttp.ClientError) as exc:
            return False, type(exc).__name__
        finally:
            active[0] -= 1

    return probe, session.close, lambda: active[0]


def httpx_on_aiohttp(
    cell: Cell,
) -> tuple[Probe, Callable[[], Awaitable[None]], Callable[[], int]]:
    """httpx's client on the httpx-aiohttp transport, over the same aiohttp connector."""
    import httpx
    from httpx_aiohttp import AiohttpTransport

    ctx = ssl.create_default_context(cafile=cell.ca_file)
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(force_close=True, limit=0, ssl=ctx)
    )
    client = httpx.AsyncClient(transport=AiohttpTransport(client=session), timeout=cell.timeout)
    active = [0]

    async def probe(target: ProbeTarget) -> tuple[bool, str]:
        check = target.check
        url = f"{cell.scheme}://{target.value}:{check.port}{check.path}"
        active[0] += 1
        try:
            request = client.build_request(
                "GET", url, headers={"Host": check.host}, extensions={"sni_hostname": check.host}
            )
            response = await client.send(request, stream=True)
            await response.aclose()
            return 200 <= response.status_code < 400, f"status {response.status_code}"
        except httpx.TimeoutException:
            return False, "timeout"
        except httpx.HTTPError as exc:
            return False, type(exc).__name__
        finally:
            active[0] -= 1

    async def close() -> None:
        await client.aclose()
        await session.close()

    return probe, close, lambda: active[0]


def ours(cell: Cell) -> tuple[Probe, Callable[[], Awaitable[None]], Callable[[], int], Prober]:
    """The product's Prober."""
    prober = Prober()

    async def probe(target: ProbeTarget) -> tuple[bool, str]:
        result: ProbeResult = await prober.probe(target)
        return result.ok, result.reason

    return probe, prober.aclose, lambda: prober.stats.in_flight, prober


async def measure(cell: Cell) -> dict[str, Any]:
    """Run the open-loop schedule and return the figures."""
    prober: Prober | None = None
    if cell.engine == "ours":
        probe, close, in_flight, prober = ours(cell)
    elif cell.engine == "aiohttp":
        probe, close, in_flight = plain_aiohttp(cell)
    else:
        probe, close, in_flight = httpx_on_aiohttp(cell)
    base = HealthCheck(
        protocol=cell.scheme.upper(),
        port=cell.port,
        host=NAME,
        request_timeout_seconds=cell.timeout,
        ca_file=cell.ca_file,
    )
    addresses = [f"127.0.2.{i + 1}" for i in range(cell.addresses)]
    total = int(cell.rate * (cell.warmup + cell.duration))
    t0 = time.monotonic() + 0.2
    window = (t0 + cell.warmup, t0 + cell.warmup + cell.duration)
    # parallel lists of numbers: the collector does not scan floats and ints
    seqs: list[int] = []
    dues: list[float] = []
    dones: list[float] = []
    oks: list[bool] = []
    failures: dict[str, int] = {}
    tasks: set[asyncio.Task[None]] = set()
    samples: list[int] = []
    gc_pauses = GcPauses()
    gc.callbacks.append(gc_pauses)
    gc.collect()
    gc.freeze()  # as the product does after start-up
    marks: dict[str, float] = {}
    ended = asyncio.Event()

    async def one(seq: int, due: float) -> None:
        target = ProbeTarget(
            addresses[seq % len(addresses)], dataclasses.replace(base, path=f"/p/{seq}")
        )
        ok, reason = await probe(target)
        done = time.monotonic()
        if window[0] <= due < window[1]:
            seqs.append(seq)
            dues.append(due)
            dones.append(done)
            oks.append(ok)
            if not ok:
                failures[reason] = failures.get(reason, 0) + 1

    async def sampler() -> None:
        while True:
            await asyncio.sleep(0.05)
            now = time.monotonic()
            if window[0] <= now < window[1]:
                samples.append(in_flight())
            if "start" not in marks and now >= window[0]:
                marks["start"], marks["cpu0"] = now, time.process_time()
                gc_pauses.recording = True
            if "end" not in marks and now >= window[1]:
                marks["end"], marks["cpu1"] = now, time.process_time()
                ended.set()
                gc_pauses.recording = False

    completions: list[float] = []

    def completed(_: object) -> None:
        completions.append(time.monotonic())

    sampling = asyncio.create_task(sampler())
    seq = 0
    while seq < total:
        now = time.monotonic()
        due = t0 + seq / cell.rate
        if due > now:
            await asyncio.sleep(due - now)
            continue
        while seq < total and t0 + seq / cell.rate <= now:
            task = asyncio.create_task(one(seq, t0 + seq / cell.rate))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            task.add_done_callback(completed)
            seq += 1
    await ended.wait()
    if tasks:
        await asyncio.wait(set(tasks), timeout=30)
    for task in list(tasks):
        task.cancel()
    sampling.cancel()
    await close()
    gc.callbacks.remove(gc_pauses)
    wall = marks["end"] - marks["start"]
    done_in_window = sum(1 for t in completions if marks["start"] <= t < marks["end"])
    cpu = marks["cpu1"] - marks["cpu0"]
    return {
        "achieved": done_in_window / wall,
        "cpu_per_probe": cpu / max(1, done_in_window),
        "utilisation": cpu / wall,
        "in_flight_mean": sum(samples) / max(1, len(samples)),
        "in_flight_max": max(samples, default=0),
        "gc_max": max((p for _, p in gc_pauses.pauses), default=0.0),
        "gc_full": sum(1 for g, _ in gc_pauses.pauses if g == 2),
        "failures": failures,
        "unfinished": len(tasks),
        "delayed": prober.stats.delayed if prober else 0,
        "limit": prober.stats.limit if prober else 0,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "probes": list(zip(seqs, dues, dones, oks, strict=True)),
    }


def child_main(cell: Cell, out: Path) -> int:
    """Run ``cell`` on its event loop and write the figures to ``out``."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    result: dict[str, Any] = {}

    async def main() -> None:
        result.update(await measure(cell))

    if cell.loop == "uvloop":
        import uvloop

        uvloop.run(main())
    else:
        asyncio.run(main())
    out.write_text(json.dumps(result))
    return 0

"""Issue 12: failovers through a fault proxy in front of a real PowerDNS reach the DNS.

The controller loop runs against PowerDNS's API through :class:`FaultServer` as a proxy that
answers 30 % of the requests with a fault (429 with ``Retry-After``, 503, resets, slow
answers); health is scripted. (Empty-but-valid answers are covered per read by the
adapter's tests: they are malformed, never "no records".) Every failover must reach the
authoritative answer (PowerDNS's own DNS port) while the faults go on, because a zone whose
plan was not applied stays dirty and is retried with backoff, not only at the next resync;
and once the faults stop, nothing is left behind.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from failover_sync_powerdns import PowerDNSOptions, PowerDNSProvider

from failover_sync.controller.controller import Controller
from failover_sync.model import DesiredRecord, Endpoint, HealthCheck, Policy, ProbeTarget, Zone
from failover_sync.provider.retry import RetryPolicy
from failover_sync.testing import ScriptedProber, standard_guards
from failover_sync.testing.faults import FaultServer
from failover_sync.testing.powerdns import PowerDNS, powerdns_server
from failover_sync.testing.waits import await_for

PRIMARY, SECONDARY = "192.0.2.1", "192.0.2.2"
CHECK = HealthCheck(
    interval_seconds=0.05, failure_threshold=1, success_threshold=1, request_timeout_seconds=0.02
)
FAILOVERS = 4
"""Failovers and failbacks per fault kind."""
NUMBERS = itertools.count()


@pytest.fixture(scope="module")
def pdns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PowerDNS]:
    with powerdns_server(tmp_path_factory.mktemp("pdns-faults")) as server:
        yield server


@pytest.mark.parametrize(
    ("fault", "settings"),
    [
        ("status", {"status": 429, "headers": {"Retry-After": "1"}}),
        ("status", {"status": 503}),
        ("reset", {}),
        ("delay", {"delay_seconds": 0.7}),
    ],
    ids=["429-retry-after", "503", "reset", "slow"],
)
def test_every_failover_reaches_the_dns_under_faults(
    pdns: PowerDNS, monkeypatch: pytest.MonkeyPatch, fault: str, settings: dict[str, object]
) -> None:
    zone_name = pdns.create_zone(f"{fault.replace('_', '-')}-{next(NUMBERS)}.faults.test")
    zone = Zone(zone_name, "pdns")
    name = f"app.{zone_name}"
    pdns.replace(zone_name, name, "A", 30, [PRIMARY])
    proxy = FaultServer(fault=fault, rate=0.3, seed=7, upstream=("127.0.0.1", pdns.api_port))
    for key, value in settings.items():
        setattr(proxy, key, value)
    proxy.start()
    monkeypatch.setenv("PDNS_FAULTS_KEY", pdns.api_key)
    options = PowerDNSOptions(url=proxy.url, api_key_env="PDNS_FAULTS_KEY", timeout_seconds=0.5)
    provider = PowerDNSProvider("pdns", options, config_dir=Path("."))
    endpoints = tuple(Endpoint(v, ProbeTarget(v, CHECK)) for v in (PRIMARY, SECONDARY))
    record = DesiredRecord(name, "A", 30, zone.name, Policy.FAILOVER, endpoints, adopt=True)
    desired = {zone: [record]}
    prober = ScriptedProber()
    controller = Controller(
        desired,
        {"pdns": provider},
        prober,
        guards=standard_guards(desired),
        resync_seconds=3600,  # a failover must not wait for a resync
        retry=RetryPolicy(attempts=2, initial_seconds=0.01, max_seconds=2.0),
    )
    reached = 0

    async def body() -> None:
        nonlocal reached
        stop = asyncio.Event()
        task = asyncio.create_task(controller.run(stop))
        try:
            await await_for(lambda: controller.running, 30)
            for turn in range(FAILOVERS):
                down, up = (PRIMARY, SECONDARY) if turn % 2 == 0 else (SECONDARY, PRIMARY)
                prober.down = {down}
                await await_for(lambda up=up: pdns.query(name) == (up,), 60, poll_seconds=0.02)
                reached += 1
            proxy.rate = 0.0  # the faults stop: the zone is clean and stays so
            writes_before = proxy.hits["ok"]
            controller.request_reconcile()
            await await_for(lambda: proxy.hits["ok"] > writes_before, 10)
            assert pdns.query(name) == ((SECONDARY,) if FAILOVERS % 2 else (PRIMARY,))
        finally:
            stop.set()
            await task
            await controller.aclose()

    try:
        asyncio.run(body())
    finally:
        proxy.stop()
    assert reached == FAILOVERS
    assert sum(v for k, v in proxy.hits.items() if k != "ok") > 0  # the faults did bite

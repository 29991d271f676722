"""Probes and a provider adapter against the fault server: every fault ends in a verdict or
a classified ProviderError within its deadline, and a malformed answer writes nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from failover_sync_powerdns import PowerDNSProvider
from failover_sync_powerdns.options import PowerDNSOptions

from failover_sync.controller.controller import Controller
from failover_sync.errors import ProviderError, TransientProviderError
from failover_sync.health.probes import Prober
from failover_sync.model import (
    DesiredRecord,
    Endpoint,
    HealthCheck,
    Policy,
    ProbeTarget,
    StatusRange,
    Zone,
)
from failover_sync.provider.retry import RetryPolicy
from failover_sync.testing import InMemoryProvider, ScriptedProber, standard_guards
from failover_sync.testing.faults import FaultServer

TIMEOUT = 0.3


@pytest.fixture
def server() -> Iterator[FaultServer]:
    fault_server = FaultServer(delay_seconds=0.5).start()
    yield fault_server
    fault_server.stop()


def probe(server: FaultServer, **check: object) -> tuple[bool, float, str]:
    settings = {"port": server.port, "request_timeout_seconds": TIMEOUT, "interval_seconds": 1}
    target = ProbeTarget("127.0.0.1", HealthCheck(**{**settings, **check}))  # type: ignore[arg-type]

    async def run() -> tuple[bool, float, str]:
        prober = Prober()
        started = time.monotonic()
        try:
            result = await prober.probe(target)
        finally:
            await prober.aclose()
        return result.ok, time.monotonic() - started, result.reason

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("fault", "extra", "check"),
    [
        ("ok", {}, {}),
        ("black_hole", {}, {}),
        ("reset", {}, {}),
        ("close", {}, {}),
        ("delay", {}, {}),
        ("slow_body", {"body": b"healthy"}, {"body_match": "healthy"}),
        ("status", {"status": 503}, {}),
        ("status", {"status": 301, "headers": {"Location": "/elsewhere"}}, {}),
        ("wrong_body", {}, {"body_match": "healthy"}),
    ],
)
def test_probe_verdicts_under_faults(
    server: FaultServer, fault: str, extra: dict[str, object], check: dict[str, object]
) -> None:
    server.fault = fault
    for key, value in extra.items():
        setattr(server, key, value)
    if fault == "status" and server.status == 301:
        check = {"expected_status": (StatusRange(200, 299),)}
    ok, took, reason = probe(server, **check)
    assert ok is (fault == "ok"), reason
    assert took < TIMEOUT + 0.25  # never beyond the deadline (plus scheduling slack)


def test_flapping_is_seen_as_both(server: FaultServer) -> None:
    server.fault, server.flap_seconds = "flap", 0.1
    seen = set()
    for _ in range(8):
        seen.add(probe(server)[0])
        time.sleep(0.05)
    assert seen == {True, False}


def powerdns(server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> PowerDNSProvider:
    monkeypatch.setenv("PDNS_FAULT_KEY", "fault-test-key")
    options = PowerDNSOptions(url=server.url, api_key_env="PDNS_FAULT_KEY", timeout_seconds=0.5)
    return PowerDNSProvider("pdns", options, config_dir=Path("."))


ZONE = Zone("example.test.", "pdns")
CHECK = HealthCheck(interval_seconds=0.01, failure_threshold=1, success_threshold=1,
                    request_timeout_seconds=0.005)  # fmt: skip
RECORD = DesiredRecord(
    "app.example.test.", "A", 60, ZONE.name, Policy.FAILOVER,
    (Endpoint("192.0.2.1", ProbeTarget("192.0.2.1", CHECK)),),
)  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "example.test.", "rrsets": [{"name": "app.exa',  # truncated JSON
        b'{"name": "example.test.", "rrsets": [{"name": 7, "type": [], "records": "x"}]}',
        b"<html><body><h1>502 Bad Gateway</h1></body></html>",
        b"[]",
    ],
)
def test_malformed_powerdns_answers_are_errors_and_write_nothing(
    server: FaultServer, monkeypatch: pytest.MonkeyPatch, body: bytes
) -> None:
    server.fault, server.body = "ok", body
    server.headers = {"Content-Type": "application/json"}
    provider = powerdns(server, monkeypatch)
    controller = Controller(
        desired={ZONE: [RECORD]},
        providers={"pdns": provider},
        prober=ScriptedProber(),
        retry=RetryPolicy(attempts=2, initial_seconds=0.01, max_seconds=0.02),
        guards=standard_guards({ZONE: [RECORD]}),
    )

    async def run() -> None:
        try:
            outcomes = await controller.once()
        finally:
            await provider.aclose()
        assert outcomes[0].error is not None
        assert not isinstance(outcomes[0].error, TransientProviderError)

    asyncio.run(run())
    assert server.requests
    assert all(line.startswith("GET ") for line in server.requests)


@pytest.mark.parametrize(
    ("fault", "extra", "retry_after"),
    [
        ("status", {"status": 429, "headers": {"Retry-After": "7"}}, 7.0),
        ("status", {"status": 503}, None),
        ("reset", {}, None),
        ("black_hole", {}, None),
    ],
)
def test_provider_side_faults_are_transient(
    server: FaultServer,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    extra: dict[str, object],
    retry_after: float | None,
) -> None:
    server.fault = fault
    for key, value in extra.items():
        setattr(server, key, value)
    provider = powerdns(server, monkeypatch)

    async def run() -> ProviderError:
        try:
            await provider.list_rrsets(ZONE, [RECORD.key])
        except ProviderError as exc:
            return exc
        finally:
            await provider.aclose()
        raise AssertionError("no error")

    error = asyncio.run(run())
    assert isinstance(error, TransientProviderError), error
    assert error.retry_after == retry_after
    assert "fault-test-key" not in str(error)


def test_fault_proxy_in_front_of_a_stand_in(server: FaultServer) -> None:
    """At rate 0.3 the proxy faults about 30 % of connections and forwards the rest."""
    upstream = FaultServer(body=b"from upstream").start()
    try:
        server.fault, server.status, server.rate = "status", 503, 0.3
        server.upstream = ("127.0.0.1", upstream.port)
        results = [probe(server, body_match="from upstream")[0] for _ in range(40)]
    finally:
        upstream.stop()
    assert 0 < results.count(False) < 25
    assert upstream.hits["ok"] == results.count(True)


def test_in_memory_provider_faults_write_nothing() -> None:
    provider = InMemoryProvider()
    provider.faults.append(ProviderError("malformed answer"))
    controller = Controller(
        desired={Zone("example.test.", "memory"): [RECORD]},
        providers={"memory": provider},
        prober=ScriptedProber(),
        guards=standard_guards({Zone("example.test.", "memory"): [RECORD]}),
    )
    outcome = asyncio.run(controller.reconcile_zone(Zone("example.test.", "memory")))
    assert outcome.error is not None
    assert provider.writes == 0

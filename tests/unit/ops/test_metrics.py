"""Metrics moved by controller events, and the /metrics, /healthz, /readyz server."""

from __future__ import annotations

import argparse
import asyncio
import time
import types
import urllib.error
import urllib.request

import pytest
from prometheus_client import CollectorRegistry

from failover_sync.controller.events import (
    ApplyFinished,
    BrakeChanged,
    ControllerStopped,
    Event,
    EventBus,
    ReconcileFailed,
)
from failover_sync.errors import ProviderError, TransientProviderError
from failover_sync.health.probes import Prober
from failover_sync.health.schedule import ProbeSchedule
from failover_sync.ops.httpserver import Liveness, OpsServer, heartbeat, parse_addr
from failover_sync.ops.metrics import METRICS, Metrics, MetricsSubscriber
from failover_sync.ops.wiring import operations
from failover_sync.testing import InMemoryProvider
from failover_sync.testing.backends import HttpBackend
from tests.helpers.loop import NAME, ZONE, controller, live, seed


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def test_listener_follows_once_with_errors_then_success(
    backend_pair: tuple[HttpBackend, HttpBackend],
) -> None:
    web1, _ = backend_pair
    web1.stop()
    metrics = Metrics(CollectorRegistry())
    provider = InMemoryProvider()
    seed(provider, "127.0.0.2")
    ctl = controller(web1.port, provider)
    ctl.bus.subscribe(MetricsSubscriber(metrics, zones=[ZONE]))
    permanent = ProviderError("denied", provider="memory", zone=ZONE.name)

    async def main() -> None:
        await ctl.presume_health()
        await ctl.settle()  # web1 is down: unhealthy after two probes
        provider.faults = [permanent]
        assert (await ctl.reconcile_zone(ZONE)).error is permanent
        provider.faults = [TransientProviderError("busy", provider="memory", zone=ZONE.name)] * 3
        assert (await ctl.reconcile_zone(ZONE)).error is not None  # after 3 attempts
        assert (await ctl.reconcile_zone(ZONE)).error is None
        await ctl.prober.aclose()

    asyncio.run(main())
    assert live(provider) == ("127.0.0.3",)
    zone = {"zone": ZONE.name}
    assert value(metrics, "failover_sync_reconcile_errors_total", kind="permanent", **zone) == 1
    assert value(metrics, "failover_sync_reconcile_errors_total", kind="transient", **zone) == 1
    assert value(metrics, "failover_sync_consecutive_errors", **zone) == 0  # reset by success
    stamp = value(metrics, "failover_sync_last_successful_reconcile_timestamp_seconds", **zone)
    assert stamp is not None
    assert abs(stamp - time.time()) < 10
    assert value(metrics, "failover_sync_plan_changes_total", mode="applied", **zone) == 1
    calls = "failover_sync_provider_api_calls_total"
    assert value(metrics, calls, provider="memory", operation="apply") == 1
    assert value(metrics, calls, provider="memory", operation="list_rrsets") == 6
    assert value(metrics, "failover_sync_apply_duration_seconds_count", provider="memory") == 1
    unhealthy = {"endpoint": "127.0.0.2", "to": "unhealthy"}
    assert value(metrics, "failover_sync_health_transitions_total", **unhealthy) == 1
    endpoint = {"record": NAME, "endpoint": "127.0.0.2"}
    assert value(metrics, "failover_sync_endpoint_healthy", **endpoint) == 0
    assert value(metrics, "failover_sync_probe_results_total", protocol="HTTP", outcome="failure")


def test_consecutive_errors_count_up_and_apply_errors_by_kind() -> None:
    metrics = Metrics(CollectorRegistry())
    subscriber = MetricsSubscriber(metrics, zones=[ZONE])
    assert value(metrics, "failover_sync_last_successful_reconcile_timestamp_seconds",
                 zone=ZONE.name) == 0  # fmt: skip  # the series exists before any success
    error = TransientProviderError("throttled", provider="aws", zone=ZONE.name)
    for _ in range(3):
        subscriber(ReconcileFailed(ZONE, error))
        subscriber(ApplyFinished(ZONE, 0.2, error))
    subscriber(BrakeChanged(ZONE, "blast_radius", True, "too many changes"))
    assert value(metrics, "failover_sync_consecutive_errors", zone=ZONE.name) == 3
    assert value(metrics, "failover_sync_apply_errors_total", provider="memory", kind="transient")
    assert value(metrics, "failover_sync_frozen", zone=ZONE.name) == 1


def test_a_failing_subscriber_is_logged_and_the_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[Event] = []

    def broken(event: Event) -> None:
        raise RuntimeError("boom")

    bus = EventBus()
    bus.subscribe(broken)
    bus.subscribe(seen.append)
    bus.publish(ControllerStopped())
    assert seen == [ControllerStopped()]
    assert "subscriber_error" in caplog.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:9100", ("127.0.0.1", 9100)),
        (":9100", ("0.0.0.0", 9100)),
        ("[::1]:9100", ("::1", 9100)),
    ],
)
def test_parse_addr(text: str, expected: tuple[str, int]) -> None:
    assert parse_addr(text) == expected


@pytest.mark.parametrize("text", ["localhost", "127.0.0.1:", "127.0.0.1:0", "h:70000", "h:x"])
def test_parse_addr_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_addr(text)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_server_answers_health_readiness_and_metrics() -> None:
    metrics = Metrics(CollectorRegistry())
    ready = False
    liveness = Liveness(ready=lambda: ready, max_tick_age=0.3)
    server = OpsServer("127.0.0.1", 0, liveness, metrics.registry).start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        assert _get(base + "/healthz")[0] == 200
        assert _get(base + "/readyz")[0] == 503
        ready = True
        assert _get(base + "/readyz")[0] == 200
        status, body = _get(base + "/metrics")
        assert status == 200
        assert b"failover_sync_build_info{" in body
        time.sleep(0.35)  # no heartbeat: the loop looks stalled
        assert _get(base + "/healthz") == (503, b"event loop stalled\n")

        async def beat() -> None:
            task = asyncio.create_task(heartbeat(liveness, period=0.05))
            await asyncio.sleep(0.4)
            assert liveness.alive()
            task.cancel()

        asyncio.run(beat())
        assert _get(base + "/healthz")[0] == 200
    finally:
        server.stop()


ENGINE = {
    "failover_sync_probes_delayed_total": 7.0,
    "failover_sync_probes_waiting": 2.0,
    "failover_sync_probes_in_flight": 16.0,
    "failover_sync_probe_admission_limit": 16.0,
    "failover_sync_probe_cpu_seconds": 0.0005,
    "failover_sync_probes_skipped_total": 3.0,
}


def test_the_probe_engine_figures_are_read_on_each_scrape() -> None:
    metrics = Metrics(CollectorRegistry())
    prober = Prober(max_concurrency=16)
    schedule = ProbeSchedule(prober, [], lambda *a: False)
    assert value(metrics, "failover_sync_probe_admission_limit") is None  # nothing attached
    metrics.engine.attach(schedule)
    stats = prober.admission.stats
    stats.delayed, stats.waiting, stats.in_flight = 7, 2, 16
    stats.cpu_per_probe_seconds = 0.0005
    schedule.skipped = 3
    assert {name: value(metrics, name) for name in ENGINE} == ENGINE
    server = OpsServer("127.0.0.1", 0, Liveness(ready=lambda: True), metrics.registry).start()
    try:
        status, body = _get(f"http://127.0.0.1:{server.port}/metrics")
    finally:
        server.stop()
    assert status == 200
    assert b"failover_sync_probes_skipped_total 3.0\n" in body
    assert b"# TYPE failover_sync_probes_in_flight gauge\n" in body
    schedule.skipped = 5  # a later scrape sees the change
    assert value(metrics, "failover_sync_probes_skipped_total") == 5
    metrics.engine.detach(ProbeSchedule(prober, [], lambda *a: False))  # not the attached one
    assert value(metrics, "failover_sync_probes_skipped_total") == 5
    metrics.engine.detach(schedule)
    assert value(metrics, "failover_sync_probes_skipped_total") is None


def test_operations_attach_the_controller_schedule_while_they_run() -> None:
    provider = InMemoryProvider()
    seed(provider, "127.0.0.2")
    ctl = controller(1, provider)  # never probed: the schedule does not run
    config = types.SimpleNamespace(notify=None)
    limit = "failover_sync_probe_admission_limit"

    async def main() -> tuple[float | None, float | None]:
        async with operations(argparse.Namespace(), config, ctl):  # type: ignore[arg-type]
            during = value(METRICS, limit)
        return during, value(METRICS, limit)

    during, after = asyncio.run(main())
    assert during == ctl.prober.admission.stats.limit
    assert after is None

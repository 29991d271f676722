"""Probes against real servers on loopback: HTTP, HTTPS with SNI, TCP, and their faults."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from failover_sync.cli.demo import free_port
from failover_sync.health.probes import USER_AGENT, Prober
from failover_sync.model import HealthCheck, ProbeResult, ProbeTarget, StatusRange
from failover_sync.testing.backends import BlackHole, HttpBackend

ADDRESS = "127.0.0.4"


def probe(target: ProbeTarget) -> ProbeResult:
    async def main() -> ProbeResult:
        prober = Prober()
        try:
            return await prober.probe(target)
        finally:
            await prober.aclose()

    return asyncio.run(main())


@pytest.fixture
def backend() -> Iterator[HttpBackend]:
    server = HttpBackend(ADDRESS, free_port(ADDRESS)).start()
    yield server
    server.stop()


def http(backend: HttpBackend, **kwargs: object) -> ProbeTarget:
    settings: dict[str, object] = {
        "port": backend.port,
        "path": "/healthz",
        "host": "app.example.test",
        "request_timeout_seconds": 1.0,
    }
    settings.update(kwargs)
    return ProbeTarget(ADDRESS, HealthCheck(**settings))  # type: ignore[arg-type]


def test_healthy_answer_sends_host_and_user_agent(backend: HttpBackend) -> None:
    result = probe(http(backend, headers=(("X-Probe", "1"),)))
    assert result.ok
    assert result.reason == "status 200"
    assert 0 < result.latency_seconds < 1
    seen = backend.behaviour.seen_headers
    assert seen["host"] == f"app.example.test:{backend.port}"
    assert seen["user-agent"] == USER_AGENT
    assert seen["x-probe"] == "1"


@pytest.mark.parametrize(
    ("status", "expected", "ok"),
    [
        (503, (StatusRange(200, 399),), False),
        (302, (StatusRange(200, 399),), True),  # 3xx is healthy by default, not followed
        (204, (StatusRange(200, 200),), False),
        (204, (StatusRange(200, 200), StatusRange(204, 204)), True),
    ],
)
def test_expected_status(
    backend: HttpBackend, status: int, expected: tuple[StatusRange, ...], ok: bool
) -> None:
    backend.behaviour.status = status
    backend.behaviour.location = "http://192.0.2.1/elsewhere" if status == 302 else None
    if status == 204:
        backend.behaviour.body = b""  # RFC 9110 section 15.3.5: a 204 has no content
    result = probe(http(backend, expected_status=expected))
    assert result.ok is ok
    assert result.reason == f"status {status}"


def test_body_match_in_the_first_5120_bytes(backend: HttpBackend) -> None:
    backend.behaviour.body = b"x" * 6000 + b"READY"
    result = probe(http(backend, body_match="READY"))
    assert not result.ok
    assert result.reason == "status 200, body mismatch"
    backend.behaviour.body = b"status: READY\n" + b"x" * 10000
    assert probe(http(backend, body_match="READY")).ok


def test_head_method(backend: HttpBackend) -> None:
    assert probe(http(backend, method="HEAD")).ok
    assert backend.behaviour.requests == 1


def test_connection_refused() -> None:
    port = free_port(ADDRESS)
    result = probe(ProbeTarget(ADDRESS, HealthCheck(port=port, request_timeout_seconds=1.0)))
    assert not result.ok
    assert result.reason == "connection refused"


def test_timeout_is_the_probe_deadline() -> None:
    hole = BlackHole(ADDRESS)
    try:
        result = probe(
            ProbeTarget(ADDRESS, HealthCheck(port=hole.port, request_timeout_seconds=0.3))
        )
    finally:
        hole.close()
    assert not result.ok
    assert result.reason == "timeout after 0.3 s"
    assert 0.29 <= result.latency_seconds < 0.6


def test_slow_answer_times_out(backend: HttpBackend) -> None:
    backend.behaviour.delay_seconds = 0.5
    result = probe(http(backend, request_timeout_seconds=0.2))
    assert result.reason == "timeout after 0.2 s"


def test_tcp_connect() -> None:
    hole = BlackHole(ADDRESS)
    try:
        ok = probe(ProbeTarget(ADDRESS, HealthCheck(protocol="TCP", port=hole.port)))
    finally:
        hole.close()
    assert ok.ok
    assert ok.reason == "connected"
    refused = probe(ProbeTarget(ADDRESS, HealthCheck(protocol="TCP", port=free_port(ADDRESS))))
    assert refused.reason == "connection refused"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, Path]:
    ca = trustme.CA()
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return ca, ca_file


def https_backend(ca: trustme.CA, name: str) -> HttpBackend:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(name).configure_cert(ctx)
    return HttpBackend(ADDRESS, free_port(ADDRESS), ssl_context=ctx).start()


def test_https_sends_sni_and_verifies_the_name(tls: tuple[trustme.CA, Path]) -> None:
    ca, ca_file = tls
    server = https_backend(ca, "app.example.test")
    try:
        check = HealthCheck(
            protocol="HTTPS",
            port=server.port,
            host="app.example.test",
            ca_file=str(ca_file),
            request_timeout_seconds=2.0,
        )
        good = probe(ProbeTarget(ADDRESS, check))
        assert good.ok, good.reason
        wrong = dataclasses.replace(check, host="other.example.test")
        mismatch = probe(ProbeTarget(ADDRESS, wrong))
        assert not mismatch.ok
        assert mismatch.reason == "TLS name mismatch"
        unverified = dataclasses.replace(wrong, verify_tls=False, ca_file=None)
        assert probe(ProbeTarget(ADDRESS, unverified)).ok
        untrusted = dataclasses.replace(check, ca_file=None)
        result = probe(ProbeTarget(ADDRESS, untrusted))
        assert not result.ok
        assert result.reason.startswith("TLS verify failed")
    finally:
        server.stop()


def test_source_address_from_the_config() -> None:
    from pydantic import ValidationError

    from failover_sync.config.records import to_health_check
    from failover_sync.config.spec import HealthCheckSpec

    spec = HealthCheckSpec(source_address="127.0.0.9")
    check = to_health_check(spec.model_dump(exclude_none=True), "app.example.test")
    assert check.source_address == "127.0.0.9"
    assert to_health_check({}, "app.example.test").source_address is None
    with pytest.raises(ValidationError, match="source_address"):
        HealthCheckSpec(source_address="not an address")


def test_probes_never_resolve_names() -> None:
    result = probe(ProbeTarget("localhost", HealthCheck(port=free_port(ADDRESS))))
    assert not result.ok
    assert result.reason == "probes never resolve host names (localhost)"


def test_one_prober_on_two_event_loops_without_aclose(backend: HttpBackend) -> None:
    prober = Prober()
    target = http(backend)
    for _ in range(2):  # each asyncio.run is a new loop; the prober is never closed
        assert asyncio.run(prober.probe(target)).reason == "status 200"
    del prober  # collected without aclose: no ResourceWarning (warnings are errors here)
    gc.collect()

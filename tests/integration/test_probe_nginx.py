"""Probes against a real nginx (issue 12, items 6 and 20; issue 14, item 6).

nginx serves SNI virtual hosts with certificates from a private CA, redirects the way it does
by default (absolute, with the name from ``Host``), and shows the client address it saw. The
probed names end in ``.test`` (RFC 6761): nothing resolves them, so a probe that follows a
redirect through DNS fails instead of passing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import threading
from collections.abc import Iterator

import pytest

from failover_sync.health.probes import Prober
from failover_sync.model import HealthCheck, ProbeResult, ProbeTarget, StatusRange
from failover_sync.testing.nginx import Nginx, nginx_server
from failover_sync.testing.process import free_port
from failover_sync.testing.waits import wait_for

SOURCE = "127.0.0.9"


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    with nginx_server(tmp_path_factory.mktemp("nginx")) as server:
        yield server


def probe(target: ProbeTarget) -> ProbeResult:
    async def main() -> ProbeResult:
        prober = Prober()
        try:
            return await prober.probe(target)
        finally:
            await prober.aclose()

    return asyncio.run(main())


def check(nginx: Nginx, scheme: str = "HTTP", **kwargs: object) -> ProbeTarget:
    settings: dict[str, object] = {
        "protocol": scheme,
        "port": nginx.https_port if scheme == "HTTPS" else nginx.http_port,
        "path": "/healthz",
        "host": "app.example.test",
        "ca_file": str(nginx.ca_file),
        "request_timeout_seconds": 5.0,
    }
    settings.update(kwargs)
    return ProbeTarget(nginx.address, HealthCheck(**settings))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["app.example.test", "other.example.test"])
def test_sni_selects_the_virtual_host(nginx: Nginx, name: str) -> None:
    result = probe(check(nginx, "HTTPS", host=name, body_match=f"{name} tls ok"))
    assert result.ok, result.reason
    assert result.reason == "status 200"


def test_wrong_name_certificate_is_a_name_mismatch(nginx: Nginx) -> None:
    result = probe(check(nginx, "HTTPS", host="wrong.example.test"))
    assert not result.ok
    assert result.reason == "TLS name mismatch"
    unverified = probe(check(nginx, "HTTPS", host="wrong.example.test", verify_tls=False))
    assert unverified.ok, unverified.reason


def test_same_host_redirect_is_followed_on_the_endpoint(nginx: Nginx) -> None:
    target = check(nginx, path="/moved", body_match="app.example.test http ok")
    assert probe(target).reason == "status 302, body mismatch"  # not followed by default
    followed = probe(dataclasses.replace(target, check=dataclasses.replace(
        target.check, follow_redirects=True)))  # fmt: skip
    assert followed.ok, followed.reason
    assert followed.reason == "status 200"


def test_redirect_to_https_keeps_host_and_sni(nginx: Nginx) -> None:
    result = probe(
        check(nginx, path="/to-https", follow_redirects=True, body_match="app.example.test tls")
    )
    assert result.ok, result.reason
    other = probe(
        check(
            nginx,
            path="/to-https",
            host="other.example.test",
            follow_redirects=True,
            body_match="other.example.test tls ok",
        )
    )
    # nginx has no HTTP server named other.example.test: its default (app) redirects with
    # the Host it was sent, and the HTTPS hop selects other.example.test by SNI
    assert other.ok, other.reason


def test_redirect_to_another_host_is_the_final_response(nginx: Nginx) -> None:
    note = "redirect to other host elsewhere.example.test not followed"
    result = probe(check(nginx, path="/elsewhere", follow_redirects=True))
    assert result.ok  # 302 is within the default expected 200-399
    assert result.reason == f"status 302, {note}"
    strict = probe(
        check(
            nginx,
            path="/elsewhere",
            follow_redirects=True,
            expected_status=(StatusRange(200, 299),),
        )
    )
    assert not strict.ok
    assert strict.reason == f"status 302, {note}"


def test_redirect_loop_fails(nginx: Nginx) -> None:
    result = probe(check(nginx, path="/loop", follow_redirects=True))
    assert not result.ok
    assert result.reason == "too many redirects"


@pytest.mark.parametrize("scheme", ["HTTP", "HTTPS"])
def test_source_address_is_what_the_backend_sees(nginx: Nginx, scheme: str) -> None:
    path = f"/only-from/{SOURCE}"
    refused = probe(check(nginx, scheme, path=path))
    assert refused.reason == "status 403"
    seen = probe(check(nginx, scheme, path="/whoami", source_address=SOURCE, body_match=SOURCE))
    assert seen.ok, seen.reason
    allowed = probe(check(nginx, scheme, path=path, source_address=SOURCE))
    assert allowed.ok, allowed.reason


@pytest.fixture
def listener() -> Iterator[tuple[int, list[str]]]:
    """A TCP listener on 127.0.0.4 that records the address of every client it accepts."""
    sock = socket.socket()
    sock.bind(("127.0.0.4", free_port("127.0.0.4")))
    sock.listen(16)
    peers: list[str] = []

    def accept() -> None:
        while True:
            try:
                conn, peer = sock.accept()
            except OSError:
                return
            peers.append(peer[0])
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(sock.getsockname()[1]), peers
    sock.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
    sock.close()
    thread.join(5)


def test_tcp_probe_from_the_source_address(listener: tuple[int, list[str]]) -> None:
    port, peers = listener
    hc = HealthCheck(protocol="TCP", port=port, source_address=SOURCE)
    result = probe(ProbeTarget("127.0.0.4", hc))
    assert result.ok, result.reason
    wait_for(lambda: bool(peers), 5.0)
    assert peers == [SOURCE]

"""End to end: HTTP backends on 127.0.0.x -> ``failover-sync run`` (a real process) -> the
fake, with the token in ``CLOUDFLARE_API_TOKEN``. Failover and failback keep the RRset proxied
and never touch unmanaged records; multivalue removes exactly the failed value, through a 429
storm."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from failover_sync.cli.demo import Backend, free_port
from failover_sync.testing.process import ManagedProcess, wait_until
from providers.cloudflare.tests import cfhelpers
from providers.cloudflare.tests.cffake import CloudflareFake, Fault

APP = "app.example.test."
BATCH = "dns-records-for-a-zone-batch-dns-records"
LIST = "dns-records-for-a-zone-list-dns-records"
CLI = str(Path(sys.executable).parent / "failover-sync")


@pytest.fixture
def backends() -> Iterator[tuple[int, dict[str, Backend]]]:
    addresses = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
    port = free_port(*addresses)
    servers = {a: Backend(a, port) for a in addresses}
    for server in servers.values():
        server.start()
    try:
        yield port, servers
    finally:
        for server in servers.values():
            server.stop()


def events(process: ManagedProcess) -> list[dict[str, object]]:
    out = []
    for line in process.log_path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def start(
    tmp_path: Path, fake: CloudflareFake, token: str, records: str, port: int
) -> ManagedProcess:
    text = cfhelpers.config_yaml(
        fake.base_url, records, interval=0.2, timeout=0.15, resync=1.0
    ).replace("port: 9,", f"port: {port},")
    config = tmp_path / "failover-sync.yaml"
    config.write_text(text)
    env = {**os.environ, "CLOUDFLARE_API_TOKEN": token}
    process = ManagedProcess(
        [CLI, "run", "-c", str(config), "--log-format", "json"], log=tmp_path / "run.log", env=env
    )
    proc = process.start()
    wait_until(
        lambda: any(e["event"] == "controller_ready" for e in events(process)),
        timeout=15,
        what="failover-sync run",
        process=proc,
    )
    return process


def published(fake: CloudflareFake, zone_id: str, name: str = APP) -> list[str]:
    return [r["content"] for r in fake.records(zone_id, name, "A")]


def test_failover_and_failback_keep_proxied_and_leave_the_rest_alone(
    fake: CloudflareFake, token: str, tmp_path: Path, backends: tuple[int, dict[str, Backend]]
) -> None:
    port, servers = backends
    zone_id = fake.add_zone("example.test")
    fake.add_record(zone_id, "app", "A", "127.0.0.2", proxied=True, comment="origin 1")
    untouched = [
        fake.add_record(zone_id, "app", "TXT", '"site-verification=abc"'),
        fake.add_record(zone_id, "other", "A", "198.51.100.7", proxied=True),
    ]
    records = (
        "  app.example.test:\n    type: A\n    policy: failover\n"
        "    records: [{value: 127.0.0.2}, {value: 127.0.0.3}]\n"
    )
    process = start(tmp_path, fake, token, records, port)
    try:
        assert process.process is not None
        steady_from = len(fake.calls)
        time.sleep(2.5)  # two resyncs: reads only
        assert fake.count(BATCH, since=steady_from) == 0
        assert fake.count(LIST, since=steady_from) >= 2

        servers["127.0.0.2"].stop()
        wait_until(
            lambda: published(fake, zone_id) == ["127.0.0.3"],
            timeout=10,
            what="failover",
            process=process.process,
        )
        (secondary,) = fake.records(zone_id, APP, "A")
        assert (secondary["proxied"], secondary["ttl"], secondary["comment"]) == (
            True,
            1,
            "managed by failover-sync",
        )

        servers["127.0.0.2"].start()
        wait_until(
            lambda: published(fake, zone_id) == ["127.0.0.2"],
            timeout=10,
            what="failback",
            process=process.process,
        )
        (primary,) = fake.records(zone_id, APP, "A")
        assert primary["proxied"] is True
        assert fake.count(BATCH) == 2
        assert fake.count("zones-get") == 1
        for record in untouched:
            assert record in fake.records(zone_id)
    finally:
        process.stop()
    assert process.process is not None
    assert process.process.returncode == 0
    assert token not in process.log_path.read_text()


def test_multivalue_through_a_429_storm(
    fake: CloudflareFake, token: str, tmp_path: Path, backends: tuple[int, dict[str, Backend]]
) -> None:
    port, servers = backends
    zone_id = fake.add_zone("example.test")
    records = (
        "  app.example.test:\n    type: A\n    policy: multivalue\n"
        "    records: [{value: 127.0.0.2}, {value: 127.0.0.3}, {value: 127.0.0.4}]\n"
    )
    process = start(tmp_path, fake, token, records, port)
    try:
        assert process.process is not None
        wait_until(
            lambda: published(fake, zone_id) == ["127.0.0.2", "127.0.0.3", "127.0.0.4"],
            timeout=10,
            what="publish all",
            process=process.process,
        )
        ids = {r["content"]: r["id"] for r in fake.records(zone_id, APP, "A")}
        # More 429s on the batch than one reconcile survives (sent once per core attempt, 4).
        storm = Fault(429, 10000, "Rate limited", count=5, retry_after=0.05, operation=BATCH)
        fake.fail_next(storm)
        servers["127.0.0.3"].stop()
        wait_until(
            lambda: published(fake, zone_id) == ["127.0.0.2", "127.0.0.4"],
            timeout=20,
            what="remove the failed value",
            process=process.process,
        )
        assert {r["content"]: r["id"] for r in fake.records(zone_id, APP, "A")} == {
            v: ids[v] for v in ("127.0.0.2", "127.0.0.4")
        }
        failed = [e for e in events(process) if e["event"] == "reconcile_failed"]
        assert len(failed) == 1
        assert failed[0]["kind"] == "transient"
        assert "HTTP 429" in str(failed[0]["error"])
        assert fake.count(BATCH) == 1 + 5 + 1
        assert process.process.poll() is None
    finally:
        process.stop()

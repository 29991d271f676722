"""End to end: HTTP backends on 127.0.0.x -> ``failover-sync run`` (a real process) -> the
DNS Made Easy fake, with the keys in ``DNSMADEEASY_API_KEY`` / ``DNSMADEEASY_SECRET_KEY``.
Failover and failback never leave the name without a value and never touch unmanaged
records; multivalue removes exactly the failed value through a run of 500s."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from failover_sync.cli.demo import Backend, free_port
from failover_sync.testing.process import ManagedProcess, wait_until
from providers.dnsmadeeasy.tests import dmehelpers
from providers.dnsmadeeasy.tests.dmefake import DnsMadeEasyFake, Fault

CLI = str(Path(sys.executable).parent / "failover-sync")
LIST, CREATE, DELETE = "records-list", "records-createMulti", "records-delete"
WRITES = ("records-createMulti", "records-updateMulti", "records-delete", "record-create")


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
    lines = process.log_path.read_text(errors="replace").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def start(
    tmp_path: Path, fake: DnsMadeEasyFake, account: tuple[str, str], records: str, port: int
) -> ManagedProcess:
    text = dmehelpers.config_yaml(
        fake.base_url, records, interval=0.2, timeout=0.15, resync=1.0
    ).replace("port: 9,", f"port: {port},")
    config = tmp_path / "failover-sync.yaml"
    config.write_text(text)
    env = {**os.environ, "DNSMADEEASY_API_KEY": account[0], "DNSMADEEASY_SECRET_KEY": account[1]}
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


def test_failover_and_failback_never_empty_and_leave_the_rest_alone(
    fake: DnsMadeEasyFake,
    account: tuple[str, str],
    domain_id: int,
    tmp_path: Path,
    backends: tuple[int, dict[str, Backend]],
) -> None:
    port, servers = backends
    fake.add_record(domain_id, "app", "A", "127.0.0.2", ttl=60)
    untouched = {
        fake.add_record(domain_id, "app", "TXT", '"site-verification=abc"'),
        fake.add_record(domain_id, "other", "A", "198.51.100.7"),
    }
    records = (
        "  app.example.test:\n    type: A\n    policy: failover\n"
        "    records: [{value: 127.0.0.2}, {value: 127.0.0.3}]\n"
    )
    process = start(tmp_path, fake, account, records, port)
    proc = process.process
    assert proc is not None
    try:
        steady_from = len(fake.calls)
        wait_until(
            lambda: fake.count(LIST, since=steady_from) >= 2,
            timeout=10,
            what="two resyncs",
            process=proc,
        )
        assert sum(fake.count(w, since=steady_from) for w in WRITES) == 0

        servers["127.0.0.2"].stop()
        wait_until(
            lambda: fake.values(domain_id, "app", "A") == ["127.0.0.3"],
            timeout=10,
            what="failover",
            process=proc,
        )
        servers["127.0.0.2"].start()
        wait_until(
            lambda: fake.values(domain_id, "app", "A") == ["127.0.0.2"],
            timeout=10,
            what="failback",
            process=proc,
        )
        assert fake.count("domain-by-name") == 1
        assert (fake.count(CREATE), fake.count(DELETE)) == (2, 2)
        history = fake.values_over_time(domain_id, "app", "A")
        assert all(history)  # never an empty answer
        assert history[-4:] == [
            ("127.0.0.2", "127.0.0.3"),
            ("127.0.0.3",),
            ("127.0.0.2", "127.0.0.3"),
            ("127.0.0.2",),
        ]
        assert untouched <= {r["id"] for r in fake.records(domain_id)}
        assert all(c.status < 400 for c in fake.calls)
    finally:
        process.stop()
    assert proc.returncode == 0
    log = process.log_path.read_text()
    assert account[0] not in log
    assert account[1] not in log


def test_multivalue_through_server_errors(
    fake: DnsMadeEasyFake,
    account: tuple[str, str],
    domain_id: int,
    tmp_path: Path,
    backends: tuple[int, dict[str, Backend]],
) -> None:
    port, servers = backends
    records = (
        "  app.example.test:\n    type: A\n    policy: multivalue\n"
        "    records: [{value: 127.0.0.2}, {value: 127.0.0.3}, {value: 127.0.0.4}]\n"
    )
    process = start(tmp_path, fake, account, records, port)
    proc = process.process
    assert proc is not None
    try:
        everything = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
        wait_until(
            lambda: fake.values(domain_id, "app", "A") == everything,
            timeout=10,
            what="publish all",
            process=proc,
        )
        ids = {r["value"]: r["id"] for r in fake.records(domain_id, "app", "A")}
        # More 500s on the delete than one reconcile survives (4 attempts by the core).
        page = b"<html><body>HTTP Status 500</body></html>"
        fake.fail_next(Fault(500, page, count=5, route=DELETE, content_type="text/html"))
        servers["127.0.0.3"].stop()
        wait_until(
            lambda: fake.values(domain_id, "app", "A") == ["127.0.0.2", "127.0.0.4"],
            timeout=20,
            what="remove the failed value",
            process=proc,
        )
        kept = {r["value"]: r["id"] for r in fake.records(domain_id, "app", "A")}
        assert kept == {v: ids[v] for v in ("127.0.0.2", "127.0.0.4")}
        failed = [e for e in events(process) if e["event"] == "reconcile_failed"]
        assert len(failed) == 1
        assert failed[0]["kind"] == "transient"
        assert "multi-delete of app.example.test. A in domain example.test.: HTTP 500" in str(
            failed[0]["error"]
        )
        assert fake.count(DELETE) == 1 + 5
        assert proc.poll() is None
    finally:
        process.stop()

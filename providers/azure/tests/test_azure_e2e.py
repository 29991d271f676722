"""End to end: HTTP backends on 127.0.0.x -> ``failover-sync`` as a process -> the TLS fake,
with a bearer token in ``AZURE_TEST_TOKEN`` (``access_token_env``) and the fake's CA in
``ca_file``. A failover and a failback through ``run``; a first publish through
``run --once`` across a 429 storm."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from failover_sync.cli.demo import free_port
from failover_sync.testing.backends import HttpBackend
from failover_sync.testing.process import ManagedProcess, wait_until
from providers.azure.tests.azfake import AzureDnsFake, FakeZone, Fault
from providers.azure.tests.azhelpers import GROUP, SUBSCRIPTION

CLI = str(Path(sys.executable).with_name("failover-sync"))
PUT = "RecordSets_CreateOrUpdate"
WEB = ("127.0.0.2", "127.0.0.3")


@pytest.fixture
def backends() -> Iterator[tuple[int, dict[str, HttpBackend]]]:
    port = free_port(*WEB)
    servers = {a: HttpBackend(a, port).start() for a in WEB}
    try:
        yield port, servers
    finally:
        for server in servers.values():
            server.stop()


def write_config(tmp_path: Path, fake: AzureDnsFake, port: int) -> Path:
    config = tmp_path / "failover-sync.yaml"
    config.write_text(f"""
providers:
  az:
    type: azure
    subscription_id: "{SUBSCRIPTION}"
    resource_group: {GROUP}
    base_url: "{fake.base_url}"
    ca_file: "{fake.ca_path}"
    access_token_env: AZURE_TEST_TOKEN
zones:
  - {{name: example.test, provider: az}}
resync_seconds: 1
defaults:
  ttl: 60
  health_check: {{protocol: HTTP, port: {port}, path: /healthz, interval_seconds: 0.2,
                 failure_threshold: 2, success_threshold: 1, request_timeout_seconds: 0.15}}
records:
  app.example.test:
    type: A
    policy: failover
    records: [{{value: {WEB[0]}}}, {{value: {WEB[1]}}}]
""")
    return config


def events(process: ManagedProcess) -> list[dict[str, object]]:
    lines = process.log_path.read_text(errors="replace").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def test_failover_and_failback_through_the_cli(
    fake: AzureDnsFake,
    fake_zone: FakeZone,
    token: str,
    tmp_path: Path,
    backends: tuple[int, dict[str, HttpBackend]],
) -> None:
    port, servers = backends
    fake.set_record(fake_zone, "TXT", "app", 300, ["site-verification=abc"])
    fake.set_record(fake_zone, "A", "other", 300, ["198.51.100.7"])
    config = write_config(tmp_path, fake, port)
    env = {**os.environ, "AZURE_TEST_TOKEN": token}
    process = ManagedProcess(
        [CLI, "run", "-c", str(config), "--log-format", "json"], log=tmp_path / "run.log", env=env
    )
    proc = process.start()
    try:
        # A call is logged just after the store changed: wait for both.
        wait_until(
            lambda: fake.values(fake_zone, "A", "app") == [WEB[0]] and fake.count(PUT) >= 2,
            timeout=15,
            what="first publish",
            process=proc,
        )
        first = [
            (c.path.rsplit("/", 2)[-2], c.if_none_match) for c in fake.calls if c.method == "PUT"
        ]
        assert first[0] == ("TXT", "*")  # the marker goes with the first write, before it
        assert ("A", "*") in first
        marker = fake.values(fake_zone, "TXT", "_failover-sync.app")
        assert marker is not None
        assert any("heritage=failover-sync" in value for value in marker)

        puts_before = fake.count(PUT)
        servers[WEB[0]].stop()
        wait_until(
            lambda: (
                fake.values(fake_zone, "A", "app") == [WEB[1]] and fake.count(PUT) > puts_before
            ),
            timeout=15,
            what="failover",
            process=proc,
        )
        failover = [c for c in fake.calls if c.method == "PUT"][puts_before:]
        assert [c.path.rsplit("/", 2)[-2:] for c in failover] == [["A", "app"]]
        assert failover[0].if_match is not None  # compare-and-swap on the ETag read

        servers[WEB[0]].start()
        wait_until(
            lambda: fake.values(fake_zone, "A", "app") == [WEB[0]],
            timeout=15,
            what="failback",
            process=proc,
        )
        assert fake.values(fake_zone, "TXT", "app") == ["site-verification=abc"]
        assert fake.values(fake_zone, "A", "other") == ["198.51.100.7"]
    finally:
        process.stop()
    assert proc.returncode == 0
    assert token not in process.log_path.read_text()


def test_run_once_publishes_through_a_429_storm(
    fake: AzureDnsFake,
    fake_zone: FakeZone,
    token: str,
    tmp_path: Path,
    backends: tuple[int, dict[str, HttpBackend]],
) -> None:
    port, _ = backends
    config = write_config(tmp_path, fake, port)
    fake.fail_next(
        Fault(429, "TooManyRequests", "slow down", count=2, retry_after=0.05, operation=PUT)
    )
    done = subprocess.run(
        [CLI, "run", "--once", "-c", str(config), "--log-format", "json"],
        env={**os.environ, "AZURE_TEST_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert fake.values(fake_zone, "A", "app") == [WEB[0]]
    statuses = [c.status for c in fake.calls if c.method == "PUT"]
    assert statuses.count(429) == 2
    assert token not in done.stderr + done.stdout

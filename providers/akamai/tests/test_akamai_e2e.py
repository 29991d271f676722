"""End to end: HTTP backends on 127.0.0.x -> ``failover-sync run`` (a real process) -> the
fake, with the EdgeGrid credentials in environment variables that the config names. The
steady state only reads; failover and failback each submit one change list; unmanaged record
sets stay; no secret reaches the log."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from failover_sync.cli.demo import Backend, free_port
from failover_sync.testing.process import ManagedProcess, wait_until
from providers.akamai.tests import akhelpers
from providers.akamai.tests.akfake import AkamaiFake, Client

APP = "app.example.test."
LIST = "get-zones-zone-recordsets"
SUBMIT = "post-changelists-zone-submit"
CLI = str(Path(sys.executable).parent / "failover-sync")
CREDENTIALS = (
    ", client_token_env: AK_CLIENT_TOKEN, client_secret_env: AK_CLIENT_SECRET,"
    " access_token_env: AK_ACCESS_TOKEN"
)


@pytest.fixture
def backends() -> Iterator[tuple[int, dict[str, Backend]]]:
    addresses = ["127.0.0.2", "127.0.0.3"]
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


def published(fake: AkamaiFake) -> tuple[str, ...] | None:
    value = fake.rrset("example.test", APP, "A")
    return None if value is None else value[1]


def test_failover_and_failback_through_the_cli(
    fake: AkamaiFake, client: Client, tmp_path: Path, backends: tuple[int, dict[str, Backend]]
) -> None:
    port, servers = backends
    fake.write("example.test", APP, "A", 60, ["127.0.0.2"])
    fake.write("example.test", "www.example.test", "A", 300, ["198.51.100.7"])
    fake.write("example.test", APP, "TXT", 300, ['"site-verification=abc"'])
    records = (
        "  app.example.test:\n    type: A\n    policy: failover\n"
        "    records: [{value: 127.0.0.2}, {value: 127.0.0.3}]\n"
    )
    text = akhelpers.config_yaml(
        fake.base_url, records, credentials=CREDENTIALS, interval=0.2, timeout=0.15, resync=1.0
    ).replace("port: 9,", f"port: {port},")
    config = tmp_path / "failover-sync.yaml"
    config.write_text(text)
    env = {
        **os.environ,
        "AK_CLIENT_TOKEN": client.client_token,
        "AK_CLIENT_SECRET": client.client_secret,
        "AK_ACCESS_TOKEN": client.access_token,
    }
    process = ManagedProcess(
        [CLI, "run", "-c", str(config), "--log-format", "json", "--log-level", "DEBUG"],
        log=tmp_path / "run.log",
        env=env,
    )
    proc = process.start()
    try:
        wait_until(
            lambda: any(e["event"] == "controller_ready" for e in events(process)),
            timeout=15,
            what="failover-sync run",
            process=proc,
        )
        steady_from = len(fake.calls)
        wait_until(
            lambda: fake.count(LIST, since=steady_from) >= 2,
            timeout=10,
            what="two resyncs",
            process=proc,
        )
        assert fake.count(SUBMIT, since=steady_from) == 0  # steady state: reads only

        servers["127.0.0.2"].stop()
        wait_until(
            lambda: published(fake) == ("127.0.0.3",), timeout=10, what="failover", process=proc
        )
        servers["127.0.0.2"].start()
        wait_until(
            lambda: published(fake) == ("127.0.0.2",), timeout=10, what="failback", process=proc
        )
        assert fake.count(SUBMIT) == 2
        assert fake.rrset("example.test", "www.example.test", "A") == (300, ("198.51.100.7",))
        assert fake.rrset("example.test", APP, "TXT") == (300, ('"site-verification=abc"',))
        assert fake.changelists == {}
        assert not any(c.method == "PUT" for c in fake.calls)
    finally:
        process.stop()
    assert proc.returncode == 0
    log = process.log_path.read_text()
    for secret in (client.client_token, client.client_secret, client.access_token):
        assert secret not in log

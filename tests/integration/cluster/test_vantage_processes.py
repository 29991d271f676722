"""Three ``failover-sync run --vantage`` processes on a real etcd cluster and one zone file:
a quorum removes an endpoint, the leader's SIGKILL hands over to another within the lease,
a SIGSTOPped leader continued after a takeover never writes, and ``cluster status`` shows
it all. The epoch marker only ever grows."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import dns.zone
import pytest

from failover_sync.testing.backends import HttpBackend
from failover_sync.testing.etcd import EtcdCluster
from failover_sync.testing.waits import wait_for
from tests.helpers.cli import NAME, cli
from tests.helpers.vantages import VantageProcesses

LEASE = 2
NAMES = ("fra", "iad", "sin")


def _config(tmp_path: Path, etcd: EtcdCluster, port: int) -> Path:
    path = tmp_path / "failover-sync.yaml"
    endpoints = ", ".join(etcd.endpoints)
    path.write_text(f"""\
owner_id: {tmp_path.name.replace("_", "-")[:60]}
providers:
  local: {{type: zonefile, directory: zones, create_missing: true}}
zones:
  - {{name: example.test, provider: local}}
defaults:
  ttl: 30
  health_check: {{port: {port}, path: /healthz, interval_seconds: 0.2, failure_threshold: 2,
                 success_threshold: 2, request_timeout_seconds: 0.1}}
records:
  {NAME}:
    type: A
    policy: multivalue
    records: [{{value: 127.0.0.2}}, {{value: 127.0.0.3}}, {{value: 127.0.0.4}}]
cluster:
  etcd: {{endpoints: [{endpoints}], timeout_seconds: 1}}
  vantages: [{", ".join(NAMES)}]
  quorum: majority
  lease_seconds: {LEASE}
""")
    return path


@pytest.fixture
def vantages(
    tmp_path: Path, etcd: EtcdCluster, backends: dict[str, HttpBackend]
) -> Iterator[VantageProcesses]:
    port = next(iter(backends.values())).port
    config = _config(tmp_path, etcd, port)
    running = VantageProcesses(tmp_path, dict.fromkeys(NAMES, config))
    running.start_all()
    yield running
    running.stop()


def _serial(tmp_path: Path) -> int:
    """The zone file's SOA serial: the zone-file provider bumps it once per write."""
    zone = dns.zone.from_file(str(tmp_path / "zones" / "example.test.zone"), origin="example.test.")
    soa = zone.get_rdataset("@", "SOA")
    assert soa is not None
    return int(next(iter(soa)).serial)


def _zone(tmp_path: Path) -> tuple[tuple[str, ...], int | None]:
    """The published A values and the epoch marker's epoch."""
    path = tmp_path / "zones" / "example.test.zone"
    if not path.exists():
        return (), None
    zone = dns.zone.from_file(str(path), origin="example.test.")
    a = zone.get_rdataset(NAME, "A")
    marker = zone.get_rdataset("_failover-sync-epoch.example.test.", "TXT")
    epoch = None
    if marker:
        text = next(iter(marker)).to_text().strip('"')
        epoch = int(text.split()[0].removeprefix("epoch="))
    return tuple(sorted(rd.to_text() for rd in a)) if a else (), epoch


def _leader(vantages: VantageProcesses) -> str | None:
    leader = vantages.status()["leader"]
    return leader if isinstance(leader, str) else None


def test_quorum_removal_leader_kill_and_split_brain(
    vantages: VantageProcesses, backends: dict[str, HttpBackend], tmp_path: Path
) -> None:
    epochs: list[int] = []

    def published(values: tuple[str, ...]) -> bool:
        current, epoch = _zone(tmp_path)
        if epoch is not None and (not epochs or epochs[-1] != epoch):
            epochs.append(epoch)
        return current == values

    all3 = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
    wait_for(lambda: published(all3), 30, poll_seconds=0.05)
    wait_for(lambda: all(vantages.status()["vantages"].values()), 10)  # type: ignore[attr-defined]

    # every vantage sees 127.0.0.2 down: removed by the leader
    backends["127.0.0.2"].stop()
    wait_for(lambda: published(all3[1:]), 10, poll_seconds=0.05)
    doc = vantages.status()
    row = next(r for r in doc["endpoints"] if "127.0.0.2" in r["endpoint"])  # type: ignore[attr-defined]
    assert row["verdict"] == "unhealthy"
    assert sorted(v for v, x in row["votes"].items() if not x["healthy"]) == list(NAMES)
    leader = _leader(vantages)
    assert leader in NAMES
    text = cli("cluster", "status", "-c", str(vantages.configs[NAMES[0]]), cwd=tmp_path).stdout
    assert f"leader: {leader}    quorum: 2 of 3 (majority)" in text
    assert "vantages: fra alive, iad alive, sin alive" in text
    assert "127.0.0.2:" in text
    assert "unhealthy  (fra=down, iad=down, sin=down)" in text
    assert "cluster_verdict_unhealthy" in vantages.log(leader)

    # SIGKILL the leader: another takes over within the lease plus an election
    vantages.procs[leader].kill()
    vantages.procs[leader].wait(5)
    wait_for(lambda: _leader(vantages) not in (None, leader), LEASE + 3)
    second = _leader(vantages)
    assert second is not None
    backends["127.0.0.2"].start()  # the two left restore it (two of three healthy)
    wait_for(lambda: published(all3), 10, poll_seconds=0.05)

    # SIGSTOP the new leader past its lease; the third takes over and writes; SIGCONT
    os.kill(vantages.procs[second].pid, signal.SIGSTOP)
    wait_for(lambda: _leader(vantages) not in (None, second), LEASE + 3)
    third = _leader(vantages)
    assert third is not None
    vantages.start(leader)  # back to three vantages: a quorum of two while second sleeps
    backends["127.0.0.3"].stop()
    wait_for(lambda: published(("127.0.0.2", "127.0.0.4")), 15, poll_seconds=0.05)
    os.kill(vantages.procs[second].pid, signal.SIGCONT)
    wait_for(lambda: "cluster_leader_lost" in vantages.log(second), LEASE + 3)
    backends["127.0.0.3"].start()
    wait_for(lambda: published(all3), 15, poll_seconds=0.05)
    assert _zone(tmp_path)[1] == max(epochs)
    assert epochs == sorted(set(epochs))  # the marker only ever grew
    assert all(p.poll() is None for p in vantages.procs.values() if p.pid)  # nobody crashed


def test_leader_killed_between_intent_and_write(
    tmp_path: Path, etcd: EtcdCluster, backends: dict[str, HttpBackend]
) -> None:
    port = next(iter(backends.values())).port
    running = VantageProcesses(tmp_path, dict.fromkeys(NAMES, _config(tmp_path, etcd, port)))
    hold = tmp_path / "held"
    try:
        running.start("fra", FAILOVER_SYNC_TEST_HOLD_AFTER_INTENT=str(hold))
        wait_for(lambda: _leader(running) == "fra", 15)
        running.start("iad")
        running.start("sin")
        # A quorum of healthy votes: fra creates the record; its first write is held
        wait_for(lambda: hold.exists(), 30)
        running.procs["fra"].kill()  # SIGKILL with the intent recorded, nothing written
        running.procs["fra"].wait(5)
        assert not (tmp_path / "zones" / "example.test.zone").exists()
        wait_for(lambda: _leader(running) in ("iad", "sin"), LEASE + 3)
        all3 = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
        wait_for(lambda: _zone(tmp_path)[0] == all3, 30, poll_seconds=0.05)
        first_epoch = _zone(tmp_path)[1]
        held_epoch = int(hold.read_text().split()[1])
        assert first_epoch is not None
        assert first_epoch > held_epoch  # the new leader's own intent, later in etcd
        serial = _serial(tmp_path)
        wait_for(lambda: all(running.status()["vantages"][n] for n in ("iad", "sin")), 10)  # type: ignore[index]
        backends["127.0.0.3"].stop()  # two of three vote it down: one write, one epoch
        wait_for(lambda: _zone(tmp_path)[0] == ("127.0.0.2", "127.0.0.4"), 15, poll_seconds=0.02)
        _values, epoch = _zone(tmp_path)
        assert epoch is not None
        assert epoch > first_epoch
        assert _serial(tmp_path) == serial + 1  # the change and its marker in one write
    finally:
        running.stop()

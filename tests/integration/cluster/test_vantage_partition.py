"""A vantage partition on real processes: three ``failover-sync run --vantage`` processes,
each with its own config whose health check sends probes from its own loopback source
address (127.0.0.11 / .12 / .13), on a real etcd cluster and one zone file. The backend
answers 503 to a refused set of source addresses, so each vantage can be given its own view.

One vantage alone seeing an endpoint down never removes it (20 trials, no zone write at
all); two of three seeing it down remove it within the detector bound plus 1 s plus the
quorum's overhead."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dns.zone
import pytest

from failover_sync.model import HealthCheck
from failover_sync.testing.backends import HttpBackend
from failover_sync.testing.etcd import EtcdCluster
from failover_sync.testing.waits import wait_for
from tests.helpers.cli import NAME
from tests.helpers.vantages import VantageProcesses

LEASE = 2
SOURCES = {"fra": "127.0.0.11", "iad": "127.0.0.12", "sin": "127.0.0.13"}
ADDRESSES = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
VICTIM = "127.0.0.2"
TRIALS = 20
CHECK = HealthCheck(
    interval_seconds=0.2, failure_threshold=2, success_threshold=2, request_timeout_seconds=0.1
)
ETCD_TIMEOUT_SECONDS = 1
# Publishing the second vote, the leader's watch, the fenced intent and the zone write: a
# median of tens of ms on loopback (bench/cluster_failover.py), but one etcd request in the
# leader's path may take up to its timeout on a loaded machine (a 1.7 s stall was seen once).
QUORUM_OVERHEAD_SECONDS = ETCD_TIMEOUT_SECONDS


def _config(folder: Path, etcd: EtcdCluster, port: int, owner: str, source: str) -> Path:
    path = folder / f"failover-sync-{source}.yaml"
    path.write_text(f"""\
owner_id: {owner}
providers:
  local: {{type: zonefile, directory: zones, create_missing: true}}
zones:
  - {{name: example.test, provider: local}}
defaults:
  ttl: 30
  health_check: {{port: {port}, path: /healthz, interval_seconds: {CHECK.interval_seconds},
                 failure_threshold: {CHECK.failure_threshold},
                 success_threshold: {CHECK.success_threshold},
                 request_timeout_seconds: {CHECK.request_timeout_seconds},
                 source_address: {source}}}
records:
  {NAME}:
    type: A
    policy: multivalue
    records: [{", ".join(f"{{value: {a}}}" for a in ADDRESSES)}]
cluster:
  etcd: {{endpoints: [{", ".join(etcd.endpoints)}], timeout_seconds: {ETCD_TIMEOUT_SECONDS}}}
  vantages: [{", ".join(SOURCES)}]
  quorum: majority
  lease_seconds: {LEASE}
""")
    return path


class Partitioned(VantageProcesses):
    """Three vantage processes, one config file each (same records and cluster section,
    a different ``source_address``), sharing one working folder and zone file."""

    def votes(self) -> dict[str, bool]:
        """The victim's votes in etcd, through ``cluster status -o json``: vantage -> healthy."""
        row = next(r for r in self.status()["endpoints"] if VICTIM in r["endpoint"])  # type: ignore[attr-defined]
        return {v: bool(x["healthy"]) for v, x in row["votes"].items()}


def _zone(folder: Path) -> tuple[tuple[str, ...], int]:
    """The published A values and the SOA serial (bumped once per zone-file write)."""
    path = folder / "zones" / "example.test.zone"
    if not path.exists():
        return (), 0
    zone = dns.zone.from_file(str(path), origin="example.test.")
    a = zone.get_rdataset(NAME, "A")
    soa = zone.get_rdataset("@", "SOA")
    serial = int(next(iter(soa)).serial) if soa else 0
    return (tuple(sorted(rd.to_text() for rd in a)) if a else ()), serial


@pytest.fixture
def partitioned(
    tmp_path: Path, etcd: EtcdCluster, backends: dict[str, HttpBackend]
) -> Iterator[Partitioned]:
    port = backends[VICTIM].port
    owner = tmp_path.name.replace("_", "-")[:60]
    configs = {n: _config(tmp_path, etcd, port, owner, s) for n, s in SOURCES.items()}
    running = Partitioned(tmp_path, configs)
    running.start_all()
    yield running
    running.stop()


def test_one_vantage_never_removes_a_majority_does(
    partitioned: Partitioned, backends: dict[str, HttpBackend], tmp_path: Path
) -> None:
    everyone_up = dict.fromkeys(SOURCES, True)
    wait_for(lambda: _zone(tmp_path)[0] == ADDRESSES, 30, poll_seconds=0.05)
    wait_for(lambda: partitioned.votes() == everyone_up, 15, poll_seconds=0.05)
    _, serial = _zone(tmp_path)
    victim = backends[VICTIM].behaviour
    names = list(SOURCES)

    for trial in range(TRIALS):
        alone = names[trial % len(names)]
        victim.refuse_from = {SOURCES[alone]}
        # the lone down vote is in etcd, where the leader's watch sees it
        down = {**everyone_up, alone: False}

        def split(down: dict[str, bool] = down) -> bool:
            return partitioned.votes() == down

        wait_for(split, 10, poll_seconds=0.02)
        victim.refuse_from = set()
        wait_for(lambda: partitioned.votes() == everyone_up, 10, poll_seconds=0.02)
    # no removal in any trial: not a single zone write while the votes were split
    assert _zone(tmp_path) == (ADDRESSES, serial)

    bound = CHECK.detection_seconds + 1 + QUORUM_OVERHEAD_SECONDS
    victim.refuse_from = {SOURCES["fra"], SOURCES["iad"]}
    wait_for(lambda: _zone(tmp_path)[0] == ADDRESSES[1:], bound, poll_seconds=0.01)
    votes = partitioned.votes()
    assert votes == {"fra": False, "iad": False, "sin": True}
    assert all(p.poll() is None for p in partitioned.procs.values())  # nobody crashed

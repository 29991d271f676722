"""Cluster-mode figures on real processes: quorum overhead and leader takeover.

A real 3-member etcd cluster (``failover_sync.testing.etcd``), three HTTP backends on
loopback and one zone file (the authoritative data: the zone-file provider writes it
atomically, so "the authoritative answer changed" is the file changing).

1. Failover latency, single vs cluster: the same config (interval 1 s, failure threshold 2,
   timeout 0.5 s) run once as one ``failover-sync run`` and once as three
   ``run --vantage`` processes (quorum majority). Each trial waits a random phase, stops
   backend 127.0.0.2 (``t0``) and polls the zone file every 2 ms until the address is gone;
   then restarts it and waits for the failback. Reported: medians, p95 and the ratio of the
   medians; and, from the processes' JSON logs, the time from the deciding verdict (the
   single controller's, or the second vantage's for a majority of 3) to the changed answer:
   their difference is the quorum's overhead (publishing the vote, the watch, the fenced
   intent). The cluster's outage-to-answer can be shorter than one controller's: the
   quorum forms at the second-fastest of three probe phases.
2. Leader takeover at ``lease_seconds: 5``: SIGKILL the leader (``t0``) while stopping a
   backend, and time until the epoch marker is written by another vantage (the new
   leader's first accepted write).
3. False removals under a one-vantage partition: each vantage has its own config whose
   health check sends probes from its own source address (127.0.0.11 / .12 / .13) and
   backend 127.0.0.2 answers 503 to one of them (``HttpBackend(refuse_from=...)``),
   rotating the vantage per trial. A trial holds the partition from the lone down vote
   being in etcd (``cluster status``) for one more detector bound, polling the zone file,
   then lifts it and waits for the vote to come back. Reported: the trials in which the
   address left the answer or the zone was written at all (must be 0).

Usage::

    python bench/cluster_failover.py [--trials 10] [--takeovers 5] [--partitions 20] [--seed S]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import dns.zone  # noqa: E402

from failover_sync.model import HealthCheck  # noqa: E402
from failover_sync.testing.backends import HttpBackend  # noqa: E402
from failover_sync.testing.etcd import EtcdCluster, etcd_cluster  # noqa: E402
from failover_sync.testing.process import free_port  # noqa: E402

NAME = "app.example.test."
ADDRESSES = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
VANTAGES = ("fra", "iad", "sin")
SOURCES = dict(zip(VANTAGES, ("127.0.0.11", "127.0.0.12", "127.0.0.13"), strict=True))
CHECK = HealthCheck(
    interval_seconds=1, failure_threshold=2, success_threshold=2, request_timeout_seconds=0.5
)


def config(
    folder: Path,
    port: int,
    etcd: EtcdCluster | None,
    lease: int,
    owner: str,
    source: str | None = None,
) -> Path:
    cluster = ""
    if etcd is not None:
        cluster = f"""cluster:
  etcd: {{endpoints: [{", ".join(etcd.endpoints)}], timeout_seconds: 1}}
  vantages: [{", ".join(VANTAGES)}]
  lease_seconds: {lease}
"""
    path = folder / f"failover-sync{'-' + source if source else ''}.yaml"
    probe_from = f",\n                 source_address: {source}" if source else ""
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
                 request_timeout_seconds: {CHECK.request_timeout_seconds}{probe_from}}}
records:
  {NAME}:
    type: A
    policy: multivalue
    records: [{", ".join(f"{{value: {a}}}" for a in ADDRESSES)}]
{cluster}""")
    return path


def zone(folder: Path) -> tuple[tuple[str, ...], str | None]:
    """Published A values and the epoch marker's vantage."""
    path = folder / "zones" / "example.test.zone"
    try:
        parsed = dns.zone.from_file(str(path), origin="example.test.")
    except (OSError, dns.exception.DNSException):
        return (), None
    a = parsed.get_rdataset(NAME, "A")
    marker = parsed.get_rdataset("_failover-sync-epoch.example.test.", "TXT")
    writer = None
    if marker:
        writer = next(iter(marker)).to_text().strip('"').split("vantage=")[-1]
    return (tuple(sorted(rd.to_text() for rd in a)) if a else ()), writer


def wait(check: Callable[[], bool], timeout: float, poll: float = 0.002) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"no change within {timeout} s")
        time.sleep(poll)
    return time.monotonic() - started


def serial(folder: Path) -> int:
    """The zone file's SOA serial (the zone-file provider bumps it once per write)."""
    try:
        parsed = dns.zone.from_file(str(folder / "zones" / "example.test.zone"), "example.test.")
    except (OSError, dns.exception.DNSException):
        return 0
    soa = parsed.get_rdataset("@", "SOA")
    return int(next(iter(soa)).serial) if soa else 0


def start(folder: Path, cfg: Path, vantage: str | None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FAILOVER_SYNC_LOG_FORMAT": "json"}
    if vantage:
        env["FAILOVER_SYNC_VANTAGE"] = vantage
    log = (folder / f"{vantage or 'single'}.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "failover_sync.cli.main", "run", "-c", str(cfg)],
        cwd=folder,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    log.close()
    return proc


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        proc.wait(10)


def verdict_times(folder: Path, value: str) -> list[list[float]]:
    """Per process log, the Unix times of ``value``'s unhealthy verdicts."""
    times = []
    for log in sorted(folder.glob("*.log")):
        found = []
        for line in log.read_text(errors="replace").splitlines():
            if '"endpoint_unhealthy"' not in line:
                continue
            data = json.loads(line)
            if data.get("value") == value:
                stamp = datetime.fromisoformat(data["ts"].replace("Z", "+00:00"))
                found.append(stamp.timestamp())
        times.append(found)
    return times


def decision_to_write(folder: Path, windows: list[tuple[float, float]], need: int) -> list[float]:
    """For each outage (start, answer changed), seconds from the verdict that made the
    decision (the ``need``-th vantage's unhealthy verdict) to the changed answer."""
    per_log = verdict_times(folder, "127.0.0.2")
    samples = []
    for start, changed in windows:
        firsts = sorted(
            min((t for t in ts if start <= t <= changed), default=changed) for ts in per_log
        )
        samples.append(max(0.0, changed - firsts[need - 1]))
    return samples


def failover_trials(
    folder: Path, etcd: EtcdCluster | None, trials: int, rng: random.Random
) -> tuple[list[float], list[float]]:
    """Outage-to-answer seconds per trial, and decision-to-answer seconds per trial."""
    port = free_port("127.0.0.2")
    backends = {a: HttpBackend(a, port).start() for a in ADDRESSES}
    cfg = config(folder, port, etcd, 5, f"bench{rng.randrange(10**6)}")
    names = VANTAGES if etcd is not None else (None,)
    procs = [start(folder, cfg, n) for n in names]
    try:
        wait(lambda: zone(folder)[0] == ADDRESSES, 60, poll=0.05)
        samples = []
        windows = []
        for _ in range(trials):
            time.sleep(rng.uniform(0, 1))  # a random phase against the probe schedule
            started = time.time()
            backends["127.0.0.2"].stop()
            samples.append(wait(lambda: "127.0.0.2" not in zone(folder)[0], 30))
            windows.append((started, time.time()))
            backends["127.0.0.2"].start()
            wait(lambda: zone(folder)[0] == ADDRESSES, 30, poll=0.02)
        need = 2 if etcd is not None else 1  # majority of 3
        return samples, decision_to_write(folder, windows, need)
    finally:
        stop(procs)
        for backend in backends.values():
            backend.stop()


def leader_of(folder: Path, cfg: Path) -> str | None:
    argv = ["cluster", "status", "-c", str(cfg), "-o", "json"]
    done = subprocess.run(
        [sys.executable, "-m", "failover_sync.cli.main", *argv],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    leader = json.loads(done.stdout)["leader"]
    return leader if isinstance(leader, str) else None


def votes_of(folder: Path, cfg: Path, value: str) -> dict[str, bool]:
    """``value``'s votes in etcd (``cluster status -o json``): vantage -> healthy."""
    argv = ["cluster", "status", "-c", str(cfg), "-o", "json"]
    done = subprocess.run(
        [sys.executable, "-m", "failover_sync.cli.main", *argv],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    )
    row = next(r for r in json.loads(done.stdout)["endpoints"] if value in r["endpoint"])
    return {v: bool(x["healthy"]) for v, x in row["votes"].items()}


def partition_trials(folder: Path, etcd: EtcdCluster, trials: int, rng: random.Random) -> int:
    """Trials (of ``trials``) in which one vantage alone seeing 127.0.0.2 down removed it
    or caused any zone write."""
    port = free_port("127.0.0.2")
    backends = {a: HttpBackend(a, port).start() for a in ADDRESSES}
    owner = f"partition{rng.randrange(10**6)}"
    cfgs = {n: config(folder, port, etcd, 5, owner, SOURCES[n]) for n in VANTAGES}
    procs = [start(folder, cfgs[n], n) for n in VANTAGES]
    victim, status_cfg = backends["127.0.0.2"].behaviour, cfgs[VANTAGES[0]]
    everyone_up = dict.fromkeys(VANTAGES, True)
    false_removals = 0
    try:
        wait(lambda: zone(folder)[0] == ADDRESSES, 60, poll=0.05)
        wait(lambda: votes_of(folder, status_cfg, "127.0.0.2") == everyone_up, 60, poll=0.05)
        for i in range(trials):
            alone = VANTAGES[i % len(VANTAGES)]
            before = serial(folder)
            removed = False
            victim.refuse_from = {SOURCES[alone]}
            down = {**everyone_up, alone: False}

            def split(down: dict[str, bool] = down) -> bool:
                return votes_of(folder, status_cfg, "127.0.0.2") == down

            wait(split, 60, 0.02)
            held_until = time.monotonic() + CHECK.detection_seconds  # time for a wrong removal
            while time.monotonic() < held_until:
                removed = removed or "127.0.0.2" not in zone(folder)[0]
                time.sleep(0.01)
            victim.refuse_from = set()
            wait(lambda: votes_of(folder, status_cfg, "127.0.0.2") == everyone_up, 60, 0.02)
            removed = removed or serial(folder) != before or zone(folder)[0] != ADDRESSES
            false_removals += removed
        return false_removals
    finally:
        stop(procs)
        for backend in backends.values():
            backend.stop()


def takeover_trials(
    folder: Path, etcd: EtcdCluster, trials: int, rng: random.Random
) -> list[float]:
    port = free_port("127.0.0.2")
    backends = {a: HttpBackend(a, port).start() for a in ADDRESSES}
    cfg = config(folder, port, etcd, 5, f"takeover{rng.randrange(10**6)}")
    procs = {n: start(folder, cfg, n) for n in VANTAGES}
    samples = []
    try:
        wait(lambda: zone(folder)[0] == ADDRESSES, 60, poll=0.05)
        for i in range(trials):
            leader = None
            while leader is None:
                leader = leader_of(folder, cfg)
            victim = ADDRESSES[i % 2]  # alternate which backend goes down
            t0 = time.monotonic()
            os.kill(procs[leader].pid, signal.SIGKILL)
            backends[victim].stop()

            def taken_over(victim: str = victim, old: str = leader) -> bool:
                values, writer = zone(folder)
                return victim not in values and writer not in (None, old)

            wait(taken_over, 60)
            samples.append(time.monotonic() - t0)
            procs[leader].wait(5)
            procs[leader] = start(folder, cfg, leader)
            backends[victim].start()
            wait(lambda: zone(folder)[0] == ADDRESSES, 60, poll=0.02)
        return samples
    finally:
        stop(list(procs.values()))
        for backend in backends.values():
            backend.stop()


def summary(label: str, samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    return f"{label:<34} n={len(ms):<3} median {statistics.median(ms):8.0f} ms  p95 {p95:8.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--takeovers", type=int, default=5)
    parser.add_argument("--partitions", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--workdir", type=Path, help="keep logs and zone files here")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        base = args.workdir or Path(tmp)
        with etcd_cluster(base / "etcd") as etcd:
            (base / "single").mkdir()
            (base / "cluster").mkdir()
            (base / "takeover").mkdir()
            (base / "partition").mkdir()
            single, single_write = failover_trials(base / "single", None, args.trials, rng)
            cluster, cluster_write = failover_trials(base / "cluster", etcd, args.trials, rng)
            takeover = takeover_trials(base / "takeover", etcd, args.takeovers, rng)
            false = partition_trials(base / "partition", etcd, args.partitions, rng)
    print(summary("failover, single controller", single))
    print(summary("failover, 3 vantages (majority)", cluster))
    ratio = statistics.median(cluster) / statistics.median(single)
    overhead = (statistics.median(cluster) - statistics.median(single)) * 1000
    print(f"ratio of medians {ratio:.3f}   (difference of medians {overhead:.0f} ms)")
    print(summary("verdict to answer, single", single_write))
    print(summary("quorum verdict to answer, cluster", cluster_write))
    extra = (statistics.median(cluster_write) - statistics.median(single_write)) * 1000
    print(f"quorum overhead (median verdict-to-answer difference) {extra:.0f} ms")
    print(summary("takeover at lease 5 s (SIGKILL)", takeover))
    print(f"{'false removals, 1 vantage alone':<34} {false} of {args.partitions} trials")


if __name__ == "__main__":
    main()

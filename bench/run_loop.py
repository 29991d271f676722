"""The real run loop: ``failover-sync run`` as a process with N loopback endpoints (issue 19).

For each N of ``--endpoints`` (default 1,000 / 10,000 / 30,000): a config of N/10 multivalue
A records of 10 values each on ``--addresses`` loopback addresses (127.0.3.x) x ``--ports``
ports, every record with its own path (so N distinct targets), the zone-file provider with
the zone file already holding every value (nothing to change: any write is a false-down),
``interval_seconds`` 10 and ``request_timeout_seconds`` 1 as users set them. The backends are
``bench/loopback_server.py`` in another process, which notes the accept time of every request.

After start-up (``controller_ready``) and one interval of warm-up, ``--duration`` seconds
(120 by default: long enough to hold the periodic full collections) are measured:

- probes/s: requests the server accepted in the window;
- lateness p50/p99/max: the controller's own measure, from each probe's due time to its
  admission (slot wait included), as ``failover_sync_probe_lateness_seconds`` counts it: the
  histogram's buckets are scraped from ``/metrics`` at both ends of the window and the
  quantiles of the difference interpolated within a bucket, as Prometheus'
  ``histogram_quantile`` does (so they are as fine as the buckets; "max" is the upper bound
  of the highest bucket reached). The due times cannot be recomputed outside the process: each
  gap is jittered (``1 ± PHASE_JITTER``). Skipped turns: ``failover_sync_probes_skipped_total``
  over the window; "delayed": ``failover_sync_probes_delayed_total`` over the window (probes
  that waited for an admission slot);
- false-down: ``endpoint_unhealthy`` events in the log (every backend answers 200), and
  failed probes from ``/metrics``;
- CPU per probe (``/proc/<pid>/stat``), RSS and RSS per endpoint (``VmRSS``);
- garbage-collector pauses: a ``sitecustomize`` on ``PYTHONPATH`` adds a ``gc.callbacks``
  hook to the process that writes every pass over 1 ms (wall and CPU time) at exit.

    .venv/bin/python bench/run_loop.py [--endpoints 1000,10000,30000] [--duration 120]
        [--interval 10] [--timeout 1]

Run it on a quiet machine: CPU figures of a shared one say little.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from failover_sync.testing.process import free_port

HERE = Path(__file__).resolve().parent
SERVER = HERE / "loopback_server.py"
ZONE = "bench.test"
VALUES_PER_RECORD = 10
ENGINE_METRICS = (
    "failover_sync_probes_",
    "failover_sync_probe_admission",
    "failover_sync_probe_cpu",
)
TICKS = os.sysconf("SC_CLK_TCK")
SITECUSTOMIZE = """
import atexit, gc, json, os, time
_out = os.environ["RUN_LOOP_GC_FILE"]
_pauses = []
_t = [0.0, 0.0]
def _cb(phase, info):
    if phase == "start":
        _t[0], _t[1] = time.perf_counter(), time.thread_time()
    else:
        d = time.perf_counter() - _t[0]
        if d > 0.001 or info["generation"] == 2:
            _pauses.append((time.monotonic(), info["generation"], d, time.thread_time() - _t[1]))
gc.callbacks.append(_cb)
atexit.register(lambda: open(_out, "w").write(json.dumps(_pauses)))
"""


def layout(n: int, addresses: int, ports: list[int]) -> list[tuple[str, int, str, list[str]]]:
    """``(name, port, path, values)`` of the N/10 records."""
    hosts = [f"127.0.3.{i + 1}" for i in range(addresses)]
    records = []
    for r in range(n // VALUES_PER_RECORD):
        values = [hosts[(r * VALUES_PER_RECORD + j) % addresses] for j in range(VALUES_PER_RECORD)]
        records.append((f"r{r}.{ZONE}", ports[r % len(ports)], f"/r/{r}", sorted(set(values))))
    return records


def write_config(work: Path, records: list[Any], args: argparse.Namespace) -> Path:
    """The YAML config (JSON is YAML) and the zone file that already holds every value."""
    zones = work / "zones"
    zones.mkdir()
    lines = [f"$ORIGIN {ZONE}.", "$TTL 60",
             "@ 3600 IN SOA ns.bench.test. hostmaster.bench.test. 1 3600 600 86400 60",
             "@ 3600 IN NS ns.bench.test."]  # fmt: skip
    config_records: dict[str, Any] = {}
    for name, port, path, values in records:
        lines += [f"{name}. 60 IN A {v}" for v in values]
        config_records[name] = {
            "policy": "multivalue",
            "ttl": 60,
            "records": [{"value": v, "type": "A"} for v in values],
            "health_check": {"port": port, "path": path, "host": name},
        }
    (zones / f"{ZONE}.zone").write_text("\n".join(lines) + "\n")
    config = {
        "providers": {"local": {"type": "zonefile", "directory": str(zones)}},
        "zones": [{"name": ZONE, "provider": "local"}],
        "defaults": {
            "health_check": {
                "protocol": "HTTP",
                "interval_seconds": args.interval,
                "request_timeout_seconds": args.timeout,
                "failure_threshold": 3,
                "success_threshold": 2,
            }
        },
        "resync_seconds": 60,
        "records": config_records,
    }
    path = work / "failover-sync.yaml"
    path.write_text(json.dumps(config))
    return path


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def proc_rss_mb(pid: int) -> float:
    """Resident set size of ``pid`` in MB."""
    match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) / 1024 if match else 0.0


def scrape(port: int) -> str:
    """The ``/metrics`` text of the controller on ``port`` (empty when it does not answer)."""
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as answer:
            return str(answer.read().decode())
    except OSError:
        return ""


def sample(text: str, name: str) -> float:
    """The sum of every sample of metric ``name`` (any labels) in ``text``."""
    pattern = rf"^{re.escape(name)}(?:\{{[^}}]*\}})? (\S+)$"
    return sum(float(m.group(1)) for m in re.finditer(pattern, text, re.MULTILINE))


def buckets(text: str, name: str) -> list[tuple[float, float]]:
    """``(le, cumulative count)`` of histogram ``name`` in ``text``, ``+Inf`` last."""
    found = re.finditer(rf'^{re.escape(name)}_bucket\{{le="([^"]+)"\}} (\S+)$', text, re.MULTILINE)
    return sorted((float(m.group(1)), float(m.group(2))) for m in found)


def quantile(window: list[tuple[float, float]], q: float) -> float:
    """The ``q`` quantile of a cumulative histogram, interpolated linearly within a bucket
    (Prometheus' ``histogram_quantile``); 0 when empty."""
    total = window[-1][1] if window else 0.0
    if total <= 0:
        return 0.0
    rank = q * total
    lower_le, lower_count = 0.0, 0.0
    for le, count in window:
        if count >= rank:
            if le == float("inf"):
                return lower_le
            share = (rank - lower_count) / (count - lower_count) if count > lower_count else 0.0
            return lower_le + (le - lower_le) * share
        lower_le, lower_count = le, count
    return lower_le


def schedule_figures(before: str, after: str) -> dict[str, float]:
    """Lateness quantiles, skipped and delayed probes of the window between two scrapes."""
    name = "failover_sync_probe_lateness_seconds"
    first = dict(buckets(before, name))
    window = [(le, count - first.get(le, 0.0)) for le, count in buckets(after, name)]
    highest = 0.0
    previous = 0.0
    for le, count in window:
        if count > previous:
            highest = le
        previous = count

    def delta(metric: str) -> float:
        return sample(after, metric) - sample(before, metric)

    return {
        "p50": quantile(window, 0.5),
        "p99": quantile(window, 0.99),
        "max": highest,
        "observed": window[-1][1] if window else 0.0,
        "skipped": delta("failover_sync_probes_skipped_total"),
        "delayed": delta("failover_sync_probes_delayed_total"),
    }


def run_one(n: int, args: argparse.Namespace) -> dict[str, Any]:
    """Measure ``failover-sync run`` with ``n`` endpoints; the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        hosts = ",".join(f"127.0.3.{i + 1}" for i in range(args.addresses))
        notes_file = work / "notes.json"
        ports = sorted({free_port("127.0.3.1") for _ in range(args.ports * 3)})[: args.ports]
        server = subprocess.Popen(
            [sys.executable, str(SERVER), "--addresses", hosts, "--ports",
             ",".join(map(str, ports)), "--out", str(notes_file)],
            stdout=subprocess.PIPE, text=True)  # fmt: skip
        assert server.stdout is not None
        if not server.stdout.readline().startswith("port "):
            raise SystemExit("the loopback server did not start")
        records = layout(n, args.addresses, ports)
        config = write_config(work, records, args)
        (work / "sitecustomize.py").write_text(SITECUSTOMIZE)
        env = dict(os.environ, PYTHONPATH=str(work), RUN_LOOP_GC_FILE=str(work / "gc.json"))
        metrics_port = free_port("127.0.0.1")
        log_path = work / "run.log"
        exe = Path(sys.executable).with_name("failover-sync")
        with log_path.open("w") as log:
            started = time.monotonic()
            run = subprocess.Popen(
                [str(exe), "run", "-c", str(config), "--log-format", "json",
                 "--metrics-addr", f"127.0.0.1:{metrics_port}"],
                stderr=log, stdout=log, env=env)  # fmt: skip
        try:
            while "controller_ready" not in log_path.read_text():
                if run.poll() is not None or time.monotonic() - started > 300:
                    raise SystemExit(f"run did not start:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.2)
            ready_after = time.monotonic() - started
            time.sleep(args.interval)  # warm-up: every target probed once
            before = scrape(metrics_port)
            w0, cpu0 = time.monotonic(), proc_cpu(run.pid)
            time.sleep(args.duration)
            w1, cpu1 = time.monotonic(), proc_cpu(run.pid)
            metrics = scrape(metrics_port)
            rss = proc_rss_mb(run.pid)
        finally:
            run.send_signal(signal.SIGTERM)
            run.wait(60)
            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=120)
        notes = json.loads(notes_file.read_text())
        log_text = log_path.read_text()
        gc_file = work / "gc.json"
        pauses = json.loads(gc_file.read_text()) if gc_file.exists() else []
    in_window = [p for p in pauses if w0 <= p[0] < w1]
    figures = schedule_figures(before, metrics)
    failed = sum(
        float(m.group(1))
        for m in re.finditer(r'probe_results_total\{[^}]*outcome="failure"[^}]*\} (\S+)', metrics)
    )
    # only arrivals in the window: start-up probes (settle) are off the schedule
    probes = sum(1 for *_, accepted in notes if w0 <= accepted < w1)
    return {
        "n": n,
        "ready_s": ready_after,
        "rate": probes / (w1 - w0),
        "lateness": figures,
        "false_down": log_text.count('"endpoint_unhealthy"'),
        "failed_probes": failed,
        "cpu_ms": (cpu1 - cpu0) / max(1, probes) * 1000,
        "core": (cpu1 - cpu0) / (w1 - w0),
        "rss_mb": rss,
        "rss_kb_per_endpoint": rss * 1024 / n,
        "gc_max_ms": max((p[2] for p in in_window), default=0.0) * 1000,
        "gc_max_cpu_ms": max((p[3] for p in in_window), default=0.0) * 1000,
        "gc_over_20ms": sum(1 for p in in_window if p[2] > 0.02),
        "gc_full": sum(1 for p in in_window if p[1] == 2),
        "engine": [line for line in metrics.splitlines() if line.startswith(ENGINE_METRICS)],
    }


def main() -> int:
    """Run every N of ``--endpoints`` and print one line each, with the issue's goals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", default="1000,10000,30000")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds measured")
    parser.add_argument("--interval", type=float, default=10.0, help="seconds")
    parser.add_argument("--timeout", type=float, default=1.0, help="probe timeout, seconds")
    parser.add_argument("--addresses", type=int, default=50, help="loopback addresses")
    parser.add_argument("--ports", type=int, default=4, help="ports per address")
    args = parser.parse_args()
    if args.addresses < VALUES_PER_RECORD or args.addresses > 254:
        parser.error(f"--addresses must be {VALUES_PER_RECORD}..254 (127.0.3.0/24)")
    load = os.getloadavg()
    print(
        f"run_loop: interval {args.interval:g} s, timeout {args.timeout:g} s, measured "
        f"{args.duration:g} s after one interval of warm-up; {args.addresses} addresses x "
        f"{args.ports} ports; nproc {os.cpu_count()}, load {load[0]:.2f} {load[1]:.2f}"
    )
    print(f"{'N':>7}{'probes/s':>10}{'late50':>8}{'late99':>8}{'max<=':>8}{'skip':>6}"
          f"{'delay':>7}{'down':>6}{'fail':>6}{'cpu ms':>8}{'core':>6}{'RSS MB':>8}{'KB/ep':>7}"
          f"{'gc max':>8}{'(cpu)':>7}{'>20ms':>6}{'full':>5}{'ready s':>8}")  # fmt: skip
    for n in (int(x) for x in args.endpoints.split(",")):
        r = run_one(n, args)
        late = r["lateness"]
        print(
            f"{n:>7,}{r['rate']:>10,.0f}{late['p50'] * 1000:>8.1f}{late['p99'] * 1000:>8.1f}"
            f"{late['max'] * 1000:>8.1f}{late['skipped']:>6.0f}{late['delayed']:>7.0f}"
            f"{r['false_down']:>6}"
            f"{r['failed_probes']:>6.0f}{r['cpu_ms']:>8.3f}{r['core']:>6.0%}"
            f"{r['rss_mb']:>8.0f}{r['rss_kb_per_endpoint']:>7.1f}{r['gc_max_ms']:>8.1f}"
            f"{r['gc_max_cpu_ms']:>7.1f}"
            f"{r['gc_over_20ms']:>6}{r['gc_full']:>5}{r['ready_s']:>8.1f}",
            flush=True,
        )
        for line in r["engine"]:
            print(f"        /metrics at the end: {line}")
    print("lateness (ms): due time to admission, from failover_sync_probe_lateness_seconds over the"
          " window; skip, delay: probes skipped, delayed for a slot in the window")  # fmt: skip
    print("goals (10,000 at 10 s, one core): 1,000 probes/s, p99 lateness <= 100 ms, 0 false-down,"
          " <= 40% of a core, RSS <= 150 MB; GC pauses <= 20 ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Probe engine beside a plain aiohttp client, same server, same open-loop schedule (issue 19).

Every cell of the table is one fresh client process running one engine on one event loop at
one offered rate, against a fresh loopback server process (127.0.2.x, one port; the server
uses the other core). The schedule is open-loop: probe ``i`` is due at ``t0 + i / rate``
whatever happened before, and each probe opens a new connection (HTTPS: a new TLS session,
verified against a trustme CA, SNI ``bench.example.test``). Engines:

- ``ours``: :class:`failover_sync.health.probes.Prober` as the product runs it;
- ``aiohttp``: a plain ``aiohttp.ClientSession`` (``TCPConnector(force_close=True)``,
  ``limit=0``) doing the same work: ``GET`` with the same ``Host``, status checked, no body
  read;
- ``httpx-aiohttp``: httpx's client on the ``httpx-aiohttp`` transport (same connector), to
  show what httpx's request and response objects cost on top (``--engines`` adds it).

Figures over ``--duration`` seconds after ``--warmup``: probes/s achieved (completions in
the window), CPU ms per probe (the client process's CPU / completions), lateness p50/p99
(the server's accept of the connection, i.e. its first byte on the wire, minus the due time;
``time.monotonic`` is one clock for both processes), latency p50 (accept to result),
in-flight mean/max (sampled every 50 ms: for ``ours`` the admitted probes, else every
started probe), failures with their reasons (false timeouts show here: every endpoint is
healthy), and the longest garbage-collector pause (``gc.callbacks``, wall time).

    .venv/bin/python bench/probe_engine.py [--schemes http,https] [--http-rates 1000,2000,3000]
        [--https-rates 500,900] [--loops uvloop,asyncio] [--engines ours,aiohttp]
        [--duration 10] [--warmup 2] [--timeout 1]

The machine must be quiet for CPU figures to mean anything (2 cores: client and server).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from probe_engine_client import Cell, child_main

NAME = "bench.example.test"
SERVER = Path(__file__).resolve().parent / "loopback_server.py"


def percentile(samples: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``samples`` by nearest rank; 0 when empty."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A private CA and a server certificate for NAME (trustme); returns (ca, cert, key)."""
    import trustme

    ca = trustme.CA()
    leaf = ca.issue_cert(NAME)
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    ca.cert_pem.write_to_path(str(paths[0]))
    leaf.cert_chain_pems[0].write_to_path(str(paths[1]))
    leaf.private_key_pem.write_to_path(str(paths[2]))
    return paths


def run_cell(cell: Cell, tls: tuple[Path, Path, Path], work: Path) -> dict[str, Any]:
    """Start a server, run one client process, stop the server; the merged figures."""
    arrivals_file, result_file = work / "arrivals.json", work / "result.json"
    hosts = ",".join(f"127.0.2.{i + 1}" for i in range(cell.addresses))
    cmd = [sys.executable, str(SERVER), "--addresses", hosts, "--out", str(arrivals_file)]
    if cell.scheme == "https":
        cmd += ["--cert", str(tls[1]), "--key", str(tls[2])]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    try:
        line = server.stdout.readline()
        if not line.startswith("port "):
            raise SystemExit(f"server did not start: {line!r}")
        cell.port = int(line.split()[1])
        cell.ca_file = str(tls[0])
        child = [sys.executable, __file__, "--child", json.dumps(cell.__dict__),
                 "--out", str(result_file)]  # fmt: skip
        subprocess.run(child, check=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=60)
    result: dict[str, Any] = json.loads(result_file.read_text())
    arrivals = {
        int(path.rsplit("/", 1)[1]): accepted
        for _, _, path, accepted in json.loads(arrivals_file.read_text())
        if path.startswith("/p/")
    }
    lateness, latency = [], []
    for seq, due, done, ok in result.pop("probes"):
        accepted = arrivals.get(seq)
        if accepted is None:
            continue
        lateness.append(accepted - due)
        if ok:
            latency.append(done - accepted)
    result["lateness"] = (percentile(lateness, 0.5), percentile(lateness, 0.99))
    result["latency_p50"] = percentile(latency, 0.5)
    result["arrived"] = len(lateness)
    return result


def row(cell: Cell, r: dict[str, Any]) -> str:
    """One printed line of the table."""
    rate, cpu = float(r["achieved"]), float(r["cpu_per_probe"])
    late = r["lateness"]
    assert isinstance(late, tuple)
    failures = r["failures"]
    assert isinstance(failures, dict)
    failed = sum(failures.values())
    reasons = ", ".join(f"{k}: {v}" for k, v in sorted(failures.items(), key=lambda kv: -kv[1]))
    return (
        f"{cell.scheme:<6}{cell.loop:<8}{cell.engine:<14}{cell.rate:>7,}{rate:>10,.0f}"
        f"{cpu * 1000:>9.3f}{float(r['utilisation']):>7.0%}"
        f"{late[0] * 1000:>9.1f}{late[1] * 1000:>9.1f}"
        f"{float(r['latency_p50']) * 1000:>9.1f}"
        f"{float(r['in_flight_mean']):>8.0f}{int(r['in_flight_max']):>7}"
        f"{float(r['gc_max']) * 1000:>8.1f}{failed:>8}" + (f"  ({reasons[:60]})" if failed else "")
    )


def main() -> int:
    """Parse arguments, dispatch to server/child modes or run the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemes", default="http,https")
    parser.add_argument("--http-rates", default="1000,2000,3000")
    parser.add_argument("--https-rates", default="500,900")
    parser.add_argument("--loops", default="uvloop,asyncio")
    parser.add_argument("--engines", default="ours,aiohttp")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds not measured")
    parser.add_argument("--timeout", type=float, default=1.0, help="probe timeout, seconds")
    parser.add_argument("--addresses", type=int, default=20, help="loopback addresses")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child_main(Cell(**json.loads(args.child)), Path(args.out))

    load = os.getloadavg()
    print(
        f"probe_engine: timeout {args.timeout:g} s, warm-up {args.warmup:g} s, measured "
        f"{args.duration:g} s per cell; nproc {os.cpu_count()}, load {load[0]:.2f} "
        f"{load[1]:.2f} {load[2]:.2f}; Python {platform.python_version()}"
    )
    print(
        f"{'scheme':<6}{'loop':<8}{'engine':<14}{'offered':>7}{'probes/s':>10}{'cpu ms':>9}"
        f"{'core':>7}{'late50':>9}{'late99':>9}{'lat50':>9}{'infl':>8}{'max':>7}"
        f"{'gc ms':>8}{'failed':>8}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        tls = certificates(work)
        for scheme in args.schemes.split(","):
            rates = args.http_rates if scheme == "http" else args.https_rates
            for rate in (int(r) for r in rates.split(",")):
                for loop in args.loops.split(","):
                    cpus: dict[str, float] = {}
                    for engine in args.engines.split(","):
                        cell = Cell(scheme, engine, loop, rate, args.duration, args.warmup,
                                    args.timeout, args.addresses)  # fmt: skip
                        result = run_cell(cell, tls, work)
                        cpus[engine] = float(result["cpu_per_probe"])
                        print(row(cell, result), flush=True)
                    if "ours" in cpus and "aiohttp" in cpus and cpus["aiohttp"]:
                        ratio = cpus["ours"] / cpus["aiohttp"]
                        print(f"{'':<28}CPU per probe ours / aiohttp: {ratio:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Cold start: the CPU a fresh ``failover-sync`` process spends on ``--version``, ``validate``
and ``plan`` (the issue's goal: ``validate`` <= 0.15 s of CPU, user + system).

Each command runs ``--repeat`` times (default 15) as a subprocess, in a temporary copy of
``examples/demo.yaml`` (the zone-file provider; its zone folder ``../zones`` is created in the
copy, never in the checkout). CPU is user + system time of the child from
``resource.getrusage(RUSAGE_CHILDREN)`` before and after each run; wall is the monotonic clock
around it. ``python -c pass`` is the interpreter's own floor. ``plan`` runs offline: it probes
the demo's loopback endpoints (127.0.0.2 and 127.0.0.3 port 8080), which normally refuse at
once, and plans against the empty zone file, so it includes the controller, httpx and one
round of probes.

The commands run with bytecode caches, as an installed package has them (pip compiles at
install time): ``PYTHONDONTWRITEBYTECODE`` is removed from the children's environment, so the
first, uncounted run of each command writes the ``__pycache__`` of an editable checkout.
Without them every module of ours is compiled from source at each start (tens of ms).

``--imports`` also prints the 15 modules with the most self time under ``python -X importtime``
for ``validate`` (microseconds; one run, so noisy).

    .venv/bin/python bench/cold_start.py [--repeat 15] [--imports] [--check]

Take the minimum on a shared machine: other processes only ever add time. PASS/MISS is printed
beside the goal; ``--check`` also makes a MISS exit 1.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_VALIDATE_CPU = 0.15
"""Seconds of CPU (user + system) for a cold ``failover-sync validate`` (the issue's goal)."""

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo.yaml"


def command_path() -> str:
    """The ``failover-sync`` script of this interpreter's environment (else the one on PATH)."""
    beside = Path(sys.executable).parent / "failover-sync"
    if beside.exists():
        return str(beside)
    found = shutil.which("failover-sync")
    if found is None:
        raise SystemExit("failover-sync is not installed: pip install -e . first")
    return found


def child_cpu() -> float:
    """User + system seconds of every waited-for child so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def child_env() -> dict[str, str]:
    """This environment, but letting the children write bytecode caches."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def time_once(argv: list[str], cwd: Path) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one run of ``argv`` in ``cwd``; exits if it fails."""
    env = child_env()
    cpu0, wall0 = child_cpu(), time.monotonic()
    done = subprocess.run(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    wall, cpu = time.monotonic() - wall0, child_cpu() - cpu0
    if done.returncode != 0:
        err = done.stderr.decode(errors="replace").strip()
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n{err}")
    return cpu, wall


def heaviest_imports(argv: list[str], cwd: Path, count: int = 15) -> list[tuple[int, int, str]]:
    """The ``count`` modules with the most self time under ``-X importtime``:
    (self microseconds, cumulative microseconds, module), heaviest first."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *argv],
        cwd=cwd,
        env=child_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=True,
        text=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line.removeprefix("import time:").split("|")
        rows.append((int(own), int(cumulative), name.strip()))
    return sorted(rows, reverse=True)[:count]


def main() -> int:
    """Time each command and print min/median CPU and wall, with the goal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="runs of each command")
    parser.add_argument("--imports", action="store_true", help="print the heaviest imports")
    parser.add_argument("--check", action="store_true", help="exit 1 when the goal is missed")
    args = parser.parse_args()
    script = command_path()
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "--version": [script, "--version"],
        "validate": [script, "validate", "-c", "demo.yaml"],
        "plan": [script, "plan", "-c", "demo.yaml"],
    }
    print(
        f"cold start, {args.repeat} runs each; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    print(f"{'command':<16}{'cpu min':>9}{'cpu med':>9}{'wall min':>10}{'wall med':>10}")
    cpu_min: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="cold-start-") as tmp:
        work = Path(tmp) / "examples"
        work.mkdir()
        shutil.copy(DEMO, work / "demo.yaml")
        for label, argv in commands.items():
            time_once(argv, work)  # warm the OS file cache; not counted
            runs = [time_once(argv, work) for _ in range(args.repeat)]
            cpus, walls = [c for c, _ in runs], [w for _, w in runs]
            cpu_min[label] = min(cpus)
            print(
                f"{label:<16}{min(cpus):>8.3f}s{statistics.median(cpus):>8.3f}s"
                f"{min(walls):>9.3f}s{statistics.median(walls):>9.3f}s"
            )
        if args.imports:
            print("heaviest imports of validate (self us, cumulative us, module):")
            for own, cumulative, name in heaviest_imports(commands["validate"], work):
                print(f"  {own:>8} {cumulative:>9}  {name}")
    met = cpu_min["validate"] <= GOAL_VALIDATE_CPU
    print(
        f"goal: validate <= {GOAL_VALIDATE_CPU:.2f} s CPU (min of {args.repeat}): "
        f"{cpu_min['validate']:.3f} s {'PASS' if met else 'MISS'}"
    )
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())

"""Failover latency, measured on real processes: our controller versus a server-side peer.

One authoritative server (``--provider``: ``powerdns`` or ``rfc2136``, the stages in
``bench/latency_stages.py``), two HTTP backends on loopback (primary 127.0.0.31, secondary
127.0.0.32) and Unbound in front. Two records follow the same backends:

``app``  managed by ``failover-sync run`` (a subprocess, JSON logs) through the provider;
``lua``  PowerDNS's own health-checked LUA record, ``ifurlup`` over the sets
         ``{{primary}, {secondary}}`` (the first set with a live address is served).
         Only with ``powerdns``: BIND (``rfc2136``) has no server-side health-checked record,
         so that stage reports our figures alone and prints "no peer" instead of the ratio.

Each of N trials waits a random phase, stops the primary (outage at ``t0``) and records, for
each record, when the authoritative answer changes (polled every few ms with dnspython) and
when a client behind Unbound (TTL 5 s) sees it. For ours it also takes, from the controller's
log, the unhealthy verdict (the last failing probe) and the write accepted (``change_applied``,
logged after the PATCH or UPDATE returns). Then the primary is restarted and the failback timed.

Settings are made equal where the installed PowerDNS allows: PowerDNS 4.7 checks every
``lua-health-checks-interval`` seconds (integer, minimum 1), marks an address down on the first
failure (``minimumFailures`` exists only from 4.8) and takes a ``timeout`` in whole seconds.
So both run interval 1 s, 1 failure to fail, 1 success to recover, unless given otherwise; the
timeout is 0.9 x the interval for ours unless given (the core requires it below the interval)
and 1 s for the peer (whole seconds). Connections to a stopped backend are refused at once, so
neither times out.
The packet cache is off (``cache-ttl=0``) so that PowerDNS serves each LUA answer as soon as
its checker decides; our writes purge the cache anyway.

Figures (milliseconds, medians and p95) go to stdout. Usage::

    python bench/failover_latency.py [--trials 20] [--provider powerdns|rfc2136] [--seed S]
        [--interval I] [--failures F] [--timeout T] [--recheck R]

With ``--recheck R`` a second configuration runs in the same invocation, with rapid recheck
on for ours (the peer has none), against the same peer (goal: ours <= 0.6 x the peer).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the real-server harness lives in tests/harness

from bench.latency_stages import (  # noqa: E402
    OURS,
    PEER,
    PRIMARY,
    SECONDARY,
    STAGES,
    TTL,
    ZONE,
    Authoritative,
    Settings,
)
from failover_sync.cli.demo import Backend, free_port  # noqa: E402
from failover_sync.testing.powerdns import dns_answer  # noqa: E402
from failover_sync.testing.unbound import unbound_server  # noqa: E402

POLL_SECONDS = 0.002
"""Pause between two authoritative polls: the resolution of the authoritative figures."""
RESOLVER_POLL_SECONDS = 0.02
STEP_TIMEOUT = 30.0


def config_yaml(auth: Authoritative, settings: Settings, port: int) -> str:
    recheck = (
        f", recheck_interval_seconds: {settings.recheck}" if settings.recheck is not None else ""
    )
    return f"""providers:
  bench: {auth.provider_yaml}
zones:
  - {{name: "{ZONE}", provider: bench}}
resync_seconds: 60
records:
  {OURS}:
    type: A
    ttl: {TTL}
    policy: failover
    health_check: {{protocol: HTTP, port: {port}, path: /healthz, host: "app.{ZONE}",
                   interval_seconds: {settings.interval}, failure_threshold: {settings.failures},
                   success_threshold: {settings.successes},
                   request_timeout_seconds: {settings.timeout}{recheck}}}
    records: [{{value: {PRIMARY}}}, {{value: {SECONDARY}}}]
"""


class Watch(threading.Thread):
    """Polls ``names`` at ``address:port`` every ``pause`` seconds and keeps, per name, the
    wall-clock time at which the answer first became the awaited one."""

    def __init__(self, address: str, port: int, names: list[str], pause: float) -> None:
        super().__init__(daemon=True)
        self.address, self.port, self.names, self.pause = address, port, names, pause
        self.awaited: tuple[str, ...] = ()
        self.seen_at: dict[str, float] = {}
        self.last: dict[str, tuple[str, ...]] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()

    def expect(self, values: tuple[str, ...]) -> None:
        with self.lock:
            self.awaited, self.seen_at = values, {}

    def run(self) -> None:
        while not self.stopped.is_set():
            for name in self.names:
                with contextlib.suppress(Exception):  # a lost UDP answer is just retried
                    answer = dns_answer(self.address, self.port, name, timeout=0.5)
                    now = time.time()
                    with self.lock:
                        self.last[name] = answer
                        if answer == self.awaited and name not in self.seen_at:
                            self.seen_at[name] = now
            time.sleep(self.pause)

    def wait_all(
        self, timeout: float, alive: Callable[[], bool] = lambda: True
    ) -> dict[str, float]:
        """Times at which every name showed the awaited answer; RuntimeError after
        ``timeout`` seconds or as soon as ``alive()`` is false."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and alive():
            with self.lock:
                if len(self.seen_at) == len(self.names):
                    return dict(self.seen_at)
            time.sleep(0.01)
        raise RuntimeError(
            f"not seen within {timeout:g} s: awaited {self.awaited}, last {self.last}"
        )


class Controller:
    """``failover-sync run`` as a subprocess with JSON logs."""

    def __init__(self, config: Path, env: dict[str, str], number: int) -> None:
        self.log = config.with_suffix(f".{number}.log")
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "failover_sync.cli.main", "run", "-c", str(config),
                 "--log-format", "json"],
                stdout=subprocess.DEVNULL, stderr=log, env={**os.environ, **env},
            )  # fmt: skip

    def events(self, name: str) -> list[tuple[float, dict[str, object]]]:
        """``(epoch seconds, event)`` of every logged event called ``name``."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                data = json.loads(line)
                if isinstance(data, dict) and data.get("event") == name:
                    stamp = datetime.fromisoformat(str(data["ts"]).replace("Z", "+00:00"))
                    found.append((stamp.timestamp(), data))
        return found

    def alive(self) -> bool:
        return self.process.poll() is None

    def ready(self) -> bool:
        """The controller logged ``controller_ready`` (first reconcile done, loops running)."""
        return bool(self.events("controller_ready"))

    def stop(self) -> None:
        if not self.alive():
            return
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(10)

    def dump_on_error(self) -> None:
        """Show the controller's log when the benchmark fails (called while unwinding)."""
        if sys.exc_info()[0] is not None:
            print(self.log.read_text(errors="replace")[-3000:], file=sys.stderr)


@dataclass
class Figures:
    """Samples in seconds, by figure name, in insertion order."""

    samples: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, seconds: float) -> None:
        self.samples.setdefault(name, []).append(seconds)

    def median(self, name: str) -> float:
        return statistics.median(self.samples[name])

    def p95(self, name: str) -> float:
        values = sorted(self.samples[name])
        return values[max(0, math.ceil(0.95 * len(values)) - 1)]


def wait_for(condition: Callable[[], bool], alive: Callable[[], bool]) -> None:
    deadline = time.monotonic() + STEP_TIMEOUT
    while not condition():
        if time.monotonic() > deadline or not alive():
            raise RuntimeError("the controller did not become ready")
        time.sleep(0.01)


def first_after(
    events: list[tuple[float, dict[str, object]]], since: float, **match: object
) -> float:
    for stamp, data in events:
        if stamp >= since - 0.002 and all(data.get(k) == v for k, v in match.items()):
            return stamp
    raise RuntimeError(f"no event matching {match} after the outage")


def run(trials: int, provider: str, settings: Settings, seed: int | None) -> Figures:
    rng = random.Random(seed)
    figures = Figures()
    with (
        tempfile.TemporaryDirectory(prefix="failover-bench-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        folder = Path(tmp)
        port = free_port(PRIMARY, SECONDARY)
        primary, secondary = Backend(PRIMARY, port), Backend(SECONDARY, port)
        primary.start()
        secondary.start()
        stack.callback(primary.stop)
        stack.callback(secondary.stop)
        auth = stack.enter_context(STAGES[provider](folder, settings, port))
        resolver = stack.enter_context(
            unbound_server(folder / "unbound", auth.address, auth.port, domain="test.")
        )
        names = [OURS, PEER] if auth.peer else [OURS]
        config = folder / "failover-sync.yaml"
        config.write_text(config_yaml(auth, settings, port))
        started: list[Controller] = []

        def stop_all() -> None:
            for each in started:
                each.stop()

        stack.callback(stop_all)

        def start_controller() -> Controller:
            started.append(Controller(config, auth.env, len(started)))
            return started[-1]

        controller = start_controller()
        direct = Watch(auth.address, auth.port, names, POLL_SECONDS)
        cached = Watch("127.0.0.1", resolver.port, names, RESOLVER_POLL_SECONDS)
        stack.callback(lambda: started[-1].dump_on_error())

        def alive() -> bool:
            return started[-1].alive()

        # The resolver is asked only once the authoritative answers: an earlier NXDOMAIN would
        # stay in its negative cache for the SOA minimum (an hour).
        for watch in (direct, cached):
            watch.expect((PRIMARY,))
            watch.start()
            stack.callback(watch.stopped.set)
            watch.wait_all(STEP_TIMEOUT, alive)  # the first publication, the peer's first checks
        print(f"ready: {', '.join(names)} -> {PRIMARY}; running {trials} trials", file=sys.stderr)

        for trial in range(1, trials + 1):
            # A restart at a random moment gives our probe schedule a random phase against the
            # peer's checker: with equal intervals the offset between the two schedules would
            # otherwise be one draw for the whole run and decide the ratio. A restart writes
            # nothing (the live DNS is the state), which the e2e tests check.
            controller.stop()
            time.sleep(rng.uniform(0, settings.interval))
            controller = start_controller()
            wait_for(controller.ready, alive)
            if controller.events("change_applied"):
                raise RuntimeError("a restarted controller wrote, with nothing to change")
            # A random phase against both checkers' schedules and against the resolver's cached
            # TTL (which the polling client refreshed when it saw the previous change).
            time.sleep(rng.uniform(0.5, 0.5 + max(settings.interval, TTL)))
            direct.expect((SECONDARY,))
            cached.expect((SECONDARY,))
            t0 = time.time()
            primary.stop()
            down = direct.wait_all(STEP_TIMEOUT, alive)
            seen = cached.wait_all(STEP_TIMEOUT + TTL, alive)
            verdict = first_after(controller.events("endpoint_unhealthy"), t0)
            written = first_after(controller.events("change_applied"), t0, after=[SECONDARY])
            figures.add("ours: outage -> last failing probe (verdict)", verdict - t0)
            figures.add("ours: last failing probe -> write accepted", written - verdict)
            figures.add("ours: write accepted -> authoritative answer", down[OURS] - written)
            figures.add("ours: outage -> authoritative answer", down[OURS] - t0)
            figures.add("ours: outage -> client behind Unbound", seen[OURS] - t0)
            if auth.peer:
                figures.add("peer: outage -> authoritative answer", down[PEER] - t0)
                figures.add("peer: outage -> client behind Unbound", seen[PEER] - t0)

            time.sleep(rng.uniform(0.5, 0.5 + settings.interval))
            direct.expect((PRIMARY,))
            cached.expect((PRIMARY,))
            t1 = time.time()
            primary.start()
            back = direct.wait_all(STEP_TIMEOUT, alive)
            cached.wait_all(STEP_TIMEOUT + TTL, alive)
            figures.add("ours: failback -> authoritative answer", back[OURS] - t1)
            if auth.peer:
                figures.add("peer: failback -> authoritative answer", back[PEER] - t1)
            ours_ms = (down[OURS] - t0) * 1000
            peer_ms = f", peer {(down[PEER] - t0) * 1000:.0f} ms" if auth.peer else ""
            print(f"trial {trial}/{trials}: ours {ours_ms:.0f} ms{peer_ms}", file=sys.stderr)
    return figures


def report(figures: Figures, trials: int, provider: str, settings: Settings) -> None:
    peer_figures = "peer: outage -> authoritative answer" in figures.samples
    sides = "both sides" if peer_figures else "ours"
    recheck = f", ours with recheck every {settings.recheck:g} s" if settings.recheck else ""
    print(
        f"failover latency, provider {provider}, {trials} trials; {sides}: interval "
        f"{settings.interval:g} s, {settings.failures} failure(s) to fail, {settings.successes} "
        f"success(es) to recover, timeout {settings.timeout:g} s{recheck}; record TTL {TTL} s"
    )
    if settings.recheck:
        print(
            f"extra probe load during an outage: {settings.failures - 1} recheck(s) per "
            f"endpoint per detection, at most 256 in flight at once"
        )
    print(f"{'figure':52} {'median ms':>10} {'p95 ms':>10}")
    for name in figures.samples:
        print(f"{name:52} {figures.median(name) * 1000:10.1f} {figures.p95(name) * 1000:10.1f}")
    bound = settings.bound
    ours = figures.median("ours: outage -> authoritative answer")
    overhead = figures.median("ours: last failing probe -> write accepted")
    print(f"detector bound (jitter and recheck included): {bound * 1000:.0f} ms")
    print(
        f"goal: ours median outage -> authoritative <= bound + 50 ms: {ours * 1000:.0f} ms "
        f"{'met' if ours <= bound + 0.05 else 'NOT met'}"
    )
    print(
        f"goal: controller overhead median <= 20 ms: {overhead * 1000:.1f} ms "
        f"{'met' if overhead <= 0.02 else 'NOT met'}"
    )
    if peer_figures:
        peer = figures.median("peer: outage -> authoritative answer")
        ratio = ours / peer
        goal = 0.6 if settings.recheck else 1.0
        print(f"ratio ours/peer (median outage -> authoritative): {ratio:.2f} "
              f"({'met' if ratio <= goal else 'NOT met'}: goal <= {goal:g})")  # fmt: skip
    else:
        print(f"ratio ours/peer: no peer ({provider} has no server-side health-checked record)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--provider", choices=sorted(STAGES), default="powerdns")
    parser.add_argument("--seed", type=int, default=None, help="seed of the random phases")
    parser.add_argument("--interval", type=float, default=1.0, help="probe interval, seconds")
    parser.add_argument("--failures", type=int, default=1, help="failures to mark unhealthy")
    parser.add_argument("--successes", type=int, default=1, help="successes to mark healthy")
    parser.add_argument(
        "--timeout", type=float, default=None,
        help="probe timeout, seconds, below the interval (default: 0.9 x the interval)",
    )  # fmt: skip
    parser.add_argument(
        "--recheck", type=float, default=None,
        help="also run ours with recheck_interval_seconds (the peer has no recheck)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    timeout = round(0.9 * args.interval, 3) if args.timeout is None else args.timeout
    if not 0 < timeout < args.interval:
        parser.error(f"--timeout ({timeout:g}) must be above 0 and below --interval "
                     f"({args.interval:g}): the core requires request_timeout_seconds < "
                     "interval_seconds")  # fmt: skip
    settings = Settings(args.interval, args.failures, args.successes, timeout)
    figures = run(args.trials, args.provider, settings, args.seed)
    report(figures, args.trials, args.provider, settings)
    if args.recheck is not None:  # the second configuration, same run, same peer
        print()
        fast = Settings(args.interval, args.failures, args.successes, timeout, args.recheck)
        figures = run(args.trials, args.provider, fast, args.seed)
        report(figures, args.trials, args.provider, fast)
    return 0


if __name__ == "__main__":
    sys.exit(main())

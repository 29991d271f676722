"""End to end: HTTP backends on 127.0.0.x, ``failover-sync`` as a subprocess, a real PowerDNS
and Unbound in front of it; answers read with dnspython.

Probe settings are fast (0.25 s interval, 2 failures, 2 successes, 0.2 s timeout: detector
bound 0.7 s) so that the whole module runs in seconds. Deadlines are generous multiples of
that bound, because two cores are shared with other test runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from failover_sync.cli.demo import Backend, free_port
from failover_sync.model import Zone
from failover_sync.testing.powerdns import PowerDNS
from failover_sync.testing.process import wait_until
from failover_sync.testing.unbound import Unbound

W1, W2, W3 = "127.0.0.21", "127.0.0.22", "127.0.0.23"
DEADLINE = 10.0
HEALTH = (
    "{protocol: HTTP, port: %d, path: /healthz, interval_seconds: 0.25, failure_threshold: 2,"
    " success_threshold: 2, request_timeout_seconds: 0.2}"
)
Start = Callable[..., Any]


@pytest.fixture
def backends() -> Iterator[dict[str, Backend]]:
    """Three running backends on one port, keyed by address; stopped at teardown."""
    port = free_port(W1, W2, W3)
    started = {address: Backend(address, port) for address in (W1, W2, W3)}
    for backend in started.values():
        backend.start()
    yield started
    for backend in started.values():
        backend.stop()


def write_config(
    path: Path, server: PowerDNS, zone: Zone, port: int, records: str, resync: float = 30
) -> Path:
    """A config with provider ``pdns`` (key from ``$PDNS_API_KEY``), ``zone`` and ``records``
    (YAML lines indented by 2)."""
    path.write_text(
        f"""providers:
  pdns: {{type: powerdns, url: "{server.url}", api_key_env: PDNS_API_KEY, timeout_seconds: 2}}
zones:
  - {{name: "{zone.name}", provider: pdns}}
defaults:
  ttl: 1
  health_check: {HEALTH % port}
resync_seconds: {resync}
records:
{records}"""
    )
    return path


def failover_record(zone: Zone, *values: str) -> str:
    items = ", ".join(f"{{value: {v}}}" for v in values)
    return f"  app.{zone.name}: {{type: A, policy: failover, records: [{items}]}}\n"


def eventually(read: Callable[[], tuple[str, ...]], expected: tuple[str, ...], what: str) -> None:
    """Wait until ``read()`` returns ``expected``; fail with the last answer after DEADLINE."""
    seen: list[tuple[str, ...]] = []

    def check() -> bool:
        seen.append(read())
        return seen[-1] == expected

    try:
        wait_until(check, timeout=DEADLINE, what=what)
    except RuntimeError:
        raise AssertionError(f"{what}: wanted {expected}, last answer {seen[-1:]}") from None


def serial(server: PowerDNS, zone: Zone) -> int:
    return int(server.api("GET", f"/zones/{zone.name}")["serial"])


def test_failover_and_failback_direct_and_through_unbound(
    powerdns: PowerDNS,
    unbound: Unbound,
    new_zone: Callable[[str], Zone],
    backends: dict[str, Backend],
    controllers: Start,
    tmp_path: Path,
) -> None:
    zone = new_zone("failover")
    app = f"app.{zone.name}"
    port = backends[W1].port
    config = write_config(tmp_path / "c.yaml", powerdns, zone, port, failover_record(zone, W1, W2))
    controller = controllers(config, {"PDNS_API_KEY": powerdns.api_key})
    eventually(lambda: powerdns.query(app), (W1,), "first publication")
    eventually(lambda: unbound.query(app), (W1,), "first publication through unbound")

    backends[W1].stop()
    eventually(lambda: powerdns.query(app), (W2,), "failover at the authoritative")
    eventually(lambda: unbound.query(app), (W2,), "failover through unbound (TTL 1 s)")

    backends[W1].start()
    eventually(lambda: powerdns.query(app), (W1,), "failback at the authoritative")
    eventually(lambda: unbound.query(app), (W1,), "failback through unbound")
    assert controller.stop() == 0
    assert powerdns.api_key not in controller.text()


def test_multivalue_shrink_regrow_and_all_unhealthy(
    powerdns: PowerDNS,
    new_zone: Callable[[str], Zone],
    backends: dict[str, Backend],
    controllers: Start,
    tmp_path: Path,
) -> None:
    zone = new_zone("multi")
    pool = f"pool.{zone.name}"
    record = (
        f"  {pool}: {{type: A, policy: multivalue, when_all_unhealthy: publish_all,"
        f" records: [{{value: {W1}}}, {{value: {W2}}}, {{value: {W3}}}]}}\n"
    )
    config = write_config(tmp_path / "c.yaml", powerdns, zone, backends[W1].port, record)
    controller = controllers(config, {"PDNS_API_KEY": powerdns.api_key})
    eventually(lambda: powerdns.query(pool), (W1, W2, W3), "all three published")

    backends[W2].stop()
    eventually(lambda: powerdns.query(pool), (W1, W3), "shrink")
    backends[W2].start()
    eventually(lambda: powerdns.query(pool), (W1, W2, W3), "regrow")

    backends[W1].stop()
    backends[W2].stop()
    eventually(lambda: powerdns.query(pool), (W3,), "only the healthy one")
    backends[W3].stop()  # none is healthy now: publish_all publishes every endpoint
    eventually(lambda: powerdns.query(pool), (W1, W2, W3), "publish_all")
    applied = [e["after"] for e in controller.events("change_applied")]
    assert applied[-1] == [W1, W2, W3]
    assert controller.stop() == 0


def test_restart_writes_nothing_drift_is_repaired_neighbours_untouched(
    powerdns: PowerDNS,
    new_zone: Callable[[str], Zone],
    backends: dict[str, Backend],
    controllers: Start,
    tmp_path: Path,
) -> None:
    zone = new_zone("steady")
    app, other = f"app.{zone.name}", f"other.{zone.name}"
    comment = {"content": "managed by failover-sync", "account": "ops", "modified_at": 1}
    powerdns.api(
        "PATCH",
        f"/zones/{zone.name}",
        {
            "rrsets": [
                {"name": app, "type": "A", "ttl": 1, "changetype": "REPLACE",
                 "records": [{"content": W1, "disabled": False}], "comments": [comment]},
                {"name": app, "type": "TXT", "ttl": 300, "changetype": "REPLACE",
                 "records": [{"content": '"v=owner"', "disabled": False}]},
                {"name": other, "type": "A", "ttl": 300, "changetype": "REPLACE",
                 "records": [{"content": "198.51.100.7", "disabled": False}]},
            ]
        },
    )  # fmt: skip
    before = serial(powerdns, zone)
    unmanaged = [r for r in powerdns.rrsets(zone.name) if (r["name"], r["type"]) != (app, "A")]
    env = {"PDNS_API_KEY": powerdns.api_key}
    config = write_config(
        tmp_path / "c.yaml", powerdns, zone, backends[W1].port, failover_record(zone, W1, W2), 1
    )

    for run in range(2):  # the second start is a restart: the live DNS is the state
        controller = controllers(config, env)
        wait_until(lambda c=controller: bool(c.events("controller_ready")), timeout=DEADLINE,
                   what=f"controller ready (start {run + 1})")  # fmt: skip
        time.sleep(1.5)  # a probe streak and a resync (1 s) later, still nothing to write
        assert controller.events("change_applied") == []
        assert controller.stop() == 0
        assert serial(powerdns, zone) == before

    controller = controllers(config, env)
    wait_until(lambda: bool(controller.events("controller_ready")), timeout=DEADLINE,
               what="controller ready")  # fmt: skip
    powerdns.replace(zone.name, app, "A", 1, ["192.0.2.99"])  # an operator edits by hand
    edited = time.monotonic()
    eventually(lambda: powerdns.query(app), (W1,), "drift repaired")
    assert time.monotonic() - edited < 1 + 1.5  # within one resync period (plus a read+write)
    assert controller.stop() == 0

    after = {(r["name"], r["type"]): r for r in powerdns.rrsets(zone.name)}
    for rrset in unmanaged:
        if rrset["type"] != "SOA":  # the serial moves with every edit
            assert after[(rrset["name"], rrset["type"])] == rrset
    assert [c["content"] for c in after[(app, "A")]["comments"]] == [comment["content"]]


def test_wrong_api_key_fails_apply_and_is_logged_by_run(
    powerdns: PowerDNS,
    new_zone: Callable[[str], Zone],
    backends: dict[str, Backend],
    controllers: Start,
    tmp_path: Path,
) -> None:
    zone = new_zone("badkey")
    wrong = {"PDNS_API_KEY": "definitely-not-the-key"}
    config = write_config(
        tmp_path / "c.yaml", powerdns, zone, backends[W1].port, failover_record(zone, W1, W2)
    )
    apply = controllers(config, wrong, "apply", "--yes")
    assert apply.process.wait(DEADLINE) == 1
    text = apply.text()
    assert "HTTP 401" in text
    assert "API key is wrong" in text
    assert "definitely-not-the-key" not in text
    assert "Traceback" not in text

    run = controllers(config, wrong, "run")
    wait_until(lambda: bool(run.events("reconcile_failed")), timeout=DEADLINE,
               what="reconcile_failed logged")  # fmt: skip
    failed = run.events("reconcile_failed")[0]
    assert failed["kind"] == "permanent"
    assert "HTTP 401" in failed["error"]
    time.sleep(0.5)
    assert run.alive(), run.text()
    assert run.stop() == 0
    assert "definitely-not-the-key" not in run.text()
    assert powerdns.query(f"app.{zone.name}") == ()


def test_powerdns_restart_under_a_running_controller(
    powerdns_factory: Callable[..., PowerDNS],
    backends: dict[str, Backend],
    controllers: Start,
    tmp_path: Path,
) -> None:
    server = powerdns_factory()
    zone = Zone(server.create_zone("restart.example.test"), "pdns")
    app = f"app.{zone.name}"
    config = write_config(
        tmp_path / "c.yaml", server, zone, backends[W1].port, failover_record(zone, W1, W2), 1
    )
    controller = controllers(config, {"PDNS_API_KEY": server.api_key})
    eventually(lambda: server.query(app), (W1,), "first publication")

    server.stop()
    backends[W1].stop()  # a failover is due while the provider is down
    time.sleep(1.5)
    assert controller.alive(), controller.text()
    server.start()
    eventually(lambda: server.query(app), (W2,), "converged after PowerDNS returned")
    assert controller.alive()
    assert controller.stop() == 0
    assert "Traceback" not in controller.text()

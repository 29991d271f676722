"""Safety flags of the command: blast-radius refusal, ``--force``, ``--plan-checksum``,
``--adopt``; real backends, real zone file."""

from __future__ import annotations

import json
from pathlib import Path

import dns.zone

from failover_sync.cli.demo import free_port
from failover_sync.testing.backends import HttpBackend
from tests.helpers.cli import FAILURES, INTERVAL, TIMEOUT, cli

NAMES = [f"r{i}.example.test." for i in range(1, 5)]


def write_config(tmp_path: Path, port: int, extra: str = "") -> None:
    records = "".join(
        f"""\
  {name}:
    type: A
    policy: multivalue
    records: [{{value: 127.0.0.2}}, {{value: 127.0.0.3}}]
"""
        for name in NAMES
    )
    (tmp_path / "failover-sync.yaml").write_text(f"""\
providers:
  local: {{type: zonefile, directory: zones, create_missing: true}}
zones:
  - {{name: example.test, provider: local}}
defaults:
  ttl: 30
  health_check: {{port: {port}, path: /healthz, interval_seconds: {INTERVAL},
                 failure_threshold: {FAILURES}, success_threshold: 2,
                 request_timeout_seconds: {TIMEOUT}}}
{extra}records:
{records}""")


def zone_text(tmp_path: Path) -> str:
    return (tmp_path / "zones" / "example.test.zone").read_text()


def published(tmp_path: Path, name: str) -> tuple[str, ...]:
    zone = dns.zone.from_text(zone_text(tmp_path), "example.test.", relativize=False)
    rdataset = zone.get_rdataset(name, "A")
    return tuple(sorted(rd.to_text() for rd in rdataset)) if rdataset else ()


def test_one_dead_backend_behind_four_names_fails_over_without_force(
    tmp_path: Path, backend_pair: tuple[HttpBackend, HttpBackend]
) -> None:
    """Issue 12 item 1: the textbook failover passes the default brakes."""
    web1, web2 = backend_pair
    write_config(tmp_path, web1.port)
    assert cli("apply", "--yes", cwd=tmp_path).returncode == 0
    assert published(tmp_path, NAMES[0]) == ("127.0.0.2", "127.0.0.3")
    web2.stop()  # 127.0.0.3 leaves all 4 RRsets: one distinct endpoint of two
    applied = cli("apply", "--yes", cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert "Apply complete: 4 changed in 1 zone" in applied.stdout
    assert all(published(tmp_path, n) == ("127.0.0.2",) for n in NAMES)
    web2.start()
    once = cli("run", "--once", cwd=tmp_path)
    assert once.returncode == 0, once.stderr
    assert all(published(tmp_path, n) == ("127.0.0.2", "127.0.0.3") for n in NAMES)


def test_blast_radius_refuses_apply_and_run_once_without_force(tmp_path: Path) -> None:
    """Most distinct endpoints removed at once (3 of 4) is what the brake exists for; the
    partition brake is lifted here (max_unhealthy_fraction 1) to see it alone."""
    addresses = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]
    port = free_port(*addresses)
    backends = [HttpBackend(a, port).start() for a in addresses]
    try:
        records = "".join(
            f"  {name}:\n    type: A\n    policy: multivalue\n    records: ["
            + ", ".join(f"{{value: {a}}}" for a in addresses)
            + "]\n"
            for name in NAMES
        )
        write_config(tmp_path, port, "max_unhealthy_fraction: 1.0\n")
        text = (tmp_path / "failover-sync.yaml").read_text()
        head = text[: text.index("records:\n")]
        (tmp_path / "failover-sync.yaml").write_text(head + "records:\n" + records)
        assert cli("apply", "--yes", cwd=tmp_path).returncode == 0
        before = zone_text(tmp_path)
        for backend in backends[1:]:
            backend.stop()
        refused = cli("apply", "--yes", cwd=tmp_path)
        assert refused.returncode == 1
        assert "removes 3 of 4 distinct endpoints" in refused.stderr
        assert "--force" in refused.stderr
        assert "Traceback" not in refused.stderr
        once = cli("run", "--once", cwd=tmp_path)
        assert once.returncode == 1
        assert "writes_frozen" in once.stderr
        assert zone_text(tmp_path) == before
        forced = cli("apply", "--yes", "--force", cwd=tmp_path)
        assert forced.returncode == 0, forced.stderr
        assert all(published(tmp_path, n) == ("127.0.0.2",) for n in NAMES)
    finally:
        for backend in backends:
            backend.stop()


def test_apply_with_plan_checksum(
    tmp_path: Path, backend_pair: tuple[HttpBackend, HttpBackend]
) -> None:
    write_config(tmp_path, backend_pair[0].port, extra="max_change_fraction: 1.0\n")
    plan = cli("plan", "-o", "json", cwd=tmp_path)
    checksum = json.loads(plan.stdout)["checksum"]
    assert len(checksum) == 64
    wrong = cli("apply", "--yes", "--plan-checksum", "0" * 64, cwd=tmp_path)
    assert wrong.returncode == 1
    assert "plan changed since it was reviewed" in wrong.stderr
    assert not (tmp_path / "zones" / "example.test.zone").exists()
    right = cli("apply", "--yes", "--plan-checksum", checksum, cwd=tmp_path)
    assert right.returncode == 0, right.stderr
    assert published(tmp_path, NAMES[3]) == ("127.0.0.2", "127.0.0.3")


def test_unknown_live_values_need_adopt(
    tmp_path: Path, backend_pair: tuple[HttpBackend, HttpBackend]
) -> None:
    write_config(tmp_path, backend_pair[0].port)
    zones = tmp_path / "zones"
    zones.mkdir()
    (zones / "example.test.zone").write_text(
        "$ORIGIN example.test.\n$TTL 300\n"
        "@ IN SOA ns1 hostmaster 1 3600 600 86400 60\n@ IN NS ns1\nns1 IN A 192.0.2.53\n"
        "r1 30 IN A 203.0.113.9\n"
    )
    plan = cli("plan", "-o", "json", cwd=tmp_path)
    data = json.loads(plan.stdout)
    (conflict,) = data["zones"][0]["conflicts"]
    assert conflict["name"] == NAMES[0]
    assert "--adopt" in conflict["reason"]
    assert cli("apply", "--yes", cwd=tmp_path).returncode == 0
    assert published(tmp_path, NAMES[0]) == ("203.0.113.9",)  # not taken over
    adopted = cli("apply", "--yes", "--adopt", cwd=tmp_path)
    assert adopted.returncode == 0, adopted.stderr
    assert published(tmp_path, NAMES[0]) == ("127.0.0.2", "127.0.0.3")

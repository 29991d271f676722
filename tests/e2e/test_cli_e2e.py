"""``failover-sync`` as a process: real backends, real zone file, real signals."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest

from failover_sync.testing.backends import HttpBackend
from failover_sync.testing.waits import wait_for
from tests.helpers.cli import (
    DETECTOR_BOUND,
    EXE,
    NAME,
    cli,
    published,
    write_config,
)


def test_validate(tmp_path: Path, backend_pair: tuple[HttpBackend, HttpBackend]) -> None:
    write_config(tmp_path, backend_pair[0].port)
    result = cli("validate", "-c", "failover-sync.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "valid (1 records in 1 zones)" in result.stdout


def test_bad_config_exits_1_with_key_path_and_writes_nothing(tmp_path: Path) -> None:
    path = write_config(tmp_path, 8080)
    path.write_text(path.read_text().replace("failure_threshold: 2", "failure_threshold: 20"))
    for command in (["plan"], ["apply", "--yes"], ["run", "--once"]):
        result = cli(*command, "-c", str(path), cwd=tmp_path)
        assert result.returncode == 1
        assert "defaults.health_check.failure_threshold" in result.stderr
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "zones").exists()


def test_missing_config_is_a_one_line_error(tmp_path: Path) -> None:
    result = cli("plan", cwd=tmp_path)
    assert result.returncode == 1
    assert "failover-sync.yaml" in result.stderr
    assert "cannot read config: No such file or directory" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 2  # header + the one problem


def test_usage_error_exits_1_not_2(tmp_path: Path) -> None:
    result = cli("plan", "--no-such-flag", cwd=tmp_path)
    assert result.returncode == 1
    assert "unrecognized arguments" in result.stderr


def test_plan_apply_plan(tmp_path: Path, backend_pair: tuple[HttpBackend, HttpBackend]) -> None:
    write_config(tmp_path, backend_pair[0].port)
    pending = cli("plan", "-o", "json", "--detailed-exitcode", cwd=tmp_path)
    assert pending.returncode == 2, pending.stderr
    data = json.loads(pending.stdout)
    # The first write carries the ownership marker in the same batch.
    assert data["summary"] == {"changes": 2, "unchanged": 0, "conflicts": 0, "errors": 0}
    marker, change = data["zones"][0]["changes"]
    assert (change["name"], change["before"], change["after"]) == (NAME, [], ["127.0.0.2"])
    assert marker["name"] == f"_failover-sync.{NAME}"
    assert marker["after"] == ['"heritage=failover-sync,owner=default,type=A"']
    assert published(tmp_path) == ()  # plan writes nothing

    refused = cli("apply", cwd=tmp_path)  # no TTY, no --yes
    assert refused.returncode == 1
    assert "refusing to apply without --yes" in refused.stderr
    assert published(tmp_path) == ()

    applied = cli("apply", "--yes", cwd=tmp_path)
    assert applied.returncode == 0, applied.stderr
    assert published(tmp_path) == ("127.0.0.2",)
    clean = cli("plan", "--detailed-exitcode", cwd=tmp_path)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "No changes." in clean.stdout
    markdown = cli("plan", "-o", "markdown", cwd=tmp_path)
    assert markdown.stdout.startswith("## failover-sync plan")


def test_check_prints_health_and_worst_case(
    tmp_path: Path, backend_pair: tuple[HttpBackend, HttpBackend]
) -> None:
    backend_pair[1].behaviour.status = 503
    write_config(tmp_path, backend_pair[0].port)
    result = cli("check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any("127.0.0.2" in line and "healthy status 200" in line for line in lines)
    assert any(
        "127.0.0.3" in line and "UNHEALTHY" in line and "status 503" in line for line in lines
    )
    # detection 2 x 0.2 + 0.1 s, plus the TTL of 30 s
    # detect: first probe within 0.25 s, one more at 0.25 s, 0.1 s timeout; +1 s rounding
    assert "worst-case failover 31.6 s (detect 0.6 s (2 failures" in result.stdout
    assert "+ 1 s resolver rounding" in result.stdout
    assert "Host/SNI app.example.test" in result.stdout


def test_run_loop_failover_failback_all_unhealthy_and_sigterm(
    tmp_path: Path, backend_pair: tuple[HttpBackend, HttpBackend]
) -> None:
    web1, web2 = backend_pair
    write_config(tmp_path, web1.port)
    log = (tmp_path / "run.log").open("w")
    proc = subprocess.Popen(
        [*EXE, "run", "--log-format", "json"], cwd=tmp_path, stderr=log, stdout=log
    )
    try:
        try:
            wait_for(lambda: published(tmp_path) == ("127.0.0.2",), 10)
            web1.stop()
            took = wait_for(lambda: published(tmp_path) == ("127.0.0.3",), 5)
            assert took < DETECTOR_BOUND + 0.4, f"failover took {took:.3f} s"
            web1.start()
            wait_for(lambda: published(tmp_path) == ("127.0.0.2",), 5)
            web1.behaviour.status = web2.behaviour.status = 500
            wait_for(lambda: published(tmp_path) == ("127.0.0.2", "127.0.0.3"), 5)  # publish_all
        except AssertionError as exc:
            log.flush()
            raise AssertionError(  # noqa: B904 - the log is the context
                f"{exc}\n--- controller log ---\n{(tmp_path / 'run.log').read_text()}"
            )
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        log.close()
    events = [json.loads(line) for line in (tmp_path / "run.log").read_text().splitlines()]
    names = [e["event"] for e in events]
    assert "endpoint_unhealthy" in names
    assert names[-1] == "controller_stopped"
    applied = [e for e in events if e["event"] == "change_applied" and e["type"] == "A"]
    afters = [e["after"] for e in applied]
    assert afters[:3] == [["127.0.0.2"], ["127.0.0.3"], ["127.0.0.2"]]
    # Both turn unhealthy in one probe round; web1 may be seen first (one more failover).
    assert afters[3:] in ([["127.0.0.2", "127.0.0.3"]], [["127.0.0.3"], ["127.0.0.2", "127.0.0.3"]])


def test_restart_writes_nothing(
    tmp_path: Path, backend_pair: tuple[HttpBackend, HttpBackend]
) -> None:
    write_config(tmp_path, backend_pair[0].port)
    assert cli("run", "--once", cwd=tmp_path).returncode == 0
    zone_file = tmp_path / "zones" / "example.test.zone"
    stamp = zone_file.stat().st_mtime_ns
    again = cli("run", "--once", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert zone_file.stat().st_mtime_ns == stamp
    assert "change_applied" not in again.stderr


def test_dry_run_once_writes_nothing(
    tmp_path: Path, backend_pair: tuple[HttpBackend, HttpBackend]
) -> None:
    write_config(tmp_path, backend_pair[0].port)
    result = cli("run", "--once", "--dry-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "change_planned" in result.stderr
    assert not (tmp_path / "zones").exists()


@pytest.mark.timeout(60)
def test_demo_shows_failover_and_failback(tmp_path: Path) -> None:
    result = cli("demo", "--directory", str(tmp_path), cwd=tmp_path, timeout=45)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "failover: app.demo.test. A -> 127.0.0.3" in result.stdout
    assert "failback: app.demo.test. A -> 127.0.0.2" in result.stdout

"""The command as operators meet it: a terminal and a pipe, signals, JSON logs, help texts,
manual failback, and the status of a running controller."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest

from failover_sync.cli.demo import free_port
from failover_sync.testing.backends import BlackHole, HttpBackend
from failover_sync.testing.waits import wait_for
from tests.helpers.cli import EXE, NAME, cli, published, write_config
from tests.helpers.terminal import run_on_pty


def test_apply_on_a_terminal_shows_progress_prompts_on_the_tty_and_sums_up(
    tmp_path: Path, backend_pair: tuple[HttpBackend, HttpBackend]
) -> None:
    write_config(tmp_path, backend_pair[0].port)
    code, shown = run_on_pty(
        "apply", cwd=tmp_path, answers={"Only 'yes' will be accepted": "yes\n"}
    )
    assert code == 0, shown
    assert "Apply these changes?" in shown
    assert "Apply complete: 2 changed in 1 zone." in shown
    assert "Traceback" not in shown
    assert published(tmp_path) == ("127.0.0.2",)


def test_apply_piped_without_yes_refuses_before_probing(tmp_path: Path) -> None:
    write_config(tmp_path, 9)  # nothing listens on port 9: probing would take a while
    done = subprocess.run(
        [*EXE, "apply"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # no controlling terminal
        env={**os.environ, "FAILOVER_SYNC_CONFIG": ""},
        check=False,
    )
    assert done.returncode == 1
    assert "refusing to apply without --yes: no terminal to confirm on" in done.stderr
    assert "endpoint_settled" not in done.stderr  # refused before probing


def test_piped_plan_reports_each_settled_endpoint(
    tmp_path: Path, backend_pair: tuple[HttpBackend, HttpBackend]
) -> None:
    write_config(tmp_path, backend_pair[0].port)
    done = cli("plan", cwd=tmp_path)
    assert done.returncode == 0
    assert done.stderr.count("endpoint_settled") == 2


def test_json_logs_make_every_stderr_line_json(tmp_path: Path) -> None:
    (tmp_path / "failover-sync.yaml").write_text("providers: {}\n")
    done = cli("plan", "--log-format", "json", cwd=tmp_path)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines
    for line in lines:
        json.loads(line)  # raises on a plain "error: ..." line


@pytest.mark.parametrize(
    ("variable", "value"),
    [("FAILOVER_SYNC_LOG_LEVEL", "loud"), ("FAILOVER_SYNC_LOG_FORMAT", "xml")],
)
def test_a_bad_log_variable_is_a_usage_error_unless_a_flag_overrides_it(
    tmp_path: Path, backend_pair: tuple[HttpBackend, HttpBackend], variable: str, value: str
) -> None:
    write_config(tmp_path, backend_pair[0].port)
    env = {**os.environ, "FAILOVER_SYNC_CONFIG": "", variable: value}
    bad = subprocess.run(
        [*EXE, "validate"], cwd=tmp_path, capture_output=True, text=True, env=env, check=False
    )
    assert bad.returncode == 1
    assert variable in bad.stderr
    assert "Traceback" not in bad.stderr
    flag = ["--log-level", "debug"] if "LEVEL" in variable else ["--log-format", "text"]
    ok = subprocess.run(
        [*EXE, "validate", *flag], cwd=tmp_path, capture_output=True, text=True, env=env,
        check=False,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr


def test_help_has_an_example_and_usage_errors_name_their_verb(tmp_path: Path) -> None:
    for verb in ("validate", "check", "plan", "apply", "run", "failback", "status", "schema"):
        done = cli(verb, "--help", cwd=tmp_path)
        assert done.returncode == 0
        assert "example:" in done.stdout, verb
    bogus = cli("plan", "--bogus", cwd=tmp_path)
    assert bogus.returncode == 1
    assert "usage: failover-sync plan" in bogus.stderr
    assert cli("schema", "-c", "x.yaml", cwd=tmp_path).returncode == 1  # no silent -c
    assert cli("demo", "-c", "x.yaml", cwd=tmp_path).returncode == 1


def test_sigterm_ends_a_one_shot_run_with_143(tmp_path: Path) -> None:
    """What a CronJob or an ECS scheduled task sends: one line, exit 143, no traceback."""
    hole = BlackHole("127.0.0.2")  # accepts and never answers: probes wait their timeout
    try:
        write_config(tmp_path, hole.port)
        text = (tmp_path / "failover-sync.yaml").read_text()
        text = text.replace("interval_seconds: 0.2", "interval_seconds: 30")
        text = text.replace("request_timeout_seconds: 0.1", "request_timeout_seconds: 20")
        (tmp_path / "failover-sync.yaml").write_text(text)
        err = tmp_path / "stderr.log"
        with err.open("w") as sink:
            proc = subprocess.Popen(
                [*EXE, "run", "--once"], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=sink,
                env={**os.environ, "FAILOVER_SYNC_CONFIG": ""},
            )  # fmt: skip
        try:
            wait_for(lambda: "settling" in err.read_text(), 20)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)
        finally:
            proc.kill()
    finally:
        hole.close()
    assert proc.returncode == 143, err.read_text()
    assert "interrupted by SIGTERM" in err.read_text()
    assert "Traceback" not in err.read_text()


def test_sighup_reloads_the_config_and_keeps_the_old_one_on_error(
    tmp_path: Path, backend_pair: tuple[HttpBackend, HttpBackend]
) -> None:
    write_config(tmp_path, backend_pair[0].port)
    log = tmp_path / "run.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [*EXE, "run"], cwd=tmp_path, stdout=sink, stderr=sink,
            env={**os.environ, "FAILOVER_SYNC_CONFIG": ""},
        )  # fmt: skip
    try:
        wait_for(lambda: "controller_ready" in log.read_text(), 20)
        good = (tmp_path / "failover-sync.yaml").read_text()
        (tmp_path / "failover-sync.yaml").write_text(good + "  bad: [\n")
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "config_reload_failed" in log.read_text(), 20)
        assert proc.poll() is None  # still running on the old config
        (tmp_path / "failover-sync.yaml").write_text(good)
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "config_reloaded" in log.read_text(), 20)
        wait_for(lambda: log.read_text().count("controller_ready") >= 2, 20)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert "controller_stopped" in log.read_text()


def test_manual_failback_end_to_end_on_the_zone_file(
    tmp_path: Path, backend_pair: tuple[HttpBackend, HttpBackend]
) -> None:
    """Issue 15 item 4: with failback: manual the loop stays on the secondary until an
    operator runs ``failback``; ``--to`` picks the endpoint."""
    web1, _ = backend_pair
    write_config(tmp_path, web1.port, extra="    failback: manual\n")
    assert cli("apply", "--yes", cwd=tmp_path).returncode == 0
    assert published(tmp_path) == ("127.0.0.2",)
    web1.stop()
    assert cli("run", "--once", cwd=tmp_path).returncode == 0
    assert published(tmp_path) == ("127.0.0.3",)
    web1.start()
    assert cli("run", "--once", cwd=tmp_path).returncode == 0
    assert published(tmp_path) == ("127.0.0.3",)  # manual: no automatic failback
    unknown = cli("failback", NAME, "--to", "192.0.2.99", "--yes", cwd=tmp_path)
    assert unknown.returncode == 1
    assert "is not an endpoint" in unknown.stderr
    done = cli("failback", NAME, "--yes", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Apply complete: 1 changed" in done.stdout
    assert published(tmp_path) == ("127.0.0.2",)
    assert cli("run", "--once", cwd=tmp_path).returncode == 0
    assert published(tmp_path) == ("127.0.0.2",)  # the loop keeps the operator's choice
    back = cli("failback", NAME, "--to", "127.0.0.3", "--yes", cwd=tmp_path)
    assert back.returncode == 0, back.stderr
    assert published(tmp_path) == ("127.0.0.3",)


def test_status_from_a_running_controller_and_from_one_round(
    tmp_path: Path, backend_pair: tuple[HttpBackend, HttpBackend]
) -> None:
    web1, _ = backend_pair
    write_config(tmp_path, web1.port)
    port = free_port("127.0.0.1")
    log = tmp_path / "run.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [*EXE, "run", "--metrics-addr", f"127.0.0.1:{port}"], cwd=tmp_path,
            stdout=sink, stderr=sink, env={**os.environ, "FAILOVER_SYNC_CONFIG": ""},
        )  # fmt: skip
    try:
        wait_for(lambda: "controller_ready" in log.read_text(), 20)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=5) as r:
            data = json.load(r)
        (record,) = data["records"]
        assert record["published"] == ["127.0.0.2"]
        assert [e["why"] for e in record["endpoints"]] == ["healthy", "standby"]
        assert record["endpoints"][0]["last_probe"]["ok"] is True
        remote = cli("status", "--addr", f"127.0.0.1:{port}", "-o", "json", cwd=tmp_path)
        assert remote.returncode == 0, remote.stderr
        assert json.loads(remote.stdout)["records"][0]["published"] == ["127.0.0.2"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    local = cli("status", cwd=tmp_path)
    assert local.returncode == 0, local.stderr
    assert "IN  127.0.0.2" in local.stdout
    assert "OUT 127.0.0.3" in local.stdout


def test_check_json_and_exit_1_when_a_record_has_no_healthy_endpoint(tmp_path: Path) -> None:
    write_config(tmp_path, free_port("127.0.0.2", "127.0.0.3"))  # nothing listens
    done = cli("check", "-o", "json", cwd=tmp_path)
    assert done.returncode == 1
    data = json.loads(done.stdout)
    assert data["healthy"] is False
    assert data["records"][0]["endpoints"][0]["host"] == "app.example.test"

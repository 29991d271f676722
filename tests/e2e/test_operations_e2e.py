"""``failover-sync run --metrics-addr`` as a process: metrics, health endpoints, JSON logs and
webhooks, all observed from outside while a real backend fails."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from failover_sync.testing.backends import BlackHole, HttpBackend
from failover_sync.testing.process import free_port
from failover_sync.testing.waits import wait_for
from failover_sync.testing.webhooks import WebhookReceiver
from tests.helpers.cli import DETECTOR_BOUND, EXE, NAME, cli, published, write_config

SECRET_PATH = "/hooks/T000/B000/s3cr3t-token"


def get(url: str) -> tuple[int, str]:
    """Status and body of a GET; HTTP errors are answers, not exceptions."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback http
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of the sample ``name{labels}`` in Prometheus text, or None."""
    for line in text.splitlines():
        match = re.fullmatch(r"([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)", line)
        if not match or match[1] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match[2] or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match[3])
    return None


def test_metrics_health_logs_and_webhooks_follow_a_failover(
    tmp_path: Path, backend_pair: tuple[HttpBackend, HttpBackend]
) -> None:
    web1, _ = backend_pair
    receiver = WebhookReceiver().start()
    hole = BlackHole("127.0.0.1")
    notify = f"""\
notify:
  - {{url_env: HOOK_URL, events: [failover, failback]}}
  - {{url: "http://127.0.0.1:{hole.port}/dead", timeout_seconds: 5}}
"""
    write_config(tmp_path, web1.port, extra=notify)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "run.log").open("w")
    proc = subprocess.Popen(
        [*EXE, "run", "--log-format", "json", "--metrics-addr", f"127.0.0.1:{port}"],
        cwd=tmp_path,
        stderr=log,
        stdout=log,
        env={**os.environ, "FAILOVER_SYNC_CONFIG": "", "HOOK_URL": receiver.url + SECRET_PATH},
    )
    try:
        try:
            wait_for(lambda: _status(base + "/readyz") == 200, 10)
            assert published(tmp_path) == ("127.0.0.2",)
            assert get(base + "/healthz")[0] == 200
            assert get(base + "/nope")[0] == 404
            metrics = get(base + "/metrics")[1]
            labels = {"record": NAME, "endpoint": "127.0.0.2"}
            assert sample(metrics, "failover_sync_endpoint_healthy", **labels) == 1
            assert sample(metrics, "failover_sync_ready") == 1
            assert sample(metrics, "failover_sync_frozen") == 0  # no zone frozen yet

            web1.stop()
            took = wait_for(lambda: published(tmp_path) == ("127.0.0.3",), 5)
            # The black-hole webhook holds a POST open for 5 s: the loop must not notice.
            assert took < DETECTOR_BOUND + 0.4, f"failover took {took:.3f} s"
            wait_for(lambda: "failover" in receiver.events(), 5)
            metrics = get(base + "/metrics")[1]
        except AssertionError as exc:
            log.flush()
            raise AssertionError(  # noqa: B904 - the log is the context
                f"{exc}\n--- controller log ---\n{(tmp_path / 'run.log').read_text()}"
            )
        assert sample(metrics, "failover_sync_endpoint_healthy", **labels) == 0
        assert sample(metrics, "failover_sync_endpoint_healthy", record=NAME, endpoint="127.0.0.3")
        transitions = "failover_sync_health_transitions_total"
        assert sample(metrics, transitions, endpoint="127.0.0.2", to="unhealthy") == 1
        applied = sample(metrics, "failover_sync_plan_changes_total", mode="applied")
        assert applied is not None
        assert applied >= 2
        calls = "failover_sync_provider_api_calls_total"
        assert (sample(metrics, calls, provider="local", operation="apply") or 0) >= 2
        assert (sample(metrics, calls, provider="local", operation="list_rrsets") or 0) >= 2
        assert sample(metrics, "failover_sync_probe_results_total", outcome="failure")
        assert sample(metrics, "failover_sync_probe_duration_seconds_count", protocol="HTTP")
        assert sample(metrics, "failover_sync_consecutive_errors", zone="example.test.") == 0
        last = sample(
            metrics,
            "failover_sync_last_successful_reconcile_timestamp_seconds",
            zone="example.test.",
        )
        assert last is not None
        assert abs(last - time.time()) < 30

        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        # The stuck webhook gets a bounded drain, not its whole retry schedule.
        assert time.monotonic() - started < 5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        log.close()
        receiver.stop()
        hole.close()

    body = receiver.received[receiver.events().index("failover")]
    assert (body["record"], body["before"], body["after"]) == (NAME, ["127.0.0.2"], ["127.0.0.3"])
    assert "127.0.0.2 unhealthy" in body["reason"]
    assert receiver.paths[0] == SECRET_PATH

    text = (tmp_path / "run.log").read_text()
    assert "s3cr3t" not in text  # webhook URLs are secrets
    events = [json.loads(line) for line in text.splitlines()]  # every line is one object
    assert all({"ts", "level", "event"} <= e.keys() for e in events)
    by_name = {e["event"]: e for e in events}
    down = by_name["endpoint_unhealthy"]
    assert down["records"] == [NAME]
    assert down["value"] == "127.0.0.2"
    assert down["endpoint"].startswith("http://127.0.0.2:")
    assert "consecutive failure" in down["reason"]
    changes = [e for e in events if e["event"] == "change_applied"]
    assert changes[-1]["record"] == NAME
    assert (changes[-1]["before"], changes[-1]["after"]) == (["127.0.0.2"], ["127.0.0.3"])
    assert "metrics_listening" in by_name
    assert "controller_ready" in by_name
    assert events[-1]["event"] == "controller_stopped"


def _status(url: str) -> int:
    try:
        return get(url)[0]
    except OSError:  # not listening yet
        return 0


def test_bad_metrics_addr_and_missing_webhook_variable_exit_1(
    tmp_path: Path, backend_pair: tuple[HttpBackend, HttpBackend]
) -> None:
    write_config(tmp_path, backend_pair[0].port)
    bad = cli("run", "--metrics-addr", "localhost", cwd=tmp_path)
    assert bad.returncode == 1
    assert "--metrics-addr" in bad.stderr
    assert "Traceback" not in bad.stderr

    write_config(tmp_path, backend_pair[0].port, extra="notify:\n  - {url_env: NO_SUCH_HOOK}\n")
    missing = cli("run", "--once", cwd=tmp_path)
    assert missing.returncode == 1
    assert "NO_SUCH_HOOK is not set" in missing.stderr


def test_schema_command_prints_the_config_json_schema(tmp_path: Path) -> None:
    result = cli("schema", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    schema = json.loads(result.stdout)
    assert schema["$schema"].endswith("2020-12/schema")
    assert {"providers", "zones", "records", "defaults", "notify"} <= schema["properties"].keys()

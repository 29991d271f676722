"""End to end: HTTP backends on 127.0.0.x -> `failover-sync` processes -> moto's Route 53.

The processes inherit the session's dummy AWS credentials from the environment; the config
points ``endpoint_url`` at moto (or at the fault proxy in front of it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from failover_sync_route53.testing import ACCESS_DENIED, FaultProxy

from failover_sync import Zone
from failover_sync.cli.demo import Backend, free_port
from failover_sync.testing.process import wait_until

CLI = str(Path(sys.executable).with_name("failover-sync"))
WEB = ("127.0.0.2", "127.0.0.3", "127.0.0.4")


def config(zone: Zone, endpoint_url: str, port: int, *, weighted: bool = True) -> str:
    hc = (
        f"{{protocol: HTTP, port: {port}, path: /healthz, interval_seconds: 0.3, "
        "failure_threshold: 2, success_threshold: 1, request_timeout_seconds: 0.25}"
    )
    text = f"""
providers:
  aws: {{type: route53, endpoint_url: "{endpoint_url}", max_requests_per_second: 50}}
zones:
  - {{name: {zone.name}, provider: aws, hosted_zone_id: {zone.options["hosted_zone_id"]}}}
defaults:
  health_check: {hc}
resync_seconds: 1
records:
  fo.{zone.name}:
    type: A
    ttl: 30
    policy: failover
    records: [{{value: {WEB[0]}}}, {{value: {WEB[1]}}}]
  mv.{zone.name}:
    type: A
    ttl: 30
    policy: multivalue
    records: [{{value: {WEB[0]}}}, {{value: {WEB[1]}}}, {{value: {WEB[2]}}}]
"""
    if weighted:
        text += f"""  wr.{zone.name}:
    type: A
    ttl: 30
    policy: weighted_round_robin
    records: [{{value: {WEB[0]}, weight: 3}}, {{value: {WEB[1]}}}, {{value: {WEB[2]}}}]
"""
    return text


def live(r53: Any, zone: Zone, label: str) -> dict[str, int | None]:
    """value -> weight (None for a simple record) of the records at ``label``, weight 0
    left out: what Route 53 would answer."""
    name = f"{label}.{zone.name}"
    answer = r53.list_resource_record_sets(
        HostedZoneId=zone.options["hosted_zone_id"], StartRecordName=name, StartRecordType="A"
    )
    out: dict[str, int | None] = {}
    for record in answer["ResourceRecordSets"]:
        if record["Name"] == name and record["Type"] == "A" and record.get("Weight", 1) > 0:
            for value in record["ResourceRecords"]:
                out[value["Value"]] = record.get("Weight")
    return out


@contextlib.contextmanager
def controller(args: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen([CLI, *args], stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.fixture
def backends() -> Iterator[tuple[int, list[Backend]]]:
    port = free_port(*WEB)
    running = [Backend(WEB[0], port), Backend(WEB[1], port)]  # WEB[2] is never up
    for backend in running:
        backend.start()
    try:
        yield port, running
    finally:
        for backend in running:
            backend.stop()


def test_failover_multivalue_and_weighted_through_the_run_loop(
    r53: Any, zone: Zone, moto_url: str, backends: tuple[int, list[Backend]], tmp_path: Path
) -> None:
    port, (web1, _) = backends
    cfg = tmp_path / "failover-sync.yaml"
    cfg.write_text(config(zone, moto_url, port))
    log = tmp_path / "run.log"
    with controller(["run", "-c", str(cfg)], log) as proc:

        def state() -> tuple[dict[str, int | None], ...]:
            return tuple(live(r53, zone, label) for label in ("fo", "mv", "wr"))

        first = ({WEB[0]: None}, {WEB[0]: None, WEB[1]: None}, {WEB[0]: 3, WEB[1]: 1})
        wait_until(
            lambda: state() == first, timeout=20, what=f"first publish ({log})", process=proc
        )

        web1.stop()
        failed_over = ({WEB[1]: None}, {WEB[1]: None}, {WEB[1]: 1})
        wait_until(lambda: state() == failed_over, timeout=10, what="failover", process=proc)

        web1.start()
        wait_until(lambda: state() == first, timeout=10, what="failback", process=proc)
        assert proc.poll() is None
    text = log.read_text()
    assert "change_applied" in text
    assert "Traceback" not in text
    assert os.environ["AWS_SECRET_ACCESS_KEY"] not in text


def test_permanent_error_is_logged_and_the_loop_survives(
    zone: Zone, r53: Any, moto_url: str, backends: tuple[int, list[Backend]], tmp_path: Path
) -> None:
    port, _ = backends
    proxy = FaultProxy(moto_url).start()
    try:
        proxy.inject(dataclasses.replace(ACCESS_DENIED, operation="ChangeResourceRecordSets"))
        cfg = tmp_path / "failover-sync.yaml"
        cfg.write_text(config(zone, proxy.url, port, weighted=False))
        log = tmp_path / "run.log"
        with controller(["run", "-c", str(cfg)], log) as proc:
            wait_until(
                lambda: live(r53, zone, "fo") == {WEB[0]: None},
                timeout=20,
                what=f"publish after the error ({log})",
                process=proc,
            )
        text = log.read_text()
        # a batch refused permanently is retried one RRset at a time (or fails the zone)
        assert "reconcile_failed" in text or "batch_rejected" in text
        assert "AccessDenied" in text
        assert "kind=permanent" in text
    finally:
        proxy.stop()


def test_one_shot_commands_exit_1_with_a_clear_message(
    moto_url: str, backends: tuple[int, list[Backend]], tmp_path: Path
) -> None:
    port, _ = backends
    missing = Zone("missing.example.test.", "aws", {"hosted_zone_id": "Z0NOSUCHZONE000"})
    cfg = tmp_path / "failover-sync.yaml"
    cfg.write_text(config(missing, moto_url, port))
    for command in (["plan"], ["run", "--once"], ["apply", "--yes"]):
        done = subprocess.run(
            [CLI, *command, "-c", str(cfg)], capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 1, (command, done.stderr)
        assert "NoSuchHostedZone" in done.stderr, (command, done.stderr)

"""Shared helpers of the CLI end-to-end tests: the command as a process, a zone-file config
on two loopback backends, and what the zone file publishes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dns.zone

EXE = [sys.executable, "-m", "failover_sync.cli.main"]
NAME = "app.example.test."
INTERVAL, FAILURES, TIMEOUT = 0.2, 2, 0.1
DETECTOR_BOUND = FAILURES * INTERVAL + TIMEOUT


def write_config(tmp_path: Path, port: int, policy: str = "failover", extra: str = "") -> Path:
    path = tmp_path / "failover-sync.yaml"
    path.write_text(f"""\
providers:
  local: {{type: zonefile, directory: zones, create_missing: true}}
zones:
  - {{name: example.test, provider: local}}
defaults:
  ttl: 30
  health_check: {{port: {port}, path: /healthz, interval_seconds: {INTERVAL},
                 failure_threshold: {FAILURES}, success_threshold: 2,
                 request_timeout_seconds: {TIMEOUT}}}
records:
  {NAME}:
    type: A
    policy: {policy}
    records:
      - value: 127.0.0.2
      - value: 127.0.0.3
{extra}""")
    return path


def cli(*args: str, cwd: Path, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*EXE, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "FAILOVER_SYNC_CONFIG": ""},
    )


def published(tmp_path: Path) -> tuple[str, ...]:
    path = tmp_path / "zones" / "example.test.zone"
    if not path.exists():
        return ()
    rdataset = dns.zone.from_file(str(path), origin="example.test.").get_rdataset(NAME, "A")
    return tuple(sorted(rd.to_text() for rd in rdataset)) if rdataset else ()

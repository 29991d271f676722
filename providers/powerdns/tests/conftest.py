"""Fixtures of the PowerDNS adapter's tests: the real servers from ``tests/harness`` and a way
to build the adapter against them."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from failover_sync_powerdns import PowerDNSOptions, PowerDNSProvider

from failover_sync.model import Zone
from failover_sync.testing.powerdns import PowerDNS, powerdns, powerdns_factory
from failover_sync.testing.unbound import unbound

__all__ = [
    "ControllerProcess",
    "controllers",
    "new_zone",
    "pdns_provider",
    "powerdns",
    "powerdns_factory",
    "unbound",
]

_zone_numbers = itertools.count(1)


@pytest.fixture
def new_zone(powerdns: PowerDNS) -> Callable[[str], Zone]:
    """Create a fresh zone in the session's server: ``new_zone("case")`` ->
    ``Zone("case-N.example.test.", "pdns")``."""

    def make(stem: str = "z") -> Zone:
        name = powerdns.create_zone(f"{stem}-{next(_zone_numbers)}.example.test")
        return Zone(name, "pdns")

    return make


@pytest.fixture
def pdns_provider(powerdns: PowerDNS, tmp_path: Path) -> Callable[..., PowerDNSProvider]:
    """Build the adapter against a server (default: the session's) with its key in a file;
    keyword arguments override options (``api_key_file``, ``timeout_seconds``, ``url``)."""

    def make(server: PowerDNS | None = None, **overrides: object) -> PowerDNSProvider:
        server = server or powerdns
        key_file = tmp_path / "pdns-api-key"
        key_file.write_text(server.api_key + "\n")
        options = PowerDNSOptions.model_validate(
            {"url": server.url, "api_key_file": "pdns-api-key", **overrides}
        )
        return PowerDNSProvider("pdns", options, config_dir=tmp_path)

    return make


class ControllerProcess:
    """``failover-sync <command> -c <config>`` as a subprocess with JSON logs in a file.

    ``env`` is added to this process's environment (``PDNS_API_KEY``). :meth:`events` parses
    the log lines seen so far; :meth:`stop` sends SIGTERM and returns the exit code.
    """

    def __init__(self, config: Path, env: dict[str, str], *args: str) -> None:
        self.config = config
        self.log = config.with_suffix(f".{len(list(config.parent.glob('*.log')))}.log")
        argv = [sys.executable, "-m", "failover_sync.cli.main", *args, "-c", str(config)]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [*argv, "--log-format", "json"],
                stdout=subprocess.DEVNULL,
                stderr=log,
                env={**os.environ, **env},
            )

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        """Log events so far (only those called ``name`` if given)."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                data = json.loads(line)
                if isinstance(data, dict) and (name is None or data.get("event") == name):
                    found.append(data)
        return found

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> int:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"controller did not stop on SIGTERM:\n{self.text()}") from None


@pytest.fixture
def controllers() -> Iterator[Callable[..., ControllerProcess]]:
    """Start ``failover-sync`` subprocesses: ``controllers(config, env, "run")``; every one
    still running is stopped at teardown."""
    started: list[ControllerProcess] = []

    def start(config: Path, env: dict[str, str], *args: str) -> ControllerProcess:
        controller = ControllerProcess(config, env, *(args or ("run",)))
        started.append(controller)
        return controller

    yield start
    for controller in started:
        if controller.alive():
            controller.stop()


class _Canned(BaseHTTPRequestHandler):
    answer: tuple[int, bytes, dict[str, str]] = (200, b"{}", {})

    def _reply(self) -> None:
        status, body, headers = self.server.answer  # type: ignore[attr-defined]
        self.send_response(status)
        for key, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_PATCH = _reply

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def canned() -> Iterator[ThreadingHTTPServer]:
    """An HTTP server on loopback that gives every request the answer set on it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Canned)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()

"""``failover-sync run`` processes, one per vantage, sharing one working folder (and so one
zone file): started with ``FAILOVER_SYNC_VANTAGE`` and JSON logs in ``<folder>/<name>.log``,
stopped with SIGTERM (a SIGSTOPped one is continued first), killed after 10 s."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

from tests.helpers.cli import EXE, cli


class VantageProcesses:
    """The processes of ``configs`` (vantage name -> its config file) in ``folder``."""

    def __init__(self, folder: Path, configs: dict[str, Path]) -> None:
        self.folder, self.configs = folder, configs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, **extra_env: str) -> None:
        """Start vantage ``name`` (``extra_env`` added to its environment)."""
        log = (self.folder / f"{name}.log").open("ab")
        env = {**os.environ, "FAILOVER_SYNC_VANTAGE": name, "FAILOVER_SYNC_LOG_FORMAT": "json"}
        env.update(extra_env)
        self.procs[name] = subprocess.Popen(
            [*EXE, "run", "-c", str(self.configs[name])],
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        log.close()

    def start_all(self) -> None:
        """Start every vantage of ``configs``."""
        for name in self.configs:
            self.start(name)

    def log(self, name: str) -> str:
        """What vantage ``name`` has logged so far."""
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def status(self) -> dict[str, object]:
        """``cluster status -o json`` with the first vantage's config."""
        config = next(iter(self.configs.values()))
        done = cli("cluster", "status", "-c", str(config), "-o", "json", cwd=self.folder)
        assert done.returncode == 0, done.stderr
        doc: dict[str, object] = json.loads(done.stdout)
        return doc

    def stop(self) -> None:
        """Stop every process (SIGCONT first, then SIGTERM; SIGKILL after 10 s)."""
        for proc in self.procs.values():
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGCONT)
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

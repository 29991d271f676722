"""Starting real servers for tests: free loopback ports, readiness by content with a deadline,
clean teardown. Every adapter's fixtures build on these helpers."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path


def free_port(address: str = "127.0.0.1", kind: int = socket.SOCK_STREAM) -> int:
    """A port that is free on ``address`` for ``kind`` right now (bind to port 0)."""
    with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, kind) as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


def free_dns_port(address: str = "127.0.0.1") -> int:
    """A port free for both TCP and UDP on ``address`` (a DNS server needs both)."""
    for _ in range(100):
        port = free_port(address)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.bind((address, port))
            return port
        except OSError:
            continue
    raise RuntimeError(f"no port free for TCP and UDP on {address}")


def require_binary(name: str, package: str) -> str:
    """The path of ``name``; fail (never skip) with the package to install when absent."""
    path = shutil.which(name) or next(
        (p for d in ("/usr/sbin", "/sbin") if os.access(p := f"{d}/{name}", os.X_OK)), None
    )
    if path is None:
        raise RuntimeError(
            f"{name} is not installed: run `make system-deps` (apt-get install {package})"
        )
    return path


def wait_until(
    ready: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    process: subprocess.Popen[bytes] | None = None,
) -> None:
    """Poll ``ready`` until it returns True; raise with ``what`` after ``timeout`` seconds or
    when ``process`` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what}: process exited with {process.returncode}")
        with contextlib.suppress(Exception):
            if ready():
                return
        time.sleep(0.02)
    raise RuntimeError(f"{what}: not ready after {timeout:g} s")


class ManagedProcess:
    """A server process with its log file; ``stop`` terminates it (then kills)."""

    def __init__(
        self, argv: Sequence[str], *, log: Path, env: dict[str, str] | None = None
    ) -> None:
        self.argv = list(argv)
        self.log_path = log
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> subprocess.Popen[bytes]:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv, stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True
        )
        log.close()
        return self.process

    def stop(self, timeout: float = 5.0) -> None:
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@contextlib.contextmanager
def running(process: ManagedProcess) -> Iterator[ManagedProcess]:
    """Start ``process`` and stop it on exit."""
    process.start()
    try:
        yield process
    finally:
        process.stop()

"""Run the command on a pseudo-terminal, as a person at a terminal would."""

from __future__ import annotations

import os
import pty
import select
import signal
import time
from pathlib import Path

from tests.helpers.cli import EXE


def run_on_pty(
    *args: str,
    cwd: Path,
    answers: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> tuple[int, str]:
    """Run ``failover-sync args`` with a pty as its controlling terminal (stdin, stdout,
    stderr and /dev/tty); when the output shows a key of ``answers``, type its value.
    Returns the exit code and everything the terminal showed."""
    pending = dict(answers or {})
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec the command on the pty
        os.chdir(cwd)
        env = {**os.environ, "FAILOVER_SYNC_CONFIG": "", "COLUMNS": "200", "TERM": "xterm"}
        os.execvpe(EXE[0], [*EXE, *args], env)  # noqa: S606 - the command under test
    shown = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # the child closed the pty
                    break
                if not chunk:
                    break
                shown += chunk
                for prompt, answer in list(pending.items()):
                    if prompt.encode() in shown:
                        os.write(fd, answer.encode())
                        del pending[prompt]
            else:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")
            time.sleep(0.02)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise AssertionError(f"not finished within {timeout} s; the terminal showed:\n{shown!r}")
    finally:
        os.close(fd)

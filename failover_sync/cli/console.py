"""How the command talks to a person or a pipe: error lines, progress, the confirmation
prompt, and signals.

- Errors go to stderr as ``error: ...`` lines, or as JSON objects with ``--log-format json``
  (then every line on stderr is one JSON object).
- Progress (endpoints settled of total) is a rich progress bar on a terminal's stderr, and
  one INFO line per settled endpoint when stderr is piped.
- The apply prompt is asked on the controlling terminal (``/dev/tty``), never on stderr, so
  ``apply 2>apply.log`` still prompts; with no terminal and no ``--yes`` the command refuses
  before probing anything.
- SIGINT and SIGTERM in a one-shot verb let a write in flight finish, then end the command
  with exit 130 or 143 and one line saying what was done (:class:`Interrupts`).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from failover_sync.logs import event

if TYPE_CHECKING:  # validate, the cold-start path, never starts an event loop
    import asyncio

EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
EXIT_SIGINT, EXIT_SIGTERM = 130, 143


@dataclass
class Output:
    """Where and how the command speaks; ``json_logs`` mirrors ``--log-format json``."""

    json_logs: bool = False
    stderr: TextIO = field(default_factory=lambda: sys.stderr)

    def error(self, message: str, **fields: Any) -> None:
        """One error line (``error: message``) or one JSON object with ``fields``."""
        if self.json_logs:
            event(logging.ERROR, "error", message=message, **fields)
        else:
            print(f"error: {message}", file=self.stderr)

    def note(self, message: str) -> None:
        """An informational line for a person (stderr), JSON with ``--log-format json``."""
        if self.json_logs:
            event(logging.INFO, "note", message=message)
        else:
            print(message, file=self.stderr)

    def config_error(self, file: str, problems: list[dict[str, Any]], rendered: str) -> None:
        """A config error: every problem at once, with file, line and key path."""
        if self.json_logs:
            event(logging.ERROR, "config_invalid", file=file, problems=problems)
        else:
            print(rendered, file=self.stderr)


class Progress:
    """Counts settled endpoints of ``total``: a progress bar on a terminal, INFO lines when
    piped. Use as a context manager; call :meth:`advance` once per endpoint."""

    def __init__(self, total: int, description: str, *, tty: bool | None = None) -> None:
        self.total = total
        self.done = 0
        self.description = description
        self.tty = sys.stderr.isatty() if tty is None else tty
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self.tty and self.total:
            from rich.progress import Progress as Bar

            self._bar = Bar(transient=True, console=_stderr_console())
            self._bar.start()
            self._task = self._bar.add_task(self.description, total=self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def advance(self, what: str) -> None:
        """One more endpoint settled (``what`` names it)."""
        self.done += 1
        if self._bar is not None:
            self._bar.update(self._task, advance=1)
        else:
            event(logging.INFO, "endpoint_settled", endpoint=what, settled=self.done, of=self.total)


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def open_tty() -> TextIO | None:
    """The controlling terminal for reading and writing, or None when there is none."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return None
    raw = io.FileIO(fd, "r+")
    pair = io.BufferedRWPair(raw, raw)
    return io.TextIOWrapper(pair, encoding="utf-8", write_through=True)  # type: ignore[type-var]


def confirm(question: str, tty: TextIO) -> bool:
    """Ask ``question`` on ``tty``; only ``yes`` is yes."""
    tty.write(question)
    tty.flush()
    answer = tty.readline()
    return answer.strip() == "yes"


@dataclass
class Interrupts:
    """SIGINT/SIGTERM handling for one-shot verbs.

    While no write is in flight, a signal cancels the verb's task at once; during a write
    (inside :meth:`writing`) it is remembered and the verb stops after the write. ``signum``
    is the signal received (None: none); :attr:`exit_code` is 130 or 143 then.
    """

    task: asyncio.Task[int] | None = None
    signum: int | None = None
    _writes: int = 0

    def install(self, loop: asyncio.AbstractEventLoop, task: asyncio.Task[int]) -> None:
        """Handle SIGINT and SIGTERM on ``loop`` for ``task``."""
        self.task = task
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self._on_signal, signum)

    def _on_signal(self, signum: int) -> None:
        self.signum = signum
        if self._writes == 0 and self.task is not None:
            self.task.cancel()

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Mark a write in flight: a signal waits for it to end."""
        self._writes += 1
        try:
            yield
        finally:
            self._writes -= 1

    @property
    def stop_requested(self) -> bool:
        return self.signum is not None

    @property
    def exit_code(self) -> int:
        return EXIT_SIGTERM if self.signum == signal.SIGTERM else EXIT_SIGINT

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum is not None else ""


def env_choice(name: str, choices: dict[str, str]) -> str | None:
    """The value of environment variable ``name`` mapped through ``choices`` (keys
    lower-case), None when unset or empty. Raises ValueError naming the variable."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    value = choices.get(raw.lower())
    if value is None:
        allowed = ", ".join(dict.fromkeys(choices.values()))
        raise ValueError(f"{name}={raw!r} is not one of {allowed}")
    return value


def json_dump(data: Any, out: TextIO | None = None) -> None:
    """``data`` as indented JSON with a newline on stdout."""
    (out or sys.stdout).write(json.dumps(data, indent=2) + "\n")


ProgressFactory = Callable[[int, str], Progress]

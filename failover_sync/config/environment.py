"""What ``run`` needs from outside the config file: variables and files the config names.

``validate`` checks them (``validate --offline`` does not, for CI linting of a config without
its secrets). Options are found by name (``*_env``, ``*_file``) on every adapter's Options,
so a new adapter needs no change here. Values of variables and files are never read beyond
one byte, kept or printed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from failover_sync.config.source import KeyPath

if TYPE_CHECKING:
    from failover_sync.config.loader import Config


def environment_problems(config: Config) -> list[tuple[KeyPath, str]]:
    """What ``run`` would find missing outside the file: (key path, message) for each
    provider option named ``*_env`` whose variable is unset or empty, each ``*_file`` option
    whose file cannot be read, and each webhook ``url_env`` that is unset. Options are
    found by name on every adapter's Options, so a new adapter needs no change here."""
    found: list[tuple[KeyPath, str]] = []
    for name, pc in config.providers.items():
        for key in type(pc.options).model_fields:
            value = getattr(pc.options, key)
            if value is None:
                continue
            key_path: KeyPath = ("providers", name, key)
            if key.endswith("_env") and not os.environ.get(str(value), "").strip():
                found.append((key_path, f"the environment variable ${value} is not set or empty"))
            elif key.endswith("_file"):
                problem = _unreadable(config.config_dir / Path(value))
                if problem:
                    found.append((key_path, problem))
    for index, hook in enumerate(config.notify):
        if hook.url_env is not None and not os.environ.get(hook.url_env, "").strip():
            msg = f"the environment variable ${hook.url_env} is not set or empty"
            found.append((("notify", index, "url_env"), msg))
    return found


def environment_checks(config: Config) -> tuple[int, int]:
    """How many (variables, files) :func:`environment_problems` checks for ``config``."""
    variables = sum(1 for hook in config.notify if hook.url_env is not None)
    files = 0
    for pc in config.providers.values():
        for key in type(pc.options).model_fields:
            if getattr(pc.options, key) is not None:
                variables += key.endswith("_env")
                files += key.endswith("_file")
    return variables, files


def _unreadable(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}"
    return None


__all__ = ["environment_checks", "environment_problems"]

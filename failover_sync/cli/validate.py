"""``failover-sync validate`` and the config loading every verb shares.

This module imports only the config layer, so that ``validate`` (run by every CronJob, ECS
task and CI job) starts without importing the controller, the probes or httpx.
"""

from __future__ import annotations

import argparse
import logging

from failover_sync.cli.console import EXIT_ERROR, EXIT_OK, Output
from failover_sync.config.environment import environment_checks
from failover_sync.config.loader import Config, ConfigError, load_config, resolve_config_path
from failover_sync.logs import event


def load(
    args: argparse.Namespace, out: Output, *, check_environment: bool = False
) -> Config | None:
    """The config of ``-c`` (or its defaults); None after reporting every problem.

    ``check_environment``: also check the variables and files the config names.
    """
    path = resolve_config_path(args.config)
    try:
        config = load_config(path, check_environment=check_environment)
    except ConfigError as exc:
        problems = [
            {"line": p.line, "path": list(p.path), "message": p.message} for p in exc.problems
        ]
        out.config_error(exc.file, problems, exc.render())
        return None
    for warning in config.warnings:
        event(logging.WARNING, "config_warning", message=warning)
    return config


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def validate_verb(args: argparse.Namespace, out: Output) -> int:
    """Exit 0 with one line when the config is valid, 1 with every problem otherwise.

    Unless ``--offline``, the environment variables (``*_env``, ``url_env``) and files
    (``*_file``) that the config names are checked too, as ``run`` would need them.
    """
    online = not args.offline
    config = load(args, out, check_environment=online)
    if config is None:
        return EXIT_ERROR
    variables, files = environment_checks(config)
    checked = (
        f"{_count(variables, 'environment variable')} and {_count(files, 'file')} checked"
        if online
        else "offline: environment variables and files not checked"
    )
    counts = f"{_count(len(config.records), 'record')} in {_count(len(config.zones), 'zone')}"
    print(f"{config.path}: valid ({counts}; {checked})")
    return EXIT_OK

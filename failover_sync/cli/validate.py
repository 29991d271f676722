"""``failover-sync validate`` and the config loading every verb shares.

This module imports only the config layer, so that ``validate`` (run by every CronJob, ECS
task and CI job) starts without importing the controller, the probes or httpx.
"""

from __future__ import annotations

import argparse
import logging

from failover_sync.cli.console import EXIT_ERROR, EXIT_OK, Output
from failover_sync.config.loader import Config, ConfigError, load_config, resolve_config_path
from failover_sync.logs import event


def load(args: argparse.Namespace, out: Output) -> Config | None:
    """The config of ``-c`` (or its defaults); None after reporting every problem."""
    path = resolve_config_path(args.config)
    try:
        config = load_config(path)
    except ConfigError as exc:
        problems = [
            {"line": p.line, "path": list(p.path), "message": p.message} for p in exc.problems
        ]
        out.config_error(exc.file, problems, exc.render())
        return None
    for warning in config.warnings:
        event(logging.WARNING, "config_warning", message=warning)
    return config


def validate_verb(args: argparse.Namespace, out: Output) -> int:
    """Exit 0 with one line when the config is valid, 1 with every problem otherwise."""
    config = load(args, out)
    if config is None:
        return EXIT_ERROR
    zones, records = len(config.zones), len(config.records)
    print(f"{config.path}: valid ({records} records in {zones} zones)")
    return EXIT_OK

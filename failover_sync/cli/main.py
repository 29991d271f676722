"""The ``failover-sync`` command.

Exit codes (a public contract, as in terraform): 0 success (and, with ``--detailed-exitcode``,
no changes); 1 any error, a usage error or an invalid or missing config included; 2 changes
pending, only with ``--detailed-exitcode``. Plans go to stdout, logs to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import NoReturn, TypeVar

from rich.console import Console

from failover_sync import logs
from failover_sync.__about__ import __version__
from failover_sync.cli import render
from failover_sync.config.loader import (
    LOG_FORMATS,
    LOG_LEVELS,
    Config,
    ConfigError,
    Settings,
    UsageError,
    environment_checks,
    load_config,
    resolve_config_path,
)
from failover_sync.controller.controller import Controller
from failover_sync.errors import ProviderError
from failover_sync.health.probes import Prober
from failover_sync.model import Plan
from failover_sync.ops.wiring import OperationsError, operations
from failover_sync.plan.safety import apply_refusal, safety_for

T = TypeVar("T")
EXIT_OK, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on a usage error; 2 means "changes pending" here, so exit 1."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    common = _Parser(add_help=False)
    common.add_argument(
        "-c",
        "--config",
        help="config file (default: $FAILOVER_SYNC_CONFIG, then ./failover-sync.yaml)",
    )
    common.add_argument(
        "--log-format", type=str.lower, choices=LOG_FORMATS, help="log format on stderr"
    )
    common.add_argument("--log-level", type=str.upper, choices=LOG_LEVELS, help="any case")
    parser = _Parser(
        prog="failover-sync",
        description="DNS failover controller: probe endpoints, publish only the healthy set.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    validate = sub.add_parser("validate", parents=[common], help="validate the config and exit")
    validate.add_argument(
        "--offline",
        action="store_true",
        help="skip checking the environment variables and files the config names",
    )
    sub.add_parser("check", parents=[common], help="probe every endpoint once; health table")
    plan = sub.add_parser("plan", parents=[common], help="show the changes; write nothing")
    plan.add_argument("-o", "--output", choices=["text", "json", "markdown"], default="text")
    plan.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 0 when there are no changes, 2 when changes are pending, 1 on error",
    )
    apply = sub.add_parser("apply", parents=[common], help="plan, confirm, apply once")
    apply.add_argument("-y", "--yes", action="store_true", help="apply without asking")
    apply.add_argument(
        "--plan-checksum",
        metavar="SHA256",
        help="apply only if the plan's checksum (from plan -o json) is still this one",
    )
    run = sub.add_parser("run", parents=[common], help="run the controller loop")
    run.add_argument("--once", action="store_true", help="one reconcile of every zone, then exit")
    run.add_argument("--dry-run", action="store_true", help="plan and log; never write")
    run.add_argument(
        "--metrics-addr",
        metavar="HOST:PORT",
        help="serve /metrics, /healthz and /readyz on HOST:PORT (e.g. 0.0.0.0:9100)",
    )
    sub.add_parser("schema", parents=[common], help="print the config's JSON Schema")
    for name, cmd in (("plan", plan), ("apply", apply), ("run", run)):
        cmd.add_argument(
            "--adopt",
            action="store_true",
            help="take over RRsets whose live values are not configured endpoints",
        )
        if name != "plan":
            cmd.add_argument(
                "--force",
                action="store_true",
                help="apply even when the plan exceeds max_change_fraction",
            )
    demo = sub.add_parser("demo", parents=[common], help="self-contained failover on a zone file")
    demo.add_argument("--directory", help="zone-file folder (default: a temporary one)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    settings = Settings()
    try:
        logs.setup(*settings.log_settings(args.log_level, args.log_format))
    except UsageError as exc:
        print(f"failover-sync: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.command == "demo":
        from failover_sync.cli.demo import run_demo

        return _run_async(lambda: run_demo(args.directory))
    if args.command == "schema":
        from failover_sync.config.jsonschema import config_json_schema

        print(json.dumps(config_json_schema(), indent=2))
        return EXIT_OK
    online = args.command == "validate" and not args.offline
    try:
        config = load_config(resolve_config_path(args.config, settings), check_environment=online)
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return EXIT_ERROR
    for warning in config.warnings:
        logs.event(logging.WARNING, "config_warning", message=warning)
    if args.command == "validate":
        zones, records = len(config.zones), len(config.records)
        variables, files = environment_checks(config)
        checked = (
            f"{_count(variables, 'environment variable')} and {_count(files, 'file')} checked"
            if online
            else "offline: environment variables and files not checked"
        )
        counts = f"{_count(records, 'record')} in {_count(zones, 'zone')}"
        print(f"{config.path}: valid ({counts}; {checked})")
        return EXIT_OK
    commands: dict[str, Callable[[argparse.Namespace, Config], Awaitable[int]]] = {
        "check": _check,
        "plan": _plan,
        "apply": _apply,
        "run": _run,
    }
    return _run_async(lambda: commands[args.command](args, config))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _run_async(fn: Callable[[], Awaitable[int]]) -> int:
    async def wrapper() -> int:
        return await fn()

    try:
        import uvloop

        return uvloop.run(wrapper())
    except ImportError:  # uvloop is optional (not on Windows)
        return asyncio.run(wrapper())


def _controller(
    config: Config, *, dry_run: bool, args: argparse.Namespace | None = None
) -> Controller:
    safety = safety_for(
        config, adopt=getattr(args, "adopt", False), force=getattr(args, "force", False)
    )
    desired = {zone: config.records_of(zone) for zone in config.zones}
    return Controller(
        desired=desired,
        providers=config.build_providers(),
        prober=Prober(),
        dry_run=dry_run,
        resync_seconds=config.resync_seconds,
        safety=safety,
    )


async def _close(controller: Controller) -> None:
    await controller.prober.aclose()
    for provider in controller.providers.values():
        await provider.aclose()


async def _check(args: argparse.Namespace, config: Config) -> int:
    controller = _controller(config, dry_run=True)
    try:
        targets = sorted(config.targets(), key=str)
        results = dict(
            zip(targets, await asyncio.gather(*map(controller.prober.probe, targets)), strict=True)
        )
    finally:
        await _close(controller)
    rows = []
    for record in config.records:
        provider = config.providers[next(z for z in config.zones if z.name == record.zone).provider]
        propagation = provider.cls.capabilities.propagation_seconds
        for endpoint in record.endpoints:
            check = endpoint.target.check
            detect = check.detection_seconds
            total = detect + record.ttl + (propagation or 0)
            detail = (
                f"detect {check.failure_threshold}x{check.interval_seconds:g}"
                f"+{check.request_timeout_seconds:g} s, TTL {record.ttl} s"
            )
            detail += f", propagation {propagation:g} s" if propagation else ""
            rows.append(
                render.HealthRow(
                    record.name, endpoint.target, results[endpoint.target], total, detail
                )
            )
    if sys.stdout.isatty():
        render.print_health_table(rows, Console())
    else:
        sys.stdout.write(render.health_text(rows))
    return EXIT_OK


async def _planned(controller: Controller) -> tuple[Plan, bool]:
    await controller.presume_health()
    await controller.settle()
    plan, errors = await controller.plan()
    for zone, exc in errors.items():
        print(f"error: zone {zone.name} (provider {zone.provider}): {exc}", file=sys.stderr)
    return plan, bool(errors)


def _print_plan(plan: Plan, output: str) -> None:
    if output == "json":
        sys.stdout.write(render.to_json(plan))
    elif output == "markdown":
        sys.stdout.write(render.to_markdown(plan))
    elif sys.stdout.isatty():
        render.print_plan_table(plan, Console())
    else:
        sys.stdout.write(render.to_text(plan))


async def _plan(args: argparse.Namespace, config: Config) -> int:
    controller = _controller(config, dry_run=True, args=args)
    try:
        plan, failed = await _planned(controller)
    finally:
        await _close(controller)
    _print_plan(plan, args.output)
    if failed:
        return EXIT_ERROR
    return EXIT_CHANGES if args.detailed_exitcode and plan.has_changes else EXIT_OK


async def _apply(args: argparse.Namespace, config: Config) -> int:
    controller = _controller(config, dry_run=False, args=args)
    try:
        plan, failed = await _planned(controller)
        _print_plan(plan, "text")
        if failed:
            return EXIT_ERROR
        refusal = apply_refusal(plan, config, checksum=args.plan_checksum, force=args.force)
        if refusal is not None:
            print(f"error: {refusal}; nothing was written", file=sys.stderr)
            return EXIT_ERROR
        if not plan.has_changes:
            return EXIT_OK
        if not args.yes:
            if not sys.stdin.isatty():
                print(
                    "error: refusing to apply without --yes: no terminal to confirm on",
                    file=sys.stderr,
                )
                return EXIT_ERROR
            answer = await asyncio.to_thread(
                input, "Apply these changes? Only 'yes' will be accepted: "
            )
            if answer.strip() != "yes":
                print("Apply cancelled.", file=sys.stderr)
                return EXIT_ERROR
        status = EXIT_OK
        for zone_plan in plan.zones:
            try:
                await controller.apply_plan(zone_plan)
            except ProviderError as exc:
                print(f"error: zone {zone_plan.zone.name}: {exc}", file=sys.stderr)
                status = EXIT_ERROR
        return status
    finally:
        await _close(controller)


async def _run(args: argparse.Namespace, config: Config) -> int:
    controller = _controller(config, dry_run=args.dry_run, args=args)
    try:
        async with operations(args, config, controller):
            return await _run_controller(args, controller)
    except OperationsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    finally:
        await _close(controller)


async def _run_controller(args: argparse.Namespace, controller: Controller) -> int:
    if args.once:
        outcomes = await controller.once()
        return EXIT_ERROR if any(o.error or o.refused for o in outcomes) else EXIT_OK
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await controller.run(stop)
    logs.event(logging.INFO, "controller_stopped")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

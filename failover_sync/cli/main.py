"""The ``failover-sync`` command: the parser and the dispatch to each verb.

Exit codes (a public contract, as in terraform): 0 success (and, with ``--detailed-exitcode``,
no changes); 1 any error, a usage error or an invalid or missing config included; 2 changes
or conflicts pending, only with ``--detailed-exitcode``; 130/143 when SIGINT/SIGTERM ended a
one-shot verb (after any write in flight finished). Plans go to stdout, logs to stderr.
Heavy imports (rich, prometheus_client, adapters' SDKs, the JSON Schema machinery) happen
only in the verbs that use them, so ``--version`` and ``validate`` start fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from failover_sync.__about__ import __version__

if TYPE_CHECKING:  # --version and usage errors exit before logging is set up
    from failover_sync.cli.console import Output

LOG_LEVELS = {"debug": "DEBUG", "info": "INFO", "warning": "WARNING", "error": "ERROR"}
LOG_FORMATS = {"text": "text", "json": "json"}


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on a usage error; 2 means "changes pending" here, so exit 1."""

    def error(self, message: str) -> NoReturn:
        from failover_sync.cli.console import EXIT_ERROR

        self.print_usage(sys.stderr)
        self.exit(EXIT_ERROR, f"{self.prog}: error: {message}\n")


def _level(text: str) -> str:
    value = LOG_LEVELS.get(text.lower())
    if value is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not one of debug, info, warning, error")
    return value


EXAMPLES = {
    "validate": "failover-sync validate -c failover-sync.yaml\n"
    "failover-sync validate -c failover-sync.yaml --offline   # CI lint without secrets",
    "check": "failover-sync check -c failover-sync.yaml -o json",
    "plan": "failover-sync plan -c failover-sync.yaml -o json --detailed-exitcode > plan.json",
    "apply": "failover-sync apply -c failover-sync.yaml --yes --plan-checksum "
    '"$(jq -r .checksum plan.json)"',
    "run": "failover-sync run -c failover-sync.yaml --metrics-addr 0.0.0.0:9100\n"
    "failover-sync run -c failover-sync.yaml --once       # a CronJob or scheduled task",
    "failback": "failover-sync failback -c failover-sync.yaml app.example.com --to 192.0.2.1",
    "status": "failover-sync status -c failover-sync.yaml --addr 127.0.0.1:9100",
    "schema": "failover-sync schema > failover-sync.schema.json",
    "demo": "failover-sync demo --directory ./zones",
    "cluster": "failover-sync cluster status -c failover-sync.yaml -o json",
}


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The argument parser and each verb's sub-parser."""
    logging_flags = _Parser(add_help=False)
    logging_flags.add_argument(
        "--log-format", type=str.lower, choices=["text", "json"], help="log format on stderr"
    )
    logging_flags.add_argument(
        "--log-level", type=_level, metavar="LEVEL", help="debug, info, warning or error"
    )
    common = _Parser(add_help=False, parents=[logging_flags])
    common.add_argument(
        "-c",
        "--config",
        help="config file (default: $FAILOVER_SYNC_CONFIG, then ./failover-sync.yaml)",
    )
    parser = _Parser(
        prog="failover-sync",
        description="DNS failover controller: probe endpoints, publish only the healthy set.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    verbs: dict[str, argparse.ArgumentParser] = {}

    def verb(name: str, summary: str, *, config: bool = True) -> argparse.ArgumentParser:
        cmd = sub.add_parser(
            name,
            parents=[common if config else logging_flags],
            help=summary,
            description=summary,
            epilog="example:\n  " + EXAMPLES[name].replace("\n", "\n  "),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        verbs[name] = cmd
        return cmd

    validate = verb("validate", "validate the config (and its secrets and files) and exit")
    validate.add_argument(
        "--offline", action="store_true", help="skip the environment and file checks"
    )
    check = verb("check", "probe every endpoint once; print health and the worst-case failover")
    check.add_argument("-o", "--output", choices=["text", "json"], default="text")
    plan = verb("plan", "show the changes a reconcile would make; write nothing")
    plan.add_argument("-o", "--output", choices=["text", "json", "markdown"], default="text")
    plan.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="exit 0 with no changes, 2 with changes or conflicts pending, 1 on error",
    )
    apply = verb("apply", "plan, confirm on the terminal, apply once")
    apply.add_argument("-y", "--yes", action="store_true", help="apply without asking")
    apply.add_argument(
        "--plan-checksum",
        metavar="SHA256",
        help="apply only if the plan's checksum (from plan -o json) is still this one",
    )
    run = verb("run", "run the controller loop (or one reconcile with --once)")
    run.add_argument("--once", action="store_true", help="one reconcile of every zone, then exit")
    run.add_argument("--dry-run", action="store_true", help="plan and log; never write")
    run.add_argument(
        "--metrics-addr",
        metavar="HOST:PORT",
        help="serve /metrics, /healthz, /readyz and /status on HOST:PORT (e.g. 0.0.0.0:9100)",
    )
    run.add_argument("--vantage", metavar="NAME", help="the cluster vantage this process is")
    failback = verb("failback", "move a record with failback: manual back to its primary")
    failback.add_argument("record", help="the record's name (FQDN)")
    failback.add_argument("--to", metavar="VALUE", help="the endpoint to publish")
    failback.add_argument("-y", "--yes", action="store_true", help="apply without asking")
    status = verb("status", "each record and endpoint: in or out, and why")
    status.add_argument("-o", "--output", choices=["text", "json"], default="text")
    status.add_argument(
        "--addr", metavar="HOST:PORT", help="ask a running controller (its --metrics-addr)"
    )
    cluster = verb("cluster", "the cluster's leader, vantages and votes (cluster: in the config)")
    cluster.add_argument("action", choices=["status"], help="status: read etcd and print")
    cluster.add_argument("-o", "--output", choices=["text", "json"], default="text")
    verb("schema", "print the config's JSON Schema", config=False)
    demo = verb("demo", "a self-contained failover on a zone file", config=False)
    demo.add_argument("--directory", help="zone-file folder to keep (default: a temporary one)")
    for name in ("plan", "apply", "run", "failback"):
        verbs[name].add_argument(
            "--adopt",
            action="store_true",
            help="take over RRsets whose live values are not configured endpoints",
        )
        if name != "plan":
            verbs[name].add_argument(
                "--force",
                action="store_true",
                help="apply even when the plan exceeds max_change_fraction",
            )
    return parser, verbs


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse ``argv``; an unknown argument is reported with its verb's usage. Exits 1."""
    parser, verbs = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        verbs[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def setup_logging(args: argparse.Namespace) -> Output:
    """Logs from flags, else ``FAILOVER_SYNC_LOG_LEVEL`` / ``FAILOVER_SYNC_LOG_FORMAT``.

    A bad variable that a flag overrides is ignored; one that matters is a usage error that
    names the variable (exit 1).
    """
    from failover_sync import logs
    from failover_sync.cli.console import EXIT_ERROR, Output, env_choice

    try:
        level = args.log_level or env_choice("FAILOVER_SYNC_LOG_LEVEL", LOG_LEVELS) or "INFO"
        fmt = args.log_format or env_choice("FAILOVER_SYNC_LOG_FORMAT", LOG_FORMATS) or "text"
    except ValueError as exc:
        print(f"failover-sync: error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_ERROR) from None
    logs.setup(level, fmt)
    return Output(json_logs=fmt == "json")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = parse(argv)
    out = setup_logging(args)
    from failover_sync.cli.console import EXIT_OK

    if args.command == "schema":
        import json

        from failover_sync.config.jsonschema import config_json_schema

        print(json.dumps(config_json_schema(), indent=2))
        return EXIT_OK
    if args.command == "validate":  # the cold-start path: no controller, no probes
        from failover_sync.cli.validate import validate_verb

        return validate_verb(args, out)
    from failover_sync.cli import verbs

    return verbs.dispatch(args, out)


if __name__ == "__main__":
    sys.exit(main())

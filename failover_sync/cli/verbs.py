"""The verbs of ``failover-sync``: validate, check, plan, apply, run, failback, status, demo.

Every verb that plans goes through the controller's one reconcile path with the same guard
chain, so ``plan``, ``apply``, ``run --once`` and ``run`` refuse the same plans.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import TextIO

from failover_sync.cli.common import build_controller, planned, print_plan, run_async
from failover_sync.cli.console import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    Interrupts,
    Output,
    confirm,
    open_tty,
)
from failover_sync.cli.validate import load
from failover_sync.config.loader import Config
from failover_sync.controller.controller import Controller
from failover_sync.model import Failback, absolute_name
from failover_sync.plan.document import PlanDocument, plan_checksum

PROMPT = "Apply these changes? Only 'yes' will be accepted: "


def dispatch(args: argparse.Namespace, out: Output) -> int:
    """Load the config and run the verb of ``args``."""
    if args.command == "demo":
        from failover_sync.cli.demo import run_demo

        return run_async(lambda _: run_demo(args.directory), out)
    config = load(args, out)
    if config is None:
        return EXIT_ERROR
    tty: TextIO | None = None
    if args.command in ("apply", "failback") and not args.yes:
        tty = open_tty()
        if tty is None:
            out.error("refusing to apply without --yes: no terminal to confirm on")
            return EXIT_ERROR
    try:
        if args.command == "run":
            from failover_sync.cli.loop import run_verb

            return run_verb(args, config, out)
        verbs = {"check": _check, "plan": _plan, "apply": _apply, "failback": _failback}
        if args.command == "cluster":
            from failover_sync.cli.cluster import status_verb as cluster_status

            return run_async(lambda _: cluster_status(args, config, out), out)
        if args.command == "status":
            from failover_sync.cli.status import status_verb

            return run_async(lambda _: status_verb(args, config, out), out)
        verb = verbs[args.command]
        return run_async(lambda i: verb(args, config, out, i, tty), out)
    finally:
        if tty is not None:
            tty.close()


async def _plan(
    args: argparse.Namespace, config: Config, out: Output, _: Interrupts, __: TextIO | None
) -> int:
    controller = build_controller(config, dry_run=True, adopt=args.adopt)
    try:
        doc, _refused = await planned(controller)
    finally:
        await controller.aclose()
    print_plan(doc, args.output)
    for error in doc.errors:
        out.error(f"zone {error.zone.name} (provider {error.zone.provider}): {error.error}")
    if doc.errors:
        return EXIT_ERROR
    return EXIT_CHANGES if args.detailed_exitcode and doc.pending else EXIT_OK


async def apply_reviewed(
    controller: Controller,
    doc: PlanDocument,
    out: Output,
    interrupts: Interrupts,
) -> tuple[int, int, int]:
    """Write each zone's reviewed plan through the one reconcile path; return (RRsets
    changed, zones changed, zones failed)."""
    changed = zones = failed = 0
    for zone_plan in doc.plan.zones:
        if not zone_plan.changes:
            continue
        if interrupts.stop_requested:
            break
        with interrupts.writing():
            outcome = await controller.reconcile_zone(
                zone_plan.zone, write=True, expect=zone_plan, retry=False
            )
        name = zone_plan.zone.name
        if outcome.error is not None:
            out.error(f"zone {name}: {outcome.error}")
            failed += 1
        elif outcome.refused is not None:
            out.error(f"zone {name}: {outcome.refused}")
            failed += 1
        else:
            for change, why in outcome.rejected:
                out.error(f"zone {name}: {change.name} {change.type} was refused: {why}")
            written = len(zone_plan.changes) - len(outcome.rejected)
            changed += written
            zones += 1 if written else 0
            failed += 1 if outcome.rejected else 0
    return changed, zones, failed


async def _confirm_and_apply(
    args: argparse.Namespace,
    controller: Controller,
    doc: PlanDocument,
    out: Output,
    interrupts: Interrupts,
    tty: TextIO | None,
) -> int:
    print_plan(doc, "text")
    if doc.errors:
        for error in doc.errors:
            out.error(f"zone {error.zone.name} (provider {error.zone.provider}): {error.error}")
        out.error("some zones could not be read; nothing was written")
        return EXIT_ERROR
    checksum = getattr(args, "plan_checksum", None)
    if checksum is not None and plan_checksum(doc) != checksum.strip().lower():
        out.error(
            f"the plan changed since it was reviewed (checksum {plan_checksum(doc)}, "
            f"expected {checksum}); nothing was written"
        )
        return EXIT_ERROR
    for zone, why in sorted(doc.refused.items()):
        out.error(f"zone {zone}: {why}; nothing was written")
    if doc.refused:
        return EXIT_ERROR
    if not doc.plan.has_changes:
        print("Apply complete: no changes.")
        return EXIT_OK
    if tty is not None and not confirm(PROMPT, tty):
        out.error("apply cancelled; nothing was written")
        return EXIT_ERROR
    changed, zones, failed = await apply_reviewed(controller, doc, out, interrupts)
    tail = f", {failed} zone{'s' if failed != 1 else ''} failed" if failed else ""
    print(f"Apply complete: {changed} changed in {zones} zone{'s' if zones != 1 else ''}{tail}.")
    return EXIT_ERROR if failed else EXIT_OK


async def _apply(
    args: argparse.Namespace,
    config: Config,
    out: Output,
    interrupts: Interrupts,
    tty: TextIO | None,
) -> int:
    controller = build_controller(config, dry_run=False, adopt=args.adopt, force=args.force)
    try:
        doc, _ = await planned(controller)
        return await _confirm_and_apply(args, controller, doc, out, interrupts, tty)
    finally:
        await controller.aclose()


async def _failback(
    args: argparse.Namespace,
    config: Config,
    out: Output,
    interrupts: Interrupts,
    tty: TextIO | None,
) -> int:
    name = absolute_name(args.record)
    record = next((r for r in config.records if r.name == name), None)
    if record is None:
        out.error(f"{name} is not a record of {config.path}")
        return EXIT_ERROR
    endpoints = record.endpoints
    if args.to is not None:
        chosen = next((e for e in endpoints if e.value == args.to.strip().lower()), None)
        if chosen is None:
            listed = ", ".join(e.value for e in endpoints)
            out.error(f"--to {args.to!r} is not an endpoint of {name} ({listed})")
            return EXIT_ERROR
        endpoints = (chosen, *(e for e in endpoints if e is not chosen))
    moved = replace(record, failback=Failback.AUTO, endpoints=endpoints)
    zone = next(z for z in config.zones if z.name == record.zone)
    controller = build_controller(
        config, dry_run=False, adopt=args.adopt, force=args.force, desired={zone: (moved,)}
    )
    try:
        doc, _ = await planned(controller)
        return await _confirm_and_apply(args, controller, doc, out, interrupts, tty)
    finally:
        await controller.aclose()


async def _check(
    args: argparse.Namespace, config: Config, out: Output, _: Interrupts, __: TextIO | None
) -> int:
    from failover_sync.cli.check import check_verb

    return await check_verb(args, config, out)

"""``failover-sync run``: the long-lived loop, or ``--once``.

Signals: SIGTERM and SIGINT stop the loop (a reconcile in flight finishes, then
``controller_stopped``); SIGHUP reloads the config: the new file is validated first and the
old config kept on any error (``config_reload_failed``); on success the controller restarts
with the verdicts of every unchanged probe target kept (``config_reloaded``), so a reload
never presumes anew what the probes already know.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import TYPE_CHECKING

from failover_sync.cli.cluster import ClusterSetupError, attach, presume, vantage_for
from failover_sync.cli.common import build_controller, run_async
from failover_sync.cli.console import EXIT_ERROR, EXIT_OK, Output
from failover_sync.config.loader import Config, ConfigError, load_config
from failover_sync.health.state import HealthBoard
from failover_sync.logs import event
from failover_sync.ops.wiring import OperationsError, operations

if TYPE_CHECKING:
    from failover_sync.cluster import Vantage


def run_verb(args: argparse.Namespace, config: Config, out: Output) -> int:
    """Run ``run`` (or ``run --once``) and return the exit code."""
    if args.once:
        return run_async(lambda _: _once(args, config, out), out)

    async def loop() -> int:
        return await _loop(args, config, out)

    try:
        import uvloop

        return uvloop.run(loop())
    except ImportError:
        return asyncio.run(loop())


async def _once(args: argparse.Namespace, config: Config, out: Output) -> int:
    try:
        async with vantage_for(args, config) as vantage:
            controller = build_controller(
                config, dry_run=args.dry_run, adopt=args.adopt, force=args.force, vantage=vantage
            )
            try:
                if vantage is not None:
                    attach(vantage, controller)
                    await _synced(vantage)
                    await presume(vantage, controller)
                async with operations(args, config, controller):
                    outcomes = await controller.once()
            finally:
                await controller.aclose()
    except (OperationsError, ClusterSetupError) as exc:
        out.error(str(exc))
        return EXIT_ERROR
    checked = sum(o.plan.unchanged + len(o.plan.changes) for o in outcomes if o.plan)
    applied = sum(len(o.plan.changes) for o in outcomes if o.plan and o.applied)
    conflicts = sum(len(o.plan.conflicts) for o in outcomes if o.plan)
    errors = sum(1 for o in outcomes if o.error is not None)
    refused = sum(1 for o in outcomes if o.refused is not None)
    rejected = sum(len(o.rejected) for o in outcomes)
    event(
        logging.INFO,
        "run_summary",
        zones=len(outcomes),
        rrsets_checked=checked,
        changes_applied=applied,
        dry_run=args.dry_run,
        conflicts=conflicts,
        errors=errors,
        refused=refused,
        rejected=rejected,
    )
    return EXIT_ERROR if errors or refused or rejected else EXIT_OK


async def _synced(vantage: Vantage) -> None:
    """Wait until the vantage has read etcd once; ClusterSetupError after two lease TTLs."""
    try:
        async with asyncio.timeout(2 * vantage.spec.lease_seconds):
            await vantage.node.synced.wait()
    except TimeoutError:
        raise ClusterSetupError(
            f"etcd ({', '.join(vantage.node.session.endpoints)}) did not answer within "
            f"{2 * vantage.spec.lease_seconds} s"
        ) from None


async def _loop(args: argparse.Namespace, config: Config, out: Output) -> int:
    try:
        async with vantage_for(args, config) as vantage:
            return await _loop_in(args, config, out, vantage)
    except ClusterSetupError as exc:
        out.error(str(exc))
        return EXIT_ERROR


async def _loop_in(
    args: argparse.Namespace, config: Config, out: Output, vantage: Vantage | None
) -> int:
    """The loop of one process; a reload keeps the vantage (``cluster:`` is read once)."""
    loop = asyncio.get_running_loop()
    board: HealthBoard | None = None
    while True:
        stop = asyncio.Event()
        reload = asyncio.Event()

        def hangup(stop: asyncio.Event = stop, reload: asyncio.Event = reload) -> None:
            reload.set()
            stop.set()

        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        loop.add_signal_handler(signal.SIGHUP, hangup)
        controller = build_controller(
            config, dry_run=args.dry_run, adopt=args.adopt, force=args.force, vantage=vantage
        )
        if board is not None:
            controller.inherit(board)
        try:
            if vantage is not None:
                attach(vantage, controller)
                await presume(vantage, controller)
            async with operations(args, config, controller):
                await controller.run(stop)
        except OperationsError as exc:
            out.error(str(exc))
            return EXIT_ERROR
        finally:
            await controller.aclose()
        if not reload.is_set():
            event(logging.INFO, "controller_stopped")
            return EXIT_OK
        board = controller.board
        try:
            assert config.path is not None
            config = load_config(config.path)
        except ConfigError as exc:
            event(
                logging.ERROR,
                "config_reload_failed",
                file=exc.file,
                problems=[p.render(exc.file) for p in exc.problems],
                action="keeping the previous config",
            )
            continue
        event(
            logging.INFO,
            "config_reloaded",
            file=str(config.path),
            records=len(config.records),
            zones=len(config.zones),
        )

"""What the verbs share: the controller a config builds, the one-shot runner with its
signal handling, planning with progress, and printing a plan."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING

from failover_sync.cli import render
from failover_sync.cli.cluster import providers_for
from failover_sync.cli.console import Interrupts, Output, Progress
from failover_sync.config.loader import Config
from failover_sync.controller.controller import Controller
from failover_sync.health.probes import Prober
from failover_sync.model import DesiredRecord, Zone
from failover_sync.plan.document import PlanDocument, errors_of
from failover_sync.plan.guards import standard_chain

if TYPE_CHECKING:
    from failover_sync.cluster import Vantage


def build_controller(
    config: Config,
    *,
    dry_run: bool,
    adopt: bool = False,
    force: bool = False,
    desired: Mapping[Zone, Sequence[DesiredRecord]] | None = None,
    vantage: Vantage | None = None,
) -> Controller:
    """The controller of ``config`` with the standard guard chain; with ``vantage`` (the
    cluster mode) it plans with the quorum's verdicts and writes through its fence."""
    endpoints = [e.target for r in config.records for e in r.endpoints]
    guards = standard_chain(
        owner_id=config.owner_id,
        endpoints=endpoints,
        canaries=config.canaries,
        adopt=adopt,
        force=force,
        max_change_fraction=config.max_change_fraction,
        max_unhealthy_fraction=config.max_unhealthy_fraction,
    )
    return Controller(
        desired if desired is not None else {z: config.records_of(z) for z in config.zones},
        providers_for(config) or config.build_providers(),
        Prober(),
        guards=guards,
        dry_run=dry_run,
        resync_seconds=config.resync_seconds,
        canaries=config.canaries,
        verdicts=vantage.verdicts if vantage is not None else None,
        fence=vantage.fence if vantage is not None else None,
    )


def run_async(fn: Callable[[Interrupts], Coroutine[object, object, int]], out: Output) -> int:
    """Run a one-shot verb; SIGINT/SIGTERM end it after any write in flight (130/143)."""
    interrupts = Interrupts()

    async def wrapper() -> int:
        task: asyncio.Task[int] = asyncio.create_task(fn(interrupts))
        interrupts.install(asyncio.get_running_loop(), task)
        try:
            code = await task
        except asyncio.CancelledError:
            out.error(f"interrupted by {interrupts.name}: stopped, nothing more was written")
            return interrupts.exit_code
        if interrupts.stop_requested:
            out.error(f"interrupted by {interrupts.name}: stopped after the write in flight")
            return interrupts.exit_code
        return code

    try:
        import uvloop

        code: int = uvloop.run(wrapper())
    except ImportError:  # uvloop is optional (not on Windows)
        code = asyncio.run(wrapper())
    return code


async def planned(
    controller: Controller, *, progress: bool = True
) -> tuple[PlanDocument, dict[str, str]]:
    """Presume, settle (with progress on stderr) and plan every zone without writing."""
    await controller.presume_health()
    total = sum(1 for t in controller.board if True)
    with Progress(total, "probing endpoints") as bar:
        await controller.settle(lambda target: bar.advance(str(target)) if progress else None)
    plan, errors, outcomes = await controller.plan()
    refused = {o.zone.name: o.refused for o in outcomes if o.refused is not None}
    return PlanDocument(plan, errors_of(errors), refused), refused


def print_plan(doc: PlanDocument, output: str) -> None:
    """The plan on stdout: JSON, Markdown, a rich table on a terminal, else text."""
    if output == "json":
        sys.stdout.write(render.to_json(doc))
    elif output == "markdown":
        sys.stdout.write(render.to_markdown(doc))
    elif sys.stdout.isatty():
        from rich.console import Console

        render.print_plan_table(doc, Console(soft_wrap=False))
    else:
        sys.stdout.write(render.to_text(doc))

"""The cluster mode in the CLI: ``run --vantage NAME`` and ``cluster status``.

:func:`vantage_for` opens this process's vantage when the config has ``cluster:`` (its name
from ``--vantage`` or ``FAILOVER_SYNC_VANTAGE``), registers its metrics and stops it at the
end. :func:`attach` wires it to a controller: local verdict changes are published as votes,
a quorum verdict change or a gained leadership requests a reconcile. The controller itself
takes the vantage's ``verdicts`` (VerdictSource) and ``fence`` (WriteFence).

``cluster status`` reads etcd directly (no probing): the leader, each configured vantage
alive or not, and each endpoint's votes and the verdict they make now.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from failover_sync.cli.console import EXIT_ERROR, EXIT_OK, Output
from failover_sync.config.loader import Config
from failover_sync.controller.events import ControllerReady, Event, HealthChanged

if TYPE_CHECKING:  # the cluster package imports gRPC: only the cluster mode loads it
    from failover_sync.cluster import Board, Epoch, Vantage
    from failover_sync.controller.controller import Controller
    from failover_sync.model import Zone
    from failover_sync.provider.base import Provider

VANTAGE_ENV = "FAILOVER_SYNC_VANTAGE"
HOLD_ENV = "FAILOVER_SYNC_TEST_HOLD_AFTER_INTENT"
"""Test hook: a file path; after recording a write's intent the process creates it and
waits forever (so a test can SIGKILL a leader between its intent and its provider write)."""


async def _hold_after_intent(zone: Zone, epoch: Epoch) -> None:
    path = os.environ.get(HOLD_ENV)
    if path:
        await asyncio.to_thread(Path(path).write_text, f"{zone.name} {epoch.epoch}\n")
        await asyncio.Event().wait()


class ClusterSetupError(Exception):
    """The cluster mode cannot start as asked (message names the flag, key or variable)."""


def vantage_name(args: argparse.Namespace, config: Config) -> str | None:
    """This process's vantage: ``--vantage``, else ``FAILOVER_SYNC_VANTAGE``; None without
    ``cluster:``. Raises ClusterSetupError for a name without a cluster or a cluster
    without a name."""
    name = getattr(args, "vantage", None) or os.environ.get(VANTAGE_ENV) or None
    if config.cluster is None:
        if getattr(args, "vantage", None):
            raise ClusterSetupError("--vantage needs a cluster: key in the config")
        return None
    if name is None:
        names = ", ".join(config.cluster.vantages)
        raise ClusterSetupError(
            f"the config has cluster:; give --vantage NAME or {VANTAGE_ENV} (one of {names})"
        )
    return name


def providers_for(config: Config) -> dict[str, Provider] | None:
    """Stand-in providers for a probe-only vantage (no credentials are read), else None."""
    if config.cluster is None or config.cluster.writer:
        return None
    from failover_sync.cluster.probe_only import ProbeOnlyProvider

    return {name: ProbeOnlyProvider(name) for name in config.providers}


@contextlib.asynccontextmanager
async def vantage_for(args: argparse.Namespace, config: Config) -> AsyncIterator[Vantage | None]:
    """This process's started vantage (None without ``cluster:``), stopped on exit: its
    lease is revoked, so a clean stop hands leadership over at once."""
    name = vantage_name(args, config)
    if name is None or config.cluster is None:
        yield None
        return
    from failover_sync.cluster.member import VantageError, open_vantage
    from failover_sync.cluster.metrics import ClusterCollector

    try:
        vantage = open_vantage(
            config.cluster,
            owner_id=config.owner_id,
            vantage=name,
            targets=config.targets(),
            after_intent=_hold_after_intent if os.environ.get(HOLD_ENV) else None,
        )
    except VantageError as exc:
        raise ClusterSetupError(str(exc)) from None
    from prometheus_client import REGISTRY

    collector = ClusterCollector(vantage)
    REGISTRY.register(collector)
    await vantage.start()
    try:
        yield vantage
    finally:
        REGISTRY.unregister(collector)
        await vantage.stop()


def attach(vantage: Vantage, controller: Controller) -> None:
    """Publish the controller's verdicts as this vantage's votes; reconcile on a quorum
    verdict change and on gaining leadership (the new leader re-reads the live DNS)."""
    tasks: set[asyncio.Task[None]] = set()

    def spawn(coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def on_event(ev: Event) -> None:
        if isinstance(ev, HealthChanged):
            spawn(vantage.node.publish(ev.target, ev.health))
        elif isinstance(ev, ControllerReady):
            spawn(vantage.node.publish_all(ev.health))

    controller.bus.subscribe(on_event)
    vantage.verdicts.on_change.append(lambda *_: controller.request_reconcile())
    vantage.node.on_leader.append(
        lambda leading: controller.request_reconcile() if leading else None
    )


async def presume(vantage: Vantage | None, controller: Controller) -> None:
    """Before the first reconcile: what the live DNS publishes stands until a quorum says
    otherwise (a new leader never removes an endpoint without votes)."""
    if vantage is None:
        return
    await controller.presume_health()
    vantage.verdicts.presume(controller.health())


def status_document(config: Config, board: Board) -> dict[str, object]:
    """The ``cluster status`` document: leader, vantages, endpoints with votes and verdict."""
    from failover_sync.cluster import Quorum, target_id

    assert config.cluster is not None
    quorum = Quorum(config.cluster.quorum, tuple(config.cluster.vantages))
    endpoints = []
    for target in sorted(config.targets(), key=str):
        raw = board.votes.get(target_id(target), {})
        alive = {v: vote for v, vote in raw.items() if v in board.alive}
        tally = quorum.tally({v: vote.healthy for v, vote in alive.items()}, None)
        endpoints.append(
            {
                "endpoint": str(target),
                "votes": {
                    v: {"healthy": vote.healthy, "reason": vote.reason, "since": vote.since}
                    for v, vote in sorted(alive.items())
                },
                "verdict": {True: "healthy", False: "unhealthy", None: "no quorum"}[tally.verdict],
            }
        )
    return {
        "leader": board.leader_name(),
        "quorum": quorum.describe(),
        "vantages": {v: v in board.alive for v in config.cluster.vantages},
        "removals_frozen": quorum.frozen(board.alive),
        "endpoints": endpoints,
    }


async def status_verb(args: argparse.Namespace, config: Config, out: Output) -> int:
    """``failover-sync cluster status``: print the document as text or JSON."""
    if config.cluster is None:
        out.error("cluster status: the config has no cluster: key")
        return EXIT_ERROR
    from failover_sync.cluster import Board, EtcdUnavailable, Layout, VantageError, open_vantage

    spec = config.cluster
    try:
        vantage = open_vantage(
            spec, owner_id=config.owner_id, vantage=spec.vantages[0], targets=config.targets()
        )
    except VantageError as exc:
        out.error(str(exc))
        return EXIT_ERROR
    session = vantage.node.session
    layout = Layout(spec.etcd.prefix, config.owner_id)
    try:
        revision, kvs = await session.get_prefix(layout.root)
    except EtcdUnavailable as exc:
        out.error(f"cluster status: {exc}")
        return EXIT_ERROR
    finally:
        await session.close()
    board = Board(layout)
    board.reset(revision, kvs)
    doc = status_document(config, board)
    if args.output == "json":
        sys.stdout.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
        return EXIT_OK
    lines = [f"leader: {doc['leader'] or 'none'}    quorum: {doc['quorum']}"]
    vantages: dict[str, bool] = doc["vantages"]  # type: ignore[assignment]
    lines.append(
        "vantages: " + ", ".join(f"{v} {'alive' if a else 'DOWN'}" for v, a in vantages.items())
    )
    if doc["removals_frozen"]:
        lines.append(f"removals frozen: {doc['removals_frozen']}")
    for row in doc["endpoints"]:  # type: ignore[attr-defined]
        votes = ", ".join(
            f"{v}={'up' if x['healthy'] else 'down'}" for v, x in row["votes"].items()
        )
        lines.append(f"{row['endpoint']}: {row['verdict']}  ({votes or 'no votes'})")
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK


__all__ = [
    "VANTAGE_ENV",
    "ClusterSetupError",
    "attach",
    "presume",
    "providers_for",
    "status_document",
    "status_verb",
    "vantage_for",
    "vantage_name",
]

"""Wiring of ``run``'s operational side: metrics, the ``/metrics`` server, notifications.

:func:`operations` subscribes a :class:`~failover_sync.ops.metrics.MetricsSubscriber` to the
controller's event bus and attaches its probe schedule to the metrics (the overload figures
are read on each scrape); when ``notify:`` is configured, it subscribes a
:class:`~failover_sync.ops.notify.Notifier` too; with ``--metrics-addr`` it serves
``/metrics``, ``/healthz``, ``/readyz`` and ``/status`` and runs the heartbeat task that
``/healthz`` checks. Everything is undone on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from failover_sync.config.loader import Config
from failover_sync.controller.controller import Controller
from failover_sync.logs import event
from failover_sync.ops.httpserver import Liveness, OpsServer, heartbeat, parse_addr
from failover_sync.ops.metrics import MetricsSubscriber
from failover_sync.ops.notify import Notifier, NotifyConfigError, build_webhooks


def _status_from(loop: asyncio.AbstractEventLoop, controller: Controller) -> dict[str, object]:
    """The controller's status, computed on its event loop (called from the HTTP thread)."""

    async def build() -> dict[str, object]:
        return controller.status()

    return asyncio.run_coroutine_threadsafe(build(), loop).result(timeout=5)


class OperationsError(Exception):
    """``--metrics-addr`` is invalid or cannot be bound, or a webhook URL is missing."""


@contextlib.asynccontextmanager
async def operations(
    args: argparse.Namespace, config: Config, controller: Controller
) -> AsyncIterator[None]:
    """Attach metrics and notifications to ``controller`` for the duration of the block.

    Raises OperationsError before the block runs when the setup is impossible.
    """
    subscriber = MetricsSubscriber(dry_run=controller.dry_run, zones=list(controller.desired))
    controller.bus.subscribe(subscriber)
    notifier: Notifier | None = None
    if config.notify:
        try:
            hooks = build_webhooks(config.notify)
        except NotifyConfigError as exc:
            raise OperationsError(str(exc)) from None
        notifier = Notifier(hooks)
        controller.bus.subscribe(notifier)
        notifier.start()
    engine = subscriber.metrics.engine
    engine.attach(controller.schedule)
    server: OpsServer | None = None
    beat: asyncio.Task[None] | None = None
    try:
        if getattr(args, "metrics_addr", None):
            try:
                host, port = parse_addr(args.metrics_addr)
                loop = asyncio.get_running_loop()
                liveness = Liveness(
                    ready=lambda: controller.ready,
                    status=lambda: _status_from(loop, controller),
                )
                server = OpsServer(host, port, liveness).start()
            except (ValueError, OSError) as exc:
                raise OperationsError(f"--metrics-addr: {exc}") from None
            beat = asyncio.create_task(heartbeat(liveness))
            event(logging.INFO, "metrics_listening", address=f"{host}:{server.port}")
        yield
    finally:
        engine.detach(controller.schedule)
        if beat is not None:
            beat.cancel()
            await asyncio.gather(beat, return_exceptions=True)
        if server is not None:
            server.stop()
        if notifier is not None:
            await notifier.aclose()


__all__ = ["OperationsError", "operations"]

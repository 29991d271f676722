"""Controller events for metrics, notifications and anything else that watches the loop.

A :class:`ControllerListener` overrides the hooks it needs; every hook defaults to doing
nothing. The controller calls them synchronously on the event loop, so a hook must be quick
and must never block (notifications only enqueue). :func:`emit` calls one hook on every
listener and logs, never raises, an exception from one: a broken observer must not end the
loop.

Hooks (seconds are floats; ``records`` are absolute record names)::

    on_probe(target, result)                    every probe (one-shot and loop)
    on_transition(target, health, records)      a verdict changed
    on_ready(health, records_of_target)         first reconcile done; the loop starts
    on_stopped()                                the loop ended
    on_provider_call(zone, operation)           before each adapter call ("list_rrsets", "apply")
    on_apply(zone, seconds, error)              after each adapter apply call (error or None)
    on_reconciled(zone, plan, applied)          a reconcile ended without error
    on_reconcile_failed(zone, error)            a reconcile failed after retries
    on_freeze(zone, frozen, reason)             the safety brakes held or released a zone
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from failover_sync.errors import ProviderError
from failover_sync.logs import event
from failover_sync.model import EndpointHealth, ProbeResult, ProbeTarget, Zone, ZonePlan


class ControllerListener:
    """Base class of controller observers; every hook is a no-op by default."""

    def on_probe(self, target: ProbeTarget, result: ProbeResult) -> None:
        """Called after every probe with its result."""

    def on_transition(
        self, target: ProbeTarget, health: EndpointHealth, records: Sequence[str]
    ) -> None:
        """Called when ``target``'s verdict changes; ``records`` use the target."""

    def on_ready(
        self,
        health: Mapping[ProbeTarget, EndpointHealth],
        records: Mapping[ProbeTarget, Sequence[str]],
    ) -> None:
        """Called once the first reconcile of every zone is done."""

    def on_stopped(self) -> None:
        """Called when the loop has stopped."""

    def on_provider_call(self, zone: Zone, operation: str) -> None:
        """Called before each provider adapter call (``list_rrsets`` or ``apply``)."""

    def on_apply(self, zone: Zone, seconds: float, error: ProviderError | None) -> None:
        """Called after each provider apply call with its duration and error, if any."""

    def on_reconciled(self, zone: Zone, plan: ZonePlan, applied: bool) -> None:
        """Called after a reconcile without error; ``applied`` is False in dry-run."""

    def on_reconcile_failed(self, zone: Zone, error: ProviderError) -> None:
        """Called when a reconcile fails after its retries."""

    def on_freeze(self, zone: Zone, frozen: bool, reason: str) -> None:
        """Called when the safety brakes hold (``frozen``) or release a zone."""


def emit(listeners: Iterable[ControllerListener], hook: str, *args: Any) -> None:
    """Call ``hook(*args)`` on every listener; an exception is logged and swallowed."""
    for listener in listeners:
        try:
            getattr(listener, hook)(*args)
        except Exception as exc:
            event(
                logging.ERROR,
                "listener_error",
                listener=type(listener).__name__,
                hook=hook,
                error=repr(exc),
            )


__all__ = ["ControllerListener", "emit"]

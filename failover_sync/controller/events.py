"""Typed controller events and the one channel that delivers them.

One frozen dataclass per thing that happens; :data:`Event` is their union, so a subscriber
written as ``match event: case HealthChanged(...)`` is checked by mypy. Subscribers (logs,
metrics, webhooks, the cluster's vote publisher, the status API) get events through
:class:`EventBus` and never read controller internals. The bus calls them synchronously on
the event loop, so a subscriber must be quick and never block (webhooks only enqueue); an
exception in one is logged and swallowed: a broken observer must not end the loop.

Events (seconds are floats; record names absolute)::

    ProbeCompleted(target, result, lateness_seconds)   every probe, one-shot and loop
    HealthChanged(target, health, records)             a verdict changed
    AllUnhealthyChanged(record, unhealthy, reason)     every endpoint of a record is (no
                                                       longer) unhealthy: when_all_unhealthy
                                                       takes (or leaves) effect
    ControllerReady(health, records)                   first reconcile done; the loop starts
    ControllerStopped()                                the loop ended
    ProviderCalled(zone, operation)                    before each adapter call
    ApplyFinished(zone, seconds, error)                after each adapter apply call
    ZoneReconciled(zone, plan, applied, health)        a reconcile ended without error;
                                                       health: the verdicts it planned with
    ReconcileFailed(zone, error)                       a reconcile failed after retries
    WriteRejected(zone, change, error)                 one RRset of a split batch was refused
    BrakeChanged(zone, brake, engaged, reason)         a safety brake held or released a zone
    ConflictFound(zone, conflict)                      a managed RRset held by another owner
    ForeignWrite(zone, name, type, values)             a managed RRset we wrote was rewritten
                                                       by someone else (a second controller?)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from failover_sync.errors import ProviderError
from failover_sync.logs import event as log_event
from failover_sync.model import (
    Change,
    Conflict,
    DesiredRecord,
    EndpointHealth,
    ProbeResult,
    ProbeTarget,
    Zone,
    ZonePlan,
)


@dataclass(frozen=True, slots=True)
class ProbeCompleted:
    """One probe of ``target`` ended with ``result``, ``lateness_seconds`` after its slot."""

    target: ProbeTarget
    result: ProbeResult
    lateness_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class HealthChanged:
    """``target``'s verdict changed to ``health``; ``records`` use the target."""

    target: ProbeTarget
    health: EndpointHealth
    records: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AllUnhealthyChanged:
    """Every endpoint of ``record`` became unhealthy (``unhealthy``) or one recovered."""

    record: DesiredRecord
    unhealthy: bool
    reason: str


@dataclass(frozen=True, slots=True)
class ControllerReady:
    """The first reconcile of every zone is done; ``health`` holds every verdict."""

    health: Mapping[ProbeTarget, EndpointHealth]
    records: Mapping[ProbeTarget, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class ControllerStopped:
    """The loop has stopped."""


@dataclass(frozen=True, slots=True)
class ProviderCalled:
    """An adapter call is about to be made (``list_rrsets`` or ``apply``)."""

    zone: Zone
    operation: str


@dataclass(frozen=True, slots=True)
class ApplyFinished:
    """An adapter apply call took ``seconds`` and ended with ``error`` (None: success)."""

    zone: Zone
    seconds: float
    error: ProviderError | None


@dataclass(frozen=True, slots=True)
class ZoneReconciled:
    """A reconcile of ``zone`` ended without error; ``applied`` is False in dry-run or when
    there was nothing to write; ``health`` holds the verdicts the plan was made with."""

    zone: Zone
    plan: ZonePlan
    applied: bool
    health: Mapping[ProbeTarget, EndpointHealth] = field(default_factory=dict)
    refused: str | None = None


@dataclass(frozen=True, slots=True)
class ReconcileFailed:
    """A reconcile of ``zone`` failed after its retries."""

    zone: Zone
    error: ProviderError


@dataclass(frozen=True, slots=True)
class WriteRejected:
    """The provider refused ``change`` permanently; the rest of the zone was written."""

    zone: Zone
    change: Change
    error: ProviderError


@dataclass(frozen=True, slots=True)
class BrakeChanged:
    """Safety brake ``brake`` engaged (``engaged``) or released for ``zone``."""

    zone: Zone
    brake: str
    engaged: bool
    reason: str


@dataclass(frozen=True, slots=True)
class ConflictFound:
    """A managed RRset of ``zone`` is withheld: another owner holds it."""

    zone: Zone
    conflict: Conflict


@dataclass(frozen=True, slots=True)
class ForeignWrite:
    """A managed RRset that this process wrote now holds other ``values``."""

    zone: Zone
    name: str
    type: str
    values: tuple[str, ...]


Event = (
    ProbeCompleted
    | HealthChanged
    | AllUnhealthyChanged
    | ControllerReady
    | ControllerStopped
    | ProviderCalled
    | ApplyFinished
    | ZoneReconciled
    | ReconcileFailed
    | WriteRejected
    | BrakeChanged
    | ConflictFound
    | ForeignWrite
)
"""Every controller event."""

Subscriber = Callable[[Event], None]
"""A callable that receives every event."""


class EventBus:
    """Delivers each published event to every subscriber, in subscription order."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> None:
        """Deliver every later event to ``subscriber``."""
        self._subscribers.append(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Stop delivering to ``subscriber`` (no error if it was not subscribed)."""
        if subscriber in self._subscribers:
            self._subscribers.remove(subscriber)

    @property
    def idle(self) -> bool:
        """True when nobody listens (the hot probe path then builds no events)."""
        return not self._subscribers

    def publish(self, event: Event) -> None:
        """Hand ``event`` to every subscriber; an exception is logged and swallowed."""
        for subscriber in self._subscribers:
            try:
                subscriber(event)
            except Exception as exc:
                log_event(
                    logging.ERROR,
                    "subscriber_error",
                    subscriber=getattr(subscriber, "__qualname__", type(subscriber).__name__),
                    event=type(event).__name__,
                    error=repr(exc),
                )


__all__ = [
    "AllUnhealthyChanged",
    "ApplyFinished",
    "BrakeChanged",
    "ConflictFound",
    "ControllerReady",
    "ControllerStopped",
    "Event",
    "EventBus",
    "ForeignWrite",
    "HealthChanged",
    "ProbeCompleted",
    "ProviderCalled",
    "ReconcileFailed",
    "Subscriber",
    "WriteRejected",
    "ZoneReconciled",
]

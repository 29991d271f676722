"""The log subscriber: every controller event as a stable structured log line on stderr.

Levels follow what an operator must act on: a removal, a failed reconcile, a brake or a
conflict is WARNING or ERROR; a failback and an applied change INFO; every probe result and
every reconcile summary DEBUG. A resync that finds a zone up to date says so at INFO at most
every :data:`UP_TO_DATE_EVERY_SECONDS` (external-dns's "All records are already up to date").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from failover_sync.controller.events import (
    AllUnhealthyChanged,
    BrakeChanged,
    ConflictFound,
    ControllerReady,
    ControllerStopped,
    Event,
    ForeignWrite,
    HealthChanged,
    ProbeCompleted,
    ReconcileFailed,
    WriteRejected,
    ZoneReconciled,
)
from failover_sync.errors import ProviderError, TransientProviderError
from failover_sync.logs import event, log
from failover_sync.model import ZonePlan

UP_TO_DATE_EVERY_SECONDS = 600.0
"""How often, at most, an up-to-date zone is reported at INFO."""


def kind(error: ProviderError) -> str:
    """``transient`` or ``permanent``."""
    return "transient" if isinstance(error, TransientProviderError) else "permanent"


class Logbook:
    """Writes events as log lines; ``dry_run`` names planned changes ``change_planned``.

    ``clock`` returns monotonic seconds (the up-to-date line's rate limit).
    """

    def __init__(self, *, dry_run: bool = False, clock: Callable[[], float] = time.monotonic):
        self.dry_run = dry_run
        self._clock = clock
        self._up_to_date_at: dict[str, float] = {}

    def __call__(self, ev: Event) -> None:
        match ev:
            case ProbeCompleted(target, result, lateness):
                if log.isEnabledFor(logging.DEBUG):
                    event(
                        logging.DEBUG,
                        "probe_result",
                        endpoint=str(target),
                        ok=result.ok,
                        latency_ms=round(result.latency_seconds * 1000, 2),
                        lateness_ms=round(lateness * 1000, 2),
                        reason=result.reason,
                    )
            case HealthChanged(target, health, records):
                event(
                    logging.INFO if health.healthy else logging.WARNING,
                    "endpoint_healthy" if health.healthy else "endpoint_unhealthy",
                    records=list(records),
                    endpoint=str(target),
                    value=target.value,
                    reason=health.reason,
                )
            case AllUnhealthyChanged(record, unhealthy, reason):
                event(
                    logging.WARNING if unhealthy else logging.INFO,
                    "all_unhealthy" if unhealthy else "all_unhealthy_cleared",
                    record=record.name,
                    type=record.type,
                    when_all_unhealthy=str(record.when_all_unhealthy),
                    reason=reason,
                )
            case ZoneReconciled(zone, plan, applied, _, refused):
                self._reconciled(plan, applied, refused)
            case ReconcileFailed(zone, error):
                event(
                    logging.ERROR,
                    "reconcile_failed",
                    zone=zone.name,
                    provider=zone.provider,
                    error=str(error),
                    kind=kind(error),
                )
            case WriteRejected(zone, change, error):
                event(
                    logging.ERROR,
                    "change_rejected",
                    zone=zone.name,
                    record=change.name,
                    type=change.type,
                    error=str(error),
                )
            case BrakeChanged(zone, brake, engaged, reason):
                name = {
                    ("partition", True): "removals_frozen",
                    ("partition", False): "removals_resumed",
                    ("blast_radius", True): "writes_frozen",
                    ("blast_radius", False): "writes_unfrozen",
                }.get((brake, engaged), "brake_engaged" if engaged else "brake_released")
                level = logging.ERROR if engaged else logging.WARNING
                event(level, name, zone=zone.name, brake=brake, reason=reason)
            case ConflictFound(zone, conflict):
                event(
                    logging.WARNING,
                    "ownership_conflict",
                    zone=zone.name,
                    record=conflict.name,
                    type=conflict.type,
                    reason=conflict.reason,
                )
            case ForeignWrite(zone, name, rtype, values):
                event(
                    logging.WARNING,
                    "managed_rrset_rewritten",
                    zone=zone.name,
                    record=name,
                    type=rtype,
                    values=list(values),
                    hint="another writer changed it: run one controller per owner_id, "
                    "or several as a cluster",
                )
            case ControllerReady(health, _):
                pass  # the controller logs controller_ready with its counts
            case ControllerStopped():
                pass
            case _:
                pass

    def _reconciled(self, plan: ZonePlan, applied: bool, refused: str | None) -> None:
        zone = plan.zone.name
        name = "change_applied" if applied else "change_planned"
        if refused is None:
            for change in plan.changes:
                event(
                    logging.INFO,
                    name,
                    zone=zone,
                    record=change.name,
                    type=change.type,
                    ttl=change.ttl,
                    before=list(change.before),
                    after=list(change.after),
                    reason=change.reason,
                )
        event(
            logging.DEBUG,
            "reconcile_summary",
            zone=zone,
            changes=len(plan.changes),
            unchanged=plan.unchanged,
            conflicts=len(plan.conflicts),
            applied=applied,
            refused=refused,
        )
        if plan.changes or plan.conflicts:
            self._up_to_date_at.pop(zone, None)
            return
        now = self._clock()
        last = self._up_to_date_at.get(zone)
        if last is None or now - last >= UP_TO_DATE_EVERY_SECONDS:
            self._up_to_date_at[zone] = now
            event(logging.INFO, "zone_up_to_date", zone=zone, rrsets=plan.unchanged)

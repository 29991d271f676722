"""Why each endpoint is in or out: the data of ``GET /status`` and ``failover-sync status``.

Shape (JSON)::

    {"version": 1, "ready": bool,
     "records": [{"name", "type", "zone", "policy", "published": [values],
                  "endpoints": [{"value", "endpoint", "status", "healthy", "streak",
                                 "last_probe": {"ok", "reason", "latency_ms"} | null,
                                 "published": bool, "why": "healthy" | "drained" | ...}]}],
     "zones": [{"zone", "provider", "frozen": reason | null, "error": text | null}]}

``why`` is one of: ``healthy``, ``standby`` (healthy, not the first in failover order),
``drained`` (status: down), ``forced up`` (status: up), ``unhealthy``, ``kept: all endpoints
unhealthy`` (when_all_unhealthy applies), ``held down`` (hold_down_seconds), ``frozen: ...``
(a brake holds the zone), ``not reconciled yet``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from failover_sync.controller.reconcile import ZoneOutcome
from failover_sync.health.state import HealthBoard
from failover_sync.model import (
    DesiredRecord,
    EndpointHealth,
    EndpointStatus,
    Policy,
    Zone,
)
from failover_sync.plan.planner import effective

STATUS_VERSION = 1


def published_values(record: DesiredRecord, outcome: ZoneOutcome | None) -> tuple[str, ...] | None:
    """What the DNS holds for ``record`` after the zone's last reconcile (None: unknown)."""
    if outcome is None or outcome.plan is None:
        return None
    for change in outcome.plan.changes:
        if change.key == record.key and outcome.applied:
            return change.after
    rrset = outcome.live.get(record.key)
    return rrset.values if rrset is not None else ()


def _why(
    record: DesiredRecord,
    index: int,
    verdict: EndpointHealth,
    status: EndpointStatus,
    published: bool,
    any_healthy: bool,
    frozen: str | None,
) -> str:
    if status is EndpointStatus.DOWN:
        return (
            "drained" if not published else f"drained; removal pending ({frozen or 'next write'})"
        )
    if status is EndpointStatus.UP:
        return "forced up"
    if verdict.healthy:
        if published:
            return "healthy"
        if record.policy is Policy.FAILOVER and index > 0:
            return "standby"
        return f"frozen: {frozen}" if frozen else "healthy; publication pending"
    if not published:
        return "unhealthy"
    if not any_healthy:
        return f"kept: all endpoints unhealthy (when_all_unhealthy={record.when_all_unhealthy})"
    if frozen:
        return f"frozen: {frozen}"
    if verdict.answering:
        return "unhealthy but answering (kept while it recovers)"
    return "unhealthy; removal pending (held down or next write)"


def status_data(
    desired: Mapping[Zone, Sequence[DesiredRecord]],
    board: HealthBoard,
    outcomes: Mapping[Zone, ZoneOutcome],
    frozen: Mapping[str, str],
    *,
    ready: bool,
) -> dict[str, Any]:
    """The status document (shape in the module docstring)."""
    records_out: list[dict[str, Any]] = []
    zones_out: list[dict[str, Any]] = []
    for zone, records in desired.items():
        outcome = outcomes.get(zone)
        zones_out.append(
            {
                "zone": zone.name,
                "provider": zone.provider,
                "frozen": frozen.get(zone.name),
                "error": str(outcome.error) if outcome and outcome.error else None,
            }
        )
        for record in records:
            published = published_values(record, outcome)
            verdicts = {e.target: board.verdict(e.target) for e in record.endpoints}
            any_healthy = any(effective(e, verdicts).healthy for e in record.endpoints)
            endpoints = []
            for index, endpoint in enumerate(record.endpoints):
                verdict = verdicts[endpoint.target]
                is_published = published is not None and endpoint.value in published
                state = board.state(endpoint.target) if endpoint.target in board else None
                last = state.last if state is not None else None
                why = (
                    "not reconciled yet"
                    if published is None
                    else _why(
                        record,
                        index,
                        verdict,
                        endpoint.status,
                        is_published,
                        any_healthy,
                        frozen.get(zone.name),
                    )
                )
                endpoints.append(
                    {
                        "value": endpoint.value,
                        "endpoint": str(endpoint.target),
                        "status": str(endpoint.status),
                        "healthy": verdict.healthy,
                        "reason": verdict.reason,
                        "streak": state.streak if state is not None else 0,
                        "last_probe": None
                        if last is None
                        else {
                            "ok": last.ok,
                            "reason": last.reason,
                            "latency_ms": round(last.latency_seconds * 1000, 2),
                            "at": state.last_at if state is not None else None,
                        },
                        "published": is_published,
                        "why": why,
                    }
                )
            records_out.append(
                {
                    "name": record.name,
                    "type": record.type,
                    "zone": zone.name,
                    "policy": str(record.policy),
                    "published": list(published) if published is not None else None,
                    "endpoints": endpoints,
                }
            )
    return {"version": STATUS_VERSION, "ready": ready, "records": records_out, "zones": zones_out}

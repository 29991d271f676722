"""The planner: desired records + endpoint health + live RRsets -> Plan. Pure.

No I/O and no clock: every branch is tested with plain values. The rules:

- ``failover``: publish the first healthy endpoint in priority order; with ``failback:
  manual`` stay on the one published value while it is healthy.
- ``multivalue`` and ``weighted_round_robin``: publish every healthy endpoint (with weights
  where the provider has native weights).
- No endpoint healthy: ``publish_all`` publishes every endpoint (one, the first, for a
  CNAME), ``keep`` leaves the live RRset alone, ``fallback`` publishes the fallback values.
- ``status: down`` drains an endpoint whatever the probes say, ``status: up`` keeps it in;
  draining the last healthy endpoint follows ``when_all_unhealthy`` like any other outage.
- Never an empty RRset; only managed RRsets appear; a TTL difference is a change too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from failover_sync.model import (
    Action,
    AllUnhealthy,
    Change,
    DesiredRecord,
    Endpoint,
    EndpointHealth,
    EndpointStatus,
    Failback,
    Plan,
    Policy,
    ProbeTarget,
    RecordKey,
    RRset,
    Zone,
    ZonePlan,
    sorted_values,
)

Health = Mapping[ProbeTarget, EndpointHealth]
UNKNOWN = EndpointHealth(False, "not probed yet")
DRAINED = EndpointHealth(False, "drained (status: down)")
FORCED_UP = EndpointHealth(True, "forced up (status: up)")


_INDEXES: dict[int, tuple[tuple[DesiredRecord, ...], Mapping[RecordKey, DesiredRecord]]] = {}


def index(records: Sequence[DesiredRecord]) -> Mapping[RecordKey, DesiredRecord]:
    """``records`` by key. A tuple's index is built once and kept (a tuple cannot change, and
    the cache holds it, so its id is not reused): the reconciler passes each zone's records
    as one tuple to every guard of every plan."""
    if not isinstance(records, tuple):
        return {r.key: r for r in records}
    hit = _INDEXES.get(id(records))
    if hit is not None and hit[0] is records:
        return hit[1]
    if len(_INDEXES) >= 1024:  # configs reloaded many times: stay bounded
        _INDEXES.clear()
    by_key = {r.key: r for r in records}
    _INDEXES[id(records)] = (records, by_key)
    return by_key


def effective(endpoint: Endpoint, health: Health) -> EndpointHealth:
    """The verdict the planner uses for ``endpoint``: its operator status first, then the
    probes."""
    if endpoint.status is EndpointStatus.DOWN:
        return DRAINED
    if endpoint.status is EndpointStatus.UP:
        return FORCED_UP
    return health.get(endpoint.target, UNKNOWN)


@dataclass(frozen=True, slots=True)
class Target:
    """What a record should publish, and why (``None`` values: leave it as it is)."""

    values: tuple[str, ...] | None
    weights: tuple[tuple[str, int], ...]
    why_added: str


def desired_values(
    record: DesiredRecord, health: Health, live: RRset | None, *, weights: bool = False
) -> Target:
    """The values ``record`` should publish given ``health`` and its ``live`` RRset."""
    healthy = []
    for e in record.endpoints:  # effective(), inlined: this runs for every RRset
        status = e.status
        if status is EndpointStatus.OBEY:
            if health.get(e.target, UNKNOWN).healthy:
                healthy.append(e)
        elif status is EndpointStatus.UP:
            healthy.append(e)
    if healthy:
        if record.policy is Policy.FAILOVER:
            chosen = healthy[0]
            if record.failback is Failback.MANUAL and live is not None and len(live.values) == 1:
                current = next((e for e in healthy if e.value == live.values[0]), None)
                chosen = current or chosen
            picked = [chosen]
        else:
            picked = healthy
            if len(healthy) == len(record.endpoints) and not weights:
                return Target(record.all_values, (), "")  # the steady state of most RRsets
        why = ""
    elif record.when_all_unhealthy is AllUnhealthy.KEEP:
        return Target(None, (), "")
    elif record.when_all_unhealthy is AllUnhealthy.FALLBACK:
        return Target(record.fallback, (), "all endpoints unhealthy: publishing the fallback")
    else:
        picked = list(record.endpoints[:1] if record.type == "CNAME" else record.endpoints)
        why = "all endpoints unhealthy: publishing all (publish_all)"
    wanted_weights: tuple[tuple[str, int], ...] = ()
    if weights and record.policy is Policy.WEIGHTED_ROUND_ROBIN:
        wanted_weights = tuple(sorted((e.value, e.weight) for e in picked))
    return Target(sorted_values(e.value for e in picked), wanted_weights, why)


def plan_record(
    record: DesiredRecord, health: Health, live: RRset | None, *, weights: bool = False
) -> Change | None:
    """The change ``record`` needs, or None when the live RRset is already right."""
    target = desired_values(record, health, live, weights=weights)
    if target.values is None:
        return None
    before = live.values if live is not None else ()
    live_weights = live.weights if live is not None else ()
    same_values = before == target.values and live_weights == target.weights
    if live is not None and same_values and _same_ttl(live, record):
        return None
    return Change(
        action=Action.UPSERT,
        name=record.name,
        type=record.type,
        ttl=record.ttl,
        before=before,
        after=target.values,
        reason=_reason(record, health, live, target),
        before_ttl=(record.ttl if _same_ttl(live, record) else live.ttl) if live else None,
        weights=target.weights,
        proxied=record.proxied,
    )


def _same_ttl(live: RRset, record: DesiredRecord) -> bool:
    """An automatic TTL (set by the provider) matches any configured one."""
    return live.auto_ttl or live.ttl == record.ttl


def _reason(record: DesiredRecord, health: Health, live: RRset | None, target: Target) -> str:
    assert target.values is not None
    by_value = {e.value: e for e in record.endpoints}
    before = set(live.values) if live is not None else set()
    after = set(target.values)
    removed: list[str] = []
    for value in sorted(before - after):
        endpoint = by_value.get(value)
        if endpoint is None:
            removed.append(f"{value} is not a configured endpoint")
        else:
            state = effective(endpoint, health)
            if endpoint.status is EndpointStatus.DOWN:
                removed.append(f"{value} drained (status: down)")
            elif not state.healthy:
                removed.append(f"{value} unhealthy: {state.reason}")
    added = [target.why_added] if target.why_added else []
    if not target.why_added:
        for value in sorted(after - before):
            endpoint = by_value.get(value)
            if endpoint is None:
                added.append(f"{value} added")
            else:
                if endpoint.status is EndpointStatus.UP:
                    added.append(f"{value} forced up (status: up)")
                else:
                    added.append(f"{value} healthy: {effective(endpoint, health).reason}")
    parts = removed or added
    if live is None:
        parts = ["RRset does not exist", *parts]
    elif not _same_ttl(live, record):
        parts.append(f"TTL {live.ttl} -> {record.ttl}")
    if live is not None and before == after and live.weights != target.weights:
        parts.append("weights differ")
    return "; ".join(parts) or "priority order"


def plan_zone(
    zone: Zone,
    records: Iterable[DesiredRecord],
    health: Health,
    live: Mapping[RecordKey, RRset],
    *,
    weights: bool = False,
) -> ZonePlan:
    """Plan one zone: changes sorted by (name, type) and the count of unchanged RRsets."""
    changes: list[Change] = []
    unchanged = 0
    for record in records:
        change = plan_record(record, health, live.get(record.key), weights=weights)
        if change is None:
            unchanged += 1
        else:
            changes.append(change)
    changes.sort(key=lambda c: (c.name, c.type))
    return ZonePlan(zone, tuple(changes), unchanged)


def plan(
    desired: Mapping[Zone, Sequence[DesiredRecord]],
    health: Health,
    live: Mapping[str, Mapping[RecordKey, RRset]],
    *,
    weighted_zones: frozenset[str] = frozenset(),
) -> Plan:
    """Plan every zone of ``desired``; ``live`` is keyed by zone name, ``weighted_zones``
    names the zones whose provider has native weights."""
    zones = [
        plan_zone(
            zone, records, health, live.get(zone.name, {}), weights=zone.name in weighted_zones
        )
        for zone, records in desired.items()
    ]
    zones.sort(key=lambda z: z.zone.name)
    return Plan(tuple(zones))

"""Safety brakes on a plan: blast radius, self-partition freeze and flap damping. Pure.

Every brake counts **distinct endpoints**, an endpoint being the machine behind a value: its
address, port and protocol (:func:`endpoint_key`). Six names served by the same three
backends are three endpoints, not six RRsets or eighteen probe targets (the Host header of
each name's health check differs), so that one dead backend behind any number of names is
one endpoint removed.

- **Blast radius**: a zone plan that removes more than ``max_change_fraction`` of the zone's
  distinct endpoints at once is refused (octoDNS's ``raise_if_unsafe`` idea), counted only
  when the zone has at least :data:`MIN_ENDPOINTS`. One dead backend of two, four or a
  thousand behind 1 to 1,000 names removes one endpoint: it always fails over. A config
  mistake that drops most endpoints at once is stopped until ``--force``.
- **Self-partition**: when every canary fails, or (without a canary that still answers) more
  than ``max_unhealthy_fraction`` of the distinct endpoints (at least :data:`MIN_ENDPOINTS`)
  turned unhealthy within one detection window, this controller is more likely cut off than
  the endpoints down: removals freeze. Endpoints that answer are still added back. Release
  rule: the freeze ends when the unhealthy fraction is back at or below the limit (or a
  canary answers again); the first plans after it remove only endpoints whose latest probe
  still fails (:func:`keep_answering`), so an endpoint that answers but is short of its
  success threshold is not removed and re-added.
- **Hold-down**: an RRset changed less than ``hold_down_seconds`` ago is not changed again,
  unless the change publishes more endpoints than are published now; :func:`hold_expiry`
  says when the next held change may go out, so that it is planned at that moment.

Times are seconds of one monotonic clock.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace

from failover_sync.model import (
    Change,
    DesiredRecord,
    EndpointHealth,
    Policy,
    ProbeTarget,
    RecordKey,
    ZonePlan,
    sorted_values,
)
from failover_sync.plan.planner import index

MIN_ENDPOINTS = 4
"""The blast-radius and unhealthy-fraction rules count only with at least this many distinct
endpoints: with fewer, one failover is already a large fraction, and all of two or three
backends failing is a plausible real outage (``when_all_unhealthy`` then applies, as Route 53
fails open). Canaries cover small configs."""

EndpointKey = tuple[str, int, str]
"""``(address or host name, port, protocol)``: one machine behind a value."""

_UNKNOWN = EndpointHealth(False, "not probed yet")


def endpoint_key(target: ProbeTarget) -> EndpointKey:
    """The distinct endpoint behind ``target`` (its Host header and path do not count)."""
    return (target.value, target.check.port, target.check.protocol)


def zone_endpoints(records: Iterable[DesiredRecord]) -> frozenset[EndpointKey]:
    """Every distinct endpoint of ``records``."""
    return frozenset(endpoint_key(e.target) for r in records for e in r.endpoints)


def removed_endpoints(
    changes: Iterable[Change], records: Sequence[DesiredRecord]
) -> frozenset[EndpointKey]:
    """The distinct endpoints that ``changes`` take out of at least one RRset; a removed
    value that is not a configured endpoint counts as an endpoint of its own."""
    by_key = index(records)
    removed: set[EndpointKey] = set()
    for change in changes:
        record = by_key.get(change.key)
        gone = set(change.before) - set(change.after)
        if record is None or not gone:
            continue
        targets = {e.value: e.target for e in record.endpoints}
        for value in gone:
            target = targets.get(value)
            removed.add(endpoint_key(target) if target is not None else (value, 0, ""))
    return frozenset(removed)


def blast_radius(
    changes: Collection[Change], records: Sequence[DesiredRecord], max_fraction: float
) -> str | None:
    """Why a zone plan with ``changes`` over ``records`` removes too much at once, or None.

    ``max_fraction`` is in 0..1; the message names the counts and the way out (``--force``).
    """
    removing = len(removed_endpoints(changes, records))
    if not removing:
        return None
    total = len(zone_endpoints(records))
    if total < MIN_ENDPOINTS or removing / total <= max_fraction:
        return None
    return (
        f"the plan removes {removing} of {total} distinct endpoints at once "
        f"({removing / total:.0%}), above max_change_fraction {max_fraction:g}; "
        "review it and apply with --force"
    )


def restores_endpoints(change: Change) -> bool:
    """True when ``change`` publishes more values than are live (a recovery)."""
    return len(set(change.after)) > len(set(change.before))


def _held(change: Change, record: DesiredRecord | None, since: float | None, now: float) -> bool:
    return (
        record is not None
        and since is not None
        and bool(change.before)
        and now - since < record.hold_down_seconds
        and not restores_endpoints(change)
    )


def hold_down(
    zone_plan: ZonePlan,
    records: Sequence[DesiredRecord],
    last_changed: Mapping[RecordKey, float],
    now: float,
) -> tuple[ZonePlan, tuple[Change, ...]]:
    """Hold back the changes of RRsets changed less than their ``hold_down_seconds`` before
    ``now``, unless they restore endpoints; returns the plan and the held changes (counted as
    unchanged). A new RRset (``before`` empty) is never held."""
    if not zone_plan.changes or not last_changed:
        return zone_plan, ()
    by_key = index(records)
    kept: list[Change] = []
    held: list[Change] = []
    for change in zone_plan.changes:
        if _held(change, by_key.get(change.key), last_changed.get(change.key), now):
            held.append(change)
        else:
            kept.append(change)
    if not held:
        return zone_plan, ()
    unchanged = zone_plan.unchanged + len(held)
    return replace(zone_plan, changes=tuple(kept), unchanged=unchanged), tuple(held)


def hold_expiry(
    held: Iterable[Change],
    records: Sequence[DesiredRecord],
    last_changed: Mapping[RecordKey, float],
) -> float | None:
    """The earliest moment at which one of the ``held`` changes may go out, or None."""
    if not held:
        return None
    by_key = index(records)
    moments = [
        last_changed[c.key] + by_key[c.key].hold_down_seconds
        for c in held
        if c.key in last_changed and c.key in by_key
    ]
    return min(moments, default=None)


def keep_answering(
    zone_plan: ZonePlan,
    records: Sequence[DesiredRecord],
    health: Mapping[ProbeTarget, EndpointHealth],
    answering: Collection[ProbeTarget],
) -> ZonePlan:
    """The plan without the removal of a published endpoint that is recovering: unhealthy by
    verdict, but its latest probe passed (``answering``). Removing it now would only add it
    back once it reaches its success threshold (the release of a partition freeze is where
    this happens). A ``failover`` RRset whose published endpoint is recovering is left as it
    is. Healthy endpoints that a policy drops (a failover standby) are still removed."""
    by_key = index(records)
    kept: list[Change] = []
    dropped = 0
    for change in zone_plan.changes:
        record = by_key.get(change.key)
        if record is None or record.type == "CNAME":
            kept.append(change)
            continue
        recovering = {
            e.value
            for e in record.endpoints
            if e.target in answering and not health.get(e.target, _UNKNOWN).healthy
        }
        keep = [v for v in change.before if v in recovering and v not in change.after]
        if not keep:
            kept.append(change)
            continue
        if record.policy is Policy.FAILOVER:
            dropped += 1
            continue
        after = sorted_values([*change.after, *keep])
        if after == change.before:
            dropped += 1
        else:
            kept.append(replace(change, after=after, weights=_weights(change, record, after)))
    if tuple(kept) == zone_plan.changes:
        return zone_plan
    return _without_lone_markers(zone_plan, kept, by_key, dropped)


def _weights(
    change: Change, record: DesiredRecord, after: Sequence[str]
) -> tuple[tuple[str, int], ...]:
    if not change.weights:
        return ()
    by_value = {e.value: e.weight for e in record.endpoints}
    return tuple((v, by_value.get(v, 1)) for v in after)


def _without_lone_markers(
    zone_plan: ZonePlan,
    kept: list[Change],
    by_key: Mapping[RecordKey, DesiredRecord],
    dropped: int,
) -> ZonePlan:
    if all(c.key not in by_key for c in kept):
        kept = []  # markers alone are not worth a write
    return replace(zone_plan, changes=tuple(kept), unchanged=zone_plan.unchanged + dropped)


def freeze_removals(
    zone_plan: ZonePlan,
    records: Sequence[DesiredRecord],
    health: Mapping[ProbeTarget, EndpointHealth],
    why: str,
    failing: Collection[ProbeTarget] = (),
) -> ZonePlan:
    """The plan with every removal taken out: a change keeps the live values and adds only
    endpoints that are healthy now and not in a failing streak (``failing``; a
    ``publish_all`` of unhealthy endpoints is not a recovery either). A change left with
    nothing to do is dropped; a CNAME, which holds one value, is written only when it does
    not exist yet; a live ``failover`` RRset is left as it is (it publishes one endpoint at a
    time, and swapping to the standby is acting on the failure the freeze distrusts)."""
    by_key = index(records)
    kept: list[Change] = []
    dropped = 0
    for change in zone_plan.changes:
        record = by_key.get(change.key)
        if record is None:  # an ownership marker: it only goes with a kept change
            kept.append(change)
            continue
        healthy = {
            e.value
            for e in record.endpoints
            if health.get(e.target, _UNKNOWN).healthy and e.target not in failing
        }
        added = [v for v in change.after if v not in change.before and v in healthy]
        if record.policy is Policy.FAILOVER and change.before:
            # A swap to the standby acts on the failure that the freeze distrusts, and the
            # standby's healthy verdict may predate the cut (its probe had not run again yet).
            added = []
        if record.type == "CNAME":
            after = change.after if not change.before and added else change.before
        else:
            after = sorted_values([*change.before, *added])
        if after == change.before:
            dropped += 1
            continue
        reason = f"{change.reason}; removals frozen ({why})"
        weights = _weights(change, record, after)
        kept.append(replace(change, after=after, weights=weights, reason=reason))
    if tuple(kept) == zone_plan.changes:
        return zone_plan
    return _without_lone_markers(zone_plan, kept, by_key, dropped)

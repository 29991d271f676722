"""Safety brakes on a plan: blast radius, self-partition freeze and flap damping.

The pure parts take plain values (plans, health, times in seconds of one monotonic clock) and
return new plans; :class:`PartitionDetector` keeps the only state, the moments at which
endpoints turned unhealthy. :mod:`failover_sync.plan.safety` applies them in the controller.

- **Blast radius**: a plan that removes endpoints from more than ``max_change_fraction`` of
  the managed RRsets (counted only when at least :data:`MIN_MANAGED` are managed) is refused
  (octoDNS's ``raise_if_unsafe`` idea).
- **Self-partition**: when every canary fails, or more than ``max_unhealthy_fraction`` of all
  endpoints (at least :data:`MIN_MANAGED`) turned unhealthy within one detection window, the
  controller is more likely cut
  off than the endpoints down: removals are frozen, additions of endpoints that are healthy
  now still go through.
- **Hold-down**: an RRset changed less than ``hold_down_seconds`` ago is not changed again,
  unless the change publishes more endpoints than are published now.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from failover_sync.model import (
    Change,
    DesiredRecord,
    EndpointHealth,
    ProbeTarget,
    RecordKey,
    ZonePlan,
    sorted_values,
)

MIN_MANAGED = 4
"""The blast-radius brake counts only when at least this many RRsets are managed, and the
unhealthy-fraction rule only when at least this many endpoints are probed: with fewer, one
failover is already a large fraction, and all of two endpoints failing is a plausible real
outage (``publish_all`` then fails open, as Route 53 does). Canaries cover small configs."""

_UNKNOWN = EndpointHealth(False, "not probed yet")


def removes_endpoints(change: Change) -> bool:
    """True when ``change`` takes at least one value out of the RRset."""
    return bool(set(change.before) - set(change.after))


def blast_radius(changes: Collection[Change], managed: int, max_fraction: float) -> str | None:
    """Why a plan with ``changes`` over ``managed`` RRsets is too large, or None if it is not.

    ``max_fraction`` is in 0..1; the message names the counts and the way out (``--force``).
    """
    if managed < MIN_MANAGED:
        return None
    removing = sum(1 for c in changes if removes_endpoints(c))
    if removing / managed <= max_fraction:
        return None
    return (
        f"the plan removes endpoints from {removing} of {managed} managed RRsets "
        f"({removing / managed:.0%}), above max_change_fraction {max_fraction:g}; "
        "review it and apply with --force"
    )


def restores_endpoints(change: Change) -> bool:
    """True when ``change`` publishes more values than are live (a recovery)."""
    return len(set(change.after)) > len(set(change.before))


def hold_down(
    zone_plan: ZonePlan,
    records: Sequence[DesiredRecord],
    last_changed: Mapping[RecordKey, float],
    now: float,
) -> tuple[ZonePlan, tuple[Change, ...]]:
    """Hold back the changes of RRsets changed less than their ``hold_down_seconds`` before
    ``now``, unless they restore endpoints; returns the plan and the held changes (counted as
    unchanged). A new RRset (``before`` empty) is never held."""
    by_key = {r.key: r for r in records}
    kept: list[Change] = []
    held: list[Change] = []
    for change in zone_plan.changes:
        record = by_key.get(change.key)
        since = last_changed.get(change.key)
        if (
            record is not None
            and since is not None
            and change.before
            and now - since < record.hold_down_seconds
            and not restores_endpoints(change)
        ):
            held.append(change)
        else:
            kept.append(change)
    if not held:
        return zone_plan, ()
    unchanged = zone_plan.unchanged + len(held)
    return replace(zone_plan, changes=tuple(kept), unchanged=unchanged), tuple(held)


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
    not exist yet."""
    by_key = {r.key: r for r in records}
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
        if record.type == "CNAME":
            after = change.after if not change.before and added else change.before
        else:
            after = sorted_values([*change.before, *added])
        if after == change.before:
            dropped += 1
            continue
        weights = change.weights
        if weights:
            by_value = {e.value: e.weight for e in record.endpoints}
            weights = tuple((v, by_value.get(v, 1)) for v in after)
        reason = f"{change.reason}; removals frozen ({why})"
        kept.append(replace(change, after=after, weights=weights, reason=reason))
    if tuple(kept) == zone_plan.changes:
        return zone_plan
    if all(c.key not in by_key for c in kept):
        kept = []  # markers alone are not worth a write
    unchanged = zone_plan.unchanged + dropped
    return replace(zone_plan, changes=tuple(kept), unchanged=unchanged)


class PartitionDetector:
    """Decides whether this controller, not its endpoints, is cut off.

    ``endpoints`` are the probe targets of every managed record, ``canaries`` the targets that
    should always answer; ``window_seconds`` is one detection window (the longest
    ``detection_seconds`` of the endpoints). Times are seconds of one monotonic clock.
    """

    def __init__(
        self,
        endpoints: Collection[ProbeTarget],
        canaries: Collection[ProbeTarget],
        max_unhealthy_fraction: float,
    ) -> None:
        self.endpoints = frozenset(endpoints)
        self.canaries = frozenset(canaries)
        self.max_unhealthy_fraction = max_unhealthy_fraction
        self.window_seconds = max((t.check.detection_seconds for t in self.endpoints), default=0)
        self._down_at: dict[ProbeTarget, float] = {}
        self._burst = False

    def observe(self, target: ProbeTarget, healthy: bool, now: float) -> None:
        """Note a health transition of ``target`` at ``now``."""
        if healthy:
            self._down_at.pop(target, None)
        else:
            self._down_at[target] = now

    def evaluate(
        self,
        health: Mapping[ProbeTarget, EndpointHealth],
        now: float,
        failing: Collection[ProbeTarget] = (),
    ) -> str | None:
        """Why removals must be frozen now, or None.

        ``failing`` are the targets still healthy but in a failing streak (a failed probe
        since their last success). They count as suspects: when the controller is cut off,
        the first endpoint turns unhealthy while the others are one probe short of it
        (their probes are staggered within one interval), and waiting for them would let
        that first removal through. A canary in a failing streak counts as failing.

        A burst (more than the fraction of endpoints turned unhealthy within one window, or
        in a failing streak) keeps the freeze until the unhealthy fraction is back at or
        below ``max_unhealthy_fraction``, so that a partition that lasts longer than one
        window never releases the removals; a streak that ends in a success clears it.
        """
        reasons: list[str] = []
        suspect = set(failing)
        if self.canaries and not any(
            health.get(c, _UNKNOWN).healthy and c not in suspect for c in self.canaries
        ):
            reasons.append(f"all {len(self.canaries)} canaries fail")
        total = len(self.endpoints)
        if total >= MIN_MANAGED:
            unhealthy = [t for t in self.endpoints if not health.get(t, _UNKNOWN).healthy]
            recent = [
                t
                for t in unhealthy
                if t in self._down_at and now - self._down_at[t] <= self.window_seconds
            ]
            streaks = len(suspect & self.endpoints)
            limit = self.max_unhealthy_fraction
            if (len(recent) + streaks) / total > limit:
                self._burst = True
            elif (len(unhealthy) + streaks) / total <= limit:
                self._burst = False
            if self._burst:
                reasons.append(
                    f"{len(unhealthy)} of {total} endpoints unhealthy and {streaks} failing, "
                    f"within {self.window_seconds:g} s (max_unhealthy_fraction {limit:g})"
                )
        return "; ".join(reasons) or None

"""The controller's safety layer: ownership, brakes and hold-down between plan and write.

:class:`Safety` is what the controller consults (see :mod:`failover_sync.controller.controller`)::

    planner.plan_zone -> guard(): ownership conflicts -> hold-down -> partition freeze
                                  -> ownership markers for the first writes
                      -> refuse(): blast radius (unless --force) -> provider.apply
                      -> applied(): remember when each RRset changed (for hold-down)

The pure rules live in :mod:`failover_sync.plan.ownership` and
:mod:`failover_sync.plan.brakes`; this class keeps the little state they need (the last change
per RRset, the partition detector, which zones are frozen) and logs each brake when it engages
and when it clears. The module also builds a Safety from a config (:func:`safety_for`) and
decides whether a one-shot ``apply`` may write (:func:`apply_refusal`: checksum and blast
radius). ``canaries:`` are resolved by :func:`failover_sync.config.records.canaries`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from failover_sync.logs import event
from failover_sync.model import (
    Conflict,
    DesiredRecord,
    EndpointHealth,
    Plan,
    ProbeTarget,
    RecordKey,
    RRset,
    Zone,
    ZonePlan,
)
from failover_sync.plan import brakes, ownership

if TYPE_CHECKING:
    from failover_sync.config.loader import Config


@dataclass
class Safety:
    """Safety settings and state of one controller.

    ``owner_id`` is written into ownership markers (``None`` turns ownership off, for tests of
    the bare loop); ``adopt`` takes over RRsets with unknown live values; ``force`` lifts the
    blast-radius brake. Fractions are in 0..1. ``clock`` returns monotonic seconds.
    """

    owner_id: str | None = "default"
    adopt: bool = False
    force: bool = False
    max_change_fraction: float = 0.5
    max_unhealthy_fraction: float = 0.5
    canaries: tuple[ProbeTarget, ...] = ()
    clock: Callable[[], float] = time.monotonic
    last_changed: dict[RecordKey, float] = field(default_factory=dict)
    frozen_zones: dict[str, str] = field(default_factory=dict)
    removals_frozen: dict[str, str] = field(default_factory=dict)
    on_freeze: list[Callable[[Zone, bool, str], None]] = field(default_factory=list)
    detector: brakes.PartitionDetector | None = None
    logged_conflicts: set[Conflict] = field(default_factory=set)
    claimed: set[RecordKey] = field(default_factory=set)

    def bind(self, desired: Mapping[Zone, Sequence[DesiredRecord]]) -> None:
        """Learn the endpoints of every managed record (the partition detector counts them)."""
        endpoints = {e.target for records in desired.values() for r in records for e in r.endpoints}
        self.detector = brakes.PartitionDetector(
            endpoints, self.canaries, self.max_unhealthy_fraction
        )

    def read_keys(self, records: Sequence[DesiredRecord]) -> list[RecordKey]:
        """Extra keys to read beside the managed RRsets (ownership markers)."""
        return ownership.read_keys(records) if self.owner_id is not None else []

    def wants_replan(self, ok: bool) -> bool:
        """True when a probe result may release frozen removals: a success, while frozen,
        may end the failing streak that held them (no transition reconciles it)."""
        return ok and bool(self.removals_frozen)

    def observe(self, target: ProbeTarget, healthy: bool) -> None:
        """A health transition of ``target`` (endpoint or canary), now."""
        if self.detector is not None:
            self.detector.observe(target, healthy, self.clock())

    def guard(
        self,
        zone_plan: ZonePlan,
        records: Sequence[DesiredRecord],
        live: Mapping[RecordKey, RRset],
        health: Mapping[ProbeTarget, EndpointHealth],
        failing: Collection[ProbeTarget] = (),
    ) -> ZonePlan:
        """Apply ownership, hold-down and the partition freeze to a fresh zone plan;
        ``failing`` are the healthy targets in a failing streak (see PartitionDetector)."""
        now = self.clock()
        if self.owner_id is not None:
            for record in records:  # seen holding only configured values: ours from now on
                rrset = live.get(record.key)
                if (
                    rrset is not None
                    and not ownership.foreign_values(record, rrset)
                    and ownership.owner_conflict(record, live, self.owner_id) is None
                ):
                    self.claimed.add(record.key)
            zone_plan = ownership.guard(
                zone_plan,
                records,
                live,
                self.owner_id,
                adopt=self.adopt,
                claimed=frozenset(self.claimed),
            )
        zone_plan, held = brakes.hold_down(zone_plan, records, self.last_changed, now)
        for change in held:
            event(
                logging.INFO,
                "change_held",
                zone=zone_plan.zone.name,
                record=change.name,
                type=change.type,
                after=list(change.after),
                reason="hold_down_seconds since the last change",
            )
        why = self.detector.evaluate(health, now, failing) if self.detector else None
        zone = zone_plan.zone
        if why != self.removals_frozen.get(zone.name):
            if why is not None:
                event(logging.ERROR, "removals_frozen", zone=zone.name, reason=why)
                self.removals_frozen[zone.name] = why
                self._tell(zone, True, f"removals frozen: {why}")
            else:
                event(logging.WARNING, "removals_resumed", zone=zone.name)
                del self.removals_frozen[zone.name]
                self._tell(zone, zone.name in self.frozen_zones, "removals resumed")
        if why is not None:
            zone_plan = brakes.freeze_removals(zone_plan, records, health, why, failing)
        if self.owner_id is not None:
            zone_plan = ownership.with_markers(zone_plan, records, live, self.owner_id)
        # Each conflict is logged once (not at every resync); it stays visible in every plan.
        for conflict in set(zone_plan.conflicts) - self.logged_conflicts:
            self.logged_conflicts.add(conflict)
            event(
                logging.WARNING,
                "ownership_conflict",
                zone=zone_plan.zone.name,
                record=conflict.name,
                type=conflict.type,
                reason=conflict.reason,
            )
        return zone_plan

    def refuse(self, zone_plan: ZonePlan, managed: int) -> str | None:
        """Why writing ``zone_plan`` (of a zone with ``managed`` RRsets) is refused, or None;
        logs ``writes_frozen`` once when the brake engages and ``writes_unfrozen`` when it
        clears."""
        zone = zone_plan.zone
        why = None
        if not self.force:
            why = brakes.blast_radius(zone_plan.changes, managed, self.max_change_fraction)
        if why is not None and zone.name not in self.frozen_zones:
            event(logging.ERROR, "writes_frozen", zone=zone.name, reason=why)
            self.frozen_zones[zone.name] = why
            self._tell(zone, True, f"writes frozen: {why}")
        elif why is None and self.frozen_zones.pop(zone.name, None) is not None:
            event(logging.WARNING, "writes_unfrozen", zone=zone.name)
            self._tell(zone, zone.name in self.removals_frozen, "writes unfrozen")
        return why

    def _tell(self, zone: Zone, frozen: bool, reason: str) -> None:
        """Report a brake engaging or releasing (``frozen``: is a brake still holding)."""
        for callback in self.on_freeze:
            callback(zone, frozen, reason)

    def applied(self, zone_plan: ZonePlan) -> None:
        """Remember that the changes of ``zone_plan`` were written now."""
        now = self.clock()
        for change in zone_plan.changes:
            self.last_changed[change.key] = now


def safety_for(config: Config, *, adopt: bool = False, force: bool = False) -> Safety:
    """The Safety of a loaded config, with the ``--adopt`` and ``--force`` flags."""
    return Safety(
        owner_id=config.owner_id,
        adopt=adopt,
        force=force,
        max_change_fraction=config.max_change_fraction,
        max_unhealthy_fraction=config.max_unhealthy_fraction,
        canaries=config.canaries,
    )


def apply_refusal(
    plan: Plan, config: Config, *, checksum: str | None = None, force: bool = False
) -> str | None:
    """Why a one-shot ``apply`` of ``plan`` must not write, or None.

    ``checksum`` is the reviewed plan's (``plan -o json``); the blast-radius brake counts the
    whole plan against every managed RRset of the config, unless ``force``.
    """
    from failover_sync.cli.render import plan_checksum  # render is the CLI's layer, not the loop's

    if checksum is not None:
        actual = plan_checksum(plan)
        if actual != checksum.strip().lower():
            return (
                f"the plan changed since it was reviewed (checksum {actual}, expected {checksum})"
            )
    if force:
        return None
    changes = [c for zp in plan.zones for c in zp.changes]
    return brakes.blast_radius(changes, len(config.records), config.max_change_fraction)

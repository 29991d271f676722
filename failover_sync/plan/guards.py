"""The guard chain between the planner and a write: ownership, hold-down, partition freeze,
blast radius, then the ownership markers of first writes.

Each guard takes a zone plan and its :class:`GuardContext` (the zone's records, live RRsets,
verdicts and clock reading, all passed in as values) and returns a :class:`GuardResult`: the
plan it lets through, a refusal (nothing of the plan is written), notes on brakes that engage
or release, and the moment at which the zone should be planned again (a hold-down expiring).
The rules are the pure functions of :mod:`~failover_sync.plan.ownership`,
:mod:`~failover_sync.plan.brakes` and :mod:`~failover_sync.plan.partition`; the guards keep
only the little state those rules need (claimed RRsets, when each RRset last changed, the
partition detector, which brakes hold), explicitly and per instance. No guards is an empty
chain. Every verb (``plan``, ``apply``, ``run --once``, ``run``) runs the same chain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from failover_sync.model import (
    Change,
    DesiredRecord,
    EndpointHealth,
    ProbeTarget,
    RecordKey,
    RRset,
    Zone,
    ZonePlan,
)
from failover_sync.plan import brakes, ownership
from failover_sync.plan.partition import PartitionDetector


@dataclass(frozen=True, slots=True)
class GuardContext:
    """What the guards see of one zone at one moment.

    ``failing``: targets still healthy but in a failing streak; ``answering``: targets whose
    latest probe passed (drained endpoints excluded); ``source_frozen``: why the verdict
    source freezes removals (a cluster below quorum), or None; ``now``: monotonic seconds.
    """

    zone: Zone
    records: Sequence[DesiredRecord]
    live: Mapping[RecordKey, RRset]
    health: Mapping[ProbeTarget, EndpointHealth]
    now: float
    failing: frozenset[ProbeTarget] = frozenset()
    answering: frozenset[ProbeTarget] = frozenset()
    source_frozen: str | None = None


@dataclass(frozen=True, slots=True)
class BrakeNote:
    """A brake engaged (``engaged``) or released for ``zone``, with why."""

    brake: str
    zone: Zone
    engaged: bool
    reason: str


@dataclass(frozen=True, slots=True)
class GuardResult:
    """A guard's verdict: the ``plan`` let through, a ``refused`` reason (write nothing),
    brake ``notes``, held changes, and ``wake_at`` (monotonic seconds) to plan again."""

    plan: ZonePlan
    refused: str | None = None
    notes: tuple[BrakeNote, ...] = ()
    held: tuple[Change, ...] = ()
    wake_at: float | None = None


class Guard:
    """Base of the guards: :meth:`check` a plan; :meth:`applied` hears of each write."""

    name = "guard"

    def check(self, plan: ZonePlan, ctx: GuardContext) -> GuardResult:
        """Return what of ``plan`` may go on (the default lets everything through)."""
        return GuardResult(plan)

    def applied(self, plan: ZonePlan, now: float) -> None:
        """``plan`` was written at ``now`` (monotonic seconds)."""

    def observe(self, target: ProbeTarget, health: EndpointHealth, now: float) -> None:
        """``target``'s verdict changed to ``health`` at ``now``."""

    def probe(self, target: ProbeTarget, failing: bool) -> None:
        """A probe of ``target`` ended; ``failing``: healthy but in a failing streak."""

    def seed(self, unhealthy: Sequence[ProbeTarget]) -> None:
        """Targets unhealthy from the start (presumed from the live DNS)."""


@dataclass
class OwnershipGuard(Guard):
    """Withholds RRsets that another owner holds (see :mod:`~failover_sync.plan.ownership`).

    ``claimed`` grows with every RRset seen holding only configured values: from then on a
    foreign value there is drift to repair, not someone else's record.
    """

    owner_id: str
    adopt: bool = False
    claimed: set[RecordKey] = field(default_factory=set)
    name = "ownership"

    def check(self, plan: ZonePlan, ctx: GuardContext) -> GuardResult:
        owners = ownership.owner_conflicts(ctx.records, ctx.live, self.owner_id)
        claimed = self.claimed
        for record in ctx.records:
            key = record.key
            if key in claimed or key in owners:  # a claim is for good: check it once
                continue
            rrset = ctx.live.get(key)
            if rrset is not None and not ownership.foreign_values(record, rrset):
                claimed.add(key)
        guarded = ownership.guard(
            plan,
            ctx.records,
            ctx.live,
            self.owner_id,
            adopt=self.adopt,
            claimed=claimed,
            owners=owners,
        )
        return GuardResult(guarded)


@dataclass
class HoldDownGuard(Guard):
    """Flap damping: ``last_changed`` maps each RRset to the moment it was last written."""

    last_changed: dict[RecordKey, float] = field(default_factory=dict)
    name = "hold_down"

    def check(self, plan: ZonePlan, ctx: GuardContext) -> GuardResult:
        kept, held = brakes.hold_down(plan, ctx.records, self.last_changed, ctx.now)
        wake = brakes.hold_expiry(held, ctx.records, self.last_changed)
        return GuardResult(kept, held=held, wake_at=wake)

    def applied(self, plan: ZonePlan, now: float) -> None:
        for change in plan.changes:
            self.last_changed[change.key] = now


@dataclass
class PartitionGuard(Guard):
    """Freezes removals while this controller seems cut off (or its verdict source says
    so), and keeps endpoints that answer: see :mod:`~failover_sync.plan.partition`."""

    detector: PartitionDetector
    frozen: dict[str, str] = field(default_factory=dict)
    name = "partition"

    def check(self, plan: ZonePlan, ctx: GuardContext) -> GuardResult:
        why = ctx.source_frozen or self.detector.evaluate(ctx.health, ctx.now, ctx.failing)
        notes: tuple[BrakeNote, ...] = ()
        zone = ctx.zone.name
        if why is not None and zone not in self.frozen:
            notes = (BrakeNote(self.name, ctx.zone, True, f"removals frozen: {why}"),)
        elif why is None and zone in self.frozen:
            del self.frozen[zone]
            notes = (BrakeNote(self.name, ctx.zone, False, "removals resumed"),)
        if why is not None:
            self.frozen[zone] = why  # the reason's counts change; the brake was noted once
            plan = brakes.freeze_removals(plan, ctx.records, ctx.health, why, ctx.failing)
        else:
            plan = brakes.keep_answering(plan, ctx.records, ctx.health, ctx.answering)
        return GuardResult(plan, notes=notes)

    def observe(self, target: ProbeTarget, health: EndpointHealth, now: float) -> None:
        self.detector.observe(target, health.healthy, now)

    def probe(self, target: ProbeTarget, failing: bool) -> None:
        self.detector.probe(target, failing)

    def seed(self, unhealthy: Sequence[ProbeTarget]) -> None:
        self.detector.seed(unhealthy)


@dataclass
class BlastRadiusGuard(Guard):
    """Refuses a plan that removes more than ``max_fraction`` of the zone's distinct
    endpoints at once, unless ``force``."""

    max_fraction: float = 0.5
    force: bool = False
    frozen: dict[str, str] = field(default_factory=dict)
    name = "blast_radius"

    def check(self, plan: ZonePlan, ctx: GuardContext) -> GuardResult:
        why = None
        if not self.force:
            why = brakes.blast_radius(plan.changes, ctx.records, self.max_fraction)
        zone = ctx.zone.name
        notes: tuple[BrakeNote, ...] = ()
        if why is not None and zone not in self.frozen:
            self.frozen[zone] = why
            notes = (BrakeNote(self.name, ctx.zone, True, f"writes frozen: {why}"),)
        elif why is None and self.frozen.pop(zone, None) is not None:
            notes = (BrakeNote(self.name, ctx.zone, False, "writes unfrozen"),)
        return GuardResult(plan, refused=why, notes=notes)


@dataclass
class MarkerGuard(Guard):
    """Adds the ownership marker TXT changes that the plan's first writes need, in the same
    change batch (so an all-or-nothing provider never holds an owned RRset unmarked)."""

    owner_id: str
    name = "markers"

    def check(self, plan: ZonePlan, ctx: GuardContext) -> GuardResult:
        return GuardResult(ownership.with_markers(plan, ctx.records, ctx.live, self.owner_id))


@dataclass
class GuardChain:
    """Guards run in order; a refusal stops the chain (the plan is shown, never written)."""

    guards: Sequence[Guard] = ()

    def read_keys(self, records: Sequence[DesiredRecord]) -> list[RecordKey]:
        """Extra keys to read beside the managed RRsets (ownership markers)."""
        if any(isinstance(g, OwnershipGuard | MarkerGuard) for g in self.guards):
            return ownership.read_keys(records)
        return []

    def check(self, plan: ZonePlan, ctx: GuardContext) -> GuardResult:
        """Run every guard over ``plan``; notes and the earliest ``wake_at`` are merged."""
        notes: list[BrakeNote] = []
        held: list[Change] = []
        wakes: list[float] = []
        for guard in self.guards:
            result = guard.check(plan, ctx)
            plan = result.plan
            notes += result.notes
            held += result.held
            if result.wake_at is not None:
                wakes.append(result.wake_at)
            if result.refused is not None:
                break
        else:
            result = GuardResult(plan)
        wake = min(wakes, default=None)
        return GuardResult(plan, result.refused, tuple(notes), tuple(held), wake)

    def applied(self, plan: ZonePlan, now: float) -> None:
        """Tell every guard that ``plan`` was written at ``now``."""
        for guard in self.guards:
            guard.applied(plan, now)

    def observe(self, target: ProbeTarget, health: EndpointHealth, now: float) -> None:
        """Tell every guard of a verdict change."""
        for guard in self.guards:
            guard.observe(target, health, now)

    def probe(self, target: ProbeTarget, failing: bool) -> None:
        """Tell every guard of a probe result (``failing``: healthy in a failing streak)."""
        for guard in self._probe_listeners:
            guard.probe(target, failing)

    def seed(self, unhealthy: Sequence[ProbeTarget]) -> None:
        """Tell every guard which targets start unhealthy."""
        for guard in self.guards:
            guard.seed(unhealthy)

    def __post_init__(self) -> None:
        # probe() runs for every probe result: keep it to the guards that listen
        self._probe_listeners = tuple(g for g in self.guards if isinstance(g, PartitionGuard))

    def frozen(self) -> dict[str, str]:
        """Zone name -> why a brake holds it now (for status and metrics)."""
        out: dict[str, str] = {}
        for guard in self.guards:
            state = getattr(guard, "frozen", None)
            if isinstance(state, dict):
                for zone, why in state.items():
                    out.setdefault(zone, why)
        return out


def standard_chain(
    *,
    owner_id: str | None,
    endpoints: Sequence[ProbeTarget],
    canaries: Sequence[ProbeTarget] = (),
    adopt: bool = False,
    force: bool = False,
    max_change_fraction: float = 0.5,
    max_unhealthy_fraction: float = 0.5,
) -> GuardChain:
    """The chain every verb runs: ownership (unless ``owner_id`` is None), hold-down,
    partition freeze, blast radius (``force`` lifts it), markers."""
    guards: list[Guard] = []
    if owner_id is not None:
        guards.append(OwnershipGuard(owner_id, adopt))
    guards.append(HoldDownGuard())
    detector = PartitionDetector(endpoints, canaries, max_unhealthy_fraction)
    guards.append(PartitionGuard(detector))
    guards.append(BlastRadiusGuard(max_change_fraction, force))
    if owner_id is not None:
        guards.append(MarkerGuard(owner_id))
    return GuardChain(tuple(guards))

"""The one reconcile path of every verb: read -> plan -> guards -> fence -> apply -> record.

``plan`` runs it without writing, ``apply`` with the reviewed plan as the expectation (a
fresh plan that differs is not written), ``run --once`` and ``run`` with writes and retries.
One zone's reconcile passes through, in order:

1. :meth:`Reconciler.read`: the adapter's ``list_rrsets`` for the managed RRsets, their
   ownership markers and the fence's keys (``ProviderCalled`` event);
2. :func:`failover_sync.plan.planner.plan_zone` with the zone's verdicts (pure);
3. the guard chain (:mod:`failover_sync.plan.guards`): ownership, hold-down, partition,
   blast radius, markers; brake notes become ``BrakeChanged`` events;
4. the write fence of the cluster mode, if any (:mod:`failover_sync.controller.seams`);
5. :meth:`Reconciler.write`: batches of at most ``capabilities.max_batch`` RRsets, each
   managed RRset with its marker; a permanent per-record rejection splits the batch so the
   rest of the zone still fails over (``WriteRejected``), as external-dns falls back to
   per-record changes;
6. the guards hear of the write (hold-down clocks); ``ZoneReconciled`` or ``ReconcileFailed``.

Transient errors are retried by :class:`~failover_sync.provider.retry.RetryPolicy` around the
whole attempt, so a compare-and-swap refusal (:class:`~failover_sync.provider.kit.StaleRRsetError`)
re-reads and plans again; reads inside an attempt are never retried on their own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from failover_sync.controller.batching import batches, groups_of
from failover_sync.controller.events import (
    ApplyFinished,
    BrakeChanged,
    ConflictFound,
    EventBus,
    ForeignWrite,
    ProviderCalled,
    ReconcileFailed,
    WriteRejected,
    ZoneReconciled,
)
from failover_sync.controller.seams import WriteFence
from failover_sync.errors import ProviderError, TransientProviderError
from failover_sync.logs import event
from failover_sync.model import (
    Change,
    Conflict,
    DesiredRecord,
    EndpointHealth,
    ProbeTarget,
    RecordKey,
    RRset,
    Zone,
    ZonePlan,
)
from failover_sync.plan import planner
from failover_sync.plan.guards import GuardChain, GuardContext
from failover_sync.plan.ownership import MARKER_PREFIX
from failover_sync.provider.base import Provider
from failover_sync.provider.kit import StaleRRsetError
from failover_sync.provider.retry import RetryPolicy


@dataclass(frozen=True, slots=True)
class Inputs:
    """The verdicts one plan of a zone is made with (see GuardContext for the fields)."""

    health: Mapping[ProbeTarget, EndpointHealth]
    failing: frozenset[ProbeTarget] = frozenset()
    answering: frozenset[ProbeTarget] = frozenset()
    source_frozen: str | None = None


@dataclass(frozen=True, slots=True)
class ZoneOutcome:
    """What one reconcile of a zone did.

    ``plan`` is None when the zone could not be read (``error``). ``refused``: a brake (or a
    changed reviewed plan) stopped the write. ``rejected``: RRsets the provider refused
    while the rest was written. ``wake_at``: monotonic seconds at which to plan again.
    """

    zone: Zone
    plan: ZonePlan | None
    applied: bool = False
    error: ProviderError | None = None
    refused: str | None = None
    rejected: tuple[tuple[Change, ProviderError], ...] = ()
    wake_at: float | None = None
    health: Mapping[ProbeTarget, EndpointHealth] = field(default_factory=dict)
    live: Mapping[RecordKey, RRset] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the zone was read and nothing was refused, rejected or failed."""
        return self.error is None and self.refused is None and not self.rejected


@dataclass
class _Attempt:
    """What the last attempt of a reconcile saw (an attempt may be retried)."""

    live: Mapping[RecordKey, RRset] = field(default_factory=dict)
    inputs: Inputs = field(default_factory=lambda: Inputs({}))
    refused: str | None = None
    wake_at: float | None = None
    rejected: tuple[tuple[Change, ProviderError], ...] = ()
    standby: bool = False
    """The fence said this process may not write now (a standby vantage)."""

    def reset(
        self,
        live: Mapping[RecordKey, RRset],
        inputs: Inputs,
        refused: str | None,
        wake_at: float | None,
    ) -> None:
        self.live, self.inputs, self.refused, self.wake_at = live, inputs, refused, wake_at
        self.rejected = ()
        self.standby = False


class Reconciler:
    """Reads, plans, guards and writes zones; holds no verdicts (they come in as Inputs).

    ``desired`` maps each zone to its managed records; ``providers`` maps provider instance
    names to adapters. ``clock`` returns monotonic seconds.
    """

    def __init__(
        self,
        desired: Mapping[Zone, Sequence[DesiredRecord]],
        providers: Mapping[str, Provider],
        guards: GuardChain,
        *,
        bus: EventBus,
        retry: RetryPolicy,
        fence: WriteFence | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # tuples: the guards index each zone's records once (planner.index)
        self.desired = {zone: tuple(records) for zone, records in desired.items()}
        self.providers = providers
        self.guards = guards
        self.bus = bus
        self.retry = retry
        self.fence = fence
        self.clock = clock
        self.targets: dict[Zone, frozenset[ProbeTarget]] = {
            zone: frozenset(e.target for r in records for e in r.endpoints)
            for zone, records in desired.items()
        }
        self._keys: dict[Zone, list[RecordKey]] = {}
        self._written: dict[Zone, dict[RecordKey, tuple[str, ...]]] = {}
        self._conflicts: set[tuple[str, Conflict]] = set()

    def keys(self, zone: Zone) -> list[RecordKey]:
        """Every RRset read for ``zone``: managed ones, markers, the fence's."""
        keys = self._keys.get(zone)
        if keys is None:
            records = self.desired[zone]
            extra = list(self.fence.read_keys(zone)) if self.fence is not None else []
            keys = list(dict.fromkeys([*(r.key for r in records), *self.guards.read_keys(records)]))
            keys += [k for k in extra if k not in keys]
            self._keys[zone] = keys
        return keys

    async def read(self, zone: Zone, *, retry: bool = True) -> dict[RecordKey, RRset]:
        """The live RRsets of ``zone`` among :meth:`keys`; retried on transient errors unless
        the caller retries around it. Raises ProviderError."""
        provider = self.providers[zone.provider]
        keys = self.keys(zone)

        async def list_rrsets() -> Sequence[RRset]:
            self.bus.publish(ProviderCalled(zone, "list_rrsets"))
            return await provider.list_rrsets(zone, keys)

        rrsets = await (self.retry.call(list_rrsets) if retry else list_rrsets())
        live = {rr.key: rr for rr in rrsets}
        self._notice_foreign_writes(zone, live)
        return live

    def plan(
        self, zone: Zone, live: Mapping[RecordKey, RRset], inputs: Inputs
    ) -> tuple[ZonePlan, str | None, float | None]:
        """Plan ``zone`` from ``live`` and ``inputs`` and run the guards (no I/O): the plan,
        why it must not be written (or None), and when to plan again (or None)."""
        records = self.desired[zone]
        weights = self.providers[zone.provider].capabilities.weights
        zone_plan = planner.plan_zone(zone, records, inputs.health, live, weights=weights)
        ctx = GuardContext(
            zone,
            records,
            live,
            inputs.health,
            self.clock(),
            inputs.failing,
            inputs.answering,
            inputs.source_frozen,
        )
        result = self.guards.check(zone_plan, ctx)
        for note in result.notes:
            self.bus.publish(BrakeChanged(note.zone, note.brake, note.engaged, note.reason))
        for conflict in result.plan.conflicts:
            if (zone.name, conflict) not in self._conflicts:
                self._conflicts.add((zone.name, conflict))
                self.bus.publish(ConflictFound(zone, conflict))
        return result.plan, result.refused, result.wake_at

    async def reconcile(
        self,
        zone: Zone,
        inputs: Callable[[], Inputs],
        *,
        write: bool,
        expect: ZonePlan | None = None,
        retry: bool = True,
    ) -> ZoneOutcome:
        """Read, plan, guard and (with ``write``) apply ``zone``; never raises ProviderError.

        ``inputs`` is called once per attempt (a retried attempt plans with fresh verdicts).
        ``expect``: write only if the fresh plan equals this reviewed one. ``retry`` wraps
        the attempt in the retry policy (off for ``apply``: a refused compare-and-swap there
        stops at once with a clear message instead of sending the same change again).
        """
        seen = _Attempt()

        async def attempt() -> ZonePlan:
            live = await self.read(zone, retry=False)
            current = inputs()
            zone_plan, refused, wake = self.plan(zone, live, current)
            seen.reset(live, current, refused, wake)
            if expect is not None and refused is None and zone_plan.changes != expect.changes:
                seen.refused = (
                    "the live RRsets or the verdicts changed since the plan was shown: "
                    "nothing was written; run the command again to review the new plan"
                )
                return zone_plan
            if write and refused is None and zone_plan.changes:
                if self.fence is not None and not self.fence.may_write():
                    seen.standby = True  # plans like the leader, never writes
                    return zone_plan
                zone_plan, seen.rejected = await self._fenced_write(zone, zone_plan, live)
            return zone_plan

        try:
            zone_plan = await (self.retry.call(attempt) if retry else attempt())
        except ProviderError as exc:
            error = exc
            if isinstance(exc, StaleRRsetError) and not retry:
                error = StaleRRsetError(
                    f"{exc}; nothing was written: the zone changed since it was read, "
                    "run the command again to review the new plan",
                    provider=exc.provider,
                    zone=exc.zone,
                )
            self.bus.publish(ReconcileFailed(zone, error))
            wake = None
            if isinstance(error, TransientProviderError) and error.retry_after is not None:
                wake = self.clock() + error.retry_after
            return ZoneOutcome(zone, None, error=error, wake_at=wake)
        applied = write and seen.refused is None and not seen.standby and bool(zone_plan.changes)
        health = seen.inputs.health
        self.bus.publish(ZoneReconciled(zone, zone_plan, applied, health, seen.refused))
        return ZoneOutcome(
            zone,
            zone_plan,
            applied,
            None,
            seen.refused,
            seen.rejected,
            seen.wake_at,
            health,
            seen.live,
        )

    async def _fenced_write(
        self, zone: Zone, zone_plan: ZonePlan, live: Mapping[RecordKey, RRset]
    ) -> tuple[ZonePlan, tuple[tuple[Change, ProviderError], ...]]:
        if self.fence is not None:
            zone_plan = await self.fence.fence(zone, zone_plan, live)
        rejected = await self.write(zone, zone_plan.changes)
        self.guards.applied(zone_plan, self.clock())
        written = self._written.setdefault(zone, {})
        refused = {c.key for c, _ in rejected}
        for change in zone_plan.changes:
            if change.key not in refused:
                written[change.key] = change.after
        return zone_plan, rejected

    async def write(
        self, zone: Zone, changes: Sequence[Change]
    ) -> tuple[tuple[Change, ProviderError], ...]:
        """Apply ``changes`` in batches; return the changes refused permanently while others
        went through. Raises ProviderError when nothing could be written, or transiently."""
        provider = self.providers[zone.provider]
        unsupported = sorted({c.type for c in changes} - provider.capabilities.record_types)
        if unsupported:
            raise ProviderError(
                f"provider {zone.provider!r} does not support record type {', '.join(unsupported)}",
                provider=zone.provider,
                zone=zone.name,
            )
        rejected: list[tuple[Change, ProviderError]] = []
        written = 0
        first: ProviderError | None = None
        for batch in batches(changes, provider.capabilities.max_batch):
            try:
                await self._apply(zone, batch)
                written += 1
                continue
            except TransientProviderError:
                raise
            except ProviderError as exc:
                first = first or exc
                groups = groups_of(batch)
                if len(groups) == 1:
                    rejected += [(c, exc) for c in batch]
                    continue
                event(
                    logging.WARNING,
                    "batch_rejected",
                    zone=zone.name,
                    provider=zone.provider,
                    error=str(exc),
                    kind="permanent",
                    action=f"retrying as {len(groups)} changes, one per RRset",
                )
            for group in groups:  # split: find the RRsets the provider refuses
                try:
                    await self._apply(zone, group)
                    written += 1
                except TransientProviderError:
                    raise
                except ProviderError as refusal:
                    rejected += [(c, refusal) for c in group]
        if rejected and not written and first is not None:
            raise first
        for change, why in rejected:
            if not change.name.startswith(MARKER_PREFIX):
                self.bus.publish(WriteRejected(zone, change, why))
        return tuple(rejected)

    async def _apply(self, zone: Zone, changes: Sequence[Change]) -> None:
        self.bus.publish(ProviderCalled(zone, "apply"))
        started = time.monotonic()
        try:
            await self.providers[zone.provider].apply(zone, changes)
        except ProviderError as exc:
            self.bus.publish(ApplyFinished(zone, time.monotonic() - started, exc))
            raise
        self.bus.publish(ApplyFinished(zone, time.monotonic() - started, None))

    def _notice_foreign_writes(self, zone: Zone, live: Mapping[RecordKey, RRset]) -> None:
        written = self._written.get(zone)
        if not written:
            return
        for key, values in list(written.items()):
            rrset = live.get(key)
            now = rrset.values if rrset is not None else ()
            if now != values:
                del written[key]  # report once; our next write of it re-arms
                self.bus.publish(ForeignWrite(zone, key[0], key[1], now))

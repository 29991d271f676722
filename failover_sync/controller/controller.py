"""The controller: probe on schedule, decide health, plan on change, apply.

Lifecycle of ``run``::

    read live RRsets -> presume health (published = healthy) -> settle (one-shot probing)
    -> reconcile every zone -> loop: fixed-rate probes per target  ─┐
                                     zone worker per zone  <─ health transition (at once)
                                                           <─ resync every resync_seconds

One-shot commands (``plan``, ``apply``, ``run --once``) stop after the first reconcile. The
live DNS is the only state: a restarted controller presumes what is published and changes
nothing until probes say otherwise. Provider errors never end the loop: transient ones are
retried by :class:`~failover_sync.provider.base.RetryPolicy` around the whole read-plan-write
attempt (so a compare-and-swap conflict re-reads), permanent ones are logged and the zone is
tried again at the next transition or resync.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from failover_sync.controller.events import ControllerListener, emit
from failover_sync.errors import ProviderError, TransientProviderError
from failover_sync.health.probes import Prober
from failover_sync.health.state import HealthState
from failover_sync.logs import event
from failover_sync.model import (
    Change,
    DesiredRecord,
    EndpointHealth,
    Plan,
    ProbeResult,
    ProbeTarget,
    RecordKey,
    RRset,
    Zone,
    ZonePlan,
)
from failover_sync.plan import planner
from failover_sync.plan.safety import Safety
from failover_sync.provider.base import Provider
from failover_sync.provider.retry import RetryPolicy

ProbeObserver = Callable[[ProbeTarget, ProbeResult, float], None]
"""Called after every loop probe with the result and the scheduling lateness in seconds."""


@dataclass
class ZoneOutcome:
    """What one reconcile of a zone did: the plan, whether it was applied, the error."""

    plan: ZonePlan | None
    applied: bool = False
    error: ProviderError | None = None
    refused: str | None = None


@dataclass
class Controller:
    """Holds the health states and runs probes and reconciles for one config.

    ``desired`` maps each zone to its managed records; ``providers`` maps provider instance
    names to adapters. ``dry_run`` is enforced here, in the core, never per provider.
    ``safety`` (ownership, brakes, hold-down; None: none of them) sits between plan and write.
    """

    desired: Mapping[Zone, Sequence[DesiredRecord]]
    providers: Mapping[str, Provider]
    prober: Prober
    dry_run: bool = False
    resync_seconds: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    probe_observers: list[ProbeObserver] = field(default_factory=list)
    listeners: list[ControllerListener] = field(default_factory=list)
    states: dict[ProbeTarget, HealthState] = field(default_factory=dict)
    ready: bool = False
    unreadable: set[Zone] = field(default_factory=set)
    _zones_of: dict[ProbeTarget, set[Zone]] = field(default_factory=dict)
    _records_of: dict[ProbeTarget, list[str]] = field(default_factory=dict)
    _dirty: dict[Zone, asyncio.Event] = field(default_factory=dict)
    safety: Safety | None = None

    def __post_init__(self) -> None:
        for zone, records in self.desired.items():
            for record in records:
                for endpoint in record.endpoints:
                    self._zones_of.setdefault(endpoint.target, set()).add(zone)
                    self._records_of.setdefault(endpoint.target, []).append(record.name)
        if self.safety is not None:
            self.safety.bind(self.desired)
            self.safety.on_freeze.append(
                lambda zone, frozen, reason: emit(self.listeners, "on_freeze", zone, frozen, reason)
            )
            # A canary's transition may freeze or release removals in every zone.
            for canary in self.safety.canaries:
                self._zones_of.setdefault(canary, set()).update(self.desired)

    def health(self) -> dict[ProbeTarget, EndpointHealth]:
        """Current verdict of every target."""
        return {target: state.snapshot() for target, state in self.states.items()}

    async def read_live(self, zone: Zone, *, retry: bool = True) -> dict[RecordKey, RRset]:
        """The live managed RRsets of ``zone``; retried on transient errors unless the caller
        already retries around it (``retry=False``), so that retries never nest."""
        keys = [r.key for r in self.desired[zone]]
        if self.safety is not None:
            keys += self.safety.read_keys(self.desired[zone])
        provider = self.providers[zone.provider]

        async def list_rrsets() -> Sequence[RRset]:
            emit(self.listeners, "on_provider_call", zone, "list_rrsets")
            return await provider.list_rrsets(zone, keys)

        rrsets = await (self.retry.call(list_rrsets) if retry else list_rrsets())
        return {rr.key: rr for rr in rrsets}

    async def _provider_apply(self, zone: Zone, changes: Sequence[Change]) -> None:
        """One adapter apply call, reported to the listeners with its duration and error."""
        emit(self.listeners, "on_provider_call", zone, "apply")
        started = time.monotonic()
        try:
            await self.providers[zone.provider].apply(zone, changes)
        except ProviderError as exc:
            emit(self.listeners, "on_apply", zone, time.monotonic() - started, exc)
            raise
        emit(self.listeners, "on_apply", zone, time.monotonic() - started, None)

    async def presume_health(self) -> None:
        """Create health states from the live DNS: published values are presumed healthy.

        A zone that cannot be read presumes its endpoints healthy, so that probes, not the
        outage of the provider, decide what is removed.
        """
        published: set[ProbeTarget] = set()
        unreadable: set[Zone] = set()
        for zone, records in self.desired.items():
            try:
                live = await self.read_live(zone)
            except ProviderError as exc:
                unreadable.add(zone)
                self._log_error("live_read_failed", zone, exc)
                continue
            for record in records:
                rrset = live.get(record.key)
                for endpoint in record.endpoints:
                    if rrset is not None and endpoint.value in rrset.values:
                        published.add(endpoint.target)
        self.unreadable = unreadable
        for target, zones in self._zones_of.items():
            healthy = target in published or bool(zones & unreadable)
            # Canaries start healthy, so that one failing probe streak, not start-up, freezes.
            healthy = healthy or (self.safety is not None and target in self.safety.canaries)
            reason = "presumed healthy: published" if healthy else "presumed unhealthy"
            self.states[target] = HealthState(
                failure_threshold=target.check.failure_threshold,
                success_threshold=target.check.success_threshold,
                healthy=healthy,
                reason=reason if target in published or not healthy else "presumed healthy",
            )

    async def settle(self) -> None:
        """Probe every target until its verdict is settled (one-shot semantics).

        Targets used only by zones that could not be read are skipped: their zones fail
        anyway, and a one-shot run should report that at once, not after the thresholds.
        """
        targets = [t for t in self.states if not self._zones_of[t] <= self.unreadable]
        await asyncio.gather(*(self._settle_one(t) for t in targets))

    async def _settle_one(self, target: ProbeTarget) -> None:
        state = self.states[target]
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        for _ in range(max(target.check.failure_threshold, target.check.success_threshold)):
            self._observe(target, await self._probe(target))
            if state.settled:
                return
            next_at += target.check.interval_seconds
            await asyncio.sleep(max(0.0, next_at - loop.time()))

    async def _probe(self, target: ProbeTarget) -> ProbeResult:
        """One probe that never raises: an unexpected error in a probe library must not end
        this target's schedule (its task would die silently), so it counts as a failure."""
        try:
            return await self.prober.probe(target)
        except Exception as exc:
            event(logging.ERROR, "probe_error", endpoint=str(target), error=repr(exc))
            return ProbeResult(False, 0.0, f"probe error: {type(exc).__name__}")

    def _observe(self, target: ProbeTarget, result: ProbeResult) -> None:
        state = self.states[target]
        transition = state.observe(result)
        if self.listeners:
            emit(self.listeners, "on_probe", target, result)
        if transition is None:
            if self.safety is not None and self.safety.wants_replan(result.ok):
                for zone_dirty in self._dirty.values():
                    zone_dirty.set()
            return
        if self.safety is not None:
            self.safety.observe(target, transition.healthy)
        name = "endpoint_healthy" if transition.healthy else "endpoint_unhealthy"
        level = logging.INFO if transition.healthy else logging.WARNING
        records = self._records_of.get(target, [])
        event(
            level,
            name,
            records=records,
            endpoint=str(target),
            value=target.value,
            reason=transition.reason,
        )
        health = EndpointHealth(transition.healthy, transition.reason)
        emit(self.listeners, "on_transition", target, health, records)
        for zone in self._zones_of.get(target, ()):
            dirty = self._dirty.get(zone)
            if dirty is not None:
                dirty.set()

    async def plan_zone(self, zone: Zone, *, retry: bool = True) -> ZonePlan:
        """Read the live RRsets of ``zone`` and plan it (no write)."""
        live = await self.read_live(zone, retry=retry)
        provider = self.providers[zone.provider]
        health = self.health()
        zone_plan = planner.plan_zone(
            zone,
            self.desired[zone],
            health,
            live,
            weights=provider.capabilities.weights,
        )
        if self.safety is not None:
            failing = {t for t, s in self.states.items() if s.healthy and s.failures}
            zone_plan = self.safety.guard(zone_plan, self.desired[zone], live, health, failing)
        return zone_plan

    async def plan(self) -> tuple[Plan, dict[Zone, ProviderError]]:
        """Plan every zone; zones whose live RRsets cannot be read are returned as errors."""
        plans: list[ZonePlan] = []
        errors: dict[Zone, ProviderError] = {}
        for zone in self.desired:
            try:
                plans.append(await self.plan_zone(zone))
            except ProviderError as exc:
                errors[zone] = exc
        plans.sort(key=lambda z: z.zone.name)
        return Plan(tuple(plans)), errors

    async def apply_plan(self, zone_plan: ZonePlan) -> None:
        """Apply a reviewed zone plan as it is (compare-and-swap providers check ``before``)."""
        if self.dry_run or not zone_plan.changes:
            return
        await self.retry.call(lambda: self._provider_apply(zone_plan.zone, zone_plan.changes))
        if self.safety is not None:
            self.safety.applied(zone_plan)
        self._log_changes(zone_plan, "change_applied")

    async def reconcile_zone(self, zone: Zone) -> ZoneOutcome:
        """Read, plan and (unless dry-run) apply ``zone``; never raises ProviderError."""

        refused: str | None = None

        async def attempt() -> ZonePlan:
            nonlocal refused
            zone_plan = await self.plan_zone(zone, retry=False)
            if self.safety is not None:
                refused = self.safety.refuse(zone_plan, len(self.desired[zone]))
            if zone_plan.changes and not self.dry_run and refused is None:
                await self._provider_apply(zone, zone_plan.changes)
                if self.safety is not None:
                    self.safety.applied(zone_plan)
            return zone_plan

        try:
            zone_plan = await self.retry.call(attempt)
        except ProviderError as exc:
            self._log_error("reconcile_failed", zone, exc)
            emit(self.listeners, "on_reconcile_failed", zone, exc)
            return ZoneOutcome(None, error=exc)
        if refused is not None:
            return ZoneOutcome(zone_plan, refused=refused)
        self._log_changes(zone_plan, "change_planned" if self.dry_run else "change_applied")
        applied = bool(zone_plan.changes) and not self.dry_run
        emit(self.listeners, "on_reconciled", zone, zone_plan, applied)
        return ZoneOutcome(zone_plan, applied=applied)

    def _log_changes(self, zone_plan: ZonePlan, name: str) -> None:
        for change in zone_plan.changes:
            event(
                logging.INFO,
                name,
                zone=zone_plan.zone.name,
                record=change.name,
                type=change.type,
                ttl=change.ttl,
                before=list(change.before),
                after=list(change.after),
                reason=change.reason,
            )

    def _log_error(self, name: str, zone: Zone, exc: ProviderError) -> None:
        kind = "transient" if isinstance(exc, TransientProviderError) else "permanent"
        event(
            logging.ERROR, name, zone=zone.name, provider=zone.provider, error=str(exc), kind=kind
        )

    async def once(self) -> list[ZoneOutcome]:
        """``run --once``: presume, settle, reconcile every zone."""
        await self.presume_health()
        await self.settle()
        return [await self.reconcile_zone(zone) for zone in self.desired]

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set; an apply in flight finishes before this returns."""
        self._dirty = {zone: asyncio.Event() for zone in self.desired}
        await self.once()
        # Config, targets and health states live as long as the process: move them out of
        # the collector's reach so that full passes stay short (bench/probe_scale.py: a full
        # pass over 10,000 targets stalled the loop for ~140 ms; ~80 ms after freezing).
        gc.collect()
        gc.freeze()
        self.ready = True
        event(logging.INFO, "controller_ready", zones=len(self.desired), targets=len(self.states))
        emit(self.listeners, "on_ready", self.health(), self._records_of)
        probes = self.start_probe_loops()
        workers = [asyncio.create_task(self._zone_worker(z, stop)) for z in self.desired]
        try:
            await stop.wait()
        finally:
            for task in probes:
                task.cancel()
            for dirty in self._dirty.values():
                dirty.set()
            await asyncio.gather(*probes, return_exceptions=True)
            await asyncio.gather(*workers, return_exceptions=True)
            self.ready = False
            emit(self.listeners, "on_stopped")

    def start_probe_loops(self) -> list[asyncio.Task[None]]:
        """Start the fixed-rate probe loop of every target in ``states``; the caller cancels
        the tasks. ``run`` starts them after the first reconcile; ``bench/probe_scale.py``
        starts only them, to measure the schedule without zone workers."""
        return [asyncio.create_task(self._probe_loop(t)) for t in self.states]

    async def _probe_loop(self, target: ProbeTarget) -> None:
        """Fixed-rate probing with a start staggered by a stable hash of the target."""
        loop = asyncio.get_running_loop()
        interval = target.check.interval_seconds
        phase = (zlib.crc32(str(target).encode()) % 10_000) / 10_000
        next_at = loop.time() + interval * phase
        while True:
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            lateness = loop.time() - next_at
            result = await self._probe(target)
            self._observe(target, result)
            for observer in self.probe_observers:
                observer(target, result, lateness)
            next_at += interval
            now = loop.time()
            if next_at <= now:  # fell behind by a whole interval: skip, don't burst
                next_at += interval * ((now - next_at) // interval + 1)

    async def _zone_worker(self, zone: Zone, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        dirty = self._dirty[zone]
        next_resync = loop.time() + self.resync_seconds
        while not stop.is_set():
            try:
                async with asyncio.timeout(max(0.0, next_resync - loop.time())):
                    await dirty.wait()
            except TimeoutError:
                pass
            if stop.is_set():
                return
            dirty.clear()
            if loop.time() >= next_resync:
                next_resync = loop.time() + self.resync_seconds
            await asyncio.shield(self.reconcile_zone(zone))

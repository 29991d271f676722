"""The controller: probe on schedule, decide health, reconcile on change.

Lifecycle of ``run``::

    read live RRsets -> presume health (published = healthy) -> settle (one-shot probing)
    -> reconcile every zone -> loop: probe schedule (every target) ─┐
                                     zone worker per zone <─ health transition (at once)
                                                          <─ resync, retry, hold-down expiry

One-shot verbs (``plan``, ``apply``, ``run --once``) stop after the first reconcile, through
the same path (:mod:`failover_sync.controller.reconcile`). The live DNS is the only state: a
restarted controller presumes what is published and changes nothing until probes say
otherwise. Verdicts live in one :class:`~failover_sync.health.state.HealthBoard` and reach
each reconcile as values for that zone's targets only (O(records of the zone)). What happens
is published on :attr:`Controller.bus` as typed events.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence

from failover_sync.controller.events import (
    AllUnhealthyChanged,
    ControllerReady,
    ControllerStopped,
    EventBus,
    HealthChanged,
    ProbeCompleted,
)
from failover_sync.controller.logbook import Logbook
from failover_sync.controller.reconcile import Inputs, Reconciler, ZoneOutcome
from failover_sync.controller.schedule import ZoneWorker
from failover_sync.controller.seams import VerdictSource, WriteFence
from failover_sync.controller.status import status_data
from failover_sync.errors import ProviderError
from failover_sync.health.probes import Prober
from failover_sync.health.schedule import ProbeSchedule
from failover_sync.health.state import HealthBoard, HealthState
from failover_sync.logs import event
from failover_sync.model import (
    DesiredRecord,
    EndpointHealth,
    EndpointStatus,
    Plan,
    ProbeResult,
    ProbeTarget,
    Zone,
    ZonePlan,
)
from failover_sync.plan.guards import GuardChain
from failover_sync.provider.base import Provider
from failover_sync.provider.retry import RetryPolicy


class Controller:
    """Probes, verdicts and reconciles of one config.

    ``desired`` maps each zone to its managed records; ``providers`` maps provider instance
    names to adapters; ``guards`` is the chain every plan passes (empty: none). ``dry_run``
    is enforced here, in the core, never per provider. ``verdicts`` replaces the local board
    as the planner's verdict source and ``fence`` guards every write (the cluster mode);
    ``canaries`` are probed like endpoints but never published.
    """

    def __init__(
        self,
        desired: Mapping[Zone, Sequence[DesiredRecord]],
        providers: Mapping[str, Provider],
        prober: Prober,
        *,
        guards: GuardChain | None = None,
        dry_run: bool = False,
        resync_seconds: float = 60.0,
        retry: RetryPolicy | None = None,
        canaries: Sequence[ProbeTarget] = (),
        verdicts: VerdictSource | None = None,
        fence: WriteFence | None = None,
        clock: Callable[[], float] = time.monotonic,
        log: bool = True,
    ) -> None:
        self.desired = desired
        self.providers = providers
        self.prober = prober
        self.guards = guards or GuardChain()
        self.dry_run = dry_run
        self.resync_seconds = resync_seconds
        self.canaries = tuple(canaries)
        self.clock = clock
        self.bus = EventBus()
        if log:
            self.bus.subscribe(Logbook(dry_run=dry_run))
        self.board = HealthBoard()
        self._verdicts = verdicts
        self.reconciler = Reconciler(
            desired,
            providers,
            self.guards,
            bus=self.bus,
            retry=retry or RetryPolicy(),
            fence=fence,
            clock=clock,
        )
        self.running = False
        self.reconciled: set[Zone] = set()
        self.unreadable: set[Zone] = set()
        self.workers: dict[Zone, ZoneWorker] = {}
        self._zones_of: dict[ProbeTarget, set[Zone]] = {}
        self._records_of: dict[ProbeTarget, tuple[str, ...]] = {}
        self._record_list: dict[ProbeTarget, list[DesiredRecord]] = {}
        self._all_down: set[str] = set()
        self.last_outcomes: dict[Zone, ZoneOutcome] = {}
        self._inherited: set[ProbeTarget] = set()
        records_of: dict[ProbeTarget, list[str]] = {}
        for zone, records in desired.items():
            for record in records:
                for endpoint in record.endpoints:
                    self._zones_of.setdefault(endpoint.target, set()).add(zone)
                    records_of.setdefault(endpoint.target, []).append(record.name)
                    self._record_list.setdefault(endpoint.target, []).append(record)
        self._records_of = {t: tuple(dict.fromkeys(n)) for t, n in records_of.items()}
        for canary in self.canaries:  # a canary's verdict may freeze or release every zone
            self._zones_of.setdefault(canary, set()).update(desired)
        self._drained = frozenset(
            e.target
            for records in desired.values()
            for r in records
            for e in r.endpoints
            if e.status is EndpointStatus.DOWN
        )
        # every target and canary: the board holds exactly these once presume_health ran
        self.schedule = ProbeSchedule(prober, list(self._zones_of), self._observe_probe)

    # -- verdicts -----------------------------------------------------------------------

    @property
    def verdict_source(self) -> VerdictSource:
        """Where plans take their verdicts: the cluster's quorum, else the local board."""
        return self._verdicts if self._verdicts is not None else self.board

    @property
    def states(self) -> Mapping[ProbeTarget, HealthState]:
        """Every target's threshold state machine (a view of the board, for tests)."""
        return self.board.states()

    def health(self) -> dict[ProbeTarget, EndpointHealth]:
        """Every target's current verdict (local board)."""
        return self.board.verdicts(list(self.board))

    def inputs(self, zone: Zone) -> Inputs:
        """The verdicts a plan of ``zone`` is made with: only the zone's targets (and the
        canaries, which the partition brake reads)."""
        targets = self.reconciler.targets[zone]
        wanted = targets | set(self.canaries) if self.canaries else targets
        if self.verdict_source is self.board:
            health, failing, answering = self.board.view(wanted, self._drained)
            if self.canaries:
                answering = answering & targets
            return Inputs(health, failing, answering, None)
        # In a cluster the quorum's verdict stands: this vantage's own latest probe passing
        # is one dissenting vote, and must not keep an endpoint that a majority of vantages
        # voted down (a leader that reaches it alone would never remove it).
        health = dict(self.verdict_source.verdicts(wanted))
        health.update(self.board.verdicts(self.canaries))
        return Inputs(
            health,
            self.board.failing(wanted),
            frozenset(),
            self.verdict_source.removals_frozen(),
        )

    def inherit(self, board: HealthBoard) -> None:
        """Keep the verdicts of ``board`` for every target this controller probes too (a
        config reload): they are neither presumed again nor settled."""
        for target in board:
            if target in self._zones_of:
                self.board.adopt(target, board.state(target))
                self._inherited.add(target)

    async def presume_health(self) -> None:
        """Create verdicts from the live DNS: published values are presumed healthy.

        A zone that cannot be read presumes its endpoints healthy, so that probes, not the
        outage of the provider, decide what is removed.
        """
        published: set[ProbeTarget] = set()
        unreadable: set[Zone] = set()
        for zone, records in self.desired.items():
            try:
                live = await self.reconciler.read(zone)
            except ProviderError as exc:
                unreadable.add(zone)
                event(
                    logging.ERROR,
                    "live_read_failed",
                    zone=zone.name,
                    provider=zone.provider,
                    error=str(exc),
                )
                continue
            for record in records:
                rrset = live.get(record.key)
                for endpoint in record.endpoints:
                    if rrset is not None and endpoint.value in rrset.values:
                        published.add(endpoint.target)
        self.unreadable = unreadable
        for target, zones in self._zones_of.items():
            if target in self._inherited:
                continue
            # Canaries start healthy, so that one failing streak, not start-up, freezes.
            healthy = target in published or bool(zones & unreadable) or target in self.canaries
            reason = "presumed healthy: published" if target in published else "presumed healthy"
            self.board.presume(
                target, healthy=healthy, reason=reason if healthy else "presumed unhealthy"
            )
        self.guards.seed([t for t in self.board if not self.board.verdict(t).healthy])

    # -- probing --------------------------------------------------------------------------

    async def _probe(self, target: ProbeTarget) -> ProbeResult:
        """One probe that never raises (for :meth:`settle`; the schedule does the same): an
        unexpected error in a probe library counts as a failed probe."""
        try:
            return await self.prober.probe(target)
        except Exception as exc:
            event(logging.ERROR, "probe_error", endpoint=str(target), error=repr(exc))
            return ProbeResult(False, 0.0, f"probe error: {type(exc).__name__}")

    def _observe_probe(self, target: ProbeTarget, result: ProbeResult, lateness: float) -> bool:
        self.observe(target, result, lateness)
        return self.board.state(target).pending

    def observe(self, target: ProbeTarget, result: ProbeResult, lateness: float = 0.0) -> None:
        """Count one probe result; on a verdict change, reconcile the target's zones."""
        transition = self.board.observe(target, result)
        state = self.board.state(target)
        self.guards.probe(target, state.healthy and state.failures > 0)
        if not self.bus.idle:
            self.bus.publish(ProbeCompleted(target, result, lateness))
        if transition is None:
            if result.ok and self.guards.frozen():
                self.request_reconcile()  # a success may end the streak that froze removals
            return
        health = EndpointHealth(transition.healthy, transition.reason, result.ok)
        records = self._records_of.get(target, ())
        self.bus.publish(HealthChanged(target, health, records))
        self.guards.observe(target, health, self.clock())
        self._track_all_unhealthy(target, health)
        self.request_reconcile(self._zones_of.get(target, ()))

    def _track_all_unhealthy(self, target: ProbeTarget, health: EndpointHealth) -> None:
        for record in self._record_list.get(target, ()):
            down = not any(self.board.verdict(e.target).healthy for e in record.endpoints)
            if down and record.name not in self._all_down:
                self._all_down.add(record.name)
                self.bus.publish(
                    AllUnhealthyChanged(record, True, f"{target.value}: {health.reason}")
                )
            elif not down and record.name in self._all_down:
                self._all_down.discard(record.name)
                self.bus.publish(AllUnhealthyChanged(record, False, f"{target.value} healthy"))

    async def settle(self, on_settled: Callable[[ProbeTarget], None] | None = None) -> None:
        """Probe every target until its verdict can no longer change by one probe (one
        probe when a published endpoint passes, up to the threshold otherwise).

        Targets used only by zones that could not be read are skipped: their zones fail
        anyway, and a one-shot run should report that at once. ``on_settled`` hears of each
        settled target (progress).
        """
        targets = [
            t
            for t in self.board
            if not self._zones_of[t] <= self.unreadable and t not in self._inherited
        ]
        event(logging.INFO, "settling", targets=len(targets))
        await asyncio.gather(*(self._settle_one(t, on_settled) for t in targets))
        for records in self.desired.values():  # an outage that was there before we started
            for record in records:
                if record.endpoints:
                    first = record.endpoints[0].target
                    self._track_all_unhealthy(first, self.board.verdict(first))

    async def _settle_one(
        self, target: ProbeTarget, on_settled: Callable[[ProbeTarget], None] | None
    ) -> None:
        state = self.board.state(target)
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        check = target.check
        every = check.recheck_interval_seconds or check.interval_seconds
        for _ in range(max(check.failure_threshold, check.success_threshold)):
            self.observe(target, await self._probe(target))
            if state.settled:
                break
            next_at += every
            await asyncio.sleep(max(0.0, next_at - loop.time()))
        if on_settled is not None:
            on_settled(target)

    # -- reconciling ----------------------------------------------------------------------

    async def reconcile_zone(
        self,
        zone: Zone,
        *,
        write: bool | None = None,
        expect: ZonePlan | None = None,
        retry: bool = True,
    ) -> ZoneOutcome:
        """The one reconcile path for ``zone``; ``write`` defaults to ``not dry_run``."""
        writing = (not self.dry_run) if write is None else write and not self.dry_run
        outcome = await self.reconciler.reconcile(
            zone, lambda: self.inputs(zone), write=writing, expect=expect, retry=retry
        )
        self.last_outcomes[zone] = outcome
        if outcome.error is None:
            self.reconciled.add(zone)
        return outcome

    @property
    def ready(self) -> bool:
        """True while the loop runs and every zone has been read and reconciled once."""
        return self.running and len(self.reconciled) == len(self.desired)

    async def plan(self) -> tuple[Plan, dict[Zone, ProviderError], list[ZoneOutcome]]:
        """Plan every zone without writing; zones that cannot be read are errors."""
        outcomes = [await self.reconcile_zone(z, write=False) for z in self.desired]
        plans = sorted((o.plan for o in outcomes if o.plan is not None), key=lambda z: z.zone.name)
        errors = {o.zone: o.error for o in outcomes if o.error is not None}
        return Plan(tuple(plans)), errors, outcomes

    async def once(self) -> list[ZoneOutcome]:
        """``run --once``: presume, settle, reconcile every zone."""
        await self.presume_health()
        await self.settle()
        return [await self.reconcile_zone(zone) for zone in self.desired]

    def request_reconcile(self, zones: Collection[Zone] | None = None) -> None:
        """Reconcile ``zones`` (default: all) as soon as their workers are free."""
        for zone in self.desired if zones is None else zones:
            worker = self.workers.get(zone)
            if worker is not None:
                worker.poke()

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set; a reconcile in flight finishes before this returns."""
        self.workers = {
            zone: ZoneWorker(functools.partial(self.reconcile_zone, zone), self.resync_seconds)
            for zone in self.desired
        }
        await self.once()
        self.running = True
        event(logging.INFO, "controller_ready", zones=len(self.desired), targets=len(self.board))
        self.bus.publish(ControllerReady(self.health(), self._records_of))
        # Config, targets, verdicts and the metric series ControllerReady created live as
        # long as the process: move them out of the collector's reach so that full passes
        # stay short.
        gc.collect()
        gc.freeze()
        probes = asyncio.create_task(self.schedule.run())
        tasks = [asyncio.create_task(w.run(stop)) for w in self.workers.values()]
        try:
            await stop.wait()
        finally:
            probes.cancel()
            for worker in self.workers.values():
                worker.poke()
            await asyncio.gather(probes, return_exceptions=True)
            await asyncio.gather(*tasks, return_exceptions=True)
            self.running = False
            self.bus.publish(ControllerStopped())

    async def aclose(self) -> None:
        """Close the prober and every provider."""
        await self.prober.aclose()
        for provider in self.providers.values():
            await provider.aclose()

    def status(self) -> dict[str, object]:
        """The status document of :mod:`failover_sync.controller.status`."""
        return status_data(
            self.desired, self.board, self.last_outcomes, self.guards.frozen(), ready=self.ready
        )

    @property
    def records_of(self) -> Mapping[ProbeTarget, tuple[str, ...]]:
        """The record names that use each target."""
        return self._records_of

"""A hypothesis state machine over the controller with the in-memory provider.

Rules: endpoints go down, come up or flap (health goes through the real threshold state
machine, driven by probe rounds of a scripted prober); provider faults at 30 % switch on and
off; out-of-band edits rewrite managed RRsets; the controller restarts (a new Controller over
the same live DNS). Invariants after every step: no managed RRset is empty, no unowned RRset
is ever written, no reconcile raises. Rules that check: with nothing changed a second
reconcile writes nothing; after faults stop the live state matches the plan within 3
reconciles.

The brakes that refuse or freeze by design (blast radius, unhealthy fraction) are lifted here
(``force``, fraction 1.0): they are tested in ``tests/unit/plan/test_guards.py``; ownership is on.

Steps: ``make test`` runs the ``default`` profile (60 examples x up to 50 steps, about 2,700
steps); ``HYPOTHESIS_PROFILE=nightly`` runs 300 x 50 (more than 10,000 steps). See conftest.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Sequence

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from failover_sync.controller.controller import Controller
from failover_sync.errors import ProviderError
from failover_sync.model import (
    Change,
    DesiredRecord,
    Endpoint,
    HealthCheck,
    Policy,
    ProbeTarget,
    RecordKey,
    RRset,
    Zone,
)
from failover_sync.plan import ownership
from failover_sync.plan.guards import standard_chain
from failover_sync.provider.retry import RetryPolicy
from failover_sync.testing import InMemoryProvider, ScriptedProber

ZONE = Zone("example.test.", "memory")
OWNER = "blue"
CHECK = HealthCheck(
    interval_seconds=0.01, failure_threshold=2, success_threshold=2, request_timeout_seconds=0.005
)
VALUES = [f"192.0.2.{i}" for i in range(1, 7)]
FOREIGN = RRset.of("other.example.test.", "A", 300, ["198.51.100.7"])
NO_RETRY_WAIT = RetryPolicy(attempts=3, initial_seconds=0.0, max_seconds=0.0)
FIGURES: Counter[str] = Counter()
"""Totals over every run in this process: steps, reconciles, loop crashes, records lost,
the most reconciles needed to converge after faults stopped."""


def _record(name: str, policy: Policy, values: Sequence[str]) -> DesiredRecord:
    endpoints = tuple(Endpoint(v, ProbeTarget(v, CHECK)) for v in values)
    return DesiredRecord(f"{name}.example.test.", "A", 60, ZONE.name, policy, endpoints)


RECORDS = [
    _record("app", Policy.FAILOVER, VALUES[0:2]),
    _record("api", Policy.MULTIVALUE, VALUES[1:4]),
    _record("www", Policy.MULTIVALUE, VALUES[3:6]),
    _record("cdn", Policy.FAILOVER, [VALUES[5], VALUES[0]]),
    _record("green", Policy.MULTIVALUE, VALUES[0:2]),  # another controller owns it
]
GREEN = RECORDS[-1]
GREEN_LIVE = RRset.of(GREEN.name, "A", 60, ["203.0.113.1"])
GREEN_MARKER = RRset.of(
    ownership.marker_name(GREEN.name), "TXT", 60, [ownership.marker_value("green", "A")]
)
UNOWNED: frozenset[RecordKey] = frozenset({FOREIGN.key, GREEN.key, GREEN_MARKER.key})


class RecordingProvider(InMemoryProvider):
    """Remembers every key it was asked to write."""

    def __init__(self) -> None:
        super().__init__(fault_rate=0.0, seed=7)
        self.written: set[RecordKey] = set()

    async def apply(self, zone: Zone, changes: Sequence[Change]) -> None:
        self.written |= {c.key for c in changes}
        await super().apply(zone, changes)


class ControllerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.provider = RecordingProvider()
        self.provider.zones[ZONE.name] = {r.key: r for r in (FOREIGN, GREEN_LIVE, GREEN_MARKER)}
        self.prober = ScriptedProber()
        self.published_once: set[RecordKey] = set()
        FIGURES["runs"] += 1
        self.start()

    def start(self) -> None:
        guards = standard_chain(
            owner_id=OWNER,
            endpoints=[e.target for r in RECORDS for e in r.endpoints],
            force=True,
            max_unhealthy_fraction=1.0,
        )
        self.controller = Controller(
            {ZONE: RECORDS}, {"memory": self.provider}, self.prober, retry=NO_RETRY_WAIT,
            guards=guards, log=False,
        )  # fmt: skip
        self.loop.run_until_complete(self.controller.presume_health())

    def teardown(self) -> None:
        self.loop.close()

    def reconcile(self) -> bool:
        """One reconcile of the zone; True when it applied or had nothing to do."""
        FIGURES["reconciles"] += 1
        try:
            outcome = self.loop.run_until_complete(self.controller.reconcile_zone(ZONE))
        except Exception:
            FIGURES["loop crashes"] += 1
            raise
        if outcome.error is not None:
            FIGURES["reconciles failed by injected faults"] += 1
        return outcome.error is None

    def probe_round(self) -> None:
        for target in list(self.controller.board):
            self.controller.observe(target, self.loop.run_until_complete(self.prober.probe(target)))

    def live(self, key: RecordKey) -> RRset | None:
        return self.provider.zones.get(ZONE.name, {}).get(key)

    @rule(value=st.sampled_from(VALUES))
    def endpoint_down(self, value: str) -> None:
        self.prober.down.add(value)

    @rule(value=st.sampled_from(VALUES))
    def endpoint_up(self, value: str) -> None:
        self.prober.down.discard(value)

    @rule(value=st.sampled_from(VALUES))
    def flap(self, value: str) -> None:
        self.prober.down ^= {value}
        self.probe_round()
        self.prober.down ^= {value}

    @rule(rounds=st.integers(1, 3))
    def probes(self, rounds: int) -> None:
        for _ in range(rounds):
            self.probe_round()

    @rule(rate=st.sampled_from([0.0, 0.3]))
    def provider_faults(self, rate: float) -> None:
        self.provider.fault_rate = rate

    @rule(
        record=st.sampled_from(RECORDS[:-1]),
        values=st.lists(st.sampled_from([*VALUES, "203.0.113.99"]), min_size=1, max_size=3),
    )
    def out_of_band_edit(self, record: DesiredRecord, values: list[str]) -> None:
        rrset = RRset.of(record.name, "A", 60, values)
        self.provider.zones.setdefault(ZONE.name, {})[rrset.key] = rrset

    @rule()
    def permanent_fault(self) -> None:
        self.provider.faults.append(ProviderError("injected permanent fault"))

    @rule()
    def restart(self) -> None:
        self.start()

    @rule()
    def reconcile_once(self) -> None:
        self.reconcile()

    @precondition(lambda self: self.provider.fault_rate == 0.0 and not self.provider.faults)
    @rule()
    def second_reconcile_writes_nothing(self) -> None:
        assert self.reconcile()
        writes = self.provider.writes
        assert self.reconcile()
        assert self.provider.writes == writes, "a reconcile with nothing changed wrote"

    @rule()
    def faults_stop_then_converge(self) -> None:
        self.provider.fault_rate = 0.0
        self.provider.faults.clear()
        for needed in range(1, 4):
            self.reconcile()
            outcome = self.loop.run_until_complete(
                self.controller.reconcile_zone(ZONE, write=False)
            )
            assert outcome.plan is not None
            if not outcome.plan.changes:
                FIGURES["most reconciles to converge"] = max(
                    FIGURES["most reconciles to converge"], needed
                )
                return
        raise AssertionError("no convergence within 3 reconciles after faults stopped")

    @invariant()
    def count_step(self) -> None:
        FIGURES["steps"] += 1  # invariants run after each rule and once after __init__

    @invariant()
    def no_managed_rrset_empty(self) -> None:
        for record in RECORDS:
            rrset = self.live(record.key)
            if rrset is not None:
                assert rrset.values, f"{record.name} is empty"
                self.published_once.add(record.key)
            elif record.key in self.published_once:
                FIGURES["records lost"] += 1
                raise AssertionError(f"{record.name} disappeared")

    @invariant()
    def no_unowned_rrset_written(self) -> None:
        assert not self.provider.written & UNOWNED
        assert self.live(FOREIGN.key) == FOREIGN
        assert self.live(GREEN.key) == GREEN_LIVE


TestControllerMachine = ControllerMachine.TestCase


def test_soak_under_30_percent_provider_faults() -> None:
    """500 rounds of random health changes against a provider that fails 30 % of calls:
    no reconcile raises, no managed RRset is lost or empty, and after the faults stop the
    live DNS matches the plan within 3 reconciles (the note's figures)."""
    chance = random.Random(2026)
    machine = ControllerMachine()
    machine.provider.fault_rate = 0.3
    try:
        failed = 0
        for _ in range(500):
            machine.prober.down = {v for v in VALUES if chance.random() < 0.3}
            machine.probe_round()
            machine.probe_round()
            failed += not machine.reconcile()
            if chance.random() < 0.05:
                machine.restart()
            machine.no_managed_rrset_empty()
            machine.no_unowned_rrset_written()
        assert failed > 0  # the faults did bite
        before = FIGURES["most reconciles to converge"]
        FIGURES["most reconciles to converge"] = 0
        machine.faults_stop_then_converge()
        assert 1 <= FIGURES["most reconciles to converge"] <= 3
        FIGURES["most reconciles to converge"] = max(before, FIGURES["most reconciles to converge"])
        FIGURES["soak reconciles failed (30 % faults)"] += failed
    finally:
        machine.teardown()

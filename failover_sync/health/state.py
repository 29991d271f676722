"""The threshold state machine of each probe target, and the board that owns them all.

An endpoint becomes unhealthy after ``failure_threshold`` consecutive failed probes and
healthy after ``success_threshold`` consecutive passed ones, as Route 53 health checks and
load-balancer target groups do. The initial state comes from the live DNS: a published value
is presumed healthy, an unpublished one unhealthy, so that a restart changes nothing by itself.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from failover_sync.model import EndpointHealth, ProbeResult, ProbeTarget


@dataclass(frozen=True, slots=True)
class Transition:
    """A change of verdict: ``healthy`` is the new state; ``reason`` says why."""

    healthy: bool
    reason: str


class HealthState:
    """Consecutive failure/success counting for one target.

    ``observe`` returns a Transition when the verdict flips, else None. ``settled`` is true
    once the latest probe agrees with the verdict: then one-shot runs can stop probing,
    because no single further probe could flip it (one probe when a published endpoint
    passes, up to the threshold otherwise).
    """

    __slots__ = (
        "_healthy",
        "_reason",
        "_snap",
        "failure_threshold",
        "failures",
        "last",
        "last_at",
        "success_threshold",
        "successes",
    )

    def __init__(
        self,
        *,
        failure_threshold: int,
        success_threshold: int,
        healthy: bool,
        reason: str,
    ) -> None:
        if failure_threshold < 1 or success_threshold < 1:
            raise ValueError("thresholds must be at least 1")
        self.failure_threshold = failure_threshold
        self.success_threshold = success_threshold
        self._healthy = healthy
        self.failures = 0
        self.successes = 0
        self.last: ProbeResult | None = None
        self.last_at: float | None = None
        self._reason = reason
        self._snap: EndpointHealth | None = None

    @property
    def healthy(self) -> bool:
        """The verdict."""
        return self._healthy

    @healthy.setter
    def healthy(self, value: bool) -> None:
        self._healthy = value
        self._snap = None

    def observe(self, result: ProbeResult) -> Transition | None:
        """Count one probe result; return the Transition if the verdict flips."""
        previous = self.last
        self.last = result
        # A settled target's snapshot does not change from one agreeing probe to the next:
        # keep it (the planner reads every target's snapshot on every reconcile).
        if previous is None or previous.ok != result.ok or result.ok != self._healthy:
            self._snap = None
        if result.ok:
            self.successes += 1
            self.failures = 0
            if not self._healthy and self.successes >= self.success_threshold:
                self._healthy = True
                self._snap = None
                self._reason = f"{_count(self.successes, 'consecutive success')}"
                return Transition(True, self._reason)
        else:
            self.failures += 1
            self.successes = 0
            if self._healthy and self.failures >= self.failure_threshold:
                self._healthy = False
                self._snap = None
                self._reason = f"{_count(self.failures, 'consecutive failure')} ({result.reason})"
                return Transition(False, self._reason)
        return None

    @property
    def settled(self) -> bool:
        """True once the latest probe agrees with the verdict."""
        return self.last is not None and self.last.ok == self.healthy

    @property
    def pending(self) -> bool:
        """True while the latest probe disagrees with the verdict (a streak toward a change,
        the moment for a rapid recheck)."""
        return self.last is not None and self.last.ok != self.healthy

    @property
    def streak(self) -> int:
        """Consecutive results that agree with the latest one."""
        if self.last is None:
            return 0
        return self.successes if self.last.ok else self.failures

    def snapshot(self) -> EndpointHealth:
        """The verdict and why, as the planner sees it (one value while nothing changes)."""
        snap = self._snap
        if snap is not None:
            return snap
        reason = self._reason
        last = self.last
        if last is not None and last.ok != self._healthy:
            streak = self.failures if self._healthy else self.successes
            threshold = self.failure_threshold if self._healthy else self.success_threshold
            reason = f"{reason}; {streak}/{threshold} toward a change ({last.reason})"
        snap = self._snap = _interned(self._healthy, reason, None if last is None else last.ok)
        return snap


_INTERNED: dict[tuple[bool, str, bool | None], EndpointHealth] = {}
_INTERNED_MAX = 4096


def _interned(healthy: bool, reason: str, answering: bool | None) -> EndpointHealth:
    """One shared value per distinct verdict: thousands of targets share a few reasons
    ("2 consecutive successes"), and a frozen dataclass costs a microsecond to build."""
    key = (healthy, reason, answering)
    value = _INTERNED.get(key)
    if value is None:
        if len(_INTERNED) >= _INTERNED_MAX:  # reasons that name addresses: stay bounded
            _INTERNED.clear()
        value = _INTERNED[key] = EndpointHealth(healthy, reason, answering)
    return value


def _count(n: int, noun: str) -> str:
    plural = "es" if noun.endswith("s") else "s"
    return f"{n} {noun}{'' if n == 1 else plural}"


class HealthBoard:
    """The one owner of every target's verdict.

    Verdicts leave it as values (:class:`~failover_sync.model.EndpointHealth`), per zone or
    per target set, never as shared mutable state. It is also the local
    :class:`~failover_sync.controller.seams.VerdictSource`.
    """

    def __init__(self) -> None:
        self._states: dict[ProbeTarget, HealthState] = {}

    def presume(self, target: ProbeTarget, *, healthy: bool, reason: str) -> None:
        """Start ``target`` at a presumed verdict (from the live DNS) with no probe yet."""
        self._states[target] = HealthState(
            failure_threshold=target.check.failure_threshold,
            success_threshold=target.check.success_threshold,
            healthy=healthy,
            reason=reason,
        )

    def adopt(self, target: ProbeTarget, state: HealthState) -> None:
        """Take over ``state`` for ``target`` (a config reload keeps what probes know)."""
        self._states[target] = state

    def states(self) -> Mapping[ProbeTarget, HealthState]:
        """A read-only view of every state machine (for tests and benchmarks that script
        verdicts directly)."""
        return MappingProxyType(self._states)

    def __contains__(self, target: object) -> bool:
        return target in self._states

    def __iter__(self) -> Iterator[ProbeTarget]:
        return iter(self._states)

    def __len__(self) -> int:
        return len(self._states)

    def state(self, target: ProbeTarget) -> HealthState:
        """The state machine of ``target``. Raises KeyError for an unknown target."""
        return self._states[target]

    def observe(self, target: ProbeTarget, result: ProbeResult) -> Transition | None:
        """Count one probe result of ``target``; the Transition if its verdict flips."""
        state = self._states[target]
        state.last_at = time.time()
        return state.observe(result)

    def verdict(self, target: ProbeTarget) -> EndpointHealth:
        """The verdict of ``target`` (unknown targets: unhealthy, not probed yet)."""
        state = self._states.get(target)
        return state.snapshot() if state is not None else _UNKNOWN

    def verdicts(self, targets: Collection[ProbeTarget]) -> dict[ProbeTarget, EndpointHealth]:
        """The verdict of each of ``targets`` that the board knows."""
        states = self._states
        return {t: states[t].snapshot() for t in targets if t in states}

    def view(
        self, targets: Collection[ProbeTarget], drained: Collection[ProbeTarget] = ()
    ) -> tuple[dict[ProbeTarget, EndpointHealth], frozenset[ProbeTarget], frozenset[ProbeTarget]]:
        """What a plan of ``targets`` needs, in one pass: their verdicts (as
        :meth:`verdicts`), those :meth:`failing`, and those recovering: unhealthy by verdict
        but their latest probe passed (``drained`` ones left out), the only answering targets
        a plan asks about (:func:`~failover_sync.plan.brakes.keep_answering`)."""
        states = self._states
        health = {t: s.snapshot() for t in targets if (s := states.get(t)) is not None}
        # The latest probe disagrees with the verdict: healthy and failing, or recovering.
        odd = [(t, h.healthy) for t, h in health.items() if h.answering is (not h.healthy)]
        failing = frozenset(t for t, healthy in odd if healthy)
        recovering = frozenset(t for t, healthy in odd if not healthy and t not in drained)
        return health, failing, recovering

    def removals_frozen(self) -> str | None:
        """A single controller's own verdicts never freeze removals by themselves."""
        return None

    def failing(self, targets: Collection[ProbeTarget]) -> frozenset[ProbeTarget]:
        """Those of ``targets`` that are healthy but failed their latest probe."""
        states = self._states
        return frozenset(
            t for t in targets if t in states and states[t].healthy and states[t].failures
        )


_UNKNOWN = EndpointHealth(False, "not probed yet")

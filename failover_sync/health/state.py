"""The threshold state machine of one probe target.

An endpoint becomes unhealthy after ``failure_threshold`` consecutive failed probes and
healthy after ``success_threshold`` consecutive passed ones, as Route 53 health checks and
load-balancer target groups do. The initial state comes from the live DNS: a published value
is presumed healthy, an unpublished one unhealthy, so that a restart changes nothing by itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from failover_sync.model import EndpointHealth, ProbeResult


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
        "_reason",
        "failure_threshold",
        "failures",
        "healthy",
        "last",
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
        self.healthy = healthy
        self.failures = 0
        self.successes = 0
        self.last: ProbeResult | None = None
        self._reason = reason

    def observe(self, result: ProbeResult) -> Transition | None:
        """Count one probe result; return the Transition if the verdict flips."""
        self.last = result
        if result.ok:
            self.successes += 1
            self.failures = 0
            if not self.healthy and self.successes >= self.success_threshold:
                self.healthy = True
                self._reason = f"{_count(self.successes, 'consecutive success')}"
                return Transition(True, self._reason)
        else:
            self.failures += 1
            self.successes = 0
            if self.healthy and self.failures >= self.failure_threshold:
                self.healthy = False
                self._reason = f"{_count(self.failures, 'consecutive failure')} ({result.reason})"
                return Transition(False, self._reason)
        return None

    @property
    def settled(self) -> bool:
        """True once the latest probe agrees with the verdict."""
        return self.last is not None and self.last.ok == self.healthy

    def snapshot(self) -> EndpointHealth:
        """The verdict and why, as the planner sees it."""
        reason = self._reason
        if self.last is not None and self.last.ok != self.healthy:
            streak = self.failures if self.healthy else self.successes
            threshold = self.failure_threshold if self.healthy else self.success_threshold
            reason = f"{reason}; {streak}/{threshold} toward a change ({self.last.reason})"
        return EndpointHealth(self.healthy, reason)


def _count(n: int, noun: str) -> str:
    plural = "es" if noun.endswith("s") else "s"
    return f"{n} {noun}{'' if n == 1 else plural}"

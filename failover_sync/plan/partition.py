"""The self-partition detector: is this controller cut off, rather than its endpoints down?

It counts distinct endpoints (:func:`~failover_sync.plan.brakes.endpoint_key`: address,
port, protocol), never probe targets: an endpoint is unhealthy when every probe target on it
is, and suspect when one of its targets is healthy but in a failing streak. Its only state is
the moment each endpoint turned unhealthy and whether a burst is holding; both are explicit
(no clock inside: the caller passes ``now``, seconds of one monotonic clock).

Rules, evaluated on every plan:

- with canaries: removals freeze while every canary fails (or is suspect); a canary whose
  latest probe passed proves the controller can reach the world, so the fraction rule does
  not apply (a canary not probed yet proves nothing);
- otherwise, with at least :data:`~failover_sync.plan.brakes.MIN_ENDPOINTS` distinct
  endpoints: a burst (more than ``max_unhealthy_fraction`` of them turned unhealthy within one
  detection window, suspects included) freezes removals, and the freeze holds until the
  unhealthy fraction (suspects included) is back at or below ``max_unhealthy_fraction``.

A total outage of two or three backends is below the minimum and is handled by
``when_all_unhealthy``, as it should be.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from failover_sync.model import EndpointHealth, ProbeTarget
from failover_sync.plan.brakes import MIN_ENDPOINTS, EndpointKey, endpoint_key

_UNKNOWN = EndpointHealth(False, "not probed yet")


@dataclass
class PartitionDetector:
    """Decides whether removals must freeze.

    ``endpoints`` are the probe targets of every managed record, ``canaries`` the targets that
    should always answer, ``max_unhealthy_fraction`` in 0..1. ``window_seconds`` is one
    detection window (the longest ``detection_seconds`` of the endpoints).
    """

    endpoints: Collection[ProbeTarget]
    canaries: Collection[ProbeTarget] = ()
    max_unhealthy_fraction: float = 0.5
    window_seconds: float = field(init=False)
    _groups: dict[EndpointKey, frozenset[ProbeTarget]] = field(init=False, repr=False)
    _down_at: dict[EndpointKey, float] = field(default_factory=dict, init=False, repr=False)
    _burst: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        groups: dict[EndpointKey, set[ProbeTarget]] = {}
        for target in self.endpoints:
            groups.setdefault(endpoint_key(target), set()).add(target)
        self._groups = {k: frozenset(v) for k, v in groups.items()}
        self.canaries = frozenset(self.canaries)
        self.window_seconds = max((t.check.detection_seconds for t in self.endpoints), default=0.0)

    @property
    def total(self) -> int:
        """The count of distinct endpoints."""
        return len(self._groups)

    def observe(
        self, target: ProbeTarget, health: Mapping[ProbeTarget, EndpointHealth], now: float
    ) -> None:
        """Note a verdict change of ``target`` at ``now``; ``health`` holds every verdict."""
        key = endpoint_key(target)
        group = self._groups.get(key)
        if group is None:
            return
        if all(not health.get(t, _UNKNOWN).healthy for t in group):
            self._down_at.setdefault(key, now)
        else:
            self._down_at.pop(key, None)

    def evaluate(
        self,
        health: Mapping[ProbeTarget, EndpointHealth],
        now: float,
        failing: Collection[ProbeTarget] = (),
    ) -> str | None:
        """Why removals must freeze now, or None.

        ``failing`` are targets still healthy but in a failing streak (a failed probe since
        their last success): when the controller is cut off, the first endpoint turns
        unhealthy while the others are one probe short of it (their probes are staggered
        within one interval), and waiting for them would let that first removal through.
        """
        suspect = set(failing)
        if self.canaries:
            verdicts = [health.get(c, _UNKNOWN) for c in self.canaries]
            if all(
                not v.healthy or c in suspect for c, v in zip(self.canaries, verdicts, strict=True)
            ):
                return f"all {len(self.canaries)} canaries fail"
            proven = any(
                v.healthy and v.answering and c not in suspect
                for c, v in zip(self.canaries, verdicts, strict=True)
            )
            if proven:  # the controller reaches the world: the endpoints are really down
                self._burst = False
                return None
        if self.total < MIN_ENDPOINTS:
            return None
        unhealthy = [
            k
            for k, g in self._groups.items()
            if all(not health.get(t, _UNKNOWN).healthy for t in g)
        ]
        streaks = sum(1 for k, g in self._groups.items() if k not in unhealthy and g & suspect)
        recent = [k for k in unhealthy if now - self._down_at.get(k, -1e18) <= self.window_seconds]
        limit = self.max_unhealthy_fraction
        if (len(recent) + streaks) / self.total > limit:
            self._burst = True
        elif (len(unhealthy) + streaks) / self.total <= limit:
            self._burst = False
        if not self._burst:
            return None
        return (
            f"{len(unhealthy)} of {self.total} distinct endpoints unhealthy and {streaks} "
            f"failing within {self.window_seconds:g} s (max_unhealthy_fraction {limit:g})"
        )

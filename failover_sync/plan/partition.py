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

from collections.abc import Collection, Iterable, Mapping
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

    Its view of every endpoint is kept incrementally, from the controller's calls: one
    :meth:`observe` per verdict change (and :meth:`seed` at start) and one :meth:`probe` per
    probe result, so that :meth:`evaluate`, which runs for every plan of every zone, costs
    O(unhealthy and suspect endpoints), not O(all endpoints).
    """

    endpoints: Collection[ProbeTarget]
    canaries: Collection[ProbeTarget] = ()
    max_unhealthy_fraction: float = 0.5
    window_seconds: float = field(init=False)
    _groups: dict[EndpointKey, int] = field(init=False, repr=False)
    _bad: dict[EndpointKey, set[ProbeTarget]] = field(default_factory=dict, init=False, repr=False)
    _unhealthy: set[EndpointKey] = field(default_factory=set, init=False, repr=False)
    _suspects: dict[EndpointKey, set[ProbeTarget]] = field(
        default_factory=dict, init=False, repr=False
    )
    _down_at: dict[EndpointKey, float] = field(default_factory=dict, init=False, repr=False)
    _burst: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        groups: dict[EndpointKey, set[ProbeTarget]] = {}
        for target in self.endpoints:
            groups.setdefault(endpoint_key(target), set()).add(target)
        self._groups = {k: len(v) for k, v in groups.items()}
        self.canaries = frozenset(self.canaries)
        self.window_seconds = max((t.check.detection_seconds for t in self.endpoints), default=0.0)

    @property
    def total(self) -> int:
        """The count of distinct endpoints."""
        return len(self._groups)

    def observe(self, target: ProbeTarget, healthy: bool, now: float) -> None:
        """``target``'s verdict is now ``healthy`` (a change at ``now``); an endpoint is
        unhealthy once every probe target on it is."""
        key = endpoint_key(target)
        size = self._groups.get(key)
        if size is None:
            return
        bad = self._bad.setdefault(key, set())
        if healthy:
            bad.discard(target)
        else:
            bad.add(target)
        if len(bad) == size and key not in self._unhealthy:
            self._unhealthy.add(key)
            self._down_at[key] = now
        elif len(bad) < size and key in self._unhealthy:
            self._unhealthy.discard(key)
            self._down_at.pop(key, None)

    def seed(self, unhealthy: Iterable[ProbeTarget]) -> None:
        """Targets unhealthy from the start (presumed: not published); not a recent burst."""
        for target in unhealthy:
            self.observe(target, False, float("-inf"))

    def probe(self, target: ProbeTarget, failing: bool) -> None:
        """After each probe: ``failing`` when ``target`` is healthy but in a failing streak."""
        key = endpoint_key(target)
        if key not in self._groups:
            return
        if failing:
            self._suspects.setdefault(key, set()).add(target)
        elif key in self._suspects:
            streak = self._suspects[key]
            streak.discard(target)
            if not streak:
                del self._suspects[key]

    def evaluate(
        self,
        health: Mapping[ProbeTarget, EndpointHealth],
        now: float,
        failing: Collection[ProbeTarget] = (),
    ) -> str | None:
        """Why removals must freeze now, or None.

        ``health`` needs to hold only the canaries' verdicts; ``failing`` adds targets that
        are healthy but in a failing streak to those :meth:`probe` reported. Suspects count:
        when the controller is cut off, the first endpoint turns unhealthy while the others
        are one probe short of it (their probes are staggered within one interval), and
        waiting for them would let that first removal through.
        """
        suspect = set(failing)
        if self.canaries:
            verdicts = [(c, health.get(c, _UNKNOWN)) for c in self.canaries]
            if all(not v.healthy or c in suspect for c, v in verdicts):
                return f"all {len(self.canaries)} canaries fail"
            if any(v.healthy and v.answering and c not in suspect for c, v in verdicts):
                self._burst = False  # the controller reaches the world: a real outage
                return None
        if self.total < MIN_ENDPOINTS:
            return None
        suspects = set(self._suspects) | {
            endpoint_key(t) for t in suspect if endpoint_key(t) in self._groups
        }
        streaks = len(suspects - self._unhealthy)
        unhealthy = len(self._unhealthy)
        window = self.window_seconds
        recent = sum(1 for k in self._unhealthy if now - self._down_at.get(k, -1e18) <= window)
        limit = self.max_unhealthy_fraction
        if (recent + streaks) / self.total > limit:
            self._burst = True
        elif (unhealthy + streaks) / self.total <= limit:
            self._burst = False
        if not self._burst:
            return None
        return (
            f"{unhealthy} of {self.total} distinct endpoints unhealthy and {streaks} "
            f"failing within {window:g} s (max_unhealthy_fraction {limit:g})"
        )

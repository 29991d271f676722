"""The controller's two seams for running as one of several vantages (the cluster mode).

Without a cluster the controller plans with its own verdicts and writes whenever it plans.
With one, :mod:`failover_sync.cluster` supplies both seams structurally (the controller never
imports it; the CLI wires them):

- :class:`VerdictSource`: the verdicts the planner uses. Locally, the health board's; in a
  cluster, the quorum of every configured vantage's votes.
- :class:`WriteFence`: called right before each provider write, with the plan about to be
  sent. It records the write's intent under the leader's fencing token (an etcd revision) and
  may add a change to the plan (the zone's epoch marker, which compare-and-swap providers
  check), or refuses with :class:`~failover_sync.errors.FencedOut`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Protocol

from failover_sync.model import EndpointHealth, ProbeTarget, RecordKey, RRset, Zone, ZonePlan


class VerdictSource(Protocol):
    """Where the planner's verdicts come from."""

    def verdicts(self, targets: Collection[ProbeTarget]) -> Mapping[ProbeTarget, EndpointHealth]:
        """The verdict of each of ``targets``; a target left out counts as unknown
        (unhealthy, "not probed yet")."""
        ...

    def removals_frozen(self) -> str | None:
        """Why removals must freeze now (for example fewer than quorum vantages alive), or
        None. A frozen source still lets healthy endpoints be added back."""
        ...


class WriteFence(Protocol):
    """Guards every provider write of this process."""

    def read_keys(self, zone: Zone) -> Sequence[RecordKey]:
        """RRsets to read with the zone's managed ones (for example the epoch marker)."""
        ...

    def may_write(self) -> bool:
        """False when this process is not the writer now (a standby or probe-only vantage):
        the controller then plans but neither fences nor writes."""
        ...

    async def fence(self, zone: Zone, plan: ZonePlan, live: Mapping[RecordKey, RRset]) -> ZonePlan:
        """Record the write's intent under the current fencing token and return the plan to
        send (possibly with an epoch-marker change added).

        Raises :class:`~failover_sync.errors.FencedOut` when this process may not write.
        """
        ...


__all__ = ["VerdictSource", "WriteFence"]

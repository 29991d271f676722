"""The cluster's verdicts: the quorum of every configured vantage's votes (a VerdictSource).

:class:`ClusterVerdicts` implements :class:`failover_sync.controller.seams.VerdictSource`
structurally. It re-evaluates every endpoint after each change of the node's view, keeps the
verdict that stands when no side has a quorum, and calls ``on_change(target, health, tally)``
when a verdict changes, so that the wiring can request a reconcile. A removal is logged with
the vantages that voted for it.

Before any quorum was reached for an endpoint, the standing verdict is the *presumed* one
(:meth:`ClusterVerdicts.presume`: the controller's presumption from the live DNS, published
= healthy), so that a new leader keeps what is published until a quorum says otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from failover_sync.cluster.keys import target_id
from failover_sync.cluster.node import ClusterNode
from failover_sync.cluster.quorum import Quorum, Tally
from failover_sync.logs import event
from failover_sync.model import EndpointHealth, ProbeTarget

VerdictListener = Callable[[ProbeTarget, EndpointHealth, Tally], None]


@dataclass(frozen=True, slots=True)
class EndpointVotes:
    """For ``cluster status``: one endpoint's votes (vantage -> healthy, reason) and verdict."""

    target: ProbeTarget
    votes: Mapping[str, tuple[bool, str]]
    tally: Tally


class ClusterVerdicts:
    """Quorum verdicts over ``node``'s view for ``targets`` (every endpoint of the config)."""

    def __init__(self, node: ClusterNode, quorum: Quorum, targets: Iterable[ProbeTarget]) -> None:
        self.node = node
        self.quorum = quorum
        self.targets = tuple(targets)
        self.on_change: list[VerdictListener] = []
        self._standing: dict[ProbeTarget, bool] = {}
        self._presumed: dict[ProbeTarget, EndpointHealth] = {}
        node.on_view.append(self.refresh)

    def presume(self, health: Mapping[ProbeTarget, EndpointHealth]) -> None:
        """Verdicts to stand for endpoints that never reached a quorum (the controller's
        presumption from the live DNS)."""
        self._presumed.update(health)

    def _votes_of(self, target: ProbeTarget) -> dict[str, bool]:
        alive = self.node.board.alive
        votes = self.node.board.votes.get(target_id(target), {})
        # A vote whose vantage key is gone is expiring with the same lease: never count it.
        return {v: vote.healthy for v, vote in votes.items() if v in alive}

    def tally(self, target: ProbeTarget) -> Tally:
        """The votes on ``target`` and the verdict they lead to now."""
        standing = self._standing.get(target)
        if standing is None and target in self._presumed:
            standing = self._presumed[target].healthy
        return self.quorum.tally(self._votes_of(target), standing)

    def refresh(self) -> None:
        """Re-evaluate every target (called after each view change); report changes."""
        for target in self.targets:
            tally = self.tally(target)
            if not tally.decided or tally.verdict is None:
                continue
            before = self._standing.get(target)
            if before is None and target in self._presumed:
                before = self._presumed[target].healthy
            self._standing[target] = tally.verdict
            if before == tally.verdict:
                continue
            health = self._health(tally)
            voters = tally.healthy if tally.verdict else tally.unhealthy
            event(
                logging.INFO if tally.verdict else logging.WARNING,
                "cluster_verdict_healthy" if tally.verdict else "cluster_verdict_unhealthy",
                endpoint=str(target),
                voters=list(voters),
                quorum=self.quorum.describe(),
                vantage=self.node.name,
            )
            for listener in self.on_change:
                listener(target, health, tally)

    def _health(self, tally: Tally) -> EndpointHealth:
        side = tally.healthy if tally.verdict else tally.unhealthy
        word = "healthy" if tally.verdict else "unhealthy"
        how = "" if tally.decided else "standing verdict, no quorum now; "
        return EndpointHealth(
            bool(tally.verdict),
            f"{how}{len(side)} of {len(self.quorum.vantages)} vantages vote {word} "
            f"({', '.join(side) or 'none'}; quorum {self.quorum.required})",
        )

    # -- VerdictSource ----------------------------------------------------------------------

    def verdicts(self, targets: Collection[ProbeTarget]) -> Mapping[ProbeTarget, EndpointHealth]:
        """Each of ``targets`` with a verdict (quorum, else the standing or presumed one);
        a target with neither is left out (unknown)."""
        result: dict[ProbeTarget, EndpointHealth] = {}
        for target in targets:
            tally = self.tally(target)
            if tally.verdict is not None:
                result[target] = self._health(tally)
        return result

    def removals_frozen(self) -> str | None:
        """Why removals freeze: fewer than quorum vantages alive, or this vantage's view of
        etcd is stale (not renewed within the lease TTL); else None."""
        if not self.node.lease_fresh() or not self.node.synced.is_set():
            return f"vantage {self.node.name} has no fresh view of etcd"
        return self.quorum.frozen(self.node.board.alive)

    def endpoints(self) -> list[EndpointVotes]:
        """Every target's votes and verdict, for ``cluster status`` and metrics."""
        rows = []
        for target in self.targets:
            raw = self.node.board.votes.get(target_id(target), {})
            votes = {v: (vote.healthy, vote.reason) for v, vote in sorted(raw.items())}
            rows.append(EndpointVotes(target, votes, self.tally(target)))
        return rows


__all__ = ["ClusterVerdicts", "EndpointVotes", "VerdictListener"]

"""Quorum rules over the configured vantages (pure: no I/O, no clock).

An endpoint is removed only when at least ``required`` of the *configured* vantages vote it
unhealthy and restored only when ``required`` vote it healthy; a vantage that is down or
partitioned has no vote, so a partition can never shrink the quorum. When neither side has
a quorum (or, under a rule of at most half such as ``any``, both have), the verdict that
stands stays: what is published stays published.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from failover_sync.config.cluster_spec import required_votes


@dataclass(frozen=True, slots=True)
class Tally:
    """The votes on one endpoint: who voted healthy, who unhealthy (sorted names), and the
    verdict they lead to (``None``: no decision yet, nothing stood before)."""

    healthy: tuple[str, ...]
    unhealthy: tuple[str, ...]
    verdict: bool | None
    decided: bool
    """True when this tally reached a quorum on its own (not the verdict that stood)."""


@dataclass(frozen=True, slots=True)
class Quorum:
    """``rule`` (majority | all | any | count | fraction) over ``vantages``."""

    rule: str | int | float
    vantages: tuple[str, ...]

    @property
    def required(self) -> int:
        """Votes that make a quorum (ValueError for a rule that does not fit)."""
        return required_votes(self.rule, len(self.vantages))

    def describe(self) -> str:
        return f"{self.required} of {len(self.vantages)} ({self.rule})"

    def tally(self, votes: Mapping[str, bool], standing: bool | None) -> Tally:
        """Count ``votes`` (vantage -> healthy) of configured vantages only; ``standing`` is
        the verdict in force (None: none yet)."""
        configured = set(self.vantages)
        healthy = tuple(sorted(v for v, ok in votes.items() if ok and v in configured))
        unhealthy = tuple(sorted(v for v, ok in votes.items() if not ok and v in configured))
        need = self.required
        remove, restore = len(unhealthy) >= need, len(healthy) >= need
        if remove and not restore:
            return Tally(healthy, unhealthy, False, True)
        if restore and not remove:
            return Tally(healthy, unhealthy, True, True)
        return Tally(healthy, unhealthy, standing, False)

    def frozen(self, alive: Collection[str]) -> str | None:
        """Why removals freeze with only ``alive`` vantages reachable, or None."""
        live = sorted(set(alive) & set(self.vantages))
        if len(live) >= self.required:
            return None
        names = ", ".join(live) or "none"
        return (
            f"only {len(live)} of {len(self.vantages)} vantages alive ({names}); "
            f"quorum is {self.describe()}"
        )


__all__ = ["Quorum", "Tally"]

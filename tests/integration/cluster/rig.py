"""Shared pieces of the cluster tests: vantages on the real etcd cluster, one record of two
endpoints, a recording in-memory provider and the cluster's reconcile step (read with the
fence's keys, plan with the quorum verdicts, hold removals while frozen, fence, apply)."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import AsyncIterator, Sequence

from failover_sync.cluster import Vantage, open_vantage, parse_epoch
from failover_sync.cluster.keys import epoch_key
from failover_sync.config.cluster_spec import ClusterSpec
from failover_sync.model import (
    Change,
    DesiredRecord,
    Endpoint,
    EndpointHealth,
    HealthCheck,
    Policy,
    ProbeTarget,
    RRset,
    Zone,
    ZonePlan,
)
from failover_sync.plan import planner
from failover_sync.provider.base import Provider
from failover_sync.testing import InMemoryProvider
from failover_sync.testing.etcd import EtcdCluster

ZONE = Zone("example.test.", "memory")
NAME = "app.example.test."
CHECK = HealthCheck(port=8080, path="/healthz", interval_seconds=1.0, failure_threshold=2)
VALUES = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
TARGETS = tuple(ProbeTarget(v, CHECK) for v in VALUES)
RECORD = DesiredRecord(
    NAME, "A", 30, ZONE.name, Policy.MULTIVALUE, tuple(Endpoint(t.value, t) for t in TARGETS)
)
HEALTHY = EndpointHealth(True, "status 200")
DOWN = EndpointHealth(False, "connection refused")
_owners = itertools.count()
LEASE = 3
"""Lease TTL of the tests' vantages, seconds: short, yet long enough for a loaded machine to
renew in time (a leader that misses renewals stops writing by itself)."""


def owner() -> str:
    """A fresh owner id: each test's keys live under their own root."""
    return f"t{next(_owners)}"


def spec(etcd: EtcdCluster, names: Sequence[str], **overrides: object) -> ClusterSpec:
    data: dict[str, object] = {
        "etcd": {"endpoints": etcd.endpoints, "timeout_seconds": 1.0},
        "vantages": list(names),
        "lease_seconds": LEASE,
        **overrides,
    }
    return ClusterSpec.model_validate(data)


@contextlib.asynccontextmanager
async def vantages(
    etcd: EtcdCluster, names: Sequence[str] = ("fra", "iad", "sin"), **overrides: object
) -> AsyncIterator[dict[str, Vantage]]:
    """Start one vantage per name (same owner); stop them all on exit."""
    cluster = spec(etcd, names, **overrides)
    own = owner()
    running = {n: open_vantage(cluster, owner_id=own, vantage=n, targets=TARGETS) for n in names}
    for vantage in running.values():
        await vantage.start()
    try:
        yield running
    finally:
        for vantage in running.values():
            await vantage.stop()


class RecordingProvider(InMemoryProvider):
    """The in-memory provider (compare-and-swap on ``before``) that keeps every applied
    batch, to check epochs and RRsets afterwards."""

    def __init__(self) -> None:
        super().__init__()
        self.applied: list[tuple[Change, ...]] = []

    async def apply(self, zone: Zone, changes: Sequence[Change]) -> None:
        await super().apply(zone, changes)
        self.applied.append(tuple(changes))

    def epochs(self) -> list[tuple[int, int]]:
        """(epoch, token) of every applied marker, in apply order."""
        found = []
        for batch in self.applied:
            for change in batch:
                if change.key == epoch_key(ZONE):
                    marker = parse_epoch(RRset(change.name, "TXT", 60, change.after))
                    assert marker is not None, change
                    found.append((marker.epoch, marker.token))
        return found


def seed(provider: InMemoryProvider, values: Sequence[str] = VALUES) -> None:
    rrset = RRset.of(NAME, "A", 30, values)
    provider.zones[ZONE.name] = {rrset.key: rrset}


def published(provider: Provider | InMemoryProvider) -> tuple[str, ...]:
    assert isinstance(provider, InMemoryProvider)
    rrset = provider.zones.get(ZONE.name, {}).get((NAME, "A"))
    return rrset.values if rrset else ()


async def reconcile(vantage: Vantage, provider: Provider, zone: Zone = ZONE) -> ZonePlan | None:
    """One read-plan-fence-write of ``zone`` as the controller does it in cluster mode; None
    when this vantage may not write. Removals are held while the verdicts are frozen."""
    keys = [RECORD.key, *vantage.fence.read_keys(zone)]
    live = {rr.key: rr for rr in await provider.list_rrsets(zone, keys)}
    health = vantage.verdicts.verdicts(TARGETS)
    plan = planner.plan_zone(zone, [RECORD], health, live)
    if vantage.verdicts.removals_frozen() is not None:
        plan = ZonePlan(
            zone, tuple(c for c in plan.changes if set(c.before) <= set(c.after)), plan.unchanged
        )
    if not vantage.fence.may_write():
        return None
    fenced = await vantage.fence.fence(zone, plan, live)
    if fenced.changes:
        await provider.apply(zone, fenced.changes)
    return fenced


def down(vantage: Vantage, target: ProbeTarget) -> bool:
    """True once ``vantage``'s quorum verdict on ``target`` is unhealthy."""
    verdict = vantage.verdicts.verdicts([target]).get(target)
    return verdict is not None and not verdict.healthy


def leaders(running: dict[str, Vantage]) -> list[str]:
    return [n for n, v in running.items() if v.fence.may_write()]


async def leader_reconcile(running: dict[str, Vantage], provider: Provider) -> ZonePlan:
    """Reconcile with whichever vantage leads now (waiting for one, at most a takeover)."""
    from failover_sync.testing.waits import await_for

    await await_for(lambda: bool(leaders(running)), LEASE + 3)
    plan = await reconcile(running[leaders(running)[0]], provider)
    assert plan is not None
    return plan

"""Votes on a real etcd cluster: published under each vantage's lease, gone after
``lease_seconds`` when the vantage stops renewing, and counted against the configured
vantages (a partition never shrinks the quorum)."""

from __future__ import annotations

import asyncio

from failover_sync.cluster import target_id
from failover_sync.testing.etcd import EtcdCluster
from failover_sync.testing.waits import await_for
from tests.integration.cluster.rig import (
    DOWN,
    HEALTHY,
    LEASE,
    TARGETS,
    VALUES,
    RecordingProvider,
    down,
    leader_reconcile,
    published,
    reconcile,
    seed,
    vantages,
)

T1 = TARGETS[0]


def test_vote_expires_after_lease_when_vantage_stops_renewing(etcd: EtcdCluster) -> None:
    async def scenario() -> None:
        async with vantages(etcd) as vs:
            fra, iad = vs["fra"], vs["iad"]
            await fra.node.publish(T1, DOWN)
            votes = iad.node.board.votes
            await await_for(lambda: "fra" in votes.get(target_id(T1), {}), 5)
            assert votes[target_id(T1)]["fra"].healthy is False
            assert votes[target_id(T1)]["fra"].reason == "connection refused"
            await fra.node.pause()  # stops renewing, as a crash would: no revoke
            assert "fra" in votes.get(target_id(T1), {})
            await await_for(lambda: "fra" not in votes.get(target_id(T1), {}), LEASE + 3)
            assert "fra" not in iad.node.board.alive
            await fra.node.start()  # lease expired: a new lease, the vote published again
            await await_for(lambda: "fra" in votes.get(target_id(T1), {}), 5)
            assert "fra" in iad.node.board.alive

    asyncio.run(scenario())


def test_removal_needs_quorum_and_restoration_too(etcd: EtcdCluster) -> None:
    async def scenario() -> None:
        provider = RecordingProvider()
        seed(provider)
        async with vantages(etcd) as vs:
            for v in vs.values():
                await v.node.publish_all(dict.fromkeys(TARGETS, HEALTHY))
            await await_for(lambda: any(v.fence.may_write() for v in vs.values()), 5)
            # every view holds every healthy vote before the first reconcile (this rig does
            # not presume from the live DNS, as the controller does)
            await await_for(
                lambda: all(
                    len(v.node.board.votes.get(target_id(t), {})) == len(vs)
                    for v in vs.values()
                    for t in TARGETS
                ),
                5,
            )

            def count(healthy: bool) -> int:
                """Votes of that kind on T1, when every vantage's view agrees (else -1)."""
                seen = {
                    sum(
                        x.healthy is healthy
                        for x in v.node.board.votes.get(target_id(T1), {}).values()
                    )
                    for v in vs.values()
                }
                return seen.pop() if len(seen) == 1 else -1

            await vs["fra"].node.publish(T1, DOWN)
            await await_for(lambda: count(False) == 1, 5)
            await leader_reconcile(vs, provider)
            assert published(provider) == VALUES  # one of three: no removal

            await vs["iad"].node.publish(T1, DOWN)
            await await_for(lambda: count(False) == 2, 5)
            plan = await leader_reconcile(vs, provider)
            assert plan.changes
            assert published(provider) == VALUES[1:]  # two of three: removed
            assert "fra, iad" in vs["sin"].verdicts.verdicts([T1])[T1].reason

            await vs["fra"].node.publish(T1, HEALTHY)
            await await_for(lambda: count(True) == 2, 5)  # fra, sin healthy; iad down
            await leader_reconcile(vs, provider)
            assert published(provider) == VALUES  # restored by two of three
            await vs["iad"].node.publish(T1, HEALTHY)
            await vs["fra"].node.publish(T1, DOWN)
            await vs["sin"].node.publish(T1, DOWN)
            await vs["iad"].node.publish(T1, HEALTHY)
            await await_for(lambda: count(False) == 2, 5)
            await leader_reconcile(vs, provider)
            assert published(provider) == VALUES[1:]
        assert provider.applied
        assert all(c.after for b in provider.applied for c in b)

    asyncio.run(scenario())


def test_in_between_keeps_what_stands(etcd: EtcdCluster) -> None:
    async def scenario() -> None:
        async with vantages(etcd, quorum="all") as vs:
            leader = vs["fra"]
            await vs["fra"].node.publish(T1, DOWN)
            await vs["iad"].node.publish(T1, DOWN)
            await await_for(lambda: len(leader.node.board.votes.get(target_id(T1), {})) == 2, 5)
            # quorum all: two of three is in between; nothing stood before: no verdict
            assert T1 not in leader.verdicts.verdicts([T1])
            leader.verdicts.presume({T1: HEALTHY})
            assert leader.verdicts.verdicts([T1])[T1].healthy
            await vs["sin"].node.publish(T1, DOWN)
            await await_for(lambda: down(leader, T1), 5)
            await vs["sin"].node.publish(T1, HEALTHY)
            await await_for(lambda: leader.node.board.votes[target_id(T1)]["sin"].healthy, 5)
            assert not leader.verdicts.verdicts([T1])[T1].healthy  # stays removed

    asyncio.run(scenario())


def test_partition_freezes_removals_and_does_not_shrink_quorum(etcd: EtcdCluster) -> None:
    async def scenario() -> None:
        provider = RecordingProvider()
        seed(provider)
        async with vantages(etcd) as vs:
            fra = vs["fra"]
            await await_for(lambda: len(fra.node.board.alive) == 3, 5)
            assert fra.verdicts.removals_frozen() is None
            vs["iad"].node.session.partitioned = True
            vs["sin"].node.session.partitioned = True
            await await_for(lambda: len(fra.node.board.alive) == 1, LEASE + 5)
            reason = fra.verdicts.removals_frozen()
            assert reason is not None
            assert "only 1 of 3 vantages alive" in reason
            await fra.node.publish(T1, DOWN)
            await await_for(lambda: fra.fence.may_write(), 5)
            await reconcile(fra, provider)
            assert published(provider) == VALUES  # one vote of three configured
            # the cut-off vantages never write: their leases are gone
            assert not vs["iad"].fence.may_write()
            assert not vs["sin"].fence.may_write()
            vs["iad"].node.session.partitioned = False
            await await_for(lambda: len(fra.node.board.alive) == 2, 5)
            assert fra.verdicts.removals_frozen() is None

    asyncio.run(scenario())


def test_vantage_cut_off_from_etcd_loses_its_vote_and_never_writes(etcd: EtcdCluster) -> None:
    async def scenario() -> None:
        async with vantages(etcd, names=("fra", "iad")) as vs:
            fra, iad = vs["fra"], vs["iad"]
            await await_for(lambda: fra.fence.may_write() or iad.fence.may_write(), 5)
            cut = fra if fra.fence.may_write() else iad
            other = iad if cut is fra else fra
            await cut.node.publish(T1, DOWN)
            await await_for(lambda: target_id(T1) in other.node.board.votes, 5)
            cut.node.session.partitioned = True
            await cut.node.publish(T1, HEALTHY)  # kept, not published
            await await_for(lambda: not cut.fence.may_write(), LEASE + 1)
            await await_for(lambda: cut.node.name not in other.node.board.alive, LEASE + 3)
            assert cut.node.name not in other.node.board.votes.get(target_id(T1), {})
            await await_for(lambda: other.fence.may_write(), 5)
            assert cut.verdicts.removals_frozen() is not None
            cut.node.session.partitioned = False
            votes = other.node.board.votes
            await await_for(lambda: cut.node.name in votes.get(target_id(T1), {}), 5)
            assert votes[target_id(T1)][cut.node.name].healthy  # the kept vote, published

    asyncio.run(scenario())

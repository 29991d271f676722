"""Leader election and fencing on a real etcd cluster: one leader, takeover after a crash,
a deposed leader refused by etcd before the provider and, for a write already past etcd, by
the zone file's compare-and-swap on the epoch marker."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from failover_sync.cluster import Epoch, parse_epoch
from failover_sync.cluster.keys import epoch_key
from failover_sync.errors import FencedOut, TransientProviderError
from failover_sync.model import Zone
from failover_sync.provider.zonefile import ZoneFileOptions, ZoneFileProvider
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
    leaders,
    published,
    reconcile,
    seed,
    vantages,
)

T1 = TARGETS[0]


def test_one_leader_whose_token_is_the_leader_key_revision(etcd: EtcdCluster) -> None:
    async def scenario() -> None:
        async with vantages(etcd) as vs:
            await await_for(lambda: len(leaders(vs)) == 1, 5)
            (name,) = leaders(vs)
            node = vs[name].node
            key = await node.session.get(node.layout.leader)
            assert key is not None
            assert key.value == name.encode()
            assert key.create_revision == node.token
            await await_for(lambda: all(v.node.board.leader_name() == name for v in vs.values()), 5)
            assert len(leaders(vs)) == 1

    asyncio.run(scenario())


def test_probe_only_vantage_never_leads(etcd: EtcdCluster) -> None:
    async def scenario() -> None:
        async with vantages(etcd, names=("fra",), writer=False) as vs:
            fra = vs["fra"]
            await await_for(lambda: fra.node.synced.is_set() and fra.node.lease is not None, 5)
            await fra.node.publish(T1, DOWN)
            await await_for(lambda: "fra" in fra.node.board.alive, 5)
            assert fra.node.board.leader is None
            assert not fra.fence.may_write()
            assert fra.node.token is None

    asyncio.run(scenario())


def test_crashed_leader_is_replaced_within_lease_and_new_token_is_larger(
    etcd: EtcdCluster,
) -> None:
    async def scenario() -> None:
        provider = RecordingProvider()
        seed(provider)
        async with vantages(etcd) as vs:
            await await_for(lambda: len(leaders(vs)) == 1, 5)
            (first,) = leaders(vs)
            old_token = vs[first].node.token
            assert old_token is not None
            for v in vs.values():
                await v.node.publish_all(dict.fromkeys(TARGETS, HEALTHY))
                await v.node.publish(T1, DOWN)
            await await_for(lambda: down(vs[first], T1), 5)
            assert await reconcile(vs[first], provider) is not None
            await vs[first].node.pause()  # a crash: the lease runs out, nobody revokes it
            others = {n: v for n, v in vs.items() if n != first}
            await await_for(lambda: len(leaders(others)) == 1, LEASE + 3)
            (second,) = leaders(others)
            new_token = vs[second].node.token
            assert new_token is not None
            assert new_token > old_token
            # the new leader reads the live DNS and the votes: nothing to change, no flap
            plan = await reconcile(vs[second], provider)
            assert plan is not None
            assert plan.changes == ()
            assert published(provider) == VALUES[1:]

    asyncio.run(scenario())


def test_clean_stop_hands_over_at_once(etcd: EtcdCluster) -> None:
    async def scenario() -> None:
        async with vantages(etcd, names=("fra", "iad"), lease_seconds=30) as vs:
            await await_for(lambda: len(leaders(vs)) == 1, 5)
            (first,) = leaders(vs)
            await vs[first].node.stop()  # revokes the lease: no wait for 30 s
            other = vs["iad" if first == "fra" else "fra"]
            await await_for(other.fence.may_write, 5)

    asyncio.run(scenario())


def test_deposed_leader_is_refused_by_etcd_before_the_provider(etcd: EtcdCluster) -> None:
    async def scenario() -> None:
        provider = RecordingProvider()
        seed(provider)
        async with vantages(etcd) as vs:
            for v in vs.values():
                await v.node.publish_all(dict.fromkeys(TARGETS, HEALTHY))
            await await_for(lambda: len(leaders(vs)) == 1, 5)
            (first,) = leaders(vs)
            deposed = vs[first]
            board = deposed.node.board
            await await_for(lambda: sum(len(v) for v in board.votes.values()) == 9, 5)
            await deposed.node.pause()  # SIGSTOP: longer than its lease
            others = {n: v for n, v in vs.items() if n != first}
            await await_for(lambda: len(leaders(others)) == 1, LEASE + 3)
            for v in others.values():
                await v.node.publish(T1, DOWN)
            (second,) = leaders(others)
            await await_for(lambda: down(vs[second], T1), 5)
            assert await reconcile(vs[second], provider) is not None
            writes = provider.writes
            # The deposed process still holds its old token and, as after SIGCONT with etcd
            # having reset lease timers, believes its lease fresh: only etcd can refuse it.
            deposed.node.renewed_at = time.monotonic()
            assert deposed.fence.may_write()
            assert deposed.verdicts.verdicts([T1])[T1].healthy  # its stale view: plans an add
            with pytest.raises(FencedOut, match="refused by etcd"):
                await reconcile(deposed, provider)
            assert provider.writes == writes
            assert deposed.fence.refusals == 1
            assert not deposed.fence.may_write()
            epochs = [e for e, _ in provider.epochs()]
            assert epochs == sorted(set(epochs))

    asyncio.run(scenario())


def test_stale_write_past_etcd_is_refused_by_zone_file_compare_and_swap(
    etcd: EtcdCluster, tmp_path: Path
) -> None:
    zone = Zone("example.test.", "zones")
    provider = ZoneFileProvider(
        "zones", ZoneFileOptions(directory=Path("z"), create_missing=True), config_dir=tmp_path
    )

    async def scenario() -> None:
        async with vantages(etcd) as vs:
            for v in vs.values():
                await v.node.publish_all(dict.fromkeys(TARGETS, HEALTHY))
            await await_for(lambda: len(leaders(vs)) == 1, 5)
            (first,) = leaders(vs)
            stale = vs[first]
            held = asyncio.Event()
            release = asyncio.Event()

            async def hold(_zone: Zone, _epoch: Epoch) -> None:
                held.set()
                await release.wait()

            # First write: publish every endpoint (the file starts without the record).
            assert await reconcile(stale, provider, zone) is not None
            for v in vs.values():
                await v.node.publish(T1, DOWN)
            await await_for(lambda: down(stale, T1), 5)
            stale.fence.after_intent = hold
            stuck = asyncio.create_task(reconcile(stale, provider, zone))
            await held.wait()  # intent recorded in etcd; the provider write not sent yet
            await stale.node.pause()
            others = {n: v for n, v in vs.items() if n != first}
            await await_for(lambda: len(leaders(others)) == 1, LEASE + 3)
            (second,) = leaders(others)
            assert await reconcile(vs[second], provider, zone) is not None
            marker = await provider.list_rrsets(zone, [epoch_key(zone)])
            newer = parse_epoch(marker[0])
            assert newer is not None
            assert newer.vantage == second
            release.set()  # SIGCONT: the stale batch reaches the provider ...
            with pytest.raises(TransientProviderError, match="changed since it was read"):
                await stuck  # ... and the zone file's compare-and-swap refuses it
            after = parse_epoch((await provider.list_rrsets(zone, [epoch_key(zone)]))[0])
            assert after == newer

    asyncio.run(scenario())

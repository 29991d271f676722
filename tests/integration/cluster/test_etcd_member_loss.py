"""SIGSTOP of etcd's own raft leader: the other two members elect a new one, the vantages'
sessions move to a member that answers, fenced writes resume and no two leaders write."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from failover_sync.errors import FencedOut, TransientProviderError
from failover_sync.testing.etcd import EtcdCluster, etcd_cluster
from failover_sync.testing.waits import await_for
from tests.integration.cluster.rig import (
    DOWN,
    HEALTHY,
    TARGETS,
    VALUES,
    RecordingProvider,
    leaders,
    published,
    reconcile,
    seed,
    vantages,
)


@pytest.fixture
def own_etcd(tmp_path: Path) -> Iterator[EtcdCluster]:
    """A cluster of this test's own: pausing its raft leader must not disturb the others."""
    with etcd_cluster(tmp_path / "etcd") as cluster:
        yield cluster


def test_writes_resume_after_etcd_raft_leader_is_stopped(own_etcd: EtcdCluster) -> None:
    async def scenario() -> None:
        provider = RecordingProvider()
        seed(provider)
        async with vantages(own_etcd, lease_seconds=5) as vs:
            for v in vs.values():
                await v.node.publish_all(dict.fromkeys(TARGETS, HEALTHY))
            await await_for(lambda: len(leaders(vs)) == 1, 5)
            raft_leader = own_etcd.raft_leader()
            own_etcd.pause(raft_leader)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 15
            seen_leaders: set[tuple[str, ...]] = set()
            try:
                for v in vs.values():
                    await v.node.publish(TARGETS[0], DOWN)

                async def write_once() -> bool:
                    seen_leaders.add(tuple(leaders(vs)))
                    for v in vs.values():
                        try:
                            if await reconcile(v, provider) is not None:
                                return published(provider) == VALUES[1:]
                        except (FencedOut, TransientProviderError):
                            continue
                    return False

                done = False
                while not done and loop.time() < deadline:
                    done = await write_once()
                    await asyncio.sleep(0.1)
                assert done, "no fenced write landed within 15 s of the raft leader's stop"
                assert own_etcd.raft_leader() is not raft_leader
            finally:
                own_etcd.resume(raft_leader)
            assert all(len(names) <= 1 for names in seen_leaders)
            epochs = [e for e, _ in provider.epochs()]
            assert epochs == sorted(set(epochs))

    asyncio.run(scenario())

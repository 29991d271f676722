"""One real 3-member etcd cluster on loopback for the cluster tests of this session (each
test uses its own owner id, so its keys never meet another test's)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from failover_sync.testing.etcd import EtcdCluster, etcd_cluster


@pytest.fixture(scope="session")
def etcd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdCluster]:
    with etcd_cluster(tmp_path_factory.mktemp("etcd")) as cluster:
        yield cluster

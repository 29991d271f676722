"""One real 3-member etcd cluster on loopback for the cluster tests of this session (each
test uses its own owner id, so its keys never meet another test's)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from failover_sync.testing.backends import HttpBackend
from failover_sync.testing.etcd import EtcdCluster, etcd_cluster
from failover_sync.testing.process import free_port

BACKEND_ADDRESSES = ("127.0.0.2", "127.0.0.3", "127.0.0.4")


@pytest.fixture(scope="session")
def etcd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdCluster]:
    with etcd_cluster(tmp_path_factory.mktemp("etcd")) as cluster:
        yield cluster


@pytest.fixture
def backends() -> Iterator[dict[str, HttpBackend]]:
    """HTTP backends on 127.0.0.2, .3 and .4, one port: address -> backend."""
    port = free_port("127.0.0.2")
    running = {a: HttpBackend(a, port).start() for a in BACKEND_ADDRESSES}
    yield running
    for backend in running.values():
        backend.stop()

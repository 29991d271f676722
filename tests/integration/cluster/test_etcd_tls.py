"""The cluster over TLS to a real etcd cluster: three members serving ``https://`` only and
requiring a client certificate (``--client-cert-auth``), certificates from a throwaway CA.

Vantages elect a leader and see each other's votes (watch streams) over TLS; ``cluster
status`` reads it from the command line; a wrong CA, a missing client certificate and a
plaintext client are each refused with an error that says so, and nothing is written."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from failover_sync.cluster import open_vantage
from failover_sync.cluster.etcd import EtcdSession, EtcdTls, EtcdUnavailable
from failover_sync.config.cluster_spec import ClusterSpec
from failover_sync.testing.etcd import EtcdCluster, etcd_cluster
from failover_sync.testing.waits import await_for
from tests.helpers.cli import cli
from tests.integration.cluster.rig import DOWN, LEASE, TARGETS, owner


@pytest.fixture(scope="module")
def tls_etcd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdCluster]:
    with etcd_cluster(tmp_path_factory.mktemp("etcd-tls"), tls=True) as cluster:
        yield cluster


def _etcd_key(cluster: EtcdCluster) -> dict[str, object]:
    assert cluster.tls is not None
    return {
        "endpoints": cluster.endpoints,
        "timeout_seconds": 1.0,
        "ca_file": str(cluster.tls.ca_file),
        "cert_file": str(cluster.tls.cert_file),
        "key_file": str(cluster.tls.key_file),
    }


def test_vantages_elect_and_vote_over_tls(tls_etcd: EtcdCluster, tmp_path: Path) -> None:
    assert all(e.startswith("https://") for e in tls_etcd.endpoints)
    names = ("fra", "iad")
    spec = ClusterSpec.model_validate(
        {"etcd": _etcd_key(tls_etcd), "vantages": list(names), "lease_seconds": LEASE}
    )
    own = owner()
    config = tmp_path / "failover-sync.yaml"
    config.write_text(
        json.dumps(
            {
                "owner_id": own,
                "providers": {"local": {"type": "zonefile", "directory": "zones"}},
                "zones": [{"name": "example.test", "provider": "local"}],
                "records": {"app.example.test": {"type": "A", "records": [{"value": "127.0.0.2"}]}},
                "cluster": {"etcd": _etcd_key(tls_etcd), "vantages": list(names)},
            }
        )
    )

    async def scenario() -> None:
        running = [open_vantage(spec, owner_id=own, vantage=n, targets=TARGETS) for n in names]
        for vantage in running:
            await vantage.start()
        try:
            fra, iad = running
            await await_for(lambda: [v.node.is_leader for v in running].count(True) == 1, 10)
            await fra.node.publish(TARGETS[0], DOWN)
            await await_for(lambda: iad.verdicts.endpoints()[0].votes.get("fra") is not None, 5)
            votes = iad.verdicts.endpoints()[0].votes
            assert votes["fra"][0] is False  # fra's vote reached iad through a TLS watch
            leader = next(v.node.name for v in running if v.node.is_leader)
            done = await asyncio.to_thread(
                cli, "cluster", "status", "-c", str(config), "-o", "json", cwd=tmp_path
            )
            assert done.returncode == 0, done.stderr
            assert json.loads(done.stdout)["leader"] == leader
        finally:
            for vantage in running:
                await vantage.stop()

    asyncio.run(scenario())


@pytest.mark.parametrize("case", ["other CA", "no client certificate", "plaintext"])
def test_tls_mistakes_are_refused_and_write_nothing(tls_etcd: EtcdCluster, case: str) -> None:
    assert tls_etcd.tls is not None
    ca = tls_etcd.tls.ca_file.read_bytes()
    cert, key = tls_etcd.tls.cert_file.read_bytes(), tls_etcd.tls.key_file.read_bytes()
    endpoints = tls_etcd.endpoints
    if case == "other CA":
        session = EtcdSession(
            endpoints, timeout=1.0, tls=EtcdTls(trustme.CA().cert_pem.bytes(), cert, key)
        )
    elif case == "no client certificate":
        session = EtcdSession(endpoints, timeout=1.0, tls=EtcdTls(ca))
    else:
        plain = [e.replace("https://", "http://") for e in endpoints]
        session = EtcdSession(plain, timeout=1.0)
    key_name = f"/tls-test/{owner()}"

    async def scenario() -> None:
        try:
            with pytest.raises(EtcdUnavailable, match=r"no member of .* answered"):
                await session.put(key_name, b"x")
        finally:
            await session.close()
        trusted = EtcdSession(endpoints, timeout=1.0, tls=EtcdTls(ca, cert, key))
        try:
            assert await trusted.get(key_name) is None  # the refused put wrote nothing
        finally:
            await trusted.close()

    asyncio.run(scenario())


def test_tls_material_is_never_in_a_repr(tls_etcd: EtcdCluster) -> None:
    assert tls_etcd.tls is not None
    key = tls_etcd.tls.key_file.read_bytes()
    tls = EtcdTls(None, tls_etcd.tls.cert_file.read_bytes(), key)
    assert "PRIVATE KEY" not in repr(tls)
    assert key.decode() not in repr(tls)

"""Building one vantage of a cluster from the ``cluster:`` config key.

:func:`open_vantage` turns a :class:`~failover_sync.config.cluster_spec.ClusterSpec` and the
vantage's name into a :class:`Vantage`: the etcd session, the node (lease, votes, election),
the quorum verdicts (a VerdictSource) and the write fence (a WriteFence). The caller starts
it with :meth:`Vantage.start` and ends it with :meth:`Vantage.stop`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from failover_sync.cluster.etcd import EtcdSession, EtcdTls
from failover_sync.cluster.fence import EtcdFence, IntentHook
from failover_sync.cluster.keys import Layout
from failover_sync.cluster.node import ClusterNode
from failover_sync.cluster.quorum import Quorum
from failover_sync.cluster.verdicts import ClusterVerdicts
from failover_sync.config.cluster_spec import ClusterSpec
from failover_sync.model import ProbeTarget


class VantageError(ValueError):
    """The vantage cannot run as configured (unknown name, missing password variable)."""


@dataclass
class Vantage:
    """One running vantage: ``node``, ``verdicts`` (VerdictSource), ``fence`` (WriteFence)."""

    spec: ClusterSpec
    node: ClusterNode
    verdicts: ClusterVerdicts
    fence: EtcdFence

    async def start(self) -> None:
        await self.node.start()

    async def stop(self) -> None:
        await self.node.stop()
        await self.node.session.close()


def open_vantage(
    spec: ClusterSpec,
    *,
    owner_id: str,
    vantage: str,
    targets: Iterable[ProbeTarget],
    after_intent: IntentHook | None = None,
) -> Vantage:
    """The vantage ``vantage`` of ``spec`` (not started yet). Raises VantageError when the
    name is not one of ``spec.vantages`` or the etcd password variable is unset."""
    if vantage not in spec.vantages:
        raise VantageError(
            f"vantage {vantage!r} is not one of cluster.vantages ({', '.join(spec.vantages)})"
        )
    tls = _tls(spec)
    password: str | None = None
    if spec.etcd.password_env is not None:
        password = os.environ.get(spec.etcd.password_env)
        if not password:
            raise VantageError(
                f"cluster.etcd.password_env: the variable {spec.etcd.password_env} is not set"
            )
    endpoints = list(spec.etcd.endpoints)
    if spec.etcd.endpoints_env is not None:
        raw = os.environ.get(spec.etcd.endpoints_env, "")
        endpoints = [e.strip() for e in raw.split(",") if e.strip()]
        if not endpoints:
            raise VantageError(
                f"cluster.etcd.endpoints_env: the variable {spec.etcd.endpoints_env} is not set"
            )
    try:
        session = EtcdSession(
            endpoints,
            timeout=spec.etcd.timeout_seconds,
            username=spec.etcd.username,
            password=password,
            tls=tls,
        )
    except ValueError as exc:
        raise VantageError(f"cluster.etcd.endpoints: {exc}") from None
    node = ClusterNode(
        session,
        Layout(spec.etcd.prefix, owner_id),
        vantage,
        lease_seconds=spec.lease_seconds,
        writer=spec.writer,
    )
    quorum = Quorum(spec.quorum, tuple(spec.vantages))
    verdicts = ClusterVerdicts(node, quorum, targets)
    return Vantage(spec, node, verdicts, EtcdFence(node, after_intent=after_intent))


def _tls(spec: ClusterSpec) -> EtcdTls | None:
    """The PEM material of ``cluster.etcd.ca_file``/``cert_file``/``key_file``, read once
    (paths as given, relative to the working directory); None when none is set. Raises
    VantageError naming the key when a file cannot be read or holds no PEM block."""
    pem: dict[str, bytes | None] = {}
    for key in ("ca_file", "cert_file", "key_file"):
        path = getattr(spec.etcd, key)
        if path is None:
            pem[key] = None
            continue
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise VantageError(f"cluster.etcd.{key}: cannot read {path}: {exc.strerror}") from None
        if b"-----BEGIN " not in data:
            raise VantageError(f"cluster.etcd.{key}: {path} holds no PEM block")
        pem[key] = data
    if all(v is None for v in pem.values()):
        return None
    return EtcdTls(pem["ca_file"], pem["cert_file"], pem["key_file"])


__all__ = ["Vantage", "VantageError", "open_vantage"]

"""Cluster mode: several vantages on etcd v3, a quorum of their votes, one fenced writer.

Layer: imports only config, provider, model, errors and logs (and the etcd client library);
the controller's seams (:mod:`failover_sync.controller.seams`) are implemented structurally.
Names load on first use (PEP 562), so that a process without ``cluster:`` never imports
gRPC.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from failover_sync.cluster.etcd import EtcdSession, EtcdUnavailable
    from failover_sync.cluster.fence import EtcdFence
    from failover_sync.cluster.keys import (
        Epoch,
        Layout,
        Vote,
        epoch_key,
        parse_epoch,
        target_id,
    )
    from failover_sync.cluster.member import Vantage, VantageError, open_vantage
    from failover_sync.cluster.node import Board, ClusterNode
    from failover_sync.cluster.quorum import Quorum, Tally
    from failover_sync.cluster.verdicts import ClusterVerdicts, EndpointVotes

_WHERE = {
    "EtcdSession": "etcd",
    "EtcdUnavailable": "etcd",
    "EtcdFence": "fence",
    "Epoch": "keys",
    "Layout": "keys",
    "Vote": "keys",
    "epoch_key": "keys",
    "parse_epoch": "keys",
    "target_id": "keys",
    "Vantage": "member",
    "VantageError": "member",
    "open_vantage": "member",
    "Board": "node",
    "ClusterNode": "node",
    "Quorum": "quorum",
    "Tally": "quorum",
    "ClusterVerdicts": "verdicts",
    "EndpointVotes": "verdicts",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "Board",
    "ClusterNode",
    "ClusterVerdicts",
    "EndpointVotes",
    "Epoch",
    "EtcdFence",
    "EtcdSession",
    "EtcdUnavailable",
    "Layout",
    "Quorum",
    "Tally",
    "Vantage",
    "VantageError",
    "Vote",
    "epoch_key",
    "open_vantage",
    "parse_epoch",
    "target_id",
]

"""Cluster mode: several vantages on etcd v3, a quorum of their votes, one fenced writer.

Layer: imports only config, model, errors and logs (and the etcd client library); the
controller's seams (:mod:`failover_sync.controller.seams`) are implemented structurally.
"""

from failover_sync.cluster.etcd import EtcdSession, EtcdUnavailable
from failover_sync.cluster.fence import EtcdFence
from failover_sync.cluster.keys import Epoch, Layout, Vote, epoch_key, parse_epoch, target_id
from failover_sync.cluster.member import Vantage, VantageError, open_vantage
from failover_sync.cluster.node import Board, ClusterNode
from failover_sync.cluster.quorum import Quorum, Tally
from failover_sync.cluster.verdicts import ClusterVerdicts, EndpointVotes

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

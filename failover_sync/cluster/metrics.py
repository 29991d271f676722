"""Prometheus metrics of one vantage, read from its state at each scrape.

======================================================  =======  ========================
metric                                                  type     labels
======================================================  =======  ========================
failover_sync_cluster_leader                            gauge    vantage (1: this one leads)
failover_sync_cluster_vantages_configured               gauge    -
failover_sync_cluster_vantages_alive                    gauge    -
failover_sync_cluster_removals_frozen                   gauge    - (1: below quorum; alert)
failover_sync_cluster_votes                             gauge    endpoint, vote (healthy/unhealthy)
failover_sync_cluster_endpoint_verdict                  gauge    endpoint (1 healthy, 0 not)
failover_sync_cluster_fencing_refusals_total            counter  -
======================================================  =======  ========================
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from failover_sync.cluster.member import Vantage

P = "failover_sync_cluster_"


class ClusterCollector(Collector):
    """Collects the metrics above from ``vantage`` (register it on a registry)."""

    def __init__(self, vantage: Vantage) -> None:
        self.vantage = vantage

    def collect(self) -> Iterator[Metric]:
        v = self.vantage
        leader = GaugeMetricFamily(P + "leader", "1 while this vantage leads.", labels=["vantage"])
        leader.add_metric([v.node.name], 1.0 if v.fence.may_write() else 0.0)
        yield leader
        yield GaugeMetricFamily(
            P + "vantages_configured", "Vantages in cluster.vantages.", value=len(v.spec.vantages)
        )
        alive = set(v.node.board.alive) & set(v.spec.vantages)
        yield GaugeMetricFamily(
            P + "vantages_alive", "Configured vantages whose lease holds.", value=len(alive)
        )
        yield GaugeMetricFamily(
            P + "removals_frozen",
            "1 while removals freeze (fewer than quorum vantages alive or no view of etcd).",
            value=0.0 if v.verdicts.removals_frozen() is None else 1.0,
        )
        votes = GaugeMetricFamily(P + "votes", "Votes per endpoint.", labels=["endpoint", "vote"])
        verdict = GaugeMetricFamily(
            P + "endpoint_verdict", "Quorum verdict: 1 healthy, 0 not.", labels=["endpoint"]
        )
        for row in v.verdicts.endpoints():
            endpoint = str(row.target)
            votes.add_metric([endpoint, "healthy"], len(row.tally.healthy))
            votes.add_metric([endpoint, "unhealthy"], len(row.tally.unhealthy))
            if row.tally.verdict is not None:
                verdict.add_metric([endpoint], 1.0 if row.tally.verdict else 0.0)
        yield votes
        yield verdict
        refusals = CounterMetricFamily(
            P + "fencing_refusals", "Writes refused by the fence (not the leader, old token)."
        )
        refusals.add_metric([], v.fence.refusals)
        yield refusals


__all__ = ["ClusterCollector"]

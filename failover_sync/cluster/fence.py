"""The write fence: only the leader writes, and a deposed leader's write never lands.

:class:`EtcdFence` implements :class:`failover_sync.controller.seams.WriteFence`
structurally. Each write is fenced twice:

1. in etcd: the write's intent is recorded under ``intents/<zone>`` by a transaction that
   compares the leader key's create revision (the fencing token) and value; a process whose
   leadership ended (lease expired while it was paused, someone else elected) is refused
   there and nothing reaches the provider (:class:`~failover_sync.errors.FencedOut`);
2. in the zone: the plan gains an UPSERT of the epoch marker TXT
   ``_failover-sync-epoch.<zone>`` from the value that was read to ``epoch=<revision of the
   intent>``. Providers that compare ``before`` (the zone file under its lock, RFC 2136
   prerequisites, the in-memory provider; Route 53 by DELETE+CREATE of the marker in the
   batch) refuse a batch planned on an older marker, so a leader that passed step 1 and then
   stalled past a newer leader's write is refused by the provider too. Epochs are etcd
   revisions: they only grow.

Providers without compare-and-swap (PowerDNS HTTP API, Cloudflare) get step 1 only: a
leader paused *between* its recorded intent and its provider call can still land one stale
batch after a newer leader's; the next reconcile of the new leader repairs it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

from failover_sync.cluster.etcd import EtcdUnavailable
from failover_sync.cluster.keys import Epoch, epoch_change, epoch_key, parse_epoch
from failover_sync.cluster.node import ClusterNode
from failover_sync.errors import FencedOut, TransientProviderError
from failover_sync.logs import event
from failover_sync.model import RecordKey, RRset, Zone, ZonePlan

IntentHook = Callable[[Zone, Epoch], Awaitable[None]]


class EtcdFence:
    """Fences the writes of ``node`` (which must be a writer to ever write).

    ``after_intent`` is a test seam awaited between the recorded intent and the return of
    the plan (where a test kills or pauses the leader "mid-apply"). ``refusals`` counts
    writes refused by etcd.
    """

    def __init__(self, node: ClusterNode, *, after_intent: IntentHook | None = None) -> None:
        self.node = node
        self.after_intent = after_intent
        self.refusals = 0
        self.on_refusal: list[Callable[[Zone, str], None]] = []

    def read_keys(self, zone: Zone) -> Sequence[RecordKey]:
        """The epoch marker, read with the zone's managed RRsets."""
        return [epoch_key(zone)]

    def may_write(self) -> bool:
        """True while this process is the elected leader with a fresh lease."""
        return self.node.writer and self.node.is_leader

    def _refuse(self, zone: Zone, why: str) -> FencedOut:
        self.refusals += 1
        event(
            logging.WARNING,
            "cluster_write_fenced",
            vantage=self.node.name,
            zone=zone.name,
            reason=why,
        )
        for listener in self.on_refusal:
            listener(zone, why)
        return FencedOut(
            f"vantage {self.node.name} may not write {zone.name}: {why}", zone=zone.name
        )

    async def fence(self, zone: Zone, plan: ZonePlan, live: Mapping[RecordKey, RRset]) -> ZonePlan:
        """Record the intent of ``plan`` under this leader's token; the plan with the epoch
        marker's change added (``plan`` as it is when it has no change).

        Raises FencedOut when this process is not the leader or etcd refuses its token, and
        TransientProviderError when etcd does not answer (retried; nothing was written).
        """
        if not plan.changes:
            return plan
        token = self.node.token
        if not self.node.writer or token is None or not self.node.is_leader:
            raise self._refuse(zone, "not the leader")
        layout = self.node.layout
        before = parse_epoch(live.get(epoch_key(zone)))
        intent = json.dumps(
            {
                "token": token,
                "vantage": self.node.name,
                "epoch_before": before.epoch if before else None,
                "changes": [[c.name, c.type, list(c.before), list(c.after)] for c in plan.changes],
            },
            sort_keys=True,
        ).encode()
        try:
            revision = await self.node.session.put_if_created_at(
                layout.leader, self.node.name.encode(), token, layout.intent(zone), intent
            )
        except EtcdUnavailable as exc:
            raise TransientProviderError(
                f"cannot record the write's intent in etcd ({exc}); nothing was written",
                zone=zone.name,
            ) from None
        if revision is None:
            self.node.lose_leadership("fencing token refused by etcd")
            raise self._refuse(zone, f"fencing token {token} refused by etcd (a newer leader)")
        epoch = Epoch(revision, token, self.node.name)
        if self.after_intent is not None:
            await self.after_intent(zone, epoch)
        marker = epoch_change(zone, live, epoch)
        changes = tuple(sorted((*plan.changes, marker), key=lambda c: (c.name, c.type)))
        return ZonePlan(plan.zone, changes, plan.unchanged, plan.conflicts)


__all__ = ["EtcdFence", "IntentHook"]

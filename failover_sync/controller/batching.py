"""Batching a zone's changes: pure, tested without a network.

A managed RRset never leaves its ownership marker (``_failover-sync.<name>``), so that an
all-or-nothing provider never holds an owned RRset unmarked; the cluster's epoch marker
(``_failover-sync-epoch.<zone>``) travels with the first group, so that the first write
carries the compare-and-swap that fences a deposed leader (external-dns splits Route 53
change sets the same way, per record, in ``batchChangeSet``).
"""

from __future__ import annotations

from collections.abc import Sequence

from failover_sync.model import Change
from failover_sync.plan.ownership import MARKER_PREFIX

EPOCH_PREFIX = "_failover-sync-epoch."
"""The cluster's zone epoch marker (a compare-and-swap on it fences a stale leader)."""


def _owner(change: Change) -> str:
    """The managed name a change belongs to (a marker belongs to the name it marks; the
    epoch marker belongs to the first group, so it fences the first write)."""
    return change.name.removeprefix(MARKER_PREFIX)


def groups_of(changes: Sequence[Change]) -> list[list[Change]]:
    """Changes grouped by managed name, each group with its marker, in plan order; the
    cluster's epoch marker joins the first group, so that the first write (and the first
    batch) carries the compare-and-swap that fences a deposed leader."""
    epoch = [c for c in changes if c.name.startswith(EPOCH_PREFIX)]
    groups: dict[str, list[Change]] = {}
    for change in changes:
        if not change.name.startswith(EPOCH_PREFIX):
            groups.setdefault(_owner(change), []).append(change)
    out = list(groups.values())
    if epoch:
        if out:
            out[0] = [*epoch, *out[0]]
        else:
            out = [epoch]
    return out


def batches(changes: Sequence[Change], max_batch: int | None) -> list[list[Change]]:
    """Split ``changes`` into batches of at most ``max_batch`` RRsets (None: one batch),
    never separating a managed RRset from its ownership marker. Pure."""
    if not changes:
        return []
    if max_batch is None:
        return [list(changes)]
    out: list[list[Change]] = []
    current: list[Change] = []
    for group in groups_of(changes):
        if current and len(current) + len(group) > max_batch:
            out.append(current)
            current = []
        current += group
    if current:
        out.append(current)
    return out

"""The in-memory provider: RRsets in a dict, call counters and fault injection.

It backs unit tests, benchmarks of the reconcile path and the provider contract suite's own
self-test (external-dns keeps an in-memory provider for the same reasons).
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import ClassVar

from failover_sync.errors import ProviderError, TransientProviderError
from failover_sync.model import Action, Change, RecordKey, RRset, Zone
from failover_sync.provider.base import Capabilities, Provider, ProviderOptions
from failover_sync.provider.kit import StaleRRsetError


class InMemoryProvider(Provider):
    """A provider that keeps RRsets in a dict, counts calls and injects faults.

    ``faults`` is a queue of exceptions raised by the next calls (list or apply), one per
    call; ``fault_rate`` raises TransientProviderError at random (seeded by ``seed``).
    Applies are compare-and-swap on ``Change.before`` (a mismatch is StaleRRsetError) and
    all-or-nothing; ``rejects`` names RRsets whose writes are refused permanently (as a
    provider refuses a CNAME conflict). Reading a zone
    named in ``broken_zones`` is a permanent ProviderError (no such zone).
    """

    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(self, name: str = "memory", *, fault_rate: float = 0.0, seed: int = 0) -> None:
        super().__init__(name, ProviderOptions(), config_dir=Path("."))
        self.zones: dict[str, dict[RecordKey, RRset]] = {}
        self.faults: list[Exception] = []
        self.fault_rate = fault_rate
        self._random = random.Random(seed)
        self.reads = 0
        self.writes = 0
        self.changes_written = 0
        self.broken_zones: set[str] = set()
        self.rejects: set[str] = set()

    def _maybe_fail(self, zone: Zone) -> None:
        if self.faults:
            raise self.faults.pop(0)
        if self.fault_rate and self._random.random() < self.fault_rate:
            raise TransientProviderError("injected fault", provider=self.name, zone=zone.name)

    async def list_rrsets(self, zone: Zone, keys: Collection[RecordKey]) -> list[RRset]:
        self.reads += 1
        if zone.name in self.broken_zones:
            raise ProviderError("no such zone", provider=self.name, zone=zone.name)
        self._maybe_fail(zone)
        records = self.zones.get(zone.name, {})
        return [records[k] for k in keys if k in records]

    async def apply(self, zone: Zone, changes: Sequence[Change]) -> None:
        self._maybe_fail(zone)
        refused = sorted({c.name for c in changes} & self.rejects)
        if refused:
            raise ProviderError(
                f"{', '.join(refused)}: rejected", provider=self.name, zone=zone.name
            )
        records = self.zones.setdefault(zone.name, {})
        for change in changes:
            live = records.get(change.key)
            if (live.values if live else ()) != change.before:
                raise StaleRRsetError(
                    f"{change.name} changed since read", provider=self.name, zone=zone.name
                )
        self.writes += 1
        self.changes_written += len(changes)
        for change in changes:
            if change.action is Action.DELETE:
                records.pop(change.key, None)
            else:
                records[change.key] = change.rrset

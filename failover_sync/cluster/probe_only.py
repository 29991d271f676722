"""The stand-in provider of a probe-only vantage (``cluster.writer: false``).

Such a vantage probes and votes but never reads or writes DNS, so it holds no provider
credentials: every zone reads as empty (every endpoint is presumed unhealthy until its
probes pass, which only delays its first healthy votes by ``success_threshold`` probes) and
a write is refused before anything is sent.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from failover_sync.errors import FencedOut
from failover_sync.model import Change, RecordKey, RRset, Zone
from failover_sync.provider.base import Provider, ProviderOptions


class ProbeOnlyProvider(Provider):
    """Reads nothing, writes nothing: the provider ``name`` of a probe-only vantage."""

    def __init__(self, name: str) -> None:
        super().__init__(name, ProviderOptions(), config_dir=Path("."))

    async def list_rrsets(self, zone: Zone, keys: Collection[RecordKey]) -> list[RRset]:
        return []

    async def apply(self, zone: Zone, changes: Sequence[Change]) -> None:
        raise FencedOut(
            f"a probe-only vantage never writes {zone.name}", provider=self.name, zone=zone.name
        )


__all__ = ["ProbeOnlyProvider"]

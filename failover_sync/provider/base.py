"""The provider interface: the base class of every adapter, its options and capabilities.

An adapter reads the live RRsets of a zone and applies changes to it in as few API calls as
the API allows. The core never imports an adapter: adapters register a class in the entry-point
group ``failover_sync.providers`` and are found by their config ``type``.

Errors are in :mod:`failover_sync.errors`, the entry-point loader in
:mod:`failover_sync.provider.loader`, the retry policy in :mod:`failover_sync.provider.retry`
and the helpers every adapter needs in :mod:`failover_sync.provider.kit`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from failover_sync.model import Change, RecordKey, RRset, Zone


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What an adapter can do.

    ``max_batch``: most RRsets in one write call (``None``: unlimited, the whole zone in one
    call). ``weights``: native weighted records. ``propagation_seconds``: typical time from a
    write being accepted to every authoritative server answering with it, if known.
    """

    record_types: frozenset[str] = frozenset({"A", "AAAA", "CNAME", "TXT"})
    max_batch: int | None = None
    weights: bool = False
    txt: bool = True
    propagation_seconds: float | None = None


class ProviderOptions(BaseModel):
    """Base of each adapter's options model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Provider:
    """Base class of every adapter.

    Subclasses set ``Options`` (and ``ZoneOptions`` for zone-entry keys such as
    ``hosted_zone_id``) and implement :meth:`list_rrsets` and :meth:`apply`. ``name`` is the
    instance name from the config; ``config_dir`` is the folder of the config file, against
    which relative paths in options are resolved.
    """

    Options: ClassVar[type[ProviderOptions]] = ProviderOptions
    ZoneOptions: ClassVar[type[ProviderOptions]] = ProviderOptions
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(self, name: str, options: ProviderOptions, *, config_dir: Path) -> None:
        self.name = name
        self.options = options
        self.config_dir = config_dir

    async def list_rrsets(self, zone: Zone, keys: Collection[RecordKey]) -> list[RRset]:
        """Return the live RRsets of ``zone`` among ``keys`` (absolute name, type).

        RRsets that do not exist are simply absent. Adapters may read more than asked but
        must return only the asked keys. Raises ProviderError or TransientProviderError.
        """
        raise NotImplementedError

    async def apply(self, zone: Zone, changes: Sequence[Change]) -> None:
        """Apply ``changes`` to ``zone`` in as few API calls as the API allows.

        Each change replaces the whole RRset with ``change.after`` (UPSERT). Adapters with
        compare-and-swap may refuse when the live RRset no longer equals ``change.before``.
        Raises ProviderError or TransientProviderError; after either, the zone is re-read.
        """
        raise NotImplementedError

    async def aclose(self) -> None:
        """Release connections. The default does nothing."""

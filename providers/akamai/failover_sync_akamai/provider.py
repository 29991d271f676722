"""``AkamaiProvider``: list and apply RRsets of Edge DNS zones through change lists.

Reading (:meth:`AkamaiProvider.list_rrsets`): ``GET /zones/{zone}/recordsets`` with ``types``
set to the managed types and ``search`` to each managed name (one call per name, the
ownership marker ``_failover-sync.<name>`` included by the substring match), or, above
``max_searches`` names, one listing of the managed types; every page is followed.

Writing (:meth:`AkamaiProvider.apply`), one change list per batch:

1. ``POST /changelists?zone=&overwrite=none`` creates our change list on the zone's current
   version. If one exists already (409), its diff decides: a change list that changes only
   record sets this provider manages (or nothing) was left by us, by a crash or a lost
   answer, and is deleted before one retry; any other is someone else's draft, reported as a
   conflict (ProviderError) and left as it is.
2. ``GET /changelists/{zone}/recordsets`` reads the changed record sets in that version: each
   must still be ``Change.before``, else StaleRRsetError (a write landed between our read and
   the change list).
3. ``POST .../add-change`` per RRset: ``ADD`` when ``before`` is empty (refused if it exists),
   ``EDIT`` or ``DELETE`` otherwise.
4. ``POST .../submit``: refused when the zone has a newer version than the change list's base
   (StaleRRsetError). Steps 2 and 4 together are the compare-and-swap: nothing written by
   anyone since our read is overwritten.

On any failure after step 1 the change list is deleted (best effort; a leftover is found and
deleted by step 1 next time). A failover of one RRset costs 1 + 1 + 1 + 1 = 4 write-side
requests plus the read.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import ClassVar

from failover_sync import (
    Capabilities,
    Change,
    Provider,
    ProviderError,
    ProviderOptions,
    RecordKey,
    RRset,
    StaleRRsetError,
    TokenBucket,
    Zone,
)
from failover_sync_akamai import records
from failover_sync_akamai.api import AkamaiAPI
from failover_sync_akamai.errors import FAILURES, APIError, Failure, classify
from failover_sync_akamai.options import AkamaiOptions, api_root, resolve_credentials
from failover_sync_akamai.signing import EdgeGridAuth


class AkamaiProvider(Provider):
    """The ``akamai`` provider type (distribution ``failover-sync-akamai``)."""

    Options: ClassVar[type[ProviderOptions]] = AkamaiOptions
    capabilities: ClassVar[Capabilities] = Capabilities(
        record_types=frozenset({"A", "AAAA", "CNAME", "TXT"}), max_batch=None, weights=False
    )

    def __init__(self, name: str, options: ProviderOptions, *, config_dir: Path) -> None:
        super().__init__(name, options, config_dir=config_dir)
        self._api: AkamaiAPI | None = None
        self._secrets: tuple[str, ...] = ()
        self._managed: dict[str, set[RecordKey]] = {}
        """Keys asked for per zone: a leftover change list touching only these is ours."""

    @property
    def settings(self) -> AkamaiOptions:
        assert isinstance(self.options, AkamaiOptions)
        return self.options

    @property
    def api(self) -> AkamaiAPI:
        """The HTTP seam, built on first use (missing credentials are a permanent error)."""
        if self._api is None:
            opts = self.settings
            credentials = resolve_credentials(opts, self.config_dir, provider=self.name)
            self._secrets = credentials.secrets()
            self._api = AkamaiAPI(
                api_root(opts, credentials),
                EdgeGridAuth(credentials),
                bucket=TokenBucket(opts.requests_per_second, opts.burst),
                timeout=opts.timeout_seconds,
                page_size=opts.page_size,
                block_seconds=opts.block_seconds,
            )
        return self._api

    def _error(self, exc: Failure, zone: Zone) -> ProviderError:
        return classify(exc, provider=self.name, zone=zone.name, secrets=self._secrets)

    async def _read(
        self, zone: Zone, keys: Collection[RecordKey], *, changelist: bool = False
    ) -> dict[RecordKey, RRset]:
        types = sorted({rtype for _, rtype in keys})
        terms = records.search_terms(keys)
        found: list[RRset] = []
        if len(terms) > self.settings.max_searches:
            found = await self.api.recordsets(zone.name, types, None, changelist=changelist)
        else:
            for term in terms:
                found += await self.api.recordsets(zone.name, types, term, changelist=changelist)
        return records.wanted(found, keys)

    async def list_rrsets(self, zone: Zone, keys: Collection[RecordKey]) -> list[RRset]:
        """The live RRsets of ``keys`` (absent ones are absent), read from the zone."""
        if not keys:
            return []
        self._managed.setdefault(zone.name, set()).update(keys)
        try:
            live = await self._read(zone, keys)
        except FAILURES as exc:
            raise self._error(exc, zone) from None
        return [live[key] for key in keys if key in live]

    async def apply(self, zone: Zone, changes: Sequence[Change]) -> None:
        """Apply ``changes`` in one change list (see the module docstring).

        Raises StaleRRsetError when a record set is no longer ``Change.before`` or the zone
        changed before the submit (nothing written), ProviderError for someone else's change
        list or a refused change, TransientProviderError for throttling and outages.
        """
        if not changes:
            return
        managed = self._managed.setdefault(zone.name, set())
        managed.update(c.key for c in changes)
        try:
            await self._open(zone, managed)
            try:
                await self._stage_and_submit(zone, changes)
            except Exception:
                await self._discard_quietly(zone)
                raise
        except FAILURES as exc:
            raise self._error(exc, zone) from None

    async def _open(self, zone: Zone, managed: set[RecordKey]) -> None:
        try:
            await self.api.create(zone.name)
            return
        except APIError as exc:
            if exc.status != 409:
                raise
        changed, settings = await self.api.diff(zone.name)
        foreign = sorted(changed - managed)
        if foreign or settings:
            shown = ", ".join(f"{n} {t}" for n, t in foreign[:5]) or f"{settings} zone settings"
            raise ProviderError(
                f"zone {zone.name} has a change list that failover-sync did not create (it "
                f"changes {shown}): nothing was written; submit or delete it "
                "(DELETE /config-dns/v2/changelists/{zone}) and failover-sync will go on",
                provider=self.name,
                zone=zone.name,
            )
        await self.api.discard(zone.name)  # ours, left by a crash or a lost answer
        await self.api.create(zone.name)

    async def _stage_and_submit(self, zone: Zone, changes: Sequence[Change]) -> None:
        base = await self._read(zone, [c.key for c in changes], changelist=True)
        for change in changes:
            if not records.matches_before(change, base.get(change.key)):
                raise StaleRRsetError(
                    f"{change.name} {change.type} changed since it was read: re-reading",
                    provider=self.name,
                    zone=zone.name,
                )
        for change in changes:
            await self.api.add_change(zone.name, records.change_body(change))
        await self.api.submit(zone.name, self.settings.comment)

    async def _discard_quietly(self, zone: Zone) -> None:
        """Delete our change list after a failure; a failure here leaves a leftover that the
        next apply deletes (it changes only managed record sets)."""
        with contextlib.suppress(*FAILURES):
            await self.api.discard(zone.name)

    async def aclose(self) -> None:
        if self._api is not None:
            await self._api.aclose()
            self._api = None

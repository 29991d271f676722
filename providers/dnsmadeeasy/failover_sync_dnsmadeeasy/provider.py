"""``DnsMadeEasyProvider``: list and apply RRsets of DNS Made Easy domains (REST API v2.0).

Reading asks for the managed names only: one ``GET .../records?recordName=NAME`` per name (with
``type=`` when one type is asked at that name), or, when more than ``full_read_above`` names are
asked, one paged listing of the whole domain. The domain's id is looked up by name once per
process (or given as ``domain_id`` on the zone entry).

Writing has no conditional form in this API, so :meth:`~DnsMadeEasyProvider.apply` reads the
changed names again right before writing and raises :class:`failover_sync.StaleRRsetError`
(nothing written; the core re-reads and re-plans) when a live RRset no longer holds the values
the plan was made from. It then sends, per zone: one ``createMulti`` for every joining value,
one ``updateMulti`` for staying values whose TTL changes, and one multi-delete for every
leaving value (each per ``max_batch`` records), in that order, so that a name never answers
with no value while it changes. What this does not cover: a write by someone else between that
re-read and our calls (milliseconds) is not detected; see the README.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import httpx

from failover_sync import (
    Capabilities,
    Change,
    MalformedAnswer,
    Provider,
    ProviderError,
    ProviderOptions,
    RecordKey,
    RRset,
    StaleRRsetError,
    Zone,
)
from failover_sync_dnsmadeeasy import records
from failover_sync_dnsmadeeasy.api import DnsMadeEasyAPI
from failover_sync_dnsmadeeasy.budget import BudgetExhausted, budget_for
from failover_sync_dnsmadeeasy.errors import Call, DmeFailure, classify, is_rate_limited
from failover_sync_dnsmadeeasy.options import DnsMadeEasyOptions, DnsMadeEasyZoneOptions, read_keys
from failover_sync_dnsmadeeasy.records import LiveRecord
from failover_sync_dnsmadeeasy.signing import DnsMadeEasyAuth

Live = dict[RecordKey, list[LiveRecord]]
FAILURES = (DmeFailure, BudgetExhausted, httpx.TransportError, MalformedAnswer)
"""What the seam raises; :func:`~.errors.classify` turns each into a core error."""


def _subject(keys: Iterable[RecordKey]) -> str:
    names = [f"{name} {rtype}" for name, rtype in sorted(set(keys))]
    if len(names) > 3:
        return ", ".join(names[:3]) + f" and {len(names) - 3} more"
    return ", ".join(names)


class DnsMadeEasyProvider(Provider):
    """The ``dnsmadeeasy`` provider type (distribution ``failover-sync-dnsmadeeasy``)."""

    Options: ClassVar[type[ProviderOptions]] = DnsMadeEasyOptions
    ZoneOptions: ClassVar[type[ProviderOptions]] = DnsMadeEasyZoneOptions
    capabilities: ClassVar[Capabilities] = Capabilities(
        record_types=frozenset({"A", "AAAA", "CNAME", "TXT"}), max_batch=200, weights=False
    )

    def __init__(self, name: str, options: ProviderOptions, *, config_dir: Path) -> None:
        super().__init__(name, options, config_dir=config_dir)
        self._api: DnsMadeEasyAPI | None = None
        self._domain_ids: dict[str, int] = {}

    @property
    def settings(self) -> DnsMadeEasyOptions:
        assert isinstance(self.options, DnsMadeEasyOptions)
        return self.options

    @property
    def api(self) -> DnsMadeEasyAPI:
        """The HTTP seam, built on first use (missing keys are a permanent error then)."""
        if self._api is None:
            opts = self.settings
            api_key, secret = read_keys(opts, self.config_dir, provider=self.name)
            budget = budget_for(
                opts.base_url,
                api_key,
                opts.request_limit,
                reserve=opts.reserve_requests,
                burst=opts.burst,
            )
            client = httpx.AsyncClient(
                base_url=opts.base_url.rstrip("/"),
                auth=DnsMadeEasyAuth(api_key, secret),
                timeout=opts.timeout_seconds,
                follow_redirects=False,
            )
            self._api = DnsMadeEasyAPI(client, budget, max_wait=opts.max_wait_seconds)
        return self._api

    def _error(self, exc: Exception, call: Call) -> ProviderError:
        wait = 300.0
        if isinstance(exc, DmeFailure) and is_rate_limited(exc):
            wait = self.api.budget.exhausted()
        return classify(exc, call, provider=self.name, wait=wait)

    async def _domain_id(self, zone: Zone) -> int:
        configured = zone.options.get("domain_id")
        if isinstance(configured, int) and configured > 0:
            return configured
        if zone.name not in self._domain_ids:
            call = Call("domain lookup", "", zone.name)
            try:
                found = await self.api.domain_id(zone.name.rstrip("."))
            except FAILURES as exc:
                raise self._error(exc, call) from None
            self._domain_ids[zone.name] = found
        return self._domain_ids[zone.name]

    async def _fetch(self, domain_id: int, zone: Zone, keys: Collection[RecordKey]) -> Live:
        wanted = set(keys)
        types_by_name: dict[str, set[str]] = {}
        for key_name, key_type in wanted:
            types_by_name.setdefault(key_name, set()).add(key_type)
        live: Live = {}
        listings: list[tuple[str | None, str | None, str]]
        if len(types_by_name) > self.settings.full_read_above:
            listings = [(None, None, _subject(wanted))]
        else:
            listings = []
            for owner in sorted(types_by_name):
                types = types_by_name[owner]
                only = next(iter(types)) if len(types) == 1 else None
                listings.append((owner, only, _subject((owner, t) for t in types)))
        for name, rtype, subject in listings:
            call = Call("record listing", subject, zone.name)
            try:
                relative = None if name is None else records.relative_name(name, zone.name)
                # Whether recordName= (empty) selects the apex is not documented (API.md):
                # the apex is read by type alone and picked out here.
                relative = relative or None
                found = await self.api.list_records(
                    domain_id,
                    zone.name,
                    name=relative,
                    rtype=rtype,
                    rows=self.settings.rows if name is None else None,
                )
            except FAILURES as exc:
                raise self._error(exc, call) from None
            except ValueError as exc:
                raise ProviderError(f"{call}: {exc}", provider=self.name, zone=zone.name) from None
            for record in found:
                if record.key in wanted:
                    live.setdefault(record.key, []).append(record)
        return live

    async def list_rrsets(self, zone: Zone, keys: Collection[RecordKey]) -> list[RRset]:
        """The live RRsets of ``keys``: one listing per distinct name, or one paged listing
        of the domain for many names. Raises ProviderError / TransientProviderError."""
        if not keys:
            return []
        live = await self._fetch(await self._domain_id(zone), zone, keys)
        return [records.to_rrset(key, live[key]) for key in keys if live.get(key)]

    def _check(self, zone: Zone, changes: Sequence[Change], live: Live) -> None:
        for change in changes:
            where = f"{change.name} {change.type} in domain {zone.name}"
            if change.type not in self.capabilities.record_types:
                raise ProviderError(
                    f"{where}: type {change.type} is not managed by this adapter",
                    provider=self.name,
                    zone=zone.name,
                )
            try:
                records.relative_name(change.name, zone.name)
            except ValueError as exc:
                raise ProviderError(f"{where}: {exc}", provider=self.name, zone=zone.name) from None
            current = live.get(change.key, [])
            if not records.matches_before(change, current):
                now = sorted({r.value for r in current})
                raise StaleRRsetError(
                    f"{where} changed since it was planned: live {now}, planned from "
                    f"{sorted(change.before)}; nothing written, re-planning",
                    provider=self.name,
                    zone=zone.name,
                )

    async def apply(self, zone: Zone, changes: Sequence[Change]) -> None:
        """Apply ``changes``: re-read, refuse stale RRsets, then create, update, delete.

        Raises StaleRRsetError (nothing written) when a live RRset no longer holds
        ``Change.before``, ProviderError for a rejected call, TransientProviderError for the
        budget, throttling, 5xx and connection errors. After a failure between calls the
        zone holds extra values, never fewer: creates go first.
        """
        if not changes:
            return
        domain_id = await self._domain_id(zone)
        live = await self._fetch(domain_id, zone, [c.key for c in changes])
        self._check(zone, changes, live)
        diffs = [records.diff(c, live.get(c.key, []), zone.name) for c in changes]
        size = self.settings.max_batch
        steps: list[tuple[str, list[tuple[RecordKey, Any]]]] = [
            ("createMulti", [(d.key, b) for d in diffs for b in d.creates]),
            ("updateMulti", [(d.key, r) for d in diffs for r in d.updates]),
            ("multi-delete", [(d.key, i) for d in diffs for i in d.deletes]),
        ]
        for what, items in steps:
            for chunk in records.chunks(items, size):
                call = Call(what, _subject(k for k, _ in chunk), zone.name, writes=True)
                payload = [item for _, item in chunk]
                try:
                    if what == "createMulti":
                        await self.api.create_multi(domain_id, payload)
                    elif what == "updateMulti":
                        await self.api.update_multi(domain_id, payload)
                    else:
                        await self.api.delete_ids(domain_id, payload)
                except FAILURES as exc:
                    raise self._error(exc, call) from None

    async def aclose(self) -> None:
        """Close the HTTP client (a later call builds a new one)."""
        if self._api is not None:
            await self._api.aclose()
            self._api = None

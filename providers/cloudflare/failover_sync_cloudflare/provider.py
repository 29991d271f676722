"""``CloudflareProvider``: list and apply RRsets of Cloudflare zones through the official SDK.

Reading asks for the managed names only (``name.exact``, plus ``type`` when one type is asked
for at that name), every page. Applying turns each Change into deletes, patches and posts
(:mod:`failover_sync_cloudflare.batch`) and sends them with ``dns.records.batch``, one call per
zone per ``max_batch`` operations. The records read by :meth:`list_rrsets` are kept for the
next :meth:`apply` of that zone within :data:`READ_REUSE_SECONDS` (the reconciler reads, plans
and applies in milliseconds), which uses their ids when they still match ``Change.before``;
otherwise it re-reads and refuses (transient) when the live values are no longer
``Change.before``. Cloudflare has no conditional batch, so a write between that read and the
batch is not detected: a stale id fails the batch as a whole (81044, transient: re-read), a
value added meanwhile stays until the next resync removes it.

Retries, layered (worst case for one logical call, with the defaults):

- the SDK sends a read up to ``1 + max_retries`` = 3 times (408/409/429/5xx and connection
  errors; ``Retry-After`` up to 60 s honoured, else 0.5-8 s backoff); a batch only once,
  because a batch whose answer was lost may have been applied;
- the core's RetryPolicy (4 attempts, ``Retry-After`` honoured) repeats the whole
  read-plan-apply attempt: a batch is sent at most 4 times per reconcile, each after a fresh
  read and plan;
- the core's ``read_live`` also retries the read (4 attempts) inside each of those attempts,
  so one list call may go out 4 x 4 x 3 = 48 times in one reconcile.

The request budget counts every one of these requests (an httpx hook) and refuses, as a
transient error with the seconds to wait, any call that could cross it, so Cloudflare's
five-minute lockout is never reached by our own retries.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import ClassVar

import cloudflare

from failover_sync import (
    Capabilities,
    Change,
    Provider,
    ProviderError,
    ProviderOptions,
    RecordKey,
    RRset,
    StaleRRsetError,
    Zone,
)
from failover_sync_cloudflare import batch
from failover_sync_cloudflare.api import CloudflareAPI
from failover_sync_cloudflare.batch import LiveRecord
from failover_sync_cloudflare.budget import BudgetExhausted, budget_for
from failover_sync_cloudflare.errors import MalformedAnswer, classify
from failover_sync_cloudflare.options import (
    MAX_TTL,
    CloudflareOptions,
    CloudflareZoneOptions,
    resolve_token,
)

Live = dict[RecordKey, list[LiveRecord]]
READ_REUSE_SECONDS = 5.0
"""How long records read by list_rrsets may serve the next apply's ids, in seconds."""


class CloudflareProvider(Provider):
    """The ``cloudflare`` provider type (distribution ``failover-sync-cloudflare``)."""

    Options: ClassVar[type[ProviderOptions]] = CloudflareOptions
    ZoneOptions: ClassVar[type[ProviderOptions]] = CloudflareZoneOptions
    capabilities: ClassVar[Capabilities] = Capabilities(
        record_types=frozenset({"A", "AAAA", "CNAME", "TXT"}), max_batch=200, weights=False
    )

    def __init__(self, name: str, options: ProviderOptions, *, config_dir: Path) -> None:
        super().__init__(name, options, config_dir=config_dir)
        self._api: CloudflareAPI | None = None
        self._zone_ids: dict[str, str] = {}
        self._block_zone: str | None = None
        self._read: dict[str, tuple[float, Live]] = {}

    @property
    def settings(self) -> CloudflareOptions:
        assert isinstance(self.options, CloudflareOptions)
        return self.options

    @property
    def api(self) -> CloudflareAPI:
        """The SDK seam, built on first use (a missing token is a permanent error then)."""
        if self._api is None:
            opts = self.settings
            token = resolve_token(opts, self.config_dir, provider=self.name)
            self._api = CloudflareAPI(
                token,
                budget=budget_for(token, opts.max_requests_per_5min),
                base_url=opts.base_url,
                max_retries=opts.max_retries,
                timeout=opts.timeout_seconds,
                per_page=opts.per_page,
                max_answer_bytes=opts.max_answer_bytes,
            )
        return self._api

    async def _zone_id(self, zone: Zone) -> str:
        """The zone's id: its entry's ``zone_id``, else the provider block's (for the one
        zone that uses it), else looked up by name once. Raises ProviderError when the
        provider block's ``zone_id`` would serve a second zone, or the zone is not found."""
        configured = zone.options.get("zone_id")
        if isinstance(configured, str) and configured:
            return configured
        block_id = self.settings.zone_id
        if block_id is not None:
            self._block_zone = self._block_zone or zone.name
            if self._block_zone != zone.name:
                raise ProviderError(
                    f"zone_id {block_id} in the block of provider {self.name} serves one "
                    f"zone, {self._block_zone}; zone {zone.name} needs its own zone_id on its "
                    f"zone entry (zones: [{{name: {zone.name.rstrip('.')}, provider: "
                    f"{self.name}, zone_id: ...}}]), or move the block's zone_id to the entry "
                    f"of {self._block_zone}",
                    provider=self.name,
                    zone=zone.name,
                )
            return block_id
        if zone.name not in self._zone_ids:
            found = await self.api.zone_id(zone.name)
            if found is None:
                raise ProviderError(
                    f"zone {zone.name} not found: no such zone in the account, or the token "
                    "lacks Zone > Zone > Read on it (or set zone_id on the zone entry)",
                    provider=self.name,
                    zone=zone.name,
                )
            self._zone_ids[zone.name] = found
        return self._zone_ids[zone.name]

    async def _fetch(self, zone_id: str, keys: Collection[RecordKey]) -> Live:
        types_by_name: dict[str, set[str]] = {}
        for name, rtype in keys:
            types_by_name.setdefault(name, set()).add(rtype)
        wanted = set(keys)
        live: Live = {}
        if len(types_by_name) > self.settings.full_read_above:
            # One listing of the whole zone, paged at zone_page_size, costs fewer calls
            # than one per name (markers and external-dns names count as names too).
            size = self.settings.zone_page_size
            for record in await self.api.list_records(zone_id, None, None, per_page=size):
                if record.key in wanted:
                    live.setdefault(record.key, []).append(record)
            return live
        for name in sorted(types_by_name):
            types = types_by_name[name]
            only = next(iter(types)) if len(types) == 1 else None
            for record in await self.api.list_records(zone_id, name, only):
                if record.key in wanted:
                    live.setdefault(record.key, []).append(record)
        return live

    async def list_rrsets(self, zone: Zone, keys: Collection[RecordKey]) -> list[RRset]:
        """The live RRsets of ``keys``: one list call per distinct name (more if over a page),
        or one paged listing of the whole zone when more than ``full_read_above`` names are
        asked for (Cloudflare's budget is 1,200 calls per 5 minutes per user).

        Proxied RRsets report the TTL last asked for in :meth:`apply` (Cloudflare keeps them
        automatic, TTL 1); see the module docstring of ``batch`` for mixed TTLs.
        """
        try:
            zone_id = await self._zone_id(zone)
            live = await self._fetch(zone_id, keys)
        except (cloudflare.APIError, BudgetExhausted, MalformedAnswer) as exc:
            raise classify(exc, provider=self.name, zone=zone.name) from None
        self._read[zone.name] = (time.monotonic(), live)
        return [batch.to_rrset(key, live[key]) for key in keys if live.get(key)]

    def _check_ttls(self, zone: Zone, changes: Sequence[Change], live: Live) -> None:
        low = self.settings.min_ttl
        for change in changes:
            if change.ttl == batch.AUTOMATIC_TTL or low <= change.ttl <= MAX_TTL:
                continue
            if batch.all_proxied(change, live.get(change.key, [])):
                continue
            raise ProviderError(
                f"{change.name} {change.type}: TTL {change.ttl} is not accepted by Cloudflare: "
                f"use 1 (automatic) or {low}-{MAX_TTL} seconds (min_ttl: 30 on Enterprise)",
                provider=self.name,
                zone=zone.name,
            )

    async def apply(self, zone: Zone, changes: Sequence[Change]) -> None:
        """Apply ``changes`` with as few ``dns.records.batch`` calls as ``max_batch`` allows.

        Raises TransientProviderError when a live RRset no longer equals ``Change.before``
        (re-read and re-plan), ProviderError for a bad TTL (before any write) or a rejected
        batch; a batch is all or nothing, so a rejected one changes nothing.
        """
        if not changes:
            return
        cached = self._read.pop(zone.name, None)
        fresh = cached is not None and time.monotonic() - cached[0] <= READ_REUSE_SECONDS
        read = cached[1] if cached is not None and fresh else None
        try:
            zone_id = await self._zone_id(zone)
            keys = [c.key for c in changes]
            if read is None or not all(batch.check_before(c, read) for c in changes):
                read = await self._fetch(zone_id, keys)
            self._check_ttls(zone, changes, read)
            for change in changes:
                if not batch.check_before(change, read):
                    raise StaleRRsetError(
                        f"{change.name} {change.type} changed since it was read "
                        f"(now {[r.content for r in read.get(change.key, [])]}); nothing "
                        "was written",
                        provider=self.name,
                        zone=zone.name,
                    )
            comment = self.settings.comment
            groups = [batch.diff(c, read.get(c.key, []), comment=comment) for c in changes]
            for ops in batch.chunk(groups, self.settings.max_batch):
                await self.api.batch(zone_id, ops)
        except (cloudflare.APIError, BudgetExhausted, MalformedAnswer) as exc:
            raise classify(exc, provider=self.name, zone=zone.name) from None

    async def aclose(self) -> None:
        if self._api is not None:
            await self._api.aclose()
            self._api = None

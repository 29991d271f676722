"""``AzureProvider``: list and apply RRsets of Azure DNS zones through azure-mgmt-dns.

Reading lists the record sets of each asked type (``list_by_type``, or ``list_all_by_dns_zone``
with ``read: all``), every page, and keeps only the asked names. Each record set read is
remembered with its ETag for the next :meth:`apply`.

Writing sends one request per record set (the API has no batch), each conditional, so that a
concurrent change is refused (HTTP 412 -> StaleRRsetError) instead of overwritten:

- the ETag used is the one read, if the values read are still ``Change.before``; otherwise
  the record set is read again (GET) and a live value other than ``Change.before`` is a
  StaleRRsetError before anything is sent;
- ``Change.before == ()``: ``If-None-Match: *`` (create only), or ``If-Match`` of an empty
  record set that exists without records;
- an RRset emptied is a DELETE with ``If-Match``.

Changes of a zone go out in four phases, each with at most ``max_concurrency`` requests in
flight, and a phase starts only when the one before succeeded: ownership markers
(``_failover-sync.<name>`` TXT) written, managed RRsets written, managed RRsets deleted,
markers deleted. So a marker goes out before (with) the first write of its name, a record
never exists without its marker, and a name that moves from one type to another gets the new
RRset before the old one goes: no name is left empty. A failed request leaves the others of
its phase to finish, and the error is raised (permanent before transient).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from azure.core.credentials_async import AsyncTokenCredential
from azure.identity.aio import DefaultAzureCredential
from azure.mgmt.dns.models import RecordSet

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
    TransientProviderError,
    Zone,
    read_secret,
)
from failover_sync_azure import records
from failover_sync_azure.client import DnsClient
from failover_sync_azure.errors import CAUGHT, classify
from failover_sync_azure.options import AzureOptions, AzureZoneOptions, StaticTokenCredential

MARKER_PREFIX = "_failover-sync."


@dataclass(frozen=True, slots=True)
class Seen:
    """A record set as last read or written: the SDK model (None: absent) and its RRset
    (None: absent or without records)."""

    record_set: RecordSet | None
    rrset: RRset | None

    @property
    def etag(self) -> str | None:
        return None if self.record_set is None else self.record_set.etag


@dataclass(frozen=True, slots=True)
class Target:
    """Where a zone lives: subscription, resource group, Azure's zone name (no dot)."""

    subscription: str
    group: str
    name: str


def _matches(seen: Seen, change: Change) -> bool:
    values = seen.rrset.values if seen.rrset is not None else ()
    return values == change.before


class AzureProvider(Provider):
    """The ``azure`` provider type (distribution ``failover-sync-azure``).

    ``credential`` replaces the one the options select (tests, embedding); it must be an
    azure-core ``AsyncTokenCredential``.
    """

    Options: ClassVar[type[ProviderOptions]] = AzureOptions
    ZoneOptions: ClassVar[type[ProviderOptions]] = AzureZoneOptions
    capabilities: ClassVar[Capabilities] = Capabilities(
        record_types=records.SUPPORTED, max_batch=None, weights=False, propagation_seconds=60.0
    )

    def __init__(
        self,
        name: str,
        options: ProviderOptions,
        *,
        config_dir: Path,
        credential: AsyncTokenCredential | None = None,
    ) -> None:
        super().__init__(name, options, config_dir=config_dir)
        self._credential = credential
        self._client: DnsClient | None = None
        self._seen: dict[tuple[str, RecordKey], Seen] = {}

    @property
    def settings(self) -> AzureOptions:
        assert isinstance(self.options, AzureOptions)
        return self.options

    def _make_credential(self) -> AsyncTokenCredential:
        opts = self.settings
        if opts.access_token_env is not None or opts.access_token_file is not None:
            token = read_secret(
                env=opts.access_token_env,
                file=opts.access_token_file,
                config_dir=self.config_dir,
                what="the ARM access token",
                provider=self.name,
                option_prefix="access_token",
            )
            return StaticTokenCredential(token)
        return DefaultAzureCredential(managed_identity_client_id=opts.managed_identity_client_id)

    @property
    def client(self) -> DnsClient:
        """The SDK seam, built on first use (a missing token file is a permanent error)."""
        if self._client is None:
            opts = self.settings
            credential = self._credential or self._make_credential()
            transport: dict[str, object] = {
                "connection_timeout": opts.timeout_seconds,
                "read_timeout": opts.timeout_seconds,
            }
            if opts.ca_file is not None:
                transport["connection_verify"] = str(self.config_dir / opts.ca_file)
            # The identity ARM counts calls against (a client id, never a secret).
            principal = (
                opts.managed_identity_client_id
                or ("token" if opts.access_token_env or opts.access_token_file else None)
                or os.environ.get("AZURE_CLIENT_ID")
                or "default"
            )
            self._client = DnsClient(
                credential,
                base_url=opts.base_url,
                principal=principal,
                rates={
                    "read": (opts.reads_per_second, opts.read_burst),
                    "write": (opts.writes_per_second, opts.write_burst),
                },
                max_wait=opts.max_wait_seconds,
                sdk_retries=opts.sdk_retries,
                page_size=opts.page_size,
                max_pages=opts.max_pages,
                transport=transport,
            )
        return self._client

    def _target(self, zone: Zone) -> Target:
        opts = self.settings
        subscription = zone.options.get("subscription_id") or opts.subscription_id
        group = zone.options.get("resource_group") or opts.resource_group
        pairs = (("subscription_id", subscription), ("resource_group", group))
        missing = [key for key, value in pairs if not value]
        if missing:
            raise ProviderError(
                f"zone {zone.name}: no {' and no '.join(missing)}: set it on provider "
                f"{self.name} or on the zone entry",
                provider=self.name,
                zone=zone.name,
            )
        return Target(str(subscription), str(group), zone.name.rstrip(".").lower())

    def _error(self, exc: Exception, zone: Zone, what: str) -> ProviderError:
        return classify(exc, provider=self.name, zone=zone.name, what=what)

    async def _read(self, zone: Zone, keys: Collection[RecordKey]) -> dict[RecordKey, Seen]:
        target = self._target(zone)
        if self.settings.read == "get":
            return await self._read_each(zone, target, keys)
        wanted = {(records.relative_name(n, zone.name), t): (n, t) for n, t in keys}
        types = sorted({t for _, t in keys})
        listings: list[tuple[str | None, list[RecordSet]]] = []
        what = "list_by_type"
        if self.settings.read == "all" and len(types) > 1:
            what = "list_all_by_dns_zone"
            sets = await self.client.list_sets(target.subscription, target.group, target.name, None)
            listings.append((None, sets))
        else:
            for rtype in types:
                sets = await self.client.list_sets(
                    target.subscription, target.group, target.name, rtype
                )
                listings.append((rtype, sets))
        found: dict[RecordKey, Seen] = {}
        for listed, sets in listings:
            for rs in sets:
                relative, kind = records.check_identity(rs, zone.name, listed)
                key = wanted.get((relative, kind))
                if key is None:
                    continue
                if key in found:
                    raise MalformedAnswer(f"{what}: record set {relative} {kind} listed twice")
                found[key] = Seen(rs, records.to_rrset(rs, zone.name, listed))
        return {key: found.get(key, Seen(None, None)) for key in keys}

    async def _read_each(
        self, zone: Zone, target: Target, keys: Collection[RecordKey]
    ) -> dict[RecordKey, Seen]:
        limit = asyncio.Semaphore(self.settings.max_concurrency)

        async def one(key: RecordKey) -> Seen:
            name, rtype = key
            relative = records.relative_name(name, zone.name)
            async with limit:
                rs = await self.client.get(
                    target.subscription, target.group, target.name, rtype, relative
                )
            return Seen(
                rs, None if rs is None else records.to_rrset(rs, zone.name, rtype, relative)
            )

        ordered = list(keys)
        return dict(zip(ordered, await asyncio.gather(*(one(k) for k in ordered)), strict=True))

    async def list_rrsets(self, zone: Zone, keys: Collection[RecordKey]) -> list[RRset]:
        """The live RRsets of ``keys``: one list call per asked type and page (one in all
        with ``read: all``, one GET per key with ``read: get``).

        Raises MalformedAnswer for an answer that is not what the API documents (HTML, wrong
        shapes, another zone's record sets), never an empty list."""
        if not keys:
            return []
        try:
            seen = await self._read(zone, keys)
        except CAUGHT as exc:
            raise self._error(exc, zone, "reading record sets") from None
        except ValueError as exc:  # a key outside the zone: a caller's mistake, named
            raise ProviderError(str(exc), provider=self.name, zone=zone.name) from None
        for key, item in seen.items():
            self._seen[(zone.name, key)] = item
        return [item.rrset for key in keys if (item := seen[key]).rrset is not None]

    async def _current(self, zone: Zone, target: Target, change: Change) -> Seen:
        """What ``change`` is written over: the record set read, if it still holds
        ``change.before``, else a fresh GET. Raises StaleRRsetError when it does not."""
        cached = self._seen.get((zone.name, change.key))
        if cached is not None and _matches(cached, change):
            return cached
        relative = records.relative_name(change.name, zone.name)
        rs = await self.client.get(
            target.subscription, target.group, target.name, change.type, relative
        )
        seen = Seen(
            rs, None if rs is None else records.to_rrset(rs, zone.name, change.type, relative)
        )
        self._seen[(zone.name, change.key)] = seen
        if not _matches(seen, change):
            live = seen.rrset.values if seen.rrset is not None else ()
            raise StaleRRsetError(
                f"{change.name} {change.type} changed since it was read: it holds "
                f"{list(live) or 'nothing'}, the plan expected {list(change.before) or 'nothing'}"
                "; nothing was written",
                provider=self.name,
                zone=zone.name,
            )
        return seen

    async def _write(self, zone: Zone, target: Target, change: Change) -> None:
        relative = records.relative_name(change.name, zone.name)
        verb = "DELETE" if not change.after else "PUT"
        what = f"{verb} {change.type} {relative}"
        try:
            seen = await self._current(zone, target, change)
            if not change.after:
                if seen.etag is not None:
                    await self.client.delete(
                        target.subscription,
                        target.group,
                        target.name,
                        change.type,
                        relative,
                        etag=seen.etag,
                    )
                self._seen[(zone.name, change.key)] = Seen(None, None)
                return
            body = records.record_set_for(change.type, change.ttl, change.after, seen.record_set)
            written = await self.client.put(
                target.subscription,
                target.group,
                target.name,
                change.type,
                relative,
                body,
                etag=seen.etag,
            )
            self._seen[(zone.name, change.key)] = Seen(
                written, records.to_rrset(written, zone.name, change.type, relative)
            )
        except CAUGHT as exc:
            self._seen.pop((zone.name, change.key), None)
            raise self._error(exc, zone, what) from None
        except ValueError as exc:
            raise ProviderError(f"{what}: {exc}", provider=self.name, zone=zone.name) from None

    @staticmethod
    def phases(changes: Sequence[Change]) -> list[list[Change]]:
        """``changes`` in the four phases of the module docstring (empty phases dropped)."""

        def is_marker(change: Change) -> bool:
            return change.type == "TXT" and change.name.startswith(MARKER_PREFIX)

        out: list[list[Change]] = [[], [], [], []]
        for change in changes:
            index = (0 if change.after else 3) if is_marker(change) else (1 if change.after else 2)
            out[index].append(change)
        return [phase for phase in out if phase]

    async def apply(self, zone: Zone, changes: Sequence[Change]) -> None:
        """Write ``changes``, one conditional request per record set (see the module).

        Raises StaleRRsetError when a record set changed since it was read (HTTP 412, or a
        re-read that differs from ``Change.before``), TransientProviderError for 429/5xx/
        timeouts, ProviderError otherwise; the first permanent error wins.
        """
        if not changes:
            return
        try:
            target = self._target(zone)
            for change in changes:
                records.relative_name(change.name, zone.name)
        except ValueError as exc:
            raise ProviderError(str(exc), provider=self.name, zone=zone.name) from None
        limit = asyncio.Semaphore(self.settings.max_concurrency)

        async def bounded(change: Change) -> None:
            async with limit:
                await self._write(zone, target, change)

        for phase in self.phases(changes):
            results = await asyncio.gather(*(bounded(c) for c in phase), return_exceptions=True)
            errors = [r for r in results if isinstance(r, BaseException)]
            if errors:
                permanent = [e for e in errors if not isinstance(e, TransientProviderError)]
                raise (permanent or errors)[0]

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

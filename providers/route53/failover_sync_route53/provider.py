"""The ``route53`` provider: Amazon Route 53 through boto3.

Read: the records of a zone are read whole (``ceil(records / 300)`` ListResourceRecordSets
requests) the first time, which also measures the zone; afterwards, when fewer names are
managed than the zone has pages, each managed (name, type) is read on its own (one request
each). Either way only the asked keys are returned.

Write: each Change becomes a group of Route 53 changes (:mod:`.records`), groups are packed
into change batches by the AWS limits (:mod:`.batching`), and the batches of one zone are sent
one after the other (Route 53 answers ``PriorRequestNotComplete`` to concurrent writes on a
zone). A batch is all-or-nothing; when a later batch fails, the earlier ones stay applied and
the core re-reads the zone before it tries again. With ``wait_for_sync`` each batch is
followed by GetChange polling until ``INSYNC``.

Errors: classified in :mod:`.errors`; retry layers and the request budget in :mod:`.client`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import threading
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import ClassVar, TypeVar

import tenacity

from failover_sync import (
    Capabilities,
    Change,
    Provider,
    ProviderError,
    ProviderOptions,
    RecordKey,
    RRset,
    Zone,
    absolute_name,
)
from failover_sync_route53 import reading
from failover_sync_route53.batching import GroupTooLarge, batches
from failover_sync_route53.client import Route53API, make_client
from failover_sync_route53.errors import CLASSIFIED, MALFORMED, classify
from failover_sync_route53.options import Route53Options, Route53ZoneOptions
from failover_sync_route53.ratelimit import TokenBucket
from failover_sync_route53.records import (
    LiveGroup,
    R53Change,
    group_records,
    record_key,
    route53_changes,
)

log = logging.getLogger("failover_sync.route53")
T = TypeVar("T")


def _event(level: int, name: str, **fields: object) -> None:
    log.log(level, name, extra={"fields": fields})


class Route53Provider(Provider):
    """Amazon Route 53 (see the module docstring and README.md).

    Capabilities: A, AAAA, CNAME and TXT; native weights; ``max_batch`` 500 single-value
    UPSERTs (1000 ResourceRecord elements, UPSERT counted twice); changes reach every Route 53
    authoritative server within about 60 s (AWS: "generally within 60 seconds").
    """

    Options: ClassVar[type[ProviderOptions]] = Route53Options
    ZoneOptions: ClassVar[type[ProviderOptions]] = Route53ZoneOptions
    capabilities: ClassVar[Capabilities] = Capabilities(
        record_types=frozenset({"A", "AAAA", "CNAME", "TXT"}),
        max_batch=500,
        weights=True,
        txt=True,
        propagation_seconds=60.0,
    )

    def __init__(self, name: str, options: ProviderOptions, *, config_dir: Path) -> None:
        super().__init__(name, options, config_dir=config_dir)
        if not isinstance(options, Route53Options):
            raise TypeError(f"route53 options must be Route53Options, not {type(options)}")
        self.settings = options
        self._client: Route53API | None = None
        self._bucket: TokenBucket | None = None
        self._client_lock = threading.Lock()
        self._zone_ids: dict[str, str] = {}
        self._zone_pages: dict[str, int] = {}
        self._live: dict[tuple[str, RecordKey], LiveGroup] = {}
        self._write_locks: dict[str, asyncio.Lock] = {}
        self.last_sync_seconds: float | None = None
        """Seconds from a batch's submission to INSYNC, for the last awaited batch."""

    # -- plumbing ---------------------------------------------------------------------------

    def client(self) -> Route53API:
        """The boto3 client, built on first use (in a worker thread: STS may be called)."""
        with self._client_lock:
            if self._client is None:
                self._client, self._bucket = make_client(self.settings)
            return self._client

    @property
    def bucket(self) -> TokenBucket | None:
        """The account's shared token bucket, once the client exists."""
        return self._bucket

    async def _call(self, zone: Zone, operation: str, fn: Callable[[], T]) -> T:
        """Run ``fn`` (boto3 calls and the reading of their answers) in a worker thread;
        classify botocore errors and malformed answers."""
        try:
            return await asyncio.to_thread(fn)
        except ProviderError as exc:  # raised by our own guards inside ``fn``
            exc.provider, exc.zone = exc.provider or self.name, exc.zone or zone.name
            raise
        except CLASSIFIED as exc:
            raise classify(exc, operation=operation, provider=self.name, zone=zone.name) from exc

    async def zone_id(self, zone: Zone) -> str:
        """The bare hosted zone id of ``zone``: from ``hosted_zone_id`` (zone entry, then
        provider block), else found by name once and remembered. Raises ProviderError."""
        cached = self._zone_ids.get(zone.name)
        if cached is not None:
            return cached
        given = zone.options.get("hosted_zone_id") or self.settings.hosted_zone_id
        if isinstance(given, str) and given:
            self._zone_ids[zone.name] = given
            return given
        private = zone.options.get("private_zone")
        if private is None:
            private = self.settings.private_zone
        want_private = bool(private) if private is not None else None
        found, reason = await self._call(
            zone,
            "ListHostedZonesByName",
            lambda: reading.find_zone(self.client(), zone.name, want_private),
        )
        if found is None:
            raise ProviderError(f"Route 53: {reason}", provider=self.name, zone=zone.name)
        _event(logging.INFO, "route53_zone_found", zone=zone.name, hosted_zone_id=found)
        self._zone_ids[zone.name] = found
        return found

    # -- reading ----------------------------------------------------------------------------

    def _read(
        self, zone: Zone, zone_id: str, keys: list[RecordKey]
    ) -> dict[RecordKey, tuple[LiveGroup, RRset | None]]:
        """The live group at each key and the RRset it reads as (converted here, under
        :meth:`_call`, so that a malformed record is classified like a malformed answer).
        A whole-zone read without the SOA at the apex, which every hosted zone has, is a
        malformed answer (ValueError here), never a zone without records."""
        client = self.client()
        known_pages = self._zone_pages.get(zone_id)
        if known_pages is not None and len(keys) < known_pages:
            groups = {k: group_records(k, reading.read_key(client, zone_id, k)) for k in keys}
        else:
            records = reading.read_zone(client, zone_id)
            apex = absolute_name(zone.name)
            if not any(record_key(r) == (apex, "SOA") for r in records):
                raise ValueError(f"the listing of hosted zone {zone_id} has no SOA at {apex}")
            groups = {k: group_records(k, records) for k in keys}
            self._zone_pages[zone_id] = max(1, math.ceil(len(records) / reading.PAGE_SIZE))
        return {k: (group, group.rrset()) for k, group in groups.items()}

    async def list_rrsets(self, zone: Zone, keys: Collection[RecordKey]) -> list[RRset]:
        """The live RRsets at ``keys`` (see the module docstring for how they are read).

        Keys that hold records failover-sync does not own (alias, health check, other routing
        policy) are left out with a warning; writing them is refused by :meth:`apply`.
        """
        zone_id = await self.zone_id(zone)
        wanted = list(dict.fromkeys(keys))
        groups = await self._call(
            zone, "ListResourceRecordSets", lambda: self._read(zone, zone_id, wanted)
        )
        out: list[RRset] = []
        for key, (group, rrset) in groups.items():
            self._live[(zone_id, key)] = group
            if group.foreign is not None:
                _event(
                    logging.WARNING,
                    "route53_record_not_owned",
                    zone=zone.name,
                    record=key[0],
                    type=key[1],
                    holds=group.foreign,
                )
            if rrset is not None:
                out.append(rrset)
        return out

    # -- writing ----------------------------------------------------------------------------

    def _groups(
        self, zone_id: str, changes: Sequence[Change]
    ) -> tuple[list[list[R53Change]], list[str]]:
        groups: list[list[R53Change]] = []
        refused: list[str] = []
        for change in sorted(changes, key=lambda c: c.key):
            try:
                groups.append(route53_changes(change, self._live.get((zone_id, change.key))))
            except ValueError as exc:
                refused.append(str(exc))
        return groups, refused

    async def apply(self, zone: Zone, changes: Sequence[Change]) -> None:
        """Write ``changes`` in as few change batches as the AWS limits allow, in order.

        RRsets that hold records failover-sync does not own are not written; after the others
        are, a ProviderError names them. Raises ProviderError/TransientProviderError.
        """
        if not changes:
            return
        zone_id = await self.zone_id(zone)
        try:
            groups, refused = self._groups(zone_id, changes)
        except MALFORMED as exc:  # a live record read earlier lacks a field
            raise classify(
                exc, operation="ListResourceRecordSets", provider=self.name, zone=zone.name
            ) from exc
        try:
            planned = batches(groups)
        except GroupTooLarge as exc:
            raise ProviderError(str(exc), provider=self.name, zone=zone.name) from exc
        lock = self._write_locks.setdefault(zone_id, asyncio.Lock())
        async with lock:
            for number, batch in enumerate(planned, 1):
                comment = f"failover-sync: batch {number}/{len(planned)}, {len(batch)} changes"
                change_id = await self._call(
                    zone,
                    "ChangeResourceRecordSets",
                    functools.partial(self._submit, zone_id, batch, comment),
                )
                for item in batch:
                    rrset = item["ResourceRecordSet"]
                    self._live.pop((zone_id, (str(rrset["Name"]), str(rrset["Type"]))), None)
                if self.settings.wait_for_sync:
                    await self._wait_for_sync(zone, change_id)
        if refused:
            raise ProviderError(
                "not written, records not owned by failover-sync: " + "; ".join(refused),
                provider=self.name,
                zone=zone.name,
            )

    def _submit(self, zone_id: str, batch: list[R53Change], comment: str) -> str:
        response = self.client().change_resource_record_sets(
            HostedZoneId=zone_id, ChangeBatch={"Comment": comment, "Changes": batch}
        )
        return str(response["ChangeInfo"]["Id"])

    async def _wait_for_sync(self, zone: Zone, change_id: str) -> None:
        """Poll GetChange every ``sync_poll_seconds`` until INSYNC or the timeout (a warning)."""
        started = time.monotonic()

        async def status() -> str:
            return await self._call(
                zone,
                "GetChange",
                lambda: str(self.client().get_change(Id=change_id)["ChangeInfo"]["Status"]),
            )

        retrying = tenacity.AsyncRetrying(
            retry=tenacity.retry_if_result(lambda s: s != "INSYNC"),
            stop=tenacity.stop_after_delay(self.settings.sync_timeout_seconds),
            wait=tenacity.wait_fixed(self.settings.sync_poll_seconds),
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else "",
        )
        final: str = await retrying(status)
        seconds = round(time.monotonic() - started, 3)
        if final == "INSYNC":
            self.last_sync_seconds = seconds
            _event(
                logging.INFO,
                "route53_change_insync",
                zone=zone.name,
                change=change_id,
                seconds=seconds,
            )
        else:
            _event(
                logging.WARNING,
                "route53_change_not_insync",
                zone=zone.name,
                change=change_id,
                status=final,
                waited_seconds=seconds,
            )

    async def aclose(self) -> None:
        """Close the boto3 client's connection pool."""
        client, self._client = self._client, None
        if client is not None:
            await asyncio.to_thread(client.close)

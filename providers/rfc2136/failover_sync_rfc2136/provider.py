"""The RFC 2136 adapter: TSIG-signed DNS UPDATE to a primary server, reads by AXFR or query.

Works with any server that takes RFC 2136 dynamic updates: BIND 9 (``update-policy``), Knot
DNS (``acl`` with ``action: update``), PowerDNS Authoritative (``dnsupdate=yes``). Only
dnspython talks to the server (its asyncio API, ``dns.asyncquery``): no ``nsupdate``.

Calls, all over TCP except ``query`` reads (UDP, TCP on truncation)::

    list_rrsets  read: axfr   one AXFR (RFC 5936) of the zone, TSIG-signed; keep the asked keys
                 read: query  one query per asked (name, type); the answer must be authoritative
    apply                     one UPDATE (RFC 2136) with every changed RRset, each guarded by a
                              prerequisite on the values read (see messages.py); split only
                              past 65,535 octets; then one query per changed RRset to confirm
                              (a server may skip an add silently, RFC 2136 section 3.4.2.2)

Errors are classified in :mod:`failover_sync_rfc2136.errors`. A failed prerequisite (someone
changed an RRset between our read and our write, or created one we read as absent: the
prerequisite "RRset does not exist", RFC 2136 section 2.4.3) is a StaleRRsetError: the core
re-reads and re-plans. A transfer without the zone's SOA at the apex, or with more than
``max_transfer_records`` records, is a MalformedAnswer (never "no records"); of a transfer
only the apex and the asked names are kept in memory.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import ClassVar

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.xfr
import dns.zone

from failover_sync import (
    Action,
    Capabilities,
    Change,
    MalformedAnswer,
    Provider,
    ProviderError,
    ProviderOptions,
    RecordKey,
    RRset,
    Zone,
)
from failover_sync_rfc2136 import errors
from failover_sync_rfc2136.messages import TooLarge, build_batches
from failover_sync_rfc2136.options import RFC2136Options, Tsig, TsigKeyError, load_tsig

log = logging.getLogger(__name__)

QUERY_CONCURRENCY = 16
"""Queries in flight at once with ``read: query`` (one per managed RRset)."""

VERSION_TIMEOUT = 1.0
"""Seconds to wait for the ``version.bind`` answer that names the server kind in errors."""


class _TooLarge(Exception):
    """Raised inside the transfer when it brings more than ``max_transfer_records`` records."""


class _BoundedTransaction(dns.zone.Transaction):
    """The transaction an inbound AXFR writes into: counts every record put (one call per
    RR) against the zone's limit, and keeps only the apex and the asked names, so that memory
    follows the managed names, not the size of the zone."""

    def _put_rdataset(self, name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> None:
        zone = self.manager
        assert isinstance(zone, _BoundedZone)
        zone.records += 1
        if zone.records > zone.limit:
            raise _TooLarge
        if name in zone.keep:
            super()._put_rdataset(name, rdataset)  # type: ignore[no-untyped-call]


class _BoundedZone(dns.zone.Zone):
    """The zone an AXFR is received into: at most ``limit`` records, and only the RRsets of
    the apex (its SOA and NS, which dnspython checks) and of ``names`` are kept."""

    def __init__(self, origin: str, limit: int, names: Collection[str]) -> None:
        super().__init__(origin)
        assert self.origin is not None
        self.limit = limit
        self.records = 0
        self.keep = {dns.name.empty} | {
            dns.name.from_text(n).relativize(self.origin) for n in names
        }

    def writer(self, replacement: bool = False) -> dns.zone.Transaction:
        txn = _BoundedTransaction(self, replacement)
        txn._setup_version()  # type: ignore[no-untyped-call]
        return txn


class RFC2136Provider(Provider):
    """``type: rfc2136``: dynamic update (RFC 2136) signed with TSIG (RFC 8945)."""

    Options: ClassVar[type[ProviderOptions]] = RFC2136Options
    capabilities: ClassVar[Capabilities] = Capabilities(
        record_types=frozenset({"A", "AAAA", "CNAME", "TXT"}), max_batch=None, weights=False
    )

    def __init__(self, name: str, options: ProviderOptions, *, config_dir: Path) -> None:
        super().__init__(name, options, config_dir=config_dir)
        assert isinstance(options, RFC2136Options)
        self.opts = options
        self._tsig: Tsig | None = None
        self._tsig_loaded = False
        self._version: str | None = None
        self._version_asked = False

    def __repr__(self) -> str:
        return f"RFC2136Provider({self.name!r}, server={self.server_label})"

    @property
    def server_label(self) -> str:
        """``address:port`` (``[v6]:port``) as errors show it."""
        host = self.opts.server
        return f"[{host}]:{self.opts.port}" if ":" in host else f"{host}:{self.opts.port}"

    def tsig(self, zone: Zone) -> Tsig | None:
        """The TSIG key, loaded on first use (a rotated key file needs a restart).

        Raises ProviderError when the key cannot be loaded.
        """
        if not self._tsig_loaded:
            try:
                self._tsig = load_tsig(self.opts, self.config_dir)
            except TsigKeyError as exc:
                raise ProviderError(str(exc), provider=self.name, zone=zone.name) from None
            self._tsig_loaded = True
        return self._tsig

    async def _address(self, ctx: errors.Context) -> str:
        """The server's address; a host name is resolved on each call (addresses can move)."""
        if self.opts.is_ip_address:
            return self.opts.server
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(
                self.opts.server, self.opts.port, type=socket.SOCK_STREAM
            )
        except OSError as exc:
            raise ctx.transient(f"cannot resolve {self.opts.server}: {exc}") from None
        return str(infos[0][4][0])

    def _context(
        self, zone: Zone, operation: str, tsig: Tsig | None, names: Sequence[str] = ()
    ) -> errors.Context:
        return errors.Context(
            provider=self.name,
            zone=zone.name,
            server=self.server_label,
            operation=operation,
            tsig=tsig,
            names=names,
        )

    async def _server_version(self, address: str) -> str | None:
        """The server's ``version.bind`` (CH TXT) text, asked once per provider; None when it
        does not answer one (hidden version, timeout)."""
        if self._version_asked:
            return self._version
        self._version_asked = True
        query = dns.message.make_query("version.bind.", "TXT", "CH")
        try:
            response = await dns.asyncquery.udp(
                query, address, timeout=VERSION_TIMEOUT, port=self.opts.port
            )
        except Exception:
            return None  # only an error message's wording depends on it
        for rrset in response.answer:
            for rdata in rrset:
                strings = getattr(rdata, "strings", ())
                text = b"".join(strings).decode("ascii", "replace").strip()
                if text:
                    self._version = text[:80]
                    return self._version
        return None

    async def _error(
        self, outcome: BaseException | dns.rcode.Rcode, ctx: errors.Context, address: str
    ) -> ProviderError:
        """The error for a failed exchange; for an answer whose meaning depends on the server
        (plain NOTAUTH, TSIG BADKEY) the server's version is asked first to word it."""
        if errors.is_ambiguous(outcome):
            ctx.version = await self._server_version(address)
        if isinstance(outcome, BaseException):
            return errors.from_exception(outcome, ctx)
        return errors.from_rcode(outcome, ctx)

    # -- reading ---------------------------------------------------------------------------

    async def list_rrsets(self, zone: Zone, keys: Collection[RecordKey]) -> list[RRset]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return []
        if self.opts.read == "axfr":
            return await self._list_axfr(zone, wanted)
        return await self._list_query(zone, wanted)

    async def _list_axfr(self, zone: Zone, keys: Sequence[RecordKey]) -> list[RRset]:
        tsig = self.tsig(zone)
        ctx = self._context(zone, "transfer", tsig)
        address = await self._address(ctx)
        # A Zone is dnspython's transaction manager for inbound transfers; serial=None forces
        # a full AXFR rather than IXFR (we keep no copy to increment from).
        limit = self.opts.max_transfer_records
        received = _BoundedZone(zone.name, limit, {name for name, _ in keys})
        query, _ = dns.xfr.make_query(received, serial=None)
        if tsig is not None:
            query.use_tsig(tsig.keyring, keyname=tsig.name, algorithm=tsig.algorithm)
        try:
            await dns.asyncquery.inbound_xfr(
                address,
                received,
                query,
                port=self.opts.port,
                timeout=self.opts.timeout_seconds,
                lifetime=self.opts.timeout_seconds,
            )
        except _TooLarge:
            raise MalformedAnswer(
                f"{self.server_label}: transfer of zone {zone.name} brought more than "
                f"{limit} records (max_transfer_records); stopped there",
                provider=self.name,
                zone=zone.name,
            ) from None
        except Exception as exc:
            raise await self._error(exc, ctx, address) from None
        if received.get_rdataset("@", "SOA") is None:
            # dnspython checks the SOA framing of AXFR; a zone read must hold the apex SOA too.
            raise MalformedAnswer(
                f"{self.server_label}: transfer of zone {zone.name} has no SOA at the apex",
                provider=self.name,
                zone=zone.name,
            )
        found = []
        for name, rtype in keys:
            rdataset = received.get_rdataset(name, rtype)
            if rdataset is not None and len(rdataset) > 0:
                values = [rd.to_text(origin=received.origin, relativize=False) for rd in rdataset]
                found.append(RRset.of(name, rtype, rdataset.ttl, values))
        return found

    async def _list_query(self, zone: Zone, keys: Sequence[RecordKey]) -> list[RRset]:
        tsig = self.tsig(zone)
        ctx = self._context(zone, "query", tsig)
        address = await self._address(ctx)
        limit = asyncio.Semaphore(QUERY_CONCURRENCY)

        async def one(key: RecordKey) -> RRset | None:
            async with limit:
                return await self._query_one(address, key, tsig, ctx)

        results = await asyncio.gather(*(one(key) for key in keys))
        return [rr for rr in results if rr is not None]

    async def _query_one(
        self, address: str, key: RecordKey, tsig: Tsig | None, ctx: errors.Context
    ) -> RRset | None:
        name, rtype = key
        qname = dns.name.from_text(name)
        rdtype = dns.rdatatype.from_text(rtype)
        query = dns.message.make_query(qname, rdtype)
        query.flags &= ~dns.flags.RD  # ask the authoritative data, never recursion
        if tsig is not None:
            query.use_tsig(tsig.keyring, keyname=tsig.name, algorithm=tsig.algorithm)
        try:
            response, _ = await dns.asyncquery.udp_with_fallback(
                query, address, timeout=self.opts.timeout_seconds, port=self.opts.port
            )
        except Exception as exc:
            raise await self._error(exc, ctx, address) from None
        rcode = response.rcode()
        if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            raise await self._error(rcode, ctx, address)
        if not response.flags & dns.flags.AA:
            # A cache or a secondary that lost the zone answers without AA: its data may be
            # stale, and compare-and-swap against stale values would only ever conflict.
            raise ctx.permanent(f"the answer for {name} {rtype} is not authoritative (no AA)")
        for rrset in response.answer:
            # A CNAME at the name answers an A query with the CNAME: that is not the A RRset.
            if rrset.name == qname and rrset.rdtype == rdtype and len(rrset) > 0:
                values = [rd.to_text() for rd in rrset]
                return RRset.of(name, rtype, rrset.ttl, values)
        return None

    # -- writing ---------------------------------------------------------------------------

    async def apply(self, zone: Zone, changes: Sequence[Change]) -> None:
        if not changes:
            return
        tsig = self.tsig(zone)
        names = [f"{c.name} {c.type}" for c in changes]
        ctx = self._context(zone, "update", tsig, names)
        try:
            batches = build_batches(zone.name, changes, tsig)
        except (TooLarge, dns.exception.SyntaxError) as exc:
            raise ctx.permanent(str(exc) or type(exc).__name__) from None
        address = await self._address(ctx)
        for index, batch in enumerate(batches, 1):
            batch_names = [f"{c.name} {c.type}" for c in batch.changes]
            bctx = self._context(zone, "update", tsig, batch_names)
            try:
                response = await dns.asyncquery.tcp(
                    batch.message, address, timeout=self.opts.timeout_seconds, port=self.opts.port
                )
            except Exception as exc:
                raise await self._error(exc, bctx, address) from None
            rcode = response.rcode()
            if rcode != dns.rcode.NOERROR:
                raise await self._error(rcode, bctx, address)
            log.debug(
                "rfc2136 update %d/%d of %s: %d RRsets, NOERROR",
                index,
                len(batches),
                zone.name,
                len(batch.changes),
            )
        await self._verify(zone, address, tsig, changes)

    async def _verify(
        self, zone: Zone, address: str, tsig: Tsig | None, changes: Sequence[Change]
    ) -> None:
        """Read back every changed RRset; raise ProviderError for one the server ignored.

        NOERROR does not mean written: RFC 2136 section 3.4.2.2 has the server silently skip
        a CNAME added beside other data and other data added beside a CNAME (RFC 1034 section
        3.6.2), and BIND does. Without this check the controller would re-send the same
        UPDATE at every resync and never report why. One query per changed RRset.
        """
        ctx = self._context(zone, "query", tsig)
        limit = asyncio.Semaphore(QUERY_CONCURRENCY)

        async def one(change: Change) -> str | None:
            async with limit:
                live = await self._query_one(address, change.key, tsig, ctx)
            values = live.values if live else ()
            if values == change.after or (change.action is Action.DELETE and not values):
                return None
            return f"{change.name} {change.type} is {list(values)}, not {list(change.after)}"

        ignored = [m for m in await asyncio.gather(*(one(c) for c in changes)) if m]
        if ignored:
            raise self._context(zone, "update", tsig).permanent(
                "the server answered NOERROR but ignored part of the update: "
                + "; ".join(ignored[:5])
                + " (a CNAME cannot share its name with other data, RFC 1034 section 3.6.2; "
                "the server skips such an add silently, RFC 2136 section 3.4.2.2)"
            )

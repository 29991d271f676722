"""What the test servers that speak DNS (BIND, Knot) share: plain queries and readiness."""

from __future__ import annotations

from collections.abc import Iterable

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype


class Queries:
    """Mixin for a server with ``address``, ``port`` and ``zones`` (each with ``name``)."""

    address: str
    port: int

    def _ready(self) -> bool:
        """Every zone answers its SOA (readiness by content, not by a TCP connect)."""
        zones: Iterable[object] = getattr(self, "zones")  # noqa: B009 - each server's own type
        for zone in zones:
            response = self.ask(f"{getattr(zone, 'name')}.", "SOA", timeout=0.5)  # noqa: B009
            if response.rcode() != dns.rcode.NOERROR or not response.answer:
                return False
        return True

    def ask(self, name: str, rdtype: str, *, timeout: float = 2.0) -> dns.message.Message:
        """One plain (unsigned) UDP query; the whole response."""
        query = dns.message.make_query(name, rdtype)
        query.flags &= ~dns.flags.RD
        return dns.query.udp(query, self.address, timeout=timeout, port=self.port)

    def query(self, name: str, rdtype: str) -> set[str]:
        """The values of RRset ``name``/``rdtype`` served now (empty set when none)."""
        qname, qtype = dns.name.from_text(name), dns.rdatatype.from_text(rdtype)
        for rrset in self.ask(name, rdtype).answer:
            if rrset.name == qname and rrset.rdtype == qtype:
                return {rd.to_text() for rd in rrset}
        return set()

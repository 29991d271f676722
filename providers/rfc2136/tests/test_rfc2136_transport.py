"""The adapter through its network seam, without a server: what it sends, how it reads."""

from __future__ import annotations

import asyncio
from pathlib import Path

import dns.message
import dns.opcode
import dns.rcode
import dns.zone
import pytest
from failover_sync_rfc2136 import RFC2136Options, RFC2136Provider

from failover_sync import ProviderError, RRset, StaleRRsetError, Zone
from failover_sync.testing import upsert

ZONE = Zone("example.test.", "dns")


class Scripted:
    """A transport that records every message and answers with ``rcode``."""

    def __init__(self, rcode: int = dns.rcode.NOERROR) -> None:
        self.rcode = rcode
        self.sent: list[dns.message.Message] = []

    async def udp(
        self, query: dns.message.Message, where: str, *, port: int, timeout_seconds: float
    ) -> dns.message.Message:
        self.sent.append(query)
        return dns.message.make_response(query)

    async def udp_with_fallback(
        self, query: dns.message.Message, where: str, *, port: int, timeout_seconds: float
    ) -> tuple[dns.message.Message, bool]:
        return await self.udp(query, where, port=port, timeout_seconds=timeout_seconds), False

    async def tcp(
        self, query: dns.message.Message, where: str, *, port: int, timeout_seconds: float
    ) -> dns.message.Message:
        self.sent.append(query)
        response = dns.message.make_response(query)
        response.set_rcode(self.rcode)
        return response

    async def inbound_xfr(
        self, where: str, txn_manager: dns.zone.Zone, query: dns.message.Message, *, port: int,
        timeout_seconds: float,
    ) -> None:  # fmt: skip
        raise AssertionError("not used here")


def provider(transport: Scripted) -> RFC2136Provider:
    options = RFC2136Options(server="127.0.0.1", read="query")
    adapter = RFC2136Provider("dns", options, config_dir=Path())
    adapter.transport = transport
    return adapter


def test_a_new_rrset_is_sent_with_the_prerequisite_that_it_does_not_exist() -> None:
    transport = Scripted(dns.rcode.NXRRSET)
    adapter = provider(transport)
    rrset = RRset.of("app.example.test.", "A", 60, ["192.0.2.1"])
    with pytest.raises(StaleRRsetError):
        asyncio.run(adapter.apply(ZONE, [upsert(rrset)]))
    (update,) = [m for m in transport.sent if m.opcode() == dns.opcode.UPDATE]
    prerequisites = update.sections[1]  # RFC 2136 section 2.4: the prerequisite section
    assert any(r.name.to_text() == "app.example.test." for r in prerequisites)


def test_a_refused_update_is_a_permanent_error_that_names_the_zone() -> None:
    adapter = provider(Scripted(dns.rcode.REFUSED))
    rrset = RRset.of("app.example.test.", "A", 60, ["192.0.2.1"])
    with pytest.raises(ProviderError) as info:
        asyncio.run(adapter.apply(ZONE, [upsert(rrset)]))
    assert "example.test" in str(info.value)

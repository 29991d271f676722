"""The narrow seam between the adapter and the network: send a message, transfer a zone.

The adapter builds and reads dnspython messages; only these four calls touch a socket, so
tests can give the provider a :class:`Transport` that records or scripts answers instead of
a live server (the real-server tests use :class:`DnspythonTransport`, the default).
"""

from __future__ import annotations

from typing import Protocol

import dns.asyncquery
import dns.message
import dns.zone


class Transport(Protocol):
    """What the adapter needs of the network (dnspython's asyncio API has these shapes)."""

    async def udp(
        self, query: dns.message.Message, where: str, *, port: int, timeout_seconds: float
    ) -> dns.message.Message:
        """One query over UDP."""
        ...

    async def udp_with_fallback(
        self, query: dns.message.Message, where: str, *, port: int, timeout_seconds: float
    ) -> tuple[dns.message.Message, bool]:
        """One query over UDP, retried over TCP when the answer is truncated."""
        ...

    async def tcp(
        self, query: dns.message.Message, where: str, *, port: int, timeout_seconds: float
    ) -> dns.message.Message:
        """One message (a query or an UPDATE) over TCP."""
        ...

    async def inbound_xfr(
        self,
        where: str,
        txn_manager: dns.zone.Zone,
        query: dns.message.Message,
        *,
        port: int,
        timeout_seconds: float,
    ) -> None:
        """An AXFR (RFC 5936) of ``query``'s zone into ``txn_manager``."""
        ...


class DnspythonTransport:
    """The real network, through ``dns.asyncquery``."""

    async def udp(
        self, query: dns.message.Message, where: str, *, port: int, timeout_seconds: float
    ) -> dns.message.Message:
        return await dns.asyncquery.udp(query, where, timeout=timeout_seconds, port=port)

    async def udp_with_fallback(
        self, query: dns.message.Message, where: str, *, port: int, timeout_seconds: float
    ) -> tuple[dns.message.Message, bool]:
        return await dns.asyncquery.udp_with_fallback(
            query, where, timeout=timeout_seconds, port=port
        )

    async def tcp(
        self, query: dns.message.Message, where: str, *, port: int, timeout_seconds: float
    ) -> dns.message.Message:
        return await dns.asyncquery.tcp(query, where, timeout=timeout_seconds, port=port)

    async def inbound_xfr(
        self,
        where: str,
        txn_manager: dns.zone.Zone,
        query: dns.message.Message,
        *,
        port: int,
        timeout_seconds: float,
    ) -> None:
        await dns.asyncquery.inbound_xfr(
            where, txn_manager, query, port=port, timeout=timeout_seconds, lifetime=timeout_seconds
        )

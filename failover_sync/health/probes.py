"""Health probes: HTTP and HTTPS through aiohttp's client, and TCP connect.

Design choice, measured with ``bench/probe_engine.py`` (ours beside a plain aiohttp client in
the same run, a new connection per probe, issue 19): httpx on a one-shot httpcore transport
cost 1.7x aiohttp's CPU per HTTP probe; httpx on ``httpx-aiohttp``'s transport pays both
libraries' request and response objects. This engine therefore calls aiohttp's
``ClientSession`` directly, with what a probe needs and nothing more: one session per source
address (``TCPConnector(force_close=True)``: a new connection per probe, no pool to wait
for), no cookie jar, no client timeouts (``asyncio.timeout`` bounds the whole probe), and a
resolver that refuses every name, so that nothing a backend says can make the prober look up
a host in DNS. Its CPU per probe stays within a few percent of aiohttp's own (the bench
prints both).

The ``Host`` header and the TLS SNI name are ``health_check.host`` while the connection goes
to the endpoint's address; certificates are verified against that name by default. Redirects
are followed only on the endpoint (see :mod:`failover_sync.health.redirects`).

Overload: a probe's deadline starts once :class:`~failover_sync.health.admission.Admission`
admits it, and the probes in flight are bounded by what the core can finish within the
timeout; extra probes wait whole (lateness), counted in :attr:`Prober.stats`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
import weakref
from typing import Any

import aiohttp
import certifi
from aiohttp.abc import AbstractResolver, ResolveResult

from failover_sync.__about__ import __version__
from failover_sync.health.admission import Admission, AdmissionStats, log_overload
from failover_sync.health.redirects import (
    MAX_REDIRECTS,
    REDIRECT_STATUSES,
    Hop,
    host_header,
    next_hop,
)
from failover_sync.model import HealthCheck, ProbeResult, ProbeTarget

USER_AGENT = f"failover-sync/{__version__} (health check)"
BODY_LIMIT = 5120
"""Bytes of the body searched for ``body_match`` (Route 53 searches the first 5120)."""


class NoResolver(AbstractResolver):
    """A resolver that resolves nothing: probes connect to endpoint addresses only (URLs
    carry IP literals, which aiohttp never hands to a resolver). Raises ``OSError``."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        raise OSError(f"probes never resolve host names ({host})")

    async def close(self) -> None:
        pass


class Prober:
    """Runs probes. One instance per process (one event loop); ``aclose`` when done.

    ``max_concurrency`` caps the probes in flight (file descriptors); the working bound is
    :class:`~failover_sync.health.admission.Admission`'s, from the measured CPU per probe
    (``share`` of the shortest timeout). ``stats`` and ``admission.listeners`` report
    overload (probes delayed for a slot); the default listener logs ``probe_overload`` at
    WARNING and ``probe_overload_ended`` at INFO.
    """

    def __init__(self, *, max_concurrency: int = 4096, share: float = 0.25) -> None:
        self.admission = Admission(
            ceiling=max_concurrency, floor=min(16, max_concurrency), share=share
        )
        self.admission.listeners.append(log_overload)
        self._sessions: dict[str | None, aiohttp.ClientSession] = {}
        self._contexts: dict[tuple[bool, str | None], ssl.SSLContext] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        # A Prober dropped without aclose (a test, ``run --once`` cut short) holds sessions
        # without open connections (one per probe, closed with it): detaching marks them
        # closed, so that aiohttp does not warn about them when they are collected.
        weakref.finalize(self, _detach, self._sessions)

    @property
    def stats(self) -> AdmissionStats:
        """Admission counters: probes delayed, their total wait, in flight, the limit."""
        return self.admission.stats

    def _session(self, source_address: str | None) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a session belongs to one loop; asyncio.run made another
            _detach(self._sessions)
            self._loop = loop
        session = self._sessions.get(source_address)
        if session is None:
            connector = aiohttp.TCPConnector(
                force_close=True,
                limit=0,  # Admission bounds the probes in flight
                local_addr=(source_address, 0) if source_address else None,
                resolver=NoResolver(),
                use_dns_cache=False,
            )
            session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(),  # asyncio.timeout bounds the whole probe
                cookie_jar=aiohttp.DummyCookieJar(),
                headers={"User-Agent": USER_AGENT},
                trust_env=False,
            )
            self._sessions[source_address] = session
        return session

    def _ssl(self, check: HealthCheck) -> ssl.SSLContext:
        key = (check.verify_tls, check.ca_file)
        ctx = self._contexts.get(key)
        if ctx is None:
            if check.verify_tls:
                ctx = ssl.create_default_context(cafile=check.ca_file or certifi.where())
            else:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            self._contexts[key] = ctx
        return ctx

    async def probe(self, target: ProbeTarget) -> ProbeResult:
        """Probe ``target`` once: a result within ``request_timeout_seconds`` of admission;
        never raises for endpoint faults (they are results with short reasons)."""
        check = target.check
        timeout = check.request_timeout_seconds
        await self.admission.acquire(timeout)
        try:
            if check.protocol != "TCP":
                # A first session or TLS context loads the CA bundle (tens of ms): never
                # inside the probe's deadline, or a first probe times out on it alone.
                self._session(check.source_address)
                self._ssl(check)
            started = time.monotonic()
            try:
                async with asyncio.timeout(timeout):
                    if check.protocol == "TCP":
                        ok, reason = await _tcp(target)
                    else:
                        ok, reason = await self._http(target)
            except TimeoutError:
                ok, reason = False, f"timeout after {timeout:g} s"
            except (OSError, aiohttp.ClientError, ValueError) as exc:
                ok, reason = False, describe_error(exc)
            return ProbeResult(ok, time.monotonic() - started, reason)
        finally:
            self.admission.release()

    async def _http(self, target: ProbeTarget) -> tuple[bool, str]:
        check = target.check
        session = self._session(check.source_address)
        ctx = self._ssl(check)
        name = check.host or target.value
        address = f"[{target.value}]" if ":" in target.value else target.value
        hop = Hop(check.protocol.lower(), check.port, check.path, check.method)
        for _ in range(MAX_REDIRECTS + 1):
            # User headers first: ours (Host, Connection) must win.
            headers = {
                **dict(check.headers),
                "Host": host_header(name, hop.scheme, hop.port),
                "Connection": "close",  # each probe uses a new connection; let the server know
            }
            url = f"{hop.scheme}://{address}:{hop.port}{hop.target}"
            sni = check.host if hop.scheme == "https" and check.host else None
            async with session.request(
                hop.method,
                url,
                headers=headers,
                allow_redirects=False,
                ssl=ctx,
                server_hostname=sni,
            ) as response:
                status = response.status
                note = ""
                location = response.headers.get("Location")
                if check.follow_redirects and status in REDIRECT_STATUSES and location:
                    after = next_hop(hop, status, location, check.host, target.value)
                    if isinstance(after, Hop):
                        hop = after
                        continue
                    note = f", {after}"
                return await _judge(check, response, status, note)
        return False, "too many redirects"

    async def aclose(self) -> None:
        """Close the sessions (they hold no connections between probes)."""
        for session in self._sessions.values():
            await session.close()
        self._sessions.clear()


def _detach(sessions: dict[str | None, aiohttp.ClientSession]) -> None:
    for session in sessions.values():
        if not session.closed:
            session.detach()
    sessions.clear()


async def _judge(
    check: HealthCheck, response: aiohttp.ClientResponse, status: int, note: str
) -> tuple[bool, str]:
    if not any(status in r for r in check.expected_status):
        return False, f"status {status}{note}"
    if check.body_match is not None:
        body = b""
        while len(body) < BODY_LIMIT:
            chunk = await response.content.read(BODY_LIMIT - len(body))
            if not chunk:
                break
            body += chunk
        if check.body_match.encode() not in body:
            return False, f"status {status}, body mismatch{note}"
    return True, f"status {status}{note}"


async def _tcp(target: ProbeTarget) -> tuple[bool, str]:
    source = target.check.source_address
    _, writer = await asyncio.open_connection(
        target.value, target.check.port, local_addr=(source, 0) if source else None
    )
    writer.close()
    with contextlib.suppress(OSError):  # a reset after the connect still proves the port
        await writer.wait_closed()
    return True, "connected"


def _chain(exc: BaseException) -> list[BaseException]:
    """``exc``, the errors aiohttp wraps (``os_error``, ``certificate_error``), and their
    causes and contexts, innermost wrapped first."""
    out: list[BaseException] = []
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        cur = todo.pop(0)
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        wrapped: Any = getattr(cur, "certificate_error", None) or getattr(cur, "os_error", None)
        if isinstance(wrapped, BaseException) and id(wrapped) not in seen:
            todo.insert(0, cur)
            todo.insert(0, wrapped)
            seen.discard(id(cur))
            continue
        out.append(cur)
        todo.append(cur.__cause__ or cur.__context__)
    return out


def describe_error(exc: BaseException) -> str:
    """A short reason for a failed probe: ``connection refused``, ``TLS name mismatch``,
    ``TLS verify failed: ...``, ``connection reset``, ``server disconnected``."""
    plain = [e for e in _chain(exc) if not isinstance(e, aiohttp.ClientError)]
    for cur in plain:
        if isinstance(cur, ssl.SSLCertVerificationError):
            message = cur.verify_message or str(cur)
            if "mismatch" in message.lower():
                return "TLS name mismatch"
            return f"TLS verify failed: {message}"
    for cur in plain:
        if isinstance(cur, ssl.SSLError):
            return f"TLS error: {cur.reason or cur}"
    for cur in plain:
        if isinstance(cur, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cur, ConnectionResetError):
            return "connection reset"
    for cur in plain:
        if isinstance(cur, OSError) and cur.strerror:
            return cur.strerror.lower()
        if isinstance(cur, OSError) and cur.args:
            return str(cur.args[0])
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "server disconnected"
    if isinstance(exc, aiohttp.ClientResponseError | aiohttp.ClientPayloadError):
        message = getattr(exc, "message", None) or str(exc)
        return f"protocol error: {message}"
    text = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ClientConnectionError):
        return f"connect failed: {text}"
    return text

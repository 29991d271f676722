"""Health probes: HTTP and HTTPS through httpx, and TCP connect.

Design choice, measured on the 2-core machines this project targets: httpx's default
connection pool assigns queued requests to connections in a loop over all of them, so under
hundreds of concurrent probes a request can wait seconds for the pool before it touches the
network; with a probe deadline around the whole request, that wait reads as an endpoint
timeout. A probe also must see what a newly resolved client sees, which is a new connection.
So the client here keeps httpx's request building, redirects and headers, but its transport
opens one httpcore connection per request and closes it with the response: there is no pool
and no pool wait. That connection runs on asyncio's own streams through httpcore's
network-backend interface (:class:`AsyncioBackend`) rather than on anyio, whose connect
spawns a task group per connection and whose every read and write enters cancel scopes: that
overhead alone cost a third of the CPU of a probe. Concurrency is bounded by a semaphore that
is acquired *before* the probe's deadline starts, so waiting for a slot is scheduling lateness
(measured by ``bench/probe_scale.py``), never a false timeout. Measured with 5,000 probes at
100 concurrent, one core, asyncio (uvloop): default pool 1,338 (1,457) probes/s, a transport
per probe 1,350 (1,513)/s, a one-shot connection on anyio 1,385 (1,513)/s, this transport
2,160 (2,209)/s, about 0.45 ms of CPU per probe. ``bench/probe_scale.py``, 10,000 endpoints
every 10 s under uvloop: 1,000 probes/s at about half of one core, p99 lateness 10-60 ms.

The ``Host`` header and the TLS SNI name are ``health_check.host`` while the connection goes
to the endpoint's address; certificates are verified against that name by default.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from typing import Any

import certifi
import httpcore
import httpx

from failover_sync.__about__ import __version__
from failover_sync.model import HealthCheck, ProbeResult, ProbeTarget

USER_AGENT = f"failover-sync/{__version__} (health check)"
BODY_LIMIT = 5120
"""Bytes of the body searched for ``body_match`` (Route 53 searches the first 5120)."""


class _ClosingStream(httpx.AsyncByteStream):
    """Response body that closes its one-shot connection when closed."""

    def __init__(self, conn: httpcore.AsyncHTTPConnection, body: AsyncIterable[bytes]) -> None:
        self._conn = conn
        self._body = body

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self._body:
            yield part

    async def aclose(self) -> None:
        try:
            if hasattr(self._body, "aclose"):
                await self._body.aclose()
        finally:
            await self._conn.aclose()


class _AsyncioStream(httpcore.AsyncNetworkStream):
    """An httpcore network stream on asyncio's own streams (uvloop's when it runs)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer

    # The ``timeout`` parameters below are httpcore's interface (noqa: ASYNC109).
    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:  # noqa: ASYNC109
        if timeout is None:  # the probes' case: asyncio.timeout bounds the whole probe
            return await self._reader.read(max_bytes)
        async with asyncio.timeout(timeout):
            return await self._reader.read(max_bytes)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:  # noqa: ASYNC109
        if buffer:
            self._writer.write(buffer)
            async with asyncio.timeout(timeout):
                await self._writer.drain()

    async def aclose(self) -> None:
        self._writer.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except BaseException:
            self._writer.close()
            raise
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object":
            return self._writer.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._writer.get_extra_info("sockname")
        if info == "server_addr":
            return self._writer.get_extra_info("peername")
        if info == "socket":
            return self._writer.get_extra_info("socket")
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend interface on asyncio streams instead of anyio.

    Same sockets, same TLS (``ssl``), same errors (``OSError``, ``ssl.SSLError``), less work
    per connection: anyio's connect runs a task group per connection (happy eyeballs) and
    every read and write enters cancel scopes.
    """

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        local_addr = (local_address, 0) if local_address else None
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port, local_addr=local_addr)
        for option in socket_options or ():
            writer.get_extra_info("socket").setsockopt(*option)
        return _AsyncioStream(reader, writer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


_BACKEND = AsyncioBackend()


class OneShotTransport(httpx.AsyncBaseTransport):
    """An httpx transport that opens a new connection for every request (no pool)."""

    def __init__(self, ssl_context: ssl.SSLContext) -> None:
        self._ssl_context = ssl_context

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        origin = httpcore.Origin(url.raw_scheme, url.raw_host, url.port or _default_port(url))
        conn = httpcore.AsyncHTTPConnection(
            origin, ssl_context=self._ssl_context, network_backend=_BACKEND
        )
        try:
            response = await conn.handle_async_request(core_request)
        except BaseException:
            await conn.aclose()
            raise
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ClosingStream(conn, response.stream),  # type: ignore[arg-type]
            extensions=response.extensions,
        )


def _default_port(url: httpx.URL) -> int:
    return 443 if url.scheme == "https" else 80


class Prober:
    """Runs probes. One instance per process; ``aclose`` when done.

    ``max_concurrency`` bounds the probes in flight (file descriptors); a probe's deadline
    starts only once it holds a slot.
    """

    def __init__(self, *, max_concurrency: int = 1024) -> None:
        self._slots = asyncio.Semaphore(max_concurrency)
        self._clients: dict[tuple[bool, str | None], httpx.AsyncClient] = {}

    def _client(self, check: HealthCheck) -> httpx.AsyncClient:
        key = (check.verify_tls, check.ca_file)
        client = self._clients.get(key)
        if client is None:
            if check.verify_tls:
                ctx = ssl.create_default_context(cafile=check.ca_file or certifi.where())
            else:
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            client = httpx.AsyncClient(
                transport=OneShotTransport(ctx),
                trust_env=False,
                timeout=None,  # noqa: S113 - asyncio.timeout bounds the whole probe
                headers={"User-Agent": USER_AGENT},
            )
            self._clients[key] = client
        return client

    async def probe(self, target: ProbeTarget) -> ProbeResult:
        """Probe ``target`` once; never raises for endpoint faults (they are results)."""
        async with self._slots:
            check = target.check
            if check.protocol != "TCP":
                # Building a client loads the CA bundle (tens of ms): never inside a deadline.
                self._client(check)
            started = time.monotonic()
            try:
                async with asyncio.timeout(check.request_timeout_seconds):
                    if check.protocol == "TCP":
                        ok, reason = await _tcp(target)
                    else:
                        ok, reason = await self._http(target)
            except (TimeoutError, httpcore.TimeoutException, httpx.TimeoutException):
                # httpcore's own timeout classes are not NetworkErrors; all mean the deadline.
                ok, reason = False, f"timeout after {check.request_timeout_seconds:g} s"
            except (OSError, httpx.HTTPError, httpcore.NetworkError, httpcore.ProtocolError) as exc:
                ok, reason = False, describe_error(exc)
            return ProbeResult(ok, time.monotonic() - started, reason)

    async def _http(self, target: ProbeTarget) -> tuple[bool, str]:
        check = target.check
        client = self._client(check)
        default_port = 443 if check.protocol == "HTTPS" else 80
        host_header = check.host if check.port == default_port else f"{check.host}:{check.port}"
        address = f"[{target.value}]" if ":" in target.value else target.value
        request = client.build_request(
            check.method,
            f"{check.protocol.lower()}://{address}:{check.port}{check.path}",
            # Each probe uses a new connection; say so, so the server frees it at once.
            headers=[("Host", host_header), ("Connection", "close"), *check.headers],
            extensions={"sni_hostname": check.host},
        )
        response = await client.send(request, stream=True, follow_redirects=check.follow_redirects)
        try:
            status = response.status_code
            if not any(status in r for r in check.expected_status):
                return False, f"status {status}"
            if check.body_match is not None:
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) >= BODY_LIMIT:
                        break
                if check.body_match.encode() not in body[:BODY_LIMIT]:
                    return False, f"status {status}, body mismatch"
            return True, f"status {status}"
        finally:
            await response.aclose()
            # httpx's client wraps the body in a stream that refers back to the response;
            # left alone, that cycle hands every probe's connection objects to the cyclic GC,
            # whose full collections then stall the loop for hundreds of ms at 1,000 probes/s.
            response.stream = httpx.ByteStream(b"")

    async def aclose(self) -> None:
        """Close the clients (their transports hold no connections between probes)."""
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()


async def _tcp(target: ProbeTarget) -> tuple[bool, str]:
    _, writer = await asyncio.open_connection(target.value, target.check.port)
    writer.close()
    with contextlib.suppress(OSError):  # a reset after the connect still proves the port
        await writer.wait_closed()
    return True, "connected"


def describe_error(exc: BaseException) -> str:
    """A short reason for a failed probe: ``connection refused``, ``TLS name mismatch``."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, ssl.SSLCertVerificationError):
            message = cur.verify_message or str(cur)
            if "mismatch" in message.lower():
                return "TLS name mismatch"
            return f"TLS verify failed: {message}"
        if isinstance(cur, ssl.SSLError):
            return f"TLS error: {cur.reason or cur}"
        if isinstance(cur, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cur, ConnectionResetError):
            return "connection reset"
        if isinstance(cur, OSError) and cur.strerror:
            return cur.strerror.lower()
        cur = cur.__cause__ or cur.__context__
    text = str(exc) or type(exc).__name__
    if isinstance(exc, httpcore.RemoteProtocolError | httpx.RemoteProtocolError):
        return f"protocol error: {text}"
    if isinstance(exc, httpcore.ConnectError | httpx.ConnectError):
        return f"connect failed: {text}"
    return text

"""An asyncio fault server and proxy for tests (``tc netem`` is not available here).

:class:`FaultServer` listens on loopback in its own thread and answers each HTTP/1.1
connection according to ``fault`` (mutable while it runs)::

    ok            200 with ``body`` (or, with ``upstream``, the upstream's answer: a proxy)
    black_hole    accept, read, never answer (until the client gives up)
    reset         accept, then close with SO_LINGER 0: the client sees a TCP reset
    close         close on accept, before reading anything
    delay         answer ``ok`` after ``delay_seconds``
    slow_body     headers at once, then the body one byte per ``delay_seconds``
    status        ``status`` with ``headers`` (5xx, 3xx + Location, 429 + Retry-After, ...)
    wrong_body    200 with ``wrong_body`` (HTML error page, truncated JSON, wrong types)
    flap          ``ok`` and ``status`` alternate every ``flap_seconds``

``rate`` (0..1) applies the fault to that share of connections only, chosen by a seeded
random generator; the others are answered ``ok`` (proxied when ``upstream`` is set), which
puts the faults in front of a provider stand-in. ``hits`` counts connections per outcome;
``requests`` lists the request lines read (``GET /path HTTP/1.1``).
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class FaultServer:
    host: str = "127.0.0.1"
    fault: str = "ok"
    rate: float = 1.0
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    wrong_body: bytes = b"<html><body>502 Bad Gateway</body></html>"
    delay_seconds: float = 0.5
    flap_seconds: float = 0.2
    upstream: tuple[str, int] | None = None
    seed: int = 0
    port: int = 0
    hits: Counter[str] = field(default_factory=Counter)
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._started = time.monotonic()

    def start(self) -> FaultServer:
        """Listen (port 0 picks a free one; ``port`` holds it after) and serve in a thread."""
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        future.result(5)
        return self

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    def _choose(self) -> str:
        if self.fault == "flap":
            phase = int((time.monotonic() - self._started) / self.flap_seconds) % 2
            return "ok" if phase == 0 else "status"
        if self.rate < 1.0 and self._random.random() >= self.rate:
            return "ok"
        return self.fault

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        fault = self._choose()
        self.hits[fault] += 1
        try:
            if fault == "close":
                return
            request = await _read_request(reader)
            self.requests.append(request.split(b"\r\n", 1)[0].decode("latin-1"))
            if fault == "reset":
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()
                return
            if fault == "black_hole":
                await asyncio.sleep(3600)
            if fault == "delay":
                await asyncio.sleep(self.delay_seconds)
            if fault == "status":
                writer.write(_response(self.status, b"fault\n", self.headers))
            elif fault == "wrong_body":
                writer.write(_response(200, self.wrong_body, {"Content-Type": "text/html"}))
            elif fault == "slow_body":
                writer.write(_response(200, b"", {"Content-Length": str(len(self.body))}))
                for byte in self.body:
                    await writer.drain()
                    await asyncio.sleep(self.delay_seconds)
                    writer.write(bytes([byte]))
            elif self.upstream is not None:
                writer.write(await _forward(self.upstream, request))
            else:
                writer.write(_response(200, self.body, self.headers))
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            if not writer.transport.is_closing():
                writer.close()


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    """One request: head and a Content-Length body."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return head + (await reader.readexactly(length) if length else b"")


async def _forward(upstream: tuple[str, int], request: bytes) -> bytes:
    """Send ``request`` to ``upstream`` on a new connection (``Connection: close``)."""
    head, _, body = request.partition(b"\r\n\r\n")
    lines = [ln for ln in head.split(b"\r\n") if not ln.lower().startswith(b"connection:")]
    reader, writer = await asyncio.open_connection(*upstream)
    writer.write(b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body)
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return answer


def _response(status: int, body: bytes, headers: dict[str, str]) -> bytes:
    fields = {"Content-Length": str(len(body)), "Connection": "close", **headers}
    head = f"HTTP/1.1 {status} Fault\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items())
    return head.encode() + b"\r\n" + body

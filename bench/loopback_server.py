"""A loopback HTTP(S) server for the benchmarks that records when each request arrived.

It binds every given 127.0.0.0/8 address on every given port (port 0: one port picked for
the first address and reused for the rest), answers each request with a fixed ``200`` and
``Connection: close``, and notes per request ``[address, port, path, accepted]`` where
``accepted`` is ``time.monotonic()`` at the accept of the connection, i.e. when the client's
first byte reached the wire (before any TLS handshake). ``time.monotonic`` is one clock for
every process of the machine, so a client can subtract its own due times. On SIGTERM it
writes the notes as JSON to ``out`` and prints ``served N cpu S``.

Run as ``python bench/loopback_server.py --addresses 127.0.2.1,... --ports 0 --out FILE
[--cert C --key K]``; it prints ``port P`` (the first port) once every socket listens.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import resource
import signal
import ssl
import sys
import time
from pathlib import Path
from typing import cast

RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
    b"Connection: close\r\n\r\nok\n"
)
NOTES: list[tuple[str, int, str, float]] = []
TASKS: set[asyncio.Future[None]] = set()


class Responder(asyncio.Protocol):
    """Answers the first request on a connection with RESPONSE, then closes it."""

    tls: ssl.SSLContext | None = None

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = b""
        self._accepted = 0.0
        self._local: tuple[str, int] = ("", 0)
        self._handshaking = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._transport is None:
            self._accepted = time.monotonic()
            self._local = transport.get_extra_info("sockname")[:2]
        # uvloop's transports implement asyncio.Transport without subclassing it
        self._transport = cast(asyncio.Transport, transport)
        if Responder.tls is not None and transport.get_extra_info("ssl_object") is None:
            # accept time noted; the TLS handshake starts now (no byte read before it)
            self._transport.pause_reading()
            self._handshaking = True
            task = asyncio.ensure_future(self._start_tls())
            TASKS.add(task)  # the loop keeps only a weak reference to a task
            task.add_done_callback(TASKS.discard)

    async def _start_tls(self) -> None:
        assert self._transport is not None
        assert Responder.tls is not None
        loop = asyncio.get_running_loop()
        try:
            new = await loop.start_tls(self._transport, self, Responder.tls, server_side=True)
        except (OSError, ssl.SSLError):
            self._transport.close()
            return
        self._transport = cast(asyncio.Transport, new)
        self._handshaking = False
        self._answer()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self._answer()

    def _answer(self) -> None:
        if self._handshaking:  # decrypted data can come before start_tls returns
            return
        if b"\r\n\r\n" in self._buffer and self._transport is not None:
            line = self._buffer.split(b"\r\n", 1)[0].split()
            path = line[1].decode() if len(line) > 1 else ""
            NOTES.append((self._local[0], self._local[1], path, self._accepted))
            self._transport.write(RESPONSE)
            self._transport.close()
            self._transport = None

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None


async def serve(hosts: list[str], ports: list[int], out: Path) -> None:
    """Listen on every (host, port), print ``port P``, serve until SIGTERM, write NOTES."""
    loop = asyncio.get_running_loop()
    servers = []
    if ports == [0]:
        first = await loop.create_server(Responder, hosts[0], 0, backlog=4096)
        ports = [first.sockets[0].getsockname()[1]]
        servers.append(first)
        hosts = hosts[1:]
    for host in hosts:
        for port in ports:
            servers.append(await loop.create_server(Responder, host, port, backlog=4096))
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print(f"port {ports[0]}", flush=True)
    started_cpu = time.process_time()
    await stop.wait()
    for server in servers:
        server.close()
    cpu = time.process_time() - started_cpu
    out.write_text(json.dumps(NOTES))  # noqa: ASYNC240 - at exit, nothing else runs
    print(f"served {len(NOTES)} cpu {cpu:.2f}", flush=True)


def main() -> int:
    """Parse the arguments; refuse any address outside 127.0.0.0/8."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addresses", required=True, help="comma-separated")
    parser.add_argument("--ports", default="0", help="comma-separated; 0: pick one")
    parser.add_argument("--out", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--loop", default="uvloop", choices=["uvloop", "asyncio"])
    args = parser.parse_args()
    hosts = args.addresses.split(",")
    loopback = ipaddress.ip_network("127.0.0.0/8")
    if not all(ipaddress.ip_address(h) in loopback for h in hosts):
        parser.error("every address must be inside 127.0.0.0/8")
    if args.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)
        Responder.tls = ctx
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    coro = serve(hosts, [int(p) for p in args.ports.split(",")], Path(args.out))
    try:
        import uvloop
    except ImportError:
        asyncio.run(coro)
        return 0
    if args.loop == "asyncio" or args.cert:
        # uvloop delivers the ClientHello to the protocol before start_tls can take over
        asyncio.run(coro)
    else:
        uvloop.run(coro)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``run --metrics-addr HOST:PORT``: ``/metrics``, ``/healthz``, ``/readyz``, ``/status``.

The server is the standard library's ``ThreadingHTTPServer`` in a daemon thread, so that a
slow scrape never takes time from the event loop; it only reads values that the loop writes
(a float and a bool, atomic under the GIL) and prometheus_client's thread-safe registry.

- ``GET /metrics``: the Prometheus text format of the registry.
- ``GET /healthz``: 200 while the event loop ticks (the :func:`heartbeat` task ran within
  ``max_tick_age`` seconds), else 503. A liveness probe: a wedged loop gets restarted.
- ``GET /readyz``: 200 once every zone has been read and reconciled once (a zone that never
  succeeds keeps it 503), 503 before that and after the loop stopped.
- ``GET /status``: JSON, for each record its published values and for each endpoint its
  verdict, streak, last probe and why it is in or out
  (:mod:`failover_sync.controller.status`).
- anything else: 404.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

TICK_SECONDS = 1.0
"""Period of the heartbeat task."""
MAX_TICK_AGE = 10.0
"""``/healthz`` fails once the last heartbeat is older than this many seconds."""


def parse_addr(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:9100`` for IPv6, ``:9100`` for every IPv4 address) -> (host, port).

    Raises ValueError with a readable message for anything else.
    """
    host, sep, port_text = text.rpartition(":")
    if not sep or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"{text!r} is not HOST:PORT (port 1-65535)")
    host = host.removeprefix("[").removesuffix("]") or "0.0.0.0"
    return host, int(port_text)


@dataclass
class Liveness:
    """What the health endpoints read: the last heartbeat (monotonic seconds) and readiness."""

    ready: Callable[[], bool] = lambda: False
    status: Callable[[], dict[str, object]] | None = None
    last_tick: float = field(default_factory=time.monotonic)
    max_tick_age: float = MAX_TICK_AGE

    def alive(self) -> bool:
        return time.monotonic() - self.last_tick <= self.max_tick_age


async def heartbeat(liveness: Liveness, period: float = TICK_SECONDS) -> None:
    """Record a tick every ``period`` seconds until cancelled: proof that the loop runs."""
    while True:
        liveness.last_tick = time.monotonic()
        await asyncio.sleep(period)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    liveness: Liveness
    registry: CollectorRegistry


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self._send(200, generate_latest(self.server.registry), CONTENT_TYPE_LATEST)
        elif path == "/healthz":
            ok = self.server.liveness.alive()
            self._send(200 if ok else 503, b"ok\n" if ok else b"event loop stalled\n")
        elif path == "/readyz":
            ok = self.server.liveness.ready()
            self._send(200 if ok else 503, b"ready\n" if ok else b"not ready\n")
        elif path == "/status" and self.server.liveness.status is not None:
            try:
                body = json.dumps(self.server.liveness.status(), indent=2).encode() + b"\n"
            except Exception as exc:  # the loop is stopping or wedged: say so, don't hang
                self._send(503, f"status unavailable: {type(exc).__name__}\n".encode())
                return
            self._send(200, body, "application/json")
        else:
            self._send(404, b"not found\n")

    def _send(self, status: int, body: bytes, ctype: str = "text/plain; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # scrapes every few seconds would drown the event log


class OpsServer:
    """The HTTP server of ``/metrics``, ``/healthz``, ``/readyz`` in a daemon thread.

    Raises OSError from :meth:`start` when the address cannot be bound.
    """

    def __init__(
        self, host: str, port: int, liveness: Liveness, registry: CollectorRegistry = REGISTRY
    ) -> None:
        self.host, self.port = host, port
        self.liveness, self.registry = liveness, registry
        self._server: _Server | None = None

    def start(self) -> OpsServer:
        server = (_Server6 if ":" in self.host else _Server)((self.host, self.port), _Handler)
        server.liveness, server.registry = self.liveness, self.registry
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, name="ops-http", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


__all__ = ["Liveness", "OpsServer", "heartbeat", "parse_addr"]

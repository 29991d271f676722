"""Controllable HTTP(S) backends on loopback addresses for probe and end-to-end tests."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Behaviour:
    """What the backend answers: ``status``, ``body``, ``delay_seconds`` before answering,
    ``location`` for redirects. A request whose client address is in ``refuse_from`` gets
    ``503`` instead (how one machine gives each prober its own view: probes sent from
    different loopback source addresses); replace the set rather than mutate it while
    serving. The last request's headers are kept in ``seen_headers``."""

    status: int = 200
    body: bytes = b"ok\n"
    delay_seconds: float = 0.0
    location: str | None = None
    refuse_from: set[str] = field(default_factory=set)
    seen_headers: dict[str, str] = field(default_factory=dict)
    requests: int = 0


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _answer(self, with_body: bool) -> None:
        behaviour = self.server.behaviour
        behaviour.requests += 1
        behaviour.seen_headers = {k.lower(): v for k, v in self.headers.items()}
        if behaviour.delay_seconds:
            time.sleep(behaviour.delay_seconds)
        if self.client_address[0] in behaviour.refuse_from:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(behaviour.status)
        if behaviour.location:
            self.send_header("Location", behaviour.location)
        self.send_header("Content-Length", str(len(behaviour.body)))
        self.end_headers()
        if with_body:
            # A probe closes as soon as it has seen enough of the body.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(behaviour.body)

    def do_GET(self) -> None:
        self._answer(True)

    def do_HEAD(self) -> None:
        self._answer(False)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    behaviour: Behaviour


class HttpBackend:
    """A stoppable, restartable HTTP (or HTTPS with ``ssl_context``) backend; requests from
    a client address in ``refuse_from`` are answered 503 (see :class:`Behaviour`)."""

    def __init__(
        self,
        address: str,
        port: int,
        ssl_context: ssl.SSLContext | None = None,
        *,
        refuse_from: set[str] | None = None,
    ) -> None:
        self.address, self.port = address, port
        self.behaviour = Behaviour(refuse_from=set(refuse_from or ()))
        self._ssl_context = ssl_context
        self._server: _Server | None = None

    def start(self) -> HttpBackend:
        server = _Server((self.address, self.port), _Handler)
        server.behaviour = self.behaviour
        if self._ssl_context is not None:
            server.socket = self._ssl_context.wrap_socket(server.socket, server_side=True)
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class BlackHole:
    """A listening socket that never accepts: connects succeed (kernel backlog), requests hang."""

    def __init__(self, address: str) -> None:
        self.sock = socket.socket()
        self.sock.bind((address, 0))
        self.sock.listen(16)
        self.address = address
        self.port = int(self.sock.getsockname()[1])

    def close(self) -> None:
        self.sock.close()

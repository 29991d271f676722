"""A webhook receiver on loopback that records every JSON POST, for notification tests."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    receiver: WebhookReceiver


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        receiver = self.server.receiver
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with receiver.lock:
            receiver.attempts += 1
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            if status < 300:
                receiver.received.append(json.loads(body))
                receiver.paths.append(self.path)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


class WebhookReceiver:
    """Answers POSTs with the next of ``statuses`` (then 200) and keeps the accepted bodies."""

    def __init__(self, address: str = "127.0.0.1") -> None:
        self.received: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.statuses: list[int] = []
        self.attempts = 0
        self.lock = threading.Lock()
        self._server = _Server((address, 0), _Handler)
        self._server.receiver = self
        self.port = int(self._server.server_address[1])
        self.url = f"http://{address}:{self.port}"

    def start(self) -> WebhookReceiver:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def events(self) -> list[str]:
        with self.lock:
            return [str(body.get("event", body.get("text"))) for body in self.received]

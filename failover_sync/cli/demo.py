"""``failover-sync demo``: a real failover and failback on a zone file, on loopback only.

Two HTTP backends (web1 on 127.0.0.2, web2 on 127.0.0.3, Python's own ``http.server``), a
zone file in a temporary folder, and the real controller loop with a 1 s interval. The demo
stops web1, waits for the zone file to publish web2, restarts web1 and waits for the failback.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from rich.console import Console

from failover_sync.config.loader import load_config_text
from failover_sync.controller.controller import Controller
from failover_sync.health.probes import Prober
from failover_sync.model import RRset

RECORD = "app.demo.test."
WEB1, WEB2 = "127.0.0.2", "127.0.0.3"
STEP_TIMEOUT = 15.0


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"ok\n"
        self.send_response(200 if self.path == "/healthz" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the demo's own narrative is the output


class Backend:
    """A stoppable HTTP backend on ``address:port``."""

    def __init__(self, address: str, port: int) -> None:
        self.address, self.port = address, port
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        self._server = ThreadingHTTPServer((self.address, self.port), _Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


def free_port(*addresses: str) -> int:
    """A TCP port free on every one of ``addresses``."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind((addresses[0], 0))
            port = int(probe.getsockname()[1])
        try:
            with contextlib.ExitStack() as stack:
                for address in addresses[1:]:
                    sock = stack.enter_context(socket.socket())
                    sock.bind((address, port))
            return port
        except OSError:
            continue
    raise RuntimeError("no common free port on " + ", ".join(addresses))


def demo_config(directory: Path, port: int) -> str:
    """The demo's config (YAML), the same schema users write."""
    return f"""
providers:
  local: {{type: zonefile, directory: "{directory}", create_missing: true}}
zones:
  - {{name: demo.test, provider: local}}
defaults:
  health_check: {{protocol: HTTP, port: {port}, path: /healthz, interval_seconds: 1,
                 failure_threshold: 3, success_threshold: 2, request_timeout_seconds: 0.5}}
records:
  {RECORD}:
    type: A
    ttl: 5
    policy: failover
    records:
      - value: {WEB1}
      - value: {WEB2}
resync_seconds: 10
"""


@contextlib.contextmanager
def _backends(port: int) -> Iterator[tuple[Backend, Backend]]:
    web1, web2 = Backend(WEB1, port), Backend(WEB2, port)
    web1.start()
    web2.start()
    try:
        yield web1, web2
    finally:
        web1.stop()
        web2.stop()


async def run_demo(directory: str | None) -> int:
    """Run the demo; return 0 when failover and failback were both seen."""
    console = Console(highlight=False, soft_wrap=True)
    with contextlib.ExitStack() as stack:
        folder = Path(directory) if directory else Path(stack.enter_context(_tempdir()))
        port = free_port(WEB1, WEB2)
        web1, _ = stack.enter_context(_backends(port))
        config = load_config_text(demo_config(folder.resolve(), port))
        zone = config.zones[0]
        providers = config.build_providers()
        controller = Controller(
            desired={zone: config.records_of(zone)},
            providers=providers,
            prober=Prober(),
            resync_seconds=config.resync_seconds,
        )
        started = time.monotonic()

        def say(text: str) -> None:
            console.print(f"[dim][{time.monotonic() - started:5.1f}s][/] {text}")

        def health() -> None:
            for target, verdict in sorted(controller.health().items(), key=lambda i: i[0].value):
                name = "web1" if target.value == WEB1 else "web2"
                state = "[green]healthy[/]" if verdict.healthy else "[red]unhealthy[/]"
                say(f"  health {name} {target.value}: {state} ({verdict.reason})")

        async def answer() -> tuple[str, ...]:
            rrsets = await providers["local"].list_rrsets(zone, [(RECORD, "A")])
            return rrsets[0].values if rrsets else ()

        async def wait_for(values: tuple[str, ...]) -> float | None:
            begin = time.monotonic()
            while time.monotonic() - begin < STEP_TIMEOUT:
                if await answer() == values:
                    return time.monotonic() - begin
                await asyncio.sleep(0.05)
            return None

        say(f"web1 {WEB1}:{port} (primary) and web2 {WEB2}:{port} are up")
        say(f"zone file: {providers['local'].path_of(zone)}")  # type: ignore[attr-defined]
        stop = asyncio.Event()
        loop_task = asyncio.create_task(controller.run(stop))
        try:
            if await wait_for((WEB1,)) is None:
                say("[red]the controller did not publish web1[/]")
                return 1
            say(f"{RECORD} A -> {', '.join(await answer())}  (web1 healthy, published)")
            health()
            say("[yellow]stopping web1[/] (connections are now refused)")
            web1.stop()
            took = await wait_for((WEB2,))
            if took is None:
                say("[red]no failover seen[/]")
                return 1
            check = config.records[0].endpoints[0].target.check
            say(
                f"[green]failover[/]: {RECORD} A -> {WEB2} after {took:.1f} s "
                f"(detector bound {check.detection_seconds:g} s: {check.failure_threshold} "
                f"failures, {check.interval_seconds:g} s interval with phase jitter, "
                f"{check.request_timeout_seconds:g} s timeout)"
            )
            health()
            say(f"clients holding the old answer may keep it for the TTL ({5} s)")
            say("[yellow]restarting web1[/]")
            web1.start()
            took = await wait_for((WEB1,))
            if took is None:
                say("[red]no failback seen[/]")
                return 1
            say(
                f"[green]failback[/]: {RECORD} A -> {WEB1} after {took:.1f} s "
                "(2 consecutive successes)"
            )
            health()
            say("done: the zone file followed the backends' health")
            say(
                "next: copy examples/demo.yaml, point it at your zone and backends, then "
                "`failover-sync validate`, `check`, `plan` and `run`; `failover-sync demo "
                "--directory ./zones` keeps the zone file"
            )
            return 0
        finally:
            stop.set()
            await loop_task
            await controller.prober.aclose()
            print(_final_zone(providers["local"].path_of(zone)))  # type: ignore[attr-defined]


@contextlib.contextmanager
def _tempdir() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="failover-sync-demo-") as path:
        yield path


def _final_zone(path: Path) -> str:
    try:
        return f"\nfinal zone file {path}:\n" + path.read_text()
    except OSError:
        return ""


__all__ = ["Backend", "RRset", "demo_config", "free_port", "run_demo"]

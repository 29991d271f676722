"""Starting real servers for tests: free loopback ports, readiness by content with a deadline,
clean teardown. Every adapter's fixtures build on these helpers."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path


def free_port(address: str = "127.0.0.1", kind: int = socket.SOCK_STREAM) -> int:
    """A port that is free on ``address`` for ``kind`` right now (bind to port 0)."""
    with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, kind) as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


def free_dns_port(address: str = "127.0.0.1") -> int:
    """A port free for both TCP and UDP on ``address`` (a DNS server needs both)."""
    for _ in range(100):
        port = free_port(address)
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.bind((address, port))
            return port
        except OSError:
            continue
    raise RuntimeError(f"no port free for TCP and UDP on {address}")


def require_binary(name: str, package: str) -> str:
    """The path of ``name``; fail (never skip) with the package to install when absent."""
    path = shutil.which(name) or next(
        (p for d in ("/usr/sbin", "/sbin") if os.access(p := f"{d}/{name}", os.X_OK)), None
    )
    if path is None:
        raise RuntimeError(
            f"{name} is not installed: run `make system-deps` (apt-get install {package})"
        )
    return path


def wait_until(
    ready: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    process: subprocess.Popen[bytes] | None = None,
) -> None:
    """Poll ``ready`` until it returns True; raise with ``what`` after ``timeout`` seconds or
    when ``process`` exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what}: process exited with {process.returncode}")
        with contextlib.suppress(Exception):
            if ready():
                return
        time.sleep(0.02)
    raise RuntimeError(f"{what}: not ready after {timeout:g} s")


class ManagedProcess:
    """A server process with its log file; ``stop`` terminates it (then kills)."""

    def __init__(
        self, argv: Sequence[str], *, log: Path, env: dict[str, str] | None = None
    ) -> None:
        self.argv = list(argv)
        self.log_path = log
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> subprocess.Popen[bytes]:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.argv, stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True
        )
        log.close()
        return self.process

    def stop(self, timeout: float = 5.0) -> None:
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@contextlib.contextmanager
def running(process: ManagedProcess) -> Iterator[ManagedProcess]:
    """Start ``process`` and stop it on exit."""
    process.start()
    try:
        yield process
    finally:
        process.stop()


_BIG_ANSWER_SCRIPT = r"""
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SIZE, CHUNKED = int(sys.argv[2]), sys.argv[3] == "chunked"
PIECE = b'{"name": "x.test.", "type": "TXT", "ttl": 60, "records": []}, ' * 1024

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def do_GET(self):
        if self.path == "/ready":
            body = b"big-answer-server ready"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if CHUNKED:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(SIZE))
        self.end_headers()
        sent = 0
        try:
            head = b'{"name": "x.test.", "rrsets": ['
            for part in [head] + [PIECE] * (SIZE // len(PIECE) + 1):
                part = part[: SIZE - sent]
                if not part:
                    break
                sent += len(part)
                if CHUNKED:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                else:
                    self.wfile.write(part)
            if CHUNKED:
                self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
    do_POST = do_PATCH = do_GET

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


@contextlib.contextmanager
def big_answer_server(directory: Path, size: int, *, chunked: bool = True) -> Iterator[str]:
    """An HTTP server in a process of its own that answers every request with a 200 JSON
    body of ``size`` bytes (written piece by piece, so neither process holds it whole),
    chunked or with ``Content-Length``; yields its base URL. For tests that bound what an
    adapter reads from a provider (the memory is measured in the test's process only)."""
    import sys
    import urllib.request

    port = free_port()
    mode = "chunked" if chunked else "length"
    process = ManagedProcess(
        [sys.executable, "-c", _BIG_ANSWER_SCRIPT, str(port), str(size), mode],
        log=directory / "big-answer-server.log",
    )
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        with urllib.request.urlopen(f"{url}/ready", timeout=0.5) as answer:  # noqa: S310
            return bool(answer.read() == b"big-answer-server ready")

    with running(process):
        wait_until(ready, timeout=10.0, what="big answer server", process=process.process)
        yield url


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def peak_rss_growth(call: Callable[[], object]) -> int:
    """Bytes by which this process's peak resident set grew while ``call()`` ran: the peak
    (``VmHWM``) is reset to the current RSS first (``/proc/self/clear_refs`` ``5``, Linux)."""
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_kib("VmRSS")
    call()
    return (_status_kib("VmHWM") - before) * 1024


_BIG_AXFR_SCRIPT = r"""
import socket, struct, sys
import dns.message, dns.rdataclass, dns.rdatatype, dns.rrset

PORT, SIZE, ZONE = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
SOA = dns.rrset.from_text(ZONE, 300, "IN", "SOA", f"ns1.{ZONE} h.{ZONE} 1 3600 600 604800 60")
NS = dns.rrset.from_text(ZONE, 300, "IN", "NS", f"ns1.{ZONE}")

def frame(message):
    wire = message.to_wire()
    return struct.pack("!H", len(wire)) + wire

def serve(conn, with_soa):
    (length,) = struct.unpack("!H", conn.recv(2, socket.MSG_WAITALL))
    query = dns.message.from_wire(conn.recv(length, socket.MSG_WAITALL))
    if query.question[0].rdtype != dns.rdatatype.AXFR:
        answer = dns.message.make_response(query)
        conn.sendall(frame(answer))
        return
    sent, index = 0, 0
    first = dns.message.make_response(query)
    first.answer += [SOA, NS] if with_soa else [NS]
    conn.sendall(frame(first))
    while sent < SIZE:
        message = dns.message.make_response(query)
        message.question = []
        for _ in range(1500):
            index += 1
            name = f"h{index}.{ZONE}"
            message.answer.append(dns.rrset.from_text(name, 60, "IN", "A", "192.0.2.1"))
        data = frame(message)
        conn.sendall(data)
        sent += len(data)
    last = dns.message.make_response(query)
    last.question = []
    last.answer.append(SOA)
    conn.sendall(frame(last))

server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", PORT))
server.listen()
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", PORT))
print("big-axfr-server ready", flush=True)
while True:
    conn, _ = server.accept()
    try:
        serve(conn, with_soa=sys.argv[4] == "soa")
    except OSError:
        pass
    finally:
        conn.close()
"""


@contextlib.contextmanager
def big_axfr_server(directory: Path, size: int, zone: str, *, soa: bool = True) -> Iterator[int]:
    """A DNS server in a process of its own (dnspython) that answers every AXFR of ``zone``
    (absolute) with about ``size`` bytes of A records (unsigned), then the closing SOA;
    ``soa=False`` leaves the SOA out of the first message. Yields its TCP port on 127.0.0.1.
    """
    import sys

    port = free_dns_port()
    log = directory / "big-axfr-server.log"
    process = ManagedProcess(
        [sys.executable, "-c", _BIG_AXFR_SCRIPT, str(port), str(size), zone, "soa" if soa else "-"],
        log=log,
    )

    def ready() -> bool:
        return "big-axfr-server ready" in log.read_text()

    with running(process):
        wait_until(ready, timeout=10.0, what="big AXFR server", process=process.process)
        yield port

"""A real nginx (Debian ``nginx-light``) on 127.0.0.2 with SNI virtual hosts, for probe tests.

:func:`nginx_server` starts one nginx with a private CA (trustme) and stops it on exit:

- HTTP on ``http_port``, server name ``app.example.test``;
- HTTPS on ``https_port`` with two SNI server blocks, ``app.example.test`` and
  ``other.example.test``, each with its own certificate from the CA, and a third,
  ``wrong.example.test``, that serves the certificate of ``app.example.test`` (a name
  mismatch). ``app.example.test`` is the default server (what a client without SNI gets).

Every server answers ``/healthz`` with ``<name> ok`` (``http``/``tls`` suffix by scheme),
``/whoami`` with the client address nginx saw (``$remote_addr``), ``/only-from/<addr>`` with
200 for that client address and 403 for any other, ``/moved`` with nginx's default absolute
redirect to ``/healthz`` (``Location: http://<Host>:<port>/healthz``: the name comes from the
request's ``Host``), ``/to-https`` with 301 to the same name on the HTTPS port,
``/elsewhere`` with 302 to ``http://elsewhere.example.test/``, and ``/loop`` with a redirect
to itself. Readiness: ``/healthz`` answered by content within a deadline. A missing
``nginx`` fails with the Debian package to install.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import trustme

from failover_sync.testing.process import ManagedProcess, free_port, require_binary, wait_until

ADDRESS = "127.0.0.2"
NAMES = ("app.example.test", "other.example.test")
WRONG = "wrong.example.test"
READY_SECONDS = 10.0


@dataclass
class Nginx:
    """A running nginx: its address, ports, the CA file that signs its certificates."""

    directory: Path
    address: str
    http_port: int
    https_port: int
    ca_file: Path
    process: ManagedProcess


def _locations(name: str, kind: str, https_port: int) -> str:
    return f"""
        location = /healthz {{ return 200 "{name} {kind} ok\\n"; }}
        location = /whoami {{ return 200 "$remote_addr\\n"; }}
        location ~ ^/only-from/(?<allowed>[0-9.]+)$ {{
            if ($remote_addr != $allowed) {{ return 403 "refused $remote_addr\\n"; }}
            return 200 "{name} {kind} ok\\n";
        }}
        location = /moved {{ return 302 /healthz; }}
        location = /to-https {{ return 301 https://$host:{https_port}/healthz; }}
        location = /elsewhere {{ return 302 http://elsewhere.example.test/; }}
        location = /loop {{ return 302 /loop; }}
"""


def nginx_conf(directory: Path, address: str, http_port: int, https_port: int) -> str:
    """The config: loopback only, no access log, temp files under ``directory``."""
    user = "user root;\n" if os.geteuid() == 0 else ""
    servers = [
        f"""    server {{
        listen {address}:{http_port} default_server;
        server_name {NAMES[0]};{_locations(NAMES[0], "http", https_port)}    }}
"""
    ]
    for i, name in enumerate((*NAMES, WRONG)):
        cert_of = NAMES[0] if name == WRONG else name
        default = " default_server" if i == 0 else ""
        servers.append(
            f"""    server {{
        listen {address}:{https_port} ssl{default};
        server_name {name};
        ssl_certificate {directory}/{cert_of}.pem;
        ssl_certificate_key {directory}/{cert_of}.key;{_locations(name, "tls", https_port)}    }}
"""
        )
    temp = "".join(
        f"    {kind}_temp_path {directory}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}daemon off;
master_process on;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log notice;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    default_type text/plain;
{temp}{"".join(servers)}}}
"""


def _answers(address: str, port: int, expected: bytes) -> bool:
    with socket.create_connection((address, port), timeout=1.0) as sock:
        sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {NAMES[0]}\r\n\r\n".encode())
        return expected in sock.recv(4096)


@contextlib.contextmanager
def nginx_server(directory: Path, address: str = ADDRESS) -> Iterator[Nginx]:
    """Start nginx in ``directory`` on ``address`` (free ports); stop it on exit.

    Raises RuntimeError when ``nginx`` is missing or not ready within READY_SECONDS.
    """
    binary = require_binary("nginx", "nginx-light")
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    ca_file = directory / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    for name in NAMES:
        leaf = ca.issue_cert(name)
        leaf.cert_chain_pems[0].write_to_path(str(directory / f"{name}.pem"))
        leaf.private_key_pem.write_to_path(str(directory / f"{name}.key"))
    http_port, https_port = free_port(address), free_port(address)
    conf = directory / "nginx.conf"
    conf.write_text(nginx_conf(directory, address, http_port, https_port))
    process = ManagedProcess(
        [binary, "-p", str(directory), "-c", str(conf), "-e", str(directory / "error.log")],
        log=directory / "nginx.log",
    )
    proc = process.start()
    try:
        wait_until(
            lambda: _answers(address, http_port, f"{NAMES[0]} http ok".encode()),
            timeout=READY_SECONDS,
            what=f"nginx on {address}:{http_port}",
            process=proc,
        )
        yield Nginx(directory, address, http_port, https_port, ca_file, process)
    finally:
        process.stop()

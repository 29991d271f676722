"""A real PowerDNS Authoritative server (sqlite3 backend) on free loopback ports, for tests and
benchmarks.

:func:`powerdns_server` starts one in a folder of its own and stops it on exit; the pytest
fixtures ``powerdns`` (one per session) and ``powerdns_factory`` (a fresh one per call, for a
test that stops and restarts its server) wrap it. Readiness is the API answering
``GET /api/v1/servers/localhost`` with ``"daemon_type": "authoritative"`` within a deadline.
A missing ``pdns_server`` or sqlite3 schema fails with the Debian package to install.

Configuration: ``shared/STANDINS.md`` (facts seen on this machine kind). The server is started
with ``--config-dir`` of its own so that Debian's ``pdns.d/bind.conf`` is not read.
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import httpx
import pytest

from failover_sync.testing.process import (
    ManagedProcess,
    free_dns_port,
    free_port,
    require_binary,
    wait_until,
)

SCHEMA = Path("/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql")
PACKAGES = "pdns-server pdns-backend-sqlite3"
READY_SECONDS = 10.0
ADDRESS = "127.0.0.1"
RFC2136_SETTINGS = {"dnsupdate": "yes", "allow-dnsupdate-from": "127.0.0.0/8"}
"""pdns.conf lines for PowerDNS as an RFC 2136 server (keys per zone: :meth:`allow_rfc2136`)."""


@dataclass
class PowerDNS:
    """A running (or stopped) pdns_server: its ports, API key and folder.

    ``api_key`` is random per server; tests pass it to the controller through an environment
    variable, as users do.
    """

    directory: Path
    dns_port: int
    api_port: int
    api_key: str
    settings: Mapping[str, str] = field(default_factory=dict)
    process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        """Base URL of the webserver (the provider's ``url`` option)."""
        return f"http://{ADDRESS}:{self.api_port}"

    def conf(self) -> str:
        lines = {
            "launch": "gsqlite3",
            "gsqlite3-database": str(self.directory / "pdns.sqlite3"),
            "local-address": ADDRESS,
            "local-port": str(self.dns_port),
            "api": "yes",
            "api-key": self.api_key,
            "webserver": "yes",
            "webserver-address": ADDRESS,
            "webserver-port": str(self.api_port),
            "webserver-allow-from": "127.0.0.0/8",
            "daemon": "no",
            "guardian": "no",
            "disable-syslog": "yes",
            "write-pid": "no",
            "socket-dir": str(self.directory),
            "security-poll-suffix": "",
            "default-soa-content": "ns1.@ hostmaster.@ 0 10800 3600 604800 3600",
            **self.settings,
        }
        return "".join(f"{key}={value}\n" for key, value in lines.items())

    def start(self) -> None:
        """Start (or restart, on the same ports and data) and wait until the API answers."""
        binary = require_binary("pdns_server", PACKAGES)
        (self.directory / "pdns.conf").write_text(self.conf())
        self.process = ManagedProcess(
            [binary, f"--config-dir={self.directory}"], log=self.directory / "pdns.log"
        )
        popen = self.process.start()
        try:
            wait_until(self._api_ready, timeout=READY_SECONDS, what="pdns_server", process=popen)
        except RuntimeError as exc:
            tail = self.process.log_tail()
            self.process.stop()
            raise RuntimeError(f"{exc}\n--- pdns.log ---\n{tail}") from None

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def _api_ready(self) -> bool:
        server = self.api("GET", "")
        return isinstance(server, dict) and server.get("daemon_type") == "authoritative"

    def api(self, method: str, path: str, body: Any = None, *, timeout: float = 5.0) -> Any:
        """One API call on ``/api/v1/servers/localhost{path}``; the decoded JSON answer (None
        for an empty one). Raises httpx.HTTPStatusError for a non-2xx answer."""
        response = httpx.request(
            method,
            f"{self.url}/api/v1/servers/localhost{path}",
            json=body,
            headers={"X-API-Key": self.api_key},
            timeout=timeout,
        )
        response.raise_for_status()
        return response.json() if response.content else None

    def create_zone(self, name: str) -> str:
        """Create Native zone ``name`` (absolute or not) with one NS; return its absolute name."""
        absolute = name.rstrip(".") + "."
        self.api(
            "POST",
            "/zones",
            {"name": absolute, "kind": "Native", "nameservers": [f"ns1.{absolute}"]},
        )
        return absolute

    def replace(self, zone: str, name: str, rtype: str, ttl: int, values: list[str]) -> None:
        """Write an RRset directly (as an operator would, out of band)."""
        rrset = {
            "name": name,
            "type": rtype,
            "ttl": ttl,
            "changetype": "REPLACE",
            "records": [{"content": v, "disabled": False} for v in values],
        }
        self.api("PATCH", f"/zones/{zone}", {"rrsets": [rrset]})

    def rrsets(self, zone: str) -> list[dict[str, Any]]:
        """Every RRset of ``zone`` as the API lists it (with comments)."""
        data = self.api("GET", f"/zones/{zone}")
        return list(data["rrsets"])

    def pdnsutil(self, *args: str) -> str:
        """Run ``pdnsutil --config-dir=<folder> args...``; its stdout. Raises RuntimeError
        with pdnsutil's output when it fails."""
        binary = require_binary("pdnsutil", PACKAGES)
        done = subprocess.run(
            [binary, f"--config-dir={self.directory}", *args], capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"pdnsutil {' '.join(args[:2])}: {done.stderr or done.stdout}")
        return done.stdout

    def allow_rfc2136(
        self,
        zone: str,
        key_name: str,
        secret: str,
        algorithm: str = "hmac-sha256",
        *,
        update: bool = True,
        transfer: bool = True,
    ) -> None:
        """Take RFC 2136 updates (and AXFR) of ``zone`` signed with the key: ``pdnsutil
        import-tsig-key``, then the zone's ``TSIG-ALLOW-DNSUPDATE`` / ``TSIG-ALLOW-AXFR``
        metadata. The server must run with :data:`RFC2136_SETTINGS`."""
        plain = zone.rstrip(".")
        self.pdnsutil("import-tsig-key", key_name, algorithm, secret)
        if update:
            self.pdnsutil("set-meta", plain, "TSIG-ALLOW-DNSUPDATE", key_name)
        if transfer:
            self.pdnsutil("set-meta", plain, "TSIG-ALLOW-AXFR", key_name)

    def query(self, name: str, rtype: str = "A", *, timeout: float = 2.0) -> tuple[str, ...]:
        """Sorted values that the server answers for ``name``/``rtype`` (empty: no data)."""
        return dns_answer(ADDRESS, self.dns_port, name, rtype, timeout=timeout)


def dns_answer(
    address: str, port: int, name: str, rtype: str = "A", *, timeout: float = 2.0
) -> tuple[str, ...]:
    """Sorted values of the answer for ``name``/``rtype`` from ``address:port`` over UDP, with
    dnspython; () for NXDOMAIN or no data. Raises RuntimeError for another rcode."""
    query = dns.message.make_query(name, rtype)
    response = dns.query.udp(query, address, port=port, timeout=timeout)
    rcode = response.rcode()
    if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
        raise RuntimeError(f"{name} {rtype} at {address}@{port}: {dns.rcode.to_text(rcode)}")
    wanted = dns.rdatatype.from_text(rtype)
    return tuple(
        sorted(rd.to_text() for rrset in response.answer if rrset.rdtype == wanted for rd in rrset)
    )


@contextlib.contextmanager
def powerdns_server(
    directory: Path, settings: Mapping[str, str] | None = None
) -> Iterator[PowerDNS]:
    """A fresh pdns_server with an empty sqlite3 database in ``directory``; stopped on exit.

    ``settings`` are extra pdns.conf lines (``{"enable-lua-records": "yes"}``).
    """
    require_binary("pdns_server", PACKAGES)
    if not SCHEMA.exists():
        raise RuntimeError(
            f"{SCHEMA} is missing: run `make system-deps` (apt-get install {PACKAGES})"
        )
    directory.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(directory / "pdns.sqlite3") as db:
        db.executescript(SCHEMA.read_text())
    db.close()
    server = PowerDNS(
        directory=directory,
        dns_port=free_dns_port(ADDRESS),
        api_port=free_port(ADDRESS),
        api_key=secrets.token_hex(16),
        settings=dict(settings or {}),
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def powerdns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PowerDNS]:
    """One PowerDNS server for the whole session; tests create zones of their own in it."""
    with powerdns_server(tmp_path_factory.mktemp("pdns")) as server:
        yield server


@pytest.fixture
def powerdns_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., PowerDNS]]:
    """Start fresh PowerDNS servers (``factory(settings=None)``); all stopped at teardown."""
    with contextlib.ExitStack() as stack:

        def factory(settings: Mapping[str, str] | None = None) -> PowerDNS:
            directory = tmp_path_factory.mktemp("pdns-own")
            return stack.enter_context(powerdns_server(directory, settings))

        yield factory

"""A real BIND 9 ``named`` for tests: free loopback port, generated TSIG key, fresh zone files.

Facts this rests on (seen on Debian 12, BIND 9.18; see ``shared/STANDINS.md``): ``named -g``
answers an SOA query about 0.1 s after start; an unsigned UPDATE is REFUSED, a wrong secret
gives BADSIG, a name outside the zone NOTZONE; an unsigned AXFR is REFUSED.

Each :class:`BindServer` owns one folder: ``named.conf``, ``tsig.key`` (from ``tsig-keygen``,
the format the adapter's ``tsig_key_file`` reads) and one ``<zone>.zone`` file per zone,
written fresh with no ``.jnl`` journal, so that every test starts from the same data.

Usage::

    with bind_server(tmp_path, [BindZone("example.test")]) as bind:
        bind.query("app.example.test.", "A")    # -> set of values, via plain UDP
"""

from __future__ import annotations

import base64
import contextlib
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update
import dns.xfr
import dns.zone

from failover_sync.testing.dnsquery import Queries
from failover_sync.testing.process import ManagedProcess, free_dns_port, require_binary, wait_until

KEY_NAME = "failover-sync"
ALGORITHM = "hmac-sha256"
START_TIMEOUT = 10.0


@dataclass(frozen=True)
class BindZone:
    """One primary zone of the test server.

    ``records`` are extra master-file lines (relative names allowed). ``update_policy`` and
    ``allow_transfer`` are the bodies of those named.conf statements; ``{key}`` is replaced by
    the TSIG key name.
    """

    name: str
    records: str = ""
    update_policy: str = "grant {key} zonesub ANY;"
    allow_transfer: str = "key {key};"


def default_zones() -> list[BindZone]:
    """``example.test`` granting every name to the key, plus zones for the refusal cases:
    ``narrow.test`` grants only ``app.narrow.test`` A/AAAA and ``closed.test`` refuses
    transfers to everyone."""
    return [
        BindZone("example.test"),
        BindZone(
            "narrow.test",
            update_policy="grant {key} name app.narrow.test. A AAAA;",
        ),
        BindZone("closed.test", allow_transfer="none;"),
    ]


class BindServer(Queries):
    """A ``named`` process serving ``zones`` on 127.0.0.1:``port`` from ``directory``.

    ``statements``, when given, replace the key ``include`` and the generated ``zone``
    statements of ``named.conf`` (a README recipe, as printed, with its paths pointed at
    :attr:`key_file` and :meth:`zone_file`); ``zones`` still name the files written and the
    SOAs waited for.
    """

    def __init__(
        self,
        directory: Path,
        zones: Sequence[BindZone] | None = None,
        *,
        statements: str | None = None,
    ) -> None:
        self.directory = directory
        self.statements = statements
        self.zones = list(zones) if zones is not None else default_zones()
        self.address = "127.0.0.1"
        self.port = free_dns_port(self.address)
        self.key_file = directory / "tsig.key"
        self._named = require_binary("named", "bind9")
        self._keygen = require_binary("tsig-keygen", "bind9")
        self.process = ManagedProcess(
            [self._named, "-g", "-c", str(directory / "named.conf"), "-p", str(self.port)],
            log=directory / "named.log",
        )

    @property
    def keyring(self) -> dict[dns.name.Name, dns.tsig.Key]:
        """The generated key, as dnspython's keyring (name -> Key)."""
        return dns.tsigkeyring.from_file(self.key_file)

    @property
    def key(self) -> dns.tsig.Key:
        """The generated key."""
        return next(iter(self.keyring.values()))

    @property
    def secret(self) -> str:
        """The generated secret in base64 (for the ``tsig_secret_env`` options)."""
        return base64.b64encode(self.key.secret).decode()

    def write_files(self) -> None:
        """Write the key, a fresh zone file per zone (no journal) and ``named.conf``."""
        self.directory.mkdir(parents=True, exist_ok=True)
        key_text = subprocess.run(
            [self._keygen, "-a", ALGORITHM, KEY_NAME], check=True, capture_output=True, text=True
        ).stdout
        self.key_file.write_text(key_text)
        self.key_file.chmod(0o600)
        d = self.directory
        parts = [
            "options {",
            f'    directory "{d}"; pid-file "{d}/named.pid";',
            f'    session-keyfile "{d}/session.key"; managed-keys-directory "{d}";',
            f"    listen-on port {self.port} {{ {self.address}; }}; listen-on-v6 {{ none; }};",
            "    recursion no; allow-query { 127.0.0.0/8; }; dnssec-validation no;",
            "    notify no;",
            "};",
            "controls { };",
        ]
        if self.statements is None:
            parts.append(f'include "{self.key_file}";')
        else:
            parts.append(self.statements)
        for zone in self.zones:
            zone_file = self.zone_file(zone.name)
            zone_file.write_text(self.zone_text(zone))
            (d / f"{zone.name}.zone.jnl").unlink(missing_ok=True)
            if self.statements is not None:
                continue
            parts += [
                f'zone "{zone.name}" {{',
                f'    type primary; file "{zone_file}";',
                f"    update-policy {{ {zone.update_policy.format(key=KEY_NAME)} }};",
                f"    allow-transfer {{ {zone.allow_transfer.format(key=KEY_NAME)} }};",
                "};",
            ]
        (d / "named.conf").write_text("\n".join(parts) + "\n")

    def zone_file(self, zone: str) -> Path:
        """The master file of ``zone`` (no trailing dot)."""
        return self.directory / f"{zone.rstrip('.')}.zone"

    @staticmethod
    def zone_text(zone: BindZone) -> str:
        """The master file of ``zone``: SOA, NS with its address, then ``records``."""
        return (
            f"$ORIGIN {zone.name}.\n$TTL 300\n"
            "@ IN SOA ns1 hostmaster 1 3600 600 604800 60\n"
            "@ IN NS ns1\nns1 IN A 127.0.0.1\n" + zone.records + "\n"
        )

    def start(self) -> None:
        """Start ``named`` and wait until it answers the SOA of every zone."""
        self.write_files()
        proc = self.process.start()
        try:
            wait_until(self._ready, timeout=START_TIMEOUT, what="named", process=proc)
        except RuntimeError as exc:
            self.process.stop()
            raise RuntimeError(f"{exc}\n{self.process.log_tail()}") from None

    def stop(self) -> None:
        """Stop ``named``."""
        self.process.stop()

    def ttl(self, name: str, rdtype: str) -> int | None:
        """The TTL the server answers for ``name``/``rdtype``; None when absent."""
        for rrset in self.ask(name, rdtype).answer:
            if rrset.rdtype == dns.rdatatype.from_text(rdtype):
                return int(rrset.ttl)
        return None

    def snapshot(self, zone: str) -> dict[tuple[str, str], tuple[int, frozenset[str]]]:
        """Every RRset of ``zone`` by AXFR (signed): (name, type) -> (ttl, values)."""
        transferred = dns.zone.Zone(dns.name.from_text(zone), relativize=False)
        query, _ = dns.xfr.make_query(transferred, serial=None)
        query.use_tsig(self.keyring, algorithm=ALGORITHM)
        dns.query.inbound_xfr(self.address, transferred, query, port=self.port, lifetime=5.0)
        return {
            (name.to_text(), dns.rdatatype.to_text(rds.rdtype)): (
                int(rds.ttl),
                frozenset(rd.to_text() for rd in rds),
            )
            for name, node in transferred.nodes.items()
            for rds in node.rdatasets
        }

    def update(self, zone: str, name: str, ttl: int, rdtype: str, *values: str) -> None:
        """Replace an RRset out of band (another writer), signed with the test key."""
        message = dns.update.UpdateMessage(zone, keyring=self.keyring, keyalgorithm=ALGORITHM)
        message.replace(name, ttl, rdtype, *values)
        response = dns.query.tcp(message, self.address, timeout=5.0, port=self.port)
        if response.rcode() != dns.rcode.NOERROR:
            raise RuntimeError(f"out-of-band update: {dns.rcode.to_text(response.rcode())}")


@contextlib.contextmanager
def bind_server(
    directory: Path, zones: Sequence[BindZone] | None = None, *, statements: str | None = None
) -> Iterator[BindServer]:
    """A started :class:`BindServer`, stopped on exit."""
    server = BindServer(directory, zones, statements=statements)
    server.start()
    try:
        yield server
    finally:
        server.stop()

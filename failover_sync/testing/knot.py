"""A real Knot DNS ``knotd`` for tests: free loopback port, a key from ``keymgr -t``, fresh zones.

Facts this rests on (Debian 12, Knot 3.2; see ``shared/STANDINS.md``): ``knotd -c knot.conf``
serves in well under a second; a ``database: storage`` folder is needed, else every dynamic
update ends in SERVFAIL; Knot checks a whole UPDATE against one ACL rule; an UPDATE or AXFR the
ACL does not grant is answered NOTAUTH with TSIG error BADKEY, as for an unknown key; Knot
reloads a changed zone file only when its own user can read it.

Each :class:`KnotServer` owns one folder: ``knot.conf``, ``tsig.key`` (the output of ``keymgr
-t``, which the adapter's ``tsig_key_file`` reads) and one ``<zone>.zone`` file per zone. The
``key``/``acl``/``zone`` sections are text given by the test (the README recipes are tested as
printed); the harness adds ``server``, ``log``, ``database`` and ``template``.

Usage::

    with knot_server(tmp_path, [KnotZone("example.com")], sections=recipe) as knot:
        knot.query("app.example.com.", "A")    # -> set of values, via plain UDP
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from failover_sync.testing.dnsquery import Queries
from failover_sync.testing.process import ManagedProcess, free_dns_port, require_binary, wait_until

KEY_NAME = "failover-sync"
ALGORITHM = "hmac-sha256"
START_TIMEOUT = 10.0

DEFAULT_ACL = """\
acl:
  - id: fs-update
    key: failover-sync
    action: update
  - id: fs-transfer
    key: failover-sync
    action: transfer
"""
"""Grants every name of the zones to the key (for tests that are not about the ACL)."""


@dataclass(frozen=True)
class KnotZone:
    """One primary zone: ``records`` are extra master-file lines (relative names allowed);
    ``acl`` the ids of the ACL rules the harness lists for it (unused with ``sections``)."""

    name: str
    records: str = ""
    acl: tuple[str, ...] = ("fs-update", "fs-transfer")


class KnotServer(Queries):
    """A ``knotd`` serving ``zones`` on 127.0.0.1:``port`` from ``directory``.

    ``sections``, when given, is the ``key:``/``acl:``/``zone:`` text (a README recipe, as
    printed), with the literal ``<base64 secret>`` replaced by the generated secret; else the
    harness writes the key, :data:`DEFAULT_ACL` and one ``zone:`` entry per zone. Zone files
    are ``<folder>/<zone>.zone`` (the template's storage). ``run_as``: run knotd as that user
    and group (Debian's ``knot``) with the zone files ``root:<group>`` 0640, so that a write
    which loses the group is seen.
    """

    def __init__(
        self,
        directory: Path,
        zones: Sequence[KnotZone],
        *,
        sections: str | None = None,
        run_as: str | None = None,
    ) -> None:
        if run_as:
            # The user must traverse every parent folder, and pytest's tmp_path is under a
            # root-only 0700 folder: use a folder of our own in the system temp folder.
            directory.mkdir(parents=True, exist_ok=True)
            directory = Path(tempfile.mkdtemp(prefix="knot-", dir=directory.anchor + "tmp"))
            directory.chmod(0o711)
            self._own_directory = True
        else:
            self._own_directory = False
        self.directory = directory
        self.zones = list(zones)
        self.sections = sections
        self.run_as = run_as
        self.address = "127.0.0.1"
        self.port = free_dns_port(self.address)
        self.key_file = directory / "tsig.key"
        self._knotd = require_binary("knotd", "knot")
        self._knotc = require_binary("knotc", "knot")
        self._keymgr = require_binary("keymgr", "knot")
        self.process = ManagedProcess(
            [self._knotd, "-c", str(directory / "knot.conf")], log=directory / "knotd.log"
        )

    @property
    def secret(self) -> str:
        """The base64 secret of the generated key (as ``keymgr -t`` printed it)."""
        text = self.key_file.read_text()
        data = yaml.safe_load(text)
        return str(data["key"][0]["secret"])

    def zone_file(self, zone: str) -> Path:
        """The master file of ``zone`` (no trailing dot)."""
        return self.directory / f"{zone.rstrip('.')}.zone"

    def write_files(self) -> None:
        """Write the key (``keymgr -t``), a fresh zone file per zone and ``knot.conf``."""
        d = self.directory
        d.mkdir(parents=True, exist_ok=True)
        (d / "db").mkdir(exist_ok=True)
        key_text = subprocess.run(
            [self._keymgr, "-t", KEY_NAME, ALGORITHM], check=True, capture_output=True, text=True
        ).stdout
        self.key_file.write_text(key_text)
        self.key_file.chmod(0o600)
        for zone in self.zones:
            self.zone_file(zone.name).write_text(zone_text(zone))
        server = f"server:\n  rundir: {d}\n  listen: {self.address}@{self.port}\n"
        if self.run_as:
            server += f"  user: {self.run_as}:{self.run_as}\n"
        parts = [
            server,
            "log:\n  - target: stderr\n    any: info\n",
            f"database:\n  storage: {d}/db\n",
            # Knot writes its own changes back to the file only when asked (zonefile-sync);
            # -1 keeps our file as we wrote it, so a test sees exactly our bytes served.
            f"template:\n  - id: default\n    storage: {d}\n    zonefile-sync: -1\n"
            "    journal-content: none\n",
        ]
        if self.sections is not None:
            parts.append(self.sections.replace("<base64 secret>", self.secret))
        else:
            parts += [_without_comment(key_text), DEFAULT_ACL, self._zones_section()]
        (d / "knot.conf").write_text("\n".join(parts))
        if self.run_as:
            self._share_with(self.run_as)

    def _zones_section(self) -> str:
        lines = ["zone:"]
        for zone in self.zones:
            lines.append(f"  - domain: {zone.name}")
            lines.append(f"    acl: [{', '.join(zone.acl)}]")
        return "\n".join(lines) + "\n"

    def _share_with(self, user: str) -> None:
        """Let ``user`` run knotd here: its folders owned by it, zone files root:user 0640."""
        import grp
        import pwd

        uid, gid = pwd.getpwnam(user).pw_uid, grp.getgrnam(user).gr_gid
        for path in (self.directory, self.directory / "db"):
            os.chown(path, uid, gid)
        (self.directory / "knot.conf").chmod(0o644)
        for zone in self.zones:
            path = self.zone_file(zone.name)
            os.chown(path, 0, gid)
            path.chmod(0o640)

    def start(self) -> None:
        """Start ``knotd`` and wait until it answers the SOA of every zone."""
        self.write_files()
        proc = self.process.start()
        try:
            wait_until(self._ready, timeout=START_TIMEOUT, what="knotd", process=proc)
        except RuntimeError as exc:
            self.process.stop()
            raise RuntimeError(f"{exc}\n{self.process.log_tail()}") from None

    def stop(self) -> None:
        """Stop ``knotd`` (and remove the folder the harness made for ``run_as``)."""
        self.process.stop()
        if self._own_directory:
            shutil.rmtree(self.directory, ignore_errors=True)

    def reload(self, zone: str) -> None:
        """Ask knotd to reload ``zone`` from its file (``knotc zone-reload``); raise when
        knotc reports a failure."""
        socket = self.directory / "knot.sock"
        subprocess.run(
            [self._knotc, "-s", str(socket), "-t", "5", "zone-reload", zone],
            check=True,
            capture_output=True,
            text=True,
        )

    def serial(self, zone: str) -> int:
        """The SOA serial served now for ``zone``."""
        (rrset,) = self.ask(f"{zone.rstrip('.')}.", "SOA").answer
        return int(rrset[0].serial)


def _without_comment(text: str) -> str:
    """``keymgr -t`` output without its first ``# alg:name:secret`` comment line."""
    return "".join(line for line in text.splitlines(True) if not line.startswith("#"))


def zone_text(zone: KnotZone) -> str:
    """The master file of ``zone``: SOA, NS with its address, then ``records``."""
    return (
        f"$ORIGIN {zone.name}.\n$TTL 300\n"
        "@ IN SOA ns1 hostmaster 1 3600 600 604800 60\n"
        "@ IN NS ns1\nns1 IN A 127.0.0.1\n" + zone.records + "\n"
    )


@contextlib.contextmanager
def knot_server(
    directory: Path,
    zones: Sequence[KnotZone],
    *,
    sections: str | None = None,
    run_as: str | None = None,
) -> Iterator[KnotServer]:
    """A started :class:`KnotServer`, stopped on exit."""
    server = KnotServer(directory, zones, sections=sections, run_as=run_as)
    server.start()
    try:
        yield server
    finally:
        server.stop()

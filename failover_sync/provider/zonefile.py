"""The embedded default provider: one RFC 1035 master file per zone.

Files are ``<directory>/<zone>.zone`` (``example.com.zone``), read and written with
dnspython's zone support, so that CoreDNS's ``file`` plugin, NSD, Knot or BIND can serve them.
A write is atomic (temporary file in the same folder, fsync, rename, fsync of the folder): a
crash leaves the old file or the new one, never a torn one; the temporary file a ``kill -9``
may leave (``.<zone>.zone.XXXXXXXX.tmp``) is removed by the next write of that zone, under the
folder lock that every writer holds from creating its temporary file to renaming it. Each
write bumps the SOA serial (RFC 1982 arithmetic) so secondaries notice. RRsets that were not
asked to change keep their data; comments and layout are rewritten in dnspython's canonical
form.

Writes are compare-and-swap: if an RRset no longer holds the values that were read (someone
edited the file meanwhile, or created an RRset read as absent), the apply raises
StaleRRsetError and the controller re-reads. A change that breaks the CNAME rule (RFC 1034
section 3.6.2) is a permanent ProviderError naming the record.

Layouts this keeps (the server that serves the file must still read it after our write):

- **owner, group and mode** of the file: the temporary file gets them (``fchown``, ``chmod``)
  before the rename. When the controller may not give it that owner/group (not root, not the
  owner, or not in the group), the write **fails** with a ProviderError naming the file and
  the owner:group it must keep, and the file is left as it was: a file the server cannot read
  (Knot running as ``knot`` with ``root:knot 0640``) would keep the old answer served with
  nothing said, which is worse than a loud error. Run the controller as the file's owner, in
  its group, or as root.
- **a symlinked zone file** is written through to its target (the temporary file is made in
  the target's folder and renamed over the target); the link stays a link.

A missing zone file or folder is an error naming the path (a typo in ``directory:`` would
otherwise publish into a file nobody serves). ``create_missing: true`` creates them, with a
new zone holding an SOA and one NS (:func:`~failover_sync.provider.zonedata.new_zone`).
dnspython is imported on the first read or write (:mod:`~failover_sync.provider.zonedata`),
so ``validate`` checks these options without loading it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import tempfile
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from failover_sync.errors import ProviderError
from failover_sync.logs import event
from failover_sync.model import Change, RecordKey, RRset, Zone
from failover_sync.provider.base import Capabilities, Provider, ProviderOptions
from failover_sync.provider.kit import StaleRRsetError

if TYPE_CHECKING:
    import dns.zone

_MKSTEMP_RANDOM = "[a-z0-9_]{8}"
"""The random part of a name made by ``tempfile.mkstemp`` (8 of ``[a-z0-9_]``)."""


class ZoneFileOptions(ProviderOptions):
    """Options of ``type: zonefile``."""

    directory: Path = Field(default=Path("zones"))
    """Folder of the zone files, relative to the config file's folder."""
    create_missing: bool = False
    """Create a missing folder and zone file (a new zone with an SOA and one NS) instead of
    reporting them as errors."""


class ZoneFileProvider(Provider):
    """Reads and writes ``<directory>/<zone>.zone`` files."""

    Options: ClassVar[type[ProviderOptions]] = ZoneFileOptions
    capabilities: ClassVar[Capabilities] = Capabilities(
        record_types=frozenset({"A", "AAAA", "CNAME", "TXT"}), max_batch=None
    )

    def __init__(self, name: str, options: ProviderOptions, *, config_dir: Path) -> None:
        super().__init__(name, options, config_dir=config_dir)
        self._read_at: dict[Path, tuple[tuple[int, int, int, int], dict[RecordKey, RRset | None]]]
        self._read_at = {}
        """Zone file -> the (inode, size, mtime, ctime) it was read at, and the RRsets read."""

    @property
    def directory(self) -> Path:
        assert isinstance(self.options, ZoneFileOptions)
        return self.config_dir / self.options.directory

    def path_of(self, zone: Zone) -> Path:
        """The file of ``zone``."""
        return self.directory / f"{zone.name.rstrip('.')}.zone"

    async def list_rrsets(self, zone: Zone, keys: Collection[RecordKey]) -> list[RRset]:
        import asyncio  # loaded already when a coroutine runs; validate never needs it

        return await asyncio.to_thread(self._list, zone, keys)

    async def apply(self, zone: Zone, changes: Sequence[Change]) -> None:
        import asyncio

        if changes:
            await asyncio.to_thread(self._apply, zone, changes)

    @property
    def create_missing(self) -> bool:
        assert isinstance(self.options, ZoneFileOptions)
        return self.options.create_missing

    def _missing(self, zone: Zone, path: Path) -> ProviderError:
        where = (
            f"folder {self.directory} does not exist"
            if not self.directory.is_dir()
            else f"zone file {path} does not exist"
        )
        return ProviderError(
            f"{where}: check directory: of provider {self.name} and the zone name (or set "
            "create_missing: true to create a new zone with an SOA and NS)",
            provider=self.name,
            zone=zone.name,
        )

    def _list(self, zone: Zone, keys: Collection[RecordKey]) -> list[RRset]:
        from failover_sync.provider import zonedata  # dnspython: not for validate

        path = self.path_of(zone)
        try:
            st = path.stat()
        except FileNotFoundError:
            if self.create_missing:
                return []
            raise self._missing(zone, path) from None
        except OSError as exc:
            raise ProviderError(
                f"cannot read zone file {path}: {exc.strerror}", provider=self.name, zone=zone.name
            ) from None
        # A resync of an unchanged file reuses what it read (a 10,000-record zone takes
        # about 0.1 s of CPU to parse, during which probes wait for the GIL). The stamp
        # includes ctime, which every write and every touch of the mtime moves. Only the
        # asked RRsets are kept, not dnspython's zone: its many small objects would make
        # every full garbage collection of a long-running process longer.
        stamp = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        cached = self._read_at.get(path)
        if cached is not None and cached[0] == stamp and all(k in cached[1] for k in keys):
            found = cached[1]
        else:
            parsed = self._read(zone, path)
            found = {key: zonedata.get(parsed, key) for key in keys}
            self._read_at[path] = (stamp, found)
        return [rr for key in keys if (rr := found[key]) is not None]

    def _read(self, zone: Zone, path: Path) -> dns.zone.Zone:
        from failover_sync.provider import zonedata

        try:
            return zonedata.read(path, zone.name)
        except (zonedata.DNSException, UnicodeDecodeError) as exc:
            raise ProviderError(
                f"cannot parse zone file {path}: {exc}", provider=self.name, zone=zone.name
            ) from None
        except OSError as exc:
            raise ProviderError(
                f"cannot read zone file {path}: {exc.strerror}", provider=self.name, zone=zone.name
            ) from None

    def _apply(self, zone: Zone, changes: Sequence[Change]) -> None:
        from failover_sync.provider import zonedata

        path = self.path_of(zone)
        if not path.exists():
            if not self.create_missing:
                raise self._missing(zone, path)
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ProviderError(
                    f"cannot create {self.directory}: {exc.strerror}", provider=self.name
                ) from None
        # Write through a symlink: the target is replaced, the link stays.
        target = Path(os.path.realpath(path))
        with _locked(target.parent):
            self._remove_stale_temporaries(target, zone)
            parsed = self._read(zone, path) if path.exists() else zonedata.new_zone(zone.name)
            for change in changes:
                live = zonedata.get(parsed, change.key)
                if (live.values if live else ()) != change.before:
                    raise StaleRRsetError(
                        f"{change.name} {change.type} changed since it was read "
                        f"(now {list(live.values) if live else []}) in {path}; nothing was "
                        "written",
                        provider=self.name,
                        zone=zone.name,
                    )
                zonedata.check_cname_rule(parsed, change, self.name, zone.name)
                zonedata.replace(parsed, change)
            zonedata.bump_serial(parsed)
            self._write(parsed, target, zone)

    def _remove_stale_temporaries(self, path: Path, zone: Zone) -> None:
        """Delete the temporary files of ``path`` that a writer killed between ``mkstemp`` and
        the rename left behind. Call only under :func:`_locked`: every writer holds the lock
        from ``mkstemp`` to the rename, so no such file belongs to a write in progress. Only
        names ``mkstemp`` makes for this zone match (not those of a zone whose name starts
        with this one's file name); a file that cannot be removed is logged and skipped."""
        stale = re.compile(rf"\.{re.escape(path.name)}\.{_MKSTEMP_RANDOM}\.tmp")
        folder = path.parent
        try:
            names = [e.name for e in os.scandir(folder) if stale.fullmatch(e.name)]
        except OSError:
            return  # the read or the write that follows reports the folder's problem
        for name in sorted(names):
            try:
                (folder / name).unlink(missing_ok=True)
            except OSError as exc:
                event(
                    logging.WARNING,
                    "zonefile_stale_temporary_kept",
                    zone=zone.name,
                    file=str(folder / name),
                    reason=exc.strerror or str(exc),
                )
                continue
            event(
                logging.INFO,
                "zonefile_stale_temporary_removed",
                zone=zone.name,
                file=str(folder / name),
            )

    def _write(self, parsed: dns.zone.Zone, path: Path, zone: Zone) -> None:
        """Replace ``path`` (a real file, symlinks resolved) atomically, keeping its owner,
        group and mode. Raises ProviderError when they cannot be kept or the write fails."""
        try:
            st: os.stat_result | None = path.stat()
        except FileNotFoundError:
            st = None
        mode = st.st_mode & 0o7777 if st else 0o644
        folder = path.parent
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                parsed.to_file(handle, sorted=True, relativize=True, want_origin=True)
                handle.flush()
                if st is not None:
                    _keep_owner(handle.fileno(), st, path, self.name, zone.name)
                os.fchmod(handle.fileno(), mode)
                os.fsync(handle.fileno())
            os.replace(tmp, path)
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise ProviderError(
                f"cannot write zone file {path}: {exc.strerror}", provider=self.name, zone=zone.name
            ) from None
        except ProviderError:
            Path(tmp).unlink(missing_ok=True)
            raise


def _keep_owner(fd: int, st: os.stat_result, path: Path, provider: str, zone: str) -> None:
    """Give the open temporary file ``fd`` the owner and group of ``st`` (the file it will
    replace). Raises ProviderError when this process may not (see the module docstring)."""
    mine = os.fstat(fd)
    if (mine.st_uid, mine.st_gid) == (st.st_uid, st.st_gid):
        return
    try:
        os.fchown(fd, st.st_uid, st.st_gid)
    except PermissionError:
        raise ProviderError(
            f"cannot keep owner and group {st.st_uid}:{st.st_gid} of zone file {path} "
            f"(this process runs as {os.geteuid()}:{os.getegid()}); nothing was written, "
            "because a file the DNS server cannot read would keep the old answer served: run "
            "failover-sync as the file's owner, in its group, or as root",
            provider=provider,
            zone=zone,
        ) from None


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Serialise writers of one folder (advisory flock on the folder itself)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)

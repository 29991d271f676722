"""The zone-file provider: contract suite, round trips, atomic writes, serials."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

import dns.zone
import pytest

from failover_sync.errors import ProviderError, TransientProviderError
from failover_sync.model import RRset, Zone
from failover_sync.provider.kit import StaleRRsetError
from failover_sync.provider.zonedata import bump_serial, new_zone
from failover_sync.provider.zonefile import ZoneFileOptions, ZoneFileProvider, _locked
from failover_sync.testing import MakeProvider, ProviderContract, upsert

ZONE = Zone("example.test.", "local")
EXISTING = """\
$ORIGIN example.test.
$TTL 300
@   IN SOA ns1 hostmaster 2024010101 3600 600 604800 60
@   IN NS  ns1
ns1 IN A   127.0.0.1
app 30 IN A 192.0.2.1
app IN TXT "v=spf1 -all"
mail IN MX 10 mx.example.net.
www IN CNAME app
"""


def provider(directory: Path, *, create_missing: bool = False) -> ZoneFileProvider:
    options = ZoneFileOptions(directory=directory, create_missing=create_missing)
    return ZoneFileProvider("local", options, config_dir=Path("/"))


class TestZoneFileContract(ProviderContract):
    create_if_absent = True  # the file's live values are compared with before, under the lock

    @pytest.fixture
    def make_provider(self, tmp_path: Path) -> MakeProvider:
        return lambda: provider(tmp_path)

    @pytest.fixture
    def zone(self, tmp_path: Path) -> Zone:
        (tmp_path / "example.test.zone").write_text(new_zone(ZONE.name).to_text())
        return ZONE

    @pytest.fixture
    def broken_zone(self, tmp_path: Path) -> Zone:
        (tmp_path / "broken.test.zone").write_text("this is not a zone file\n")
        return Zone("broken.test.", "local")


def test_unmanaged_rrsets_survive_a_write(tmp_path: Path) -> None:
    path = tmp_path / "example.test.zone"
    path.write_text(EXISTING)
    before = dns.zone.from_file(str(path), origin="example.test.")
    p = provider(tmp_path)
    current = RRset.of("app.example.test.", "A", 30, ["192.0.2.1"])
    asyncio.run(
        p.apply(ZONE, [upsert(RRset.of("app.example.test.", "A", 30, ["192.0.2.2"]), current)])
    )
    after = dns.zone.from_file(str(path), origin="example.test.")
    for name, node in before.nodes.items():
        for rdataset in node.rdatasets:
            if (str(name), rdataset.rdtype) == ("app", dns.rdatatype.A):
                continue
            if rdataset.rdtype == dns.rdatatype.SOA:
                continue
            assert after.get_rdataset(name, rdataset.rdtype) == rdataset
    assert [rd.to_text() for rd in after.get_rdataset("app", "A")] == ["192.0.2.2"]
    assert bump_serial(before) == 2024010102
    soa = after.get_rdataset("@", "SOA")
    assert soa is not None
    assert next(iter(soa)).serial == 2024010102  # type: ignore[attr-defined]


def test_missing_file_or_folder_is_an_error_naming_the_path(tmp_path: Path) -> None:
    """A typo in directory: or a zone name must not publish into a file nobody serves."""
    change = upsert(RRset.of("app.example.test.", "A", 60, ["192.0.2.1"]))
    for folder, expected in [
        (tmp_path / "typo", f"folder {tmp_path / 'typo'} does not exist"),
        (tmp_path, f"zone file {tmp_path / 'example.test.zone'} does not exist"),
    ]:
        p = provider(folder)
        with pytest.raises(ProviderError, match=re.escape(expected)) as info:
            asyncio.run(p.list_rrsets(ZONE, [change.key]))
        assert not isinstance(info.value, TransientProviderError)
        assert "create_missing: true" in str(info.value)
        with pytest.raises(ProviderError, match=re.escape(expected)):
            asyncio.run(p.apply(ZONE, [change]))
    assert list(tmp_path.iterdir()) == []


def test_create_missing_creates_folder_and_zone_with_soa_and_ns(tmp_path: Path) -> None:
    p = provider(tmp_path / "zones", create_missing=True)
    assert asyncio.run(p.list_rrsets(ZONE, [("app.example.test.", "A")])) == []
    asyncio.run(p.apply(ZONE, [upsert(RRset.of("app.example.test.", "A", 60, ["192.0.2.1"]))]))
    parsed = dns.zone.from_file(str(tmp_path / "zones" / "example.test.zone"), origin=ZONE.name)
    assert parsed.get_rdataset("@", "SOA") is not None
    assert parsed.get_rdataset("@", "NS") is not None
    assert oct(os.stat(tmp_path / "zones" / "example.test.zone").st_mode & 0o777) == "0o644"


def test_owner_group_and_mode_are_kept(tmp_path: Path) -> None:
    """65534:65534 0640 stays 65534:65534 0640 (a server running as that user reads it)."""
    path = tmp_path / "example.test.zone"
    path.write_text(EXISTING)
    os.chown(path, 65534, 65534)
    path.chmod(0o640)
    current = RRset.of("app.example.test.", "A", 30, ["192.0.2.1"])
    change = upsert(RRset.of("app.example.test.", "A", 30, ["192.0.2.2"]), current)
    asyncio.run(provider(tmp_path).apply(ZONE, [change]))
    st = path.stat()
    assert (st.st_uid, st.st_gid, oct(st.st_mode & 0o7777)) == (65534, 65534, "0o640")
    assert "192.0.2.2" in path.read_text()


def test_symlinked_zone_file_is_written_through_to_its_target(tmp_path: Path) -> None:
    served = tmp_path / "served"
    served.mkdir()
    target = served / "example.test.db"
    target.write_text(EXISTING)
    os.chown(target, 0, 65534)
    target.chmod(0o640)
    zones = tmp_path / "zones"
    zones.mkdir()
    link = zones / "example.test.zone"
    link.symlink_to(target)
    current = RRset.of("app.example.test.", "A", 30, ["192.0.2.1"])
    change = upsert(RRset.of("app.example.test.", "A", 30, ["192.0.2.2"]), current)
    asyncio.run(provider(zones).apply(ZONE, [change]))
    assert link.is_symlink()
    assert os.readlink(link) == str(target)
    assert "192.0.2.2" in target.read_text()
    st = target.stat()
    assert (st.st_uid, st.st_gid, oct(st.st_mode & 0o777)) == (0, 65534, "0o640")
    assert sorted(p.name for p in zones.iterdir()) == ["example.test.zone"]
    assert sorted(p.name for p in served.iterdir()) == ["example.test.db"]


def test_an_owner_that_cannot_be_kept_fails_and_writes_nothing() -> None:
    """Run as nobody (65534) on a root:root file in nobody's folder: chown is not permitted,
    so the write fails with a message naming the file, and the file is untouched."""
    folder = Path(tempfile.mkdtemp(prefix="zonefile-owner-"))
    try:
        folder.chmod(0o755)
        os.chown(folder, 65534, 65534)
        path = folder / "example.test.zone"
        path.write_text(EXISTING)
        old = RRset.of("app.example.test.", "A", 30, ["192.0.2.1"])
        change = upsert(RRset.of("app.example.test.", "A", 30, ["192.0.2.2"]), old)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child drops to nobody and tries the write
            message = b"no error"
            try:
                os.setgid(65534)
                os.setuid(65534)
                asyncio.run(provider(folder).apply(ZONE, [change]))
            except ProviderError as exc:
                message = str(exc).encode()
            finally:
                os.write(write_end, message)
                os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            said = pipe.read().decode()
        os.waitpid(pid, 0)
        assert f"cannot keep owner and group 0:0 of zone file {path}" in said
        assert "nothing was written" in said
        assert path.read_text() == EXISTING
        assert sorted(p.name for p in folder.iterdir()) == ["example.test.zone"]
    finally:
        shutil.rmtree(folder)


def test_compare_and_swap_refuses_a_stale_write(tmp_path: Path) -> None:
    (tmp_path / "example.test.zone").write_text(EXISTING)
    p = provider(tmp_path)
    stale = RRset.of("app.example.test.", "A", 30, ["192.0.2.9"])
    with pytest.raises(StaleRRsetError, match="changed since it was read"):
        asyncio.run(
            p.apply(ZONE, [upsert(RRset.of("app.example.test.", "A", 30, ["192.0.2.2"]), stale)])
        )
    assert "192.0.2.1" in (tmp_path / "example.test.zone").read_text()


def test_cname_rule_protects_neighbours(tmp_path: Path) -> None:
    (tmp_path / "example.test.zone").write_text(EXISTING)
    p = provider(tmp_path)
    cname = RRset.of("app.example.test.", "CNAME", 30, ["elsewhere.example.net."])
    with pytest.raises(ProviderError, match="CNAME cannot share its name") as info:
        asyncio.run(p.apply(ZONE, [upsert(cname)]))
    assert not isinstance(info.value, TransientProviderError)
    assert "app.example.test. CNAME" in str(info.value)
    assert (tmp_path / "example.test.zone").read_text() == EXISTING  # nothing written


def test_cname_values_are_absolute(tmp_path: Path) -> None:
    (tmp_path / "example.test.zone").write_text(EXISTING)
    listed = asyncio.run(provider(tmp_path).list_rrsets(ZONE, [("www.example.test.", "CNAME")]))
    assert listed == [RRset.of("www.example.test.", "CNAME", 300, ["app.example.test."])]


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "example.test.zone"
    path.write_text(EXISTING)
    path.chmod(0o640)
    inode = path.stat().st_ino
    p = provider(tmp_path)
    current = RRset.of("app.example.test.", "A", 30, ["192.0.2.1"])
    asyncio.run(
        p.apply(ZONE, [upsert(RRset.of("app.example.test.", "A", 30, ["192.0.2.5"]), current)])
    )
    assert path.stat().st_ino != inode  # replaced by rename, never rewritten in place
    assert oct(path.stat().st_mode & 0o777) == "0o640"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["example.test.zone"]


def test_a_write_removes_stale_temporary_files_of_its_zone_only(tmp_path: Path) -> None:
    """What a ``kill -9`` between mkstemp and rename leaves is removed by the next write of
    that zone; a read does not touch it, nor a write of another zone its files."""
    path = tmp_path / "example.test.zone"
    path.write_text(EXISTING)
    stale = [
        tmp_path / ".example.test.zone.k3_x9abc.tmp",
        tmp_path / ".example.test.zone.zzzzzzzz.tmp",
    ]
    kept = [
        tmp_path / ".example.test.zone.x.zone.abcdefgh.tmp",  # zone example.test.zone.x.
        tmp_path / ".other.test.zone.abcdefgh.tmp",
        tmp_path / ".example.test.zone.abcdefgh.tmp.keep",
        tmp_path / "example.test.zone.abcdefgh.tmp",
    ]
    for leftover in stale + kept:
        leftover.write_text("$ORIGIN example.test.\n@ IN SOA ns1 hostm")  # torn
    p = provider(tmp_path)
    asyncio.run(p.list_rrsets(ZONE, [("app.example.test.", "A")]))
    assert all(f.exists() for f in stale)
    (tmp_path / "other2.test.zone").write_text(new_zone("other2.test.").to_text())
    asyncio.run(
        p.apply(
            Zone("other2.test.", "local"),
            [upsert(RRset.of("a.other2.test.", "A", 30, ["192.0.2.9"]))],
        )
    )
    assert all(f.exists() for f in stale)

    current = RRset.of("app.example.test.", "A", 30, ["192.0.2.1"])
    asyncio.run(
        p.apply(ZONE, [upsert(RRset.of("app.example.test.", "A", 30, ["192.0.2.5"]), current)])
    )
    assert not any(f.exists() for f in stale)
    assert all(f.exists() for f in kept)
    assert "192.0.2.5" in path.read_text()


def test_stale_temporary_files_are_removed_only_under_the_folder_lock(tmp_path: Path) -> None:
    """A writer holding the lock keeps its temporary file: a second writer waits for the lock
    before it looks for leftovers, so it only removes what no live writer owns."""
    path = tmp_path / "example.test.zone"
    path.write_text(EXISTING)
    p = provider(tmp_path)
    current = RRset.of("app.example.test.", "A", 30, ["192.0.2.1"])
    change = upsert(RRset.of("app.example.test.", "A", 30, ["192.0.2.5"]), current)
    with _locked(tmp_path):  # another writer, between its mkstemp and its rename
        fd, name = tempfile.mkstemp(dir=tmp_path, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        Path(name).write_text(EXISTING)
        writer = threading.Thread(target=lambda: asyncio.run(p.apply(ZONE, [change])))
        writer.start()
        writer.join(0.3)
        assert writer.is_alive()
        assert Path(name).exists()
        os.replace(name, path)  # the other writer finishes
    writer.join(10)
    assert not writer.is_alive()
    assert "192.0.2.5" in path.read_text()
    assert sorted(f.name for f in tmp_path.iterdir()) == ["example.test.zone"]


def test_serial_wraps_per_rfc1982() -> None:
    zone = new_zone("example.test.")
    soa = zone.get_rdataset("@", "SOA")
    assert soa is not None
    rd = next(iter(soa))
    zone.replace_rdataset(
        "@",
        dns.rdataset.from_rdata(soa.ttl, rd.replace(serial=2**32 - 1)),  # type: ignore[attr-defined]
    )
    assert bump_serial(zone) == 1


def test_an_unchanged_file_is_parsed_once_and_any_edit_is_seen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Resyncs of an unchanged zone file reuse its parse; an edit in place that keeps the
    size and puts the mtime back (``touch -r``) still moves the ctime, and is read."""
    path = tmp_path / "example.test.zone"
    path.write_text(EXISTING)
    parses: list[str] = []
    real = dns.zone.from_file

    def counting(*args: object, **kwargs: object) -> dns.zone.Zone:
        parses.append(str(args[0]))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(dns.zone, "from_file", counting)
    local = provider(tmp_path)
    keys = [("app.example.test.", "A")]

    def values() -> tuple[str, ...]:
        (rrset,) = asyncio.run(local.list_rrsets(ZONE, keys))
        return rrset.values

    assert values() == ("192.0.2.1",)
    assert values() == ("192.0.2.1",)
    assert len(parses) == 1
    before = path.stat()
    with path.open("r+") as f:  # same size, same mtime afterwards
        f.write(EXISTING.replace("192.0.2.1", "192.0.2.9"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    assert values() == ("192.0.2.9",)
    assert len(parses) == 2
    old = RRset.of("app.example.test.", "A", 30, ["192.0.2.9"])
    new = RRset.of("app.example.test.", "A", 30, ["192.0.2.7"])
    asyncio.run(local.apply(ZONE, [upsert(new, old)]))
    assert values() == ("192.0.2.7",)  # our own write is seen too

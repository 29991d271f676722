"""The zone-file provider writing a file that a real Knot DNS serves as user ``knot``.

The file is ``root:knot 0640`` (how Debian's knot package expects it); knotd runs as ``knot``
and reloads the zone (``knotc zone-reload``) after our write. Before owner and group were
kept, the rewrite made the file ``root:root 0640``, knotd could not read it and kept serving
the old answer. The provider's folder may also hold a symlink to the served file: the write
goes through to the target, the link stays.
"""

from __future__ import annotations

import asyncio
import grp
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from failover_sync.model import RRset, Zone
from failover_sync.provider.zonefile import ZoneFileOptions, ZoneFileProvider
from failover_sync.testing import upsert
from failover_sync.testing.knot import KnotServer, KnotZone, knot_server
from failover_sync.testing.waits import wait_for

ZONE = Zone("example.test.", "local")
APP = "app.example.test."


@pytest.fixture
def knot(tmp_path: Path) -> Iterator[KnotServer]:
    zones = [KnotZone("example.test", records="app 30 IN A 192.0.2.1\n")]
    with knot_server(tmp_path / "knot", zones, run_as="knot") as server:
        yield server


def provider(directory: Path) -> ZoneFileProvider:
    return ZoneFileProvider("local", ZoneFileOptions(directory=directory), config_dir=Path("/"))


def failover(directory: Path) -> None:
    """One apply through the provider: app A 192.0.2.1 -> 192.0.2.2 (with its marker)."""
    before = RRset.of(APP, "A", 30, ["192.0.2.1"])
    after = RRset.of(APP, "A", 30, ["192.0.2.2"])
    marker = RRset.of(f"_failover-sync.{APP}", "TXT", 30, ['"heritage=failover-sync"'])
    asyncio.run(provider(directory).apply(ZONE, [upsert(after, before), upsert(marker)]))


def assert_root_knot_0640(path: Path) -> None:
    st = path.stat()
    assert (st.st_uid, st.st_gid) == (0, grp.getgrnam("knot").gr_gid)
    assert oct(st.st_mode & 0o777) == "0o640"


def test_knot_serves_our_write_after_a_reload(knot: KnotServer) -> None:
    path = knot.zone_file("example.test")
    assert_root_knot_0640(path)
    assert knot.query(APP, "A") == {"192.0.2.1"}
    serial = knot.serial("example.test")

    failover(knot.directory)

    assert_root_knot_0640(path)
    knot.reload("example.test")
    wait_for(lambda: knot.query(APP, "A") == {"192.0.2.2"}, timeout=10)
    assert knot.serial("example.test") == serial + 1
    assert "loaded" in knot.process.log_tail(200)


def test_knot_serves_our_write_through_a_symlink(knot: KnotServer, tmp_path: Path) -> None:
    served = knot.zone_file("example.test")
    zones = tmp_path / "zones"
    zones.mkdir()
    link = zones / "example.test.zone"
    link.symlink_to(served)

    failover(zones)

    assert link.is_symlink()
    assert os.readlink(link) == str(served)
    assert_root_knot_0640(served)
    knot.reload("example.test")
    wait_for(lambda: knot.query(APP, "A") == {"192.0.2.2"}, timeout=10)

"""``kill -9`` during zone-file applies: the file is always the old or the new state, never a
torn one, and a restarted controller converges without extra writes."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import time
from pathlib import Path

import dns.zone

from failover_sync.controller.controller import Controller
from failover_sync.model import DesiredRecord, Endpoint, HealthCheck, Policy, ProbeTarget, Zone
from failover_sync.provider.zonefile import ZoneFileOptions, ZoneFileProvider
from failover_sync.testing import ScriptedProber, standard_guards

ZONE = Zone("example.test.", "local")
NAME = "app.example.test."
VALUES = ("192.0.2.1", "192.0.2.2")
KILLS = 12
FAST = HealthCheck(interval_seconds=0.01, request_timeout_seconds=0.005)

# The child flips the RRset between the two values as fast as it can (each apply reads,
# checks ``before``, writes a temporary file, fsyncs and renames it over the zone file).
CHILD = f"""
import asyncio, sys
from pathlib import Path
from failover_sync.model import Zone
from failover_sync.testing import upsert
from failover_sync.model import RRset
from failover_sync.provider.zonefile import ZoneFileOptions, ZoneFileProvider

async def main() -> None:
    options = ZoneFileOptions(directory=Path(sys.argv[1]), create_missing=True)
    provider = ZoneFileProvider("local", options, config_dir=Path("."))
    zone = Zone({ZONE.name!r}, "local")
    values = {VALUES!r}
    while True:
        live = await provider.list_rrsets(zone, [({NAME!r}, "A")])
        current = live[0] if live else None
        index = 0 if current is None or current.values != (values[0],) else 1
        await provider.apply(zone, [upsert(RRset.of({NAME!r}, "A", 30, [values[index]]), current)])
        print("wrote", flush=True)

asyncio.run(main())
"""


def state(path: Path) -> tuple[str, ...]:
    """The A values in the zone file; raises if the file does not parse."""
    zone = dns.zone.from_file(str(path), ZONE.name, relativize=False)
    rdataset = zone.get_rdataset(NAME, "A")
    return tuple(sorted(rd.to_text() for rd in rdataset)) if rdataset else ()


def test_kill_9_leaves_old_or_new_file_and_restart_converges(tmp_path: Path) -> None:
    zones = tmp_path / "zones"
    path = zones / "example.test.zone"
    chance = random.Random(9)
    seen: set[tuple[str, ...]] = set()
    for _ in range(KILLS):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(zones)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert child.stdout is not None
            assert child.stdout.readline() == "wrote\n"  # running, at least one apply done
            time.sleep(chance.uniform(0.0, 0.05))
        finally:
            child.kill()  # SIGKILL: no cleanup, no flush
            child.wait(10)
            if child.stdout is not None:
                child.stdout.close()
        seen.add(state(path))
    assert seen <= {(VALUES[0],), (VALUES[1],)}

    endpoints = tuple(Endpoint(v, ProbeTarget(v, FAST)) for v in VALUES)
    desired = {ZONE: [DesiredRecord(NAME, "A", 30, ZONE.name, Policy.FAILOVER, endpoints)]}

    def restart() -> None:
        provider = ZoneFileProvider(
            "local", ZoneFileOptions(directory=zones, create_missing=True), config_dir=Path()
        )
        controller = Controller(
            desired=desired,
            providers={"local": provider},
            prober=ScriptedProber(),
            guards=standard_guards(desired),
        )
        outcomes = asyncio.run(controller.once())
        assert outcomes[0].error is None

    restart()  # may write once: the primary, with its ownership marker
    assert state(path) == (VALUES[0],)
    stamp = path.stat().st_mtime_ns
    restart()  # converged: a second restart writes nothing
    assert path.stat().st_mtime_ns == stamp

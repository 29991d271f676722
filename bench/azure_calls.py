"""Azure DNS API calls per reconcile, counted by our Azure DNS fake (TLS on loopback only).

Run from the repository root: ``.venv/bin/python bench/azure_calls.py``. Needs the
``failover-sync-azure`` distribution with its test extra (``pip install -e
'providers/azure[test]'``). A real Controller (health set by hand, no probes) drives the
adapter through the unmodified SDK; the fake counts every request by operationId.

Prints, for a zone with 1 and with 10 failover records: the first publish, one steady-state
reconcile (reads only), one failover of one record, and then 10 successive failovers (back
and forth) of that record, with the calls per second of reads and writes during them against
ARM's budget per subscription and principal (reads 25/s, bucket 250; writes 10/s, bucket 200:
https://learn.microsoft.com/azure/azure-resource-manager/management/
request-limits-and-throttling).
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from failover_sync.config.loader import load_config_text
from failover_sync.controller.controller import Controller
from failover_sync.health.probes import Prober
from failover_sync.provider.retry import RetryPolicy
from failover_sync.testing import standard_guards
from providers.azure.tests.azfake import AzureDnsFake
from providers.azure.tests.azhelpers import GROUP, SUBSCRIPTION, ZONE, config_yaml

READS = {"RecordSets_Get", "RecordSets_ListByType", "RecordSets_ListAllByDnsZone"}
ARM = {"read": (25.0, 250), "write": (10.0, 200)}
SHORT = {
    "RecordSets_ListByType": "list_by_type",
    "RecordSets_ListAllByDnsZone": "list_all",
    "RecordSets_Get": "get",
    "RecordSets_CreateOrUpdate": "create_or_update",
    "RecordSets_Delete": "delete",
}


def _fmt(counter: Counter[str]) -> str:
    return ", ".join(f"{SHORT.get(k, k)} x{n}" for k, n in sorted(counter.items())) or "none"


def _set(ctl: Controller, value: str, healthy: bool) -> None:
    for target, state in ctl.states.items():
        if target.value == value:
            state.healthy = healthy


async def _scenario(fake: AzureDnsFake, names: int, directory: Path) -> None:
    records = {f"app{i}": (f"192.0.2.{10 + i}", f"198.51.100.{10 + i}") for i in range(names)}
    text = config_yaml(fake.base_url, str(fake.ca_path), records)
    primary, secondary = records["app0"]
    path = directory / f"failover-sync-{names}.yaml"
    path.write_text(text)
    config = load_config_text(text, path)
    desired = {zone: config.records_of(zone) for zone in config.zones}
    ctl = Controller(
        desired,
        config.build_providers(),
        Prober(),
        resync_seconds=config.resync_seconds,
        retry=RetryPolicy(attempts=4, initial_seconds=0.01, max_seconds=0.05),
        guards=standard_guards(desired),  # as the CLI: markers, brakes
    )
    (zone,) = ctl.desired

    async def phase(title: str) -> tuple[Counter[str], float]:
        start, began = len(fake.calls), time.perf_counter()
        outcome = await ctl.reconcile_zone(zone)
        elapsed = time.perf_counter() - began
        assert outcome.error is None, outcome.error
        counted = Counter(c.operation for c in fake.calls[start:])
        writes = sum(n for op, n in counted.items() if op not in READS)
        print(f"{names:>5} {title:22} {sum(counted.values()):>6} {writes:>6}  {_fmt(counted)}")
        return counted, elapsed

    try:
        await ctl.presume_health()
        for value, _ in records.values():
            _set(ctl, value, True)
        await phase("first publish")
        await phase("steady (resync)")
        _set(ctl, primary, False)
        _set(ctl, secondary, True)
        await phase("one failover")
        total: Counter[str] = Counter()
        elapsed = 0.0
        for i in range(10):
            _set(ctl, primary, i % 2 == 0)  # back and forth: each reconcile moves app0
            counted, seconds = await phase(f"  failover {i + 1}/10")
            total.update(counted)
            elapsed += seconds
        reads = sum(n for op, n in total.items() if op in READS)
        writes = sum(total.values()) - reads
        read_rate, read_bucket = ARM["read"]
        write_rate, write_bucket = ARM["write"]
        print(
            f"{names:>5} 10 failovers: {sum(total.values())} calls in {elapsed:.3f} s of "
            f"reconciles: reads {reads} ({reads / elapsed:.0f}/s, {reads / read_bucket:.0%} of "
            f"ARM's bucket of {read_bucket}, refilled at {read_rate:g}/s in "
            f"{reads / read_rate:.1f} s), writes {writes} ({writes / elapsed:.0f}/s, "
            f"{writes / write_bucket:.0%} of the bucket of {write_bucket}, refilled at "
            f"{write_rate:g}/s in {writes / write_rate:.1f} s)"
        )
    finally:
        await ctl.prober.aclose()
        for provider in ctl.providers.values():
            await provider.aclose()


def main() -> None:
    print(f"{'names':>5} {'phase':22} {'calls':>6} {'writes':>6}  by operation")
    for names in (1, 10):
        with AzureDnsFake() as fake, tempfile.TemporaryDirectory() as directory:
            token = secrets.token_urlsafe(16)
            fake.tokens.add(token)
            os.environ["AZURE_TEST_TOKEN"] = token
            fake.add_zone(SUBSCRIPTION, GROUP, ZONE)
            asyncio.run(_scenario(fake, names, Path(directory)))
            assert not fake.violations, fake.violations


if __name__ == "__main__":
    main()

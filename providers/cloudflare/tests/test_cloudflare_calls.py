"""API calls per reconcile, counted by the fake (the figures of bench/cloudflare_calls.py)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from providers.cloudflare.tests import cfhelpers

ONE = "  app.example.test:\n    type: A\n    records: [{value: 192.0.2.1}, {value: 192.0.2.2}]\n"
TWO = (
    ONE
    + "  api.example.test:\n    type: A\n    records: [{value: 192.0.2.1}, {value: 192.0.2.2}]\n"
)
LIST, BATCH = "dns.records.list", "dns.records.batch"


def test_one_record_with_zone_id(tmp_path: Path) -> None:
    figures = cfhelpers.count_calls(
        ONE, primary="192.0.2.1", secondary="192.0.2.2", by_name=False, directory=tmp_path
    )
    assert figures.startup_read == Counter({LIST: 1})
    assert figures.steady_reconcile == Counter({LIST: 1})
    assert figures.failover_reconcile == Counter({LIST: 1, BATCH: 1})
    assert figures.failback_reconcile == Counter({LIST: 1, BATCH: 1})


def test_zone_found_by_name_costs_one_lookup_per_process(tmp_path: Path) -> None:
    figures = cfhelpers.count_calls(
        ONE, primary="192.0.2.1", secondary="192.0.2.2", by_name=True, directory=tmp_path
    )
    assert figures.startup_read == Counter({"zones.list": 1, LIST: 1})
    assert figures.steady_reconcile == Counter({LIST: 1})


def test_reads_are_one_per_name_and_writes_one_batch_per_zone(tmp_path: Path) -> None:
    figures = cfhelpers.count_calls(
        TWO, primary="192.0.2.1", secondary="192.0.2.2", by_name=False, directory=tmp_path
    )
    assert figures.steady_reconcile == Counter({LIST: 2})  # app and api
    assert figures.failover_reconcile == Counter({LIST: 2, BATCH: 1})  # both move in one batch

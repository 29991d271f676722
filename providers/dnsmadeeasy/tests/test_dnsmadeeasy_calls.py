"""API requests per reconcile, counted by the fake (the figures of bench/dnsmadeeasy_calls.py)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from providers.dnsmadeeasy.tests import dmehelpers

LIST, CREATE, DELETE = "records-list", "records-createMulti", "records-delete"


def figures(count: int, directory: Path, extra: str = "") -> dmehelpers.CallFigures:
    return dmehelpers.count_calls(
        dmehelpers.names_yaml(count),
        primary="192.0.2.1",
        secondary="192.0.2.2",
        directory=directory,
        extra_options=extra,
    )


def test_one_name(tmp_path: Path) -> None:
    got = figures(1, tmp_path)
    assert got.startup_read == Counter({"domain-by-name": 1, LIST: 1})
    assert got.steady_reconcile == Counter({LIST: 1})
    # plan read + the re-read before writing + one create + one delete
    assert got.failover_reconcile == Counter({LIST: 2, CREATE: 1, DELETE: 1})
    assert got.failback_reconcile == Counter({LIST: 2, CREATE: 1, DELETE: 1})


def test_writes_are_one_call_per_kind_for_the_zone(tmp_path: Path) -> None:
    got = figures(3, tmp_path)
    assert got.steady_reconcile == Counter({LIST: 3})  # one filtered listing per name
    assert got.failover_reconcile == Counter({LIST: 6, CREATE: 1, DELETE: 1})


def test_many_names_are_read_as_one_paged_listing(tmp_path: Path) -> None:
    got = figures(20, tmp_path, ", full_read_above: 8, rows: 10")
    assert got.steady_reconcile == Counter({LIST: 2})  # 20 records, 10 per page
    assert got.failover_reconcile == Counter({LIST: 4, CREATE: 1, DELETE: 1})

"""Akamai Edge DNS API calls per reconcile, counted by our Edge DNS fake (loopback only).

Run from the repository root: ``.venv/bin/python bench/akamai_calls.py``. Needs the
``failover-sync-akamai`` distribution with its test extra installed
(``pip install -e 'providers/akamai[test]'``). Prints, per scenario, the requests of: the
startup read, one steady-state reconcile (resync, nothing to change), one failover and one
failback, each request signed, validated against the official OpenAPI description and counted
by the fake.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from providers.akamai.tests import akhelpers

ONE = "  app.example.test:\n    type: A\n    records: [{value: 192.0.2.1}, {value: 192.0.2.2}]\n"
API = "  api.example.test:\n    type: A\n    records: [{value: 192.0.2.1}, {value: 192.0.2.2}]\n"
MANY = "".join(ONE.replace("app.", f"n{i}.") for i in range(6))
SCENARIOS = [
    ("1 record", ONE),
    ("2 records (2 names)", ONE + API),
    ("6 records (one listing)", MANY),
]


def _fmt(counter: Counter[str]) -> str:
    return ", ".join(f"{name} x{n}" for name, n in sorted(counter.items())) or "none"


def main() -> None:
    print(f"{'scenario':26} {'phase':10} {'requests':>8}  calls")
    for title, records in SCENARIOS:
        with tempfile.TemporaryDirectory() as directory:
            figures = akhelpers.count_calls(
                records, primary="192.0.2.1", secondary="192.0.2.2", directory=Path(directory)
            )
        for phase, counter in (
            ("startup", figures.startup_read),
            ("steady", figures.steady_reconcile),
            ("failover", figures.failover_reconcile),
            ("failback", figures.failback_reconcile),
        ):
            print(f"{title:26} {phase:10} {sum(counter.values()):>8}  {_fmt(counter)}")


if __name__ == "__main__":
    main()

"""Cloudflare API calls per reconcile, counted by our Cloudflare fake (loopback only).

Run from the repository root: ``.venv/bin/python bench/cloudflare_calls.py``. Needs the
``failover-sync-cloudflare`` distribution installed (``pip install -e providers/cloudflare``).
Prints, per scenario, the requests of: the startup read, one steady-state reconcile (resync,
nothing to change), one failover and one failback.
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from providers.cloudflare.tests import cfhelpers

ONE = "  app.example.test:\n    type: A\n    records: [{value: 192.0.2.1}, {value: 192.0.2.2}]\n"
API = "  api.example.test:\n    type: A\n    records: [{value: 192.0.2.1}, {value: 192.0.2.2}]\n"
SCENARIOS = [
    ("1 record, zone_id set", ONE, False),
    ("1 record, zone found by name", ONE, True),
    ("2 records (2 names), zone_id set", ONE + API, False),
]


def _fmt(counter: Counter[str]) -> str:
    return ", ".join(f"{name} x{n}" for name, n in sorted(counter.items())) or "none"


def main() -> None:
    print(f"{'scenario':34} {'phase':10} {'requests':>8}  calls")
    for title, records, by_name in SCENARIOS:
        with tempfile.TemporaryDirectory() as directory:
            figures = cfhelpers.count_calls(
                records,
                primary="192.0.2.1",
                secondary="192.0.2.2",
                by_name=by_name,
                directory=Path(directory),
            )
        for phase, counter in (
            ("startup", figures.startup_read),
            ("steady", figures.steady_reconcile),
            ("failover", figures.failover_reconcile),
            ("failback", figures.failback_reconcile),
        ):
            print(f"{title:34} {phase:10} {sum(counter.values()):>8}  {_fmt(counter)}")


if __name__ == "__main__":
    main()

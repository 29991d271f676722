"""DNS Made Easy API calls per reconcile, and the share of the request budget they cost,
counted by our DNS Made Easy fake (loopback only).

Run from the repository root: ``.venv/bin/python bench/dnsmadeeasy_calls.py``. Needs the
``failover-sync-dnsmadeeasy`` distribution installed (``pip install -e providers/dnsmadeeasy``).
Prints, per scenario, the requests of: the startup read, one steady-state reconcile (a resync,
nothing to change), one failover (every name moves from the primary to the secondary) and one
failback, with each phase's share of the API key's 150 requests per five minutes and of the
135 the adapter uses by default (15 kept in reserve).
"""

from __future__ import annotations

import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from providers.dnsmadeeasy.tests import dmehelpers

LIMIT, USABLE = 150, 135
SCENARIOS = [
    ("1 name", 1, ""),
    ("2 names", 2, ""),
    ("1,000 names (default: whole-domain read)", 1000, ""),
    ("1,000 names, one read per name", 1000, ", full_read_above: 100000"),
]


def _fmt(counter: Counter[str]) -> str:
    return ", ".join(f"{name} x{n}" for name, n in sorted(counter.items())) or "none"


def main() -> None:
    print(f"{'scenario':42} {'phase':9} {'requests':>8} {'of 150':>8} {'of 135':>8}  calls")
    for title, count, extra in SCENARIOS:
        with tempfile.TemporaryDirectory() as directory:
            figures = dmehelpers.count_calls(
                dmehelpers.names_yaml(count),
                primary="192.0.2.1",
                secondary="192.0.2.2",
                directory=Path(directory),
                extra_options=extra,
            )
        for phase, counter in (
            ("startup", figures.startup_read),
            ("steady", figures.steady_reconcile),
            ("failover", figures.failover_reconcile),
            ("failback", figures.failback_reconcile),
        ):
            total = sum(counter.values())
            print(
                f"{title:42} {phase:9} {total:>8} {total / LIMIT:>8.1%} {total / USABLE:>8.1%}"
                f"  {_fmt(counter)}"
            )


if __name__ == "__main__":
    main()

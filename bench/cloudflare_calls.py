"""Cloudflare API calls per reconcile, counted by our Cloudflare fake (loopback only).

Run from the repository root: ``.venv/bin/python bench/cloudflare_calls.py``. Needs the
``failover-sync-cloudflare`` distribution installed (``pip install -e providers/cloudflare``).
Prints, per scenario, the requests of: the startup read, one steady-state reconcile (resync,
nothing to change), one failover and one failback; then, for 1, 100 and 1,000 managed names,
the list calls of one resync against the budget of 1,200 calls per 5 minutes at a 60 s
resync (goal from issue 19: 1,000 names in <= 3 list calls).
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


def _names(n: int) -> str:
    return "".join(
        f"  n{i}.example.test:\n    type: A\n"
        "    records: [{value: 192.0.2.1}, {value: 192.0.2.2}]\n"
        for i in range(n)
    )


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
    print("\nlist calls per resync by managed names (budget 1,200 calls / 5 min, resync 60 s):")
    for names in (1, 100, 1000):
        with tempfile.TemporaryDirectory() as directory:
            figures = cfhelpers.count_calls(
                _names(names),
                primary="192.0.2.1",
                secondary="192.0.2.2",
                by_name=False,
                directory=Path(directory),
                guards=True,  # as the CLI runs it: markers and external-dns names are read too
            )
        lists = sum(n for call, n in figures.steady_reconcile.items() if "list" in call)
        share = 100 * lists * 5 / 1200
        goal = "" if names != 1000 else ("  PASS (<= 3)" if lists <= 3 else "  MISS (<= 3)")
        line = f"  {names:>5} names: {lists:>4} list calls per resync"
        print(f"{line} = {share:.1f}% of the budget{goal}")


if __name__ == "__main__":
    main()

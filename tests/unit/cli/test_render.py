"""Plan rendering: the JSON contract, text, Markdown and rich tables."""

from __future__ import annotations

import io
import json

from rich.console import Console
from rich.text import Text

from failover_sync.cli import render
from failover_sync.model import Action, Change, Conflict, Plan, Zone, ZonePlan
from failover_sync.plan.document import PlanDocument, ZoneError

CHANGE = Change(
    Action.UPSERT,
    "app.example.com.",
    "A",
    30,
    ("192.0.2.1",),
    ("192.0.2.2",),
    "192.0.2.1 unhealthy: 3 consecutive failures (connection refused)",
    30,
)
PLAN = Plan((ZonePlan(Zone("example.com.", "local"), (CHANGE,), 3),))


def test_json_matches_the_design_contract() -> None:
    data = json.loads(render.to_json(PLAN))
    assert data.pop("checksum") == render.plan_checksum(PLAN)
    assert data == {
        "version": 1,
        "zones": [
            {
                "zone": "example.com.",
                "provider": "local",
                "changes": [
                    {
                        "action": "UPSERT",
                        "name": "app.example.com.",
                        "type": "A",
                        "ttl": 30,
                        "before": ["192.0.2.1"],
                        "after": ["192.0.2.2"],
                        "reason": "192.0.2.1 unhealthy: 3 consecutive failures "
                        "(connection refused)",
                    }
                ],
            }
        ],
        "errors": [],
        "summary": {"changes": 1, "unchanged": 3, "conflicts": 0, "errors": 0},
    }


def test_a_zone_that_could_not_be_read_is_never_no_changes() -> None:
    zone = Zone("broken.example.", "pdns")
    doc = PlanDocument(Plan(()), (ZoneError(zone, "401 Unauthorized"),))
    data = json.loads(render.to_json(doc))
    assert data["errors"] == [
        {"zone": "broken.example.", "provider": "pdns", "error": "401 Unauthorized"}
    ]
    assert data["summary"]["errors"] == 1
    assert data["checksum"] is None  # apply --plan-checksum can never accept it
    for text in (render.to_text(doc), render.to_markdown(doc)):
        assert "No changes" not in text
        assert "broken.example." in text
        assert "401 Unauthorized" in text


def test_conflicts_are_counted_and_markdown_escapes_pipes() -> None:
    conflict = Conflict("app.example.com.", "A", "owned by a|b")
    doc = PlanDocument(Plan((ZonePlan(Zone("example.com.", "p"), (), 2, (conflict,)),)))
    assert doc.pending
    assert json.loads(render.to_json(doc))["summary"]["conflicts"] == 1
    assert "1 conflict (need a person)" in render.to_text(doc)
    assert "No changes" not in render.to_text(doc)
    assert "owned by a\\|b" in render.to_markdown(doc)


def test_json_extensions_only_when_relevant() -> None:
    created = Change(Action.UPSERT, "n.example.com.", "A", 60, (), ("192.0.2.1",), "r", None)
    retimed = Change(Action.UPSERT, "n.example.com.", "A", 60, ("1.2.3.4",), ("1.2.3.4",), "r", 300)
    data = render.plan_data(Plan((ZonePlan(Zone("example.com.", "p"), (created, retimed), 0),)))
    first, second = data["zones"][0]["changes"]
    assert first["before"] == []
    assert "before_ttl" not in first
    assert second["before_ttl"] == 300


def test_text_and_markdown() -> None:
    text = render.to_text(PLAN)
    assert "UPSERT app.example.com. A ttl 30" in text
    assert "- 192.0.2.1" in text
    assert "+ 192.0.2.2" in text
    assert text.endswith("Plan: 1 to change, 3 unchanged.\n")
    markdown = render.to_markdown(PLAN)
    assert "| UPSERT | app.example.com. | A | 30 | 192.0.2.1 | 192.0.2.2 |" in markdown
    empty = Plan((ZonePlan(Zone("example.com.", "local"), (), 4),))
    assert render.to_text(empty) == "No changes. 4 managed RRsets are up to date.\n"


def test_rich_table() -> None:
    out = io.StringIO()
    render.print_plan_table(PLAN, Console(file=out, width=200, force_terminal=False))
    assert "app.example.com." in out.getvalue()
    assert "Plan: 1 to change, 3 unchanged." in out.getvalue()


def test_conflicts_are_rendered() -> None:
    from failover_sync.model import Conflict

    conflict = Conflict("app.example.com.", "A", "owned by external-dns (TXT at app.example.com.)")
    plan = Plan((ZonePlan(Zone("example.com.", "local"), (), 0, (conflict,)),))
    data = json.loads(render.to_json(plan))
    assert data["zones"][0]["conflicts"] == [
        {"name": "app.example.com.", "type": "A", "reason": conflict.reason}
    ]
    assert "CONFLICT app.example.com. A: owned by external-dns" in render.to_text(plan)
    assert "### Conflicts (not written)" in render.to_markdown(plan)


def test_rich_table_shows_conflicts_with_and_without_changes() -> None:
    from failover_sync.model import Conflict

    reason = "owned by external-dns (TXT at api.example.com.)"
    conflict = Conflict("api.example.com.", "AAAA", reason)
    for changes in ((CHANGE,), ()):
        plan = Plan((ZonePlan(Zone("example.com.", "local"), changes, 3, (conflict,)),))
        out = io.StringIO()
        render.print_plan_table(plan, Console(file=out, width=200, force_terminal=True))
        text = Text.from_ansi(out.getvalue()).plain
        assert "Conflicts (not written)" in text
        row = next(line for line in text.splitlines() if "api.example.com." in line)
        assert ["example.com.", "api.example.com.", "AAAA", reason] == [
            cell.strip() for cell in row.strip("│ ").split("│")
        ]
        assert ("app.example.com." in text) is bool(changes)


def test_rich_table_without_conflicts_has_no_conflict_table() -> None:
    out = io.StringIO()
    render.print_plan_table(PLAN, Console(file=out, width=200, force_terminal=True))
    assert "Conflicts" not in out.getvalue()

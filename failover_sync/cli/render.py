"""Plan -> text, JSON or Markdown; health table for ``check``.

The JSON form is a public contract (DESIGN.md "Plan JSON"): names absolute, values sorted,
``before`` ``[]`` for a new RRset. The text form is for a terminal or a log, the Markdown form
for pull requests and GitHub job summaries. On a terminal the CLI prints rich tables instead.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from failover_sync.model import Change, Plan, ProbeResult, ProbeTarget
from failover_sync.plan.document import CHECKSUM_KEY, data_checksum

PLAN_VERSION = 1


def plan_data(plan: Plan) -> dict[str, Any]:
    """The plan's data form (what ``-o json`` prints)."""
    zones = []
    for zp in plan.zones:
        zone: dict[str, Any] = {
            "zone": zp.zone.name,
            "provider": zp.zone.provider,
            "changes": [_change_data(c) for c in zp.changes],
        }
        if zp.conflicts:  # RRsets withheld: another owner holds them (ownership.py)
            zone["conflicts"] = [
                {"name": c.name, "type": c.type, "reason": c.reason} for c in zp.conflicts
            ]
        zones.append(zone)
    return {
        "version": PLAN_VERSION,
        "zones": zones,
        "summary": {"changes": plan.change_count, "unchanged": plan.unchanged_count},
    }


def _change_data(change: Change) -> dict[str, Any]:
    data: dict[str, Any] = {
        "action": change.action.value,
        "name": change.name,
        "type": change.type,
        "ttl": change.ttl,
        "before": list(change.before),
        "after": list(change.after),
        "reason": change.reason,
    }
    if change.before_ttl is not None and change.before_ttl != change.ttl:
        data["before_ttl"] = change.before_ttl
    if change.weights:
        data["weights"] = dict(change.weights)
    return data


def plan_checksum(plan: Plan) -> str:
    """SHA-256 of the plan's canonical data form (see :mod:`failover_sync.plan.document`)."""
    return data_checksum(plan_data(plan))


def to_json(plan: Plan) -> str:
    """The plan as indented JSON with a trailing newline and its ``checksum``."""
    data = plan_data(plan)
    data[CHECKSUM_KEY] = data_checksum(data)
    return json.dumps(data, indent=2) + "\n"


def _values(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "(none)"


def _ttl(change: Change) -> str:
    if change.before_ttl is not None and change.before_ttl != change.ttl:
        return f"{change.before_ttl} -> {change.ttl}"
    return str(change.ttl)


def to_text(plan: Plan) -> str:
    """Plain text, one block per change, for pipes and logs."""
    lines: list[str] = []
    for zp in plan.zones:
        if not zp.changes:
            continue
        lines.append(f"zone {zp.zone.name} (provider {zp.zone.provider})")
        for c in zp.changes:
            lines.append(f"  {c.action.value} {c.name} {c.type} ttl {_ttl(c)}")
            lines.append(f"    - {_values(c.before)}")
            lines.append(f"    + {_values(c.after)}")
            lines.append(f"    reason: {c.reason}")
    for zp in plan.zones:
        for conflict in zp.conflicts:
            lines.append(f"CONFLICT {conflict.name} {conflict.type}: {conflict.reason}")
    lines.append(_summary(plan))
    return "\n".join(lines) + "\n"


def _summary(plan: Plan) -> str:
    if not plan.has_changes:
        return f"No changes. {plan.unchanged_count} managed RRsets are up to date."
    return f"Plan: {plan.change_count} to change, {plan.unchanged_count} unchanged."


def to_markdown(plan: Plan) -> str:
    """GitHub-flavoured Markdown (pull requests, ``$GITHUB_STEP_SUMMARY``)."""
    lines = ["## failover-sync plan", ""]
    for zp in plan.zones:
        if not zp.changes:
            continue
        lines += [f"### {zp.zone.name} (`{zp.zone.provider}`)", ""]
        lines += ["| Action | Name | Type | TTL | Before | After | Reason |"]
        lines += ["|---|---|---|---|---|---|---|"]
        for c in zp.changes:
            cells = [c.action.value, c.name, c.type, _ttl(c), _values(c.before)]
            cells += [_values(c.after), c.reason]
            lines.append("| " + " | ".join(_md(x) for x in cells) + " |")
        lines.append("")
    conflicts = [(zp.zone.name, c) for zp in plan.zones for c in zp.conflicts]
    if conflicts:
        lines += ["### Conflicts (not written)", ""]
        lines += [f"- `{c.name}` {c.type}: {_md(c.reason)}" for _, c in conflicts]
        lines.append("")
    lines.append(f"**{_summary(plan)}**")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def print_plan_table(plan: Plan, console: Console) -> None:
    """A rich table of the plan for a terminal; conflicts (RRsets withheld: another owner
    holds them) in a second table, as the text and Markdown forms list them."""
    if plan.has_changes:
        table = Table(title="failover-sync plan", show_lines=True)
        for col in ("Zone", "Action", "Name", "Type", "TTL", "Before", "After", "Reason"):
            table.add_column(col, overflow="fold")
        for zp in plan.zones:
            for c in zp.changes:
                before = "\n".join(c.before) or "(none)"
                after = "\n".join(c.after) or "(none)"
                table.add_row(
                    zp.zone.name, c.action.value, c.name, c.type, _ttl(c), before, after, c.reason
                )
        console.print(table)
    conflicts = [(zp.zone.name, c) for zp in plan.zones for c in zp.conflicts]
    if conflicts:
        withheld = Table(title="Conflicts (not written)", title_style="bold red")
        for col in ("Zone", "Name", "Type", "Reason"):
            withheld.add_column(col, overflow="fold")
        for zone_name, conflict in conflicts:
            withheld.add_row(zone_name, conflict.name, conflict.type, conflict.reason)
        console.print(withheld)
    console.print(_summary(plan))


@dataclass(frozen=True, slots=True)
class HealthRow:
    """One line of ``check``: a record's endpoint with its probe result and failover bound."""

    record: str
    target: ProbeTarget
    result: ProbeResult
    worst_case_seconds: float
    worst_case_detail: str


def health_text(rows: Sequence[HealthRow]) -> str:
    """Plain-text health table."""
    out = []
    for row in rows:
        state = "healthy" if row.result.ok else "UNHEALTHY"
        out.append(
            f"{row.record} {row.target} {state} {row.result.reason} "
            f"({row.result.latency_seconds * 1000:.1f} ms); "
            f"worst-case failover {row.worst_case_seconds:g} s "
            f"({row.worst_case_detail})"
        )
    return "\n".join(out) + "\n"


def print_health_table(rows: Sequence[HealthRow], console: Console) -> None:
    """A rich health table for a terminal."""
    table = Table(title="failover-sync check")
    for col in ("Record", "Endpoint", "Result", "Latency", "Reason", "Worst-case failover"):
        table.add_column(col, overflow="fold")
    for row in rows:
        state = "[green]healthy[/]" if row.result.ok else "[red]UNHEALTHY[/]"
        table.add_row(
            row.record,
            str(row.target),
            state,
            f"{row.result.latency_seconds * 1000:.1f} ms",
            row.result.reason,
            f"{row.worst_case_seconds:g} s ({row.worst_case_detail})",
        )
    console.print(table)

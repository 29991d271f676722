"""Plan -> text, JSON or Markdown; health table for ``check``.

The JSON form is a public contract (DESIGN.md "Plan JSON"): names absolute, values sorted,
``before`` ``[]`` for a new RRset. The text form is for a terminal or a log, the Markdown form
for pull requests and GitHub job summaries. On a terminal the CLI prints rich tables instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from failover_sync.model import Change, Plan, ProbeResult, ProbeTarget
from failover_sync.plan.document import PlanDocument, plan_checksum, plan_data, to_json

if TYPE_CHECKING:  # rich is imported only when a table is printed (cold start)
    from rich.console import Console


def _doc(plan: PlanDocument | Plan) -> PlanDocument:
    return plan if isinstance(plan, PlanDocument) else PlanDocument(plan)


def _values(values: Sequence[str]) -> str:
    return ", ".join(values) if values else "(none)"


def _ttl(change: Change) -> str:
    if change.before_ttl is not None and change.before_ttl != change.ttl:
        return f"{change.before_ttl} -> {change.ttl}"
    return str(change.ttl)


def to_text(doc: PlanDocument | Plan) -> str:
    """Plain text, one block per change, for pipes and logs."""
    doc = _doc(doc)
    plan = doc.plan
    lines: list[str] = []
    for error in doc.errors:
        lines.append(
            f"ERROR zone {error.zone.name} (provider {error.zone.provider}): {error.error}"
        )
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
    for zone, why in sorted(doc.refused.items()):
        lines.append(f"REFUSED zone {zone}: {why}")
    lines.append(summary(doc))
    return "\n".join(lines) + "\n"


def summary(doc: PlanDocument) -> str:
    """One line; never "No changes" for a zone that could not be read."""
    plan = doc.plan
    conflicts = doc.conflict_count
    tail = ""
    if conflicts:
        tail += f", {conflicts} conflict{'s' if conflicts != 1 else ''} (need a person)"
    if doc.errors:
        n = len(doc.errors)
        tail += f"; {n} zone{'s' if n != 1 else ''} could not be read (see ERROR above)"
    if not plan.has_changes and not tail:
        return f"No changes. {plan.unchanged_count} managed RRsets are up to date."
    return f"Plan: {plan.change_count} to change, {plan.unchanged_count} unchanged{tail}."


def to_markdown(doc: PlanDocument | Plan) -> str:
    """GitHub-flavoured Markdown (pull requests, ``$GITHUB_STEP_SUMMARY``)."""
    doc = _doc(doc)
    plan = doc.plan
    lines = ["## failover-sync plan", ""]
    if doc.errors:
        lines += ["### Zones that could not be read", ""]
        lines += [f"- `{e.zone.name}` (`{e.zone.provider}`): {_md(e.error)}" for e in doc.errors]
        lines.append("")
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
    if doc.refused:
        lines += ["### Refused by a safety brake (not written)", ""]
        lines += [f"- `{z}`: {_md(why)}" for z, why in sorted(doc.refused.items())]
        lines.append("")
    lines.append(f"**{_md(summary(doc))}**")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def print_plan_table(doc: PlanDocument | Plan, console: Console) -> None:
    """A rich table of the plan for a terminal; conflicts (RRsets withheld: another owner
    holds them) in a second table, as the text and Markdown forms list them. Names and
    values are never broken (a TXT marker must stay copyable); only reasons wrap."""
    from rich.table import Table

    doc = _doc(doc)
    plan = doc.plan
    for error in doc.errors:
        console.print(
            f"[bold red]ERROR[/] zone {error.zone.name} (provider {error.zone.provider}): "
            f"{error.error}",
            markup=True,
            highlight=False,
        )
    if plan.has_changes:
        table = Table(title="failover-sync plan", show_lines=True)
        for col in ("Zone", "Action", "Name", "Type", "TTL", "Before", "After"):
            table.add_column(col, no_wrap=True, overflow="ignore")
        table.add_column("Reason", overflow="fold")
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
    for zone, why in sorted(doc.refused.items()):
        console.print(f"REFUSED zone {zone}: {why}", highlight=False)
    console.print(summary(doc), highlight=False)


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
        host = f" (Host/SNI {row.target.check.host})" if row.target.check.protocol != "TCP" else ""
        out.append(
            f"{row.record} {row.target}{host} {state} {row.result.reason} "
            f"({row.result.latency_seconds * 1000:.1f} ms); "
            f"worst-case failover {row.worst_case_seconds:g} s "
            f"({row.worst_case_detail})"
        )
    return "\n".join(out) + "\n"


def print_health_table(rows: Sequence[HealthRow], console: Console) -> None:
    """A rich health table for a terminal."""
    from rich.table import Table

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


__all__ = [
    "HealthRow",
    "health_text",
    "plan_checksum",
    "plan_data",
    "print_health_table",
    "print_plan_table",
    "summary",
    "to_json",
    "to_markdown",
    "to_text",
]

"""The plan document: what ``plan -o json`` prints, and its checksum.

The JSON form is a public contract (DESIGN.md "Plan JSON")::

    {"version": 1,
     "zones": [{"zone", "provider", "changes": [...], "conflicts"?: [...], "refused"?: why}],
     "errors": [{"zone", "provider", "error"}],
     "summary": {"changes", "unchanged", "conflicts", "errors"},
     "checksum": "<sha256>" | null}

Names are absolute, values sorted, ``before`` is ``[]`` for an RRset that does not exist.
A zone that could not be read is listed under ``errors``, never as "no changes"; a document
with errors has ``checksum: null``, which ``apply --plan-checksum`` never accepts. The
checksum is the SHA-256 (hex) of the canonical JSON of the document without the checksum
(keys sorted, no whitespace, UTF-8): ``apply --plan-checksum X`` recomputes the plan and
writes only if its checksum is still X.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from failover_sync.model import Change, Plan, Zone

PLAN_VERSION = 1
CHECKSUM_KEY = "checksum"


@dataclass(frozen=True, slots=True)
class ZoneError:
    """A zone that could not be read or planned, and why."""

    zone: Zone
    error: str


@dataclass(frozen=True, slots=True)
class PlanDocument:
    """A plan with the zones that failed and the zones whose writes a brake refuses
    (``refused``: zone name -> why)."""

    plan: Plan
    errors: tuple[ZoneError, ...] = ()
    refused: Mapping[str, str] = field(default_factory=dict)

    @property
    def change_count(self) -> int:
        return self.plan.change_count

    @property
    def conflict_count(self) -> int:
        return sum(len(z.conflicts) for z in self.plan.zones)

    @property
    def pending(self) -> bool:
        """True when a CI job should see drift: changes or conflicts."""
        return self.plan.has_changes or self.conflict_count > 0


def change_data(change: Change) -> dict[str, Any]:
    """One change's data form."""
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


def plan_data(doc: PlanDocument | Plan) -> dict[str, Any]:
    """The document's data form (what ``-o json`` prints, without the checksum)."""
    if isinstance(doc, Plan):
        doc = PlanDocument(doc)
    zones = []
    for zp in doc.plan.zones:
        zone: dict[str, Any] = {
            "zone": zp.zone.name,
            "provider": zp.zone.provider,
            "changes": [change_data(c) for c in zp.changes],
        }
        if zp.conflicts:
            zone["conflicts"] = [
                {"name": c.name, "type": c.type, "reason": c.reason} for c in zp.conflicts
            ]
        if zp.zone.name in doc.refused:
            zone["refused"] = doc.refused[zp.zone.name]
        zones.append(zone)
    errors = [
        {"zone": e.zone.name, "provider": e.zone.provider, "error": e.error} for e in doc.errors
    ]
    return {
        "version": PLAN_VERSION,
        "zones": zones,
        "errors": errors,
        "summary": {
            "changes": doc.change_count,
            "unchanged": doc.plan.unchanged_count,
            "conflicts": doc.conflict_count,
            "errors": len(errors),
        },
    }


def data_checksum(data: Mapping[str, Any]) -> str:
    """SHA-256 hex digest of ``data`` (a plan's data form) without its ``checksum`` key."""
    body = {k: v for k, v in data.items() if k != CHECKSUM_KEY}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def plan_checksum(doc: PlanDocument | Plan) -> str | None:
    """The checksum of ``doc``, or None when it has errors (nothing may apply it)."""
    if isinstance(doc, PlanDocument) and doc.errors:
        return None
    return data_checksum(plan_data(doc))


def to_json(doc: PlanDocument | Plan) -> str:
    """The document as indented JSON with a trailing newline and its ``checksum``."""
    data = plan_data(doc)
    data[CHECKSUM_KEY] = plan_checksum(doc)
    return json.dumps(data, indent=2) + "\n"


def errors_of(failed: Mapping[Zone, object]) -> tuple[ZoneError, ...]:
    """Zone errors from a mapping of zone -> exception, sorted by zone name."""
    return tuple(ZoneError(z, str(e)) for z, e in sorted(failed.items(), key=lambda i: i[0].name))

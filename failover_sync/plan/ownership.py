"""Ownership of managed RRsets: marker TXT records, conflicts and adoption. Pure.

A managed RRset ``app.example.com. A`` is owned through a TXT RRset next to it::

    _failover-sync.app.example.com. TXT "heritage=failover-sync,owner=<owner_id>,type=A"

(one value per managed type at that name). The marker is written in the same change batch as
the first write of the RRset, so that a provider that applies batches all-or-nothing never
holds an owned RRset without its marker. The prefix keeps the marker off the managed name
itself, where a CNAME would forbid any other type.

An RRset is never written (it becomes a :class:`~failover_sync.model.Conflict`) when:

- its marker names another ``owner`` of failover-sync for the same type;
- external-dns claims it: a TXT with ``heritage=external-dns`` at the name itself (its old
  registry format) or at ``<type>-<name>`` (its current format, e.g. ``a-app.example.com.``);
- it has no marker and its live values include values that are neither configured endpoints
  nor fallback values, unless ``adopt`` is set for the record or for the run.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from types import MappingProxyType

from failover_sync.model import (
    Action,
    Change,
    Conflict,
    DesiredRecord,
    RecordKey,
    RRset,
    ZonePlan,
)
from failover_sync.plan import planner

MARKER_PREFIX = "_failover-sync."
HERITAGE = "failover-sync"


def marker_name(name: str) -> str:
    """``app.example.com.`` -> ``_failover-sync.app.example.com.``."""
    return MARKER_PREFIX + name


def marker_value(owner_id: str, rtype: str) -> str:
    """The quoted TXT value (presentation format) that marks ``rtype`` as ``owner_id``'s."""
    return f'"heritage={HERITAGE},owner={owner_id},type={rtype}"'


def parse_txt(value: str) -> dict[str, str]:
    """``"heritage=x,owner=y"`` (quoted or not, possibly split in several strings) ->
    ``{"heritage": "x", "owner": "y"}``; parts without ``=`` are ignored."""
    return dict(_parsed(value))


@functools.lru_cache(maxsize=4096)
def _parsed(value: str) -> Mapping[str, str]:
    # Every record of one owner and type carries the same marker text: parse it once (the
    # mapping is shared: read-only).
    text = value.replace('" "', "").strip().strip('"')
    pairs = (part.partition("=") for part in text.split(","))
    return MappingProxyType({k.strip(): v.strip() for k, sep, v in pairs if sep})


def _external_dns_names(record: DesiredRecord) -> tuple[str, str]:
    return (record.name, f"{record.type.lower()}-{record.name}")


def read_keys(records: Iterable[DesiredRecord]) -> list[RecordKey]:
    """The TXT keys to read beside the managed RRsets to decide ownership (deduplicated)."""
    keys: dict[RecordKey, None] = {}
    for record in records:
        keys[(marker_name(record.name), "TXT")] = None
        for name in _external_dns_names(record):
            keys[(name, "TXT")] = None
    return list(keys)


def owner_conflict(
    record: DesiredRecord, live: Mapping[RecordKey, RRset], owner_id: str
) -> str | None:
    """Why another owner holds ``record`` (a marker says so), or None."""
    for name in _external_dns_names(record):
        txt = live.get((name, "TXT"))
        for value in txt.values if txt else ():
            if _parsed(value).get("heritage") == "external-dns":
                return f"owned by external-dns (TXT at {name})"
    marker = live.get((marker_name(record.name), "TXT"))
    for value in marker.values if marker else ():
        fields = _parsed(value)
        if fields.get("heritage") == HERITAGE and fields.get("type") == record.type:
            owner = fields.get("owner", "")
            if owner != owner_id:
                return f"owned by failover-sync owner {owner!r} (this controller is {owner_id!r})"
    return None


def owner_conflicts(
    records: Iterable[DesiredRecord], live: Mapping[RecordKey, RRset], owner_id: str
) -> dict[RecordKey, str]:
    """:func:`owner_conflict` of every record that has one, by key (one pass)."""
    out: dict[RecordKey, str] = {}
    for record in records:
        why = owner_conflict(record, live, owner_id)
        if why is not None:
            out[record.key] = why
    return out


def is_marked(record: DesiredRecord, live: Mapping[RecordKey, RRset], owner_id: str) -> bool:
    """True when our marker for ``record``'s type is live."""
    marker = live.get((marker_name(record.name), "TXT"))
    return marker is not None and marker_value(owner_id, record.type) in marker.values


def foreign_values(record: DesiredRecord, live: RRset | None) -> tuple[str, ...]:
    """Live values that are neither configured endpoints nor fallback values."""
    if live is None:
        return ()
    known = {e.value for e in record.endpoints} | set(record.fallback)
    return tuple(v for v in live.values if v not in known)


def guard(
    zone_plan: ZonePlan,
    records: Sequence[DesiredRecord],
    live: Mapping[RecordKey, RRset],
    owner_id: str,
    *,
    adopt: bool = False,
    claimed: AbstractSet[RecordKey] = frozenset(),
    owners: Mapping[RecordKey, str] | None = None,
) -> ZonePlan:
    """Remove the changes of RRsets that this controller may not write (as conflicts).

    Every record with a foreign owner's marker is reported as a conflict, changed or not;
    an unmarked RRset with foreign values is a conflict only when the plan would write it and
    it is not in ``claimed`` (RRsets this process already saw holding only configured values:
    a later foreign value there is drift to repair, not someone else's record). ``owners``:
    the :func:`owner_conflicts` of ``records`` when the caller has them already.
    """
    if owners is None:
        owners = owner_conflicts(records, live, owner_id)
    changed = {c.key for c in zone_plan.changes}
    conflicts: list[Conflict] = list(zone_plan.conflicts)
    blocked: set[RecordKey] = set()
    for record in records:
        key = record.key
        why = owners.get(key)
        if (
            why is None
            and key in changed
            and not (key in claimed or is_marked(record, live, owner_id))
        ):
            foreign = foreign_values(record, live.get(key))
            if foreign and not (adopt or record.adopt):
                why = (
                    f"live values {', '.join(foreign)} are not configured endpoints: "
                    "set adopt: true on the record or pass --adopt to take it over"
                )
        if why is not None:
            conflicts.append(Conflict(record.name, record.type, why))
            blocked.add(key)
    kept = tuple(c for c in zone_plan.changes if c.key not in blocked)
    conflicts.sort(key=lambda c: (c.name, c.type))
    return replace(zone_plan, changes=kept, conflicts=tuple(conflicts))


def with_markers(
    zone_plan: ZonePlan,
    records: Sequence[DesiredRecord],
    live: Mapping[RecordKey, RRset],
    owner_id: str,
) -> ZonePlan:
    """Add the marker TXT changes that the plan's first writes need, in the same batch."""
    by_key = planner.index(records)
    wanted: dict[str, list[str]] = {}
    ttl: dict[str, int] = {}
    for change in zone_plan.changes:
        record = by_key.get(change.key)
        if record is None or is_marked(record, live, owner_id):
            continue
        wanted.setdefault(marker_name(record.name), []).append(marker_value(owner_id, record.type))
        ttl.setdefault(marker_name(record.name), record.ttl)
    if not wanted:
        return zone_plan
    markers: list[Change] = []
    for name, values in wanted.items():
        current = live.get((name, "TXT"))
        before = current.values if current else ()
        markers.append(
            Change(
                action=Action.UPSERT,
                name=name,
                type="TXT",
                ttl=current.ttl if current else ttl[name],
                before=before,
                after=tuple(sorted({*before, *values})),
                reason=f"ownership marker (owner {owner_id.strip()})",
                before_ttl=current.ttl if current else None,
            )
        )
    changes = sorted([*zone_plan.changes, *markers], key=lambda c: (c.name, c.type))
    return replace(zone_plan, changes=tuple(changes))

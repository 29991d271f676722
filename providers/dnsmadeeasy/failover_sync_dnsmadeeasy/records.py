"""Pure: DNS Made Easy records <-> RRsets, and a Change -> creates, TTL updates and deletes.

A DNS Made Easy record is one value with an ``id`` (API.md "JSON shapes", 2+): an RRset is every
record of one (name, type). Names are relative to the domain, ``""`` being the apex (2+); a
CNAME target without a trailing dot is relative to the domain too (2+), so targets are always
sent absolute. TXT values come back wrapped in double quotes (recorded), the presentation form
the core uses, and are sent that way.

A change keeps the records of the values that stay (their ids), creates the values that join
and deletes the values that leave; :func:`diff` returns them in that order and the provider
sends creates before deletes, so the name never answers with no value in between.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from failover_sync import Change, RecordKey, RRset, absolute_name, canonical_address

TARGET_TYPES = frozenset({"CNAME", "MX", "NS", "SRV", "ANAME", "PTR"})
"""Types whose value is a domain name, relative to the domain without a trailing dot."""
DEFAULT_GTD = "DEFAULT"
"""``gtdLocation`` of a domain without Global Traffic Director (API.md, 2+)."""


@dataclass(frozen=True, slots=True)
class LiveRecord:
    """One record as read: int ``id``, absolute ``name``, ``type``, canonical ``value``, TTL in
    seconds and the record as the API sent it (``raw``, for updates that must send it whole)."""

    id: int
    name: str
    type: str
    value: str
    ttl: int
    raw: Mapping[str, Any] = field(compare=False, hash=False)

    @property
    def key(self) -> RecordKey:
        return (self.name, self.type)


@dataclass(frozen=True, slots=True)
class Diff:
    """What one change sends: bodies to create, records to update (TTL), ids to delete."""

    key: RecordKey
    creates: tuple[dict[str, Any], ...] = ()
    updates: tuple[dict[str, Any], ...] = ()
    deletes: tuple[int, ...] = ()


def relative_name(name: str, zone: str) -> str:
    """``name`` relative to ``zone`` (both absolute): ``app.example.com.`` -> ``app``; the apex
    is ``""``. Raises ValueError for a name outside the zone."""
    name, zone = absolute_name(name), absolute_name(zone)
    if name == zone:
        return ""
    if not name.endswith("." + zone):
        raise ValueError(f"{name} is not inside the domain {zone}")
    return name[: -len(zone) - 1]


def _int(value: object, what: str) -> int:
    # API.md: ttl is an int; the vendor's Terraform stack sends numeric strings (?), so
    # digits in a string are read too. A bool is not a number here.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise TypeError(f"{what} is {type(value).__name__} {value!r}, not an integer")


def _str(record: Mapping[str, Any], key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str):
        raise TypeError(f"record field {key!r} is {type(value).__name__}, not a string")
    return value


def canonical(rtype: str, value: str, zone: str) -> str:
    """The core's form of a value the API holds (``zone`` absolute)."""
    if rtype in ("A", "AAAA"):
        return canonical_address(rtype, value)
    if rtype in TARGET_TYPES:
        text = value.strip()
        if text.endswith("."):
            return absolute_name(text)
        return absolute_name(f"{text}.{zone}" if text else zone)
    if rtype == "TXT" and not value.startswith('"'):
        return f'"{value}"'
    return value


def from_api(record: object, zone: str) -> LiveRecord:
    """One record of a listing, for ``zone`` (absolute). Raises TypeError or ValueError when
    it is not the documented shape (the caller reports a malformed answer)."""
    if not isinstance(record, dict):
        raise TypeError(f"a record is {type(record).__name__}, not an object")
    rid = _int(record.get("id"), "record id")
    name, rtype, value = _str(record, "name"), _str(record, "type"), _str(record, "value")
    if name.endswith("."):
        raise ValueError(f"record name {name!r} is not relative to the domain")
    fqdn = absolute_name(f"{name}.{zone}") if name else absolute_name(zone)
    ttl = _int(record.get("ttl"), "record ttl")
    return LiveRecord(rid, fqdn, rtype.upper(), canonical(rtype.upper(), value, zone), ttl, record)


def to_rrset(key: RecordKey, records: Sequence[LiveRecord]) -> RRset:
    """The RRset of ``records`` (all of ``key``). Records may disagree on the TTL (edited one
    by one in the control panel): the highest is reported, as it bounds how long resolvers
    keep a value, and every write of the RRset sets them all to the planned TTL."""
    return RRset.of(key[0], key[1], max(r.ttl for r in records), [r.value for r in records])


def api_value(rtype: str, value: str) -> str:
    """The value to send: name targets always absolute (a trailing dot), else as is."""
    if rtype in TARGET_TYPES and not value.endswith("."):
        return value + "."
    return value


def body(name: str, rtype: str, value: str, ttl: int, zone: str) -> dict[str, Any]:
    """A record to create, without ``id`` (API.md "Endpoints": POST takes a record without id)."""
    return {
        "name": relative_name(name, zone),
        "type": rtype,
        "value": api_value(rtype, value),
        "ttl": ttl,
        "gtdLocation": DEFAULT_GTD,
    }


def matches_before(change: Change, live: Sequence[LiveRecord]) -> bool:
    """Whether the live values are still the values the plan read (``change.before``)."""
    return {r.value for r in live} == set(change.before)


def diff(change: Change, live: Sequence[LiveRecord], zone: str) -> Diff:
    """The creates, TTL updates and deletes that turn ``live`` into ``change.after``.

    Records of staying values keep their id; one whose TTL differs is sent whole with the new
    TTL. A second record of the same value (the API refuses those, but a listing could hold
    one) is deleted.
    """
    after = set(change.after)
    kept: dict[str, LiveRecord] = {}
    deletes: list[int] = []
    for record in sorted(live, key=lambda r: r.id):
        if record.value in after and record.value not in kept:
            kept[record.value] = record
        else:
            deletes.append(record.id)
    creates = tuple(
        body(change.name, change.type, v, change.ttl, zone) for v in sorted(after) if v not in kept
    )
    updates = tuple(
        {**r.raw, "ttl": change.ttl}
        for r in sorted(kept.values(), key=lambda r: r.id)
        if r.ttl != change.ttl
    )
    return Diff(change.key, creates, updates, tuple(deletes))


def chunks(items: Iterable[Any], size: int) -> list[list[Any]]:
    """``items`` in lists of at most ``size``."""
    out: list[list[Any]] = []
    for item in items:
        if not out or len(out[-1]) >= size:
            out.append([])
        out[-1].append(item)
    return out

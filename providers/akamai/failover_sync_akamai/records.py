"""Pure functions: Edge DNS record sets <-> RRsets, and a Change -> one ``add-change`` body.

A record set of the API is ``{name, type, ttl, rdata[]}`` (``schemas/recordset.yaml`` of
https://github.com/akamai/akamai-apis, ``apis/config-dns/v2``): ``name`` is the FQDN without
the trailing dot, each ``rdata`` string one record in master-file format (RFC 1035 section
5.1): TXT strings quoted, CNAME targets as domain names. A change of a change list is
``{name, type, op, ttl, rdata}`` with ``op`` ``ADD`` (the record set must not exist),
``EDIT`` (it must exist) or ``DELETE``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from failover_sync import Change, MalformedAnswer, RecordKey, RRset

Body = dict[str, Any]


def absolute(name: str) -> str:
    """``name`` lower case with one trailing dot, as the core writes names."""
    return name.strip().rstrip(".").lower() + "."


def api_name(name: str) -> str:
    """An absolute name as the API writes it: no trailing dot, lower case."""
    return name.rstrip(".").lower()


def _field(item: Mapping[str, Any], key: str, kind: type, what: str) -> Any:
    value = item.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise MalformedAnswer(f"{what}: {key} is {type(value).__name__}, not {kind.__name__}")
    return value


def to_rrset(item: object, *, what: str) -> RRset:
    """The RRset of one listed record set (``what`` names the call, for errors).

    Raises :class:`~failover_sync.MalformedAnswer` when a field is missing or of the wrong
    type, or when ``rdata`` is empty (an RRset has at least one record).
    """
    if not isinstance(item, Mapping):
        raise MalformedAnswer(f"{what}: a record set is {type(item).__name__}, not an object")
    name = _field(item, "name", str, what)
    rtype = _field(item, "type", str, what).upper()
    ttl = _field(item, "ttl", int, what)
    rdata = _field(item, "rdata", list, what)
    if not rdata or not all(isinstance(v, str) and v for v in rdata):
        raise MalformedAnswer(f"{what}: rdata of {name} {rtype} is not a list of strings")
    values = [absolute(v) if rtype == "CNAME" else v for v in rdata]
    return RRset.of(name, rtype, ttl, values)


def wanted(rrsets: Iterable[RRset], keys: Iterable[RecordKey]) -> dict[RecordKey, RRset]:
    """The RRsets among ``keys``, by key."""
    asked = set(keys)
    return {r.key: r for r in rrsets if r.key in asked}


def change_body(change: Change) -> Body:
    """The ``add-change`` body that makes the record set equal ``change.after``.

    ``before == ()`` means the record set did not exist when read: ``ADD``, which the API
    refuses if it exists by now (create-if-absent). ``after == ()`` is ``DELETE``.
    """
    body: Body = {"name": api_name(change.name), "type": change.type}
    if not change.after:
        body["op"] = "DELETE"
        return body
    body["op"] = "EDIT" if change.before else "ADD"
    body["ttl"] = change.ttl
    body["rdata"] = [v.rstrip(".") if change.type == "CNAME" else v for v in change.after]
    return body


def matches_before(change: Change, live: RRset | None) -> bool:
    """Whether ``live`` (None: absent) is what ``change`` was planned from."""
    if live is None:
        return not change.before
    if set(live.values) != set(change.before):
        return False
    return change.before_ttl is None or live.ttl == change.before_ttl


def search_terms(keys: Iterable[RecordKey]) -> list[str]:
    """Distinct names to ``search`` for, sorted; an ownership marker
    ``_failover-sync.<name>`` is found by the search for ``<name>`` (a substring match)."""
    names = {api_name(name).removeprefix("_failover-sync.") for name, _ in keys}
    return sorted(names)


__all__ = [
    "absolute",
    "api_name",
    "change_body",
    "matches_before",
    "search_terms",
    "to_rrset",
    "wanted",
]

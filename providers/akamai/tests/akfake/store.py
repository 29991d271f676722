"""State and rules of the fake: zones with versions, change lists with their lifecycle.

- A zone has record sets ``(name, type) -> (ttl, rdata)`` and a version id (a UUID) that
  changes with every write: a submit, or :meth:`FakeZone.write` (someone else's edit).
- A change list belongs to one API client (``client_token``) and one zone, as the API says
  ("change lists that you created"). It snapshots the zone's record sets at creation
  (``zoneVersionId`` = the base version) and stages one change per record set. It is stale
  once the zone's version is newer than its base; a stale submit is refused (409) and changes
  nothing. A successful submit applies the staged changes as one new version and deletes the
  change list.
- ``ADD`` of a record set that exists, ``EDIT``/``DELETE`` of one that does not: 409.
"""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Key = tuple[str, str]
Value = tuple[int, tuple[str, ...]]
PROBLEM_BASE = "https://problems.fake-akamai.test/authoritative-dns/"


class Problem(Exception):
    """An RFC 7807 error answer: ``status``, ``kind`` (the last part of ``type``), title,
    detail and extra headers."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}")
        self.status = status
        self.body: dict[str, Any] = {"type": PROBLEM_BASE + kind, "title": title, "status": status}
        if detail:
            self.body["detail"] = detail
        self.headers = headers or {}


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def key(name: str, rtype: str) -> Key:
    return (name.rstrip(".").lower(), rtype.upper())


def check_rdata(rtype: str, rdata: list[Any]) -> str | None:
    """Why ``rdata`` is not valid for ``rtype`` (None: valid)."""
    if not rdata or not all(isinstance(v, str) and v for v in rdata):
        return "rdata must be a non-empty list of strings"
    try:
        if rtype == "A":
            for value in rdata:
                ipaddress.IPv4Address(value)
        if rtype == "AAAA":
            for value in rdata:
                ipaddress.IPv6Address(value)
    except ValueError as exc:
        return f"invalid {rtype} rdata: {exc}"
    if rtype == "CNAME" and len(rdata) != 1:
        return "a CNAME record set has exactly one record"
    if rtype == "TXT" and not all(v.startswith('"') and v.endswith('"') for v in rdata):
        return "TXT rdata must be quoted character strings"
    return None


@dataclass
class FakeZone:
    """One PRIMARY zone."""

    name: str
    records: dict[Key, Value] = field(default_factory=dict)
    version: str = field(default_factory=lambda: str(uuid.uuid4()))
    modified: str = field(default_factory=now_iso)
    versions: int = 1

    def write(self, changes: dict[Key, Value | None]) -> None:
        """Apply ``changes`` (None deletes) as one new version."""
        for k, v in changes.items():
            if v is None:
                self.records.pop(k, None)
            else:
                self.records[k] = v
        self.version = str(uuid.uuid4())
        self.modified = now_iso()
        self.versions += 1


@dataclass
class ChangeList:
    """One API client's draft of one zone."""

    zone: str
    client: str
    base_version: str
    base: dict[Key, Value]
    staged: dict[Key, Value | None] = field(default_factory=dict)
    change_tag: str = field(default_factory=lambda: str(uuid.uuid4()))
    modified: str = field(default_factory=now_iso)
    base_modified: str = field(default_factory=now_iso)

    def view(self) -> dict[Key, Value]:
        """The record sets as the change list sees them: base version plus staged changes."""
        out = dict(self.base)
        for k, v in self.staged.items():
            if v is None:
                out.pop(k, None)
            else:
                out[k] = v
        return out

    def states(self) -> dict[Key, str]:
        """ADDED or EDITED per staged record set (DELETED ones are not listed)."""
        return {k: "EDITED" if k in self.base else "ADDED" for k in self.staged}

    def metadata(self, zone: FakeZone) -> dict[str, Any]:
        return {
            "zone": self.zone,
            "changeTag": self.change_tag,
            "zoneVersionId": self.base_version,
            "lastModifiedDate": self.modified,
            "stale": zone.version != self.base_version,
        }

    def add_change(self, body: dict[str, Any]) -> None:
        """Stage one change (a body valid against the spec); raises :class:`Problem`."""
        k = key(body["name"], body["type"])
        op = body["op"]
        exists = k in self.view()
        if op == "ADD" and exists:
            raise Problem(409, "recordSetExists", "Record set already exists", f"{k[0]} {k[1]}")
        if op in ("EDIT", "DELETE") and not exists:
            raise Problem(409, "recordSetNotFound", "Record set does not exist", f"{k[0]} {k[1]}")
        if op == "DELETE":
            self.staged[k] = None
        else:
            if "ttl" not in body or "rdata" not in body:
                raise Problem(400, "invalidRecordSet", "Missing ttl or rdata", f"{op} {k[0]}")
            problem = check_rdata(k[1], body["rdata"])
            if problem is not None or not 30 <= body["ttl"] <= 2_147_483_647:
                raise Problem(400, "invalidRecordSet", "Invalid record set", problem or "ttl")
            self.staged[k] = (body["ttl"], tuple(body["rdata"]))
        self.change_tag = str(uuid.uuid4())
        self.modified = now_iso()

    def diff(self) -> dict[str, Any]:
        """The ``GET /changelists/{zone}/diff`` answer."""
        diffs = []
        for (name, rtype), after in sorted(self.staged.items()):
            before = self.base.get((name, rtype))
            if before == after:
                continue
            item: dict[str, Any] = {"name": name, "type": rtype}
            item["operation"] = "ADD" if before is None else "DELETE" if after is None else "EDIT"
            if before is not None:
                item["fromValue"] = {"ttl": before[0], "rdata": list(before[1])}
            if after is not None:
                item["toValue"] = {"ttl": after[0], "rdata": list(after[1])}
            diffs.append(item)
        return {
            "metadata": {
                "fromVersionId": self.base_version,
                "fromVersionLastModifiedDate": self.base_modified,
                "toVersionId": self.change_tag,
                "toVersionLastModifiedDate": self.modified,
            },
            "diffs": {"recordSetDiffs": diffs, "settingsDiffs": []},
        }


def listing(
    records: dict[Key, Value],
    query: dict[str, str],
    zone: str,
    *,
    states: dict[Key, str] | None = None,
) -> dict[str, Any]:
    """A paged ``recordsets`` answer: ``types`` and ``search`` (name or rdata contains it,
    case-insensitively) filter, sorted by name then type. ``states`` (change lists only)
    gives each record set's ``state``: PRISTINE unless ADDED/EDITED/DELETED."""
    types = [t for t in query.get("types", "").split(",") if t]
    search = query.get("search", "").lower()
    found = []
    for (name, rtype), (ttl, rdata) in sorted(records.items()):
        if types and rtype not in types:
            continue
        if search and search not in name and not any(search in v.lower() for v in rdata):
            continue
        item: dict[str, Any] = {"name": name, "type": rtype, "ttl": ttl, "rdata": list(rdata)}
        if states is not None:
            item["state"] = states.get((name, rtype), "PRISTINE")
        found.append(item)
    show_all = query.get("showAll") == "true"
    page = int(query.get("page", 1))
    size = len(found) or 1 if show_all else int(query.get("pageSize", 25))
    if page < 1 or size < 1:
        raise Problem(400, "invalidPaging", "Invalid paging parameters")
    chunk = found[(page - 1) * size : page * size]
    meta = {
        "zone": zone,
        "page": page,
        "pageSize": size,
        "totalElements": len(found),
        "types": sorted(set(types)),
    }
    return {"metadata": meta, "recordsets": chunk}


__all__ = ["ChangeList", "FakeZone", "Key", "Problem", "Value", "check_rdata", "key", "listing"]

"""State and rules of the DNS Made Easy fake: domains, records with int ids, a change history.

Each rule cites the section of ``shared/dnsmadeeasy/API.md`` it comes from (and its mark);
only facts marked 2+ or official are enforced. Checks that are the fake's own (to catch a
client bug, not a claim about the API) answer messages starting with ``fake:``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

Record = dict[str, Any]

# API.md "JSON shapes", Record.type: O1's list plus CAA (S1 S3 S5).
TYPES = frozenset(
    {"A", "AAAA", "ANAME", "CNAME", "HTTPRED", "MX", "NS", "PTR", "SRV", "TXT", "SPF", "SOA", "CAA"}
)
# API.md Record.gtdLocation: O1 and S5.
GTD_LOCATIONS = frozenset({"DEFAULT", "US_EAST", "US_WEST", "EUROPE", "ASIA_PAC", "OCEANIA"})
_ids = itertools.count(40_000_001)
_domain_ids = itertools.count(1_000_001)


class APIError(Exception):
    """An answer other than success: ``status``, the ``error`` strings (API.md "Errors": an
    array of strings, 2+) or, with ``html``, an HTML page (404 and 500 bodies, recorded)."""

    def __init__(self, status: int, errors: Iterable[str] = (), *, html: bool = False) -> None:
        self.status = status
        self.errors = list(errors)
        self.html = html
        super().__init__(status, self.errors)


def not_found() -> APIError:
    # API.md "Errors": 404 is a "generic bad API request" with a Tomcat HTML page (2+).
    return APIError(404, html=True)


def _ttl_ok(value: object) -> bool:
    # API.md Record.ttl: an int (2+); numeric strings seem accepted (?), so not refused.
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and value.isdigit())


def record_problems(body: object, *, with_id: bool) -> list[str]:
    """What is wrong with a record sent to create (``with_id`` False) or update."""
    if not isinstance(body, dict):
        return [f"fake: a record must be a JSON object, not {type(body).__name__}"]
    problems = []
    name = body.get("name")
    if not isinstance(name, str):
        problems.append("fake: record name must be a string")
    elif name.endswith("."):
        # API.md Record.name: relative to the zone, "" is the apex (2+).
        problems.append(f"fake: record name {name!r} must be relative to the domain")
    rtype = body.get("type")
    if rtype not in TYPES:
        problems.append(f"fake: record type {rtype!r} is not one of the API's types")
    if not isinstance(body.get("value"), str):
        problems.append("fake: record value must be a string")
    if not _ttl_ok(body.get("ttl")):
        problems.append(f"fake: record ttl {body.get('ttl')!r} is not a number of seconds")
    gtd = body.get("gtdLocation", "DEFAULT")
    if gtd not in GTD_LOCATIONS:
        problems.append(f"fake: gtdLocation {gtd!r} is not a known location")
    if with_id and "id" not in body:
        # API.md "Endpoints": PUT and updateMulti send the full record including id (2+).
        problems.append("fake: an updated record must carry its id")
    if not with_id and "id" in body:
        # API.md "Endpoints": POST takes one record without id (2+).
        problems.append("fake: a record to create must not carry an id")
    return problems


def stored_value(rtype: str, value: str) -> str:
    # API.md "Value rules": TXT values come back wrapped in double quotes even when sent
    # bare (recorded, S7; S1 sends them quoted).
    if rtype in ("TXT", "SPF") and not value.startswith('"'):
        return f'"{value}"'
    return value


@dataclass
class FakeDomain:
    """One domain of one account (``owner`` is the API key that sees it)."""

    id: int
    name: str
    owner: str
    records: dict[int, Record] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        # API.md "JSON shapes", Domain (2+): epoch ms times, pendingActionId 0 when idle.
        return {
            "id": self.id,
            "name": self.name,
            "created": 1_700_000_000_000,
            "updated": 1_700_000_000_000,
            "folderId": 1,
            "gtdEnabled": False,
            "nameServers": [{"fqdn": "ns0.dnsmadeeasy.com", "ipv4": "", "ipv6": ""}],
            "delegateNameServers": [],
            "processMulti": False,
            "activeThirdParties": [],
            "pendingActionId": 0,
        }

    def find(self, rtype: str | None, name: str | None) -> list[Record]:
        """Records of ``rtype`` and relative ``name`` (None: any), by id."""
        return [
            dict(r)
            for _, r in sorted(self.records.items())
            if (rtype is None or r["type"] == rtype) and (name is None or r["name"] == name.lower())
        ]

    def _duplicate(self, record: Record, *, skip: int | None = None) -> bool:
        return any(
            (r["type"], r["name"], r["value"]) == (record["type"], record["name"], record["value"])
            for rid, r in self.records.items()
            if rid != skip
        )

    def _build(self, body: Record, rid: int) -> Record:
        rtype = body["type"]
        return {
            "id": rid,
            "name": body["name"].lower(),
            "type": rtype,
            "value": stored_value(rtype, body["value"]),
            "ttl": int(body["ttl"]),
            # API.md Record.gtdLocation: a create without it came back DEFAULT (recorded).
            "gtdLocation": body.get("gtdLocation", "DEFAULT"),
            "source": 1,
            "sourceId": self.id,
            "dynamicDns": False,
            "failover": False,
            "monitor": False,
            "failed": False,
            "hardLink": False,
        }

    def create(self, bodies: list[Record], *, multi: bool) -> list[Record]:
        """Create every record of ``bodies`` or none (validated first)."""
        built = [self._build(b, next(_ids)) for b in bodies]
        seen: set[tuple[str, str, str]] = set()
        for record in built:
            triple = (record["type"], record["name"], record["value"])
            if self._duplicate(record) or triple in seen:
                raise APIError(400, [_duplicate_text(record, self.name, multi=multi)])
            seen.add(triple)
        for record in built:
            self.records[record["id"]] = record
        return [dict(r) for r in built]

    def update(self, bodies: list[Record]) -> None:
        """Replace each record of ``bodies`` (by ``id``) or none."""
        built = []
        for body in bodies:
            rid = _as_int(body["id"])
            if rid not in self.records:
                raise not_found()  # API.md: 404 for a record that does not exist (2+)
            built.append(self._build(body, rid))
        for record in built:
            if self._duplicate(record, skip=record["id"]):
                raise APIError(400, [_duplicate_text(record, self.name, multi=len(built) > 1)])
        for record in built:
            self.records[record["id"]] = record

    def delete(self, ids: list[int]) -> list[Record]:
        """Delete every record of ``ids`` or none; return them."""
        if any(rid not in self.records for rid in ids):
            # API.md: single DELETE of an unknown id is 404 (2+); for ?ids= it is not stated
            # (?), and this fake answers the same.
            raise not_found()
        return [self.records.pop(rid) for rid in ids]


def _as_int(value: object) -> int:
    # API.md "Endpoints", PUT: O1's example sends id as a string.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise APIError(400, [f"fake: record id {value!r} is not a number"])


def _duplicate_text(record: Record, domain: str, *, multi: bool) -> str:
    # API.md "Errors": the single-create text is recorded (2+); the multi text is O1's.
    if multi:
        return (
            f'Duplicate name and value match detected for record "{record["name"]} '
            f'{record["value"]}" with domain "{domain}".'
        )
    return (
        f"Record with this type ({record['type']}), name ({record['name']}), and value "
        f"({record['value']}) already exists."
    )


def new_domain(name: str, owner: str) -> FakeDomain:
    """A domain ``name`` of the account of API key ``owner``, with a fresh id."""
    return FakeDomain(next(_domain_ids), name.rstrip(".").lower(), owner)

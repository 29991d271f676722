"""The routes of the DNS Made Easy fake and their query parameters (API.md "Endpoints").

Paths are relative to ``/V2.0``. A query parameter a route does not document is refused with a
``fake:`` message: the API may ignore it, but a client relying on an undocumented parameter is
a bug we want to see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .store import TYPES


@dataclass(frozen=True)
class Route:
    """A route: ``name`` (used in call counts), method, path pattern, allowed and required
    query parameters, and the path parameters of a match (``params``)."""

    name: str
    method: str
    pattern: re.Pattern[str]
    allowed: frozenset[str] = frozenset()
    required: frozenset[str] = frozenset()
    params: dict[str, str] = field(default_factory=dict)

    def check_query(self, pairs: list[tuple[str, str]]) -> list[str]:
        """Problems of the query ``pairs`` (``fake:`` messages), empty when fine."""
        problems = []
        names = {k for k, _ in pairs}
        for unknown in sorted(names - self.allowed):
            problems.append(f"fake: {self.name} takes no query parameter {unknown!r}")
        for missing in sorted(self.required - names):
            problems.append(f"fake: {self.name} needs the query parameter {missing!r}")
        for key, value in pairs:
            if key in ("rows", "page") and not value.isdigit():
                problems.append(f"fake: {key}={value!r} is not a number")
            if key == "type" and value not in TYPES:
                problems.append(f"fake: type={value!r} is not a record type")
            if key == "ids" and not all(part.isdigit() for part in value.split(",")):
                problems.append(f"fake: ids={value!r} is not a list of record ids")
        return problems


def _r(name: str, method: str, path: str, allowed: str = "", required: str = "") -> Route:
    return Route(
        name,
        method,
        re.compile("^" + path + "$"),
        frozenset(allowed.split()),
        frozenset(required.split()),
    )


_ID = r"(?P<domain>[^/]+)"
ROUTES = [
    # API.md "Endpoints" (each 2+ unless noted).
    _r("domains", "GET", r"/dns/managed/?"),
    _r("domain-by-name", "GET", r"/dns/managed/name", "domainname", "domainname"),
    _r("domain", "GET", rf"/dns/managed/{_ID}"),
    # type and recordName 2+; rows and page official (O1 p48, 1 source).
    _r("records-list", "GET", rf"/dns/managed/{_ID}/records/?", "type recordName rows page"),
    _r("record-create", "POST", rf"/dns/managed/{_ID}/records/?"),
    _r("records-createMulti", "POST", rf"/dns/managed/{_ID}/records/createMulti"),
    _r("records-updateMulti", "PUT", rf"/dns/managed/{_ID}/records/updateMulti"),
    _r("record-update", "PUT", rf"/dns/managed/{_ID}/records/(?P<record>\d+)/?"),
    _r("record-delete", "DELETE", rf"/dns/managed/{_ID}/records/(?P<record>\d+)/?"),
    # ?ids=1,2 or ?ids=1&ids=2 (2+); without ids the meaning is unclear (?): refused.
    _r("records-delete", "DELETE", rf"/dns/managed/{_ID}/records/?", "ids", "ids"),
]


def route(method: str, path: str) -> Route | None:
    """The route of ``method`` ``path`` with its path parameters, or None (a 404)."""
    for candidate in ROUTES:
        if candidate.method != method:
            continue
        match = candidate.pattern.match(path)
        if match is not None:
            params = {k: v for k, v in match.groupdict().items() if v is not None}
            return Route(
                candidate.name,
                candidate.method,
                candidate.pattern,
                candidate.allowed,
                candidate.required,
                params,
            )
    return None

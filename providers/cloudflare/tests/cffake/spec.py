"""The API operations the fake serves: paths and query parameters, encoded from the official
OpenAPI description and the SDK.

Source of each operation and parameter:

- ``openapi``: ``shared/cloudflare/dns-records-openapi-2024-08-06.json`` (read when this table
  was written, never at test time): the DNS-records operations, their ``operationId`` and
  query parameters with types, enums and bounds.
- ``sdk``: the ``cloudflare`` 5.x SDK, which is generated from the current OpenAPI description
  and is newer than that subset: ``GET /zones`` (``zones.list``), ``POST .../batch``
  (``dns.records.batch``), the ``name.*``/``content.*`` filter families and
  ``include_shadow_metadata`` (``record_list_params``).

Unknown parameters are rejected (the real API ignores them; the fake is stricter so that an
adapter typo fails a test instead of silently listing the whole zone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

RECORD_TYPES = [
    "A",
    "AAAA",
    "CAA",
    "CERT",
    "CNAME",
    "DNSKEY",
    "DS",
    "HTTPS",
    "LOC",
    "MX",
    "NAPTR",
    "NS",
    "PTR",
    "SMIMEA",
    "SRV",
    "SSHFP",
    "SVCB",
    "TLSA",
    "TXT",
    "URI",
]
"""``dns-records_type`` of the subset; the SDK adds OPENPGPKEY."""


@dataclass(frozen=True, slots=True)
class Param:
    """One query parameter: JSON-schema-like ``kind`` with its bounds, and its source."""

    kind: Literal["string", "number", "boolean"] = "string"
    enum: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    source: str = "openapi"

    def check(self, name: str, value: str) -> str | None:
        """A problem with ``value``, or None."""
        if self.kind == "boolean":
            return None if value in ("true", "false") else f"{name} must be true or false"
        if self.kind == "number":
            try:
                number = float(value)
            except ValueError:
                return f"{name} must be a number"
            if self.minimum is not None and number < self.minimum:
                return f"{name} must be at least {self.minimum:g}"
            if self.maximum is not None and number > self.maximum:
                return f"{name} must be at most {self.maximum:g}"
            return None
        if self.enum and value not in self.enum:
            return f"{name} must be one of {', '.join(self.enum)}"
        if self.max_length is not None and len(value) > self.max_length:
            return f"{name} is longer than {self.max_length}"
        return None


_STR = Param()
_PREDICATES = ("exact", "contains", "startswith", "endswith")

LIST_RECORDS_QUERY: dict[str, Param] = {
    "name": Param(max_length=255),
    "type": Param(enum=(*RECORD_TYPES, "OPENPGPKEY")),
    "content": _STR,
    "proxied": Param("boolean"),
    "match": Param(enum=("any", "all")),
    "comment": _STR,
    **{f"comment.{p}": _STR for p in ("present", "absent", *_PREDICATES)},
    "tag": _STR,
    **{f"tag.{p}": _STR for p in ("present", "absent", *_PREDICATES)},
    "search": _STR,
    "tag_match": Param(enum=("any", "all")),
    "page": Param("number", minimum=1),
    "per_page": Param("number", minimum=1, maximum=5_000_000),
    "order": Param(enum=("type", "name", "content", "ttl", "proxied")),
    "direction": Param(enum=("asc", "desc")),
    **{f"name.{p}": Param(max_length=255, source="sdk") for p in _PREDICATES},
    **{f"content.{p}": Param(source="sdk") for p in _PREDICATES},
    "include_shadow_metadata": Param("boolean", source="sdk"),
    "shadowed_by_name": Param(source="sdk"),
    "shadowing_name": Param(source="sdk"),
}

LIST_ZONES_QUERY: dict[str, Param] = {
    "name": Param(max_length=253, source="sdk"),
    "status": Param(enum=("initializing", "pending", "active", "moved"), source="sdk"),
    "type": Param(enum=("full", "partial", "secondary", "internal"), source="sdk"),
    "account.id": Param(source="sdk"),
    "account.name": Param(source="sdk"),
    "page": Param("number", minimum=1, source="sdk"),
    "per_page": Param("number", minimum=5, maximum=50, source="sdk"),
    "order": Param(enum=("name", "status", "account.id", "account.name", "plan.id"), source="sdk"),
    "direction": Param(enum=("asc", "desc"), source="sdk"),
    "match": Param(enum=("any", "all"), source="sdk"),
}

SHADOW_QUERY: dict[str, Param] = {"include_shadow_metadata": Param("boolean", source="sdk")}


@dataclass(frozen=True)
class Operation:
    """One route: method, path template under ``/client/v4``, operationId, its query."""

    method: str
    template: str
    operation_id: str
    query: dict[str, Param] = field(default_factory=dict)
    source: str = "openapi"
    emulated: bool = True

    @property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template)
        return re.compile(f"^{regex}$")


OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "/zones", "zones-get", LIST_ZONES_QUERY, source="sdk"),
    Operation(
        "GET",
        "/zones/{zone_id}/dns_records",
        "dns-records-for-a-zone-list-dns-records",
        LIST_RECORDS_QUERY,
    ),
    Operation(
        "POST",
        "/zones/{zone_id}/dns_records",
        "dns-records-for-a-zone-create-dns-record",
        SHADOW_QUERY,
    ),
    Operation(
        "POST",
        "/zones/{zone_id}/dns_records/batch",
        "dns-records-for-a-zone-batch-dns-records",
        SHADOW_QUERY,
        source="sdk",
    ),
    Operation(
        "GET",
        "/zones/{zone_id}/dns_records/export",
        "dns-records-for-a-zone-export-dns-records",
        emulated=False,
    ),
    Operation(
        "POST",
        "/zones/{zone_id}/dns_records/import",
        "dns-records-for-a-zone-import-dns-records",
        emulated=False,
    ),
    Operation(
        "POST",
        "/zones/{zone_id}/dns_records/scan",
        "dns-records-for-a-zone-scan-dns-records",
        emulated=False,
    ),
    Operation(
        "GET",
        "/zones/{zone_id}/dns_records/{dns_record_id}",
        "dns-records-for-a-zone-dns-record-details",
        SHADOW_QUERY,
    ),
    Operation(
        "PATCH",
        "/zones/{zone_id}/dns_records/{dns_record_id}",
        "dns-records-for-a-zone-patch-dns-record",
        SHADOW_QUERY,
    ),
    Operation(
        "PUT",
        "/zones/{zone_id}/dns_records/{dns_record_id}",
        "dns-records-for-a-zone-update-dns-record",
        SHADOW_QUERY,
    ),
    Operation(
        "DELETE",
        "/zones/{zone_id}/dns_records/{dns_record_id}",
        "dns-records-for-a-zone-delete-dns-record",
    ),
)

IDENTIFIER = re.compile(r"^[0-9a-f]{32}$")
"""``dns-records_identifier``: at most 32 characters; real ids are 32 hex digits."""


def route(method: str, path: str) -> tuple[Operation | None, dict[str, str], bool]:
    """The operation for ``method path``, its path parameters, and whether the path exists
    at all (to tell 404 "no route" from 405 "method not allowed")."""
    path_known = False
    for op in OPERATIONS:
        match = op.pattern.match(path)
        if match is None:
            continue
        path_known = True
        if op.method == method:
            return op, match.groupdict(), True
    return None, {}, path_known


def check_query(op: Operation, pairs: list[tuple[str, str]]) -> list[str]:
    """Problems with the query of a request to ``op`` (unknown, repeated, ill-typed)."""
    problems: list[str] = []
    seen: set[str] = set()
    for name, value in pairs:
        param = op.query.get(name)
        if param is None:
            problems.append(f"unknown query parameter {name!r} for {op.operation_id}")
            continue
        if name in seen:
            problems.append(f"query parameter {name!r} given twice")
        seen.add(name)
        problem = param.check(name, value)
        if problem:
            problems.append(problem)
    return problems

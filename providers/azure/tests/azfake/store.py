"""The state of the fake: zones and their record sets, kept as the API keeps them.

Record sets are stored in the wire format of the document (``properties.TTL``,
``ARecords[].ipv4Address``, ``TXTRecords[].value[]``...), keyed by ``(TYPE, relative name)``
in lower case, each with an ETag that changes on every write (a fresh UUID, as ARM's).
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from typing import Any

RECORD_FIELDS = {
    "A": "ARecords",
    "AAAA": "AAAARecords",
    "CNAME": "CNAMERecord",
    "TXT": "TXTRecords",
    "MX": "MXRecords",
    "NS": "NSRecords",
    "PTR": "PTRRecords",
    "SRV": "SRVRecords",
    "SOA": "SOARecord",
    "CAA": "caaRecords",
}
"""Which ``properties`` field holds the records of each type."""


class APIFailure(Exception):
    """An ARM error answer: HTTP ``status`` with CloudError ``code`` and ``message``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def new_etag() -> str:
    return str(uuid.uuid4())


def wire_values(rtype: str, values: list[str]) -> Any:
    """Presentation values -> the ``properties`` field of ``rtype`` (TXT: one string each)."""
    if rtype == "A":
        return [{"ipv4Address": v} for v in values]
    if rtype == "AAAA":
        return [{"ipv6Address": v} for v in values]
    if rtype == "CNAME":
        return {"cname": values[0]}
    if rtype == "TXT":
        return [{"value": [v]} for v in values]
    raise ValueError(f"the fake's helpers write A, AAAA, CNAME and TXT, not {rtype}")


@dataclass
class FakeZone:
    """One zone: ``subscription``, ``group``, ``name`` (no dot) and its record sets."""

    subscription: str
    group: str
    name: str
    sets: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.group}"
            f"/providers/Microsoft.Network/dnszones/{self.name}"
        )

    def render(self, rtype: str, name: str) -> dict[str, Any]:
        """The record set as the API answers it (id, name, type, etag, properties)."""
        stored = self.sets[(rtype, name)]
        fqdn = f"{self.name}." if name == "@" else f"{name}.{self.name}."
        return {
            "id": f"{self.path}/{rtype}/{name}",
            "name": name,
            "type": f"Microsoft.Network/dnszones/{rtype}",
            "etag": stored["etag"],
            "properties": {
                **copy.deepcopy(stored["properties"]),
                "fqdn": fqdn,
                "provisioningState": "Succeeded",
            },
        }

    def listing(self, rtype: str | None) -> list[dict[str, Any]]:
        """Record sets of ``rtype`` (every type when None), sorted by name then type."""
        keys = sorted(
            (k for k in self.sets if rtype is None or k[0] == rtype), key=lambda k: k[::-1]
        )
        return [self.render(t, n) for t, n in keys]

    def put(
        self,
        rtype: str,
        name: str,
        body: dict[str, Any],
        *,
        if_match: str | None,
        if_none_match: str | None,
    ) -> tuple[int, dict[str, Any]]:
        """Create or replace a record set (201 created, 200 replaced), honouring the
        preconditions: a stale If-Match or If-None-Match ``*`` on an existing set is 412."""
        key = (rtype, name)
        existing = self.sets.get(key)
        if if_match is not None and (existing is None or existing["etag"] != if_match):
            raise APIFailure(
                412,
                "PreconditionFailed",
                f"The Record set {name} has been modified (etag mismatch).",
            )
        if if_none_match == "*" and existing is not None:
            raise APIFailure(412, "PreconditionFailed", f"The Record set {name} exists already.")
        props = dict(body.get("properties") or {})
        for other, fname in RECORD_FIELDS.items():
            if other != rtype and fname in props:
                raise APIFailure(
                    400, "BadRequest", f"The record set of type {rtype} holds {fname}."
                )
        if rtype == "SOA" and existing is None:
            raise APIFailure(400, "BadRequest", "SOA record sets cannot be created.")
        if "TTL" not in props:
            props["TTL"] = 3600
        self.sets[key] = {"etag": new_etag(), "properties": props}
        return (201 if existing is None else 200), self.render(rtype, name)

    def delete(self, rtype: str, name: str, *, if_match: str | None) -> int:
        """Delete a record set: 200 deleted, 204 not there, 412 on a stale If-Match."""
        existing = self.sets.get((rtype, name))
        if if_match is not None and (existing is None or existing["etag"] != if_match):
            raise APIFailure(412, "PreconditionFailed", f"The Record set {name} has been modified.")
        if existing is None:
            return 204
        if rtype == "SOA":
            raise APIFailure(400, "BadRequest", "SOA record sets cannot be deleted.")
        del self.sets[(rtype, name)]
        return 200

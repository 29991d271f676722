"""Zones and DNS records kept like the API keeps them, with the API's rules.

A record is one value: ``id`` (32 hex digits), ``name`` (absolute, no trailing dot, lower
case), ``type``, ``content``, ``proxiable``, ``proxied``, ``ttl`` (1 = automatic, forced for
proxied records), ``comment``, ``tags``, ``settings``, ``meta``, ``created_on``,
``modified_on``. A batch runs deletes, patches, puts, posts in that order on a copy of the
zone and is committed only if every operation passes (one transaction).

Error codes used (``APIFailure``): 81044 record does not exist, 81053 A/AAAA/CNAME at the same
name as a CNAME, 81058 identical record, 9004 type cannot be proxied, 9005/9006/9007 invalid
content, 9021 invalid TTL, 9101 comment too long, 7003 unknown zone. The 81xxx codes and
messages are those seen in public API responses; the 9xxx ones follow the same style.
"""

from __future__ import annotations

import copy
import ipaddress
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

PROXIABLE = frozenset({"A", "AAAA", "CNAME"})
HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_-]{1,63}$")
Record = dict[str, Any]


class APIFailure(Exception):
    """An API error: HTTP ``status`` and Cloudflare ``errors`` [{code, message}]."""

    def __init__(
        self, status: int, code: int, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.errors: list[dict[str, Any]] = [{"code": code, "message": message}]
        self.headers = headers or {}


def now_iso() -> str:
    """``2014-01-01T05:20:00.123456Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id() -> str:
    """A 32-hex-digit identifier."""
    return secrets.token_hex(16)


@dataclass
class FakeZone:
    """One zone and its records by id."""

    id: str
    name: str
    enterprise: bool = False
    records: dict[str, Record] = field(default_factory=dict)
    created_on: str = field(default_factory=now_iso)

    def as_json(self) -> dict[str, Any]:
        plan = {"id": "enterprise" if self.enterprise else "free", "name": "Free Website"}
        return {
            "id": self.id,
            "name": self.name,
            "status": "active",
            "paused": False,
            "type": "full",
            "development_mode": 0,
            "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
            "original_name_servers": [],
            "original_registrar": None,
            "original_dnshost": None,
            "created_on": self.created_on,
            "modified_on": self.created_on,
            "activated_on": self.created_on,
            "meta": {"step": 4, "phishing_detected": False},
            "owner": {"id": None, "type": "user", "email": None},
            "account": {"id": "0" * 32, "name": "fake account"},
            "permissions": ["#dns_records:edit", "#zone:read"],
            "plan": plan,
        }

    def full_name(self, name: str) -> str:
        """The absolute record name the API stores for ``name`` (``@`` = apex, relative
        names get the zone appended)."""
        name = name.strip().rstrip(".").lower()
        if name in ("@", "", self.name):
            return self.name
        return name if name.endswith("." + self.name) else f"{name}.{self.name}"

    def check(self, record: Record, ignore: str | None = None) -> None:
        """Raise APIFailure when ``record`` breaks a content, TTL or conflict rule."""
        rtype, content, name = record["type"], record["content"], record["name"]
        if rtype == "A":
            try:
                ipaddress.IPv4Address(content)
            except ValueError:
                raise APIFailure(
                    400, 9005, "Content for A record must be a valid IPv4 address."
                ) from None
        elif rtype == "AAAA":
            try:
                record["content"] = content = str(ipaddress.IPv6Address(content))
            except ValueError:
                raise APIFailure(
                    400, 9006, "Content for AAAA record must be a valid IPv6 address."
                ) from None
        elif rtype == "CNAME":
            record["content"] = content = content.rstrip(".").lower()
            if not HOSTNAME.match(content) or content == name:
                raise APIFailure(400, 9007, "Content for CNAME record is invalid.")
        elif not content:
            raise APIFailure(400, 9007, f"Content for {rtype} record is invalid.")
        if record["proxied"] and rtype not in PROXIABLE:
            raise APIFailure(400, 9004, "This record type cannot be proxied.")
        ttl = record["ttl"]
        low = 30 if self.enterprise else 60
        if ttl != 1 and not low <= ttl <= 86400:
            raise APIFailure(
                400,
                9021,
                f"Invalid TTL. Must be between {low} and 86400 seconds, or 1 for Automatic.",
            )
        if record["comment"] is not None and len(record["comment"]) > 100:
            raise APIFailure(400, 9101, "DNS record comment cannot be longer than 100 characters.")
        for other in self.records.values():
            if other["id"] == ignore or other["name"] != name:
                continue
            if other["type"] == rtype and other["content"] == content:
                raise APIFailure(400, 81058, "An identical record already exists.")
            if rtype == "CNAME" or other["type"] == "CNAME":
                raise APIFailure(
                    400, 81053, "An A, AAAA, or CNAME record with that host already exists."
                )

    def build(self, body: dict[str, Any], base: Record | None = None) -> Record:
        """A record from a validated request body (``base``: the record being patched)."""
        stamp = now_iso()
        record: Record = (
            copy.deepcopy(base)
            if base
            else {
                "id": new_id(),
                "comment": None,
                "tags": [],
                "settings": {},
                "meta": {},
                "proxied": False,
                "created_on": stamp,
            }
        )
        for key in ("name", "type", "content", "comment", "tags", "settings", "proxied"):
            if key in body:
                record[key] = body[key]
        if "ttl" in body:
            record["ttl"] = int(body["ttl"])
        record.setdefault("ttl", 1)
        record["name"] = self.full_name(str(record["name"]))
        record["proxiable"] = record["type"] in PROXIABLE
        record["proxied"] = bool(record.get("proxied"))
        if record["proxied"]:
            record["ttl"] = 1
        record["modified_on"] = stamp
        return record

    def create(self, body: dict[str, Any]) -> Record:
        record = self.build(body)
        self.check(record)
        self.records[record["id"]] = record
        return record

    def get(self, record_id: str) -> Record:
        record = self.records.get(record_id)
        if record is None:
            raise APIFailure(404, 81044, "Record does not exist.")
        return record

    def update(self, record_id: str, body: dict[str, Any], *, replace: bool) -> Record:
        old = self.get(record_id)
        base = {k: old[k] for k in ("id", "created_on", "meta")} if replace else old
        if replace:
            base.update({"comment": None, "tags": [], "settings": {}, "proxied": False})
        record = self.build(body, base)
        self.check(record, ignore=record_id)
        self.records[record_id] = record
        return record

    def delete(self, record_id: str) -> Record:
        record = self.get(record_id)
        del self.records[record_id]
        return record

    def batch(self, body: dict[str, Any]) -> dict[str, list[Record]]:
        """Run a batch on a copy; commit only when every operation passed."""
        work = FakeZone(self.id, self.name, self.enterprise, copy.deepcopy(self.records))
        result: dict[str, list[Record]] = {"deletes": [], "patches": [], "puts": [], "posts": []}
        for item in body.get("deletes", []):
            result["deletes"].append(work.delete(item["id"]))
        for item in body.get("patches", []):
            patch = {k: v for k, v in item.items() if k != "id"}
            result["patches"].append(work.update(item["id"], patch, replace=False))
        for item in body.get("puts", []):
            put = {k: v for k, v in item.items() if k != "id"}
            result["puts"].append(work.update(item["id"], put, replace=True))
        for item in body.get("posts", []):
            result["posts"].append(work.create(item))
        self.records = work.records
        return result


def matches(record: Record, query: dict[str, str]) -> bool:
    """Whether ``record`` passes the list filters in ``query`` (``match`` any/all)."""
    checks: list[bool] = []
    for field_name in ("name", "content", "comment"):
        value = str(record.get(field_name) or "").lower()
        for key, wanted in query.items():
            head, _, predicate = key.partition(".")
            if head != field_name:
                continue
            wanted = wanted.lower().rstrip(".") if field_name == "name" else wanted.lower()
            predicate = predicate or "exact"
            if predicate == "present":
                checks.append(record.get(field_name) is not None)
            elif predicate == "absent":
                checks.append(record.get(field_name) is None)
            elif predicate == "exact":
                checks.append(value == wanted)
            elif predicate == "contains":
                checks.append(wanted in value)
            elif predicate == "startswith":
                checks.append(value.startswith(wanted))
            elif predicate == "endswith":
                checks.append(value.endswith(wanted))
    if "type" in query:
        checks.append(record["type"] == query["type"])
    if "proxied" in query:
        checks.append(record["proxied"] == (query["proxied"] == "true"))
    if "search" in query:
        needle = query["search"].lower()
        checks.append(needle in record["name"] or needle in str(record["content"]).lower())
    tag_checks = [
        any(t.lower().split(":")[0] == wanted.lower() for t in record["tags"])
        for key, wanted in query.items()
        if key in ("tag", "tag.present")
    ]
    if tag_checks:
        combine = any if query.get("tag_match") == "any" else all
        checks.append(combine(tag_checks))
    if not checks:
        return True
    return any(checks) if query.get("match") == "any" else all(checks)

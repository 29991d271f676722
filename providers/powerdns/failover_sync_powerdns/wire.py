"""Pure translation between the PowerDNS HTTP API's JSON and our values (no I/O).

Shapes (PowerDNS Authoritative API, ``/api/v1/servers/{server_id}/zones/{zone_id}``)::

    GET   -> {"name": "example.test.", "rrsets": [
                {"name": "app.example.test.", "type": "A", "ttl": 60,
                 "records": [{"content": "192.0.2.1", "disabled": false}],
                 "comments": [...]}, ...], ...}
    PATCH <- {"rrsets": [{"name", "type", "ttl", "changetype": "REPLACE",
                          "records": [{"content", "disabled": false}]}]}   -> 204

A PATCH without a ``comments`` key leaves the RRset's comments as they are (PowerDNS replaces
comments only when the key is given), which is how comments are kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from failover_sync import Action, Change, RRset


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")
    content: str
    disabled: bool = False


class _RRset(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str
    type: str
    ttl: int
    records: list[_Record]


class _Zone(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str | None = None
    rrsets: list[_RRset]


_ZONE = TypeAdapter(_Zone)


class MalformedAnswer(ValueError):
    """The server's answer is not the JSON shape the API documents."""


def zone_id(name: str) -> str:
    """The API's id of zone ``name`` (absolute): PowerDNS keeps ``A-Za-z0-9.-`` and writes
    every other byte as ``=XX`` (upper-case hex); the root zone is ``=2E``.

    Source: ``apiZoneNameToId`` in pdns/ws-api.cc.
    """
    if name == ".":
        return "=2E"
    keep = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-")
    return "".join(c if c in keep else "".join(f"={b:02X}" for b in c.encode()) for c in name)


def parse_rrsets(body: bytes, *, zone: str | None = None, asked: str | None = None) -> list[RRset]:
    """The RRsets of a zone GET answer, canonical (absolute lower-case names, sorted values).

    Disabled records are not served, so they are not values. An RRset whose records are all
    disabled is absent. Raises MalformedAnswer when ``body`` is not the documented shape, or,
    with ``zone`` (absolute), when it is another zone's answer, or when it is a whole-zone
    answer (``asked`` None, or names other than ``asked``: a server that ignores the filter)
    or the answer for the apex itself, without the SOA that every zone has at its apex: such
    an answer is not "no records".
    """
    rrsets = _parse(body)
    if zone is None:
        return rrsets
    apex = zone.lower()
    answered = _ZONE.validate_json(body).name
    if answered is not None and answered.lower() != apex:
        raise MalformedAnswer(f"the answer is for zone {answered}, not {zone}")
    whole = asked is None or asked.lower() == apex or any(rr.name != asked.lower() for rr in rrsets)
    if whole and not any(rr.name == apex and rr.type == "SOA" for rr in rrsets):
        raise MalformedAnswer(f"the zone's answer has no SOA at {zone}")
    return rrsets


def _parse(body: bytes) -> list[RRset]:
    try:
        zone = _ZONE.validate_json(body)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "answer"
        raise MalformedAnswer(f"{where}: {first['msg']}") from None
    rrsets = []
    for rrset in zone.rrsets:
        values = [r.content for r in rrset.records if not r.disabled]
        if values:
            rrsets.append(RRset.of(rrset.name, rrset.type, rrset.ttl, values))
    return rrsets


def patch_body(changes: Sequence[Change]) -> dict[str, Any]:
    """The PATCH body that REPLACEs every changed RRset in one all-or-nothing request.

    Raises ValueError for a DELETE or an empty ``after``: this adapter never deletes a managed
    RRset (a REPLACE with no records would).
    """
    rrsets = []
    for change in changes:
        if change.action is not Action.UPSERT or not change.after:
            raise ValueError(
                f"refusing to delete {change.name} {change.type}: failover-sync never "
                "deletes a managed RRset"
            )
        rrsets.append(
            {
                "name": change.name,
                "type": change.type,
                "ttl": change.ttl,
                "changetype": "REPLACE",
                "records": [{"content": v, "disabled": False} for v in change.after],
            }
        )
    return {"rrsets": rrsets}

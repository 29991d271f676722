"""Pure conversions between Route 53 ResourceRecordSets and failover-sync's RRsets and Changes.

How a managed RRset is stored in Route 53:

- ``failover`` and ``multivalue``: one simple-routing ResourceRecordSet with every published
  value (``{"Name", "Type", "TTL", "ResourceRecords": [{"Value"}, ...]}``).
- ``weighted_round_robin``: one weighted ResourceRecordSet per endpoint, holding that one
  value, with ``SetIdentifier`` derived from the value (:func:`set_identifier`) and ``Weight``
  from the config (0-255, default 1).

Weighted records are only ever UPSERTed. An endpoint that leaves the healthy set is not deleted
but parked at ``Weight: 0``: Route 53 answers with weight-0 records only when every record of
non-zero weight is unhealthy, and these records carry no health check, so a parked value is
never served while any endpoint is published; and when all weights are 0 it answers with all
of them, which is what ``publish_all`` means. No DELETE with exact old values is needed, so a
stale read can never make a write fail. (Route 53 Developer Guide, "Weighted routing":
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy-weighted.html.)
Only a change of routing policy (simple <-> weighted) needs DELETEs, of the records read just
before, in the same all-or-nothing batch.

Records the config does not own are never written: alias records, records with a health
check, another routing policy (failover, geolocation, latency, multivalue answer, ...), or
weighted records whose SetIdentifier is not derived from their single value. A managed name
that holds such records is reported as :class:`LiveGroup` with ``foreign`` set.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from failover_sync import Action, Change, RecordKey, RRset

R53Record = dict[str, Any]
"""A ResourceRecordSet as boto3 returns and takes it."""
R53Change = dict[str, Any]
"""``{"Action": "UPSERT"|"DELETE"|"CREATE", "ResourceRecordSet": R53Record}``."""

_OTHER_ROUTING = (
    "Failover",
    "GeoLocation",
    "GeoProximityLocation",
    "Region",
    "MultiValueAnswer",
    "CidrRoutingConfig",
    "TrafficPolicyInstanceId",
)
_ESCAPE = re.compile(r"\\(\d{3})")
MAX_SET_IDENTIFIER = 128


def decode_name(aws_name: str) -> str:
    """Route 53's name (``\\052.example.com.``, octal escapes) as an absolute lower-case name."""
    name = _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), aws_name)
    return name.rstrip(".").lower() + "."


def canonical_value(rtype: str, value: str) -> str:
    """A value as failover-sync compares it: IP addresses compressed, CNAME targets absolute."""
    if rtype in ("A", "AAAA"):
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            return value
    if rtype == "CNAME":
        return value.rstrip(".").lower() + "."
    return value


def set_identifier(value: str) -> str:
    """The SetIdentifier of the weighted record of endpoint ``value``: the value itself, or,
    beyond Route 53's 128 characters, its first 111 characters + ``~`` + 16 hex of SHA-256."""
    if len(value) <= MAX_SET_IDENTIFIER:
        return value
    digest = hashlib.sha256(value.encode()).hexdigest()[:16]
    return f"{value[: MAX_SET_IDENTIFIER - 17]}~{digest}"


def record_key(record: R53Record) -> RecordKey:
    """``(absolute name, type)`` of a ResourceRecordSet."""
    return decode_name(str(record["Name"])), str(record["Type"]).upper()


def _values(record: R53Record) -> list[str]:
    rtype = str(record["Type"]).upper()
    return [canonical_value(rtype, str(r["Value"])) for r in record.get("ResourceRecords", [])]


def foreign_reason(record: R53Record) -> str | None:
    """Why ``record`` is not one failover-sync owns, or None when it is."""
    if "AliasTarget" in record:
        return "an alias record"
    if record.get("HealthCheckId"):
        return f"a record with health check {record['HealthCheckId']}"
    for routing in _OTHER_ROUTING:
        if routing in record:
            return f"a {routing} routing record"
    if "Weight" in record:
        values = _values(record)
        if len(values) != 1 or record.get("SetIdentifier") != set_identifier(values[0]):
            return f"weighted record {record.get('SetIdentifier')!r} not written by failover-sync"
    return None


@dataclass(frozen=True)
class LiveGroup:
    """What Route 53 holds at one managed (name, type): a simple record, our weighted records
    (by SetIdentifier), or ``foreign`` (the reason it is not ours)."""

    key: RecordKey
    simple: R53Record | None = None
    weighted: dict[str, R53Record] = field(default_factory=dict)
    foreign: str | None = None

    def rrset(self) -> RRset | None:
        """The RRset failover-sync sees, or None for no records and for foreign ones.

        Weighted: the values of non-zero weight with their weights; when every weight is 0,
        every value (Route 53 then answers with all of them).
        """
        name, rtype = self.key
        if self.foreign is not None:
            return None
        if self.simple is not None:
            return RRset.of(name, rtype, int(self.simple["TTL"]), _values(self.simple))
        if not self.weighted:
            return None
        records = list(self.weighted.values())
        active = [r for r in records if int(r["Weight"]) > 0] or records
        weights = {_values(r)[0]: int(r["Weight"]) for r in active}
        ttl = max(int(r["TTL"]) for r in active)
        return RRset.of(name, rtype, ttl, list(weights), weights=weights)


def group_records(key: RecordKey, records: Iterable[R53Record]) -> LiveGroup:
    """Sort the records read at ``key`` into a LiveGroup (records at other keys are ignored)."""
    simple: R53Record | None = None
    weighted: dict[str, R53Record] = {}
    reasons: list[str] = []
    for record in records:
        if record_key(record) != key:
            continue
        reason = foreign_reason(record)
        if reason is not None:
            reasons.append(reason)
        elif "Weight" in record:
            weighted[str(record["SetIdentifier"])] = record
        elif simple is not None:
            reasons.append("more than one simple record")
        else:
            simple = record
    if simple is not None and weighted:
        reasons.append("simple and weighted records side by side")
    foreign = "; ".join(sorted(set(reasons))) or None
    return LiveGroup(key, simple, weighted, foreign)


def _rrset(name: str, rtype: str, ttl: int, values: Sequence[str], **extra: Any) -> R53Record:
    return {
        "Name": name,
        "Type": rtype,
        **extra,
        "TTL": ttl,
        "ResourceRecords": [{"Value": v} for v in values],
    }


def _weighted(name: str, rtype: str, ttl: int, value: str, weight: int) -> R53Record:
    return _rrset(name, rtype, ttl, [value], SetIdentifier=set_identifier(value), Weight=weight)


def route53_changes(change: Change, live: LiveGroup | None) -> list[R53Change]:
    """The Route 53 changes that carry out ``change``, given what was ``live`` at its key.

    ``change.weights`` non-empty means native weighted records (see the module docstring);
    otherwise one simple record. Raises ValueError when ``live`` is foreign or a weight is
    outside 0-255.
    """
    if live is not None and live.foreign is not None:
        raise ValueError(f"{change.name} {change.type} holds {live.foreign}: not managed here")
    live = live or LiveGroup(change.key)
    name, rtype, ttl = change.name, change.type, change.ttl
    out: list[R53Change] = []

    def add(action: str, record: R53Record) -> None:
        out.append({"Action": action, "ResourceRecordSet": record})

    if change.action is Action.DELETE:
        for record in [live.simple, *live.weighted.values()]:
            if record is not None:
                add("DELETE", record)
        return out
    if not change.weights:
        for record in live.weighted.values():
            add("DELETE", record)
        # An RRset read as absent is created with CREATE, which Route 53 refuses (the whole
        # batch, InvalidChangeBatch "... but it already exists") when someone created it
        # since our read: create-if-absent, where UPSERT would overwrite it blindly.
        created = not change.before and live.simple is None
        add("CREATE" if created else "UPSERT", _rrset(name, rtype, ttl, change.after))
        return out
    weights = dict(change.weights)
    if live.simple is not None:
        add("DELETE", live.simple)
    for value in change.after:
        weight = weights.get(value, 1)
        if not 0 <= weight <= 255:
            raise ValueError(f"{name} {rtype}: weight {weight} of {value} is outside 0-255")
        add("UPSERT", _weighted(name, rtype, ttl, value, weight))
    parked = {_values(r)[0]: r for r in live.weighted.values()}
    for value in sorted(set(parked) | set(change.before)):
        if value in change.after:
            continue
        record = parked.get(value)
        if record is None or int(record["Weight"]) != 0 or int(record["TTL"]) != ttl:
            add("UPSERT", _weighted(name, rtype, ttl, value, 0))
    return out

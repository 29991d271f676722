"""Resolve one record spec into a DesiredRecord: merge defaults, check values and references.

Cross-field rules live here (type consistency, values by type, failover_strategy references,
zone membership, timeout below interval) so that each problem is reported at the key path
where the user can fix it.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from failover_sync.config import spec as schema
from failover_sync.config.source import KeyPath, format_path
from failover_sync.model import (
    AllUnhealthy,
    DesiredRecord,
    Endpoint,
    Failback,
    HealthCheck,
    Policy,
    ProbeTarget,
    StatusRange,
    Zone,
    absolute_name,
    canonical_address,
)

DEFAULT_TTL = 60
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


class Reporter(Protocol):
    """Where problems and warnings go (the config builder)."""

    warnings: list[str]
    problems: list[Any]

    def problem(self, path: KeyPath, message: str) -> None: ...


def is_hostname(name: str, *, wildcard: bool = False) -> bool:
    """RFC 1123 host name, absolute and lower-case (underscore labels allowed, as for
    ``_service`` names)."""
    labels = name.rstrip(".").split(".")
    if wildcard and labels[0] == "*":
        labels = labels[1:]
    return len(name) <= 254 and bool(labels) and all(_LABEL.match(label) for label in labels)


def canonical_value(rtype: str, value: str) -> str:
    """Canonical text of a record value (``::0001`` -> ``::1``; CNAME targets absolute).

    Raises ValueError naming what is wrong.
    """
    value = value.strip()
    if rtype == "A":
        try:
            return str(ipaddress.IPv4Address(value))
        except ValueError:
            raise ValueError(f"{value!r} is not an IPv4 address (type A)") from None
    if rtype == "AAAA":
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an IPv6 address (type AAAA)") from None
        return canonical_address("AAAA", value)
    name = absolute_name(value)
    if not is_hostname(name):
        raise ValueError(f"{value!r} is not a host name (type {rtype})")
    return name


def parse_status(spec: str | int | list[str | int] | None) -> tuple[StatusRange, ...]:
    """``"200-399"``, ``200``, ``"200,204"`` or a list -> ranges. Raises ValueError."""
    if spec is None:
        return (StatusRange(200, 399),)
    items = spec if isinstance(spec, list) else [spec]
    ranges: list[StatusRange] = []
    for item in items:
        for part in str(item).split(","):
            low, _, high = part.strip().partition("-")
            try:
                lo, hi = int(low), int(high or low)
            except ValueError:
                raise ValueError(f"{part.strip()!r} is not a status or range") from None
            if not 100 <= lo <= hi <= 599:
                raise ValueError(f"{part.strip()!r} is not within 100-599")
            ranges.append(StatusRange(lo, hi))
    return tuple(ranges)


def merged_check(*layers: schema.HealthCheckSpec | None) -> dict[str, Any]:
    """Merge health-check layers; a later layer wins for every key it sets."""
    out: dict[str, Any] = {}
    for layer in layers:
        if layer is not None:
            out.update(layer.model_dump(exclude_none=True))
    return out


def to_health_check(merged: Mapping[str, Any], host: str) -> HealthCheck:
    """Build the frozen HealthCheck from merged settings. Raises ValueError."""
    protocol = merged.get("protocol", "HTTP")
    ca_file = merged.get("ca_file")
    return HealthCheck(
        protocol=protocol,
        port=merged.get("port", 443 if protocol == "HTTPS" else 80),
        path=merged.get("path", "/"),
        host=merged.get("host", host),
        interval_seconds=merged.get("interval_seconds", 30.0),
        failure_threshold=merged.get("failure_threshold", 3),
        success_threshold=merged.get("success_threshold", 2),
        request_timeout_seconds=merged.get("request_timeout_seconds", 5.0),
        expected_status=parse_status(merged.get("expected_status")),
        body_match=merged.get("body_match"),
        headers=tuple(sorted((merged.get("headers") or {}).items())),
        method=merged.get("method", "GET"),
        verify_tls=merged.get("verify_tls", True),
        ca_file=os.fspath(ca_file) if ca_file else None,
        follow_redirects=merged.get("follow_redirects", False),
        recheck_interval_seconds=merged.get("recheck_interval_seconds"),
    )


def zone_of(name: str, zones: list[Zone]) -> Zone | None:
    """The zone with the longest suffix match of ``name`` (absolute names)."""
    best: Zone | None = None
    for zone in zones:
        if (name == zone.name or name.endswith("." + zone.name)) and (
            best is None or len(zone.name) > len(best.name)
        ):
            best = zone
    return best


def record(
    rep: Reporter,
    path: KeyPath,
    name: str,
    spec: schema.RecordSpec,
    defaults: schema.DefaultsSpec,
    zones: list[Zone],
    listed: Sequence[Zone] = (),
) -> DesiredRecord | None:
    """Resolve a validated record spec; report problems to ``rep`` and return None on any.

    ``zones`` are the valid zones; ``listed`` every zone entry with a valid name, valid or
    not: a record under a broken zone entry is not reported again (its zone's problem is),
    only a record that no listed zone contains is "not in any configured zone".
    """
    before = len(rep.problems)
    if not is_hostname(name, wildcard=True):
        rep.problem(path, f"{name!r} is not a valid record name")
    zone = zone_of(name, zones)
    if zone is None and zone_of(name, [*zones, *listed]) is None:
        names = dict.fromkeys(z.name for z in [*zones, *listed])
        rep.problem(path, f"{name} is not in any configured zone ({', '.join(names) or 'none'})")
    rtype = _record_type(rep, path, spec)
    policy = spec.policy or defaults.policy or Policy.FAILOVER
    if rtype == "CNAME" and policy is not Policy.FAILOVER:
        rep.problem((*path, "policy"), "a CNAME RRset holds one value: use policy failover")
    if rtype == "CNAME" and zone is not None and name == zone.name:
        rep.problem(path, "a CNAME cannot be at the zone apex (RFC 1912 section 2.4)")
    endpoints = _endpoints(rep, path, name, rtype, spec, defaults)
    ordered = _order(rep, path, spec, endpoints, policy)
    mode = spec.when_all_unhealthy or defaults.when_all_unhealthy or AllUnhealthy.PUBLISH_ALL
    fallback = _fallback(rep, path, spec, rtype, mode)
    if len(rep.problems) != before or zone is None or rtype is None:
        return None
    return DesiredRecord(
        name=name,
        type=rtype,
        ttl=spec.ttl if spec.ttl is not None else (defaults.ttl or DEFAULT_TTL),
        zone=zone.name,
        policy=policy,
        endpoints=ordered,
        when_all_unhealthy=mode,
        fallback=fallback,
        failback=spec.failback or defaults.failback or Failback.AUTO,
        proxied=spec.proxied,
        hold_down_seconds=_first(spec.hold_down_seconds, defaults.hold_down_seconds, 0.0),
        adopt=spec.adopt,
    )


def _first(*values: float | None) -> float:
    return next(v for v in values if v is not None)


def _record_type(rep: Reporter, path: KeyPath, spec: schema.RecordSpec) -> str | None:
    types = {e.type for e in spec.records if e.type is not None}
    if spec.type is not None:
        for index, ep in enumerate(spec.records):
            if ep.type is not None and ep.type != spec.type:
                msg = f"type {ep.type} differs from the record's type {spec.type}"
                rep.problem((*path, "records", index, "type"), msg)
        return spec.type
    if len(types) > 1:
        rep.problem(path, f"endpoints mix types {', '.join(sorted(types))}: use one type")
        return None
    if not types or any(e.type is None for e in spec.records):
        rep.problem(path, "type is required, on the record or on every endpoint")
        return None
    return types.pop()


def _endpoints(
    rep: Reporter,
    path: KeyPath,
    name: str,
    rtype: str | None,
    spec: schema.RecordSpec,
    defaults: schema.DefaultsSpec,
) -> list[Endpoint]:
    out: list[Endpoint] = []
    seen: set[str] = set()
    for index, ep in enumerate(spec.records):
        ep_path = (*path, "records", index)
        # A value is checked against the type written next to it: under a type conflict
        # (already reported) '::1' of an AAAA endpoint is not also "not an IPv4 address".
        own_type = ep.type or rtype
        if own_type is None:
            continue
        try:
            value = canonical_value(own_type, ep.value)
        except ValueError as exc:
            rep.problem((*ep_path, "value"), str(exc))
            continue
        if value in seen:
            rep.problem((*ep_path, "value"), f"{value} is listed twice")
        seen.add(value)
        merged = merged_check(defaults.health_check, spec.health_check, ep.health_check)
        check_path = ep_path if ep.health_check else path if spec.health_check else ("defaults",)
        check = _checked(rep, (*check_path, "health_check"), merged, name.rstrip("."))
        if check is not None:
            out.append(Endpoint(value, ProbeTarget(value, check), ep.weight, ep.status))
    return out


def _checked(
    rep: Reporter, path: KeyPath, merged: Mapping[str, Any], host: str
) -> HealthCheck | None:
    """The HealthCheck of merged settings, or None after reporting why not at ``path``
    (the ``health_check`` mapping where the user can fix it)."""
    try:
        check = to_health_check(merged, host)
    except ValueError as exc:
        rep.problem((*path, "expected_status"), str(exc))
        return None
    if check.request_timeout_seconds >= check.interval_seconds:
        rep.problem(
            (*path, "request_timeout_seconds"),
            f"request_timeout_seconds ({check.request_timeout_seconds:g}) must be below "
            f"interval_seconds ({check.interval_seconds:g})",
        )
        return None
    return check


def canaries(
    rep: Reporter, specs: list[schema.CanarySpec], defaults: schema.DefaultsSpec
) -> tuple[ProbeTarget, ...]:
    """Resolve ``canaries:`` into probe targets (``defaults.health_check`` merged under
    each canary's own); problems go to ``rep`` and the canary is left out."""
    out: list[ProbeTarget] = []
    for index, spec in enumerate(specs):
        path: KeyPath = ("canaries", index)
        raw = spec.value.strip()
        try:
            value = str(ipaddress.ip_address(raw))
        except ValueError:
            if not is_hostname(absolute_name(raw)):
                rep.problem((*path, "value"), f"{spec.value!r} is not an address or host name")
                continue
            value = absolute_name(raw).rstrip(".")
        merged = merged_check(defaults.health_check, spec.health_check)
        check = _checked(rep, (*path, "health_check"), merged, value)
        if check is not None:
            out.append(ProbeTarget(value, check))
    return tuple(out)


def _order(
    rep: Reporter,
    path: KeyPath,
    spec: schema.RecordSpec,
    endpoints: list[Endpoint],
    policy: Policy,
) -> tuple[Endpoint, ...]:
    strategy = spec.failover_strategy
    if strategy is None:
        return tuple(endpoints)
    if policy is not Policy.FAILOVER:
        rep.warnings.append(
            f"{format_path(path)}: failover_strategy only orders the endpoints under "
            f"policy {policy.value}; it has no other effect"
        )
    by_value = {e.value: e for e in endpoints}
    first: list[Endpoint] = []
    for role in ("primary", "secondary"):
        raw = getattr(strategy, role)
        if raw is None:
            continue
        match = next((e for e in endpoints if e.value == raw.strip().lower()), None)
        if match is None:
            match = by_value.get(_try_canonical(raw))
        if match is None:
            listed = ", ".join(by_value) or "none"
            rep.problem(
                (*path, "failover_strategy", role),
                f"{raw!r} is not an endpoint of this record ({listed})",
            )
        elif match not in first:
            first.append(match)
    return (*first, *(e for e in endpoints if e not in first))


def _try_canonical(raw: str) -> str:
    for rtype in ("A", "AAAA", "CNAME"):
        try:
            return canonical_value(rtype, raw)
        except ValueError:
            continue
    return raw


def _fallback(
    rep: Reporter, path: KeyPath, spec: schema.RecordSpec, rtype: str | None, mode: AllUnhealthy
) -> tuple[str, ...]:
    values: list[str] = []
    for index, raw in enumerate(spec.fallback):
        if rtype is None:  # the type problem is reported; values cannot be checked
            break
        try:
            values.append(canonical_value(rtype, raw))
        except ValueError as exc:
            rep.problem((*path, "fallback", index), str(exc))
    if mode is AllUnhealthy.FALLBACK and not spec.fallback:
        rep.problem((*path, "fallback"), "when_all_unhealthy is fallback: list fallback values")
    if rtype == "CNAME" and len(values) > 1:
        rep.problem((*path, "fallback"), "a CNAME RRset holds one value")
    return tuple(sorted(set(values)))

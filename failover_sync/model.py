"""Frozen value types shared by every layer.

Everything here is a plain immutable value: hashable, comparable, free of I/O. Names are
absolute and lower-case with a trailing dot (``app.example.com.``); record values are kept in
sorted order so that two RRsets with the same data compare equal.

Shapes::

    HealthCheck    resolved probe settings of one endpoint (seconds, counts)
    ProbeTarget    value + HealthCheck: the unit that is probed, shared between records
    ProbeResult    ok, latency_seconds, reason
    EndpointHealth healthy + human reason, the health state machine's verdict
    Endpoint       value, weight, ProbeTarget
    DesiredRecord  one managed RRset as configured (name, type, ttl, policy, endpoints, ...)
    Conflict       a managed RRset withheld because another owner holds it
    Zone           zone name + provider instance name + provider-specific zone options
    RRset          name, type, ttl, values (what a provider lists)
    Change         one UPSERT (or DELETE) with before/after values and a reason
    ZonePlan, Plan the changes per zone, in a deterministic order
"""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

RecordKey = tuple[str, str]
"""``(absolute name, type)``: how an RRset is addressed."""


def absolute_name(name: str) -> str:
    """Return ``name`` lower-cased with exactly one trailing dot (``Foo.Example.com`` ->
    ``foo.example.com.``)."""
    return name.strip().rstrip(".").lower() + "."


PHASE_JITTER = 0.25
"""Each gap between two probes of one target is ``interval_seconds`` times a random factor in
``1 ± PHASE_JITTER``: the schedule stays fixed-rate on average while its phase wanders, so a
backend that fails periodically (in cycles of 0.5 to 2 intervals) cannot hide from, or stay
aligned with, the probes."""


class Policy(enum.StrEnum):
    """How the healthy endpoints of a record become its published values."""

    FAILOVER = "failover"
    MULTIVALUE = "multivalue"
    WEIGHTED_ROUND_ROBIN = "weighted_round_robin"


class AllUnhealthy(enum.StrEnum):
    """What to publish when no endpoint of a record is healthy (never an empty RRset)."""

    PUBLISH_ALL = "publish_all"
    KEEP = "keep"
    FALLBACK = "fallback"


class Failback(enum.StrEnum):
    """``auto``: return to the primary once healthy; ``manual``: stay on the secondary."""

    AUTO = "auto"
    MANUAL = "manual"


class EndpointStatus(enum.StrEnum):
    """Operator override of one endpoint (octoDNS's convention): ``obey`` the probes (default),
    ``up``: keep it in whatever they say, ``down``: take it out (drained for maintenance)."""

    OBEY = "obey"
    UP = "up"
    DOWN = "down"


class Action(enum.StrEnum):
    """Change actions, named as in Route 53 change batches."""

    UPSERT = "UPSERT"
    DELETE = "DELETE"


@dataclass(frozen=True, slots=True)
class StatusRange:
    """Inclusive HTTP status range, e.g. ``200-399``."""

    low: int
    high: int

    def __contains__(self, status: object) -> bool:
        return isinstance(status, int) and self.low <= status <= self.high

    def __str__(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}-{self.high}"


@dataclass(frozen=True, slots=True)
class HealthCheck:
    """Resolved health-check settings of one endpoint.

    Durations are seconds; thresholds are consecutive probe counts. ``host`` is the HTTP
    ``Host`` header and TLS SNI name; ``headers`` is a sorted tuple of pairs so that the value
    stays hashable.
    """

    protocol: str = "HTTP"
    port: int = 80
    path: str = "/"
    host: str = ""
    interval_seconds: float = 30.0
    failure_threshold: int = 3
    success_threshold: int = 2
    request_timeout_seconds: float = 5.0
    expected_status: tuple[StatusRange, ...] = (StatusRange(200, 399),)
    body_match: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    method: str = "GET"
    verify_tls: bool = True
    ca_file: str | None = None
    follow_redirects: bool = False
    recheck_interval_seconds: float | None = None
    source_address: str | None = None
    """Local address probes are sent from; ``None``: the system chooses."""
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Targets are dict keys everywhere (verdicts, schedules, plans): hash once, not on
        # every lookup (a dataclass re-hashes all of its fields each time).
        object.__setattr__(self, "_hash", hash(_fields(self)))

    def __hash__(self) -> int:
        return self._hash

    @property
    def detection_seconds(self) -> float:
        """Worst-case seconds from an outage to an unhealthy verdict.

        The first probe after the outage comes within one interval stretched by the phase
        jitter (``(1 + PHASE_JITTER) * interval_seconds``); the rest of the streak follows
        every interval, or every ``recheck_interval_seconds`` when rapid recheck is on; each
        probe may time out (``request_timeout_seconds``). Without recheck:
        ``F * (1 + j) * I + T``; with recheck R: ``(1 + j) * I + (F - 1) * (R + T) + T``.
        """
        first = (1 + PHASE_JITTER) * self.interval_seconds
        rest = self.failure_threshold - 1
        timeout = self.request_timeout_seconds
        if self.recheck_interval_seconds is not None:
            return first + rest * (self.recheck_interval_seconds + timeout) + timeout
        return first + rest * (1 + PHASE_JITTER) * self.interval_seconds + timeout


@dataclass(frozen=True, slots=True)
class ProbeTarget:
    """What is probed: an endpoint value with its resolved health check.

    Records that use the same target share one probe schedule and one health state.
    """

    value: str
    check: HealthCheck
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.value, self.check)))

    def __hash__(self) -> int:
        return self._hash

    def __str__(self) -> str:
        if self.check.protocol == "TCP":
            return f"tcp://{_hostport(self.value, self.check.port)}"
        scheme = self.check.protocol.lower()
        return f"{scheme}://{_hostport(self.value, self.check.port)}{self.check.path}"


def _fields(value: object) -> tuple[object, ...]:
    """The compared fields of a dataclass instance, in order (what its hash covers)."""
    return tuple(
        getattr(value, f.name)
        for f in dataclasses.fields(value)  # type: ignore[arg-type]
        if f.compare
    )


def _hostport(value: str, port: int) -> str:
    return f"[{value}]:{port}" if ":" in value else f"{value}:{port}"


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """Outcome of one probe: ``latency_seconds`` from the first byte sent to the verdict;
    ``reason`` is short and human (``status 503``, ``connection refused``,
    ``timeout after 0.5 s``)."""

    ok: bool
    latency_seconds: float
    reason: str


@dataclass(frozen=True, slots=True)
class EndpointHealth:
    """Verdict of the health state machine for one target, with the reason for it.

    ``answering``: the latest probe passed (None: not probed yet). An unhealthy endpoint that
    answers is on its way back and is not removed if it is still published.
    """

    healthy: bool
    reason: str
    answering: bool | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One configured value of a record with its weight, probe target and operator status."""

    value: str
    target: ProbeTarget
    weight: int = 1
    status: EndpointStatus = EndpointStatus.OBEY


@dataclass(frozen=True, slots=True)
class DesiredRecord:
    """One managed RRset as configured, with endpoints in priority order.

    ``proxied`` is a provider hint (Cloudflare) and ``None`` means "keep what is live".
    ``hold_down_seconds``: after a change the RRset is not changed again within this time
    unless the change publishes more endpoints (flap damping). ``adopt``: take the RRset
    over even when its live values include values that are not configured.
    """

    name: str
    type: str
    ttl: int
    zone: str
    policy: Policy
    endpoints: tuple[Endpoint, ...]
    when_all_unhealthy: AllUnhealthy = AllUnhealthy.PUBLISH_ALL
    fallback: tuple[str, ...] = ()
    failback: Failback = Failback.AUTO
    proxied: bool | None = None
    hold_down_seconds: float = 0.0
    adopt: bool = False
    key: RecordKey = field(init=False, repr=False, compare=False)
    """``(name, type)``, computed once (every reconcile looks records up by it)."""
    all_values: tuple[str, ...] = field(init=False, repr=False, compare=False)
    """Every endpoint's value, sorted: what the RRset publishes when all are healthy."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", (self.name, self.type))
        object.__setattr__(self, "all_values", tuple(sorted({e.value for e in self.endpoints})))


@dataclass(frozen=True, slots=True)
class Zone:
    """A zone as the provider sees it: absolute ``name``, provider instance name, and the
    provider-specific keys of its config entry (``hosted_zone_id``, ``zone_id``)."""

    name: str
    provider: str
    options: Mapping[str, object] = field(default_factory=dict, compare=False, hash=False)


def canonical_address(rtype: str, value: str) -> str:
    """The one text form of an A or AAAA value, so that the config and every provider
    compare addresses as addresses: ``::0001`` -> ``::1``; an IPv4-mapped IPv6 address in
    the dotted form of RFC 4291 section 2.2 (``::ffff:127.0.0.3``), which DNS servers print
    and Python 3.11 would not (it prints ``::ffff:7f00:3``). Other types and values that are
    not addresses are returned unchanged (stripped)."""
    text = value.strip()
    if rtype not in ("A", "AAAA"):
        return text
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return f"::ffff:{address.ipv4_mapped}"
    return str(address)


def sorted_values(values: Iterable[str]) -> tuple[str, ...]:
    """Deduplicate and sort record values, the canonical order of the plan JSON."""
    return tuple(sorted(set(values)))


@dataclass(frozen=True, slots=True)
class RRset:
    """A live RRset: absolute ``name``, ``type``, ``ttl`` in seconds and sorted ``values``.

    ``weights`` maps value -> weight for providers with native weighted records; it is empty
    otherwise. ``auto_ttl`` marks an RRset whose TTL the provider sets by itself (Cloudflare's
    proxied records); the planner then never plans a TTL change for it.
    """

    name: str
    type: str
    ttl: int
    values: tuple[str, ...]
    weights: tuple[tuple[str, int], ...] = ()
    auto_ttl: bool = False

    @property
    def key(self) -> RecordKey:
        return (self.name, self.type)

    @classmethod
    def of(
        cls,
        name: str,
        type: str,
        ttl: int,
        values: Iterable[str],
        weights: Mapping[str, int] | None = None,
        *,
        auto_ttl: bool = False,
    ) -> RRset:
        """Build a canonical RRset (absolute name, upper-case type, sorted values, addresses
        in :func:`canonical_address` form)."""
        rtype = type.upper()
        return cls(
            absolute_name(name),
            rtype,
            ttl,
            sorted_values(canonical_address(rtype, v) for v in values),
            tuple(sorted((canonical_address(rtype, v), w) for v, w in (weights or {}).items())),
            auto_ttl,
        )


@dataclass(frozen=True, slots=True)
class Change:
    """One change to one RRset.

    ``before`` is ``()`` when the RRset does not exist yet and ``before_ttl`` is then
    ``None``. ``weights`` is filled only for providers with native weights.
    """

    action: Action
    name: str
    type: str
    ttl: int
    before: tuple[str, ...]
    after: tuple[str, ...]
    reason: str
    before_ttl: int | None = None
    weights: tuple[tuple[str, int], ...] = ()
    proxied: bool | None = None

    @property
    def key(self) -> RecordKey:
        return (self.name, self.type)

    @property
    def rrset(self) -> RRset:
        """The RRset this change writes."""
        return RRset(self.name, self.type, self.ttl, self.after, self.weights)


@dataclass(frozen=True, slots=True)
class Conflict:
    """A managed RRset that is not written because someone else owns it (or may)."""

    name: str
    type: str
    reason: str


@dataclass(frozen=True, slots=True)
class ZonePlan:
    """The changes of one zone, sorted by (name, type), the count of managed RRsets that
    need none, and the RRsets withheld because of an ownership conflict."""

    zone: Zone
    changes: tuple[Change, ...]
    unchanged: int
    conflicts: tuple[Conflict, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    """A reviewable plan: zone plans sorted by zone name."""

    zones: tuple[ZonePlan, ...]

    @property
    def change_count(self) -> int:
        return sum(len(z.changes) for z in self.zones)

    @property
    def unchanged_count(self) -> int:
        return sum(z.unchanged for z in self.zones)

    @property
    def has_changes(self) -> bool:
        return self.change_count > 0

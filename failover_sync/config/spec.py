"""The config file's schema as pydantic models, exactly as users write it.

Every field here is optional where ``defaults:`` may supply it; :mod:`failover_sync.config.loader`
merges ``defaults`` under records and endpoints and turns these specs into the frozen values
of :mod:`failover_sync.model`. Attribute docstrings are the config reference.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from failover_sync.model import AllUnhealthy, EndpointStatus, Failback, Policy

RecordType = Literal["A", "AAAA", "CNAME"]


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def any_case_pattern(*words: str) -> str:
    """A JSON Schema (ECMA-262) pattern matching any of ``words`` in any case:
    ``("TCP",)`` -> ``^(?:[Tt][Cc][Pp])$``. Inline flags such as ``(?i)`` are not ECMA-262,
    so editors would not understand them."""
    alts = (
        "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in word)
        for word in words
    )
    return f"^(?:{'|'.join(alts)})$"


def any_case_schema(*words: str) -> WithJsonSchema:
    """The JSON Schema of an enum the loader accepts in any case: a pattern, with the
    canonical spellings as ``examples`` (editors offer them for completion)."""
    words = tuple(str(w) for w in words)
    return WithJsonSchema(
        {"type": "string", "pattern": any_case_pattern(*words), "examples": list(words)}
    )


UpperRecordType = Annotated[
    RecordType, BeforeValidator(_upper), any_case_schema("A", "AAAA", "CNAME")
]
AnyCasePolicy = Annotated[Policy, BeforeValidator(_lower), any_case_schema(*Policy)]
AnyCaseAllUnhealthy = Annotated[
    AllUnhealthy, BeforeValidator(_lower), any_case_schema(*AllUnhealthy)
]
AnyCaseFailback = Annotated[Failback, BeforeValidator(_lower), any_case_schema(*Failback)]
TTL = Annotated[int, Field(ge=0, le=2_147_483_647)]  # RFC 2181 section 8


class Spec(BaseModel):
    """Base of every config model: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class HealthCheckSpec(Spec):
    """Health-check settings; any of them may come from ``defaults.health_check`` or the
    record's ``health_check``."""

    protocol: (
        Annotated[
            Literal["HTTP", "HTTPS", "TCP"],
            BeforeValidator(_upper),
            any_case_schema("HTTP", "HTTPS", "TCP"),
        ]
        | None
    ) = None
    """HTTP, HTTPS or TCP (connect only)."""
    port: int | None = Field(default=None, ge=1, le=65535)
    """Port probed on the endpoint's address (default 80, 443 for HTTPS)."""
    path: str | None = Field(default=None, pattern=r"^/")
    """Request path for HTTP(S), starting with ``/``."""
    host: str | None = Field(default=None, min_length=1)
    """HTTP Host header and TLS SNI name (default: the record's name)."""
    interval_seconds: float | None = Field(default=None, ge=0.1)
    """Seconds between the starts of two probes of one endpoint."""
    failure_threshold: int | None = Field(default=None, ge=1, le=10)
    """Consecutive failed probes that make a healthy endpoint unhealthy."""
    success_threshold: int | None = Field(default=None, ge=1, le=10)
    """Consecutive passed probes that make an unhealthy endpoint healthy."""
    request_timeout_seconds: float | None = Field(default=None, gt=0)
    """Deadline of one probe in seconds (connect, TLS, request and body); < interval."""
    expected_status: str | int | list[str | int] | None = None
    """Healthy HTTP statuses: ``200-399`` (default), ``200``, ``"200,204"`` or a list."""
    body_match: str | None = Field(default=None, min_length=1)
    """Substring required in the first 5120 bytes of the body."""
    headers: dict[str, str] | None = None
    """Extra request headers."""
    method: (
        Annotated[Literal["GET", "HEAD"], BeforeValidator(_upper), any_case_schema("GET", "HEAD")]
        | None
    ) = None
    """Request method."""
    verify_tls: bool | None = None
    """Verify the certificate chain and name for HTTPS (default true)."""
    ca_file: str | None = None
    """PEM bundle of CAs to trust for HTTPS instead of the system's."""
    follow_redirects: bool | None = None
    """Follow 3xx answers (default false: a 3xx is judged by ``expected_status``)."""
    recheck_interval_seconds: float | None = Field(default=None, gt=0)
    """Rapid recheck: after a probe result that differs from the verdict, probe again this
    soon (seconds) until the threshold is reached or the streak breaks (default off;
    recommended: a tenth of ``interval_seconds``, at least ``request_timeout_seconds``)."""
    source_address: str | None = Field(default=None, pattern=r"^[0-9A-Fa-f.:]+$")
    """Local address probes are sent from (HTTP, HTTPS, TCP); default: the system's choice."""


class FailoverStrategySpec(Spec):
    """Explicit priority for ``policy: failover``: these values first, then list order."""

    primary: str
    """The endpoint value published while it is healthy."""
    secondary: str | None = None
    """The endpoint value published when the primary is unhealthy."""


class EndpointSpec(Spec):
    """One endpoint of a record."""

    value: str = Field(min_length=1)
    """IPv4 (A), IPv6 (AAAA) or hostname (CNAME)."""
    type: UpperRecordType | None = None
    """Record type, when given per endpoint; must agree with the record and the others."""
    status: Annotated[EndpointStatus, BeforeValidator(_lower)] = EndpointStatus.OBEY
    """obey (default): the probes decide; down: drained for maintenance whatever the probes
    say; up: kept in whatever they say."""
    weight: int = Field(default=1, ge=0, le=255)
    """Weight for ``weighted_round_robin`` on providers with native weights."""
    health_check: HealthCheckSpec | None = None
    """Settings merged over the record's and ``defaults.health_check``."""


class RecordSpec(Spec):
    """One managed RRset, keyed by its FQDN under ``records:``."""

    type: UpperRecordType | None = None
    """A, AAAA or CNAME (here or on each endpoint)."""
    ttl: TTL | None = None
    """TTL in seconds (default ``defaults.ttl``, else 60)."""
    policy: AnyCasePolicy | None = None
    """failover | multivalue | weighted_round_robin."""
    records: list[EndpointSpec] = Field(min_length=1)
    """The endpoints, in priority order for ``failover``."""
    health_check: HealthCheckSpec | None = None
    """Settings for every endpoint of this record."""
    failover_strategy: FailoverStrategySpec | None = None
    """Optional explicit primary/secondary."""
    when_all_unhealthy: AnyCaseAllUnhealthy | None = None
    """publish_all (default) | keep | fallback."""
    fallback: list[str] = Field(default_factory=list)
    """Values published when all endpoints are unhealthy and the mode is ``fallback``."""
    failback: AnyCaseFailback | None = None
    """auto (default) | manual: stay on the secondary until an operator acts."""
    proxied: bool | None = None
    """Cloudflare only: proxy new records (default: as the live records are)."""
    hold_down_seconds: float | None = Field(default=None, ge=0)
    """Seconds after a change during which the RRset is not changed again, unless the change
    publishes more endpoints (flap damping; default ``defaults.hold_down_seconds``, else 0)."""
    adopt: bool = False
    """Take over this RRset even though its live values include unconfigured values."""


class DefaultsSpec(Spec):
    """Settings merged under every record and endpoint."""

    ttl: TTL | None = None
    """TTL in seconds of every record that sets none (else 60)."""
    policy: AnyCasePolicy | None = None
    """Policy of every record that sets none: failover (default) | multivalue |
    weighted_round_robin."""
    when_all_unhealthy: AnyCaseAllUnhealthy | None = None
    """What records publish when all endpoints are unhealthy: publish_all (default) | keep |
    fallback."""
    failback: AnyCaseFailback | None = None
    """auto (default) | manual, for every record that sets none."""
    health_check: HealthCheckSpec | None = None
    """Health-check settings under every record's and endpoint's own."""
    hold_down_seconds: float | None = Field(default=None, ge=0)
    """Flap damping of every record that sets none, seconds (else 0)."""


class CanarySpec(Spec):
    """A probe target that should always answer (e.g. the provider's API endpoint); when
    every canary fails, the controller presumes itself cut off and freezes removals."""

    value: str = Field(min_length=1)
    """IP address or host name probed."""
    health_check: HealthCheckSpec | None = None
    """Settings merged over ``defaults.health_check``."""


class ProviderSpec(BaseModel):
    """A named provider instance: ``type`` plus the adapter's own options."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str = Field(min_length=1)
    """Adapter name, any case: zonefile, powerdns, rfc2136, route53, cloudflare, ... (the
    adapter's distribution must be installed, e.g. ``pip install failover-sync-route53``)."""


class ZoneSpec(BaseModel):
    """A zone and the provider instance that serves it; other keys go to the adapter."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(min_length=1)
    """Zone apex, e.g. ``example.com`` (trailing dot optional)."""
    provider: str = Field(min_length=1)
    """Name of an entry under ``providers:``."""

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()


NotifyEvent = Literal["failover", "failback", "all_unhealthy", "freeze", "apply_error"]
NOTIFY_EVENTS: tuple[NotifyEvent, ...] = (
    "failover",
    "failback",
    "all_unhealthy",
    "freeze",
    "apply_error",
)


class WebhookSpec(Spec):
    """One notification receiver under ``notify:``: a URL (or the variable holding it)."""

    url: str | None = Field(default=None, pattern=r"^https?://")
    """Receiver URL (http or https). Webhook URLs are often secrets: prefer ``url_env``."""
    url_env: str | None = Field(default=None, min_length=1)
    """Name of the environment variable holding the URL."""
    format: Literal["json", "slack"] = "json"
    """``json``: the event as a JSON object; ``slack``: a Slack-compatible ``{"text": ...}``."""
    events: list[NotifyEvent] = Field(default_factory=lambda: list(NOTIFY_EVENTS), min_length=1)
    """Events sent: failover, failback, all_unhealthy, freeze, apply_error (default all)."""
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    """Deadline of one POST, seconds."""
    max_attempts: int = Field(default=5, ge=1, le=20)
    """POST attempts per event (exponential backoff with jitter between them)."""

    @model_validator(mode="after")
    def _one_url(self) -> WebhookSpec:
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of url and url_env")
        return self


class RootSpec(Spec):
    """The top level of the config file; providers, zones, defaults and records are validated
    one by one (each problem reported where it is, the rest still checked)."""

    providers: dict[str, Any] = Field(min_length=1)
    """Named provider instances."""
    zones: list[Any] = Field(min_length=1)
    """Zones and their providers."""
    defaults: Any = Field(default_factory=dict)
    """Merged under every record and endpoint."""
    records: dict[str, Any] = Field(min_length=1)
    """Managed RRsets keyed by FQDN."""
    resync_seconds: float = Field(default=60.0, ge=1.0)
    """Seconds between full resyncs that repair drift."""
    owner_id: str = Field(default="default", pattern=r"^[A-Za-z0-9_.-]{1,63}$")
    """Owner written into the ownership markers (``_failover-sync.<name>`` TXT)."""
    max_change_fraction: float = Field(default=0.5, gt=0, le=1)
    """Largest fraction of managed RRsets that one plan may remove endpoints from without
    ``--force`` (checked when at least 4 RRsets are managed)."""
    max_unhealthy_fraction: float = Field(default=0.5, gt=0, le=1)
    """Removals freeze when more than this fraction of all endpoints turn unhealthy within
    one detection window (the controller presumes itself cut off)."""
    canaries: list[CanarySpec] = Field(default_factory=list)
    """Probe targets that should always answer; when all fail, removals freeze."""
    notify: list[WebhookSpec] = Field(default_factory=list)
    """Webhooks notified of failovers, failbacks, all-unhealthy records, freezes, errors."""
    cluster: Any = None
    """Several vantages on etcd: a quorum of their votes decides, one leader writes."""
    # ``cluster`` is a ClusterSpec or None, validated by the loader only when present, so a
    # config without it never builds the cluster models (jsonschema.py shows the real type).

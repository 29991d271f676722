"""Options of the ``route53`` provider block and of its zone entries.

Provider block (``providers: {aws: {type: route53, ...}}``) and zone entry
(``zones: [{name: example.com, provider: aws, hosted_zone_id: Z0123...}]``); the zone entry's
``hosted_zone_id`` and ``private_zone`` win over the provider block's. Attribute docstrings are
the config reference (README.md repeats them).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field

from failover_sync import ProviderOptions

_ZONE_ID = re.compile(r"^[A-Z0-9]{1,32}$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")


def _bare_zone_id(value: str) -> str:
    """``Z0123ABC`` as is; ``/hostedzone/Z0123ABC`` is refused with the bare form to use."""
    bare = value.rsplit("/", 1)[-1]
    if value != bare:
        raise ValueError(f"use the bare hosted zone id {bare!r}, without '/hostedzone/'")
    if not _ZONE_ID.match(value):
        raise ValueError(f"{value!r} is not a Route 53 hosted zone id (like Z0123456789ABC)")
    return value


def _role_arn(value: str) -> str:
    if not _ROLE_ARN.match(value):
        raise ValueError(f"{value!r} is not an IAM role ARN (arn:aws:iam::123456789012:role/x)")
    return value


HostedZoneId = Annotated[str, AfterValidator(_bare_zone_id)]
RoleArn = Annotated[str, AfterValidator(_role_arn)]


class Route53ZoneOptions(ProviderOptions):
    """Keys of a zone entry served by a ``route53`` provider."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    hosted_zone_id: HostedZoneId | None = None
    """Bare hosted zone id (``Z0123...``). Without it the zone is found by name with
    ``ListHostedZonesByName`` (one extra call at start, one more IAM permission)."""
    private_zone: bool | None = None
    """When finding the zone by name: pick the private (true) or public (false) hosted zone.
    Without it, a name served by more than one hosted zone is refused as ambiguous."""


class Route53Options(Route53ZoneOptions):
    """The ``route53`` provider block. Credentials come from the standard AWS chain
    (environment, shared config ``profile``, ECS task role, IRSA/web identity, instance
    profile), optionally followed by ``assume_role_arn``; they are never part of the file."""

    region: str = Field(default="us-east-1", pattern=r"^[a-z]{2}(-[a-z]+)+-\d+$")
    """Region of the client and of STS. Route 53 is global: its API is served from
    us-east-1 in the aws partition whatever the region says."""
    endpoint_url: str | None = Field(default=None, pattern=r"^https?://")
    """Another API endpoint (a stand-in such as moto on loopback); STS then uses it too."""
    profile: str | None = Field(default=None, min_length=1)
    """Named profile of ``~/.aws/config`` / ``~/.aws/credentials``."""
    assume_role_arn: RoleArn | None = None
    """Role assumed with STS on top of the base credentials (refreshed before expiry)."""
    role_session_name: str = Field(default="failover-sync", pattern=r"^[\w+=,.@-]{2,64}$")
    """Session name of the assumed role (shows in CloudTrail)."""
    max_requests_per_second: float = Field(default=2.0, gt=0, le=1000)
    """Client-side token bucket over every HTTP request (retries included), shared by all
    zones and provider instances of one account in this process. AWS allows 5 requests/s per
    account across every tool, hence 2 by default; more than 5 only makes sense against a
    local stand-in."""
    wait_for_sync: bool = False
    """After each change batch, poll ``GetChange`` until ``INSYNC`` (every authoritative
    server answers with it) and log how long that took."""
    sync_timeout_seconds: float = Field(default=120.0, gt=0)
    """Give up waiting for ``INSYNC`` after this long (a warning; the change stays applied)."""
    sync_poll_seconds: float = Field(default=2.0, gt=0)
    """Seconds between two ``GetChange`` calls while waiting."""
    botocore_max_attempts: int = Field(default=2, ge=1, le=10)
    """botocore's own attempts per API call (standard retry mode). The core retries the
    whole read-plan-write attempt on top of that: see the provider's docstring."""
    connect_timeout_seconds: float = Field(default=5.0, gt=0)
    """TCP/TLS connect timeout of one HTTP request."""
    read_timeout_seconds: float = Field(default=20.0, gt=0)
    """Read timeout of one HTTP request."""

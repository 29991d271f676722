"""The ``cluster:`` key of the config file: several vantages, one writer, on etcd v3.

Without ``cluster:`` one controller probes and writes, as before. With it, each process is
one vantage (``run --vantage NAME`` or ``FAILOVER_SYNC_VANTAGE``) that publishes its verdicts
under its own etcd lease; an endpoint is removed only when ``quorum`` of the configured
vantages vote it unhealthy, and one elected leader writes (failover_sync.cluster).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, model_validator

VantageName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,63}$")]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EtcdSpec(_Spec):
    """How to reach etcd v3 (one entry per member; the client fails over between them)."""

    endpoints: list[Annotated[str, Field(pattern=r"^https?://[^/\s]+:[0-9]{1,5}/?$")]] = Field(
        default_factory=list
    )
    """Client URLs of the etcd members, ``http://host:port`` or ``https://host:port`` (TLS;
    all of one scheme), or give ``endpoints_env``."""
    endpoints_env: str | None = Field(default=None, min_length=1)
    """Name of the environment variable holding the endpoints, comma-separated (for
    example from a Kubernetes Secret)."""
    prefix: str = Field(default="/failover-sync/", pattern=r"^/([^\s]*/)?$")
    """Key prefix; keys live under ``<prefix><owner_id>/``. Starts and ends with ``/``."""
    timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    """Deadline of one etcd request, seconds; then the next endpoint is tried."""
    ca_file: str | None = Field(default=None, min_length=1)
    """PEM bundle of the CAs that signed the etcd members' certificates (https endpoints;
    default: the system's roots as gRPC finds them)."""
    cert_file: str | None = Field(default=None, min_length=1)
    """Client certificate (PEM) for etcd's ``--client-cert-auth`` (https endpoints)."""
    key_file: str | None = Field(default=None, min_length=1)
    """Private key (PEM) of ``cert_file``; read at start, kept in memory only."""
    username: str | None = Field(default=None, min_length=1)
    """etcd user (with ``password_env``)."""
    password_env: str | None = Field(default=None, min_length=1)
    """Name of the environment variable holding the etcd user's password."""

    @model_validator(mode="after")
    def _pairs(self) -> EtcdSpec:
        if bool(self.endpoints) == (self.endpoints_env is not None):
            raise ValueError("give exactly one of endpoints and endpoints_env")
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("give both cert_file and key_file, or neither")
        schemes = {e.split(":", 1)[0] for e in self.endpoints}
        if len(schemes) > 1:
            raise ValueError("endpoints mix http:// and https://; use one scheme")
        tls = [k for k in ("ca_file", "cert_file", "key_file") if getattr(self, k) is not None]
        if tls and schemes == {"http"}:
            raise ValueError(f"{tls[0]} is set but the endpoints are http://; use https://")
        if (self.username is None) != (self.password_env is None):
            raise ValueError("give both username and password_env, or neither")
        return self


class ClusterSpec(_Spec):
    """Several vantages probe every endpoint; a quorum of them decides; one leader writes."""

    etcd: EtcdSpec
    """The etcd v3 cluster that holds votes, leases and the leader key."""
    vantages: list[VantageName] = Field(min_length=1)
    """Every controller of this cluster, by name (the quorum counts these, alive or not)."""
    quorum: Literal["majority", "all", "any"] | StrictInt | StrictFloat = "majority"
    """Votes needed to remove (unhealthy) or restore (healthy) an endpoint: majority, all,
    any, a count, or a fraction of the configured vantages (0.82 is Route 53's rule)."""
    lease_seconds: int = Field(default=10, ge=2, le=3600)
    """TTL of each vantage's etcd lease: a vantage that stops renewing loses its votes (and
    its leadership) after this many seconds."""
    writer: bool = True
    """False: a probe-only vantage that votes but never leads, never holds credentials."""

    @model_validator(mode="after")
    def _check(self) -> ClusterSpec:
        if len(set(self.vantages)) != len(self.vantages):
            raise ValueError("vantages: each name may appear once")
        required_votes(self.quorum, len(self.vantages))
        return self


def required_votes(rule: str | int | float, configured: int) -> int:
    """Votes out of ``configured`` vantages that make a quorum under ``rule``.

    ``majority``: more than half; ``all``; ``any``: one; an integer ``k`` (1 <= k <= configured);
    a fraction ``f`` (0 < f <= 1): at least ``ceil(f * configured)`` (Route 53 calls an endpoint
    healthy while more than 18 % of its checkers say so, i.e. unhealthy from 82 %).
    Raises ValueError naming the problem.
    """
    if configured < 1:
        raise ValueError("a cluster needs at least one vantage")
    if rule == "majority":
        return configured // 2 + 1
    if rule == "all":
        return configured
    if rule == "any":
        return 1
    if isinstance(rule, bool) or not isinstance(rule, int | float):
        raise ValueError(f"quorum: {rule!r} is not majority, all, any, a count or a fraction")
    if isinstance(rule, int):
        if not 1 <= rule <= configured:
            raise ValueError(f"quorum: {rule} is not between 1 and {configured} (the vantages)")
        return rule
    if not 0 < rule <= 1:
        raise ValueError(f"quorum: the fraction {rule} is not in (0, 1]")
    # A tolerance so that 2/3 written as 0.6667 of 3 vantages stays 2, not 3.
    return max(1, math.ceil(rule * configured - 1e-3))


__all__ = ["ClusterSpec", "EtcdSpec", "required_votes"]

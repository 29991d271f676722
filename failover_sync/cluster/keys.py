"""What the cluster keeps in etcd and in the zone: key layout, votes, the epoch marker.

etcd keys under ``<prefix><owner_id>/`` (values are JSON unless said otherwise)::

    vantages/<vantage>            {"writer": bool, "pid": int}        under the vantage's lease
    votes/<vantage>/<target id>   {"endpoint", "healthy", "reason", "since"} under that lease
    leader                        the leader's vantage name (bytes)   under the leader's lease
    intents/<zone>                {"token", "vantage", "epoch_before", "changes"} no lease

The leader key's ``create_revision`` is the fencing token: a new incarnation of the key (a
new leader) always has a larger one. The zone's epoch marker is the TXT RRset
``_failover-sync-epoch.<zone>`` with one string ``epoch=<E> token=<T> vantage=<V>``, where
``E`` is the etcd revision of the fenced intent write (so epochs only grow) and ``T`` the
leader's token.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import quote

from failover_sync.model import Action, Change, RecordKey, RRset, Zone
from failover_sync.model import ProbeTarget as Target

EPOCH_LABEL = "_failover-sync-epoch"
EPOCH_TTL = 60
"""TTL of the epoch marker, seconds (nobody resolves it; short keeps caches honest)."""
_EPOCH_TEXT = re.compile(r'^"epoch=(\d+) token=(\d+) vantage=([A-Za-z0-9_.-]+)"$')


@dataclass(frozen=True, slots=True)
class Layout:
    """Key names of one cluster: ``root`` is ``<prefix><owner_id>/``."""

    prefix: str
    owner_id: str

    @property
    def root(self) -> str:
        return f"{self.prefix}{self.owner_id}/"

    @property
    def leader(self) -> str:
        return f"{self.root}leader"

    def vantage(self, name: str) -> str:
        return f"{self.root}vantages/{name}"

    def vote(self, vantage: str, target_id: str) -> str:
        return f"{self.root}votes/{vantage}/{target_id}"

    def intent(self, zone: Zone) -> str:
        return f"{self.root}intents/{zone.name}"

    def parse(self, key: str) -> tuple[str, ...] | None:
        """``("leader",)``, ``("vantage", name)``, ``("vote", vantage, target id)``,
        ``("intent", zone)`` or None for a key of none of these shapes."""
        if not key.startswith(self.root):
            return None
        parts = key[len(self.root) :].split("/")
        match parts:
            case ["leader"]:
                return ("leader",)
            case ["vantages", name]:
                return ("vantage", name)
            case ["votes", vantage, target_id]:
                return ("vote", vantage, target_id)
            case ["intents", zone]:
                return ("intent", zone)
        return None


def target_id(target: Target) -> str:
    """A stable etcd key part for ``target``: its URL, quoted, and a digest of its check
    (two targets with the same URL but different checks are different votes). Every vantage
    runs the same config and version, so they compute the same id; the check's
    ``source_address`` is left out, as it is where a vantage probes from, not what it
    checks, and differs between vantages by design."""
    check = replace(target.check, source_address=None)
    digest = hashlib.sha256(repr(check).encode()).hexdigest()[:10]
    return f"{quote(str(target), safe='')}~{digest}"


@dataclass(frozen=True, slots=True)
class Vote:
    """One vantage's verdict on one endpoint: ``since`` is the Unix time of the transition."""

    vantage: str
    endpoint: str
    healthy: bool
    reason: str
    since: float

    def encode(self) -> bytes:
        return json.dumps(
            {
                "endpoint": self.endpoint,
                "healthy": self.healthy,
                "reason": self.reason,
                "since": self.since,
            },
            sort_keys=True,
        ).encode()

    @classmethod
    def decode(cls, vantage: str, raw: bytes) -> Vote | None:
        """The vote in ``raw``, or None when it is not a vote this version wrote (such a
        value counts as no vote, never as healthy or unhealthy)."""
        try:
            data = json.loads(raw)
            vote = cls(
                vantage,
                str(data["endpoint"]),
                data["healthy"],
                str(data["reason"]),
                float(data["since"]),
            )
        except (ValueError, KeyError, TypeError):
            return None
        return vote if isinstance(vote.healthy, bool) else None

    @classmethod
    def now(cls, vantage: str, target: Target, healthy: bool, reason: str) -> Vote:
        return cls(vantage, str(target), healthy, reason, time.time())


@dataclass(frozen=True, slots=True, order=True)
class Epoch:
    """A parsed epoch marker: ``epoch`` (etcd revision), ``token``, ``vantage``."""

    epoch: int
    token: int
    vantage: str

    def text(self) -> str:
        """The TXT value, quoted as a zone file and the providers' RRsets write it."""
        return f'"epoch={self.epoch} token={self.token} vantage={self.vantage}"'


def epoch_key(zone: Zone) -> RecordKey:
    """The epoch marker's RRset key in ``zone``."""
    return (f"{EPOCH_LABEL}.{zone.name}", "TXT")


def parse_epoch(rrset: RRset | None) -> Epoch | None:
    """The marker in ``rrset``; None when absent or not one value of the marker's form."""
    if rrset is None or len(rrset.values) != 1:
        return None
    match = _EPOCH_TEXT.match(rrset.values[0])
    if match is None:
        return None
    return Epoch(int(match[1]), int(match[2]), match[3])


def epoch_change(zone: Zone, live: Mapping[RecordKey, RRset], new: Epoch) -> Change:
    """The UPSERT that moves the marker from what was read (``before``: the compare of
    compare-and-swap providers) to ``new``."""
    name, rtype = epoch_key(zone)
    current = live.get((name, rtype))
    return Change(
        Action.UPSERT,
        name,
        rtype,
        EPOCH_TTL,
        current.values if current else (),
        (new.text(),),
        f"epoch {new.epoch} by {new.vantage} (fencing token {new.token})",
        before_ttl=current.ttl if current else None,
    )


__all__ = [
    "EPOCH_LABEL",
    "EPOCH_TTL",
    "Epoch",
    "Layout",
    "Vote",
    "epoch_change",
    "epoch_key",
    "parse_epoch",
    "target_id",
]

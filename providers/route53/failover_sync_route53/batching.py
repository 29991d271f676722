"""Splitting Route 53 changes into change batches: a pure function, tested without a network.

AWS rules for one ChangeResourceRecordSets request (Route 53 Developer Guide, "Quotas",
https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html#limits-api-requests-changeresourcerecordsets):

- at most 1,000 ResourceRecord elements (``MAX_RECORDS``);
- at most 32,000 characters in all Value elements together (``MAX_VALUE_CHARS``);
- an UPSERT counts twice for both limits (it is a DELETE and a CREATE).

A request is all-or-nothing. The changes that carry one managed RRset (a simple record, or the
weighted records of one name and type, with any DELETE that a change of routing policy needs)
are a *group* and are never split across requests, so that every RRset moves in one step.
Groups are packed greedily in the order given; the provider sends the batches of one zone one
after the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from failover_sync_route53.records import R53Change

MAX_RECORDS = 1000
MAX_VALUE_CHARS = 32_000


@dataclass(frozen=True, slots=True)
class Cost:
    """What changes count against the limits: ResourceRecord elements and value characters."""

    records: int
    chars: int

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.records + other.records, self.chars + other.chars)

    def fits(self, max_records: int, max_chars: int) -> bool:
        return self.records <= max_records and self.chars <= max_chars


def cost(changes: Sequence[R53Change]) -> Cost:
    """The cost of ``changes`` by the AWS rules (UPSERT counted twice)."""
    total = Cost(0, 0)
    for change in changes:
        values = [str(r["Value"]) for r in change["ResourceRecordSet"].get("ResourceRecords", [])]
        factor = 2 if change["Action"] == "UPSERT" else 1
        total += Cost(factor * len(values), factor * sum(len(v) for v in values))
    return total


class GroupTooLarge(ValueError):
    """One RRset's changes alone exceed a request's limits (it can never be written)."""


def batches(
    groups: Sequence[Sequence[R53Change]],
    *,
    max_records: int = MAX_RECORDS,
    max_chars: int = MAX_VALUE_CHARS,
) -> list[list[R53Change]]:
    """Pack ``groups`` (the changes of one RRset each) into as few requests as the limits allow.

    Returns the change lists of the requests in order; empty groups are dropped. Raises
    GroupTooLarge naming the RRset when one group exceeds a limit by itself.
    """
    out: list[list[R53Change]] = []
    current: list[R53Change] = []
    used = Cost(0, 0)
    for group in groups:
        if not group:
            continue
        need = cost(group)
        if not need.fits(max_records, max_chars):
            record = group[0]["ResourceRecordSet"]
            raise GroupTooLarge(
                f"{record['Name']} {record['Type']} needs {need.records} ResourceRecord elements "
                f"and {need.chars} value characters (UPSERT counted twice): more than one "
                f"Route 53 change batch allows ({max_records}, {max_chars})"
            )
        if current and not (used + need).fits(max_records, max_chars):
            out.append(current)
            current, used = [], Cost(0, 0)
        current.extend(group)
        used += need
    if current:
        out.append(current)
    return out

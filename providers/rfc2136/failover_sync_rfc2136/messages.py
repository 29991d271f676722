"""Building RFC 2136 UPDATE messages from Changes, and splitting them: pure, no network.

One change becomes one *RRset group* in the message:

prerequisite (RFC 2136 section 2.4)
    the RRset still holds the values that were read: ``RRset exists (value dependent)``,
    section 2.4.2, the ``before`` values with TTL 0 (a non-zero TTL is a FORMERR); or, for an
    RRset that did not exist, ``RRset does not exist``, section 2.4.3. The server applies
    nothing when any prerequisite fails (section 3.2) and answers NXRRSET or YXRRSET: this is
    our compare-and-swap, so two writers never overwrite each other blindly.
update (section 2.5)
    ``Delete an RRset`` (2.5.2) then ``Add to an RRset`` (2.5.1) with the ``after`` values
    and TTL: a replace. A DELETE change (or an empty ``after``) only deletes.

The size limit: a DNS message over TCP is preceded by a two-octet length (RFC 1035 section
4.2.2), so it is at most 65,535 octets, and RFC 2136 section 3.8 sends large updates over TCP.
The TSIG record that signing appends (RFC 8945 section 4.2) must fit as well, so a message
holds groups up to ``65,535 - TSIG size``. More changes than fit are split into several
messages, each group whole in one message: every RRset keeps its own compare-and-swap, but the
messages are applied one after another, not atomically together (a later conflict leaves the
earlier messages applied, and the re-read that follows sees them as done).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.update

from failover_sync import Action, Change
from failover_sync_rfc2136.options import Tsig

MAX_TCP_MESSAGE = 65_535
"""Octets: the largest DNS message a two-octet TCP length prefix can frame (RFC 1035 4.2.2)."""

# TSIG RR fixed part (RFC 8945 section 4.2): TYPE, CLASS, TTL, RDLENGTH (10) + Time Signed (6)
# + Fudge (2) + MAC Size (2) + Original ID (2) + Error (2) + Other Len (2) + Other Data (6,
# only on BADTIME), plus the MAC: 64 octets for HMAC-SHA512, the longest we offer.
_TSIG_FIXED = 10 + 6 + 2 + 2 + 2 + 2 + 2 + 6 + 64


class TooLarge(ValueError):
    """One RRset group alone does not fit in an UPDATE message."""


def tsig_size(tsig: Tsig | None) -> int:
    """Octets that signing with ``tsig`` adds to a message at most (0 when unsigned)."""
    if tsig is None:
        return 0
    # to_digestable is the uncompressed wire form, which TSIG names always use.
    return len(tsig.name.to_digestable()) + len(tsig.algorithm.to_digestable()) + _TSIG_FIXED


def new_message(zone: str, tsig: Tsig | None) -> dns.update.UpdateMessage:
    """An empty UPDATE for ``zone`` (absolute name), signed with ``tsig`` when given."""
    if tsig is None:
        return dns.update.UpdateMessage(zone)
    return dns.update.UpdateMessage(
        zone, keyring=tsig.keyring, keyname=tsig.name, keyalgorithm=tsig.algorithm
    )


def add_change(message: dns.update.UpdateMessage, change: Change) -> None:
    """Append the RRset group of ``change`` (prerequisite + update) to ``message``.

    Raises dns.exception.SyntaxError when a value is not valid for the type.
    """
    name = dns.name.from_text(change.name)
    rdtype = dns.rdatatype.from_text(change.type)
    if change.before:
        # dnspython gives a prerequisite built from bare rdatas TTL 0, as section 2.4.2 asks.
        message.present(name, *_rdatas(message, rdtype, change.before))
    else:
        message.absent(name, rdtype)
    if change.action is Action.DELETE or not change.after:
        message.delete(name, rdtype)
    else:
        message.replace(name, change.ttl, *_rdatas(message, rdtype, change.after))


def _rdatas(
    message: dns.update.UpdateMessage, rdtype: dns.rdatatype.RdataType, values: Sequence[str]
) -> list[dns.rdata.Rdata]:
    return [dns.rdata.from_text(dns.rdataclass.IN, rdtype, v, message.origin) for v in values]


def group_size(zone: str, change: Change) -> int:
    """Octets that the RRset group of ``change`` adds to a message, at most.

    The group's records are rendered by dnspython *without* name compression: compression
    pointers reach only the first 16,383 octets (RFC 1035 section 4.1.4), so deep in a large
    message a name may have to be written in full again; the uncompressed size is a bound
    that holds at any offset. Raises TooLarge when the group alone exceeds a message.
    """
    message = new_message(zone, None)
    add_change(message, change)
    out = io.BytesIO()
    for rrset in (*message.prerequisite, *message.update):
        rrset.to_wire(out, compress=None)
    size = out.tell()
    if size > MAX_TCP_MESSAGE:
        raise TooLarge(
            f"{change.name} {change.type} does not fit in one UPDATE message "
            f"({MAX_TCP_MESSAGE} octets over TCP, RFC 1035 section 4.2.2)"
        )
    return size


def split(sizes: Sequence[int], budget: int) -> list[range]:
    """Split items of ``sizes`` (octets, in order) into consecutive runs whose sum is at most
    ``budget``; every run holds at least one item. Raises TooLarge for an item over budget.

    >>> split([40, 30, 30, 50], 100)
    [range(0, 2), range(2, 4)]
    """
    runs: list[range] = []
    start, used = 0, 0
    for index, size in enumerate(sizes):
        if size > budget:
            raise TooLarge(f"item {index} needs {size} octets, more than the {budget} available")
        if used + size > budget:
            runs.append(range(start, index))
            start, used = index, 0
        used += size
    if start < len(sizes):
        runs.append(range(start, len(sizes)))
    return runs


@dataclass(frozen=True, slots=True)
class Batch:
    """One UPDATE message to send and the changes it carries (for error messages)."""

    message: dns.update.UpdateMessage
    changes: tuple[Change, ...]


def build_batches(
    zone: str, changes: Sequence[Change], tsig: Tsig | None, *, limit: int = MAX_TCP_MESSAGE
) -> list[Batch]:
    """The UPDATE messages that apply ``changes`` to ``zone``: one when they fit in ``limit``
    octets (TSIG included), else as few as the greedy split by RRset group gives.

    Raises TooLarge when one group alone does not fit, dns.exception.SyntaxError for a value
    that is not valid for its type.
    """
    header = len(new_message(zone, None).to_wire())
    budget = limit - header - tsig_size(tsig)
    sizes = [group_size(zone, change) for change in changes]
    batches: list[Batch] = []
    for run in split(sizes, budget):
        message = new_message(zone, tsig)
        group = tuple(changes[i] for i in run)
        for change in group:
            add_change(message, change)
        batches.append(Batch(message, group))
    return batches

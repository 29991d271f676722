"""Pure functions: Cloudflare records <-> RRsets, and a Change -> the batch operations it needs.

Cloudflare keeps one record per value, each with an ``id``, ``proxied``, ``ttl``, ``comment``,
``tags`` and ``settings`` (https://developers.cloudflare.com/api/resources/dns/subresources/
records/). An UPSERT of an RRset becomes, for that name and type:

- ``deletes``  the records whose value left the RRset (and duplicates of a kept value);
- ``patches``  the kept records whose TTL or ``proxied`` must change (only ``ttl`` and
  ``proxied`` are sent, so ``comment``, ``tags`` and ``settings`` stay as they are);
- ``posts``    a new record per value that joined, carrying the managed-by comment.

Never delete-all-then-create: a record that stays keeps its id. The API applies one batch as
one transaction, in the order deletes, patches, puts, posts
(https://developers.cloudflare.com/dns/manage-dns-records/how-to/batch-record-changes/).
:func:`chunk` splits the operations of many RRsets into batches of at most ``max_batch``
operations, never splitting an RRset that fits in one batch.

TTL rules: 1 means automatic; proxied records always have automatic TTL, so a TTL is only ever
written to records that are not proxied.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from failover_sync import Action, Change, RecordKey, RRset, absolute_name

AUTOMATIC_TTL = 1
"""Cloudflare's TTL value for "automatic" (300 s today)."""
PROXIABLE_TYPES = frozenset({"A", "AAAA", "CNAME"})
"""Record types that can be proxied; ``proxied`` is never sent for others."""
MIXED_TTL = 0
"""TTL reported for an RRset whose unproxied records disagree: always differs from the
config, so that the planner rewrites them to one TTL."""


@dataclass(frozen=True, slots=True)
class LiveRecord:
    """One Cloudflare record as listed: ``name`` absolute, ``content`` canonical (CNAME
    targets absolute), ``ttl`` in seconds (1 = automatic)."""

    id: str
    name: str
    type: str
    content: str
    ttl: int
    proxied: bool

    @property
    def key(self) -> RecordKey:
        return (self.name, self.type)


@dataclass(frozen=True, slots=True)
class Patch:
    """Set ``ttl`` (and ``proxied`` when not None) of record ``id``."""

    id: str
    name: str
    type: str
    ttl: int
    proxied: bool | None


@dataclass(frozen=True, slots=True)
class Post:
    """Create one record (``proxied`` None: not sent, for types that cannot be proxied)."""

    name: str
    type: str
    content: str
    ttl: int
    proxied: bool | None
    comment: str


@dataclass(frozen=True, slots=True)
class Ops:
    """Record operations: ids to delete, patches and posts (one RRset's, or one batch's)."""

    deletes: tuple[str, ...] = ()
    patches: tuple[Patch, ...] = ()
    posts: tuple[Post, ...] = ()

    @property
    def size(self) -> int:
        """Operations counted against the batch limit."""
        return len(self.deletes) + len(self.patches) + len(self.posts)

    def __add__(self, other: Ops) -> Ops:
        return Ops(
            self.deletes + other.deletes,
            self.patches + other.patches,
            self.posts + other.posts,
        )


def canonical_content(rtype: str, content: str) -> str:
    """A record value as the core writes it: CNAME targets absolute, others as listed."""
    return absolute_name(content) if rtype == "CNAME" else content


def api_name(name: str) -> str:
    """An absolute name as the API writes it (no trailing dot)."""
    return name.rstrip(".")


def api_content(rtype: str, value: str) -> str:
    """A value as the API writes it (CNAME targets without the trailing dot)."""
    return value.rstrip(".") if rtype == "CNAME" else value


def to_rrset(key: RecordKey, records: Sequence[LiveRecord]) -> RRset:
    """The RRset of ``records`` (all of ``key``).

    TTL: the common TTL of the unproxied records (:data:`MIXED_TTL` when they disagree). When
    every record is proxied, Cloudflare sets the TTL itself ("Proxied records always have
    automatic TTL"): the RRset is marked ``auto_ttl`` so that no plan ever shows a TTL change.
    """
    unproxied = {r.ttl for r in records if not r.proxied}
    if not unproxied:
        values = (r.content for r in records)
        return RRset.of(key[0], key[1], AUTOMATIC_TTL, values, auto_ttl=True)
    ttl = next(iter(unproxied)) if len(unproxied) == 1 else MIXED_TTL
    return RRset.of(key[0], key[1], ttl, (r.content for r in records))


def group(records: Iterable[LiveRecord]) -> dict[RecordKey, list[LiveRecord]]:
    """Records grouped by (name, type), in listing order."""
    grouped: dict[RecordKey, list[LiveRecord]] = {}
    for record in records:
        grouped.setdefault(record.key, []).append(record)
    return grouped


def all_proxied(change: Change, live: Sequence[LiveRecord]) -> bool:
    """Whether every record of ``change.after`` will be proxied (TTL then automatic)."""
    if change.type not in PROXIABLE_TYPES or not change.after:
        return False
    if change.proxied is not None:
        return change.proxied
    joining_proxied = any(r.proxied for r in live)
    kept = {r.content: r.proxied for r in live}
    return all(kept.get(v, joining_proxied) for v in change.after)


def diff(change: Change, live: Sequence[LiveRecord], *, comment: str) -> Ops:
    """The operations that turn ``live`` (the records of ``change.key``) into ``change.after``.

    ``proxied``: ``change.proxied`` when set (then every kept record is patched to it);
    otherwise kept records keep theirs, and joining values are proxied if any live record of
    the RRset is (a failover must never expose an origin address).
    """
    wanted = set(change.after) if change.action is Action.UPSERT else set()
    proxiable = change.type in PROXIABLE_TYPES
    new_proxied = (
        change.proxied if change.proxied is not None else any(r.proxied for r in live)
    ) and proxiable
    deletes: list[str] = []
    patches: list[Patch] = []
    kept: set[str] = set()
    for record in live:
        if record.content not in wanted or record.content in kept:
            deletes.append(record.id)
            continue
        kept.add(record.content)
        proxied = record.proxied if change.proxied is None or not proxiable else change.proxied
        ttl = AUTOMATIC_TTL if proxied else change.ttl
        if proxied != record.proxied or (not proxied and record.ttl != change.ttl):
            patches.append(
                Patch(
                    record.id,
                    api_name(change.name),
                    change.type,
                    ttl,
                    proxied if proxiable else None,
                )
            )
    posts = tuple(
        Post(
            api_name(change.name),
            change.type,
            api_content(change.type, value),
            AUTOMATIC_TTL if new_proxied else change.ttl,
            new_proxied if proxiable else None,
            comment,
        )
        for value in sorted(wanted - kept)
    )
    return Ops(tuple(deletes), tuple(patches), posts)


def chunk(groups: Sequence[Ops], max_batch: int) -> list[Ops]:
    """Pack per-RRset operations into batches of at most ``max_batch`` operations.

    An RRset that fits stays in one batch (atomic). One that does not is split into posts
    and patches first, deletes last, so that it is never empty in between.
    """
    batches: list[Ops] = []
    current = Ops()
    for ops in groups:
        if ops.size == 0:
            continue
        if ops.size > max_batch:
            if current.size:
                batches.append(current)
                current = Ops()
            batches.extend(_split(ops, max_batch))
            continue
        if current.size + ops.size > max_batch:
            batches.append(current)
            current = Ops()
        current = current + ops
    if current.size:
        batches.append(current)
    return batches


def _split(ops: Ops, max_batch: int) -> list[Ops]:
    items: list[Ops] = [Ops(posts=(p,)) for p in ops.posts]
    items += [Ops(patches=(p,)) for p in ops.patches]
    items += [Ops(deletes=(d,)) for d in ops.deletes]
    out: list[Ops] = []
    for start in range(0, len(items), max_batch):
        merged = Ops()
        for item in items[start : start + max_batch]:
            merged = merged + item
        out.append(merged)
    return out


def check_before(change: Change, live: Mapping[RecordKey, Sequence[LiveRecord]]) -> bool:
    """Whether the live values of ``change.key`` still equal ``change.before``."""
    values = tuple(sorted({r.content for r in live.get(change.key, ())}))
    return values == change.before

"""Building and splitting UPDATE messages, without a network (RFC 2136 sections 2.4, 2.5)."""

from __future__ import annotations

import itertools

import dns.message
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import dns.update
import pytest
from failover_sync_rfc2136.messages import (
    MAX_TCP_MESSAGE,
    TooLarge,
    add_change,
    build_batches,
    group_size,
    new_message,
    split,
    tsig_size,
)
from failover_sync_rfc2136.options import Tsig

from failover_sync.model import Action, Change, RRset
from failover_sync.testing import upsert

ZONE = "example.test."
SECRET = "d4I5AbH7uyUS5SXStX29url/dhfNPUSHCNBwY2Zi/Jc="


def tsig(algorithm: str = "hmac-sha256") -> Tsig:
    key = dns.tsig.Key("failover-sync.", SECRET, algorithm)
    return Tsig(key.name, key.algorithm, {key.name: key})


@pytest.mark.parametrize(
    ("sizes", "budget", "runs"),
    [
        ([], 100, []),
        ([10], 10, [range(0, 1)]),
        ([40, 30, 30, 50], 100, [range(0, 3), range(3, 4)]),
        ([60, 60, 60], 100, [range(0, 1), range(1, 2), range(2, 3)]),
        ([50, 50, 1], 100, [range(0, 2), range(2, 3)]),
    ],
)
def test_split_is_greedy_and_keeps_order(sizes: list[int], budget: int, runs: list[range]) -> None:
    assert split(sizes, budget) == runs


def test_split_refuses_an_item_over_budget() -> None:
    with pytest.raises(TooLarge):
        split([10, 101], 100)


def test_new_rrset_gets_an_absent_prerequisite_and_a_replace() -> None:
    change = upsert(RRset.of("app.example.test", "A", 60, ["192.0.2.1", "192.0.2.2"]))
    (batch,) = build_batches(ZONE, [change], None)
    wire = dns.message.from_wire(batch.message.to_wire())
    assert isinstance(wire, dns.update.UpdateMessage)
    (prereq,) = wire.prerequisite
    # RFC 2136 2.4.3: "RRset does not exist" is class NONE, TTL 0, no rdata.
    assert (prereq.deleting, prereq.rdtype, prereq.ttl) == (
        dns.rdataclass.NONE,
        dns.rdatatype.A,
        0,
    )
    delete, *adds = wire.update
    # 2.5.2 "Delete an RRset" (class ANY, no rdata), then 2.5.1 "Add to an RRset".
    assert (delete.deleting, delete.rdtype, len(delete)) == (dns.rdataclass.ANY, dns.rdatatype.A, 0)
    assert all(add.deleting is None and add.ttl == 60 for add in adds)
    assert sorted(rd.to_text() for add in adds for rd in add) == ["192.0.2.1", "192.0.2.2"]


def test_existing_rrset_gets_a_value_prerequisite_with_ttl_0() -> None:
    before = RRset.of("app.example.test", "A", 300, ["192.0.2.1"])
    after = RRset.of("app.example.test", "A", 30, ["192.0.2.2"])
    (batch,) = build_batches(ZONE, [upsert(after, before)], None)
    wire = dns.message.from_wire(batch.message.to_wire())
    assert isinstance(wire, dns.update.UpdateMessage)
    (prereq,) = wire.prerequisite
    # RFC 2136 2.4.2: value-dependent "RRset exists", class IN, TTL 0 (the read TTL is not
    # part of the comparison and a non-zero TTL is a FORMERR).
    assert (prereq.deleting, prereq.ttl, [rd.to_text() for rd in prereq]) == (
        None,
        0,
        ["192.0.2.1"],
    )


def test_delete_change_only_deletes() -> None:
    change = Change(Action.DELETE, "app.example.test.", "A", 60, ("192.0.2.1",), (), "gone", 60)
    (batch,) = build_batches(ZONE, [change], None)
    wire = dns.message.from_wire(batch.message.to_wire())
    assert isinstance(wire, dns.update.UpdateMessage)
    (delete,) = wire.update
    assert (delete.deleting, delete.rdtype) == (dns.rdataclass.ANY, dns.rdatatype.A)


def test_cname_values_stay_absolute() -> None:
    change = upsert(RRset.of("www.example.test", "CNAME", 60, ["app.example.org."]))
    (batch,) = build_batches(ZONE, [change], None)
    add = dns.message.from_wire(batch.message.to_wire()).authority[-1]
    assert [rd.to_text() for rd in add] == ["app.example.org."]


def test_small_plans_go_in_one_message() -> None:
    changes = [upsert(RRset.of(f"h{i}.example.test", "A", 60, ["192.0.2.1"])) for i in range(50)]
    assert len(build_batches(ZONE, changes, tsig())) == 1


@pytest.mark.parametrize("algorithm", ["hmac-sha256", "hmac-sha512"])
def test_large_plans_split_under_the_tcp_limit_with_room_for_tsig(algorithm: str) -> None:
    changes = [
        upsert(
            RRset.of(f"host-{i:05d}.example.test", "TXT", 60, [f'"{"x" * 200}"']),
            RRset.of(f"host-{i:05d}.example.test", "TXT", 60, [f'"{"y" * 200}"']),
        )
        for i in range(400)
    ]
    key = tsig(algorithm)
    batches = build_batches(ZONE, changes, key)
    assert len(batches) > 1
    assert [c for b in batches for c in b.changes] == changes  # order kept, nothing lost
    for batch in batches:
        # Rendering signs the message: the TSIG record must fit in the 65,535 octets too.
        assert len(batch.message.to_wire()) <= MAX_TCP_MESSAGE
    # Greedy: each message but the last could not take the next group.
    budget = MAX_TCP_MESSAGE - len(dns.message.make_query(ZONE, "SOA").to_wire()) - tsig_size(key)
    for batch, following in itertools.pairwise(batches):
        used = sum(group_size(ZONE, c) for c in batch.changes)
        assert used + group_size(ZONE, following.changes[0]) > budget


def test_a_group_larger_than_a_message_is_refused() -> None:
    values = [f'"{i:06d}{"z" * 240}"' for i in range(300)]  # ~75 kB in one RRset
    with pytest.raises(TooLarge, match="65535 octets"):
        build_batches(ZONE, [upsert(RRset.of("big.example.test", "TXT", 60, values))], None)


@pytest.mark.parametrize("algorithm", ["hmac-sha1", "hmac-sha256", "hmac-sha512"])
def test_tsig_size_bounds_what_signing_adds(algorithm: str) -> None:
    change = upsert(RRset.of("app.example.test", "A", 60, ["192.0.2.1"]))
    unsigned = new_message(ZONE, None)
    signed = new_message(ZONE, tsig(algorithm))
    add_change(unsigned, change)
    add_change(signed, change)
    added = len(signed.to_wire()) - len(unsigned.to_wire())
    assert 0 < added <= tsig_size(tsig(algorithm))
    assert tsig_size(None) == 0


def test_deep_groups_are_counted_without_compression() -> None:
    """Past offset 16,383 a name cannot point back (RFC 1035 4.1.4): the bound still holds."""
    changes = [
        upsert(RRset.of(f"host-{i:05d}.example.test", "TXT", 60, [f'"{"x" * 200}"']))
        for i in range(150)
    ]
    message = new_message(ZONE, None)
    for change in changes:
        add_change(message, change)
    header = len(new_message(ZONE, None).to_wire())
    assert len(message.to_wire()) <= header + sum(group_size(ZONE, c) for c in changes)

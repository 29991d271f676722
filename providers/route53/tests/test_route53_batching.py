"""Unit tests of the pure change-batch splitter (AWS limits, UPSERT counted twice)."""

from __future__ import annotations

import math

import pytest
from failover_sync_route53.batching import (
    MAX_RECORDS,
    MAX_VALUE_CHARS,
    Cost,
    GroupTooLarge,
    batches,
    cost,
)
from failover_sync_route53.records import R53Change


def change(action: str, name: str, values: list[str]) -> R53Change:
    return {
        "Action": action,
        "ResourceRecordSet": {
            "Name": name,
            "Type": "A",
            "TTL": 60,
            "ResourceRecords": [{"Value": v} for v in values],
        },
    }


def ip(i: int) -> str:
    return f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"


@pytest.mark.parametrize(
    ("action", "values", "expected"),
    [
        ("UPSERT", ["192.0.2.1"], Cost(2, 18)),
        ("CREATE", ["192.0.2.1"], Cost(1, 9)),
        ("DELETE", ["192.0.2.1", "192.0.2.22"], Cost(2, 19)),
        ("UPSERT", ["192.0.2.1", "192.0.2.22"], Cost(4, 38)),
    ],
)
def test_cost_counts_upsert_twice(action: str, values: list[str], expected: Cost) -> None:
    assert cost([change(action, "a.example.com.", values)]) == expected


def test_empty_input_and_empty_groups_give_no_batch() -> None:
    assert batches([]) == []
    assert batches([[], []]) == []


def test_single_value_upserts_split_at_500_per_batch() -> None:
    groups = [[change("UPSERT", f"h{i}.example.com.", [ip(i)])] for i in range(1201)]
    out = batches(groups)
    assert [len(b) for b in out] == [500, 500, 201]
    assert len(out) == math.ceil(1201 * 2 / MAX_RECORDS)
    assert [c for b in out for c in b] == [g[0] for g in groups]  # order kept


def test_exactly_at_the_record_limit_is_one_batch() -> None:
    groups = [[change("UPSERT", f"h{i}.example.com.", [ip(i)])] for i in range(500)]
    assert len(batches(groups)) == 1
    groups.append([change("UPSERT", "last.example.com.", ["192.0.2.1"])])
    assert len(batches(groups)) == 2


def test_value_characters_limit_splits_before_the_record_limit() -> None:
    long_value = '"' + "x" * 3998 + '"'  # 4000 characters, 8000 counted for an UPSERT
    groups = [[change("UPSERT", f"t{i}.example.com.", [long_value])] for i in range(9)]
    out = batches(groups)
    assert [len(b) for b in out] == [4, 4, 1]
    assert all(cost(b).chars <= MAX_VALUE_CHARS for b in out)


def test_a_group_is_never_split() -> None:
    weighted = [change("UPSERT", "w.example.com.", [ip(i)]) for i in range(300)]  # 600
    simple = [[change("UPSERT", f"s{i}.example.com.", [ip(i)])] for i in range(250)]  # 500
    out = batches([*simple, weighted])
    assert len(out) == 2
    assert out[1] == weighted
    assert all(cost(b).records <= MAX_RECORDS for b in out)


def test_delete_and_upsert_of_a_policy_change_stay_together() -> None:
    filler = [[change("UPSERT", f"s{i}.example.com.", [ip(i)])] for i in range(499)]
    group = [
        change("DELETE", "x.example.com.", ["192.0.2.1"]),
        change("UPSERT", "x.example.com.", ["192.0.2.2"]),
    ]
    out = batches([*filler, group])
    assert out[-1] == group


def test_group_larger_than_a_request_is_refused_with_its_name() -> None:
    huge = [change("UPSERT", "big.example.com.", [ip(i) for i in range(501)])]
    with pytest.raises(GroupTooLarge, match=r"big\.example\.com\. A needs 1002"):
        batches([huge])


def test_custom_limits() -> None:
    groups = [[change("DELETE", f"h{i}.example.com.", ["192.0.2.1"])] for i in range(5)]
    assert [len(b) for b in batches(groups, max_records=2)] == [2, 2, 1]
    assert [len(b) for b in batches(groups, max_chars=18)] == [2, 2, 1]
